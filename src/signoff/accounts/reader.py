"""What other domains may read of an account (rule 1): the shape of the users the accounts
services hand them. Orgs imports this module, never ``accounts.models``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol


class UserRef(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def email(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def disabled_at(self) -> datetime | None: ...
