"""The console's signing keys page `/console/keys` (issue 16, point 4), on SQLite and PostgreSQL: the keys with
their status, the DID and its document; rotation and marking a key compromised, each after a confirmation step that
spells out the consequences, through the same services as `microcred keys rotate|compromised` (status lists queued
for re-signing, optionally the re-issue); refusals are 400 with a message; only organisation administrators, and
only for their own organisation's keys; French."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import Issued, form_token, sign_in_with_password

from microcred import issuing, jobs
from microcred.accounts import services as accounts
from microcred.awards import queries as award_queries
from microcred.db.base import utcnow
from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.issuing import tasks as issuing_tasks
from microcred.settings import Settings
from microcred.status import tasks as status_tasks
from microcred.web import vc_api

PASSWORD = "signing keys password 1"
HTML = {"Accept": "text/html"}


@pytest.fixture
def staffed(issued: Issued, factory: sessionmaker[Session], make_org: Callable[..., Any]) -> Issued:
    """The college of `issued` with an administrator and an assessor, and another college with its own key and
    administrator."""
    with factory() as session:
        accounts.create_user(
            session, email="admin@college.example", name="Ann Admin", role="org_admin",
            organisation_id=issued.org_id, password=PASSWORD,
        )  # fmt: skip
        accounts.create_user(
            session, email="assessor@college.example", name="Al Assessor", role="assessor",
            organisation_id=issued.org_id, password=PASSWORD,
        )  # fmt: skip
        other = make_org(session, name="Other College", registration_id="ON-OTHER-003", email="r@other.example")
        issuers.ensure_signing_key(session, other.id)
        accounts.create_user(
            session, email="admin@other.example", name="Olga Other", role="org_admin",
            organisation_id=other.id, password=PASSWORD,
        )  # fmt: skip
        session.commit()
    return issued


def _sign_in(client: TestClient, email: str) -> TestClient:
    return sign_in_with_password(client, email, PASSWORD)


@pytest.fixture
def admin(app: FastAPI, staffed: Issued) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as client:
        yield _sign_in(client, "admin@college.example")


def _post(client: TestClient, action: str, **data: str) -> Any:
    """The action, and once it is done the jobs it queued, run to their end (on SQLite the app's worker thread
    may run them first; nothing else writes meanwhile)."""
    token = form_token(client, "/console/keys")
    response = client.post(
        f"/console/keys/{action}", data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False
    )
    if response.status_code == 303:
        app: Any = client.app
        _settle(
            app.state.settings, app.state.session_factory, [n for _kind, n in _queued(response.headers["location"])]
        )
    return response


def _rotate(client: TestClient, **data: str) -> Any:
    """Ask to rotate, then confirm with the confirmation step's own fields (the active key it was shown)."""
    asked = _post(client, "rotate", **data)
    current = re.search(r'name="current" value="([^"]*)"', asked.text)
    assert asked.status_code == 200 and current is not None
    return _post(client, "rotate", confirm="yes", current=current.group(1), **data)


def _settle(settings: Settings, factory: sessionmaker[Session], job_ids: list[int]) -> None:
    jobs.drain(settings, session_factory=factory)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with factory() as session:
            states = [jobs.status(session, n) for n in job_ids]
        if all(s.finished for s in states):
            assert all(s.state == jobs.JobState.SUCCEEDED for s in states), states
            return
        time.sleep(0.05)
    raise AssertionError(f"jobs {job_ids} did not finish")


def _keys(factory: sessionmaker[Session], org_id: uuid.UUID) -> list[tuple[uuid.UUID, str, str, datetime | None]]:
    with factory() as session:
        return [
            (k.id, k.public_key_multibase, k.status, k.compromised_since)
            for k in issuers.list_signing_keys(session, org_id)
        ]


def _verified(settings: Settings, factory: sessionmaker[Session], award_id: Any) -> tuple[bool, str]:
    with factory() as session:
        document = award_queries.credential_document(award_queries.get_award(session, award_id))
    result = vc_api.verify(settings, factory, document)
    return result.verified, " ".join(str(c.reason) for c in result.checks if not c.passed)


