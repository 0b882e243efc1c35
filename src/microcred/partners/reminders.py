"""Reminders to issuers whose achievements' relevance review is due: one per achievement and due date, however
often `send_reminders` runs (each is recorded in the relevance reminder table)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.partners.common import day
from microcred.partners.models import RelevanceReminder
from microcred.partners.notifications import Notification, issuer_recipients
from microcred.partners.relevance import Relevance, relevance_report
from microcred.urls import endorsements_console_url


def _already_reminded(session: Session, item: Relevance, due_on: str) -> bool:
    exists = session.scalars(
        select(RelevanceReminder).where(
            RelevanceReminder.achievement_id == item.achievement_id, RelevanceReminder.due_on == due_on
        )
    ).first()
    return exists is not None


def _remind(session: Session, item: Relevance, due_on: str, base_url: str) -> list[Notification]:
    """Record the reminder for this due date (audited) and return its e-mails to the issuer."""
    recipients = issuer_recipients(session, item.issuer_id)
    session.add(RelevanceReminder(achievement_id=item.achievement_id, due_on=due_on, recipients=len(recipients)))
    session.flush()
    audit.record(
        session,
        "relevance.reminder_sent",
        f"achievement:{item.achievement_id}",
        {"due_on": due_on, "recipients": len(recipients)},
    )
    link = endorsements_console_url(base_url)
    return [
        Notification(
            to=email,
            subject=f"Relevance review due on {due_on}: {item.name}",
            body=(
                f"The labour-market relevance of “{item.name}” must be reviewed by {due_on} "
                f"(last: {item.basis}). After that date new awards are refused.\n"
                f"Request a partner endorsement or record a review: {link}\n"
            ),
        )
        for email in recipients
    ]


def send_reminders(
    session: Session, *, base_url: str, now: datetime | None = None
) -> tuple[list[Relevance], list[Notification]]:
    """Remind issuers of achievements whose relevance review is due (within their reminder window) and not yet
    reminded for that due date. Idempotent: one reminder per achievement and due date."""
    reminded: list[Relevance] = []
    notes: list[Notification] = []
    for item in relevance_report(session, now=now):
        if item.state != "due" or item.review_due is None:
            continue
        due_on = day(item.review_due)
        if _already_reminded(session, item, due_on):
            continue
        notes += _remind(session, item, due_on, base_url)
        reminded.append(item)
    return reminded, notes
