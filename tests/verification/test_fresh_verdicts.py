"""Issue 14, "Done means": no cache ever serves a stale verdict.

Verification remembers work per process: expansions, canonical N-Quads, JSON Schema results and decoded status
lists by exact content; this instance's signed status lists by (list, version, active key); keys, list versions and
holds read under a stamp of the store. Each test here warms every door on a credential (through each door once,
then twice more through the door under test), changes what the verdict depends on, and asks the door under test
again: the very next request must see the change. The doors: the public HTML page, the earner's backpack and
`POST /credentials/verify`; each on SQLite and PostgreSQL. Verdicts and reasons are compared, never times.
"""

from __future__ import annotations

import copy
import html
import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from microcred import issuing
from microcred.awards import lifecycle
from microcred.awards import queries as awards
from microcred.db import make_engine, session_factory, session_scope
from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.partners import services as partners
from microcred.settings import Settings
from web.conftest import Issued, form_token

DOORS = ("page", "backpack", "api")
REVOKED = "revoked by the issuer"
SUSPENDED = "suspended by the issuer"
ALTERED = "the signature does not match the document (it was altered or signed by another key)"
SINCE = datetime(2000, 1, 1, tzinfo=UTC)  # before anything here was signed
COMPROMISED = f"the signing key was reported compromised since {SINCE.isoformat()}; signature not trusted"
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Verdict:
    """What a door says of a credential: verified or not, and the reasons of the failed checks, in order."""

    verified: bool
    failures: tuple[str, ...] = ()


OK = Verdict(True)
_ROW = re.compile(r'<th scope="row">.*?</th>\s*<td>(.*?)</td>\s*<td[^>]*>(.*?)</td>', re.S)
_FAILURE = re.compile(r"<li>[^<]*: <span[^>]*>(.*?)</span></li>", re.S)


class Doors:
    """The three ways a verdict reaches someone: ``public`` (no cookie) reads the page and posts to the API,
    ``earner`` (signed in) opens the backpack."""

    def __init__(self, public: TestClient, earner: TestClient, factory: sessionmaker[Session]) -> None:
        self.public, self.earner, self.factory = public, earner, factory

    def document(self, award_id: uuid.UUID) -> dict[str, Any]:
        with self.factory() as session:
            return awards.credential_document(awards.get_award(session, award_id))

    def store(self, award_id: uuid.UUID, document: dict[str, Any]) -> None:
        """Put ``document`` in place of the award's stored credential (a copy altered at rest)."""
        from microcred.awards.models import Award

        with session_scope(self.factory) as session:
            row = session.get(Award, award_id)
            assert row is not None
            row.credential_json = json.dumps(document)

    def judge(self, door: str, award_id: uuid.UUID, document: dict[str, Any] | None = None) -> Verdict:
        """The verdict of ``door`` on the award's credential, or on ``document`` given as that credential (posted to
        the API; stored in place of the award's credential for the page and the backpack)."""
        if door == "api":
            return self._api(document if document is not None else self.document(award_id))
        if document is not None:
            self.store(award_id, document)
        return self._page(award_id) if door == "page" else self._backpack(award_id)

    def warm(self, door: str, *award_ids: uuid.UUID, expected: Verdict = OK) -> None:
        """Verify each award through every door, then twice more through ``door``: every cache is warm."""
        for award_id in award_ids:
            for each in (*DOORS, door, door):
                assert self.judge(each, award_id) == expected, (each, award_id)

    def _api(self, document: dict[str, Any]) -> Verdict:
        response = self.public.post("/credentials/verify", json={"verifiableCredential": document})
        body = response.json()
        assert response.status_code == (200 if body["verified"] else 400), body
        assert body["checks"], body
        return Verdict(body["verified"], tuple(c["reason"] for c in body["checks"] if not c["passed"]))

    def _page(self, award_id: uuid.UUID) -> Verdict:
        response = self.public.get(f"/credentials/{award_id}", headers={"Accept": "text/html"})
        assert response.status_code == 200, response.text[:500]
        text = response.text
        verified = 'class="verdict verdict-ok"' in text
        assert verified != ('class="verdict verdict-fail"' in text), "the page shows no verdict, or two"
        rows = _ROW.findall(text)
        assert rows, "the page lists no check"
        return Verdict(verified, tuple(html.unescape(reason) for result, reason in rows if 'class="fail"' in result))

    def _backpack(self, award_id: uuid.UUID) -> Verdict:
        response = self.earner.get("/backpack", follow_redirects=False)
        assert response.status_code == 200, response.text[:500]
        cards = [c for c in response.text.split('<li class="credential-card">')[1:] if f'id="cred-{award_id}"' in c]
        assert len(cards) == 1, f"the backpack shows award {award_id} {len(cards)} times"
        card = cards[0]
        verified = '"status status-ok"' in card
        assert verified != ('"status status-fail"' in card), "the card shows no verdict, or two"
        if verified:
            return OK
        block = card.split('<div class="status status-fail">', 1)[1].split("</div>", 1)[0]
        return Verdict(False, tuple(html.unescape(reason) for reason in _FAILURE.findall(block)))


