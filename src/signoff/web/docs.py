"""``/docs`` (Swagger UI) and ``/redoc``, with every script and style served by Signoff:
they work offline, and no inline script runs (the set-up code is an asset too)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from signoff.core.middleware import DOCS_CSP
from signoff.web.assets import Assets

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, title: str, scripts: list[str], styles: list[str], body: str
) -> HTMLResponse:
    assets: Assets = request.app.state.web_assets
    links = "".join(f'<link rel="stylesheet" href="{assets.url(s)}">' for s in styles)
    tags = "".join(f'<script src="{assets.url(s)}"></script>' for s in scripts)
    icon = assets.url("docs/favicon.png")
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title><link rel="icon" href="{icon}">{links}</head>'
        f"<body>{body}{tags}</body></html>"
    )
    return HTMLResponse(
        text, headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"}
    )


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return _page(
        request,
        "Signoff API",
        ["docs/swagger-ui-bundle.js", "docs-swagger.js"],
        ["docs/swagger-ui.css"],
        '<div id="swagger-ui" data-openapi="/openapi.json"></div>',
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return _page(
        request,
        "Signoff API",
        ["docs/redoc.standalone.js", "docs-redoc.js"],
        [],
        '<div id="redoc" data-openapi="/openapi.json"></div>',
    )
