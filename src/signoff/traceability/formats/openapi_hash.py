"""Content hashes of OpenAPI operations: they change with the contract, not with the layout.

What an operation's hash covers (SHA-256, hex, salted with `signoff-openapi-operation-v1`):

- the method and the path template as written;
- its parameters, path-level ones included: an operation-level parameter replaces the
  path-level one with the same `in` and `name`; their order does not count;
- everything else in the operation object (`requestBody`, `responses`, `callbacks`,
  `deprecated`, `x-*` extensions...) except `operationId` and `tags`;
- its effective security: the operation's `security` if it has one (`[]` included), else the
  document's; each scheme by its definition in `components.securitySchemes`, not by its
  name, with its scopes; alternatives and scopes are sets;
- its `servers`, or its path item's (the document's own `servers` are where it is deployed,
  not what it means, and are left out).

Values are compared in canonical form (`canonical`): key order, whitespace, documentation
(`description`, `summary`, `example`...), `$ref` versus inline and component names do not
count; everything else does, down through every referenced component.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from signoff.traceability.formats.canonical import (
    Canonicalizer,
    array_encoding,
    object_encoding,
    scalar_token,
)
from signoff.traceability.formats.structured import JsonValue, Loaded, SpecLimits, join_pointer

_VERSION = "signoff-openapi-operation-v1"

_NOT_HASHED_IN_OPERATION = frozenset({"operationId", "tags", "parameters", "security", "servers"})


@dataclass(frozen=True, slots=True)
class OperationSource:
    """What `OperationHasher.operation_hash` needs to know about one operation."""

    method: str
    path: str
    path_item: dict[str, JsonValue]
    path_item_pointer: str
    operation: dict[str, JsonValue]
    pointer: str


class OperationHasher:
    """Hashes the operations of one document, sharing the work on its components."""

    def __init__(self, loaded: Loaded, limits: SpecLimits) -> None:
        self.canonical = Canonicalizer(loaded, limits)
        self.root = loaded.value

    def follow(self, value: JsonValue, pointer: str) -> tuple[JsonValue, str]:
        """The value a chain of `$ref`s ends at, and its pointer (the value itself if none)."""
        return self.canonical.follow(value, pointer)

    def operation_hash(self, source: OperationSource) -> str:
        try:
            parts = {
                "method": scalar_token(source.method.lower()),
                "path": scalar_token(source.path),
                "operation": self._operation_body(source),
                "parameters": self._parameters(source),
                "security": self._security(source),
                "servers": self._servers(source),
            }
        except RecursionError:  # pragma: no cover - depth is bounded when the document loads
            self.canonical.fail("too_complex", "the operation nests too deeply", source.pointer)
        payload = f"{_VERSION}\n{object_encoding(parts.items())}"
        return hashlib.sha256(payload.encode("ascii")).hexdigest()

    def _operation_body(self, source: OperationSource) -> str:
        body = {k: v for k, v in source.operation.items() if k not in _NOT_HASHED_IN_OPERATION}
        return self.canonical.token(body, source.pointer)

    def _parameters(self, source: OperationSource) -> str:
        by_key: dict[str, str] = {}
        levels = ((source.path_item, source.path_item_pointer), (source.operation, source.pointer))
        for owner, owner_pointer in levels:
            if "parameters" not in owner:
                continue
            items = owner["parameters"]
            pointer = join_pointer(owner_pointer, "parameters")
            if not isinstance(items, list):
                self.canonical.fail("invalid_paths", "parameters must be a list", pointer)
            for index, item in enumerate(items):
                item_pointer = join_pointer(pointer, index)
                target, _ = self.follow(item, item_pointer)
                name = target.get("name") if isinstance(target, dict) else None
                where = target.get("in") if isinstance(target, dict) else None
                if not (isinstance(name, str) and isinstance(where, str)):
                    message = "a parameter must be an object with text 'name' and 'in'"
                    self.canonical.fail("invalid_paths", message, item_pointer)
                by_key[f"{where} {name}"] = self.canonical.token(item, item_pointer)
        return object_encoding(by_key.items())

    def _security(self, source: OperationSource) -> str:
        if "security" in source.operation:
            requirements, pointer = source.operation["security"], source.pointer + "/security"
        elif isinstance(self.root, dict) and "security" in self.root:
            requirements, pointer = self.root["security"], "/security"
        else:
            requirements, pointer = [], ""  # none declared: nothing required, like `[]`
        if not isinstance(requirements, list):
            message = "security must be a list of requirements"
            self.canonical.fail("invalid_security", message, pointer)
        alternatives = {
            self._requirement(r, join_pointer(pointer, i)) for i, r in enumerate(requirements)
        }
        return array_encoding(sorted(alternatives))

    def _requirement(self, requirement: JsonValue, pointer: str) -> str:
        if not isinstance(requirement, dict):
            message = "a security requirement must be an object"
            self.canonical.fail("invalid_security", message, pointer)
        schemes = self._security_schemes()
        entries: list[str] = []
        for name, scopes in requirement.items():
            if not (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)):
                message = f"scopes of security scheme {name!r} must be a list of text"
                self.canonical.fail("invalid_security", message, join_pointer(pointer, name))
            if name not in schemes:
                message = f"security scheme {name!r} is not defined in components.securitySchemes"
                self.canonical.fail("bad_ref", message, join_pointer(pointer, name))
            scheme_pointer = join_pointer("/components/securitySchemes", name)
            scheme = self.canonical.token(schemes[name], scheme_pointer)
            scope_tokens = [scalar_token(s) for s in sorted(set(map(str, scopes)))]
            scopes_token = array_encoding(scope_tokens)
            entries.append(object_encoding([("scheme", scheme), ("scopes", scopes_token)]))
        return array_encoding(sorted(entries))

    def _security_schemes(self) -> dict[str, JsonValue]:
        root = self.root if isinstance(self.root, dict) else {}
        components = root.get("components")
        schemes = components.get("securitySchemes") if isinstance(components, dict) else None
        return schemes if isinstance(schemes, dict) else {}

    def _servers(self, source: OperationSource) -> str:
        owners = ((source.operation, source.pointer), (source.path_item, source.path_item_pointer))
        for owner, pointer in owners:
            if "servers" in owner:
                servers_pointer = join_pointer(pointer, "servers")
                return self.canonical.token(owner["servers"], servers_pointer)
        return "null"
