"""Sending mail (SMTP, plain: meant for a local relay): one message (`send_mail`: sign-in links, an award), or many
over one connection (`MailSession`: the award mails of a batch), paced to ``settings.mail_rate_per_second``."""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from enum import StrEnum
from types import TracebackType

from microcred.errors import Unavailable
from microcred.settings import Settings

log = logging.getLogger("microcred.accounts.mail")
TIMEOUT_SECONDS = 10


def build_message(settings: Settings, *, to: str, subject: str, body: str, language: str = "en") -> EmailMessage:
    """A plain text message from the instance's sender."""
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    message["Content-Language"] = language  # after set_content, which drops every Content-* header
    return message


def send_mail(settings: Settings, *, to: str, subject: str, body: str, language: str = "en") -> bool:
    """Send a text message; False (logged, never raised) when the SMTP server cannot be reached."""
    return send_message(settings, build_message(settings, to=to, subject=subject, body=body, language=language))


def send_message(settings: Settings, message: EmailMessage) -> bool:
    """Send a message over a connection of its own; False (logged, never raised) when the server cannot be reached
    or refuses it."""
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("cannot send mail through %s:%s: %s", settings.smtp_host, settings.smtp_port, exc)
        return False
    return True


class MailUnavailable(Unavailable):
    """The SMTP server cannot be reached, or closed the connection: nothing more can be sent over it now."""


class Delivery(StrEnum):
    """What the server said of one message: ``sent`` (accepted), ``bounced`` (refused for good, a 5xx reply) or
    ``deferred`` (refused for now, a 4xx reply: try again later)."""

    SENT = "sent"
    BOUNCED = "bounced"
    DEFERRED = "deferred"


@dataclass(frozen=True)
class MailResult:
    delivery: Delivery
    reply: str = ""  # the server's reply ("550 5.1.1 <x@y>: no such user") when it was not accepted


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(message.split())}".strip()


CLOSING = 421  # "service not available, closing transmission channel"
PERMANENT = 500  # 5xx: refused for good; 4xx: for now


class Pacer:
    """At most ``rate`` sends per second (0: no limit), on an injectable clock (tests use a fake one)."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self._next: float | None = None

    def wait(self) -> None:
        """Return when the next send is allowed (at once for the first one)."""
        if not self.interval:
            return
        now = self.clock()
        if self._next is not None and now < self._next:
            self.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


class MailSession:
    """One SMTP connection for many messages, each answered with a `MailResult`::

        with MailSession(settings) as smtp:
            result = smtp.send(message)

    Opening it, or sending over a connection the server dropped, raises `MailUnavailable`; a message refused
    (a recipient, the sender or the data, 4xx or 5xx) is a result, and the connection goes on with the next."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.pacer = Pacer(settings.mail_rate_per_second, clock=clock, sleep=sleep)
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> MailSession:
        host, port = self.settings.smtp_host, self.settings.smtp_port
        try:
            self._smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(f"cannot reach the SMTP server {host}:{port}: {exc}") from None
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def _refused(self, code: int, text: bytes | str) -> MailResult:
        if code == CLOSING:
            self._smtp = None
            raise MailUnavailable(f"the SMTP server closed the connection: {_reply(code, text)}")
        return MailResult(Delivery.BOUNCED if code >= PERMANENT else Delivery.DEFERRED, _reply(code, text))

    def send(self, message: EmailMessage) -> MailResult:
        """Send one message (after waiting for its turn): accepted, bounced or deferred, with the server's reply."""
        if self._smtp is None:
            raise MailUnavailable("the SMTP connection is closed")
        self.pacer.wait()
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:  # the one recipient: {address: (code, reply)}
            code, text = next(iter(exc.recipients.values()))
            return self._refused(code, text)
        except smtplib.SMTPServerDisconnected as exc:
            self._smtp = None
            raise MailUnavailable(f"the SMTP server closed the connection: {exc}") from None
        except smtplib.SMTPResponseException as exc:  # the sender or the data refused (MAIL FROM, DATA)
            return self._refused(exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPException as exc:  # the message cannot be sent as it is (e.g. an address the server
            return MailResult(Delivery.BOUNCED, str(exc))  # cannot take): retrying would not help
        except OSError as exc:
            self._smtp = None
            raise MailUnavailable(f"the connection to the SMTP server failed: {exc}") from None
        return MailResult(Delivery.SENT)
