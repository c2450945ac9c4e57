"""The organization settings pages: admins only (a member gets a 403, another organization
a 404), every form through the API's services, refusals beside their field, secrets shown
once."""

from __future__ import annotations

import html
import re

import httpx

from tests.support.identity import Actor, join, sign_up
from tests.web.pages import Person

PAGES = (
    "members",
    "teams",
    "section-owners",
    "api-keys",
    "webhooks",
    "templates",
    "lint-policy",
)


def settings(actor: Actor, rest: str = "") -> str:
    return f"/ui/orgs/{actor.orgs[0]}/settings{rest}"


def beside(page: httpx.Response, field: str) -> bool:
    """The refusal is next to the field: the control is marked and described by it."""
    control = re.search(rf'id="f-{re.escape(field)}"[^>]*>', page.text)
    return (
        control is not None
        and 'aria-invalid="true"' in control.group(0)
        and f'id="e-{field}"' in page.text
    )


async def test_every_settings_page_renders_for_an_admin(
    client: httpx.AsyncClient, person: Person
) -> None:
    owner = await sign_up(client)
    await person.sign_in(owner.email)
    home = await person.get(settings(owner))
    assert home.status_code == 303
    for page in PAGES:
        r = await person.get(settings(owner, f"/{page}"))
        assert r.status_code == 200, (page, r.text[-2000:])
        assert 'aria-current="page"' in r.text


async def test_a_member_gets_a_403_and_another_organization_a_404(
    client: httpx.AsyncClient, person: Person
) -> None:
    owner = await sign_up(client)
    member = await join(client, owner, owner.orgs[0], "member")
    await person.sign_in(member.email)
    for page in PAGES:
        r = await person.get(settings(owner, f"/{page}"))
        assert r.status_code == 403, page
        assert "problem" not in r.headers["content-type"]
    refused = await person.post(settings(owner, "/teams"), {"slug": "mine", "name": "Mine"})
    assert refused.status_code == 403
    stranger = await sign_up(client)
    person.client.cookies.clear()
    await person.sign_in(stranger.email)
    for page in PAGES:
        assert (await person.get(settings(owner, f"/{page}"))).status_code == 404, page


async def test_a_post_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, person: Person
) -> None:
    owner = await sign_up(client)
    await person.sign_in(owner.email)
    await person.get(settings(owner, "/teams"))
    bare = await person.client.post(settings(owner, "/teams"), data={"slug": "x", "name": "X"})
    assert bare.status_code == 403
    teams = await client.get(f"/v1/orgs/{owner.orgs[0]}/teams", headers=owner.headers)
    assert teams.json()["items"] == []


async def test_invitations_and_roles(client: httpx.AsyncClient, person: Person) -> None:
    owner = await sign_up(client)
    await person.sign_in(owner.email)
    await person.get(settings(owner, "/members"))
    bad = await person.post(
        settings(owner, "/members"), {"email": "not-an-email", "role": "member"}
    )
    assert bad.status_code == 422, bad.text[-2000:]
    assert beside(bad, "email")
    invited = await person.post(
        settings(owner, "/members"), {"email": "ada@example.com", "role": "viewer"}
    )
    assert invited.status_code == 201, invited.text[-2000:]
    token = re.search(r'<code class="secret">([^<]+)</code>', invited.text)
    assert token is not None
    again = await person.get(settings(owner, "/members"))
    assert "ada@example.com" in again.text
    assert token.group(1) not in again.text
    # The token is a real invitation: Ada accepts it and is a viewer.
    ada = await sign_up(client, "ada")
    accepted = await client.post(
        "/v1/invitations/accept", json={"token": token.group(1)}, headers=ada.headers
    )
    assert accepted.status_code == 201, accepted.text
    # A role change on the membership on screen.
    page = await person.get(settings(owner, "/members"))
    action = f"/members/{ada.user_id}/role"
    etag = re.search(rf'{action}".*?name="etag" value="([^"]+)"', page.text, re.S)
    assert etag is not None, page.text[-3000:]
    changed = await person.post(
        settings(owner, action), {"role": "member", "etag": html.unescape(etag.group(1))}
    )
    assert changed.status_code == 303, changed.text[-2000:]
    member = await client.get(
        f"/v1/orgs/{owner.orgs[0]}/members/{ada.user_id}", headers=owner.headers
    )
    assert member.json()["role"] == "member"
    # The same form again is on an old version: refused in words, nothing changed.
    stale = await person.post(
        settings(owner, action), {"role": "admin", "etag": html.unescape(etag.group(1))}
    )
    assert stale.status_code == 412
    assert 'class="refusal"' in stale.text


