"""Webhook subscriptions over HTTP: create, read, change, delete, validation, access."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from signoff.app import create_app
from signoff.core.config import Settings
from signoff.core.db import Database
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor, join, sign_up
from tests.support.webhooks import create_webhook

pytestmark = pytest.mark.requirement("REQ-024")

HOOK = "https://hooks.example.com/signoff?token=abc"


async def test_create_shows_the_secret_once(hook_client: httpx.AsyncClient, admin: Actor) -> None:
    org = admin.orgs[0]
    response = await hook_client.post(
        f"/v1/orgs/{org}/webhooks",
        json={"url": HOOK, "event_types": ["documents.*", "orgs.created"], "description": "CI"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert response.headers["Location"] == f"/v1/orgs/{org}/webhooks/{created['id']}"
    assert created["event_types"] == ["documents.*", "orgs.created"]
    assert created["active"] is True
    assert created["circuit"] == {
        "state": "closed",
        "consecutive_failures": 0,
        "opened_at": None,
        "retry_at": None,
    }
    read = await hook_client.get(f"/v1/orgs/{org}/webhooks/{created['id']}", headers=admin.headers)
    assert read.status_code == 200
    assert "secret" not in read.json()
    assert read.headers["ETag"] == response.headers["ETag"]
    listed = await hook_client.get(f"/v1/orgs/{org}/webhooks", headers=admin.headers)
    assert [w["id"] for w in listed.json()["items"]] == [created["id"]]
    assert "secret" not in listed.json()["items"][0]


async def test_creation_is_never_replayed_from_storage(
    hook_client: httpx.AsyncClient, admin: Actor
) -> None:
    # A replay would have to store the secret; the route opts out of Idempotency-Key.
    url = f"/v1/orgs/{admin.orgs[0]}/webhooks"
    headers = admin.headers | {"Idempotency-Key": "same-key"}
    first = await hook_client.post(url, json={"url": HOOK}, headers=headers)
    second = await hook_client.post(url, json={"url": HOOK}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers
    assert first.json()["secret"] != second.json()["secret"]


async def test_events_and_audit_never_hold_the_secret_or_the_query(
    hook_client: httpx.AsyncClient, admin: Actor
) -> None:
    created = await create_webhook(hook_client, admin, HOOK)
    audit = await hook_client.get(
        f"/v1/orgs/{admin.orgs[0]}/audit-events",
        params={"type": "webhooks."},
        headers=admin.headers,
    )
    entry = audit.json()["items"][0]
    assert entry["type"] == "webhooks.created"
    assert entry["data"]["url"] == "https://hooks.example.com/signoff"
    assert created["secret"] not in str(entry)


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"url": "ftp://hooks.example.com/x"}, "/url"),
        ({"url": "file:///etc/passwd"}, "/url"),
        ({"url": "not a url"}, "/url"),
        ({"url": "https://user:pw@hooks.example.com/"}, "/url"),
        ({"url": HOOK, "event_types": ["Documents.Approved"]}, "/event_types/0"),
        ({"url": HOOK, "event_types": ["*.approved"]}, "/event_types/0"),
        ({"url": HOOK, "event_types": []}, "/event_types"),
    ],
)
async def test_invalid_subscriptions_are_422(
    hook_client: httpx.AsyncClient, admin: Actor, body: dict[str, object], pointer: str
) -> None:
    response = await hook_client.post(
        f"/v1/orgs/{admin.orgs[0]}/webhooks", json=body, headers=admin.headers
    )
    problem = assert_problem(response, 422, "validation_failed")
    assert [e["pointer"] for e in problem["errors"]] == [pointer]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8080/",
        "http://10.0.0.8/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:10.0.0.1]/",
    ],
)
async def test_internal_addresses_are_refused_at_subscription(
    client: httpx.AsyncClient, url: str
) -> None:
    # The default settings allow no internal network at all.
    owner = await sign_up(client)
    response = await client.post(
        f"/v1/orgs/{owner.orgs[0]}/webhooks", json={"url": url}, headers=owner.headers
    )
    problem = assert_problem(response, 422, "webhook_url_refused")
    assert problem["errors"][0]["pointer"] == "/url"  # type: ignore[index]


async def test_update_needs_if_match_and_bumps_the_etag(
    hook_client: httpx.AsyncClient, admin: Actor
) -> None:
    created = await create_webhook(hook_client, admin, HOOK)
    url = f"/v1/orgs/{admin.orgs[0]}/webhooks/{created['id']}"
    change = {"event_types": ["reviews.*"], "active": False}
    missing = await hook_client.patch(url, json=change, headers=admin.headers)
    assert_problem(missing, 428, "precondition_required")
    etag = missing.headers["ETag"]
    stale = await hook_client.patch(url, json=change, headers=admin.headers | {"If-Match": '"x"'})
    assert_problem(stale, 412, "precondition_failed")
    done = await hook_client.patch(url, json=change, headers=admin.headers | {"If-Match": etag})
    assert done.status_code == 200, done.text
    assert done.json()["event_types"] == ["reviews.*"]
    assert done.json()["active"] is False
    assert done.json()["url"] == HOOK
    assert done.headers["ETag"] != etag
    again = await hook_client.patch(url, json=change, headers=admin.headers | {"If-Match": etag})
    assert_problem(again, 412, "precondition_failed")


async def test_update_checks_a_new_url(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    created = await create_webhook(client, owner, HOOK)
    url = f"/v1/orgs/{owner.orgs[0]}/webhooks/{created['id']}"
    etag = (await client.get(url, headers=owner.headers)).headers["ETag"]
    headers = owner.headers | {"If-Match": etag}
    refused = await client.patch(url, json={"url": "http://192.168.1.1/"}, headers=headers)
    assert_problem(refused, 422, "webhook_url_refused")
    bad = await client.patch(url, json={"url": "gopher://x.example/"}, headers=headers)
    assert_problem(bad, 422, "validation_failed")


async def test_delete(hook_client: httpx.AsyncClient, admin: Actor) -> None:
    created = await create_webhook(hook_client, admin, HOOK)
    url = f"/v1/orgs/{admin.orgs[0]}/webhooks/{created['id']}"
    assert (await hook_client.delete(url, headers=admin.headers)).status_code == 204
    assert_problem(await hook_client.get(url, headers=admin.headers), 404, "webhook_not_found")
    assert_problem(await hook_client.delete(url, headers=admin.headers), 404, "webhook_not_found")


async def test_only_admins_of_the_org_manage_webhooks(
    hook_client: httpx.AsyncClient, admin: Actor
) -> None:
    org = admin.orgs[0]
    created = await create_webhook(hook_client, admin, HOOK)
    one = f"/v1/orgs/{org}/webhooks/{created['id']}"
    member = await join(hook_client, admin, org, "member")
    helper = await join(hook_client, admin, org, "admin")
    outsider = await sign_up(hook_client)
    for path in (f"/v1/orgs/{org}/webhooks", one, one + "/deliveries"):
        denied = await hook_client.get(path, headers=member.headers)
        assert_problem(denied, 403, "insufficient_role")
        hidden = await hook_client.get(path, headers=outsider.headers)
        assert_problem(hidden, 404, "org_not_found")
        assert (await hook_client.get(path, headers=helper.headers)).status_code == 200
    other = await create_webhook(hook_client, outsider, HOOK)
    # Another organization's webhook id through one's own organization: not found.
    foreign = f"/v1/orgs/{org}/webhooks/{other['id']}"
    assert_problem(await hook_client.get(foreign, headers=admin.headers), 404, "webhook_not_found")


async def test_the_routes_are_in_the_openapi_document(settings: Settings, db: Database) -> None:
    app: FastAPI = create_app(settings, database=db)
    paths = app.openapi()["paths"]
    base = "/v1/orgs/{org}/webhooks"
    assert set(paths[base]) == {"get", "post"}
    assert set(paths[base + "/{webhook_id}"]) == {"get", "patch", "delete"}
    assert "post" in paths[base + "/{webhook_id}/rotate-secret"]
    assert "get" in paths[base + "/{webhook_id}/deliveries"]
    assert "post" in paths[base + "/{webhook_id}/deliveries/{delivery_id}/redeliver"]
