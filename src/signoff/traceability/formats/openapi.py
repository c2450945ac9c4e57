"""`parse_openapi`: the operations of an OpenAPI 3.0 or 3.1 document, as trace-link targets.

An operation is identified by its `operationId`. One without an `operationId` gets the
synthetic id `METHOD path` - the method upper-case, one space, the path template exactly as
written (`GET /parcels/{parcelId}`) - which is stable as long as the path template is; an
author who renames a path parameter gets a new id, so giving operations an `operationId` is
the better practice. An `operationId` equal to another operation's (or to another's
synthetic id) is refused, as the OpenAPI specification asks.

Operations are taken from `paths` (path items may be local `$ref`s); `webhooks` and
callbacks are not link targets. `content_hash` is described in `openapi_hash`.
`diff_operations` compares two versions of a document by operation id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import NoReturn

from signoff.traceability.formats.errors import SpecError, SpecErrorCode
from signoff.traceability.formats.openapi_hash import OperationHasher, OperationSource
from signoff.traceability.formats.structured import (
    JsonValue,
    Loaded,
    SourceFormat,
    SpecLimits,
    join_pointer,
    load,
)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SUPPORTED = re.compile(r"3\.[01]\.\d+(?:-[0-9A-Za-z.-]+)?")

DEFAULT_SPEC_LIMITS = SpecLimits()


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation: `operation_id` is its link-target id (see the module docstring).

    `method` is upper-case (`GET`); `has_operation_id` is False when `operation_id` is the
    synthetic `METHOD path`; `pointer` is where the operation object sits in the document.
    """

    operation_id: str
    method: str
    path: str
    summary: str | None
    tags: tuple[str, ...]
    content_hash: str
    has_operation_id: bool = True
    deprecated: bool = False
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class OpenApiSpec:
    """An OpenAPI document: `info.title`, `info.version`, the `openapi` field, operations."""

    title: str
    version: str
    openapi_version: str
    operations: tuple[Operation, ...]
    source_format: SourceFormat = "json"

    def operation(self, operation_id: str) -> Operation | None:
        return next((o for o in self.operations if o.operation_id == operation_id), None)


@dataclass(frozen=True, slots=True)
class OperationChange:
    """An operation present in both versions whose `content_hash` differs."""

    old: Operation
    new: Operation

    @property
    def operation_id(self) -> str:
        return self.new.operation_id


@dataclass(frozen=True, slots=True)
class OperationDiff:
    """Operations by id: `added`, `changed` and `unchanged` in the new document's order,
    `removed` in the old one's. Summary or tag edits alone leave an operation unchanged."""

    added: tuple[Operation, ...]
    removed: tuple[Operation, ...]
    changed: tuple[OperationChange, ...]
    unchanged: tuple[Operation, ...]

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def parse_openapi(
    data: bytes, *, content_type: str | None = None, limits: SpecLimits = DEFAULT_SPEC_LIMITS
) -> OpenApiSpec:
    """Parse an OpenAPI 3.0.x/3.1.x document given as JSON or YAML bytes.

    `content_type` (the upload's media type, parameters allowed) picks the parser when it
    names JSON or YAML; otherwise the bytes are sniffed. Raises `SpecError` on any refusal.
    """
    loaded = load(data, content_type, limits)
    root = loaded.value
    if not isinstance(root, dict):
        raise SpecError("not_openapi", "an OpenAPI document is a JSON or YAML object", line=1)
    reader = _Reader(loaded, root, limits)
    openapi_version = reader.openapi_version()
    title, version = reader.info()
    operations = reader.operations(require_paths=openapi_version.startswith("3.0."))
    return OpenApiSpec(title, version, openapi_version, operations, loaded.source_format)


def diff_operations(old: OpenApiSpec, new: OpenApiSpec) -> OperationDiff:
    """What changed between two versions of a document, operation by operation."""
    before = {o.operation_id: o for o in old.operations}
    after = {o.operation_id for o in new.operations}
    added: list[Operation] = []
    changed: list[OperationChange] = []
    unchanged: list[Operation] = []
    for operation in new.operations:
        previous = before.get(operation.operation_id)
        if previous is None:
            added.append(operation)
        elif previous.content_hash != operation.content_hash:
            changed.append(OperationChange(previous, operation))
        else:
            unchanged.append(operation)
    removed = tuple(o for o in old.operations if o.operation_id not in after)
    return OperationDiff(tuple(added), removed, tuple(changed), tuple(unchanged))