def sign_in_earner(client: TestClient, factory: sessionmaker[Session], email: str) -> None:
    """Sign ``client`` in as the earner with ``email`` through the emailed-link form (its cookie stays on it)."""
    from microcred.accounts import services as accounts

    with factory() as session:
        user = accounts.user_for_sign_in(session, email)
        assert user is not None, f"no earner with {email}"
        token = accounts.issue_sign_in_token(session, user)
        session.commit()
    csrf = form_token(client, f"/sign-in/link/{token}")
    form = {"csrf_token": csrf, "next": "/backpack"}
    signed = client.post(f"/sign-in/link/{token}", data=form, follow_redirects=False)
    assert signed.status_code == 303, signed.text


@pytest.fixture
def doors(app: FastAPI, client: TestClient, factory: sessionmaker[Session], issued: Issued) -> Doors:
    sign_in_earner(client, factory, "ada@example.org")
    return Doors(TestClient(app, base_url="https://testserver"), client, factory)


@pytest.fixture(params=DOORS)
def door(request: pytest.FixtureRequest) -> str:
    door: str = request.param
    return door


def master(settings: Settings) -> bytes:
    return keystore.load_master_key(settings)


def issue(factory: sessionmaker[Session], settings: Settings, issued: Issued, **request: Any) -> uuid.UUID:
    """Another award of the same achievement to the same earner (signed with the issuer's active key)."""
    with session_scope(factory) as session:
        award = issuing.issue_award(
            session,
            achievement_id=issued.achievement_id,
            earner_id=issued.earner_id,
            base_url=settings.base_url,
            master_key=master(settings),
            **request,
        )
        return award.id


def change(factory: sessionmaker[Session], action: Callable[[Session], Any]) -> None:
    """One committed change through the domain services."""
    with session_scope(factory) as session:
        action(session)


# -- 1-3: revoked, suspended, reinstated -------------------------------------------------------------
def test_a_revocation_is_seen_at_once(doors: Doors, door: str, factory: sessionmaker[Session], issued: Issued) -> None:
    doors.warm(door, issued.award_id)
    change(factory, lambda s: lifecycle.revoke_award(s, issued.award_id, reason="test: exam fraud"))
    assert doors.judge(door, issued.award_id) == Verdict(False, (REVOKED,))


def test_a_suspension_and_a_reinstatement_are_each_seen_at_once(
    doors: Doors, door: str, factory: sessionmaker[Session], issued: Issued
) -> None:
    doors.warm(door, issued.award_id)
    change(factory, lambda s: lifecycle.suspend_award(s, issued.award_id, reason="test: under review"))
    assert doors.judge(door, issued.award_id) == Verdict(False, (SUSPENDED,))
    doors.warm(door, issued.award_id, expected=Verdict(False, (SUSPENDED,)))
    change(factory, lambda s: lifecycle.reinstate_award(s, issued.award_id, reason="test: cleared"))
    assert doors.judge(door, issued.award_id) == OK


