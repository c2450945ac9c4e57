"""What other domains may read of the organizations (rule 1): the shapes of what the orgs
services hand them. Documents imports this module, never ``orgs.models``."""

from __future__ import annotations

import uuid
from typing import Protocol


class TeamRef(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...
