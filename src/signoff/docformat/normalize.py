"""Text normalization applied to every template and document before parsing.

All of it keeps the line count: a leading byte-order mark is dropped, CRLF and lone CR
line endings become LF, lone surrogates become U+FFFD, and mojibake is repaired.

The seed template itself ships with `Â§` (UTF-8 `§` read as Windows-1252), and copies of
it pasted into editors carry the same damage. The repair is deliberately narrow and
context-free: a run of characters that, encoded as Windows-1252, forms one UTF-8 sequence
whose lead byte is C2/C3 (Latin-1 characters: `Â§` → `§`, `Ã©` → `é`), E2 (punctuation:
`â€“` → `–`, `â€™` → `’`) or EF (`ï»¿`, a BOM), is replaced by the decoded character,
repeatedly until nothing changes (double encodings unwind). ftfy was tried and rejected:
its heuristics depend on the surrounding line (`Â ` becomes a no-break space, `\\ufffdÀ`
changes with what follows it), so text Signoff renders would not normalize to itself,
and parse → render → parse would not be stable.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))
# Windows-1252 leaves five bytes undefined; those read as the C1 control of that value.
_CONTINUATION = "".join(
    bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in _CONTINUATION_BYTES
)
_C = "[" + re.escape(_CONTINUATION) + "]"
_MOJIBAKE = re.compile(f"[\u00c2\u00c3]{_C}|\u00e2{_C}{{2}}|\u00ef{_C}{{2}}")
_BYTE_OF = {char: byte for byte, char in zip(_CONTINUATION_BYTES, _CONTINUATION, strict=True)}
_BYTE_OF.update({"\u00c2": 0xC2, "\u00c3": 0xC3, "\u00e2": 0xE2, "\u00ef": 0xEF})
_MAX_ROUNDS = 4


def normalize_text(text: str) -> str:
    """Return `text` with BOM removed, LF line endings and mojibake repaired."""
    text = repair_text(text)
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def repair_text(text: str) -> str:
    """Return `text` with lone surrogates replaced and mojibake repaired."""
    if text.isascii():
        return text
    if _SURROGATE.search(text):
        # A lone surrogate (e.g. from a JSON "\ud800") cannot be encoded or handed to the
        # Rust HTML sanitizer; pairs are joined and strays become U+FFFD.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    for _ in range(_MAX_ROUNDS):
        repaired = _MOJIBAKE.sub(_decode, text)
        if repaired == text:
            break
        text = repaired
    return text


def _decode(match: re.Match[str]) -> str:
    raw = bytes(_BYTE_OF[char] for char in match[0])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return match[0]
