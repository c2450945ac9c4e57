"""No cross-organization read or write, no role escalation, on every route of the app.

The routes are enumerated from the app itself: a route added later is attacked too, and a
route that declares no permission fails the first test.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from signoff.core.permissions import RULES, Action, Role, allowed, parse_scopes, role_for_scopes
from tests.security.walker import Endpoint, endpoints
from tests.support.identity import Actor, join, sign_in, sign_up
from tests.support.webhooks import background, create_webhook, deliveries

pytestmark = pytest.mark.requirement("REQ-011")

# Routes whose service refines the declared permission for some targets. The walker targets
# someone else, so the refined rule is what it must see (leaving is tested in tests/orgs).
REFINED = {("DELETE", "/v1/orgs/{org}/members/{user_id}"): Action.MEMBERS_MANAGE}
KNOWN_PARAMS = {
    "register",
    "item_id",
    "org",
    "user_id",
    "team",
    "key_id",
    "account_id",
    "doc",
    "section",
    "revision",
    "template",
    "link_id",
    "comment_id",
    "webhook_id",
    "delivery_id",
    "source_id",
    "invitation_id",
}


def test_every_route_declares_exactly_one_permission(app: FastAPI) -> None:
    found = list(endpoints(app))
    assert len(found) > 20
    undeclared = [f"{e.method} {e.path}" for e in found if len(e.permissions) != 1]
    assert undeclared == [], "routes without exactly one declared permission"
    for e in found:
        assert e.permissions[0] in {"public", "authenticated", *Action}, e


def test_every_path_parameter_is_known_to_the_walker(app: FastAPI) -> None:
    params = {p for e in endpoints(app) for p in re.findall(r"{(\w+)}", e.path)}
    assert params <= KNOWN_PARAMS, f"teach the walker about {params - KNOWN_PARAMS}"


@dataclass
class Victim:
    owner: Actor
    member: Actor
    org: str
    key_id: str
    account_id: str
    webhook_id: str
    delivery_id: str
    item_id: str = ""
    link_id: str = ""
    comment_id: str = ""
    source_id: str = ""
    invitation_id: str = ""

    def url(self, path: str) -> str:
        return path.format(
            org=self.org,
            user_id=self.member.user_id,
            team="t1",
            key_id=self.key_id,
            account_id=self.account_id,
            doc="DD-1",
            section="1.1",
            revision=1,
            template="backend-server",
            register="requirements",
            item_id=self.item_id,
            link_id=self.link_id,
            comment_id=self.comment_id,
            source_id=self.source_id,
            webhook_id=self.webhook_id,
            delivery_id=self.delivery_id,
            invitation_id=self.invitation_id,
        )


# Runs the outbox relay once: in the test's app here, by waiting for the server's own worker
# in tests/proof/test_access_served.py.
Relay = Callable[[], Awaitable[object]]


def relay_of(app: FastAPI) -> Relay:
    return background(app).relay.run_once


async def victim_webhook(client: httpx.AsyncClient, relay: Relay, owner: Actor) -> tuple[str, str]:
    """A subscription with a delivery in its log (its own creation event, fanned out by the
    real relay), so the delivery routes have something to attack."""
    hook = await create_webhook(client, owner, "https://hooks.example.com/victim")
    found: list[dict[str, object]] = []
    while not found:
        await relay()
        found = await deliveries(client, owner, hook["id"])
    [delivery] = found
    return hook["id"], str(delivery["id"])


async def victim_org(client: httpx.AsyncClient, relay: Relay) -> Victim:
    owner = await sign_up(client)
    org = owner.orgs[0]
    member = await join(client, owner, org, "member")
    await client.post(
        f"/v1/orgs/{org}/teams", json={"slug": "t1", "name": "T"}, headers=owner.headers
    )
    await client.put(f"/v1/orgs/{org}/teams/t1/members/{member.user_id}", headers=owner.headers)
    key = (
        await client.post(
            f"/v1/orgs/{org}/api-keys",
            json={"name": "k", "scopes": ["admin"]},
            headers=owner.headers,
        )
    ).json()
    account = (
        await client.post(
            f"/v1/orgs/{org}/service-accounts",
            json={"name": "s", "scopes": ["admin"]},
            headers=owner.headers,
        )
    ).json()
    created = await client.post(
        f"/v1/orgs/{org}/documents", json={"title": "Secret plans"}, headers=owner.headers
    )
    assert created.json()["key"] == "DD-1"
    requirement = await client.post(
        f"/v1/orgs/{org}/documents/DD-1/requirements",
        json={"requirement_id": "REQ-001", "summary": "Keep secrets"},
        headers=owner.headers,
    )
    link = await client.post(
        f"/v1/orgs/{org}/documents/DD-1/trace-links",
        json={
            "source_kind": "requirement",
            "source": "REQ-001",
            "target_kind": "section",
            "target": "1.1",
        },
        headers=owner.headers,
    )
    assert link.status_code == 201, link.text
    comment = await client.post(
        f"/v1/orgs/{org}/documents/DD-1/comments",
        json={"section": "1.1", "body": "Is this right?", "blocking": True},
        headers=owner.headers,
    )
    assert comment.status_code == 201, comment.text
    source = await client.post(
        f"/v1/orgs/{org}/inbound/sources", json={"name": "Jama"}, headers=owner.headers
    )
    assert source.status_code == 201, source.text
    invitation = await client.post(
        f"/v1/orgs/{org}/invitations",
        json={"email": "pending@example.com", "role": "member"},
        headers=owner.headers,
    )
    assert invitation.status_code == 201, invitation.text
    webhook_id, delivery_id = await victim_webhook(client, relay, owner)
    return Victim(
        owner,
        member,
        org,
        key["id"],
        account["id"],
        webhook_id,
        delivery_id,
        item_id=requirement.json()["id"],
        link_id=link.json()["id"],
        comment_id=comment.json()["id"],
        source_id=source.json()["id"],
        invitation_id=invitation.json()["id"],
    )


async def snapshot(client: httpx.AsyncClient, victim: Victim) -> dict[str, object]:
    h = victim.owner.headers
    org = victim.org
    return {
        "org": (await client.get(f"/v1/orgs/{org}", headers=h)).json(),
        "members": (await client.get(f"/v1/orgs/{org}/members", headers=h)).json(),
        "invitations": (await client.get(f"/v1/orgs/{org}/invitations", headers=h)).json(),
        "teams": (await client.get(f"/v1/orgs/{org}/teams", headers=h)).json(),
        "keys": [
            k["id"]
            for k in (await client.get(f"/v1/orgs/{org}/api-keys", headers=h)).json()["items"]
        ],
        "accounts": [
            a["id"]
            for a in (await client.get(f"/v1/orgs/{org}/service-accounts", headers=h)).json()[
                "items"
            ]
        ],
        "document": (
            await client.get(f"/v1/orgs/{org}/documents/DD-1?format=markdown", headers=h)
        ).text,
        "revisions": (
            await client.get(f"/v1/orgs/{org}/documents/DD-1/revisions", headers=h)
        ).json(),
        "templates": (await client.get(f"/v1/orgs/{org}/templates", headers=h)).json(),
        "lint_policy": (await client.get(f"/v1/orgs/{org}/lint-policy", headers=h)).json(),
        "requirements": (
            await client.get(f"/v1/orgs/{org}/documents/DD-1/requirements", headers=h)
        ).json(),
        "trace_links": (
            await client.get(f"/v1/orgs/{org}/documents/DD-1/trace-links", headers=h)
        ).json(),
        "comments": (await client.get(f"/v1/orgs/{org}/documents/DD-1/comments", headers=h)).json(),
        "reviews": (await client.get(f"/v1/orgs/{org}/documents/DD-1/reviews", headers=h)).json(),
        "approval": (await client.get(f"/v1/orgs/{org}/documents/DD-1/approval", headers=h)).json(),
        "section_owners": (await client.get(f"/v1/orgs/{org}/section-owners", headers=h)).json(),
        "review_policy": (await client.get(f"/v1/orgs/{org}/review-policy", headers=h)).json(),
        # A server's sender tries the deliveries meanwhile (tests/proof/test_access_served.py):
        # their attempts and the endpoint's circuit move on their own.
        "webhooks": [
            {k: v for k, v in hook.items() if k != "circuit"}
            for hook in (await client.get(f"/v1/orgs/{org}/webhooks", headers=h)).json()["items"]
        ],
        "inbound_sources": (await client.get(f"/v1/orgs/{org}/inbound/sources", headers=h)).json(),
        "deliveries": [
            {k: d[k] for k in ("id", "event_id", "event_type", "subject", "created_at")}
            for d in await deliveries(client, victim.owner, victim.webhook_id)
        ],
    }


def org_routes(app: FastAPI) -> list[Endpoint]:
    """Routes of an organization that its members reach with their credentials (the public
    inbound route authenticates by signature: tests/inbound)."""
    return [e for e in endpoints(app) if "{org}" in e.path and e.permissions != ("public",)]


async def call(
    client: httpx.AsyncClient, e: Endpoint, url: str, headers: dict[str, str]
) -> httpx.Response:
    body: dict[str, object] | None = {} if e.method in ("POST", "PUT", "PATCH") else None
    return await client.request(e.method, url, json=body, headers=headers | {"If-Match": "*"})


async def attackers(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    outsider = await sign_up(client)
    org = outsider.orgs[0]
    key = (
        await client.post(
            f"/v1/orgs/{org}/api-keys",
            json={"name": "k", "scopes": ["admin"]},
            headers=outsider.headers,
        )
    ).json()
    account = (
        await client.post(
            f"/v1/orgs/{org}/service-accounts",
            json={"name": "s", "scopes": ["admin"]},
            headers=outsider.headers,
        )
    ).json()
    sa_token = (
        await client.post(
            "/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": account["client_id"],
                "client_secret": account["client_secret"],
            },
        )
    ).json()["access_token"]
    return {
        "other org's owner": outsider.headers,
        "other org's admin API key": {"Authorization": f"Bearer {key['secret']}"},
        "other org's service account": {"Authorization": f"Bearer {sa_token}"},
    }


async def test_no_cross_organization_read_or_write(app: FastAPI, client: httpx.AsyncClient) -> None:
    await walk_other_organizations(client, app, relay_of(app))


async def walk_other_organizations(client: httpx.AsyncClient, app: FastAPI, relay: Relay) -> int:
    """Every organization route by another organization's owner, admin API key and service
    account: each a 404 `org_not_found`, and nothing changed. The number of calls made."""
    victim = await victim_org(client, relay)
    made = 0
    before = await snapshot(client, victim)
    for name, headers in (await attackers(client)).items():
        for e in org_routes(app):
            response = await call(client, e, victim.url(e.path), headers)
            made += 1
            assert response.status_code == 404, (name, e.method, e.path, response.text)
            assert response.json()["code"] == "org_not_found", (name, e.method, e.path)
    listed = (await client.get("/v1/orgs", headers=victim.member.headers)).json()["items"]
    assert {o["slug"] for o in listed} == set(victim.member.orgs)
    assert await snapshot(client, victim) == before
    return made


@dataclass
class Caller:
    name: str
    headers: dict[str, str]
    role: Role
    scopes: frozenset[str]
    person: bool = True  # API keys and service accounts are not people


def people_only(e: Endpoint) -> bool:
    """Routes that say they answer `person_required` (reviews, comments) refuse machines."""
    return "`person_required`" in str(e.route.responses)


async def callers(client: httpx.AsyncClient, victim: Victim) -> list[Caller]:
    org, owner = victim.org, victim.owner
    found = [Caller("owner", owner.headers, Role.OWNER, frozenset(RULES_SCOPES))]
    for role in ("admin", "member", "viewer"):
        person = await join(client, owner, org, role)
        found.append(Caller(role, person.headers, Role.parse(role), frozenset(RULES_SCOPES)))
    narrow = await sign_in(client, owner.email, scope="documents:read")
    found.append(
        Caller(
            "owner, read-only token",
            {"Authorization": f"Bearer {narrow['access_token']}"},
            Role.OWNER,
            parse_scopes("documents:read"),
        )
    )
    for scopes in (["documents:read"], ["documents:write"], ["admin"]):
        key = (
            await client.post(
                f"/v1/orgs/{org}/api-keys",
                json={"name": "k", "scopes": scopes},
                headers=owner.headers,
            )
        ).json()
        found.append(
            Caller(
                f"API key {scopes}",
                {"Authorization": f"Bearer {key['secret']}"},
                role_for_scopes(frozenset(scopes)),
                frozenset(scopes),
                person=False,
            )
        )
    account = (
        await client.post(
            f"/v1/orgs/{org}/service-accounts",
            json={"name": "s", "scopes": ["documents:write"]},
            headers=owner.headers,
        )
    ).json()
    form = {
        "grant_type": "client_credentials",
        "client_id": account["client_id"],
        "client_secret": account["client_secret"],
    }
    token = (await client.post("/v1/auth/token", data=form)).json()["access_token"]
    account_scopes = frozenset({"documents:write"})
    found.append(
        Caller(
            "service account ['documents:write']",
            {"Authorization": f"Bearer {token}"},
            role_for_scopes(account_scopes),
            account_scopes,
            person=False,
        )
    )
    return found


async def test_anonymous_callers_reach_only_public_routes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Row 9 of issue 11, the anonymous caller: every route that declares a permission other
    than `public` answers 401 with a challenge, and changes nothing."""
    await walk_anonymously(client, app, relay_of(app))


