"""The registers, traceability and settings pages in Debian's Chromium against the real
server: axe-core on each page and on its refusal and shown-once states, keyboard-only
forms, no request off the server's host, no CSP refusal, and a 390 px phone that needs no
sideways scrolling."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.e2e.test_server import database_env
from tests.review.support import FILLED
from tests.support.identity import PASSWORD, sign_up
from tests.support.server import free_port, running, signoff_command
from tests.web.browser import ARGS, CHROMIUM, Watch, open_context
from tests.web.test_settings_pages import PAGES as SETTINGS

pytestmark = [pytest.mark.e2e]

REGISTERS = ("requirements", "decisions", "risks", "questions", "glossary")


async def _go(page: Page, url: str, watch: Watch) -> Page:
    response = await page.goto(url)
    assert response is not None
    assert response.status == 200, (url, response.status, await page.content())
    await watch.axe(page)
    return page


async def _fits_a_phone(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, (page.url, width)


async def _document(api: httpx.AsyncClient, headers: dict[str, str], org: str) -> str:
    made = await api.post(
        f"/v1/orgs/{org}/documents",
        content=FILLED.read_bytes(),
        headers=headers | {"Content-Type": "text/markdown"},
    )
    assert made.status_code == 201, made.text
    key = str(made.json()["key"])
    # A changed section: its requirement's link turns suspect.
    url = f"/v1/orgs/{org}/documents/{key}/sections/7.2"
    section = await api.get(url, headers=headers)
    changed = await api.put(
        url,
        json={"body": section.json()["body"] + "\n\nOne more rule."},
        headers=headers | {"If-Match": section.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    return key


async def test_registers_and_settings_in_a_browser(
    tmp_path: Path, server_database_url: str
) -> None:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run `python3 scripts/dev.py setup`")
    port = free_port()
    env = database_env(server_database_url, tmp_path)
    command = signoff_command("serve", "--port", str(port))
    with running(command, cwd=tmp_path, env=env, port=port) as (base, _):
        watch, states = Watch("127.0.0.1"), Watch("127.0.0.1")
        async with async_playwright() as pw, httpx.AsyncClient(base_url=base, timeout=30) as api:
            owner = await sign_up(api)
            org = owner.orgs[0]
            key = await _document(api, owner.headers, org)
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            desk = await (await open_context(browser, watch)).new_page()
            await _go(desk, base + "/ui/sign-in", watch)
            await desk.get_by_label("Email").fill(owner.email)
            await desk.get_by_label("Password").fill(PASSWORD)
            await desk.get_by_label("Password").press("Enter")
            await desk.wait_for_load_state()
            doc = f"{base}/ui/orgs/{org}/documents/{key}"
            for register in REGISTERS:
                await _go(desk, f"{doc}/registers/{register}", watch)
            # The matrix marks the suspect link; confirming it is a keyboard action.
            page = await _go(desk, f"{doc}/traceability", watch)
            await expect(page.get_by_text("1 suspect", exact=True).first).to_be_visible()
            confirm = page.get_by_role("button", name=re.compile("^Confirm"))
            await confirm.focus()
            await page.keyboard.press("Enter")
            await page.wait_for_load_state()
            await expect(page.get_by_text("No suspect link.")).to_be_visible()

            settings = f"{base}/ui/orgs/{org}/settings"
            for section in SETTINGS:
                await _go(desk, f"{settings}/{section}", watch)
            # A refusal beside its field, and the shown-once secrets, pass axe too.
            page = await _go(desk, f"{settings}/teams", watch)
            await page.get_by_label("Slug").fill("Not A Slug")
            await page.get_by_label("Name", exact=True).fill("Nope")
            await page.get_by_role("button", name="Create the team").click()
            await page.wait_for_load_state()
            await expect(page.locator("#e-slug")).to_be_visible()
            await states.axe(page)
            page = await _go(desk, f"{settings}/members", watch)
            await page.get_by_label("Email").fill("ada@example.com")
            await page.get_by_role("button", name="Invite").click()
            await page.wait_for_load_state()
            await expect(page.locator("code.secret")).to_be_visible()
            await states.axe(page)
            page = await _go(desk, f"{settings}/api-keys", watch)
            await page.locator("#f-name").fill("ci")
            await page.get_by_role("button", name="Create the key").click()
            await page.wait_for_load_state()
            await expect(page.locator("code.secret")).to_be_visible()
            await states.axe(page)

            phone = await desk.context.new_page()  # signed in as well
            await phone.set_viewport_size({"width": 390, "height": 844})
            for url in (
                f"{doc}/registers/requirements",
                f"{doc}/registers/risks",
                f"{doc}/traceability",
                f"{settings}/members",
                f"{settings}/api-keys",
                f"{settings}/lint-policy",
            ):
                await _fits_a_phone(await _go(phone, url, watch))
            await browser.close()
    assert watch.foreign == [], watch.foreign
    assert watch.violations == {}, watch.violations
    assert states.violations == {}, states.violations
    assert [m for m in watch.console if "Content Security Policy" in m] == []
    assert len(watch.checked) >= len(REGISTERS) + 1 + len(SETTINGS), watch.checked
