"""Server-side request forgery: internal addresses are refused where the connection is made,
before any connection, unless allowed; redirects are not followed."""

from __future__ import annotations

import base64
import ipaddress
import socket
import uuid
from collections.abc import Iterable, Iterator

import httpcore
import pytest

from signoff.core.clock import FrozenClock, SystemClock
from signoff.core.db import Database
from signoff.webhooks.addresses import AddressPolicy, address_class
from signoff.webhooks.queue import AttemptResult, Job
from signoff.webhooks.sender import Sender
from signoff.webhooks.transport import webhook_client
from tests.support.identity import sign_up
from tests.support.receiver import Receiver, running_receiver
from tests.support.webhooks import LOOPBACK, deliveries, org_id, record_events
from tests.support.webhooks import subscribe_receiver as subscribe
from tests.webhooks.conftest import AppFactory
from tests.webhooks.test_delivery import deliver

pytestmark = pytest.mark.requirement("REQ-025")


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """The real network backend, noting every connection it is asked to make."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        return await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


KEY = b"k" * 32
SECRET = "whsec_" + base64.b64encode(KEY).decode()


async def attempt(
    url: str, allowed: list[str], backend: RecordingBackend, timeout_s: float = 2.0
) -> AttemptResult:
    job = Job(
        id=uuid.uuid4(),
        token=uuid.uuid4(),
        event_id=uuid.uuid4(),
        attempt=1,
        webhook_id=uuid.uuid4(),
        url=url,
        secrets=(KEY,),
        body=b"{}",
    )
    policy = AddressPolicy.from_cidrs(allowed)
    async with webhook_client(policy, timeout_s, inner=backend) as client:
        return await Sender(client, SystemClock(), timeout_s).send(job)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening loopback socket nobody accepts on: a connection attempt would queue."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


def nobody_connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


REFUSED = [
    ("127.0.0.1", "loopback"),
    ("[::1]", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("192.168.0.1", "private"),
    ("169.254.1.1", "link-local"),
    ("[fe80::1]", "link-local"),
    ("169.254.169.254", "cloud-metadata"),
    ("[fd00:ec2::254]", "cloud-metadata"),
    ("100.100.100.200", "cloud-metadata"),
    ("[fc00::1]", "unique-local"),
    ("224.0.0.1", "multicast"),
    ("[ff02::1]", "multicast"),
    ("240.0.0.1", "reserved"),
    ("0.0.0.0", "unspecified"),  # noqa: S104 (the address under test)
    ("100.64.0.1", "shared"),
    ("[::ffff:127.0.0.1]", "loopback"),  # IPv4-mapped
    ("[64:ff9b::a9fe:a9fe]", "cloud-metadata"),  # NAT64 of 169.254.169.254
]


@pytest.mark.parametrize(("host", "kind"), REFUSED)
async def test_each_internal_class_is_refused_before_connecting(host: str, kind: str) -> None:
    backend = RecordingBackend()
    result = await attempt(f"http://{host}:8080/hook", [], backend)
    assert result.kind == "refused"
    assert f"({kind})" in (result.error or "")
    assert result.status_code is None
    assert backend.connects == []


async def test_a_loopback_listener_sees_no_connection(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    for url in (f"http://127.0.0.1:{port}/", f"http://localhost:{port}/"):  # literal, and DNS
        backend = RecordingBackend()
        result = await attempt(url, [], backend)
        assert result.kind == "refused", url
        assert backend.connects == []
    assert nobody_connected(listener)
    # The same socket does see a connection when one is allowed: the check above can fail.
    allowed = await attempt(f"http://127.0.0.1:{port}/", LOOPBACK, RecordingBackend(), 0.3)
    assert allowed.kind == "timeout"
    assert not nobody_connected(listener)


async def test_the_allowlist_lets_a_network_through(receiver: Receiver) -> None:
    receiver.secrets.append(SECRET)
    backend = RecordingBackend()
    result = await attempt(receiver.url, LOOPBACK, backend)
    assert backend.connects == [("127.0.0.1", receiver.port)]
    assert result.kind == "success"
    assert result.status_code == 200
    other = await attempt(receiver.url, ["10.0.0.0/8", "::1/128"], RecordingBackend())
    assert other.kind == "refused"
    assert len(receiver.requests) == 1


async def test_redirects_are_not_followed(receiver: Receiver) -> None:
    with running_receiver(SECRET) as target:
        receiver.secrets.append(SECRET)
        receiver.mode = "redirect"
        receiver.redirect_to = target.url
        backend = RecordingBackend()
        result = await attempt(receiver.url, LOOPBACK, backend)
        assert target.requests == []
    assert result.status_code == 302
    assert result.succeeded is False
    assert result.kind == "http_error"
    assert backend.connects == [("127.0.0.1", receiver.port)]


async def test_an_address_allowed_when_subscribed_is_checked_again_when_sent(
    make_app: AppFactory, receiver: Receiver, db: Database, clock: FrozenClock
) -> None:
    # Subscribed while loopback was allowed (or while the name resolved elsewhere) ...
    async with make_app() as (_, lenient):
        admin = await sign_up(lenient)
        hook = await subscribe(lenient, admin, receiver, ["documents.*"])
        await record_events(db, clock, await org_id(lenient, admin), [("documents.created", "d")])
    # ... and sent by an instance that allows no internal network.
    async with make_app(allowed_cidrs=[]) as (strict_app, strict):
        await deliver(strict_app)
        [logged] = await deliveries(strict, admin, hook["id"])
    assert receiver.requests == []
    [attempt_] = logged["attempt_log"]
    assert attempt_["status_code"] is None
    assert "(loopback)" in attempt_["error"]
    assert logged["status"] == "pending"  # refused attempts are retried like other failures


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("192.0.0.192", "cloud-metadata"),
        ("198.18.0.1", "private"),
        ("2001:db8::1", "private"),
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ("255.255.255.255", "reserved"),
    ],
)
def test_address_classes(address: str, kind: str | None) -> None:
    assert address_class(ipaddress.ip_address(address)) == kind
