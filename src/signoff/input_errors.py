"""The one shape of a refusal of user-supplied text: a message, and where in the text.

Shared by the pure parsing libraries (docformat, traceability.formats), which may import
nothing else of Signoff's.
"""

from __future__ import annotations


class PositionedError(ValueError):
    """User input refused with why and, when known, the 1-based line and column."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.line is not None:
            where = f" (line {self.line}" + (f", column {self.column})" if self.column else ")")
        return f"{self.message}{where}"