def _queued(location: str) -> list[tuple[str, int]]:
    return [(kind, int(n)) for kind, n in re.findall(r"job=([a-z_]+):(\d+)", location)]


def _issue(settings: Settings, factory: sessionmaker[Session], issued: Issued) -> uuid.UUID:
    with factory() as session:
        award = issuing.issue_award(
            session,
            achievement_id=issued.achievement_id,
            earner_id=issued.earner_id,
            base_url=settings.base_url,
            master_key=keystore.load_master_key(settings),
        )
        session.commit()
        return award.id


def test_the_page_lists_the_keys_and_the_did(
    admin: TestClient, staffed: Issued, settings: Settings, factory: sessionmaker[Session]
) -> None:
    response = admin.get("/console/keys")
    assert response.status_code == 200
    page = response.text
    [(key_id, multibase, status, _since)] = _keys(factory, staffed.org_id)
    assert status == "active"
    assert f"<code>{multibase}</code>" in page and f"<code>{multibase[:10]}…{multibase[-6:]}</code>" in page
    assert str(key_id) in page and ">Active</span>" in page
    did = issuers.did_for(staffed.org_id, settings.base_url)
    assert f"<code>{did}</code>" in page
    assert f'href="{issuers.did_document_url(staffed.org_id, settings.base_url)}"' in page
    assert 'action="/console/keys/rotate"' in page and 'action="/console/keys/compromised"' in page
    assert 'type="datetime-local"' in page and "UTC (not your local time)" in page
    assert '<label for="compromise-key">' in page and '<label for="compromise-since">' in page
    assert 'href="/console/keys" aria-current="page"' in page  # in the console's navigation
    ids = re.findall(r'id="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_rotate_asks_to_confirm_then_rotates_and_queues_the_jobs(
    admin: TestClient, staffed: Issued, settings: Settings, factory: sessionmaker[Session]
) -> None:
    [(old_id, _mb, _status, _since)] = _keys(factory, staffed.org_id)
    asked = _post(admin, "rotate")
    assert asked.status_code == 200
    assert "Rotate the signing key?" in asked.text and 'name="confirm" value="yes"' in asked.text
    assert "stays published in your DID document" in asked.text and 'name="reissue"' in asked.text
    assert [k[0] for k in _keys(factory, staffed.org_id)] == [old_id]  # nothing done yet

    current = re.search(r'name="current" value="([^"]*)"', asked.text)
    assert current is not None and current.group(1) == str(old_id)
    done = _post(admin, "rotate", confirm="yes", reissue="yes", current=str(old_id))
    assert done.status_code == 303 and done.headers["location"].startswith("/console/keys?done=rotated")
    keys = _keys(factory, staffed.org_id)
    assert (keys[0][0], keys[0][2]) == (old_id, "retired")
    assert len(keys) == 2 and keys[1][2] == "active"
    queued = _queued(done.headers["location"])
    assert [kind for kind, _n in queued].count("reissue") == 1
    with factory() as session:
        tasks = {kind: jobs.status(session, n).task for kind, n in queued}
    assert tasks["reissue"] == issuing_tasks.REISSUE_TASK
    assert tasks.get("resign_status_lists", status_tasks.RESIGN_TASK) == status_tasks.RESIGN_TASK
    page = admin.get(done.headers["location"]).text
    assert "The key was rotated" in page
    for _kind, n in queued:
        assert f"Job {n}:" in page
    assert ">Retired</span>" in page and ">Active</span>" in page

    # what the old key signed still verifies; a new award is signed with the new key and verifies
    assert _verified(settings, factory, staffed.award_id) == (True, "")
    new_award = _issue(settings, factory, staffed)
    with factory() as session:
        assert award_queries.get_award(session, new_award).signing_key_id == keys[1][0]
    assert _verified(settings, factory, new_award)[0] is True

    # the same confirmation sent again (a second click) is refused: one rotation, not two
    twice = _post(admin, "rotate", confirm="yes", current=str(old_id))
    assert twice.status_code == 400 and "The key was already rotated meanwhile" in twice.text
    assert len(_keys(factory, staffed.org_id)) == 2


