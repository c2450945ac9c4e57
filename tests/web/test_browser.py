"""The whole review through the pages, in a real Chromium against the real server process:
two people in two teams; then a conflicting edit, another organization's page, a POST
without its CSRF token, and axe-core on every page. No request may leave the server's host.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Locator, Page, async_playwright, expect

from tests.e2e.test_server import database_env
from tests.review.support import FILLED
from tests.support.identity import (
    PASSWORD,
    unique,
)
from tests.support.server import free_port, running, signoff_command
from tests.web.browser import ARGS, CHROMIUM, Watch, open_context, shot

pytestmark = [pytest.mark.e2e]


class Visitor:
    """One person's browser tab: each page it reaches is checked by the watch."""

    def __init__(self, page: Page, base: str, watch: Watch) -> None:
        self.page, self.base, self.watch = page, base, watch

    async def go(self, path: str, status: int = 200) -> Page:
        response = await self.page.goto(self.base + path)
        assert response is not None
        assert response.status == status, (path, response.status, await self.page.content())
        await self.watch.axe(self.page)
        return self.page

    async def settled(self) -> None:
        await self.page.wait_for_load_state()
        await self.watch.axe(self.page)

    async def sign_in(self, email: str) -> None:
        await self.go("/ui/sign-in")
        await self.page.get_by_label("Email").fill(email)
        await self.page.get_by_label("Password").fill(PASSWORD)
        await self.page.get_by_role("button", name="Sign in").click()
        await self.settled()


async def person(context: BrowserContext, base: str, watch: Watch) -> Visitor:
    return Visitor(await context.new_page(), base, watch)


async def _sign_up_through_the_page(ada: Visitor, name: str, slug: str) -> None:
    page = await ada.go("/ui/sign-up")
    await page.get_by_label("Your name").fill(name.title())
    await page.get_by_label("Email").fill(f"{name}@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Organization name").fill("Acme")
    await page.get_by_label("Organization short name").fill(slug)
    await page.get_by_role("button", name="Sign up").click()
    await ada.settled()
    assert "/ui/sign-in" in page.url, await page.content()
    await ada.sign_in(f"{name}@example.com")


async def _teams_and_owners(
    ada: Visitor, sam: Visitor, dee: Visitor, org: str
) -> tuple[str, str, str]:
    """Teams, members and section owners through the pages alone: sam and dee sign up (each
    with an organization of their own), ada invites them on the members page, they accept
    on the invitation page, and ada makes the teams, puts them in, and sets the owners."""
    emails, own_orgs = [], []
    for who, team in ((sam, "security"), (dee, "dba")):
        name, slug = unique(team[:3]), unique("org")
        await _sign_up_through_the_page(who, name, slug)
        email = f"{name}@example.com"
        members = await ada.go(f"/ui/orgs/{org}/settings/members")
        await members.get_by_label("Email").fill(email)
        await members.get_by_role("button", name="Invite").click()
        await ada.settled()
        token = await members.locator("code.secret").inner_text()
        accept = await who.go("/ui/invitations/accept")
        await accept.get_by_label("Invitation token").fill(token)
        await accept.get_by_role("button", name="Join the organization").click()
        await who.settled()
        assert accept.url.endswith(f"/ui/orgs/{org}/inbox"), accept.url
        teams = await ada.go(f"/ui/orgs/{org}/settings/teams")
        await teams.get_by_label("Slug").fill(team)
        await teams.get_by_label("Name", exact=True).fill(team)
        await teams.get_by_role("button", name="Create the team").click()
        await ada.settled()
        box = teams.locator(f"#team-{team}")
        await box.get_by_label(f"Add a member to {team}").select_option(
            label=f"{name.title()} ({email})"
        )
        await box.get_by_role("button", name="Add").click()
        await ada.settled()
        await expect(teams.locator(f"#team-{team}")).to_contain_text(email)
        emails.append(email)
        own_orgs.append(slug)
    owners = await ada.go(f"/ui/orgs/{org}/settings/section-owners")
    await owners.get_by_label(re.compile("^Rules, one a line")).fill("7.* security\n6.* dba\n")
    await owners.get_by_role("button", name="Save the rules").click()
    await ada.settled()
    await expect(owners.locator("tbody")).to_contain_text("security")
    return emails[0], emails[1], own_orgs[0]


