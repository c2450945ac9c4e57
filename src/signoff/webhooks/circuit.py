"""The endpoint's circuit breaker (``delivery.circuit``) kept in its columns on ``Webhook``,
so every instance shares it."""

from __future__ import annotations

from signoff.delivery.circuit import Circuit, CircuitState
from signoff.webhooks.models import Webhook

_STATES: dict[str, CircuitState] = {"closed": "closed", "open": "open", "half_open": "half_open"}


def circuit_of(webhook: Webhook) -> Circuit:
    state = _STATES[webhook.circuit_state]
    return Circuit(
        state, webhook.consecutive_failures, webhook.circuit_opened_at, webhook.circuit_retry_at
    )


def set_circuit(webhook: Webhook, circuit: Circuit) -> None:
    webhook.circuit_state = circuit.state
    webhook.consecutive_failures = circuit.failures
    webhook.circuit_opened_at = circuit.opened_at
    webhook.circuit_retry_at = circuit.retry_at
