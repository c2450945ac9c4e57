"""Every API route of the app, with the permission it declares."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from signoff.core.access import PERMISSION_ATTRIBUTE


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    permissions: tuple[str, ...]
    route: APIRoute


def declared(dependant: Dependant) -> list[str]:
    found = []
    call: Any = dependant.call
    if call is not None and hasattr(call, PERMISSION_ATTRIBUTE):
        found.append(getattr(call, PERMISSION_ATTRIBUTE))
    for sub in dependant.dependencies:
        found.extend(declared(sub))
    return found


def endpoints(app: FastAPI) -> Iterator[Endpoint]:
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or context.path_format is None:
            continue  # /openapi.json: FastAPI's own, public by nature
        if not route.include_in_schema:
            # The web UI's pages, /docs and the assets: no Bearer credential reaches them
            # (a browser session does); tests/web attacks them (cross-tenant, CSRF).
            continue
        for method in sorted(context.methods or route.methods or ()):
            yield Endpoint(method, context.path_format, tuple(declared(route.dependant)), route)
