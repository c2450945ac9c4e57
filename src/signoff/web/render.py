"""Pages as HTML: one Jinja2 environment, autoescaped, and the headers every page carries."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from signoff.web.assets import Assets

TEMPLATES = Path(__file__).parent / "templates"

# No inline script or style anywhere: the pages load /ui/assets only. Document content is
# sanitized HTML (docformat.html); the policy is the second line of defence.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    # A page shows one person's view of private documents: never stored by a shared cache,
    # and not kept in the back-button cache after sign-out.
    "Cache-Control": "private, no-store",
    "Vary": "Cookie",
    # The pages' own forms then carry an Origin the CSRF check can compare; other sites
    # still learn nothing of the address.
    "Referrer-Policy": "same-origin",
}


def environment(assets: Assets) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["asset"] = assets.url
    return env


def html(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page; ``request.state.web_page`` holds what every page needs (the person,
    the CSRF token, the organization)."""
    env: jinja2.Environment = request.app.state.web_env
    base = getattr(request.state, "web_page", None) or {}
    body = env.get_template(name).render({**base, "request": request, **context})
    response = HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})
    for cookie in getattr(request.state, "web_cookies", ()):
        response.raw_headers.append((b"set-cookie", cookie.encode("latin-1")))
    return response
