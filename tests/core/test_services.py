"""The app's services are one typed container (``core.services.Services``), and the
listeners kept in step with each revision are registered by name in a checked order."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from signoff.accounts.runtime import AccountsRuntime
from signoff.core.services import Services
from signoff.documents.rendering import RenderCache
from signoff.documents.runtime import DocumentsRuntime, Listener, RevisionListeners
from signoff.inbound.throttle import InboundThrottle
from signoff.registers.projection import Projector
from signoff.runtime.worker import Background
from signoff.traceability.links import LinkKeeper
from signoff.webhooks.runtime import WebhooksRuntime


def test_create_app_builds_one_container_with_every_domain_part(app: FastAPI) -> None:
    services = Services.of(app)
    for kind in (AccountsRuntime, WebhooksRuntime, DocumentsRuntime, InboundThrottle, Background):
        assert isinstance(services.part(kind), kind)
    documents = services.part(DocumentsRuntime)
    # Projections of the text first: the trace links and the round read what they write.
    assert documents.revision_listeners.names == ("registers", "trace_links", "review")
    assert list(documents.summaries) == ["registers"]
    assert services.authenticator is not None
    assert services.events_committed is not None


def test_a_part_the_process_was_not_built_with_is_named_when_asked_for(app: FastAPI) -> None:
    with pytest.raises(LookupError, match="RenderCache is not among"):
        Services.of(app).part(RenderCache)


def test_an_app_not_made_by_create_app_has_no_services() -> None:
    with pytest.raises(LookupError, match="create_app"):
        Services.of(FastAPI())


def test_a_listener_registered_before_one_it_reads_is_refused() -> None:
    with pytest.raises(ValueError, match="'trace_links' reads what registers writes"):
        RevisionListeners(Listener("trace_links", LinkKeeper, after=("registers",)))
    with pytest.raises(ValueError, match="'trace_links' reads what registers writes"):
        RevisionListeners(
            Listener("trace_links", LinkKeeper, after=("registers",)),
            Listener("registers", Projector),
        )


def test_a_listener_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="'registers' is registered twice"):
        RevisionListeners(Listener("registers", Projector), Listener("registers", Projector))


def test_listeners_run_in_the_order_given() -> None:
    listeners = RevisionListeners(
        Listener("registers", Projector), Listener("trace_links", LinkKeeper, after=("registers",))
    )
    assert listeners.names == ("registers", "trace_links")
    assert listeners.factories == (Projector, LinkKeeper)
