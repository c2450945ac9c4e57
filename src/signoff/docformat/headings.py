"""Section numbers and heading text: `3. Architectural Design`, `3.3 Key …`, `Appendix A: …`.

Heading *text* is parsed here with regular expressions; which lines are headings at all is
decided by markdown-it tokens elsewhere.
"""

from __future__ import annotations

import re
from functools import lru_cache

from signoff.docformat.normalize import repair_text

NUMBER_PATTERN = r"(?:\d{1,3}|[A-Z])(?:\.\d{1,3})*"
NUMBER_RE = re.compile(NUMBER_PATTERN)
# A template section without a number is identified by its heading path: the slugs of its
# own and its ancestors' titles, each after a `/` (`/proposal/user-stories`). The leading
# `/` keeps a path from ever reading as a number.
PATH_SEGMENT = r"[^\W_]+(?:-[^\W_]+)*"
PATH_RE = re.compile(rf"(?:/{PATH_SEGMENT}){{1,16}}")
TEMPLATE_KEY_RE = re.compile(rf"{NUMBER_PATTERN}|(?:/{PATH_SEGMENT}){{1,16}}")
MAX_KEY_LENGTH = 255
# `(Optional)` or `[Optional]` in a template heading marks the section optional.
_OPTIONAL_MARK = re.compile(r"\s*[(\[]\s*optional\s*[)\]]\s*", re.IGNORECASE)
_NOT_SLUG = re.compile(r"[\W_]+")
SECTION_REF_RE = re.compile(r"§\s?(\d{1,3}(?:\.\d{1,3})*|[A-Z](?:\.\d{1,3})+)")

# Top-level numbers are capped at three digits so that `## 2024 Roadmap` stays a title.
_NUMERIC = re.compile(r"(?P<n>\d{1,3}(?:\.\d{1,3})*)\.?(?:\s+(?P<t>.*))?", re.S)
_APPENDIX = re.compile(
    r"(?i:appendix)\s+(?P<n>[A-Z](?:\.\d{1,3})*)\b\s*[:.\-–—]?\s*(?P<t>.*)", re.S
)
_APPENDIX_CHILD = re.compile(r"(?P<n>[A-Z](?:\.\d{1,3})+)\.?(?:\s+(?P<t>.*))?", re.S)
_TRAILING_HASHES = re.compile(r"(^|\s)(#+)$")
# Only Markdown's own whitespace: str.split() would also fold NBSP and other Unicode
# spaces, which an ATX heading keeps.
_SPACES = re.compile(r"[ \t\n]+")
_TITLE_PREFIX = "Design Document:"


def split_heading(text: str) -> tuple[str | None, str]:
    """Split heading text into (section number or None, title)."""
    text = collapse_spaces(text)
    for pattern in (_APPENDIX, _APPENDIX_CHILD, _NUMERIC):
        match = pattern.fullmatch(text)
        if match:
            return match["n"], canonical_title(match["t"] or "")
    return None, canonical_title(text)


def canonical_title(text: str) -> str:
    """The title as an ATX heading would read it back: one line, single spaces.

    A title ending in `#` (possible from a setext heading) gets that run escaped, because an
    ATX heading would otherwise read it as a closing sequence and drop it.
    """
    return _TRAILING_HASHES.sub(lambda m: f"{m[1]}\\{m[2]}", collapse_spaces(text))


def collapse_spaces(text: str) -> str:
    """One line with single spaces, normalized again: joining lines can bring together
    characters that only then read as mojibake (`Â` + space), and a parse must give text
    that parses to itself."""
    # Stripped the way markdown-it strips heading text (str.strip), so that a rendered
    # heading reads back the same.
    return repair_text(_SPACES.sub(" ", text)).strip()


def heading_text(number: str | None, title: str) -> str:
    """The canonical heading text, mirroring the seed's forms."""
    if number is None:
        return title
    if "." in number:
        label = number
    elif number.isdigit():
        label = f"{number}."
    else:
        label = f"Appendix {number}:"
    return f"{label} {title}" if title else label


def is_dotted(number: str | None) -> bool:
    return number is not None and "." in number


@lru_cache(maxsize=4096)
def title_key(title: str) -> str:
    """Comparison key for titles: case and whitespace do not matter."""
    return " ".join(title.casefold().split())


def document_title(h1_text: str) -> str:
    """The document title from the H1, without the template's `Design Document:` prefix."""
    text = collapse_spaces(h1_text)
    if text.casefold().startswith(_TITLE_PREFIX.casefold()):
        return text[len(_TITLE_PREFIX) :].strip()
    return text


def is_rendered_title(h1_text: str) -> bool:
    """True for a `Design Document: <title>` heading (as `title_heading` writes it)."""
    return collapse_spaces(h1_text).casefold().startswith(_TITLE_PREFIX.casefold())


def title_heading(title: str) -> str:
    """The H1 text for a document title."""
    title = _SPACES.sub(" ", title).strip(" ")
    return f"{_TITLE_PREFIX} {title}" if title else _TITLE_PREFIX


def is_optional_title(title: str) -> bool:
    """True when a template heading is marked `(Optional)` or `[Optional]`."""
    return _OPTIONAL_MARK.search(title) is not None


def match_title(title: str) -> str:
    """`title_key` without an optional mark: `Notes (Optional)` is the template's `Notes`."""
    return title_key(_OPTIONAL_MARK.sub(" ", title))


def path_segment(title: str) -> str:
    """The slug of one heading in a heading path (`User Stories (Optional)` → `user-stories`)."""
    slug = _NOT_SLUG.sub("-", match_title(title)).strip("-")
    return slug or "section"


def is_template_key(key: str) -> bool:
    """A section number or a heading path, as recorded in `template=` of a stable-id comment."""
    return len(key) <= MAX_KEY_LENGTH and TEMPLATE_KEY_RE.fullmatch(key) is not None
