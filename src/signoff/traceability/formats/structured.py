"""JSON or YAML bytes into plain values, within limits, with lines for error messages.

Which parser reads the bytes:

- a JSON media type (`application/json`, `*/*+json`) → JSON only;
- a YAML media type (`application/yaml`, `application/x-yaml`, `text/yaml`, `*/*+yaml`,
  `application/vnd.oai.openapi`) → YAML only;
- anything else, or none → sniffed: text whose first non-blank character is `{` is JSON
  (a typo in a JSON document is reported as one, not read as a YAML flow mapping; YAML
  written as one flow mapping must say it is YAML); any other text is YAML.

YAML is composed into nodes (linear in the input: an alias is a pointer to the same node, not
a copy) and turned into values by hand, counting every node built, including each time an
alias is followed, so a billion-laughs document stops at `max_alias_nodes` instead of filling
memory. Scalars follow PyYAML's safe schema (`true`, `1`, `1.5`, `~`), except timestamps and
any explicitly tagged scalar, which stay text; mapping keys are always the key's text, so
`200:` is the string "200" as in JSON. Merge keys (`<<`) are honoured.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, NoReturn, TypeAlias

import yaml
from yaml.constructor import SafeConstructor

from signoff.traceability.formats.errors import SpecError, SpecErrorCode

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
SourceFormat: TypeAlias = Literal["json", "yaml"]

# libyaml refuses nesting beyond 1000 levels by itself; the pure-Python parser recurses and
# ends in a RecursionError, which is caught. Both give the same nodes and marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCT = SafeConstructor()
_TAG = "tag:yaml.org,2002:"
# Finding a line for an error in a JSON document re-reads it as YAML; past this size the
# error goes without a line rather than costing seconds.
_MAX_LINE_LOOKUP_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SpecLimits:
    """Bounds on an uploaded OpenAPI document; exceeding one raises `too_large`/`too_complex`."""

    max_bytes: int = 5 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 1_000_000
    max_alias_nodes: int = 100_000
    max_operations: int = 10_000
    max_hash_steps: int = 2_000_000

    def __post_init__(self) -> None:
        # Builders and the hasher recurse once per level: a deep limit would trade a clean
        # error for a RecursionError.
        if not 1 <= self.max_depth <= 200:
            raise ValueError("max_depth must be between 1 and 200")


@dataclass(frozen=True, slots=True)
class Loaded:
    """A parsed document, and what is needed to point at places in its text."""

    value: JsonValue
    source_format: SourceFormat
    text: str
    root_node: yaml.Node | None

    def line_of(self, pointer: str) -> int | None:
        """1-based line of the value at `pointer` (of its key, for a mapping member)."""
        node = self.root_node
        if node is None and self.source_format == "json":
            node = _compose_quietly(self.text)
        return None if node is None else _locate(node, pointer)[1]

    def scalar_text(self, pointer: str) -> str | None:
        """A YAML scalar exactly as written (`1.10` stays "1.10"); None for JSON."""
        if self.root_node is None:
            return None
        node, _ = _locate(self.root_node, pointer)
        return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def load(data: bytes, content_type: str | None, limits: SpecLimits) -> Loaded:
    """Parse `data` as JSON or YAML (see the module docstring for which)."""
    if len(data) > limits.max_bytes:
        message = f"document is {len(data)} bytes; the limit is {limits.max_bytes}"
        raise SpecError("too_large", message)
    text = _decode(data)
    kind = _declared(content_type)
    if kind == "json":
        return _load_json(text, limits)
    if kind == "yaml" or (kind is None and not text.lstrip().startswith("{")):
        return _load_yaml(text, limits)
    return _load_json(text, limits)


def _decode(data: bytes) -> str:
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpecError("not_json_or_yaml", "document is not UTF-8 text", line=line) from None


def _declared(content_type: str | None) -> SourceFormat | None:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media.endswith(("/json", "+json")):
        return "json"
    if media.endswith(("/yaml", "/x-yaml", "+yaml")) or media == "application/vnd.oai.openapi":
        return "yaml"
    return None


def _load_json(text: str, limits: SpecLimits) -> Loaded:
    try:
        value: JsonValue = json.loads(text, object_pairs_hook=_json_object)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg}"
        raise SpecError("not_json_or_yaml", message, line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise SpecError("too_complex", "document nests too deeply") from None
    except SpecError:
        raise
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise SpecError("not_json_or_yaml", f"not valid JSON: {exc}") from None
    _check_shape(value, limits)
    return Loaded(value, "json", text, None)


def _json_object(pairs: list[tuple[str, JsonValue]]) -> dict[str, JsonValue]:
    result: dict[str, JsonValue] = {}
    for key, value in pairs:
        if key in result:
            raise SpecError("duplicate_key", f"key {key!r} appears twice in one object")
        result[key] = value
    return result


def _check_shape(value: JsonValue, limits: SpecLimits) -> None:
    """Depth and size of a JSON value, walked without recursion."""
    stack: list[tuple[JsonValue, int]] = [(value, 0)]
    count = 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if depth > limits.max_depth:
            _too_complex(f"document nests deeper than {limits.max_depth} levels", None)
        if count > limits.max_nodes:
            _too_complex(f"document has more than {limits.max_nodes} values", None)
        children: Iterable[JsonValue] = ()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        stack.extend((child, depth + 1) for child in children)


def _load_yaml(text: str, limits: SpecLimits) -> Loaded:
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = exc.problem or exc.context or "syntax error"
        code: SpecErrorCode = "too_complex" if "nesting depth" in problem else "not_json_or_yaml"
        raise SpecError(code, f"not valid YAML: {problem}", line=line, column=column) from None
    except yaml.YAMLError as exc:
        raise SpecError("not_json_or_yaml", f"not valid YAML: {exc}") from None
    except RecursionError:
        raise SpecError("too_complex", "document nests too deeply") from None
    value = None if root is None else _Builder(limits).build(root, 0)
    return Loaded(value, "yaml", text, root)


class _Builder:
    """Turns composed YAML nodes into values, counting every node built."""

    def __init__(self, limits: SpecLimits) -> None:
        self.limits = limits
        self.nodes = 0
        self.alias_nodes = 0
        self.seen: set[int] = set()
        self.in_alias = 0

    def build(self, node: yaml.Node, depth: int) -> JsonValue:
        limits = self.limits
        if depth > limits.max_depth:
            _too_complex(f"document nests deeper than {limits.max_depth} levels", node)
        self.nodes += 1
        if self.nodes > limits.max_nodes:
            _too_complex(f"document has more than {limits.max_nodes} values", node)
        # A node met a second time was reached through an alias: everything built under it
        # is a copy, and copies are what an alias bomb multiplies.
        repeated = id(node) in self.seen
        self.seen.add(id(node))
        self.in_alias += repeated
        try:
            if self.in_alias:
                self.alias_nodes += 1
                if self.alias_nodes > limits.max_alias_nodes:
                    message = f"aliases expand to more than {limits.max_alias_nodes} values"
                    _too_complex(message, node)
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, depth)
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, depth + 1) for item in node.value]
            return _scalar(node)
        finally:
            self.in_alias -= repeated

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, JsonValue]:
        result: dict[str, JsonValue] = {}
        merged: dict[str, JsonValue] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                for source in _merge_sources(value_node):
                    built = self.build(source, depth + 1)
                    if not isinstance(built, dict):
                        _invalid("a merge key (<<) must name mappings", key_node)
                    for key, value in built.items():
                        merged.setdefault(key, value)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                _invalid("mapping keys must be plain text (OpenAPI is JSON-compatible)", key_node)
            key = str(key_node.value)
            if key in result:
                line = _line(key_node)
                raise SpecError("duplicate_key", f"key {key!r} appears twice", line=line)
            result[key] = self.build(value_node, depth + 1)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result


def _merge_sources(node: yaml.Node) -> Sequence[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return [node]


def _scalar(node: yaml.Node) -> JsonValue:
    if not isinstance(node, yaml.ScalarNode):  # pragma: no cover - composer gives no others
        _invalid("unexpected YAML node", node)
    try:
        if node.tag == _TAG + "null":
            return None
        if node.tag == _TAG + "bool":
            return _CONSTRUCT.construct_yaml_bool(node)
        if node.tag == _TAG + "int":
            return _CONSTRUCT.construct_yaml_int(node)
        if node.tag == _TAG + "float":
            return _CONSTRUCT.construct_yaml_float(node)
    except (ValueError, yaml.YAMLError) as exc:  # e.g. an integer longer than Python converts
        _invalid(f"unreadable number: {exc}", node)
    return str(node.value)


def _line(node: yaml.Node) -> int | None:
    mark = node.start_mark
    return None if mark is None else int(mark.line) + 1


def _too_complex(message: str, node: yaml.Node | None) -> NoReturn:
    raise SpecError("too_complex", message, line=None if node is None else _line(node))


def _invalid(message: str, node: yaml.Node) -> NoReturn:
    raise SpecError("not_json_or_yaml", message, line=_line(node))


def _compose_quietly(text: str) -> yaml.Node | None:
    if len(text) > _MAX_LINE_LOOKUP_BYTES:
        return None
    try:
        return yaml.compose(text, Loader=_LOADER)
    except (yaml.YAMLError, RecursionError):
        return None


def _locate(root: yaml.Node, pointer: str) -> tuple[yaml.Node, int | None]:
    """The node at `pointer` (or its deepest ancestor found) and the line to report."""
    node, line = root, _line(root)
    for segment in split_pointer(pointer):
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == segment:
                    child, line = value_node, _line(key_node)
        elif isinstance(node, yaml.SequenceNode) and segment.isdigit():
            index = int(segment)
            if index < len(node.value):
                child = node.value[index]
                line = _line(child)
        if child is None:
            break
        node = child
    return node, line


def join_pointer(parent: str, *segments: str | int) -> str:
    """`parent` extended by `segments`, escaped as RFC 6901 asks (`/` → `~1`, `~` → `~0`)."""
    escaped = (str(s).replace("~", "~0").replace("/", "~1") for s in segments)
    return parent + "".join("/" + s for s in escaped)


def split_pointer(pointer: str) -> list[str]:
    """The unescaped segments of an RFC 6901 pointer (`""` is the whole document)."""
    if not pointer:
        return []
    return [s.replace("~1", "/").replace("~0", "~") for s in pointer[1:].split("/")]
