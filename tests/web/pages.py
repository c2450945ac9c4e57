"""A person at a browser, for the page tests without a browser: follows the pages' own
forms (their CSRF token included), keeps the cookies as a browser does."""

from __future__ import annotations

import re

import httpx

from tests.support.identity import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


class Person:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def get(self, path: str, **kw: object) -> httpx.Response:
        response = await self.client.get(path, **kw)  # type: ignore[arg-type]
        if 'name="csrf_token"' in response.text:
            self.csrf = csrf_of(response)
        return response

    async def post(
        self, path: str, data: dict[str, str] | None = None, **kw: object
    ) -> httpx.Response:
        form = {"csrf_token": self.csrf, **(data or {})}
        return await self.client.post(path, data=form, **kw)  # type: ignore[arg-type]

    async def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        await self.get("/ui/sign-in")
        response = await self.post("/ui/sign-in", {"email": email, "password": password})
        assert response.status_code == 303, response.text
        return response
