"""The HTTP client webhooks are sent with: addresses checked where the connection is made.

httpcore asks its network backend to connect to ``(host, port)``. ``GuardedBackend`` resolves
the name itself, refuses when *any* address it resolves to is not allowed (a name that mixes
a public and a private address is an attack, not a misconfiguration), and connects to an
address it checked. TLS and the ``Host`` header still use the name from the URL, because
httpcore does the TLS handshake (SNI, certificate check) on the stream returned here.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
from collections.abc import Iterable
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpcore
import httpx

import signoff
from signoff.webhooks.addresses import AddressPolicy, IPAddress, literal_address

USER_AGENT = f"Signoff-Webhooks/{signoff.__version__}"


class UnsafeAddress(Exception):
    """The destination is not allowed; no connection was attempted."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(
        self, policy: AddressPolicy, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._policy = policy
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port, timeout)
        refusals = [r for r in map(self._policy.refusal, addresses) if r is not None]
        if refusals:
            raise UnsafeAddress(f"refused {host}: {refusals[0]}")
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:  # try the name's next address
                last_error = exc
        assert last_error is not None
        raise last_error

    async def _resolve(
        self,
        host: str,
        port: int,
        timeout: float | None,  # noqa: ASYNC109 (httpcore's connect timeout, passed on)
    ) -> list[IPAddress]:
        literal = literal_address(host)
        if literal is not None:
            return [literal]
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        found: list[IPAddress] = []
        for info in infos:
            # Drop an IPv6 scope ("fe80::1%eth0"): the address is what the policy judges.
            address = literal_address(str(info[4][0]).split("%", 1)[0])
            if address is not None and address not in found:
                found.append(address)
        if not found:
            raise httpcore.ConnectError(f"{host} has no address")
        return found

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeAddress("webhooks never use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle takes milliseconds; one context serves every client.
    return httpx.create_ssl_context(trust_env=False)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the connection pool on a ``GuardedBackend``; no proxies (a
    proxy would make the connection, and its checks are not ours)."""

    def __init__(self, backend: GuardedBackend, *, max_connections: int) -> None:
        super().__init__(verify=_tls(), trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_tls(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
            network_backend=backend,
        )


class _NoCookies(DefaultCookiePolicy):
    """Receivers may set cookies; none is kept, so none reaches another receiver."""

    def set_ok(self, cookie: object, request: object) -> bool:
        return False


def webhook_client(
    policy: AddressPolicy,
    timeout_s: float,
    *,
    max_connections: int = 32,
    inner: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncClient:
    """An HTTP client for deliveries: guarded connections, no redirects, no cookies."""
    transport = GuardedTransport(GuardedBackend(policy, inner), max_connections=max_connections)
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        trust_env=False,
        cookies=CookieJar(policy=_NoCookies()),
        headers={"User-Agent": USER_AGENT},
    )
