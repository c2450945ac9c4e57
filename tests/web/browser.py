"""A real Chromium (Debian's, never a downloaded one) driving the real server, for the page
tests that need a browser: every request is checked to stay on the server's own host, every
page is checked with axe-core, and a page that breaks its CSP fails the test."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, Request, Route

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The README's pictures are refreshed on purpose (SIGNOFF_SCREENSHOTS=docs); an ordinary run
# writes its pictures under build/, so a test run leaves the work tree as it found it.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2]
    / ("docs" if os.environ.get("SIGNOFF_SCREENSHOTS") == "docs" else "build")
    / "screenshots"
)
SERIOUS = {"serious", "critical"}
_AXE = Axe()


@dataclass
class Watch:
    """What every page of the pass did wrong: foreign requests, CSP refusals, axe findings."""

    host: str
    foreign: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    violations: dict[str, list[str]] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)

    async def route(self, route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname != self.host and not request.url.startswith(
            ("data:", "blob:")
        ):
            self.foreign.append(request.url)
            await route.abort()
            return
        await route.continue_()

    async def axe(self, page: Page) -> None:
        """axe-core on the page as it is now; each kind of page once (by its route)."""
        kind = re.sub(r"[0-9a-f-]{36}|DD-\d+|org-[0-9a-z-]+|ada-[0-9a-f]+", "*", page.url)
        kind = kind.split("?")[0].split("#")[0]
        if kind in self.checked:
            return
        self.checked.add(kind)
        results = await _AXE.run(page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v.get("impact") in SERIOUS
        ]
        if bad:
            self.violations[kind] = bad


async def open_context(browser: Browser, watch: Watch, *, width: int = 1280) -> BrowserContext:
    context = await browser.new_context(viewport={"width": width, "height": 900})
    await context.route("**/*", watch.route)
    context.on(
        "console",
        lambda message: (
            watch.console.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    return context


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
