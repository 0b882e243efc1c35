"""The award mails of a notify batch (issue 15), on SQLite and PostgreSQL, against a real SMTP server (aiosmtpd):
one mail job per chunk, each earner mailed once with the EN/FR claim link, bounces (5xx) and deferrals (4xx) and an
unreachable server recorded per row, retried, failed after `MAIL_ATTEMPTS`, and never failing the issuance."""

from __future__ import annotations

import csv
import email
import email.header
import email.message
import io
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.batches.conftest import BASE, World, csv_bytes, make_batch
from tests.support.smtp import Mailbox, free_port, smtp_server

from microcred import jobs
from microcred.audit.models import AuditEntry
from microcred.batches import notify
from microcred.batches import services as batches
from microcred.batches.models import AwardBatchRow
from microcred.ownership import tasks as mail_tasks
from microcred.settings import Settings

HEADER = ["earner_name", "email", "achievement_code"]


class Picky(Mailbox):
    """A mailbox that refuses some recipients: ``bounce…`` for good (550), ``later…`` for now (450)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address.startswith("bounce"):
            return f"550 5.1.1 <{address}>: no such user"
        if address.startswith("later"):
            return "450 4.2.1 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@contextmanager
def smtp(port: int | None = None) -> Iterator[Picky]:
    with smtp_server(port, Picky) as box:
        assert isinstance(box, Picky)
        yield box


def mailing(settings: Settings, port: int, **more: Any) -> Settings:
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "mail_rate_per_second": 0,
                                       **more})


def cohort(*emails: str) -> bytes:
    return csv_bytes(HEADER, *[[f"Learner {i}", address, "HOSP-101"] for i, address in enumerate(emails, 1)])


def rows(factory: sessionmaker[Session], batch_id: uuid.UUID) -> dict[str, AwardBatchRow]:
    with factory() as session:
        found = list(session.scalars(select(AwardBatchRow).where(AwardBatchRow.batch_id == batch_id)))
        session.expunge_all()
    return {str(r.data["email"]).lower(): r for r in found}


def subject(message: email.message.Message) -> str:
    return str(email.header.make_header(email.header.decode_header(str(message["Subject"]))))


def body(message: email.message.Message) -> str:
    payload = message.get_payload(decode=True)
    return payload.decode() if isinstance(payload, bytes) else str(message.get_payload())


def test_a_notify_batch_mails_each_earner_once_with_the_claim_link(
    factory: sessionmaker[Session], world: World, settings: Settings
) -> None:
    addresses = [f"learner{i}@example.org" for i in range(1, 6)]
    with smtp() as box:
        mail_settings = mailing(settings, box.port)
        batch_id = make_batch(factory, cohort(*addresses), notify=True)
        jobs.drain(mail_settings, session_factory=factory)
        assert sorted(str(m["To"]) for m in box.messages) == addresses  # once each
        for address in addresses:
            message = box.wait_for(address)
            text = body(message)
            assert subject(message).startswith("Your micro-credential: ")
            assert re.search(r"https?://\S+/sign-in/link/\S+", text), text
            assert f"{BASE}/credentials/" in text
        found = rows(factory, batch_id)
        assert {r.state for r in found.values()} == {"issued"}
        assert {r.mail_state for r in found.values()} == {"sent"}
        assert all(r.mailed_at is not None and r.mail_error is None for r in found.values())
        # the link in a mail is the row's own award
        for address, row in found.items():
            assert f"{BASE}/credentials/{row.award_id}" in body(box.wait_for(address))
        with factory() as session:
            summary = batches.summary(session, batches.get_batch(session, batch_id))
            assert summary["mails"]["sent"] == 5 and summary["mail_errors"] == []
            results = list(csv.DictReader(io.StringIO(batches.results_csv(session, batch_id, base_url=BASE))))
            emailed = session.scalars(select(AuditEntry).where(AuditEntry.action == "award.emailed")).all()
            assert len(emailed) == 5 and all(json.loads(e.details)["outcome"] == "sent" for e in emailed)
        assert [r["mail"] for r in results] == ["sent"] * 5
        # the mail job again (a retry, a second worker): nothing is sent twice
        row_ids = [str(r.id) for r in found.values()]
        mail_tasks.send_batch_mails(factory, mail_settings, str(batch_id), row_ids)
        assert len(box.messages) == 5


def test_mails_in_french_for_an_instance_in_french(
    factory: sessionmaker[Session], world: World, settings: Settings
) -> None:
    with smtp() as box:
        mail_settings = mailing(settings, box.port, default_language="fr")
        make_batch(factory, cohort("learner1@example.org"), notify=True)
        jobs.drain(mail_settings, session_factory=factory)
        message = box.wait_for("learner1@example.org")
        assert subject(message).startswith("Votre microtitre : ") and "Bonjour Learner 1" in body(message)
        assert message["Content-Language"] == "fr"


def test_a_batch_without_notify_sends_nothing(factory: sessionmaker[Session], world: World, settings: Settings) -> None:
    with smtp() as box:
        batch_id = make_batch(factory, cohort("learner1@example.org", "learner2@example.org"))
        jobs.drain(mailing(settings, box.port), session_factory=factory)
        assert box.messages == []
        assert {r.mail_state for r in rows(factory, batch_id).values()} == {None}
        with factory() as session:
            assert batches.summary(session, batches.get_batch(session, batch_id))["notify"] is False


def test_bounces_and_deferrals_are_recorded_per_row_and_never_fail_the_issuance(
    factory: sessionmaker[Session], world: World, settings: Settings
) -> None:
    with smtp() as box:
        mail_settings = mailing(settings, box.port)
        batch_id = make_batch(
            factory, cohort("learner1@example.org", "bounce@example.org", "later@example.org"), notify=True
        )
        jobs.drain(mail_settings, session_factory=factory)
        found = rows(factory, batch_id)
        assert {r.state for r in found.values()} == {"issued"}  # every award stands
        assert found["learner1@example.org"].mail_state == "sent"
        bounced = found["bounce@example.org"]
        assert bounced.mail_state == "bounced" and "550" in (bounced.mail_error or "")
        later = found["later@example.org"]
        assert later.mail_state == "queued" and later.mail_attempts == 1 and "450" in (later.mail_error or "")
        assert [str(m["To"]) for m in box.messages] == ["learner1@example.org"]
        with factory() as session:
            summary = batches.summary(session, batches.get_batch(session, batch_id))
            assert summary["mails"]["sent"] == 1 and summary["mails"]["bounced"] == 1
            assert summary["mails"]["queued"] == 1
            assert [e["row"] for e in summary["mail_errors"]] == [2]
            results = list(csv.DictReader(io.StringIO(batches.results_csv(session, batch_id, base_url=BASE))))
            assert results[0]["mail"] == "sent" and results[1]["mail"].startswith("bounced: 550")
            assert results[2]["mail"] == "queued: the SMTP server deferred it: 450 4.2.1 mailbox busy, try again later"
        # the queue runs the job again later: only the deferred row is tried, until it is out of attempts
        row_ids = [str(r.id) for r in found.values()]
        for _attempt in range(2, mail_tasks.MAIL_ATTEMPTS):
            with pytest.raises(mail_tasks.MailsDeferred):
                mail_tasks.send_batch_mails(factory, mail_settings, str(batch_id), row_ids)
        mail_tasks.send_batch_mails(factory, mail_settings, str(batch_id), row_ids)  # the last attempt
        later = rows(factory, batch_id)["later@example.org"]
        assert later.mail_state == "failed" and later.mail_attempts == mail_tasks.MAIL_ATTEMPTS
        assert f"not sent after {mail_tasks.MAIL_ATTEMPTS} attempts" in (later.mail_error or "")
        assert [str(m["To"]) for m in box.messages] == ["learner1@example.org"]  # the others never sent twice


def test_an_unreachable_server_keeps_the_mails_queued_until_it_answers(
    factory: sessionmaker[Session], world: World, settings: Settings
) -> None:
    port = free_port()  # nothing listens here yet
    mail_settings = mailing(settings, port)
    batch_id = make_batch(factory, cohort("learner1@example.org", "learner2@example.org"), notify=True)
    jobs.drain(mail_settings, session_factory=factory)
    found = rows(factory, batch_id)
    assert {r.state for r in found.values()} == {"issued"}
    assert {r.mail_state for r in found.values()} == {"queued"}
    assert all(r.mail_attempts == 1 and "cannot reach the SMTP server" in (r.mail_error or "") for r in found.values())
    with smtp(port) as box:  # the server is back: the next attempt sends them
        mail_tasks.send_batch_mails(factory, mail_settings, str(batch_id), [str(r.id) for r in found.values()])
        assert sorted(str(m["To"]) for m in box.messages) == ["learner1@example.org", "learner2@example.org"]
    assert {r.mail_state for r in rows(factory, batch_id).values()} == {"sent"}


def test_mails_are_paced_at_the_configured_rate(
    factory: sessionmaker[Session], world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(mail_tasks, "CLOCK", lambda: now[0])
    monkeypatch.setattr(mail_tasks, "SLEEP", sleep)
    with smtp() as box:
        mail_settings = mailing(settings, box.port, mail_rate_per_second=4.0)
        make_batch(factory, cohort(*[f"learner{i}@example.org" for i in range(1, 6)]), notify=True)
        jobs.drain(mail_settings, session_factory=factory)
        assert len(box.messages) == 5
    assert len(slept) == 4 and sum(slept) == pytest.approx(1.0)  # 5 mails at 4 a second: 4 waits of 0.25 s


def test_a_mail_job_that_cannot_be_queued_leaves_the_awards_and_says_why(
    factory: sessionmaker[Session], world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the queue is full")

    batch_id = make_batch(factory, cohort("learner1@example.org"), notify=True)  # its run job is queued
    monkeypatch.setattr(notify.jobs, "enqueue", refuse)  # ... and from now on no job can be
    from microcred.batches import run

    assert run.run_batch(factory, settings, batch_id) == "finished"
    row = rows(factory, batch_id)["learner1@example.org"]
    assert row.state == "issued" and row.mail_state == "failed"
    assert "the mail could not be queued: the queue is full" in (row.mail_error or "")