# -- 4: keys ------------------------------------------------------------------------------------------
def test_a_rotated_key_still_verifies_and_its_compromise_is_seen_at_once(
    doors: Doors, door: str, factory: sessionmaker[Session], settings: Settings, issued: Issued
) -> None:
    doors.warm(door, issued.award_id)
    change(factory, lambda s: issuers.rotate_signing_key(s, issued.org_id, master_key=master(settings)))
    assert doors.judge(door, issued.award_id) == OK  # the retired key is still the issuer's; the list is signed anew
    after = issue(factory, settings, issued)  # signed with the new key
    doors.warm(door, issued.award_id, after)
    with factory() as session:
        old_key = awards.get_award(session, issued.award_id).signing_key_id
        assert awards.get_award(session, after).signing_key_id != old_key
    change(factory, lambda s: issuers.compromise_key(s, issued.org_id, str(old_key), since=SINCE))
    assert doors.judge(door, issued.award_id) == Verdict(False, (COMPROMISED,))
    assert doors.judge(door, after) == OK  # the other key of the same issuer is untouched


def test_the_compromise_of_the_active_key_is_seen_at_once(
    doors: Doors, door: str, factory: sessionmaker[Session], settings: Settings, issued: Issued
) -> None:
    doors.warm(door, issued.award_id)
    with factory() as session:
        key = awards.get_award(session, issued.award_id).signing_key_id
    mint = master(settings)
    change(factory, lambda s: issuers.compromise_key(s, issued.org_id, str(key), since=SINCE, master_key=mint))
    # Only the issuer check fails: the status list is signed again with the new active key, not served as it was.
    assert doors.judge(door, issued.award_id) == Verdict(False, (COMPROMISED,))
    assert doors.judge(door, issue(factory, settings, issued)) == OK  # the new key signs what comes next


# -- 5: expiry ----------------------------------------------------------------------------------------
def test_an_expiry_is_seen_at_once(
    doors: Doors, door: str, factory: sessionmaker[Session], settings: Settings, issued: Issued
) -> None:
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    award_id = issue(factory, settings, issued, valid_until=until)
    doors.warm(door, award_id)
    stated = doors.document(award_id)["validUntil"]
    while datetime.now(UTC) <= datetime.fromisoformat(stated):
        time.sleep(0.1)
    assert doors.judge(door, award_id) == Verdict(False, (f"expired on {stated}",))