async def walk_anonymously(client: httpx.AsyncClient, app: FastAPI, relay: Relay) -> int:
    victim = await victim_org(client, relay)
    before = await snapshot(client, victim)
    guarded = [e for e in endpoints(app) if e.permissions != ("public",)]
    for e in guarded:
        response = await call(client, e, victim.url(e.path), {})
        assert response.status_code == 401, (e.method, e.path, response.status_code)
        assert response.headers["www-authenticate"].startswith("Bearer"), (e.method, e.path)
    assert len(guarded) > 50
    assert await snapshot(client, victim) == before
    return len(guarded)


RULES_SCOPES = {"documents:read", "documents:write", "reviews:write", "admin"}


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
async def test_no_role_escalation(app: FastAPI, client: httpx.AsyncClient, method: str) -> None:
    await walk_roles(client, app, relay_of(app), method)


async def walk_roles(client: httpx.AsyncClient, app: FastAPI, relay: Relay, method: str) -> int:
    """Every organization route with ``method`` by every kind of caller of the organization:
    allowed exactly when design §7.2's rules allow it. The number of calls made."""
    victim = await victim_org(client, relay)
    made = 0
    for caller in await callers(client, victim):
        for e in [e for e in org_routes(app) if e.method == method]:
            action = REFINED.get((e.method, e.path)) or Action(e.permissions[0])
            assert action in RULES
            response = await call(client, e, victim.url(e.path), caller.headers)
            made += 1
            body = (
                response.json()
                if response.content and response.headers.get("content-type", "").endswith("json")
                else None
            )
            code = body.get("code") if isinstance(body, dict) else None
            denied = response.status_code in (401, 403) or code == "org_not_found"
            expected = allowed(caller.role, caller.scopes, action)
            if expected and not caller.person and people_only(e):
                # Refused as `person_required` once the input is valid; never done.
                assert response.status_code >= 400, (caller.name, e.method, e.path)
                continue
            assert denied != expected, (caller.name, e.method, e.path, response.status_code, code)
    return made
