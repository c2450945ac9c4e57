"""A real webhook receiver on 127.0.0.1, as a customer would write one.

It verifies Standard Webhooks signatures with its own implementation of the algorithm (not
Signoff's), deduplicates by ``webhook-id``, and can be told to misbehave: refuse connections
(stopped), answer 500, answer too late, or redirect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Mode = Literal["ok", "fail", "hang", "redirect"]


def standard_webhooks_valid(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """https://www.standardwebhooks.com/ verification: any `v1,` signature may match."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in headers["webhook-signature"].split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


@dataclass
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    mode: Mode

    @property
    def envelope(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    mode: Mode = "ok"
    hang_s: float = 1.0
    delay_s: float = 0.0
    redirect_to: str = "http://127.0.0.1:9/"
    body: bytes = b"ok"
    # Answer 500 to these event ids whatever the mode (a poison event).
    failing_ids: set[str] = field(default_factory=set)
    requests: list[Received] = field(default_factory=list)
    processed: list[Received] = field(default_factory=list)
    duplicates: int = 0
    bad_signatures: int = 0
    in_flight: int = 0
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def processed_ids(self) -> list[str]:
        with self._lock:
            return [r.webhook_id for r in self.processed]

    def order_by_subject(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        with self._lock:
            for r in self.processed:
                found.setdefault(r.envelope["subject"], []).append(r.webhook_id)
        return found

    def start(self) -> None:
        """Listen (again, on the same port once it has one)."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        # A short poll: stop() waits for the serving loop to notice.
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start``."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, received: Received) -> tuple[int, bytes, dict[str, str]]:
        with self._lock:
            self.requests.append(received)
            signed = received.headers, received.body
            if not any(standard_webhooks_valid(s, *signed) for s in self.secrets):
                self.bad_signatures += 1
                return 401, b"bad signature", {}
            if received.webhook_id in self.failing_ids or received.mode == "fail":
                return 500, b"boom", {}
            if received.mode == "redirect":
                return 302, b"", {"Location": self.redirect_to}
            if any(r.webhook_id == received.webhook_id for r in self.processed):
                self.duplicates += 1
            else:
                self.processed.append(received)
        return 200, self.body, {}


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            mode = receiver.mode
            received = Received(headers.get("webhook-id", ""), headers, body, mode)
            with receiver._lock:
                receiver.in_flight += 1
            try:
                time.sleep(receiver.delay_s)
                status, payload, extra = receiver.handle(received)
                if mode == "hang":
                    time.sleep(receiver.hang_s)  # processed, but the answer comes too late
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the sender gave up (timeout): nothing to answer
            finally:
                with receiver._lock:
                    receiver.in_flight -= 1

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running_receiver(*secrets: str) -> Iterator[Receiver]:
    receiver = Receiver(secrets=list(secrets))
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
