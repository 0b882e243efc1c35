"""Sending one-time sign-in links by email (SMTP, plain: meant for a local relay)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from microcred.settings import Settings

log = logging.getLogger("microcred.accounts.mail")


def send_mail(settings: Settings, *, to: str, subject: str, body: str, language: str = "en") -> bool:
    """Send a text message; False (logged, never raised) when the SMTP server cannot be reached."""
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = to
    message["Subject"] = subject
    message["Content-Language"] = language
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("cannot send mail through %s:%s: %s", settings.smtp_host, settings.smtp_port, exc)
        return False
    return True
