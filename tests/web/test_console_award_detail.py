"""The console's award detail page (issue 16, point 3), on SQLite and PostgreSQL: the award as the public sees it,
its true status and status history (reasons visible to staff only), and its lifecycle actions — revoke (with a
confirmation step), suspend, reinstate, renew — each through the domain services, seen at once by verifiers; a
refused transition is a 400 with a message; another organisation's staff gets 404; the awards list shows true
statuses (expired included) and links each row to its page; French."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import Issued, form_token, sign_in_with_password

from microcred import issuing
from microcred.accounts import services as accounts
from microcred.awards import queries as award_queries
from microcred.db.base import utcnow
from microcred.issuers import keystore
from microcred.settings import Settings
from microcred.web import vc_api

PASSWORD = "award detail password 1"
HTML = {"Accept": "text/html"}
SECRET = "Plagiarism found in the practical assessment, case 4711"


@pytest.fixture
def staffed(issued: Issued, factory: sessionmaker[Session], make_org: Callable[..., Any]) -> Issued:
    """The college of `issued` with an administrator, and another college with its own."""
    with factory() as session:
        accounts.create_user(
            session, email="staff@college.example", name="Sam Staff", role="org_admin",
            organisation_id=issued.org_id, password=PASSWORD,
        )  # fmt: skip
        other = make_org(session, name="Other College", registration_id="ON-OTHER-002", email="r@other.example")
        accounts.create_user(
            session, email="staff@other.example", name="Olga Other", role="org_admin",
            organisation_id=other.id, password=PASSWORD,
        )  # fmt: skip
        session.commit()
    return issued


def _sign_in(client: TestClient, email: str) -> TestClient:
    return sign_in_with_password(client, email, PASSWORD)


@pytest.fixture
def staff(app: FastAPI, staffed: Issued) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as client:
        yield _sign_in(client, "staff@college.example")


def _detail(issued: Issued) -> str:
    return f"/console/awards/{issued.award_id}"


def _act(client: TestClient, award_id: Any, action: str, **data: str) -> Any:
    token = form_token(client, f"/console/awards/{award_id}")
    return client.post(
        f"/console/awards/{award_id}/{action}",
        data={"csrf_token": token, **data},
        headers=HTML,
        follow_redirects=False,
    )


def _public(client: TestClient, award_id: Any) -> str:
    response = client.get(f"/credentials/{award_id}", headers=HTML)
    assert response.status_code == 200, response.text
    return response.text


def _verified(settings: Settings, factory: sessionmaker[Session], award_id: Any) -> tuple[bool, str]:
    with factory() as session:
        document = award_queries.credential_document(award_queries.get_award(session, award_id))
    result = vc_api.verify(settings, factory, document)
    return result.verified, " ".join(str(c.reason) for c in result.checks if not c.passed)


def test_the_page_shows_the_award_as_the_public_sees_it(staff: TestClient, staffed: Issued) -> None:
    response = staff.get(_detail(staffed))
    assert response.status_code == 200
    page = response.text
    assert "Award to Ada Lovelace" in page and "Food Safety Fundamentals" in page and "Test College" in page
    assert re.search(r"<dt>Status</dt><dd><span class=\"status status-ok\">Active</span>", page)
    assert f'href="{staffed.credential_url}"' in page and f'href="{staffed.credential_url}?format=json"' in page
    assert "no expiry" in page and "Issued" in page
    # the forms that apply to an active award, each with the CSRF token; no reinstating what is not suspended
    for action in ("suspend", "renew", "revoke"):
        assert f'action="/console/awards/{staffed.award_id}/{action}"' in page
    assert "/reinstate" not in page
    assert page.count('name="csrf_token"') >= 3
    # every reason field is labelled, and ids are unique on the page
    for prefix in ("suspend", "revoke"):
        assert f'<label for="{prefix}-reason">' in page and f'id="{prefix}-reason"' in page
    ids = re.findall(r'id="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_revoke_asks_to_confirm_then_revokes_for_good(
    staff: TestClient, staffed: Issued, settings: Settings, factory: sessionmaker[Session]
) -> None:
    asked = _act(staff, staffed.award_id, "revoke", reason=SECRET)
    assert asked.status_code == 200
    assert "This cannot be undone." in asked.text and 'name="confirm" value="yes"' in asked.text
    assert SECRET in asked.text  # the reason carried to the confirmation step
    assert _verified(settings, factory, staffed.award_id)[0] is True  # nothing done yet

    done = _act(staff, staffed.award_id, "revoke", reason=SECRET, confirm="yes")
    assert done.status_code == 303 and done.headers["location"] == f"{_detail(staffed)}?done=revoked"
    page = staff.get(done.headers["location"]).text
    assert "The award was revoked." in page and ">Revoked</span>" in page
    # the history: who and why (the reason is private, shown to staff)
    assert "staff@college.example" in page and SECRET in page
    assert "A revoked award cannot change any more" in page
    assert 'action="/console/awards/' not in page  # no action applies any more

    verified, why = _verified(settings, factory, staffed.award_id)
    assert verified is False and "revoked" in why
    public = _public(staff, staffed.award_id)
    assert "Not verified" in public and "revoked by the issuer" in public
    assert SECRET not in public

    # a double submit (or any later attempt) is refused with a message, never a 500
    again = _act(staff, staffed.award_id, "revoke", reason=SECRET, confirm="yes")
    assert again.status_code == 400 and "This award is already revoked." in again.text
    reinstate = _act(staff, staffed.award_id, "reinstate")
    assert reinstate.status_code == 400
    assert "revocation is permanent, so it cannot be reinstated" in reinstate.text
    renew = _act(staff, staffed.award_id, "renew")
    assert renew.status_code == 400 and "a revoked award cannot be renewed" in renew.text
    with factory() as session:
        assert [e.action for e in award_queries.status_history(session, staffed.award_id)] == ["revoked"]


def test_suspend_then_reinstate(
    staff: TestClient, staffed: Issued, settings: Settings, factory: sessionmaker[Session]
) -> None:
    missing = _act(staff, staffed.award_id, "suspend", reason="  ")
    assert missing.status_code == 400
    assert 'id="suspend-reason-error"' in missing.text and "This field is required." in missing.text
    assert 'href="#suspend-reason"' in missing.text and 'aria-invalid="true"' in missing.text

    done = _act(staff, staffed.award_id, "suspend", reason=SECRET)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=suspended")
    page = staff.get(done.headers["location"]).text
    assert "The award was suspended." in page and ">Suspended</span>" in page and SECRET in page
    assert f'action="/console/awards/{staffed.award_id}/reinstate"' in page
    verified, why = _verified(settings, factory, staffed.award_id)
    assert verified is False and "suspended" in why
    public = _public(staff, staffed.award_id)
    assert "suspended by the issuer" in public and SECRET not in public

    twice = _act(staff, staffed.award_id, "suspend", reason=SECRET)
    assert twice.status_code == 400 and "This award is already suspended." in twice.text

    back = _act(staff, staffed.award_id, "reinstate", reason="Appeal upheld")
    assert back.status_code == 303 and back.headers["location"].endswith("?done=reinstated")
    page = staff.get(back.headers["location"]).text
    assert "The award was reinstated." in page and ">Active</span>" in page and "Appeal upheld" in page
    assert _verified(settings, factory, staffed.award_id)[0] is True
    assert "✓</span> Verified" in _public(staff, staffed.award_id)
    again = _act(staff, staffed.award_id, "reinstate")
    assert again.status_code == 400 and "This award is not suspended; there is nothing to reinstate." in again.text
    with factory() as session:
        history = award_queries.status_history(session, staffed.award_id)
    assert [(e.action, e.actor) for e in history] == [
        ("suspended", "web:staff@college.example"),
        ("reinstated", "web:staff@college.example"),
    ]


def test_renew_issues_a_linked_credential(
    staff: TestClient, staffed: Issued, settings: Settings, factory: sessionmaker[Session]
) -> None:
    done = _act(staff, staffed.award_id, "renew")
    assert done.status_code == 303
    match = re.fullmatch(r"/console/awards/([0-9a-f-]+)\?done=renewed", done.headers["location"])
    assert match is not None
    new_id = uuid.UUID(match.group(1))
    assert new_id != staffed.award_id
    page = staff.get(done.headers["location"]).text
    assert "The award was renewed" in page and ">Active</span>" in page
    assert f'href="/console/awards/{staffed.award_id}"' in page  # the award it replaces
    old = staff.get(_detail(staffed)).text
    assert ">Replaced</span>" in old and "Renewed" in old and f'href="/console/awards/{new_id}"' in old
    assert _verified(settings, factory, new_id)[0] is True
    with factory() as session:
        assert award_queries.get_award(session, staffed.award_id).replaced_by_id == new_id
    twice = _act(staff, staffed.award_id, "renew")
    assert twice.status_code == 400 and "This award was already replaced" in twice.text


def test_another_organisations_staff_gets_404(app: FastAPI, staffed: Issued, factory: sessionmaker[Session]) -> None:
    with TestClient(app, base_url="https://testserver") as other:
        _sign_in(other, "staff@other.example")
        assert other.get(_detail(staffed), headers=HTML).status_code == 404
        token = form_token(other, "/console/awards")
        for action in ("revoke", "suspend", "reinstate", "renew"):
            response = other.post(
                f"{_detail(staffed)}/{action}",
                data={"csrf_token": token, "reason": "not mine", "confirm": "yes"},
                headers=HTML,
                follow_redirects=False,
            )
            assert response.status_code == 404, action
        assert str(staffed.award_id) not in other.get("/console/awards").text
        assert other.get(f"/console/awards/{uuid.uuid4()}", headers=HTML).status_code == 404
        assert other.get("/console/awards/not-an-id", headers=HTML).status_code == 404
    with factory() as session:
        award = award_queries.get_award(session, staffed.award_id)
        assert award.status == "active" and award.replaced_by_id is None


def test_actions_need_a_csrf_token(staff: TestClient, staffed: Issued, factory: sessionmaker[Session]) -> None:
    response = staff.post(f"{_detail(staffed)}/suspend", data={"reason": "x"}, follow_redirects=False)
    assert response.status_code == 403
    with factory() as session:
        assert award_queries.get_award(session, staffed.award_id).status == "active"


def test_the_list_shows_true_statuses_links_and_filters(
    staff: TestClient, staffed: Issued, settings: Settings, factory: sessionmaker[Session]
) -> None:
    now = utcnow().replace(microsecond=0)
    with factory() as session:
        expired = issuing.issue_award(
            session,
            achievement_id=staffed.achievement_id,
            earner_id=staffed.earner_id,
            valid_from=now - timedelta(days=730),
            valid_until=now - timedelta(days=365),
            base_url=settings.base_url,
            master_key=keystore.load_master_key(settings),
        )
        session.commit()
        expired_id = expired.id
    page = staff.get("/console/awards").text
    assert f'href="/console/awards/{staffed.award_id}"' in page and f'href="/console/awards/{expired_id}"' in page
    assert "<td>Expired</td>" in page and "<td>Active</td>" in page
    assert '<option value="expired">Expired</option>' in page

    only_expired = staff.get("/console/awards", params={"status": "expired"}).text
    assert f"/console/awards/{expired_id}" in only_expired and f"/console/awards/{staffed.award_id}" not in only_expired
    only_active = staff.get("/console/awards", params={"status": "active"}).text
    assert f"/console/awards/{staffed.award_id}" in only_active and f"/console/awards/{expired_id}" not in only_active
    detail = staff.get(f"/console/awards/{expired_id}").text
    assert ">Expired</span>" in detail and f'action="/console/awards/{expired_id}/renew"' in detail

    assert _act(staff, staffed.award_id, "suspend", reason=SECRET).status_code == 303
    suspended = staff.get("/console/awards", params={"status": "suspended"}).text
    assert f"/console/awards/{staffed.award_id}" in suspended and f"/console/awards/{expired_id}" not in suspended
    assert "<td>Suspended</td>" in suspended
    assert SECRET not in staff.get("/console/awards").text  # reasons only on the detail page


def test_the_page_and_its_messages_in_french(staff: TestClient, staffed: Issued) -> None:
    staff.get("/language/fr?next=/console")
    page = staff.get(_detail(staffed)).text
    assert 'lang="fr"' in page
    assert "Historique des statuts" in page and "Suspendre l’attestation" in page
    refused = _act(staff, staffed.award_id, "reinstate")
    assert refused.status_code == 400
    assert "Cette attestation n’est pas suspendue ; il n’y a rien à rétablir." in refused.text
    asked = _act(staff, staffed.award_id, "revoke", reason=SECRET)
    assert "Cette action est irréversible." in asked.text
    done = _act(staff, staffed.award_id, "revoke", reason=SECRET, confirm="yes")
    assert "L’attestation a été révoquée." in staff.get(done.headers["location"]).text
