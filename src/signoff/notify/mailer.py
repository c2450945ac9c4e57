"""One sending round: the claimed notices go to the SMTP server over one connection.

Every step is bounded by ``SMTP__TIMEOUT_S``: connecting (with STARTTLS and login), each
message, the QUIT. A round so takes at most ``timeout × (batch + 2)``, within the claim's
lease (``SmtpSettings.lease_s``). A refusal of one recipient leaves the connection usable
for the next message; a lost connection fails what is left of the round, which is tried
again on the schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib
from opentelemetry.trace import Span, SpanKind

from signoff.core.clock import Clock
from signoff.core.config import SmtpSettings
from signoff.core.logging import get_logger
from signoff.core.tracecontext import NOT_TRACED, Continuation
from signoff.notify.queue import Letter, SendResult

log = get_logger("signoff.notify")


class Mailer:
    def __init__(
        self, settings: SmtpSettings, clock: Clock, spans: Continuation = NOT_TRACED
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._spans = spans
        # The Message-ID's right-hand side: the sender's domain.
        self._domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "signoff"

    async def send(self, letters: Sequence[Letter]) -> list[SendResult]:
        """Hand every letter to the server and say how each went; never raises."""
        began, attempted_at = time.perf_counter(), self._clock.now()
        client = self._client()
        try:
            async with asyncio.timeout(self._settings.timeout_s):
                await client.connect()
        except Exception as exc:
            failed = SendResult(attempted_at, _ms(began), sent=False, error=_error(exc))
            return [failed] * len(letters)
        try:
            return await self._round(client, letters)
        finally:
            await self._quit(client)

    async def _round(self, client: aiosmtplib.SMTP, letters: Sequence[Letter]) -> list[SendResult]:
        results: list[SendResult] = []
        for letter in letters:
            began, attempted_at = time.perf_counter(), self._clock.now()
            try:
                with self._span(letter):
                    async with asyncio.timeout(self._settings.timeout_s):
                        await client.send_message(self._message(letter))
                results.append(SendResult(attempted_at, _ms(began), sent=True))
            except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as exc:
                # The server answered, so the connection goes on (aiosmtplib reset it).
                permanent = _refused_for_good(exc)
                results.append(SendResult(attempted_at, _ms(began), False, _error(exc), permanent))
            except ValueError as exc:  # an address that cannot be written in an envelope
                results.append(SendResult(attempted_at, _ms(began), False, _error(exc), True))
            except Exception as exc:
                if not isinstance(exc, OSError | aiosmtplib.SMTPException):
                    log.error("notify.send_failed", notice_id=str(letter.id), exc_info=exc)
                lost = SendResult(attempted_at, _ms(began), sent=False, error=_error(exc))
                return results + [lost] * (len(letters) - len(results))
        return results

    def _span(self, letter: Letter) -> contextlib.AbstractContextManager[Span]:
        return self._spans.span(
            "email send",
            letter.traceparent,
            kind=SpanKind.PRODUCER,
            attributes={
                "signoff.event.id": str(letter.event_id),
                "signoff.event.type": letter.event_type,
                "signoff.notice.id": str(letter.id),
                "signoff.attempt": letter.attempt,
            },
        )

    async def _quit(self, client: aiosmtplib.SMTP) -> None:
        # Politely when the server is still there; the results are known either way.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._settings.timeout_s):
                await client.quit()
        client.close()

    def _client(self) -> aiosmtplib.SMTP:
        settings = self._settings
        password = settings.password.get_secret_value() if settings.password else None
        return aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            username=settings.username,
            password=password,
            use_tls=settings.tls,
            start_tls=False if settings.tls else settings.starttls,
            timeout=settings.timeout_s,
        )

    def _message(self, letter: Letter) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._settings.sender
        message["To"] = Address(letter.recipient_name, addr_spec=letter.recipient)
        message["Subject"] = letter.subject
        message["Date"] = format_datetime(self._clock.now())
        # The same id on every attempt: a copy sent twice (delivery is at least once) is
        # recognisably the same message.
        message["Message-ID"] = f"<{letter.id}@{self._domain}>"
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
        message["X-Signoff-Event"] = f"{letter.event_type}; id={letter.event_id}"
        message.set_content(letter.body)
        return message


def _refused_for_good(exc: Exception) -> bool:
    """A 5xx answer to RCPT: that mailbox does not exist or will not take mail."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(r.code >= 500 for r in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPRecipientRefused) and exc.code >= 500


def _error(exc: Exception) -> str:
    if isinstance(exc, TimeoutError) and not str(exc):
        return "TimeoutError: no answer in time"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _ms(began: float) -> float:
    return round((time.perf_counter() - began) * 1000, 2)
