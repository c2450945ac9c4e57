"""The documents domain's long-lived parts, made once per app or worker process: the render
cache, what runs with each new revision, and what a document's JSON shows besides its own
fields."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from signoff.documents.reader import DocumentRef
from signoff.documents.rendering import RenderCache
from signoff.documents.service.writer import ListenerFactory

# A summary of a document by another domain (the registers' counts), by name in its JSON.
Summary = Callable[[AsyncSession, DocumentRef], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Listener:
    """A revision listener by name; ``after`` names the listeners whose writes it reads."""

    name: str
    make: ListenerFactory
    after: tuple[str, ...] = ()


class RevisionListeners:
    """The listeners kept in step with each new revision, run in the order given. The order
    is checked when they are registered: each comes after every listener it names in
    ``after``, so a reordering that would read rows not written yet fails at start-up."""

    def __init__(self, *listeners: Listener) -> None:
        placed: list[str] = []
        for listener in listeners:
            if listener.name in placed:
                raise ValueError(f"revision listener {listener.name!r} is registered twice")
            missing = [name for name in listener.after if name not in placed]
            if missing:
                raise ValueError(
                    f"revision listener {listener.name!r} reads what {', '.join(missing)} "
                    "writes: register it after them"
                )
            placed.append(listener.name)
        self._listeners = listeners

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(listener.name for listener in self._listeners)

    @property
    def factories(self) -> tuple[ListenerFactory, ...]:
        return tuple(listener.make for listener in self._listeners)


@dataclass(frozen=True, eq=False)
class DocumentsRuntime:
    render_cache: RenderCache
    revision_listeners: RevisionListeners = field(default_factory=RevisionListeners)
    summaries: Mapping[str, Summary] = field(default_factory=dict)
