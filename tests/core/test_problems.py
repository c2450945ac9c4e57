"""Every error the app produces is problem+json with the right status and code."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from tests.support.fixtures import assert_problem

pytestmark = pytest.mark.requirement("REQ-002")

EVENT = {"type": "probe.done", "subject": "s"}


async def test_unknown_route_is_404_problem(probe_client: httpx.AsyncClient) -> None:
    body = assert_problem(await probe_client.get("/v1/nothing-here"), 404, "not_found")
    assert body["instance"] == "/v1/nothing-here"
    assert "/v1/nothing-here" in str(body["detail"])


async def test_trailing_slash_is_not_redirected(probe_client: httpx.AsyncClient) -> None:
    assert_problem(await probe_client.get("/health/live/"), 404, "not_found")


async def test_method_not_allowed_lists_allowed(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.delete("/health/live")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


async def test_malformed_json_is_400(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/probe/shape", content=b'{"title": "x",', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 400, "malformed_json")
    assert "not valid JSON" in str(body["detail"])


async def test_validation_errors_point_into_the_body(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/probe/shape", json={"title": "", "count": -1, "nested": {"tags": ["ok", "x"]}}
    )
    body = assert_problem(response, 422, "validation_failed")
    errors = body["errors"]
    assert isinstance(errors, list)
    pointers = {e["pointer"] for e in errors}
    assert pointers == {"/title", "/count", "/nested/tags/1"}
    assert all(e["detail"] and e["code"] for e in errors)


async def test_validation_error_never_echoes_input(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/probe/shape", json={"title": "hunter2-secret", "count": "hunter2-secret", "nested": {}}
    )
    assert_problem(response, 422, "validation_failed")
    assert "hunter2" not in response.text


async def test_query_parameter_errors_name_the_parameter(
    probe_client: httpx.AsyncClient,
) -> None:
    body = assert_problem(
        await probe_client.get("/probe/slow?seconds=-1"), 422, "validation_failed"
    )
    assert body["errors"] == [
        {
            "detail": "Input should be greater than or equal to 0",
            "code": "greater_than_equal",
            "parameter": "seconds",
            "in": "query",
        }
    ]


async def test_missing_body_is_422(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post("/probe/shape", headers={"content-type": "application/json"})
    assert_problem(response, 422, "validation_failed")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_unsupported_media_type_is_415(
    probe_client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await probe_client.post(
        "/probe/shape", content=json.dumps({"title": "t"}).encode(), headers=headers
    )
    assert_problem(response, 415, "unsupported_media_type")


async def test_json_subtypes_are_accepted(probe_client: httpx.AsyncClient) -> None:
    body = {"title": "t", "count": 1, "nested": {"tags": []}}
    response = await probe_client.post(
        "/probe/shape", content=json.dumps(body), headers={"content-type": "application/merge+json"}
    )
    assert response.status_code == 200


async def test_unhandled_exception_is_500_without_leak(
    probe_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await probe_client.post("/probe/crash", json=EVENT)
    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert body["detail"] == "An unexpected error occurred; it has been logged."
    failures = [r for r in caplog.records if r.name == "signoff.errors"]
    assert failures
    assert failures[0].exc_info is not None


async def test_domain_errors_keep_their_code(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post("/probe/fail-after-write", json=EVENT)
    body = assert_problem(response, 409, "conflict")
    assert body["detail"] == "refused after writing"


async def test_missing_credentials_is_401_with_challenge(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post("/probe/events", json=EVENT)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == 'Bearer realm="signoff"'


async def test_bad_credentials_is_401_invalid_token(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/probe/events", json=EVENT, headers={"Authorization": "Bearer nope"}
    )
    assert_problem(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_app_without_authenticator_refuses_credentials(
    client: httpx.AsyncClient,
) -> None:
    # The plain app (no identity domain wired) must not silently ignore credentials.
    response = await client.get("/health/live", headers={"Authorization": "Bearer x"})
    assert response.status_code == 200  # health routes take no credentials at all


async def test_method_not_allowed_lists_every_method_of_the_path(
    client: httpx.AsyncClient,
) -> None:
    # FastAPI makes one route per method; Allow must name the methods of all of them.
    response = await client.put("/v1/orgs/acme/documents")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, POST"
    one = await client.post("/v1/orgs/acme/documents/DD-1/sections/s1")
    assert_problem(one, 405, "method_not_allowed")
    assert one.headers["allow"] == "GET, PUT"
