"""The webhooks domain's long-lived parts, made once per app or worker process."""

from __future__ import annotations

from dataclasses import dataclass

from signoff.core.config import Settings, WebhookSettings
from signoff.core.security import SecretBox
from signoff.webhooks.addresses import AddressPolicy


@dataclass(frozen=True)
class WebhooksRuntime:
    settings: WebhookSettings
    # Seals signing secrets at rest; changing SIGNOFF_SECRET_KEY makes them unreadable.
    box: SecretBox
    policy: AddressPolicy

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhooksRuntime:
        return cls(
            settings=settings.webhooks,
            box=SecretBox(settings.secret_key.get_secret_value(), "webhook-secrets"),
            policy=AddressPolicy.from_cidrs(settings.webhooks.allowed_cidrs),
        )
