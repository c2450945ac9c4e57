"""Every route declares who may call it; a test walks all routes and fails on any without.

Org-scoped routes declare their ``Action`` through the orgs domain's ``requires(...)``; the
rest use ``PUBLIC`` (anyone, e.g. the token endpoint) or ``AUTHENTICATED`` (any valid
credential, e.g. ``GET /v1/me``).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends

from signoff.core.auth import CurrentPrincipal, Principal

PERMISSION_ATTRIBUTE = "__signoff_permission__"


def declare(dependency: Any, permission: str) -> Any:
    setattr(dependency, PERMISSION_ATTRIBUTE, permission)
    return dependency


async def _public() -> None:
    """Anyone may call this route."""


async def _authenticated(principal: CurrentPrincipal) -> Principal:
    return principal


PUBLIC = Depends(declare(_public, "public"))
AUTHENTICATED = Depends(declare(_authenticated, "authenticated"))
