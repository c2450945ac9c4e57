"""The draining server reads the kernel's accept queue before it closes the listening
socket: a connection the busy loop has not accepted yet is taken in and answered, not
reset (issue 17, item 7; the e2e drain test shows the whole)."""

from __future__ import annotations

import socket
import sys

import pytest

from signoff.runtime.serving import _accept_queue

pytestmark = pytest.mark.requirement("REQ-010")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="TCP_INFO is Linux's")
def test_the_accept_queue_counts_connections_not_yet_accepted() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    class Listening:
        sockets = (listener,)

    clients = [socket.create_connection(listener.getsockname()) for _ in range(5)]
    try:
        assert _accept_queue([Listening()]) == 5  # type: ignore[list-item]
        accepted, _ = listener.accept()
        accepted.close()
        assert _accept_queue([Listening()]) == 4  # type: ignore[list-item]
    finally:
        for client in clients:
            client.close()
        listener.close()
