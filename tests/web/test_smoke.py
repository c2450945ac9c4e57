from __future__ import annotations

import httpx

from tests.support.identity import sign_up
from tests.web.pages import Person


async def test_pages_render(client: httpx.AsyncClient, person: Person) -> None:
    ann = await sign_up(client)
    org = ann.orgs[0]
    created = await client.post(
        f"/v1/orgs/{org}/documents", json={"title": "Payments"}, headers=ann.headers
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    await person.sign_in(ann.email)
    for path in (
        f"/ui/orgs/{org}/inbox",
        f"/ui/orgs/{org}/documents",
        f"/ui/orgs/{org}/documents?q=payments",
        f"/ui/orgs/{org}/documents/new",
        f"/ui/orgs/{org}/documents/{key}",
        f"/ui/orgs/{org}/documents/{key}/review",
        f"/ui/orgs/{org}/documents/{key}/diff",
    ):
        r = await person.get(path)
        assert r.status_code == 200, (path, r.text[-3000:])
    sid = created.json()["sections"][1]["id"]
    r = await person.get(f"/ui/orgs/{org}/documents/{key}/sections/{sid}/edit")
    assert r.status_code == 200, r.text[-3000:]
    r = await person.post(f"/ui/orgs/{org}/documents/{key}/review/submission", {"message": "hi"})
    assert r.status_code == 409, r.text[-2000:]
    print(r.text[r.text.find('class="refusal"') :][:1500])
