"""``signoff serve``: uvicorn, stopped gracefully.

On SIGTERM uvicorn stops listening and then closes at once every connection that has no
request in progress, including connections whose request has arrived but has not been read
yet (the event loop was busy): those clients saw their connection close without an answer
(16 to 56 of 100 in a probe). Here, instead:

1. the app starts answering every new request 503 with ``Connection: close`` and
   ``Retry-After`` (``draining``);
2. connections that completed before the signal but that the busy loop had not accepted
   yet are taken in (closing the listening socket would reset them): the kernel's accept
   queue is read until it is empty. Then the listening sockets close: no new connection is
   accepted;
3. connections are left open until each has been idle for a few turns of the loop, so a
   request that had already arrived is read and answered (503) rather than cut;
4. requests in progress finish (their connection closes after the response), within
   ``SIGNOFF_SERVER__GRACEFUL_SHUTDOWN_S``; then the app shuts down and the process exits.

With several worker processes, their metrics are shared through a directory made fresh for
each start and removed at the end (core/metrics.py); a worker that ends, however it ends,
has its live gauges (requests in flight, pool connections) struck out of the sum.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import struct
import tempfile
from collections.abc import Generator, Iterator
from typing import Any

import uvicorn
from prometheus_client.multiprocess import mark_process_dead
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.supervisors import multiprocess

from signoff.core.logging import flush_logging
from signoff.core.metrics import MULTIPROCESS_ENV, multiprocess_dir
from signoff.core.problems import send_problem

# How often the drain looks at the connections, and for how many looks in a row a
# connection must have been idle before it may be closed: long enough for the loop to read
# what has already arrived on it.
_LOOK_S = 0.05
_IDLE_LOOKS = 4


class _Draining:
    """Whether this process has begun to stop (one server per process)."""

    def __init__(self) -> None:
        self.on = False


draining = _Draining()


class DrainMiddleware:
    """While the server stops, refuse new requests with 503 and close their connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not draining.on:
            await self.app(scope, receive, send)
            return
        await send_problem(
            scope,
            receive,
            send,
            503,
            "shutting_down",
            headers={"Connection": "close", "Retry-After": "1"},
            title="The server is shutting down",
            detail="This instance is stopping; retry, another one will answer.",
        )


class DrainingServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn ends by raising the signal it caught again, which ends the process
        # without exit handlers: the log lines still queued are written first.
        with super().capture_signals():
            try:
                yield
            finally:
                flush_logging()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        draining.on = True
        # Connections the kernel has completed but the busy loop has not accepted yet would
        # be reset when the listening socket closes: take them in first (they are answered
        # 503). Counting the open connections cannot tell: a busy loop accepts them a few at
        # a time and answers each at once, so their number stays flat while the queue is
        # still long (45 of 100 were reset so). The kernel says how many wait.
        await self._empty_accept_queue(limit_s=5.0)
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        await self._answer_what_arrived()
        # uvicorn's own shutdown from here: connections still busy close after their
        # response, idle ones now; then in-flight work gets the graceful timeout.
        await super().shutdown(sockets)

    async def _empty_accept_queue(self, *, limit_s: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        waiting = _accept_queue(self.servers)
        if waiting is None:  # not Linux, or not TCP: a few turns of the loop instead
            for _ in range(_IDLE_LOOKS):
                await asyncio.sleep(_LOOK_S)
            return
        while waiting and loop.time() < deadline and not self.force_exit:
            await asyncio.sleep(_LOOK_S / 5)
            waiting = _accept_queue(self.servers) or 0
        # An accepted socket becomes a connection on a later turn of the loop.
        await asyncio.sleep(_LOOK_S)

    async def _answer_what_arrived(self) -> None:
        grace = self.config.timeout_graceful_shutdown or 0
        deadline = asyncio.get_running_loop().time() + grace
        idle: dict[Any, int] = {}
        while not self.force_exit and asyncio.get_running_loop().time() < deadline:
            fresh = False
            for connection in list(self.server_state.connections):
                cycle = getattr(connection, "cycle", None)
                if cycle is None or cycle.response_complete:
                    idle[connection] = idle.get(connection, 0) + 1
                    fresh = fresh or idle[connection] < _IDLE_LOOKS
                else:  # a request in progress: its connection closes after the response
                    idle.pop(connection, None)
                    cycle.keep_alive = False
            if not fresh:
                return
            await asyncio.sleep(_LOOK_S)


def _accept_queue(servers: list[asyncio.base_events.Server]) -> int | None:
    """How many connections the kernel has completed on the listening sockets and the loop
    has not accepted yet; None where the kernel does not say (Linux's ``TCP_INFO`` gives a
    listening socket's accept queue length as ``tcpi_unacked``)."""
    option = getattr(socket, "TCP_INFO", None)
    if option is None:
        return None
    waiting = 0
    for server in servers:
        for sock in server.sockets:
            if sock.family not in (socket.AF_INET, socket.AF_INET6):
                return None
            try:
                info = sock.getsockopt(socket.IPPROTO_TCP, option, _TCP_INFO_SIZE)
            except OSError:
                return None
            # struct tcp_info: eight one-byte fields, then rto, ato, snd_mss, rcv_mss, unacked
            waiting += struct.unpack_from("I", info, 24)[0]
    return waiting


_TCP_INFO_SIZE = 104


class _DrainingProcess(multiprocess.Process):
    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = DrainingServer(config=self.config)
        return self._server

    def join(self) -> None:
        # The supervisor joins every worker that ended: stopped, restarted or crashed.
        super().join()
        shared = multiprocess_dir()
        if self.pid is not None and shared is not None:
            mark_process_dead(self.pid, shared)  # type: ignore[no-untyped-call]


@contextlib.contextmanager
def shared_metrics() -> Iterator[str]:
    """A fresh directory for the workers' metrics, named in the environment they inherit.
    Never one left by an earlier start: its counters would be added to the new ones."""
    path = tempfile.mkdtemp(prefix="signoff-metrics-")
    os.environ[MULTIPROCESS_ENV] = path
    try:
        yield path
    finally:
        os.environ.pop(MULTIPROCESS_ENV, None)
        shutil.rmtree(path, ignore_errors=True)


def run(config: uvicorn.Config) -> None:
    """What ``uvicorn.run`` does, with the draining server in each process."""
    if config.workers > 1:
        # uvicorn's supervisor makes its worker processes' servers itself; it is given ours.
        multiprocess.Process = _DrainingProcess  # type: ignore[misc]
        with shared_metrics():
            multiprocess.Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server = DrainingServer(config=config)
    server.run()
    if not server.started:
        raise SystemExit(3)  # uvicorn's STARTUP_FAILURE
