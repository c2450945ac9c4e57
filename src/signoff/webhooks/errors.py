"""Errors of the webhooks domain."""

from signoff.core.errors import ConflictError, NotFoundError, UnprocessableError


class WebhookNotFound(NotFoundError):
    code = "webhook_not_found"
    title = "No such webhook"


class DeliveryNotFound(NotFoundError):
    code = "delivery_not_found"
    title = "No such delivery"


class WebhookUrlRefused(UnprocessableError):
    code = "webhook_url_refused"
    title = "Webhooks cannot be sent to this address"


class DeliveryPending(ConflictError):
    code = "delivery_pending"
    title = "The delivery is still being attempted"
