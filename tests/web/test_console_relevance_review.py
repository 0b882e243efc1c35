"""Recording the issuer's relevance review from the console (issue 16, gap 5), on SQLite and PostgreSQL: each
achievement of the relevance table on `/console/endorsements` has a "Record a review" form; the review is stored
through `partners.record_review` (as `microcred achievements review`) by the staff member (the review's actor and
the audit entry's), restarts the cycle (a lapsed achievement can be issued again) and is confirmed with its date
and the new state; an empty or too long note is an error on the field, nothing saved; an editor of the issuing
organisation only (assessor and partner reviewer: 403; another organisation: 404; no CSRF token: 403); French."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import form_token, make_settings, sign_in_with_password

from microcred.accounts import services as accounts
from microcred.audit.models import AuditEntry
from microcred.catalog import services as catalog
from microcred.db.base import utcnow
from microcred.partners import services as partners
from microcred.partners.models import RelevanceReview

PASSWORD = "relevance review password 1"
HTML = {"Accept": "text/html"}
PAGE = "/console/endorsements"
NOTE = "Reviewed with the regional restaurant association's advisory committee, 2026 hiring survey."


@pytest.fixture
def world(
    tmp_path: Path, factory: sessionmaker[Session], make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
) -> dict[str, Any]:  # fmt: skip
    """A college with an administrator and an assessor, two published achievements (one whose last review lapsed),
    another college with its administrator, and a partner with its reviewer."""
    with factory() as session:
        college = make_org(session)
        other = make_org(session, name="Other College", registration_id="ON-OTHER-002", email="r@other.example")
        partner, _key = partners.create_partner(session, partner_type="industry", name="Sector Council", country="CA")
        for email, role, org in (
            ("staff@college.example", "org_admin", college),
            ("assessor@college.example", "assessor", college),
            ("staff@other.example", "org_admin", other),
            ("reviewer@council.example", "partner_reviewer", partner),
        ):
            accounts.create_user(
                session, email=email, name=email.split("@")[0].title(), role=role, organisation_id=org.id,
                password=PASSWORD,
            )  # fmt: skip
        fresh = make_achievement(session, college.id)
        lapsed = make_achievement(session, college.id, name="Knife Skills")
        partners.record_review(
            session, lapsed.id, note="Last looked at long ago.", reviewed_at=utcnow() - timedelta(days=800)
        )
        session.commit()
        return {"college": college.id, "fresh": fresh.id, "lapsed": lapsed.id}


@pytest.fixture
def app(tmp_path: Path, factory: sessionmaker[Session], world: dict[str, Any]) -> Any:
    from microcred.web.app import create_app

    return create_app(settings=make_settings(tmp_path / "instance"), session_factory=factory)


@pytest.fixture
def staff(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as client:
        yield sign_in_with_password(client, "staff@college.example", PASSWORD)


def _review(client: TestClient, achievement_id: Any, note: str | None) -> Any:
    data = {"csrf_token": form_token(client, PAGE), "achievement": str(achievement_id)}
    if note is not None:
        data["note"] = note
    return client.post(f"{PAGE}/reviews", data=data, headers=HTML, follow_redirects=False)


def _reviews(factory: sessionmaker[Session], achievement_id: uuid.UUID) -> list[RelevanceReview]:
    with factory() as session:
        return list(
            session.scalars(
                select(RelevanceReview)
                .where(RelevanceReview.achievement_id == achievement_id)
                .order_by(RelevanceReview.reviewed_at)
            )
        )


def _audited(factory: sessionmaker[Session], achievement_id: uuid.UUID) -> list[str]:
    """The actors of the achievement's relevance.reviewed audit entries, oldest first."""
    with factory() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "relevance.reviewed", AuditEntry.subject == f"achievement:{achievement_id}")
            .order_by(AuditEntry.seq)
        )
        return [e.actor for e in entries]


def _relevance(factory: sessionmaker[Session], achievement_id: uuid.UUID) -> partners.Relevance:
    with factory() as session:
        return partners.relevance(session, catalog.get_achievement(session, achievement_id))


def _row(page: str, name: str) -> str:
    match = re.search(rf'<tr><th scope="row">{name}</th>.*?</tr>', page, re.S)
    assert match is not None, name
    return match[0]


def test_each_achievement_has_a_review_form(staff: TestClient, world: dict[str, Any]) -> None:
    page = staff.get(PAGE, headers=HTML).text
    for key, name, state in (
        ("fresh", "Food Safety Fundamentals", "Not reviewed"),
        ("lapsed", "Knife Skills", "Lapsed"),
    ):
        achievement_id = world[key]
        row = _row(page, name)
        assert state in row and f'href="#review-{achievement_id}"' in row
        assert f"Record a review of {name}" in row
        form = re.search(
            rf'<form method="post" action="/console/endorsements/reviews"[^>]*id="review-{achievement_id}".*?</form>',
            page,
            re.S,
        )
        assert form is not None, name
        assert f'<input type="hidden" name="achievement" value="{achievement_id}">' in form[0]
        assert f'<label for="note-{achievement_id}">What was reviewed, and with whom' in form[0]
        assert re.search(
            rf'<textarea id="note-{achievement_id}" name="note" rows="3" maxlength="4000" required', form[0]
        )
        assert 'name="csrf_token"' in form[0] and "Record a review" in form[0]