# -- 6: tampered copies -------------------------------------------------------------------------------
def tampered_copies(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Copies of a signed credential with one value changed or one field added (every one defined by the
    contexts and allowed by the schema, so only the signature can tell)."""

    def altered(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        twin = copy.deepcopy(document)
        edit(twin)
        assert twin != document
        return twin

    achievement = ("credentialSubject", "achievement")
    return {
        "name": altered(lambda d: d.update(name="Brain Surgery")),
        "achievement name": altered(lambda d: d[achievement[0]][achievement[1]].update(name="Brain Surgery")),
        "an outcome": altered(
            lambda d: d[achievement[0]][achievement[1]]["resultDescription"][0].update(name="Perform surgery.")
        ),
        "the credits": altered(lambda d: d[achievement[0]][achievement[1]].update(creditsAvailable=50.0)),
        "validFrom": altered(lambda d: d.update(validFrom="2020-01-01T00:00:00Z")),
        "validUntil added": altered(lambda d: d.update(validUntil="2099-01-01T00:00:00Z")),
        "description added": altered(lambda d: d.update(description="Also a licensed surgeon.")),
    }


def test_a_tampered_copy_of_a_verified_credential_is_rejected(doors: Doors, door: str, issued: Issued) -> None:
    original = doors.document(issued.award_id)
    for what, twin in tampered_copies(original).items():
        doors.warm(door, issued.award_id)
        assert doors.judge(door, issued.award_id, twin) == Verdict(False, (ALTERED,)), what
        assert doors.judge(door, issued.award_id, original) == OK, what  # and the original still verifies


# -- 7: a change made by another engine or another process --------------------------------------------
_ELSEWHERE = """
import sys, uuid
from microcred.awards import lifecycle
from microcred.db import make_engine, session_factory, session_scope
engine = make_engine(sys.argv[1])
with session_scope(session_factory(engine)) as session:
    getattr(lifecycle, sys.argv[2])(session, uuid.UUID(sys.argv[3]), reason="test: from another process")
engine.dispose()
"""


def elsewhere(writer: str, db_url: str, action: str, award_id: uuid.UUID) -> None:
    """``lifecycle.<action>`` on the award, committed by a second engine of this process or by another process."""
    if writer == "process":
        done = subprocess.run(
            [sys.executable, "-c", _ELSEWHERE, db_url, action, str(award_id)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return
    engine = make_engine(db_url)
    try:
        change(session_factory(engine), lambda s: getattr(lifecycle, action)(s, award_id, reason="test: elsewhere"))
    finally:
        engine.dispose()


@pytest.mark.parametrize("writer", ["engine", "process"])
def test_a_change_made_elsewhere_is_seen_at_once(
    doors: Doors, door: str, writer: str, db_url: str, issued: Issued
) -> None:
    steps = [("suspend_award", Verdict(False, (SUSPENDED,))), ("reinstate_award", OK)] if writer == "engine" else []
    steps.append(("revoke_award", Verdict(False, (REVOKED,))))
    expected = OK
    for action, after in steps:
        doors.warm(door, issued.award_id, expected=expected)
        elsewhere(writer, db_url, action, issued.award_id)
        assert doors.judge(door, issued.award_id) == after, (writer, action)
        expected = after


# -- 8: one endorsement embedded in two awards --------------------------------------------------------
YES = partners.Answers(
    in_demand=True,
    in_demand_rationale="Ontario job boards list 1,200 line-cook openings asking for food safety certification.",
    reflects_job_performance=True,
    job_performance_comment="The supervised practical mirrors a real kitchen shift.",
    endorsement_comment="Great Lakes Hospitality Group hires graduates of this micro-credential.",
)


def endorse(factory: sessionmaker[Session], settings: Settings, issued: Issued) -> uuid.UUID:
    """A partner's signed endorsement of the issued award's achievement (embedded in awards issued from now on)."""
    with session_scope(factory) as session:
        partner_org, _partner = partners.create_partner(
            session,
            partner_type="employer",
            sector="Hospitality",
            name="Great Lakes Hospitality Group",
            country="CA",
            email="talent@greatlakes.example",
        )
        row = partners.sign_endorsement(
            session,
            achievement_id=issued.achievement_id,
            partner_id=partner_org.id,
            answers=YES,
            base_url=settings.base_url,
            master_key=master(settings),
        )
        return row.id


def test_a_revoked_endorsement_fails_every_award_embedding_it_at_once(
    doors: Doors, door: str, factory: sessionmaker[Session], settings: Settings, issued: Issued
) -> None:
    endorsement_id = endorse(factory, settings, issued)
    first, second = issue(factory, settings, issued), issue(factory, settings, issued)
    embedded = [doors.document(a)["credentialSubject"]["achievement"].get("endorsement") for a in (first, second)]
    assert embedded[0] and embedded[0] == embedded[1]  # the very same signed endorsement in both
    doors.warm(door, first, second)
    change(factory, lambda s: partners.revoke_endorsement(s, endorsement_id, reason="test: left the board"))
    failed = f"1 of 1 not verified; credentialSubject.achievement.endorsement[0]: not verified: {REVOKED}"
    assert [doors.judge(door, a) for a in (first, second)] == [Verdict(False, (failed,))] * 2
    assert doors.judge(door, issued.award_id) == OK  # an award without the endorsement is untouched
