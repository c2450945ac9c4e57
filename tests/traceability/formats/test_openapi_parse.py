"""parse_openapi on the Parcel Tracking API, as OpenAPI 3.0 YAML and 3.1 JSON."""

from __future__ import annotations

import json
import re

import pytest

from signoff.traceability.formats import OpenApiSpec, parse_openapi

from .conftest import OPENAPI_30_YAML, OPENAPI_31_JSON

pytestmark = pytest.mark.requirement("REQ-023")

_HEX64 = re.compile(r"[0-9a-f]{64}")


@pytest.fixture(scope="module")
def spec30() -> OpenApiSpec:
    return parse_openapi(OPENAPI_30_YAML.read_bytes())


@pytest.fixture(scope="module")
def spec31() -> OpenApiSpec:
    return parse_openapi(OPENAPI_31_JSON.read_bytes())


def test_openapi_30_yaml(spec30: OpenApiSpec) -> None:
    assert (spec30.title, spec30.openapi_version, spec30.source_format) == (
        "Parcel Tracking API",
        "3.0.3",
        "yaml",
    )
    assert spec30.version == "1.10"  # written unquoted: kept as text, not the float 1.1
    assert [(o.operation_id, o.method, o.path) for o in spec30.operations] == [
        ("listParcels", "GET", "/parcels"),
        ("createParcel", "POST", "/parcels"),
        ("getParcel", "GET", "/parcels/{parcelId}"),
        ("updateParcel", "PATCH", "/parcels/{parcelId}"),
        ("cancelParcel", "DELETE", "/parcels/{parcelId}"),
        ("listTrackingEvents", "GET", "/parcels/{parcelId}/events"),
        ("recordTrackingEvent", "POST", "/parcels/{parcelId}/events"),
        ("GET /carriers", "GET", "/carriers"),
    ]
    assert all(_HEX64.fullmatch(o.content_hash) for o in spec30.operations)
    assert len({o.content_hash for o in spec30.operations}) == len(spec30.operations)


def test_operation_details(spec30: OpenApiSpec) -> None:
    create = spec30.operation("createParcel")
    assert create is not None
    assert (create.summary, create.tags, create.has_operation_id) == (
        "Register a parcel",
        ("parcels",),
        True,
    )
    assert create.pointer == "/paths/~1parcels/post"
    cancel = spec30.operation("cancelParcel")
    assert cancel is not None
    assert cancel.deprecated
    assert spec30.operation("nope") is None


def test_an_operation_without_operation_id_gets_method_and_path(spec30: OpenApiSpec) -> None:
    carriers = spec30.operation("GET /carriers")
    assert carriers is not None
    assert not carriers.has_operation_id
    assert carriers.summary == "Carriers we track"


def test_openapi_31_json(spec31: OpenApiSpec) -> None:
    assert (spec31.title, spec31.version, spec31.openapi_version, spec31.source_format) == (
        "Parcel Tracking API",
        "2.0.0",
        "3.1.0",
        "json",
    )
    ids = [o.operation_id for o in spec31.operations]
    assert ids == [
        "listParcels",
        "createParcel",
        "getParcel",
        "updateParcel",
        "cancelParcel",
        "listTrackingEvents",
        "recordTrackingEvent",
        "GET /carriers",
        "listCarrierParcels",
    ]
    assert "parcelDelivered" not in ids  # webhooks are not link targets
    events = spec31.operation("listTrackingEvents")
    assert events is not None
    # A path item that is a $ref: its operations sit in components.
    assert (events.path, events.pointer) == (
        "/parcels/{parcelId}/events",
        "/components/pathItems/TrackingEvents/get",
    )


def test_same_contract_same_hash_across_versions_and_formats(
    spec30: OpenApiSpec, spec31: OpenApiSpec
) -> None:
    # These operations mean the same in both documents, although one is YAML with anchors
    # and an example, the other JSON with a $ref'd path item.
    for operation_id in (
        "cancelParcel",
        "listTrackingEvents",
        "recordTrackingEvent",
        "GET /carriers",
    ):
        a, b = spec30.operation(operation_id), spec31.operation(operation_id)
        assert a is not None
        assert b is not None
        assert a.content_hash == b.content_hash, operation_id
    # These do not: 3.1 nullability, a callback, exclusiveMinimum, etc.
    for operation_id in ("listParcels", "createParcel", "getParcel", "updateParcel"):
        a, b = spec30.operation(operation_id), spec31.operation(operation_id)
        assert a is not None
        assert b is not None
        assert a.content_hash != b.content_hash, operation_id


@pytest.mark.parametrize(
    "content_type",
    [None, "application/json", "application/vnd.oai.openapi+json;version=3.1", "text/plain"],
)
def test_json_content_types(spec31: OpenApiSpec, content_type: str | None) -> None:
    assert parse_openapi(OPENAPI_31_JSON.read_bytes(), content_type=content_type) == spec31


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/yaml",
        "application/x-yaml",
        "text/yaml; charset=utf-8",
        "application/vnd.oai.openapi",
        "application/octet-stream",
    ],
)
def test_yaml_content_types(spec30: OpenApiSpec, content_type: str | None) -> None:
    assert parse_openapi(OPENAPI_30_YAML.read_bytes(), content_type=content_type) == spec30


def test_json_declared_as_yaml_is_read_as_yaml(spec31: OpenApiSpec) -> None:
    spec = parse_openapi(OPENAPI_31_JSON.read_bytes(), content_type="application/yaml")
    assert spec.source_format == "yaml"
    assert spec.operations == spec31.operations


def test_a_yaml_flow_mapping_must_be_declared_as_yaml() -> None:
    data = b"{openapi: 3.1.0, info: {title: Flow, version: '1'}, paths: {}}"
    spec = parse_openapi(data, content_type="application/yaml")
    assert (spec.title, spec.source_format, spec.operations) == ("Flow", "yaml", ())


def test_encodings_and_boms(spec31: OpenApiSpec) -> None:
    text = OPENAPI_31_JSON.read_text(encoding="utf-8")
    assert parse_openapi(b"\xef\xbb\xbf" + text.encode()) == spec31
    assert parse_openapi(text.encode("utf-16")).operations == spec31.operations


def test_minimal_documents() -> None:
    spec = parse_openapi(b'{"openapi": "3.1.0", "info": {"title": "T", "version": "1"}}')
    assert spec.operations == ()
    spec = parse_openapi(b"openapi: 3.0.0-rc1\ninfo: {title: T, version: 3}\npaths: {}\n")
    assert (spec.openapi_version, spec.version) == ("3.0.0-rc1", "3")
    spec = parse_openapi(
        b'{"openapi": "3.0.1", "info": {"title": "T", "version": 2.5}, "paths": {}}'
    )
    assert spec.version == "2.5"


def test_extension_keys_in_paths_are_not_paths() -> None:
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "1"},
        "paths": {
            "x-internal": {"note": "not a path"},
            "/a": {"x-owner": "team", "summary": "A", "get": {"responses": {}}},
        },
    }
    spec = parse_openapi(json.dumps(doc).encode())
    assert [o.operation_id for o in spec.operations] == ["GET /a"]