@dataclass(slots=True)
class _Reader:
    loaded: Loaded
    root: dict[str, JsonValue]
    limits: SpecLimits

    def openapi_version(self) -> str:
        if "swagger" in self.root:
            message = (
                "Swagger / OpenAPI 2.0 is not supported: convert the document to OpenAPI 3 "
                "(for example with swagger2openapi) and upload that"
            )
            self._fail("unsupported_version", message, "/swagger")
        if "openapi" not in self.root:
            self._fail("not_openapi", "no 'openapi' field: not an OpenAPI document", "")
        value = self.root["openapi"]
        if not isinstance(value, str):
            message = "'openapi' must be a version string such as \"3.1.0\" (quote it in YAML)"
            self._fail("unsupported_version", message, "/openapi")
        if not _SUPPORTED.fullmatch(value):
            message = f"OpenAPI {value!r} is not supported: only 3.0.x and 3.1.x are"
            self._fail("unsupported_version", message, "/openapi")
        return value

    def info(self) -> tuple[str, str]:
        info = self.root.get("info")
        if not isinstance(info, dict):
            self._fail("invalid_info", "'info' must be an object with title and version", "/info")
        title = info.get("title")
        if not isinstance(title, str):
            self._fail("invalid_info", "'info.title' must be text", "/info/title")
        version = info.get("version")
        if isinstance(version, int | float) and not isinstance(version, bool):
            # Unquoted in YAML (`version: 1.10`): keep what was written, not the float 1.1.
            version = self.loaded.scalar_text("/info/version") or json.dumps(version)
        if not isinstance(version, str):
            self._fail("invalid_info", "'info.version' must be text", "/info/version")
        return title, version

    def operations(self, *, require_paths: bool) -> tuple[Operation, ...]:
        if "paths" not in self.root:
            if require_paths:
                self._fail("invalid_paths", "OpenAPI 3.0 requires 'paths'", "")
            return ()
        paths = self.root["paths"]
        if not isinstance(paths, dict):
            self._fail("invalid_paths", "'paths' must be an object", "/paths")
        hasher = OperationHasher(self.loaded, self.limits)
        result: list[Operation] = []
        seen: dict[str, Operation] = {}
        for path, item in paths.items():
            if path.startswith("x-"):
                continue
            item_pointer = join_pointer("/paths", path)
            if not path.startswith("/"):
                self._fail("invalid_paths", f"path {path!r} must start with '/'", item_pointer)
            item, item_pointer = self._path_item(hasher, item, item_pointer)
            for key, operation in item.items():
                if key not in METHODS:
                    if key.lower() in METHODS:
                        message = f"method names are lower-case: {key!r} is not an operation"
                        self._fail("invalid_paths", message, join_pointer(item_pointer, key))
                    continue
                pointer = join_pointer(item_pointer, key)
                if not isinstance(operation, dict):
                    self._fail("invalid_paths", "an operation must be an object", pointer)
                source = OperationSource(key, path, item, item_pointer, operation, pointer)
                found = self._operation(hasher, source)
                if found.operation_id in seen:
                    self._duplicate(seen[found.operation_id], found)
                seen[found.operation_id] = found
                result.append(found)
                if len(result) > self.limits.max_operations:
                    message = f"more than {self.limits.max_operations} operations"
                    self._fail("too_complex", message, pointer)
        return tuple(result)

    def _path_item(
        self, hasher: OperationHasher, item: JsonValue, pointer: str
    ) -> tuple[dict[str, JsonValue], str]:
        if isinstance(item, dict) and "$ref" in item:
            target, target_pointer = hasher.follow(item, pointer)
            if not isinstance(target, dict):
                self._fail("invalid_paths", "a path item $ref must name an object", pointer)
            # Fields beside the $ref win: the referencing document is the more specific.
            siblings = {k: v for k, v in item.items() if k != "$ref"}
            return {**target, **siblings}, target_pointer
        if not isinstance(item, dict):
            self._fail("invalid_paths", "a path item must be an object", pointer)
        return item, pointer

    def _operation(self, hasher: OperationHasher, source: OperationSource) -> Operation:
        operation, pointer = source.operation, source.pointer
        explicit = "operationId" in operation
        operation_id = operation.get("operationId")
        if explicit and not (isinstance(operation_id, str) and operation_id.strip()):
            message = "operationId must be non-empty text"
            self._fail("invalid_paths", message, pointer + "/operationId")
        if not isinstance(operation_id, str):
            operation_id = f"{source.method.upper()} {source.path}"
        tags = operation.get("tags", [])
        if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
            self._fail("invalid_paths", "tags must be a list of text", pointer + "/tags")
        summary = operation.get("summary")
        return Operation(
            operation_id=operation_id,
            method=source.method.upper(),
            path=source.path,
            summary=summary if isinstance(summary, str) else None,
            tags=tuple(str(t) for t in tags),
            content_hash=hasher.operation_hash(source),
            has_operation_id=explicit,
            deprecated=operation.get("deprecated") is True,
            pointer=pointer,
        )

    def _duplicate(self, first: Operation, second: Operation) -> None:
        where = second.pointer + ("/operationId" if second.has_operation_id else "")
        message = (
            f"operation id {second.operation_id!r} is used by both "
            f"{first.method} {first.path} and {second.method} {second.path}"
        )
        self._fail("duplicate_operation_id", message, where)

    def _fail(self, code: SpecErrorCode, message: str, pointer: str) -> NoReturn:
        raise SpecError(code, message, line=self.loaded.line_of(pointer), pointer=pointer)