async def _height(control: Locator) -> float:
    box = await control.bounding_box()
    assert box is not None
    return float(box["height"])


async def _import(ada: Visitor, org: str) -> str:
    page = await ada.go(f"/ui/orgs/{org}/documents/new")
    await page.get_by_label("Markdown file (.md)").set_input_files(str(FILLED))
    await page.get_by_role("button", name="Import").click()
    await ada.settled()
    key = re.search(r"/documents/(DD-\d+)", page.url)
    assert key is not None, page.url
    return key.group(1)


async def _edit(who: Visitor, org: str, key: str, number: str, append: str) -> None:
    page = await who.go(f"/ui/orgs/{org}/documents/{key}")
    await page.get_by_role("link", name=re.compile(rf"^Edit section {re.escape(number)}\b")).click()
    await who.settled()
    body = page.get_by_label("Markdown")
    assert await _height(body) >= 18 * 16
    await body.fill(await body.input_value() + append)
    await page.get_by_role("button", name="Save the section").click()
    await who.settled()


async def _verdict(who: Visitor, org: str, key: str, verdict: str) -> Page:
    page = await who.go(f"/ui/orgs/{org}/documents/{key}/review")
    await page.get_by_label(verdict, exact=True).check()
    await page.get_by_role("button", name="Send the verdict").click()
    await who.settled()
    return page


async def _review(ada: Visitor, sam: Visitor, dee: Visitor, org: str, key: str) -> None:
    page = await ada.go(f"/ui/orgs/{org}/documents/{key}/review")
    await page.get_by_role("button", name="Submit for review").click()
    await ada.settled()
    await expect(page.get_by_text("Round 1 opened")).to_be_visible()

    inbox = await sam.go(f"/ui/orgs/{org}/inbox")
    await expect(inbox.get_by_role("link", name=re.compile(key))).to_be_visible()
    await shot(inbox, "inbox")

    page = await sam.go(f"/ui/orgs/{org}/documents/{key}/review")
    section = page.locator("#c-section option", has_text=re.compile(r"^7\.1 "))
    await page.get_by_label("Section", exact=True).select_option(
        await section.get_attribute("value")
    )
    comment = page.get_by_label("Comment", exact=True)
    await comment.fill("Which tokens? Say how they are bound.")
    # Only the section editor is tall (at least 18rem); a comment box starts small.
    assert await _height(comment) < 18 * 16
    await page.get_by_label("Blocking: must be resolved before approval").check()
    await page.get_by_role("button", name="Open the thread").click()
    await sam.settled()
    page = await _verdict(sam, org, key, "Approve")
    await expect(page.get_by_text("blocking", exact=False).first).to_be_visible()

    # Ada answers in §7.1: the edit dismisses the security team's approval (and only it).
    await _edit(ada, org, key, "7.1", "\nTokens are bound to the client (DPoP).\n")
    page = await ada.go(f"/ui/orgs/{org}/documents/{key}/review")
    await expect(page.get_by_text("approval of revision")).to_contain_text("dismissed")
    await shot(page, "review")
    await page.get_by_role("link", name="What changed since").click()
    await ada.settled()
    await expect(page.get_by_text("Tokens are bound to the client (DPoP).")).to_be_visible()
    await shot(page, "diff")
    page = await ada.go(f"/ui/orgs/{org}/documents/{key}/review")
    await page.get_by_role("button", name="Resolve").click()
    await ada.settled()

    await _verdict(dee, org, key, "Approve")
    page = await _verdict(sam, org, key, "Approve")
    await expect(page.get_by_text("Approved as version 1.0")).to_be_visible()


