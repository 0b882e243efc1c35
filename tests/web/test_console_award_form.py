"""The console's award form (issue 16, points 3 and 7), on SQLite and PostgreSQL: a validity window (valid from,
valid until) that lands in the signed credential, bad dates as field errors, the award mail on by default (it
arrives, over a real SMTP server, with its claim link; not when unticked; an unreachable server still issues the
award and says the mail was not sent), and a duplicate warning naming the current award that must be confirmed;
French."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import Issued, form_token, make_settings

from microcred.accounts import services as accounts
from microcred.audit.models import AuditEntry
from microcred.awards import queries as award_queries
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.web.routes.console import awards as console_awards
from support.smtp import free_port

PASSWORD = "award form password 1"
HTML = {"Accept": "text/html"}


@pytest.fixture
def college(issued: Issued, factory: sessionmaker[Session]) -> tuple[Issued, uuid.UUID]:
    """The college of `issued` (whose earner Ada holds a current award) with a staff member and a second earner
    who holds nothing yet."""
    with factory() as session:
        accounts.create_user(
            session, email="staff@college.example", name="Sam Staff", role="org_admin",
            organisation_id=issued.org_id, password=PASSWORD,
        )  # fmt: skip
        grace = earners.create_earner(session, name="Grace Hopper", email="grace@example.org")
        session.commit()
        return issued, grace.id


def _client(tmp_path: Path, factory: sessionmaker[Session], smtp_host: str, smtp_port: int) -> Iterator[TestClient]:
    from microcred.web.app import create_app

    settings = make_settings(tmp_path / "instance", MICROCRED_SMTP_HOST=smtp_host, MICROCRED_SMTP_PORT=smtp_port)
    with TestClient(create_app(settings=settings, session_factory=factory), base_url="https://testserver") as client:
        token = form_token(client, "/sign-in")
        signed_in = client.post(
            "/sign-in/password",
            data={"csrf_token": token, "email": "staff@college.example", "password": PASSWORD},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text
        yield client


@pytest.fixture
def staff(tmp_path: Path, factory: sessionmaker[Session], college: Any, mailbox: Any) -> Iterator[TestClient]:
    yield from _client(tmp_path, factory, mailbox.host, mailbox.port)


@pytest.fixture
def staff_no_smtp(tmp_path: Path, factory: sessionmaker[Session], college: Any) -> Iterator[TestClient]:
    yield from _client(tmp_path, factory, "127.0.0.1", free_port())  # nothing listens there


def _award(client: TestClient, **data: str) -> Any:
    token = form_token(client, "/console/award")
    return client.post("/console/award", data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False)


def _issued_id(response: Any) -> uuid.UUID:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/console/awards\?issued=([0-9a-f-]+)", response.headers["location"])
    assert match is not None, response.headers["location"]
    return uuid.UUID(match[1])


def _awards_of(factory: sessionmaker[Session], earner_id: uuid.UUID) -> list[award_queries.Award]:
    with factory() as session:
        return award_queries.current_awards(session, earner_id)


def _emailed(factory: sessionmaker[Session], award_id: uuid.UUID) -> list[bool]:
    """The award mail attempts of the award in the audit log (sent or not), oldest first."""
    with factory() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "award.emailed", AuditEntry.subject == f"award:{award_id}")
            .order_by(AuditEntry.seq)
        )
        return [json.loads(e.details)["sent"] for e in entries]


def _field_error(page: str, name: str) -> str:
    """The field's error message, checked to be tied to the field (aria-invalid, aria-describedby)."""
    field = re.search(rf'<input id="{name}" [^>]*>', page)
    assert field is not None, f"no field {name}"
    assert 'aria-invalid="true"' in field[0] and f"{name}-error" in field[0], field[0]
    error = re.search(rf'<p id="{name}-error" class="field-error">(.*?)</p>', page, re.S)
    assert error is not None
    return re.sub(r"<[^>]+>", "", error[1]).strip()


def test_the_form_has_the_validity_dates_and_the_mail_ticked(staff: TestClient) -> None:
    page = staff.get("/console/award").text
    assert re.search(r'<input id="valid_from" name="valid_from" type="date"', page)
    assert re.search(r'<input id="valid_until" name="valid_until" type="date"', page)
    assert '<label for="valid_until">Valid until</label>' in page
    mail_box = re.search(r'<input id="send_mail" [^>]*>', page)
    assert mail_box is not None and "checked" in mail_box[0]
    assert '<label for="send_mail" class="checkbox-label">Email the earner their award</label>' in page
    assert "confirm_duplicate" not in page  # only after a duplicate warning


def test_valid_until_lands_in_the_signed_credential_and_the_mail_arrives(
    staff: TestClient, college: tuple[Issued, uuid.UUID], factory: sessionmaker[Session], mailbox: Any
) -> None:
    issued, grace = college
    start, end = utcnow().date(), utcnow().date() + timedelta(days=400)
    response = _award(
        staff, achievement_id=str(issued.achievement_id), earner_id=str(grace), send_mail="1",
        valid_from=start.isoformat(), valid_until=end.isoformat(),
    )  # fmt: skip
    award_id = _issued_id(response)
    document = staff.get(f"/credentials/{award_id}?format=json").json()
    assert document["validUntil"] == f"{end.isoformat()}T23:59:59Z"
    assert document["validFrom"] == f"{start.isoformat()}T00:00:00Z"
    message = mailbox.wait_for("grace@example.org")
    body = message.get_payload(decode=True).decode()
    assert f"/credentials/{award_id}" in body
    link = mailbox.link("grace@example.org")
    assert "/sign-in/link/" in link and "next=" in link
    listing = staff.get(response.headers["location"])
    assert listing.status_code == 200 and str(award_id) in listing.text
    assert _emailed(factory, award_id) == [True]
    assert response.cookies[console_awards.MAIL_COOKIE] == f"{award_id}:sent"  # the next page's notice
    assert "An email with a link to claim it was sent to" in listing.text


