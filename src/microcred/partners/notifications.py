"""The e-mails a workflow step implies, and who receives them.

Steps return `Notification`s instead of sending mail, so the caller sends them (`send_notifications`) only after
its commit: nobody is told about something that was rolled back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from microcred.accounts import services as accounts
from microcred.errors import NotFound
from microcred.issuers import services as issuers


@dataclass(frozen=True)
class Notification:
    to: str
    subject: str
    body: str


def send_notifications(settings: Any, notifications: Sequence[Notification]) -> int:
    """Send (after the commit) what a workflow step returned; the number actually sent."""
    from microcred.accounts.mail import send_mail

    return sum(1 for n in notifications if send_mail(settings, to=n.to, subject=n.subject, body=n.body))


def _organisation_email(session: Session, organisation_id: uuid.UUID) -> list[str]:
    org = issuers.get_organisation(session, organisation_id)
    return [org.email] if org.email else []


def partner_recipients(session: Session, partner_id: uuid.UUID) -> list[str]:
    """The partner's reviewers, else the organisation's own address."""
    reviewers = [
        u.email for u in accounts.list_users(session, organisation_id=partner_id) if u.role == "partner_reviewer"
    ]
    return reviewers or _organisation_email(session, partner_id)


def issuer_recipients(session: Session, issuer_id: uuid.UUID, requested_by_id: uuid.UUID | None = None) -> list[str]:
    """Whoever asked (when still a user), else the issuer's admins and staff, else the organisation's address."""
    if requested_by_id is not None:
        try:
            return [accounts.get_user(session, requested_by_id).email]
        except NotFound:
            pass
    staff = [
        u.email
        for u in accounts.list_users(session, organisation_id=issuer_id)
        if u.role in ("org_admin", "issuer_staff")
    ]
    return staff or _organisation_email(session, issuer_id)
