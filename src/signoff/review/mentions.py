"""Who a comment mentions, as stored handles: what the inbox looks up by index.

A mention is ``@`` and a person's email (``@ann@example.com``) or the part of it before the
``@`` (``@ann``), in any case, not followed by more of a name (``@anna`` is not ``@ann``;
``attention.mention_pattern`` is the rule for one person). Signoff has no handles of its own
and the text is written before anyone asks, so a comment's handles are every name that rule
could match in it: each ``@`` word cut at each place where the rule lets a name end. The
stored set is a superset; the inbox confirms each candidate with the person's pattern.
Pure (the migration that fills the table for existing comments uses it too).
"""

from __future__ import annotations

import re

# An `@` not inside a word, an email or a longer handle, then the run of characters a name
# or an email can hold. The run is a lookahead: an `@` inside it (`@x+@ann`) starts its own.
_WORD = re.compile(r"(?<![\w@.])@(?=([\w.+\-@]+))")
# A handle is one column of an index: longer ones are no one's email (RFC 5321: 254).
MAX_HANDLE = 254
# One comment names at most this many people (the rest are not indexed).
MAX_HANDLES = 50


def _ends_at(word: str, i: int) -> bool:
    """Whether a name may end before ``word[i]`` under ``mention_pattern``: not before a
    word character, ``@`` or ``-``, nor before a dot that another word character follows."""
    if i == len(word):
        return True
    nxt = word[i]
    if nxt.isalnum() or nxt in "_@-":
        return False
    return not (nxt == "." and i + 1 < len(word) and (word[i + 1].isalnum() or word[i + 1] == "_"))


def handles(text: str) -> set[str]:
    """The lower-cased names ``text`` may mention (see the module's docstring)."""
    found: set[str] = set()
    for match in _WORD.finditer(text):
        word = match.group(1)[: MAX_HANDLE + 1]
        for i in range(1, min(len(word), MAX_HANDLE) + 1):
            if _ends_at(word, i):
                found.add(word[:i].lower())
        if len(found) >= MAX_HANDLES:
            break
    return set(sorted(found)[:MAX_HANDLES])


def names_of(email: str) -> list[str]:
    """The handles under which a person is mentioned: their email and its local part."""
    lowered = email.lower()
    return sorted({lowered, lowered.partition("@")[0]})