def test_no_mail_when_unticked(
    staff: TestClient, college: tuple[Issued, uuid.UUID], factory: sessionmaker[Session], mailbox: Any
) -> None:
    issued, grace = college
    before = len(mailbox.messages)
    response = _award(staff, achievement_id=str(issued.achievement_id), earner_id=str(grace))
    award_id = _issued_id(response)
    assert [a.id for a in _awards_of(factory, grace)] == [award_id]
    assert _emailed(factory, award_id) == []
    assert response.cookies[console_awards.MAIL_COOKIE] == f"{award_id}:off"
    assert not [m for m in mailbox.messages[before:] if "grace@example.org" in str(m["To"])]


def test_an_unreachable_mail_server_still_issues_the_award(
    staff_no_smtp: TestClient, college: tuple[Issued, uuid.UUID], factory: sessionmaker[Session]
) -> None:
    issued, grace = college
    response = _award(staff_no_smtp, achievement_id=str(issued.achievement_id), earner_id=str(grace), send_mail="1")
    award_id = _issued_id(response)
    assert [a.id for a in _awards_of(factory, grace)] == [award_id]
    assert staff_no_smtp.get(f"/credentials/{award_id}?format=json").status_code == 200
    assert _emailed(factory, award_id) == [False]
    assert response.cookies[console_awards.MAIL_COOKIE] == f"{award_id}:failed"
    listing = staff_no_smtp.get(response.headers["location"])
    assert "could not be sent" in listing.text and f"/credentials/{award_id}" in listing.text
    notice = console_awards.mail_notice("failed", "Grace Hopper", f"https://x.example/credentials/{award_id}")
    assert notice is not None and "could not be sent" in notice and f"/credentials/{award_id}" in notice
    assert "was sent" in (console_awards.mail_notice("sent", "Grace Hopper", "https://x.example/c") or "")


@pytest.mark.parametrize(
    ("dates", "field", "message"),
    [
        ({"valid_until": "2027-02-30"}, "valid_until", "Enter a date as year-month-day, such as 2027-06-30."),
        ({"valid_from": "next week"}, "valid_from", "Enter a date as year-month-day, such as 2027-06-30."),
        ({"valid_until": "2020-01-01"}, "valid_until", "The valid-until date is in the past"),
        (
            {"valid_from": "2031-05-10", "valid_until": "2031-05-09"},
            "valid_until",
            "The valid-until date must be on or after the valid-from date (2031-05-10).",
        ),
    ],
)
def test_bad_dates_are_field_errors(
    staff: TestClient, college: tuple[Issued, uuid.UUID], factory: sessionmaker[Session],
    dates: dict[str, str], field: str, message: str,
) -> None:  # fmt: skip
    issued, grace = college
    response = _award(staff, achievement_id=str(issued.achievement_id), earner_id=str(grace), **dates)
    assert response.status_code == 400
    assert _field_error(response.text, field).startswith(f"Error: {message}")
    assert f'<a href="#{field}">' in response.text  # the error summary links to the field
    assert _awards_of(factory, grace) == []


def test_a_duplicate_is_warned_and_issued_only_when_confirmed(
    staff: TestClient, college: tuple[Issued, uuid.UUID], factory: sessionmaker[Session]
) -> None:
    issued, _grace = college
    fields = {"achievement_id": str(issued.achievement_id), "earner_id": str(issued.earner_id)}
    warned = _award(staff, **fields)
    assert warned.status_code == 400
    assert "This earner already holds this credential" in warned.text
    assert f'href="/console/awards/{issued.award_id}"' in warned.text
    assert '<input id="confirm_duplicate" name="confirm_duplicate" type="checkbox"' in warned.text
    assert '<label for="confirm_duplicate" class="checkbox-label">Issue another award anyway</label>' in warned.text
    assert [a.id for a in _awards_of(factory, issued.earner_id)] == [issued.award_id]

    second = _issued_id(_award(staff, **fields, confirm_duplicate="1"))
    assert {a.id for a in _awards_of(factory, issued.earner_id)} == {issued.award_id, second}


def test_an_expired_award_is_no_duplicate(
    staff: TestClient, college: tuple[Issued, uuid.UUID], factory: sessionmaker[Session]
) -> None:
    issued, _grace = college
    with factory() as session:
        award = session.get(award_queries.Award, issued.award_id)
        assert award is not None
        award.valid_until = utcnow() - timedelta(days=1)
        session.commit()
    fields = {"achievement_id": str(issued.achievement_id), "earner_id": str(issued.earner_id)}
    _issued_id(_award(staff, **fields))


def test_in_french(staff: TestClient, college: tuple[Issued, uuid.UUID]) -> None:
    issued, grace = college
    staff.get("/language/fr?next=/console")
    page = staff.get("/console/award").text
    assert 'lang="fr"' in page
    assert "Valide jusqu’au" in page and "Envoyer à la personne titulaire son attestation par courriel" in page
    bad = _award(staff, achievement_id=str(issued.achievement_id), earner_id=str(grace), valid_until="demain")
    error = _field_error(bad.text, "valid_until")
    assert error.endswith("Saisissez une date au format année-mois-jour, par exemple 2027-06-30.")
    warned = _award(staff, achievement_id=str(issued.achievement_id), earner_id=str(issued.earner_id))
    assert "Cette personne détient déjà cette attestation" in warned.text
    assert "Décerner quand même une autre attestation" in warned.text
