"""Which teams own which sections: CODEOWNERS-style patterns over section numbers.

A pattern is dot-separated segments. A segment is a section number part (`7`, `A`) or `*`,
which matches any one part; a trailing `.*` matches the section itself and everything under
it. So `7.*` owns §7, §7.1 and §7.1.2; `7.2` owns exactly §7.2; `*.1` owns §1.1, §2.1...;
`*` owns every numbered section. Every matching rule's team owns the section (not only the
first): a section about data security can need both `security` and `dba`.

In a template without numbers a pattern is a heading path (ADR 0022), matched against the
template section a document section matched: `/design-details` owns exactly that section
(every instance, when it repeats), `/design-details/*` it and everything under it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PATTERN = re.compile(r"^(\*|[0-9A-Za-z]+)(\.(\*|[0-9A-Za-z]+))*$")
PATH_PATTERN = re.compile(r"^(/[^\W_]+(-[^\W_]+)*)+(/\*)?$")


@dataclass(frozen=True)
class OwnerRule:
    pattern: str
    team: str


def valid_pattern(pattern: str) -> bool:
    return bool(PATTERN.match(pattern) or PATH_PATTERN.match(pattern))


def matches_path(pattern: str, path: str | None) -> bool:
    """Whether a section that matched template section ``path`` falls under ``pattern``."""
    if path is None or not path.startswith("/"):
        return False
    if pattern.endswith("/*"):
        prefix = pattern[:-2]
        return path == prefix or path.startswith(prefix + "/")
    return path == pattern


def matches(pattern: str, number: str | None) -> bool:
    """Whether a section numbered ``number`` falls under ``pattern``."""
    if number is None:
        return pattern == "*"
    wanted, parts = pattern.split("."), number.rstrip(".").split(".")
    if wanted[-1] == "*" and (len(wanted) > 1 or pattern == "*"):
        prefix = wanted[:-1]
        return len(parts) >= len(prefix) and _same(prefix, parts[: len(prefix)])
    return len(parts) == len(wanted) and _same(wanted, parts)


def _same(wanted: Sequence[str], parts: Sequence[str]) -> bool:
    return all(w == "*" or w.lower() == p.lower() for w, p in zip(wanted, parts, strict=True))


def owned_sections(
    rules: Iterable[OwnerRule], sections: Iterable[tuple[str, str | None, str | None]]
) -> dict[str, list[str]]:
    """team → the ids of the sections it owns, from `(section_id, number, template key)`
    in order. Teams that own nothing in this document are left out."""
    rules = list(rules)
    owned: dict[str, list[str]] = {}
    for section_id, number, template_key in sections:
        for rule in rules:
            by_path = rule.pattern.startswith("/")
            if (
                matches_path(rule.pattern, template_key)
                if by_path
                else matches(rule.pattern, number)
            ):
                ids = owned.setdefault(rule.team, [])
                if section_id not in ids:
                    ids.append(section_id)
    return owned
