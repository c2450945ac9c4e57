"""Canonical tokens of OpenAPI values: layout-free, documentation-free, `$ref`s resolved.

A token is a short text that two values share exactly when they mean the same:

- scalars are their JSON text, with `1.0` written `1`;
- an object is the SHA-256 of its members' keys and tokens, keys sorted (so key order and
  whitespace never count); an array, of its items' tokens in order, except that `required`
  and `type` lists are sets;
- a local `$ref` (`#/...`, percent-encoding and `~0`/`~1` escapes understood) is the token
  of what it points to - exactly the token the same value would have inline, so moving a
  schema into `components` or renaming a component changes nothing. Keywords beside a `$ref`
  (JSON Schema 2020-12, OpenAPI 3.1) are hashed with it.

References that form a cycle (a recursive schema, or `A` → `B` → `A`) are hashed per
strongly connected component of the reference graph: the component's members, sorted by
pointer, are hashed together with the references between them written as pointers, and each
member's token is that hash plus its own pointer. So a change anywhere in a cycle changes
every member (each reaches all the others), but a component on a cycle is identified by its
name too: renaming it is a change. Every target is hashed once per document (Tarjan's
algorithm, without recursion), so shared and nested references cost linear work;
`SpecLimits.max_hash_steps` bounds it regardless.

Documentation is not meaning and is left out: `description`, `summary`, `title`,
`$comment` (when text), `example`, `examples` and `externalDocs` - where they are keywords;
a property *named* `description` counts, because the maps whose keys are names
(`properties`, `responses`, `content`, `headers`...) are read as names. `default`, `const`,
`enum` and `x-*` values are data: hashed as they are, with no `$ref` resolved inside.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from typing import NoReturn, TypeAlias
from urllib.parse import unquote

from signoff.traceability.formats.errors import SpecError, SpecErrorCode
from signoff.traceability.formats.structured import (
    JsonValue,
    Loaded,
    SpecLimits,
    join_pointer,
    split_pointer,
)

_MAX_REF_HOPS = 32
_NAME_MAPS = frozenset(
    {
        "properties", "patternProperties", "$defs", "definitions", "dependentSchemas",
        "responses", "content", "headers", "encoding", "links", "callbacks", "variables",
        "schemas", "parameters", "requestBodies", "securitySchemes", "pathItems", "paths",
        "webhooks", "components",
    }
)  # fmt: skip
_DATA = frozenset({"default", "const", "enum", "mapping", "dependentRequired", "scopes"})
_TEXT_ANNOTATIONS = frozenset({"description", "summary", "title", "$comment"})
_DOCUMENTATION = frozenset({"example", "examples", "externalDocs"})
_SETS = frozenset({"required", "type"})


class Context(enum.Enum):
    KEYWORDS = "keywords"  # an OpenAPI or JSON Schema object: keys are keywords
    NAMES = "names"  # a map whose keys are names chosen by the author
    DATA = "data"  # example-like values, hashed as they are


# Where a value sits, as a linked list: cheap to extend, turned into a pointer only on error.
_Path: TypeAlias = "tuple[_Path, str | int] | None"


class Canonicalizer:
    """Tokens of the values of one document, sharing the work on referenced targets."""

    def __init__(self, loaded: Loaded, limits: SpecLimits) -> None:
        self.loaded = loaded
        self.root = loaded.value
        self.limits = limits
        self.steps = 0
        self.tokens: dict[str, str] = {}  # final token of each reference target, by pointer
        self.targets: dict[str, JsonValue] = {}
        self.edges: dict[str, list[str]] = {}

    def token(self, value: JsonValue, pointer: str, context: Context = Context.KEYWORDS) -> str:
        """The token of `value`, found at `pointer` in the document."""
        return self._token(value, context, path_of(pointer), frozenset())

    def follow(self, value: JsonValue, pointer: str) -> tuple[JsonValue, str]:
        """The value a chain of `$ref`s ends at, and its pointer (the value itself if none)."""
        for _ in range(_MAX_REF_HOPS):
            if not (isinstance(value, dict) and "$ref" in value):
                return value, pointer
            pointer, value = self._resolve(value["$ref"], path_of(pointer))
        raise self.error("bad_ref", f"more than {_MAX_REF_HOPS} references in a row", pointer)

    def error(self, code: SpecErrorCode, message: str, pointer: str) -> SpecError:
        return SpecError(code, message, line=self.loaded.line_of(pointer), pointer=pointer)

    def fail(self, code: SpecErrorCode, message: str, pointer: str) -> NoReturn:
        raise self.error(code, message, pointer)

    def _step(self, path: _Path) -> None:
        self.steps += 1
        if self.steps > self.limits.max_hash_steps:
            self.fail("too_complex", "references expand too far to hash", pointer_of(path))

    def _token(self, value: JsonValue, context: Context, path: _Path, cycle: frozenset[str]) -> str:
        """`cycle`: the targets hashed together with this value, written as pointers."""
        if not isinstance(value, dict | list):
            return scalar_token(value)
        self._step(path)
        if isinstance(value, list):
            items = (self._token(v, context, (path, i), cycle) for i, v in enumerate(value))
            return array_encoding(items)
        members: list[tuple[str, str]] = []
        for key, child in _children(value, context):
            child_context = _child_context(context, key, child)
            if child_context is None:
                continue
            if child_context is Context.KEYWORDS and key in _SETS and _all_scalars(child):
                # `required: [a, b]` and `type: [string, "null"]` are sets: order is layout.
                scalars = {scalar_token(item) for item in child}  # type: ignore[union-attr]
                members.append((key, array_encoding(sorted(scalars))))
            else:
                members.append((key, self._token(child, child_context, (path, key), cycle)))
        if context is not Context.KEYWORDS or "$ref" not in value:
            return object_encoding(members)
        target = self._resolve(value["$ref"], path)[0]
        if target in cycle:
            referenced = "@" + json.dumps(target)
        else:
            referenced = self.tokens.get(target) or self._hash_targets_from(target)
        if not members:
            return referenced
        return object_encoding([("$ref", referenced), ("siblings", object_encoding(members))])

    def _hash_targets_from(self, start: str) -> str:
        """Hash every target reachable from `start`, one strongly connected component at a
        time (Tarjan's algorithm, iterative: reference chains can be long), and return
        `start`'s token. Components come out after all they reference, as hashing needs."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        work: list[tuple[str, Iterator[str]]] = []

        def visit(node: str) -> None:
            index[node] = low[node] = len(index)
            stack.append(node)
            work.append((node, iter(self._edges(node))))

        visit(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor in self.tokens:
                    continue
                if successor not in index:
                    visit(successor)
                    break
                low[node] = min(low[node], index[successor])  # still on the stack
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    members = stack[stack.index(node) :]
                    del stack[stack.index(node) :]
                    self._hash_component(members)
        return self.tokens[start]

    def _hash_component(self, members: list[str]) -> None:
        if len(members) == 1 and members[0] not in self._edges(members[0]):
            (target,) = members
            self.tokens[target] = self._target_token(target, frozenset())
            return
        cycle = frozenset(members)
        hashed = [(m, self._target_token(m, cycle)) for m in members]
        component = object_encoding(hashed)
        for member in members:
            self.tokens[member] = array_encoding([component, json.dumps(member)])

    def _target_token(self, target: str, cycle: frozenset[str]) -> str:
        return self._token(self.targets[target], Context.KEYWORDS, path_of(target), cycle)

    def _edges(self, target: str) -> list[str]:
        """The targets that `target`'s value references directly (not through others)."""
        if target not in self.edges:
            found: list[str] = []
            self._collect(self.targets[target], Context.KEYWORDS, path_of(target), found)
            self.edges[target] = found
        return self.edges[target]

    def _collect(self, value: JsonValue, context: Context, path: _Path, found: list[str]) -> None:
        """The references in `value`, read the way `_token` reads it."""
        if not isinstance(value, dict | list):
            return
        self._step(path)
        if isinstance(value, list):
            for i, item in enumerate(value):
                self._collect(item, context, (path, i), found)
            return
        if context is Context.KEYWORDS and "$ref" in value:
            found.append(self._resolve(value["$ref"], path)[0])
        for key, child in _children(value, context):
            child_context = _child_context(context, key, child)
            if child_context not in (None, Context.DATA):
                self._collect(child, child_context, (path, key), found)

    def _resolve(self, ref: JsonValue, path: _Path) -> tuple[str, JsonValue]:
        """The normalized pointer and the value a local `$ref` names."""
        where = join_pointer(pointer_of(path), "$ref")
        if not isinstance(ref, str):
            self.fail("bad_ref", "$ref must be text", where)
        if not ref.startswith("#"):
            message = f"external reference {ref!r} is not supported: bundle the document first"
            self.fail("bad_ref", message, where)
        pointer = unquote(ref[1:])
        if pointer and not pointer.startswith("/"):
            self.fail("bad_ref", f"reference {ref!r} is not a JSON pointer (#/...)", where)
        target = self.root
        for segment in split_pointer(pointer):
            if isinstance(target, dict) and segment in target:
                target = target[segment]
            elif isinstance(target, list) and segment.isdigit() and int(segment) < len(target):
                target = target[int(segment)]
            else:
                self.fail("bad_ref", f"reference {ref!r} points at nothing", where)
        self.targets[pointer] = target
        return pointer, target


def _children(value: dict[str, JsonValue], context: Context) -> Iterable[tuple[str, JsonValue]]:
    if context is Context.KEYWORDS:
        return ((k, v) for k, v in value.items() if k != "$ref")
    return value.items()


def _child_context(context: Context, key: str, child: JsonValue) -> Context | None:
    """How to read `child` (at `key` in an object read as `context`); None drops it."""
    if context is not Context.KEYWORDS:
        return Context.DATA if context is Context.DATA else Context.KEYWORDS
    if key.startswith("x-") or key in _DATA:
        return Context.DATA
    if key in _DOCUMENTATION or (key in _TEXT_ANNOTATIONS and isinstance(child, str)):
        return None
    if key in _NAME_MAPS and isinstance(child, dict):
        return Context.NAMES
    return Context.KEYWORDS


def _all_scalars(value: JsonValue) -> bool:
    return isinstance(value, list) and not any(isinstance(v, dict | list) for v in value)


def scalar_token(value: JsonValue) -> str:
    if value is None or isinstance(value, bool | str):
        return json.dumps(value)  # ASCII-only, so lone surrogates hash too
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return str(int(value)) if value.is_integer() else repr(value)
    raise TypeError(f"not a scalar: {type(value).__name__}")  # pragma: no cover


def object_encoding(members: Iterable[tuple[str, str]]) -> str:
    body = ",".join(json.dumps(k) + ":" + t for k, t in sorted(members))
    return _digest("{" + body + "}")


def array_encoding(tokens: Iterable[str]) -> str:
    return _digest("[" + ",".join(tokens) + "]")


def _digest(encoding: str) -> str:
    # "#" starts no scalar's JSON text and "@" no digest, so no token passes for another.
    return "#" + hashlib.sha256(encoding.encode("ascii")).hexdigest()


def path_of(pointer: str) -> _Path:
    path: _Path = None
    for segment in split_pointer(pointer):
        path = (path, segment)
    return path


def pointer_of(path: _Path) -> str:
    segments: list[str | int] = []
    while path is not None:
        path, segment = path
        segments.append(segment)
    return join_pointer("", *reversed(segments))
