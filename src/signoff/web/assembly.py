"""The web UI put together: assets, templates, ``/docs``, and one line per area of pages.

An area is a module in ``web/pages/`` with its ``router`` and its templates in
``web/templates/<area>/``; adding one is a line in ``AREAS``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import RedirectResponse, Response

from signoff.core.config import Settings
from signoff.web import docs
from signoff.web.assets import IMMUTABLE, PREFIX, Assets
from signoff.web.pages import (
    auth,
    documents,
    edit,
    inbox,
    oidc,
    reader,
    registers,
    review,
    settings,
)
from signoff.web.render import environment

AREAS: tuple[APIRouter, ...] = (
    auth.router,
    oidc.router,
    inbox.router,
    documents.router,
    # Before the reader: `/documents/new` is not a document.
    reader.router,
    edit.router,
    review.router,
    registers.router,
    settings.router,
)

assets_router = APIRouter(include_in_schema=False)


@assets_router.get(PREFIX + "/{digest}/{name:path}")
async def get_asset(digest: str, name: str, request: Request) -> Response:
    assets: Assets = request.app.state.web_assets
    found = assets.get(digest, name)
    if found is None:
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    return Response(
        found.body,
        media_type=found.media_type,
        headers={"Cache-Control": IMMUTABLE, "Content-Security-Policy": "default-src 'none'"},
    )


@assets_router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/ui/", status_code=307)


def install_web(app: FastAPI, settings: Settings) -> None:
    assets = Assets.bundled()
    app.state.web_assets = assets
    app.state.web_env = environment(assets)
    app.include_router(assets_router)
    if settings.api_docs:
        app.include_router(docs.router)
    for area in AREAS:
        app.include_router(area)