async def test_teams_and_section_owners(client: httpx.AsyncClient, person: Person) -> None:
    owner = await sign_up(client)
    await person.sign_in(owner.email)
    await person.get(settings(owner, "/teams"))
    bad = await person.post(settings(owner, "/teams"), {"slug": "Not A Slug", "name": "X"})
    assert bad.status_code == 422
    assert beside(bad, "slug")
    assert 'value="Not A Slug"' in bad.text
    made = await person.post(settings(owner, "/teams"), {"slug": "security", "name": "Security"})
    assert made.status_code == 303, made.text[-2000:]
    added = await person.post(
        settings(owner, "/teams/security/members"), {"user_id": str(owner.user_id)}
    )
    assert added.status_code == 303, added.text[-2000:]
    team = await client.get(f"/v1/orgs/{owner.orgs[0]}/teams/security", headers=owner.headers)
    assert team.json()["member_ids"] == [str(owner.user_id)]

    page = await person.get(settings(owner, "/section-owners"))
    etag = re.search(r'name="etag" value="([^"]+)"', page.text)
    assert etag is not None
    unknown = await person.post(
        settings(owner, "/section-owners"),
        {"rules": "7.* nobody", "etag": html.unescape(etag.group(1))},
    )
    assert unknown.status_code == 422, unknown.text[-2000:]
    assert beside(unknown, "rules")
    assert "7.* nobody" in unknown.text
    malformed = await person.post(
        settings(owner, "/section-owners"), {"rules": "7.*", "etag": html.unescape(etag.group(1))}
    )
    assert malformed.status_code == 422
    assert beside(malformed, "rules")
    saved = await person.post(
        settings(owner, "/section-owners"),
        {"rules": "7.* security\n12 security\n", "etag": html.unescape(etag.group(1))},
    )
    assert saved.status_code == 303, saved.text[-2000:]
    rules = await client.get(f"/v1/orgs/{owner.orgs[0]}/section-owners", headers=owner.headers)
    assert rules.json() == [
        {"pattern": "7.*", "team": "security"},
        {"pattern": "12", "team": "security"},
    ]


async def test_an_api_key_is_shown_once_and_works(
    client: httpx.AsyncClient, person: Person
) -> None:
    owner = await sign_up(client)
    await person.sign_in(owner.email)
    await person.get(settings(owner, "/api-keys"))
    bad = await person.post(settings(owner, "/api-keys"), {"name": ""})
    assert bad.status_code == 422
    assert beside(bad, "name")
    made = await person.client.post(
        settings(owner, "/api-keys"),
        data={"csrf_token": person.csrf, "name": "ci", "scopes": ["documents:read"]},
    )
    assert made.status_code == 201, made.text[-2000:]
    secret = re.search(r'<code class="secret">([^<]+)</code>', made.text)
    assert secret is not None
    used = await client.get(
        f"/v1/orgs/{owner.orgs[0]}/documents",
        headers={"Authorization": f"Bearer {secret.group(1)}"},
    )
    assert used.status_code == 200, used.text
    page = await person.get(settings(owner, "/api-keys"))
    assert "ci" in page.text
    assert secret.group(1) not in page.text
    [key_id] = re.findall(r"/api-keys/([0-9a-f-]{36})/revoke", page.text)
    revoked = await person.post(settings(owner, f"/api-keys/{key_id}/revoke"))
    assert revoked.status_code == 303
    again = await client.get(
        f"/v1/orgs/{owner.orgs[0]}/documents",
        headers={"Authorization": f"Bearer {secret.group(1)}"},
    )
    assert again.status_code == 401


