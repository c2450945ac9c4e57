"""What the templates domain says happened (``core.events.Event``)."""

from __future__ import annotations

from dataclasses import dataclass

from signoff.core.events import Event


@dataclass(frozen=True, kw_only=True)
class TemplateRegistered(Event):
    """A new version of an organization's template was registered."""

    TYPE = "templates.registered"

    slug: str
    version: int
