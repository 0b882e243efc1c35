"""A real SMTP server for the tests (aiosmtpd on a free localhost port) that keeps what it receives."""

from __future__ import annotations

import email
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd handler hook
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def wait_for(self, to: str, *, timeout: float = 10.0) -> Message:
        """The newest message to ``to``, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for message in reversed(self.messages):
                    if to.lower() in str(message["To"]).lower():
                        return message
            time.sleep(0.05)
        raise AssertionError(f"no message to {to} within {timeout} s")

    def link(self, to: str, *, timeout: float = 10.0) -> str:
        """The sign-in link in the newest message to ``to``; the message is then forgotten."""
        message = self.wait_for(to, timeout=timeout)
        with self._lock:
            self.messages.remove(message)
        body = message.get_payload(decode=True)
        text = body.decode() if isinstance(body, bytes) else str(message.get_payload())
        match = re.search(r"https?://\S+/sign-in/link/\S+", text)
        assert match is not None, text
        return match.group(0)


@contextmanager
def smtp_server(port: int | None = None, kind: type[Mailbox] = Mailbox) -> Iterator[Mailbox]:
    """A server on ``port`` (a free one by default) delivering into a ``kind`` of mailbox (a subclass may refuse
    some recipients: aiosmtpd's ``handle_RCPT`` hook)."""
    port = port or free_port()
    mailbox = kind("127.0.0.1", port)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