def test_rotate_without_reissue_queues_no_reissue(
    admin: TestClient, staffed: Issued, factory: sessionmaker[Session]
) -> None:
    done = _rotate(admin)
    assert done.status_code == 303
    assert "reissue" not in [kind for kind, _n in _queued(done.headers["location"])]
    assert [k[2] for k in _keys(factory, staffed.org_id)] == ["retired", "active"]


def test_compromised_distrusts_what_was_signed_since(
    admin: TestClient, staffed: Issued, settings: Settings, factory: sessionmaker[Session]
) -> None:
    [(key_id, multibase, _status, _since)] = _keys(factory, staffed.org_id)
    with factory() as session:
        issued_at = award_queries.get_award(session, staffed.award_id).issued_at
    since = (issued_at - timedelta(minutes=1)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
    since_text = since.strftime("%Y-%m-%dT%H:%M")  # as a datetime-local input sends it

    asked = _post(admin, "compromised", key=str(key_id), since=since_text)
    assert asked.status_code == 200
    assert "will FAIL verification until they are re-issued" in asked.text
    assert f"{since.strftime('%Y-%m-%d %H:%M')} UTC" in asked.text and multibase in asked.text
    assert "This is your active key: a new key is made" in asked.text
    assert _verified(settings, factory, staffed.award_id)[0] is True  # nothing done yet

    done = _post(admin, "compromised", key=str(key_id), since=since.strftime("%Y-%m-%dT%H:%M:%S"), confirm="yes")
    assert done.status_code == 303 and done.headers["location"].startswith("/console/keys?done=compromised")
    keys = _keys(factory, staffed.org_id)
    assert keys[0][0] == key_id and keys[0][2] == "compromised"
    assert keys[0][3] is not None and keys[0][3].astimezone(UTC).replace(tzinfo=None) == since  # read as UTC
    assert [k[2] for k in keys[1:]] == ["active"]  # the compromised active key was replaced
    assert "reissue" not in [kind for kind, _n in _queued(done.headers["location"])]
    page = admin.get(done.headers["location"]).text
    assert "The key was marked compromised." in page and ">Compromised</span>" in page

    verified, why = _verified(settings, factory, staffed.award_id)
    assert verified is False and "compromised" in why
    again = _post(admin, "compromised", key=str(key_id), since=since_text, confirm="yes")
    assert again.status_code == 400  # no longer offered; refused when sent anyway
    assert "This key is already marked compromised." in again.text


def test_compromised_since_later_keeps_earlier_credentials_and_queues_the_reissue(
    admin: TestClient, staffed: Issued, settings: Settings, factory: sessionmaker[Session]
) -> None:
    _rotate(admin)
    [(retired_id, _mb, status, _s), _active] = _keys(factory, staffed.org_id)
    assert status == "retired"
    since = utcnow().astimezone(UTC).replace(tzinfo=None, microsecond=0)
    asked = _post(admin, "compromised", key=str(retired_id), since=since.isoformat(), reissue="yes")
    assert asked.status_code == 200 and "This is your active key" not in asked.text
    assert 'name="reissue" type="checkbox" value="yes" checked' in asked.text
    done = _post(admin, "compromised", key=str(retired_id), since=since.isoformat(), reissue="yes", confirm="yes")
    assert done.status_code == 303
    queued = dict(_queued(done.headers["location"]))
    with factory() as session:
        assert jobs.status(session, queued["reissue"]).task == issuing_tasks.REISSUE_TASK
    # signed before `since`: still verifies; the retired key was not replaced (the active one is unchanged)
    assert _verified(settings, factory, staffed.award_id) == (True, "")
    assert [k[2] for k in _keys(factory, staffed.org_id)] == ["compromised", "active"]


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("", "This field is required."),
        ("yesterday", "Enter a date and time such as 2026-01-31T14:30 (UTC)."),
        ("2026-13-40T25:00", "Enter a date and time such as 2026-01-31T14:30 (UTC)."),
        ("2999-01-01T00:00", "This time is in the future"),
    ],
)
def test_a_bad_date_is_refused_with_400(
    admin: TestClient, staffed: Issued, factory: sessionmaker[Session], since: str, message: str
) -> None:
    before = _keys(factory, staffed.org_id)
    response = _post(admin, "compromised", key=str(before[0][0]), since=since, confirm="yes")
    assert response.status_code == 400 and message in response.text
    assert 'id="compromise-since-error"' in response.text and 'href="#compromise-since"' in response.text
    assert _keys(factory, staffed.org_id) == before


