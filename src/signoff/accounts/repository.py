"""Every query of the identity domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.accounts.models import (
    ApiKey,
    ExternalIdentity,
    KnownLoginAddress,
    ServiceAccount,
    User,
)
from signoff.core.db import upsert_into


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def user_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))

    async def users(self, ids: Sequence[uuid.UUID]) -> list[User]:
        if not ids:
            return []
        return list(await self.session.scalars(select(User).where(User.id.in_(ids))))

    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()

    async def external_identity(self, issuer: str, subject: str) -> ExternalIdentity | None:
        return await self.session.scalar(
            select(ExternalIdentity).where(
                ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject
            )
        )

    async def known_address(self, user_id: uuid.UUID, address_hash: str) -> bool:
        row = await self.session.get(KnownLoginAddress, (user_id, address_hash))
        return row is not None

    async def remember_address(self, user_id: uuid.UUID, address_hash: str, now: datetime) -> None:
        # An upsert: two first sign-ins from one address at once must both succeed.
        await self.session.execute(
            upsert_into(self.session, KnownLoginAddress)
            .values(user_id=user_id, address_hash=address_hash, last_seen_at=now)
            .on_conflict_do_update(
                index_elements=["user_id", "address_hash"], set_={"last_seen_at": now}
            )
        )

    async def api_key_by_prefix(self, prefix: str) -> ApiKey | None:
        return await self.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))

    async def api_key(self, org_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
        return await self.session.scalar(
            select(ApiKey).where(ApiKey.org_id == org_id, ApiKey.id == key_id)
        )

    async def service_account_by_client_id(self, client_id: str) -> ServiceAccount | None:
        return await self.session.scalar(
            select(ServiceAccount).where(ServiceAccount.client_id == client_id)
        )

    async def service_account(
        self, org_id: uuid.UUID, account_id: uuid.UUID
    ) -> ServiceAccount | None:
        return await self.session.scalar(
            select(ServiceAccount).where(
                ServiceAccount.org_id == org_id, ServiceAccount.id == account_id
            )
        )

    async def touch(
        self, model: type[ApiKey] | type[ServiceAccount], row_id: uuid.UUID, now: datetime
    ) -> None:
        await self.session.execute(update(model).where(model.id == row_id).values(last_used_at=now))
