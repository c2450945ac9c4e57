"""YAML front matter: find it, read it safely, map it onto Document Control, write it.

Front matter is recognised the way pandoc does it: the first line is `---` and the line
after it is not blank (so a document that merely opens with a thematic break is not front
matter); it closes at the next `---` or `...` line. YAML is read with PyYAML's BaseLoader
(every scalar stays a string: `version: 1.10` is "1.10", not the float 1.1) and turned into
Python values by hand so that aliases cannot multiply into a billion laughs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

import yaml

from signoff.docformat.errors import (
    FrontMatterError,
    FrontMatterFieldInvalid,
    FrontMatterNotMapping,
    FrontMatterTooComplex,
    FrontMatterUnterminated,
)
from signoff.docformat.model import STANDARD_FIELDS, DocumentControl, YamlValue

_OPEN = "---"
_CLOSE = frozenset({"---", "..."})
_MAX_NODES = 10_000
_MAX_DEPTH = 32
# YAML's own whitespace; Unicode spaces such as NBSP are content.
_SPACE = " \t\n"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


@dataclass(frozen=True, slots=True)
class Split:
    """Front matter text (None when absent), the rest, and the rest's first line index."""

    yaml_text: str | None
    body: str
    body_offset: int


def split_front_matter(text: str) -> Split:
    lines = text.split("\n")
    if len(lines) < 2 or lines[0].rstrip() != _OPEN or not lines[1].strip():
        return Split(None, text, 0)
    for index in range(1, len(lines)):
        if lines[index].rstrip() in _CLOSE:
            return Split("\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 1)
    raise FrontMatterUnterminated("front matter opened with '---' is never closed", line=1)


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """Front matter values and the 1-based line of each top-level key."""

    values: dict[str, YamlValue]
    lines: dict[str, int]


def parse_front_matter(yaml_text: str) -> FrontMatter:
    """Read front matter text (the lines between the fences) into a `FrontMatter`."""
    try:
        node = yaml.compose(yaml_text, Loader=yaml.BaseLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 2, mark.column + 1) if mark else (1, None)
        message = f"front matter is not valid YAML: {exc.problem}"
        raise FrontMatterError(message, line=line, column=column) from exc
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"front matter is not valid YAML: {exc}", line=1) from exc
    except RecursionError as exc:
        raise FrontMatterTooComplex("front matter nests too deeply", line=1) from exc
    if node is None:
        return FrontMatter({}, {})
    if not isinstance(node, yaml.MappingNode):
        raise FrontMatterNotMapping("front matter must be a mapping of fields", line=2)
    values = _Builder().mapping(node, 0)
    lines = {str(k.value): _line(k) for k, _ in node.value}
    return FrontMatter(values, lines)


class _Builder:
    """Turns composed YAML nodes into values, counting every node visited."""

    def __init__(self) -> None:
        self.visited = 0

    def build(self, node: yaml.Node, depth: int) -> YamlValue:
        self.visited += 1
        if self.visited > _MAX_NODES or depth > _MAX_DEPTH:
            raise FrontMatterTooComplex("front matter is too large or too deep", line=_line(node))
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, depth + 1) for item in node.value]
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, depth)
        return str(node.value)

    def mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, YamlValue]:
        result: dict[str, YamlValue] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                message = "front matter keys must be text"
                raise FrontMatterFieldInvalid(message, line=_line(key_node))
            key = str(key_node.value)
            if key in result:
                message = f"duplicate front matter key {key!r}"
                raise FrontMatterFieldInvalid(message, line=_line(key_node))
            result[key] = self.build(value_node, depth + 1)
        return result


def _line(node: yaml.Node) -> int:
    # +2: the YAML starts on the line after the opening `---`, and lines are 1-based.
    return int(node.start_mark.line) + 2


def merge_control(front: FrontMatter, fallback: DocumentControl) -> DocumentControl:
    """Document Control from front matter; fields it lacks come from `fallback` (the table)."""
    reader = _FieldReader(front)
    extra = fallback.extra | {k: v for k, v in front.values.items() if k not in STANDARD_FIELDS}
    return DocumentControl(
        title=reader.text("title", fallback.title) or "",
        key=reader.text("key", fallback.key),
        version=reader.text("version", fallback.version),
        revision=reader.text("revision", fallback.revision),
        status=reader.text("status", fallback.status),
        authors=reader.names("authors", fallback.authors),
        reviewers=reader.names("reviewers", fallback.reviewers),
        template=reader.text("template", fallback.template),
        last_updated=reader.text("last_updated", fallback.last_updated),
        extra=extra,
    )


@dataclass(frozen=True, slots=True)
class _FieldReader:
    front: FrontMatter

    def text(self, key: str, fallback: str | None) -> str | None:
        if key not in self.front.values:
            return fallback
        raw = self.front.values[key]
        if not isinstance(raw, str):
            self._invalid(key, "must be text")
        text = str(raw).strip(_SPACE)
        return None if text in _NULLS and key != "title" else text

    def names(self, key: str, fallback: tuple[str, ...]) -> tuple[str, ...]:
        if key not in self.front.values:
            return fallback
        raw = self.front.values[key]
        items = split_names(raw) if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            self._invalid(key, "must be a list of names")
        return tuple(str(i).strip(_SPACE) for i in items if str(i).strip(_SPACE))

    def _invalid(self, key: str, problem: str) -> NoReturn:
        line = self.front.lines.get(key)
        raise FrontMatterFieldInvalid(f"front matter field {key!r} {problem}", line=line)


def split_names(text: str) -> list[str]:
    """`"Ana Lee, Bo Chen"` → `["Ana Lee", "Bo Chen"]` (names in one text field)."""
    return [name.strip(_SPACE) for name in text.split(",") if name.strip(_SPACE)]


def render_front_matter(control: DocumentControl) -> str:
    """`---`-fenced YAML for every Document Control value that is set, or "" if none is."""
    data: dict[str, YamlValue] = {}
    for key in STANDARD_FIELDS:
        value = getattr(control, key)
        if isinstance(value, tuple):
            if value:
                data[key] = list(value)
        elif value:
            data[key] = value
    data.update(control.extra)
    if not data:
        return ""
    dumped = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=4096)
    return f"---\n{dumped}---"


def set_front_matter_fields(text: str, fields: dict[str, str]) -> str:
    """``text`` with these top-level front matter fields set, each on its own line (replaced
    where present, else added), and every other byte of the file as it was; a file without
    front matter gets one. For the CLI, which writes back what a push allocated."""
    split = split_front_matter(text)
    lines = split.yaml_text.split("\n") if split.yaml_text is not None else []
    for key, value in fields.items():
        line = yaml.safe_dump({key: value}, allow_unicode=True, width=4096).rstrip("\n")
        found = next((i for i, old in enumerate(lines) if old.split(":", 1)[0] == key), None)
        if found is None:
            lines.append(line)
        else:
            lines[found] = line
    block = "---\n" + "\n".join(lines) + "\n---\n"
    return block + (split.body if split.yaml_text is not None else text)