async def _reader_keeps_the_approved_version(
    ada: Visitor, reader: Visitor, org: str, key: str
) -> None:
    await _edit(ada, org, key, "2.1", "\nMerchants may also poll.\n")
    head = await reader.go(f"/ui/orgs/{org}/documents/{key}")
    await expect(head.get_by_text("Merchants may also poll.")).to_be_visible()
    await expect(head.locator("h1 + .badge")).to_contain_text("1.1")
    approved = await reader.go(f"/ui/orgs/{org}/documents/{key}?version=1.0")
    await expect(approved.get_by_text("You are reading version 1.0, as approved")).to_be_visible()
    assert await approved.get_by_text("Merchants may also poll.").count() == 0
    await expect(approved.get_by_text("Tokens are bound to the client (DPoP).")).to_be_visible()
    await shot(approved, "reader")


async def _conflict(one: Visitor, two: Visitor, org: str, key: str) -> None:
    """Two tabs edit §2.1: the second save is shown both texts, and loses nothing."""
    for tab in (one, two):
        await tab.go(f"/ui/orgs/{org}/documents/{key}")
        await tab.page.get_by_role("link", name=re.compile(r"^Edit section 2\.1\b")).click()
        await tab.settled()
    await one.page.get_by_label("Markdown").fill("First tab's text.\n")
    await one.page.get_by_role("button", name="Save the section").click()
    await one.settled()
    await two.page.get_by_label("Markdown").fill("Second tab's text.\n")
    await two.page.get_by_role("button", name="Save the section").click()
    await two.settled()
    page = two.page
    await expect(page.get_by_text("Someone else saved this section")).to_be_visible()
    assert (
        await page.get_by_label("Their text (saved)").input_value()
    ).strip() == "First tab's text."
    assert (
        await page.get_by_label("Your text (not saved yet)").input_value() == "Second tab's text.\n"
    )
    await page.get_by_role("button", name="Save the section").click()  # the merge: keep mine
    await two.settled()
    await expect(page.get_by_text("Second tab's text.")).to_be_visible()


async def _refusals(ada: Visitor, sam_org: str, org: str) -> None:
    await ada.go(f"/ui/orgs/{sam_org}/documents", status=404)
    await ada.go(f"/ui/orgs/{org}/documents/DD-999", status=404)
    forged = await ada.page.request.post(ada.base + "/ui/sign-out", form={"x": "y"})
    assert forged.status == 403
    still = await ada.go(f"/ui/orgs/{org}/inbox")
    await expect(still.get_by_role("heading", name="Inbox")).to_be_visible()


async def test_a_whole_review_through_the_pages(tmp_path: Path, server_database_url: str) -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            "Chromium is missing: run `python3 scripts/dev.py setup` (apt-get install chromium)"
        )
    port = free_port()
    env = database_env(server_database_url, tmp_path)
    with running(
        signoff_command("serve", "--port", str(port)), cwd=tmp_path, env=env, port=port
    ) as (base, _):
        watch = Watch("127.0.0.1")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            contexts = [await open_context(browser, watch) for _ in range(3)]
            phone = await open_context(browser, watch, width=390)
            ada, sam, dee = [await person(c, base, watch) for c in contexts]
            name, org = unique("ada"), unique("acme")
            await _sign_up_through_the_page(ada, name, org)
            sam_email, dee_email, sam_org = await _teams_and_owners(ada, sam, dee, org)
            await sam.sign_in(sam_email)
            await dee.sign_in(dee_email)
            key = await _import(ada, org)
            await _review(ada, sam, dee, org, key)
            reader = await person(phone, base, watch)
            await reader.sign_in(dee_email)
            await _reader_keeps_the_approved_version(ada, reader, org, key)
            await _conflict(ada, await person(contexts[0], base, watch), org, key)
            await _refusals(ada, sam_org, org)
            for path in ("/docs", "/redoc"):
                page = await ada.page.context.new_page()
                await page.goto(base + path)
                await page.wait_for_load_state("networkidle")
            await ada.go(f"/ui/orgs/{org}/documents?q=DPoP")
            await browser.close()
    assert watch.foreign == [], watch.foreign
    assert watch.violations == {}, watch.violations
    assert [m for m in watch.console if "Content Security Policy" in m] == []
    assert len(watch.checked) >= 9, watch.checked
