"""The award mails of a bulk batch with ``notify`` (issue 15): task ``ownership.batch_mails``, one job per chunk of
issued rows, enqueued by `batches.notify.queue_mails` in the chunk's transaction (docs/bulk-issuance.md).

One job, one SMTP connection: each row's message is `delivery.award_message` (the same EN/FR text and claim link
as a single award's mail), in the earner's language (their account's, else the instance's default, else en), sent
at most ``settings.mail_rate_per_second`` a second, and recorded on its row (and in the audit log) as soon as the
server answered:

- accepted → ``sent``; refused for good (a 5xx reply, e.g. an unknown recipient) → ``bounced`` with the reply;
- the server unreachable, the connection dropped, or a 4xx reply → the rows not sent stay ``queued``, the attempt
  is counted on them and the job raises: the queue runs it again later (``backoff_seconds``), and it sends only
  the rows still queued. After `MAIL_ATTEMPTS` such attempts a row is ``failed`` with the last reason.

Mail never touches the awards: they were committed with their chunk. Workers take the queue ``mail`` like any
other (``microcred worker --queue mail --concurrency 1`` keeps the rate for the whole instance).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from microcred import jobs
from microcred.accounts import mail
from microcred.audit import services as audit
from microcred.awards import queries as awards
from microcred.batches import notify
from microcred.db import session_scope
from microcred.errors import DomainError, Unavailable
from microcred.ownership import delivery
from microcred.settings import Settings

MAIL_QUEUE = "mail"
MAIL_ATTEMPTS = 5  # attempts that could not reach the server (or were deferred) before a row's mail is failed
# The pacing clock (tests put a fake one here: no real sleeps).
CLOCK: Callable[[], float] = time.monotonic
SLEEP: Callable[[float], None] = time.sleep


class MailsDeferred(Unavailable):
    """Some of the job's mails could not be sent yet: the queue runs the job again later."""


@dataclass(frozen=True)
class _Ready:
    row: notify.RowToMail
    mail: delivery.AwardMail


def _outcome(session: Session, ready: _Ready, state: notify.MailState, reply: str | None, batch_id: str) -> None:
    """Record how one mail ended on its row and, when the row was still queued, in the audit log."""
    if notify.record_mail(session, ready.row.row_id, state, reply):
        with audit.acting_as(ready.row.created_by):
            delivery.record_emailed(
                session, ready.row.award_id, sent=state == notify.MailState.SENT, language=ready.mail.language,
                batch=batch_id, outcome=state.value,
            )


def _prepare(factory: sessionmaker[Session], settings: Settings, batch_id: str, row_ids: list[str]) -> list[_Ready]:
    """The messages of the rows still to mail, their claim links committed; a row whose mail cannot be made (its
    earner was erased meanwhile...) is failed with the reason."""
    ready: list[_Ready] = []
    with session_scope(factory) as session:
        for row in notify.rows_to_mail(session, batch_id, row_ids):
            try:
                with session.begin_nested():
                    award = awards.get_award(session, row.award_id)
                    language = delivery.preferred_language(session, award, settings.default_language)
                    ready.append(_Ready(row, delivery.award_message(session, settings, award, language=language)))
            except DomainError as exc:
                if notify.record_mail(session, row.row_id, notify.MailState.FAILED, f"no mail could be made: {exc}"):
                    with audit.acting_as(row.created_by):
                        delivery.record_emailed(
                            session, row.award_id, sent=False, language=settings.default_language, batch=batch_id,
                            outcome=notify.MailState.FAILED.value,
                        )
    return ready


def _send(factory: sessionmaker[Session], settings: Settings, batch_id: str,
          ready: list[_Ready]) -> tuple[list[_Ready], str]:
    """Send over one connection; the mails not sent for now (deferred, or left when the connection failed) and
    the reason."""
    waiting: list[_Ready] = []
    reason = ""
    done = 0
    try:
        with mail.MailSession(settings, clock=CLOCK, sleep=SLEEP) as smtp:
            for item in ready:
                result = smtp.send(item.mail.message)
                done += 1
                if result.delivery == mail.Delivery.DEFERRED:
                    waiting.append(item)
                    reason = f"the SMTP server deferred it: {result.reply}"
                    continue
                state = notify.MailState.SENT if result.delivery == mail.Delivery.SENT else notify.MailState.BOUNCED
                with session_scope(factory) as session:
                    _outcome(session, item, state, result.reply or None, batch_id)
    except mail.MailUnavailable as exc:
        waiting.extend(ready[done:])
        reason = str(exc)
    return waiting, reason


def _retry_or_fail(factory: sessionmaker[Session], batch_id: str, waiting: list[_Ready], reason: str) -> None:
    """Count the attempt on the rows not sent; fail those out of attempts; raise when some are to be tried again."""
    by_row = {item.row.row_id: item for item in waiting}
    with session_scope(factory) as session:
        notify.record_attempt(session, list(by_row), reason)
        again = 0
        for row in notify.rows_to_mail(session, batch_id, [str(i) for i in by_row]):
            if row.attempts < MAIL_ATTEMPTS:
                again += 1
                continue
            _outcome(session, _Ready(row, by_row[row.row_id].mail), notify.MailState.FAILED,
                     f"not sent after {row.attempts} attempts: {reason}", batch_id)
    if again:
        raise MailsDeferred(f"{again} award mail(s) of batch {batch_id} not sent yet ({reason}); trying again later")


@jobs.task(notify.MAIL_TASK, queue=MAIL_QUEUE, max_attempts=MAIL_ATTEMPTS + 2, backoff_seconds=5)
def send_batch_mails(session_factory: sessionmaker[Session], settings: Settings, batch_id: str,
                     row_ids: list[str]) -> None:
    """Mail the earners of these rows their awards (only rows still queued: a second run sends nothing twice)."""
    ready = _prepare(session_factory, settings, batch_id, row_ids)
    if not ready:
        return
    waiting, reason = _send(session_factory, settings, batch_id, ready)
    if waiting:
        _retry_or_fail(session_factory, batch_id, waiting, reason)