def test_unknown_and_other_organisations_keys_are_refused(
    admin: TestClient, staffed: Issued, factory: sessionmaker[Session]
) -> None:
    with factory() as session:
        other = next(o for o in issuers.list_organisations(session) if o.name == "Other College")
        other_key = issuers.list_signing_keys(session, other.id)[0]
        other_id, other_mb = other_key.id, other_key.public_key_multibase
    before = _keys(factory, staffed.org_id)
    for ref in (str(uuid.uuid4()), "z6MkNoSuchKey", str(other_id), other_mb):
        response = _post(admin, "compromised", key=ref, since="2020-01-01T00:00", confirm="yes")
        assert response.status_code == 400, ref
        assert "Your organisation has no such signing key" in response.text
    assert _keys(factory, staffed.org_id) == before
    with factory() as session:
        assert [k.status for k in issuers.list_signing_keys(session, other.id)] == ["active"]


def test_only_administrators_of_the_organisation_act_on_its_keys(
    app: FastAPI, staffed: Issued, factory: sessionmaker[Session]
) -> None:
    before = _keys(factory, staffed.org_id)
    with TestClient(app, base_url="https://testserver") as assessor:
        _sign_in(assessor, "assessor@college.example")
        assert assessor.get("/console/keys", headers=HTML).status_code == 403
        assert 'href="/console/keys"' not in assessor.get("/console").text
        token = form_token(assessor, "/console")
        for action in ("rotate", "compromised"):
            response = assessor.post(
                f"/console/keys/{action}",
                data={"csrf_token": token, "key": str(before[0][0]), "since": "2020-01-01T00:00", "confirm": "yes"},
                headers=HTML,
                follow_redirects=False,
            )
            assert response.status_code == 403, action
    with TestClient(app, base_url="https://testserver") as other:
        _sign_in(other, "admin@other.example")
        page = other.get("/console/keys").text
        assert str(before[0][0]) not in page  # another organisation sees only its own keys
        assert _rotate(other).status_code == 303  # rotates its own key, not ours
    assert _keys(factory, staffed.org_id) == before


def test_actions_need_a_csrf_token(admin: TestClient, staffed: Issued, factory: sessionmaker[Session]) -> None:
    before = _keys(factory, staffed.org_id)
    response = admin.post("/console/keys/rotate", data={"confirm": "yes"}, follow_redirects=False)
    assert response.status_code == 403
    assert _keys(factory, staffed.org_id) == before


def test_the_page_in_french(admin: TestClient, staffed: Issued, factory: sessionmaker[Session]) -> None:
    admin.get("/language/fr?next=/console")
    page = admin.get("/console/keys").text
    assert 'lang="fr"' in page
    assert "Clés de signature" in page and "Marquer une clé comme compromise" in page
    asked = _post(admin, "rotate")
    assert "Remplacer la clé de signature ?" in asked.text
    refused = _post(admin, "compromised", key=str(_keys(factory, staffed.org_id)[0][0]), since="hier")
    assert refused.status_code == 400
    assert "Saisissez une date et une heure, par exemple 2026-01-31T14:30 (UTC)." in refused.text
    done = _rotate(admin)
    assert "La clé a été remplacée" in admin.get(done.headers["location"]).text
