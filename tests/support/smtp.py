"""A real SMTP server on 127.0.0.1 (aiosmtpd, on a thread of its own), as a mail relay is.

It keeps every message it accepts, and can be told to misbehave: refuse connections
(stopped), answer 451 "try again later" to every message (busy), refuse some recipients for
good (550), or require a login.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, Literal, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.server import free_port

Mode = Literal["ok", "busy"]

# aiosmtpd narrates every command at INFO from its own thread, which may outlive a test's
# captured output ("I/O operation on closed file"); its warnings and errors still show.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Mail:
    recipients: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        return self.recipients[0]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return cast(str, part.get_content())


@dataclass
class MailServer:
    mode: Mode = "ok"
    # Recipients refused for good (550), whatever the mode.
    unknown: set[str] = field(default_factory=set)
    # (username, password) the server requires, or None: no login.
    credentials: tuple[str, str] | None = None
    received: list[Mail] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    port: int = 0
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        """Listen (again, on the same port once it has one)."""
        self.port = self.port or free_port()
        extra: dict[str, Any] = {}
        if self.credentials is not None:
            extra = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,  # loopback only: no certificate to make
            }
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **extra)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start``."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Mail]:
        with self._lock:
            return [m for m in self.received if m.to.lower() == address.lower()]

    def addressees(self) -> list[str]:
        with self._lock:
            return sorted(m.to for m in self.received)

    def duplicates(self) -> int:
        """Messages received again (the same Message-ID)."""
        with self._lock:
            counts = Counter(str(m.message["Message-ID"]) for m in self.received)
        return sum(n - 1 for n in counts.values())

    def _authenticate(
        self, _server: object, _session: object, _envelope: object, _mechanism: str, data: Any
    ) -> AuthResult:
        assert self.credentials is not None
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        ok = (login, password) == self.credentials
        if ok:
            with self._lock:
                self.logins.append(login)
        return AuthResult(success=ok, handled=False)

    def accept(self, recipients: list[str], content: bytes) -> str:
        if self.mode == "busy":
            return "451 4.3.0 Mail server busy, try again later"
        message = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.received.append(Mail(recipients, message))
        return "250 2.0.0 Message accepted for delivery"


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self._server = server

    async def handle_RCPT(
        self, _server: object, _session: object, envelope: Any, address: str, _options: object
    ) -> str:
        if address.lower() in {u.lower() for u in self._server.unknown}:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, _server: object, _session: object, envelope: Any) -> str:
        return self._server.accept(list(envelope.rcpt_tos), envelope.original_content)


@contextmanager
def running_mail_server(**options: Any) -> Iterator[MailServer]:
    server = MailServer(**options)
    server.start()
    try:
        yield server
    finally:
        server.stop()
