"""The process's long-lived services, built once (``create_app``, the worker) and typed.

One ``Services`` instead of attributes on ``app.state``: what a request, the worker or the
NATS consumer reads has a type mypy checks, and a missing one fails at the place it is
read with its name. Core knows no domain, so a domain's own runtime (``AccountsRuntime``,
``DocumentsRuntime``...) is a *part*, found by its class: ``services.part(AccountsRuntime)``.
No web framework here: the worker builds one too (ADR 0023).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from signoff.core.access_cache import AccessCache
from signoff.core.clock import Clock
from signoff.core.config import Settings
from signoff.core.cpu import CpuPool
from signoff.core.db import Database
from signoff.core.events import EventListener
from signoff.core.metrics import Metrics
from signoff.core.pagination import CursorCodec

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from signoff.core.authenticator import Authenticator

T = TypeVar("T")
# A readiness check: None when ready, else what is wrong (runtime/health.py).
Check = Callable[[], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True, kw_only=True, eq=False)
class Services:
    settings: Settings
    db: Database
    clock: Clock
    metrics: Metrics
    cursors: CursorCodec
    access_cache: AccessCache
    cpu: CpuPool
    # Every recorded event is also handed to these, in its transaction (the audit log).
    event_listeners: tuple[EventListener, ...] = ()
    # Called after a commit that recorded events (wakes the in-process relay).
    events_committed: Callable[[], None] | None = None
    # None where nothing is served over HTTP (the worker): every caller is then refused.
    authenticator: Authenticator | None = None
    readiness_checks: Mapping[str, Check] = field(default_factory=dict)
    tracer_provider: TracerProvider | None = None
    parts: Mapping[type[Any], object] = field(default_factory=dict)

    def part(self, kind: type[T]) -> T:
        """The domain runtime of class ``kind`` this process was built with."""
        found = self.parts.get(kind)
        if not isinstance(found, kind):
            raise LookupError(f"{kind.__name__} is not among this process's services")
        return found

    @staticmethod
    def of(app: object) -> Services:
        """The services of an application (``create_app`` keeps them in ``app.state``)."""
        found = getattr(getattr(app, "state", None), "services", None)
        if not isinstance(found, Services):
            raise LookupError("this application was not made by signoff.app.create_app")
        return found
