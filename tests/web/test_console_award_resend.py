"""Resending the award mail from the console's award page (issue 16, gap 3), on SQLite and PostgreSQL: the button
sends the same mail as `POST /api/awards/{id}/email` and `microcred earners email` (`ownership.delivery`), over a
real SMTP server, with a new claim link, and says where it went (masked); the attempt is in the audit log, by the
staff member. A revoked award or an erased earner is refused (400, nothing sent, nothing recorded); an unreachable
mail server is said on the page (502), never a 500; CSRF, another organisation (404), a partner reviewer (403);
French."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import Issued, form_token, make_settings, sign_in_with_password
from tests.web.staffing import add_staff

from microcred.audit.models import AuditEntry
from microcred.awards import lifecycle
from microcred.ownership import erasure
from microcred.web.routes.console.award_detail import mask_email
from support.smtp import free_port

PASSWORD = "award resend password 1"
HTML = {"Accept": "text/html"}


@pytest.fixture
def staffed(issued: Issued, factory: sessionmaker[Session], make_org: Callable[..., Any]) -> Issued:
    """The college of `issued` (Ada Lovelace, ada@example.org) with an administrator; another college with its
    own; a partner reviewer."""
    return add_staff(issued, factory, make_org, PASSWORD)


def _app(tmp_path: Path, factory: sessionmaker[Session], smtp_host: str, smtp_port: int) -> Any:
    from microcred.web.app import create_app

    settings = make_settings(tmp_path / "instance", MICROCRED_SMTP_HOST=smtp_host, MICROCRED_SMTP_PORT=smtp_port)
    return create_app(settings=settings, session_factory=factory)


@pytest.fixture
def staff(tmp_path: Path, factory: sessionmaker[Session], staffed: Issued, mailbox: Any) -> Iterator[TestClient]:
    with TestClient(_app(tmp_path, factory, mailbox.host, mailbox.port), base_url="https://testserver") as client:
        yield sign_in_with_password(client, "staff@college.example", PASSWORD)


@pytest.fixture
def staff_no_smtp(tmp_path: Path, factory: sessionmaker[Session], staffed: Issued) -> Iterator[TestClient]:
    app = _app(tmp_path, factory, "127.0.0.1", free_port())  # nothing listens there
    with TestClient(app, base_url="https://testserver") as client:
        yield sign_in_with_password(client, "staff@college.example", PASSWORD)


def _page(issued: Issued) -> str:
    return f"/console/awards/{issued.award_id}"


def _resend(client: TestClient, issued: Issued) -> Any:
    token = form_token(client, _page(issued))
    return client.post(f"{_page(issued)}/email", data={"csrf_token": token}, headers=HTML, follow_redirects=False)


def _emailed(factory: sessionmaker[Session], award_id: uuid.UUID) -> list[tuple[bool, str]]:
    """The award mail attempts of the award in the audit log (sent or not, and by whom), oldest first."""
    with factory() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "award.emailed", AuditEntry.subject == f"award:{award_id}")
            .order_by(AuditEntry.seq)
        )
        return [(json.loads(e.details)["sent"], e.actor) for e in entries]


class Inbox:
    """The messages the (session-wide) test server received since this was made."""

    def __init__(self, mailbox: Any) -> None:
        self.mailbox = mailbox
        self.seen = {id(m) for m in mailbox.messages}

    def to(self, address: str) -> list[Any]:
        return [m for m in list(self.mailbox.messages) if id(m) not in self.seen and address in str(m["To"])]

    def wait_for(self, address: str, *, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := self.to(address):
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no new message to {address} within {timeout} s")


def _body(message: Any) -> str:
    payload = message.get_payload(decode=True)
    return payload.decode() if isinstance(payload, bytes) else str(message.get_payload())


def test_addresses_are_masked() -> None:
    assert mask_email("ada@example.org") == "a***@example.org"
    assert mask_email("  x@y.example ") == "x***@y.example"
    assert mask_email("") is None and mask_email(None) is None and mask_email("no-at-sign") is None


def test_the_mail_is_sent_again_with_a_new_claim_link(
    staff: TestClient, staffed: Issued, factory: sessionmaker[Session], mailbox: Any
) -> None:
    page = staff.get(_page(staffed), headers=HTML).text
    assert f'action="/console/awards/{staffed.award_id}/email"' in page
    assert "Send the award email again" in page and "a***@example.org" in page
    assert "ada@example.org" not in page  # the page shows the address masked
    inbox = Inbox(mailbox)

    response = _resend(staff, staffed)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{_page(staffed)}?done=emailed"
    message = inbox.wait_for("ada@example.org")
    assert len(inbox.to("ada@example.org")) == 1
    assert "Food Safety Fundamentals" in str(message["Subject"])
    body = _body(message)
    assert f"/credentials/{staffed.award_id}" in body and "Ada Lovelace" in body
    found = re.search(r"https?://\S+/sign-in/link/\S+", body)
    assert found is not None and "next=" in found[0]
    link = found[0]
    assert _emailed(factory, staffed.award_id) == [(True, "web:staff@college.example")]
    confirmation = staff.get(response.headers["location"], headers=HTML).text
    assert "The award email was sent to a***@example.org." in confirmation

    with TestClient(staff.app, base_url="https://testserver") as earner:  # the new link signs the earner in
        parts = urlsplit(link)
        csrf = form_token(earner, f"{parts.path}?{parts.query}")
        next_path = parse_qs(parts.query)["next"][0]
        signed = earner.post(parts.path, data={"csrf_token": csrf, "next": next_path}, follow_redirects=False)
        assert signed.status_code == 303, signed.text
        assert "Food Safety Fundamentals" in earner.get("/backpack", headers=HTML).text

    again = _resend(staff, staffed)  # as often as staff ask: each is a new mail and a new audit entry
    assert again.status_code == 303
    deadline = time.monotonic() + 10
    while len(inbox.to("ada@example.org")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    second = inbox.to("ada@example.org")
    assert len(second) == 2 and link not in _body(second[-1])  # a new claim link
    assert [sent for sent, _actor in _emailed(factory, staffed.award_id)] == [True, True]


def test_a_revoked_award_is_refused(
    staff: TestClient, staffed: Issued, factory: sessionmaker[Session], mailbox: Any
) -> None:
    inbox = Inbox(mailbox)
    with factory() as session:
        lifecycle.revoke_award(session, staffed.award_id, reason="issued in error")
        session.commit()
    page = staff.get(_page(staffed), headers=HTML).text
    assert "Send the award email again" not in page
    response = _resend(staff, staffed)
    assert response.status_code == 400
    assert "This award is revoked: its email is not sent again" in response.text
    assert 'role="alert"' in response.text  # the error summary
    assert _emailed(factory, staffed.award_id) == []
    time.sleep(0.2)
    assert inbox.to("ada@example.org") == []


def test_an_erased_earner_is_refused(
    staff: TestClient, staffed: Issued, factory: sessionmaker[Session], mailbox: Any
) -> None:
    inbox = Inbox(mailbox)
    with factory() as session:
        erasure.erase_earner(session, staffed.earner_id)
        session.commit()
    page = staff.get(_page(staffed), headers=HTML).text
    assert "Send the award email again" not in page and "erased.invalid" not in page
    response = _resend(staff, staffed)
    assert response.status_code == 400
    assert "The earner erased their account: the platform keeps no address" in response.text
    assert _emailed(factory, staffed.award_id) == []
    time.sleep(0.2)
    assert inbox.to("erased") == []


def test_an_unreachable_mail_server_is_said_plainly(
    staff_no_smtp: TestClient, staffed: Issued, factory: sessionmaker[Session]
) -> None:
    response = _resend(staff_no_smtp, staffed)
    assert response.status_code == 502
    assert "The award email could not be sent: the mail server could not be reached" in response.text
    assert f"/credentials/{staffed.award_id}" in response.text  # what staff can send instead
    assert "Send the award email again" in response.text  # the page, to try again later
    assert _emailed(factory, staffed.award_id) == [(False, "web:staff@college.example")]


def test_csrf_other_organisations_and_partner_reviewers(
    staff: TestClient, staffed: Issued, factory: sessionmaker[Session], mailbox: Any
) -> None:
    inbox = Inbox(mailbox)
    no_token = staff.post(f"{_page(staffed)}/email", data={}, headers=HTML, follow_redirects=False)
    assert no_token.status_code == 403
    for email, status in (("staff@other.example", 404), ("reviewer@council.example", 403)):
        with TestClient(staff.app, base_url="https://testserver") as other:
            sign_in_with_password(other, email, PASSWORD)
            token = form_token(other, "/console/endorsements")
            response = other.post(
                f"{_page(staffed)}/email", data={"csrf_token": token}, headers=HTML, follow_redirects=False
            )
            assert response.status_code == status, email
    unknown = staff.post(
        f"/console/awards/{uuid.uuid4()}/email",
        data={"csrf_token": form_token(staff, _page(staffed))},
        headers=HTML,
        follow_redirects=False,
    )
    assert unknown.status_code == 404
    assert _emailed(factory, staffed.award_id) == []
    time.sleep(0.2)
    assert inbox.to("ada@example.org") == []


def test_in_french(staff: TestClient, staffed: Issued, mailbox: Any) -> None:
    staff.get("/language/fr?next=/console")
    page = staff.get(_page(staffed), headers=HTML).text
    assert "Renvoyer le courriel de l’attestation" in page
    inbox = Inbox(mailbox)
    response = _resend(staff, staffed)
    assert response.status_code == 303
    inbox.wait_for("ada@example.org")
    done = staff.get(response.headers["location"], headers=HTML).text
    assert "Le courriel de l’attestation a été envoyé à a***@example.org." in done