def test_recording_a_review_restarts_the_cycle(
    staff: TestClient, world: dict[str, Any], factory: sessionmaker[Session]
) -> None:
    lapsed = world["lapsed"]
    before = _relevance(factory, lapsed)
    assert before.state == "lapsed" and not before.issuable
    response = _review(staff, lapsed, f"  {NOTE}  ")
    assert response.status_code == 303, response.text
    today = utcnow().date().isoformat()
    assert response.headers["location"] == f"{PAGE}?reviewed={lapsed}&on={today}#relevance"

    stored = _reviews(factory, lapsed)
    assert len(stored) == 2  # the old one and this one
    assert stored[-1].note == NOTE and stored[-1].actor == "web:staff@college.example"
    assert stored[-1].reviewed_at.date().isoformat() == today
    assert _audited(factory, lapsed)[-1] == "web:staff@college.example"
    after = _relevance(factory, lapsed)
    assert after.state == "current" and after.issuable and after.review_due is not None
    due = after.review_due.date().isoformat()

    page = staff.get(response.headers["location"], headers=HTML).text
    assert f"The relevance review of Knife Skills was recorded on {today}." in page
    assert f"Relevance: Current; next review due {due}." in page
    row = _row(page, "Knife Skills")
    assert "Current" in row and due in row and "<td>Yes</td>" in row
    assert _reviews(factory, world["fresh"]) == []  # only the achievement named


def test_an_empty_or_too_long_note_is_an_error_on_the_field(
    staff: TestClient, world: dict[str, Any], factory: sessionmaker[Session]
) -> None:
    fresh = world["fresh"]
    for note, message in (
        (None, "Say what you reviewed and with whom: the note is required."),
        ("   ", "Say what you reviewed and with whom: the note is required."),
        ("x" * 4001, "At most 4000 characters."),
    ):
        response = _review(staff, fresh, note)
        assert response.status_code == 400
        field = re.search(rf'<textarea id="note-{fresh}"[^>]*>', response.text)
        assert field is not None and 'aria-invalid="true"' in field[0] and f"note-{fresh}-error" in field[0]
        error = re.search(rf'<p id="note-{fresh}-error" class="field-error">(.*?)</p>', response.text, re.S)
        assert error is not None and message in error[1]
        assert f'<a href="#note-{fresh}">{message}</a>' in response.text  # the error summary links to the field
        other = re.search(rf'<textarea id="note-{world["lapsed"]}"[^>]*>', response.text)
        assert other is not None and "aria-invalid" not in other[0]  # only the form that failed
    assert _reviews(factory, fresh) == [] and _audited(factory, fresh) == []
    assert _relevance(factory, fresh).state == "unreviewed"


def test_only_an_editor_of_the_issuing_organisation(
    app: Any, staff: TestClient, world: dict[str, Any], factory: sessionmaker[Session]
) -> None:
    for email, status in (
        ("assessor@college.example", 403),
        ("reviewer@council.example", 403),
        ("staff@other.example", 404),
    ):
        with TestClient(app, base_url="https://testserver") as other:
            sign_in_with_password(other, email, PASSWORD)
            if status == 403:
                assert "Record a review" not in other.get(PAGE, headers=HTML).text
            response = _review(other, world["fresh"], NOTE)
            assert response.status_code == status, email
    no_token = staff.post(
        f"{PAGE}/reviews", data={"achievement": str(world["fresh"]), "note": NOTE}, headers=HTML, follow_redirects=False
    )
    assert no_token.status_code == 403
    for bad in (str(uuid.uuid4()), "not-an-id", ""):
        assert _review(staff, bad, NOTE).status_code == 404, bad
    assert _reviews(factory, world["fresh"]) == [] and _audited(factory, world["fresh"]) == []


def test_in_french(staff: TestClient, world: dict[str, Any]) -> None:
    staff.get("/language/fr?next=/console")
    page = staff.get(PAGE, headers=HTML).text
    assert "Enregistrer un examen de pertinence" in page and "Ce qui a été examiné, et avec qui" in page
    empty = _review(staff, world["fresh"], "")
    assert empty.status_code == 400 and "Indiquez ce que vous avez examiné et avec qui" in empty.text
    done = _review(staff, world["fresh"], NOTE)
    assert done.status_code == 303
    confirmation = staff.get(done.headers["location"], headers=HTML).text
    assert "L’examen de pertinence de Food Safety Fundamentals a été enregistré le" in confirmation
    assert "Pertinence : À jour ; prochain examen prévu le" in confirmation
