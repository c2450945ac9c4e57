"""The one place the process's ``Services`` are built, for ``create_app`` and for the worker
alone: both then read the same typed parts (ADR 0023)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from signoff.audit.service import append as audit_append
from signoff.core.access_cache import AccessCache
from signoff.core.clock import Clock
from signoff.core.config import Settings
from signoff.core.cpu import CpuPool
from signoff.core.db import Database
from signoff.core.metrics import Metrics
from signoff.core.pagination import CursorCodec
from signoff.core.services import Check, Services
from signoff.documents.rendering import RenderCache
from signoff.documents.runtime import DocumentsRuntime, Listener, RevisionListeners
from signoff.inbound.throttle import InboundThrottle
from signoff.registers.projection import Projector
from signoff.registers.summary import register_counts
from signoff.review.keeper import ReviewKeeper
from signoff.review.metrics import ApprovalMetrics
from signoff.traceability.links import LinkKeeper

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from signoff.core.authenticator import Authenticator


def build_services(
    settings: Settings,
    db: Database,
    clock: Clock,
    metrics: Metrics,
    *,
    events_committed: Callable[[], None],
    runtimes: Sequence[object],
    authenticator: Authenticator | None = None,
    readiness_checks: dict[str, Check] | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Services:
    secret = settings.secret_key.get_secret_value()
    cursors = CursorCodec(secret)
    # Who may do what, cached per process; changes to it invalidate it when they commit.
    access_cache = AccessCache(settings.auth.access_cache_ttl_s)
    approvals = ApprovalMetrics(metrics.registry)
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        metrics=metrics,
        cursors=cursors,
        access_cache=access_cache,
        cpu=CpuPool(settings.cpu),
        # Every recorded event is also appended to the audit log, in the same transaction.
        event_listeners=(audit_append, access_cache.listener()),
        # Called when events commit: wakes the in-process relay (a no-op when it is not
        # running).
        events_committed=events_committed,
        authenticator=authenticator,
        readiness_checks=readiness_checks or {},
        tracer_provider=tracer_provider,
        parts=parts(
            *runtimes,
            approvals,
            documents_runtime(settings, cursors, approvals),
            InboundThrottle(settings.throttle, secret, settings.redis),
        ),
    )


def parts(*runtimes: object) -> dict[type[Any], object]:
    """The domains' runtimes, each found by its class (``Services.part``)."""
    return {type(runtime): runtime for runtime in runtimes}


def documents_runtime(
    settings: Settings, cursors: CursorCodec, approvals: ApprovalMetrics
) -> DocumentsRuntime:
    return DocumentsRuntime(
        RenderCache(settings.documents.render_cache_bytes),
        # Kept in step with each new revision: the registers and trace links (projections of
        # the text), then the open review round (stale approvals dismissed, completion
        # checked). Each names the listeners whose rows it reads; the order is checked.
        RevisionListeners(
            Listener("registers", Projector),
            # Trace links read the requirement rows the projector has just written.
            Listener("trace_links", LinkKeeper, after=("registers",)),
            # The round reads the blocking questions (a register).
            Listener(
                "review",
                partial(ReviewKeeper, cursors=cursors, approvals=approvals),
                after=("registers",),
            ),
        ),
        # What a document's JSON shows besides its own fields, by name.
        {"registers": register_counts},
    )