async def test_webhooks_and_their_delivery_log(client: httpx.AsyncClient, person: Person) -> None:
    owner = await sign_up(client)
    await person.sign_in(owner.email)
    await person.get(settings(owner, "/webhooks"))
    internal = await person.post(settings(owner, "/webhooks"), {"url": "http://127.0.0.1/hook"})
    assert internal.status_code == 422, internal.text[-2000:]
    assert beside(internal, "url")
    made = await person.post(
        settings(owner, "/webhooks"),
        {"url": "https://hooks.example.com/signoff", "event_types": "documents.*"},
    )
    assert made.status_code == 201, made.text[-2000:]
    assert re.search(r'<code class="secret">[^<]+</code>', made.text)
    listed = await person.get(settings(owner, "/webhooks"))
    [hook] = re.findall(r"/settings/webhooks/([0-9a-f-]{36})\"", listed.text)
    # An event for the subscription: a delivery in its log.
    created = await client.post(
        f"/v1/orgs/{owner.orgs[0]}/documents", json={"title": "Hooks"}, headers=owner.headers
    )
    assert created.status_code == 201
    detail = await person.get(settings(owner, f"/webhooks/{hook}"))
    assert detail.status_code == 200, detail.text[-2000:]
    assert "Delivery log" in detail.text
    etag = re.search(r'name="etag" value="([^"]+)"', detail.text)
    assert etag is not None
    paused = await person.post(
        settings(owner, f"/webhooks/{hook}/active"),
        {"active": "false", "etag": html.unescape(etag.group(1))},
    )
    assert paused.status_code == 303, paused.text[-2000:]
    read = await client.get(f"/v1/orgs/{owner.orgs[0]}/webhooks/{hook}", headers=owner.headers)
    assert read.json()["active"] is False
    gone = await person.post(settings(owner, f"/webhooks/{hook}/delete"))
    assert gone.status_code == 303
    assert (await person.get(settings(owner, f"/webhooks/{hook}"))).status_code == 404


async def test_templates_and_lint_policy(client: httpx.AsyncClient, person: Person) -> None:
    owner = await sign_up(client)
    await person.sign_in(owner.email)
    await person.get(settings(owner, "/templates"))
    missing = await person.post(settings(owner, "/templates"), {"slug": "api", "name": "API"})
    assert missing.status_code == 422, missing.text[-2000:]
    assert 'id="e-file"' in missing.text
    assert 'value="api"' in missing.text

    page = await person.get(settings(owner, "/lint-policy"))
    etag = re.search(r'name="etag" value="([^"]*)"', page.text)
    assert etag is not None
    rules = re.findall(r'name="on-([^"]+)"', page.text)
    assert rules
    form: dict[str, str | list[str]] = {"csrf_token": person.csrf}
    form["etag"] = html.unescape(etag.group(1))
    form |= {f"on-{r}": "on" for r in rules[1:]}
    form["blocking"] = ["error", "warning"]
    saved = await person.client.post(settings(owner, "/lint-policy"), data=form)
    assert saved.status_code == 303, saved.text[-2000:]
    policy = await client.get(f"/v1/orgs/{owner.orgs[0]}/lint-policy", headers=owner.headers)
    assert policy.json()["disabled"] == [rules[0]]
    assert policy.json()["blocking_severities"] == ["error", "warning"]
    # The form again on the old version: refused, shown in the page.
    stale = await person.client.post(settings(owner, "/lint-policy"), data=form)
    assert stale.status_code == 412
    assert 'class="refusal"' in stale.text
