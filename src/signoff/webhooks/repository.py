"""Every query behind the webhook routes; each takes the organization it is about."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.pagination import CursorCodec, PageRequest, keyset_page
from signoff.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery


class WebhookRepository:
    def __init__(self, session: AsyncSession, cursors: CursorCodec) -> None:
        self.session = session
        self._cursors = cursors

    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()

    async def get(
        self, org_id: uuid.UUID, webhook_id: uuid.UUID, *, for_update: bool = False
    ) -> Webhook | None:
        query = select(Webhook).where(Webhook.org_id == org_id, Webhook.id == webhook_id)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def page(self, org_id: uuid.UUID, page: PageRequest) -> tuple[list[Webhook], str | None]:
        stmt = select(Webhook).where(Webhook.org_id == org_id)
        rows, cursor = await keyset_page(
            self.session, stmt, [Webhook.id], page, self._cursors, scope=f"webhooks:{org_id}"
        )
        return [r[0] for r in rows], cursor

    async def delete(self, webhook: Webhook) -> None:
        # Deliveries and their attempts go with it (ON DELETE CASCADE).
        await self.session.execute(delete(Webhook).where(Webhook.id == webhook.id))

    async def delivery(
        self, webhook_id: uuid.UUID, delivery_id: uuid.UUID, *, for_update: bool = False
    ) -> WebhookDelivery | None:
        query = select(WebhookDelivery).where(
            WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.id == delivery_id
        )
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def deliveries(
        self, webhook_id: uuid.UUID, page: PageRequest, status: str | None
    ) -> tuple[list[WebhookDelivery], str | None]:
        stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
        if status is not None:
            stmt = stmt.where(WebhookDelivery.status == status)
        rows, cursor = await keyset_page(
            self.session,
            stmt,
            [WebhookDelivery.id],
            page,
            self._cursors,
            scope=f"deliveries:{webhook_id}:{status}",
            descending=True,
        )
        return [r[0] for r in rows], cursor

    async def attempts(
        self, delivery_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[WebhookAttempt]]:
        """The attempt logs of a page of deliveries, in one query."""
        found: dict[uuid.UUID, list[WebhookAttempt]] = defaultdict(list)
        if not delivery_ids:
            return found
        query = (
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)
        )
        for attempt in await self.session.scalars(query):
            found[attempt.delivery_id].append(attempt)
        return found
