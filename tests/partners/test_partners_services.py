"""Issue 7 on SQLite and PostgreSQL: request -> two answers -> a partner-signed EndorsementCredential -> embedded in
the next award -> both verify; decline and request-changes paths; the relevance gate refusing then allowing;
revocation and expiry lapsing relevance; the relevance report; idempotent reminders (real SMTP); the audit trail."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from microcred import issuing
from microcred.accounts import services as accounts
from microcred.audit.models import AuditEntry
from microcred.awards import queries as awards
from microcred.db import session_scope
from microcred.earners import services as earners
from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.partners import services as partners
from microcred.vc.contexts import CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from microcred.vc.endorsement import read_endorsement_comment
from microcred.vc.schema import ENDORSEMENT_CREDENTIAL_SCHEMA, schema_errors
from support.instance import test_settings, verifier_for
from support.smtp import smtp_server

BASE = "http://127.0.0.1:8000"
YES = partners.Answers(
    in_demand=True,
    in_demand_rationale="Ontario job boards list 1,200 line-cook openings asking for food safety certification.",
    reflects_job_performance=True,
    job_performance_comment="The supervised practical mirrors a real kitchen shift.",
    endorsement_comment="Great Lakes Hospitality Group hires graduates of this micro-credential.",
)


class World:
    def __init__(self, session: Session, make_org: Callable[..., Any], make_achievement: Callable[..., Any]) -> None:
        self.college = make_org(session)
        self.partner_org, self.partner = partners.create_partner(
            session,
            partner_type="employer",
            sector="Hospitality",
            name="Great Lakes Hospitality Group",
            country="CA",
            email="talent@greatlakes.example",
        )
        self.staff = accounts.create_user(
            session, email="staff@college.example", name="Sam Staff", role="org_admin", organisation_id=self.college.id
        )
        self.reviewer = accounts.create_user(
            session,
            email="reviewer@greatlakes.example",
            name="Jordan Partner",
            role="partner_reviewer",
            organisation_id=self.partner_org.id,
        )
        self.achievement = make_achievement(session, self.college.id)
        self.earner = earners.create_earner(session, name="Amara Okafor", email="amara@learner.example")


@pytest.fixture
def world(session: Session, make_org: Callable[..., Any], make_achievement: Callable[..., Any]) -> World:
    return World(session, make_org, make_achievement)


def _issue(session: Session, world: World, master_key: bytes, **kw: Any) -> Any:
    return issuing.issue_award(
        session,
        achievement_id=world.achievement.id,
        earner_id=world.earner.id,
        results=[{"outcome_id": str(o.id)} for o in world.achievement.outcomes],
        base_url=BASE,
        master_key=master_key,
        **kw,
    )


def _endorse(session: Session, world: World, master_key: bytes, **kw: Any) -> Any:
    request, notes = partners.request_endorsement(
        session,
        achievement_id=world.achievement.id,
        partner_id=world.partner_org.id,
        message="Please review before our fall intake.",
        requested_by_id=world.staff.id,
        base_url=BASE,
    )
    assert [n.to for n in notes] == ["reviewer@greatlakes.example"]
    row, endorsement, notes = partners.answer_request(
        session, request.id, reviewer_id=world.reviewer.id, answers=YES, decision="endorse", base_url=BASE,
        master_key=master_key, **kw,
    )  # fmt: skip
    assert row.status == "endorsed" and endorsement is not None
    assert [n.to for n in notes] == ["staff@college.example"]
    return endorsement


def test_workflow_signed_endorsement_embedded_in_the_next_award_and_both_verify(
    factory: sessionmaker[Session], session: Session, world: World, master_key: bytes
) -> None:
    partners.set_policy(session, world.college.id, require_endorsement=True)
    with pytest.raises(InvalidInput, match=r"no current partner endorsement .*Test College requires one"):
        _issue(session, world, master_key)
    endorsement = _endorse(session, world, master_key)
    award = _issue(session, world, master_key)
    session.commit()

    doc = partners.endorsement_document(endorsement)
    assert schema_errors(doc, ENDORSEMENT_CREDENTIAL_SCHEMA) == []
    assert doc["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert doc["issuer"]["id"] == f"did:web:127.0.0.1%3A8000:issuers:{world.partner_org.id}"
    subject = doc["credentialSubject"]
    assert subject["id"] == f"{BASE}/achievements/{world.achievement.id}"
    assert doc["@context"] == [CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS]  # only standard contexts
    answers = read_endorsement_comment(subject["endorsementComment"])
    assert answers.comment == YES.endorsement_comment
    assert answers.in_demand is True and answers.reflects_job_performance is True
    assert answers.rationale == YES.in_demand_rationale
    assert answers.job_performance_comment == YES.job_performance_comment
    assert set(subject) == {"id", "type", "endorsementComment"}
    assert doc["credentialStatus"]["statusPurpose"] == "revocation"

    credential = awards.credential_document(award)
    assert credential["credentialSubject"]["achievement"]["endorsement"] == [doc]
    verifier = verifier_for(factory, master_key, BASE)
    alone = verifier.verify(doc)
    assert alone.verified, alone.summary
    result = verifier.verify(credential)
    assert result.verified, result.summary
    assert [n.kind for n in result.nested] == ["endorsement"] and result.nested[0].result.verified
    assert {c.check: c.passed for c in result.checks}["endorsements"] is True

    # revoking the endorsement: it no longer verifies, relevance lapses, issuing is refused with the reason
    partners.revoke_endorsement(session, endorsement.id, reason="The partner left the consultation board.")
    session.commit()
    revoked = verifier.verify(doc)
    assert not revoked.verified and any("revoked" in c.reason for c in revoked.checks if not c.passed)
    state = partners.relevance(session, world.achievement)
    assert state.state == "lapsed"
    with pytest.raises(InvalidInput, match="lapsed: the endorsement by Great Lakes Hospitality Group revoked on"):
        _issue(session, world, master_key)
    # a new endorsement restores relevance
    _endorse(session, world, master_key)
    assert partners.relevance(session, world.achievement).state == "current"
    _issue(session, world, master_key)

    actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    for action in (
        "partner.registered",
        "relevance.policy_set",
        "endorsement.requested",
        "endorsement.answered",
        "endorsement.signed",
        "award.issued",
        "endorsement.revoked",
    ):
        assert action in actions, action


def test_decline_and_request_changes_paths(session: Session, world: World, master_key: bytes) -> None:
    request, _ = partners.request_endorsement(
        session, achievement_id=world.achievement.id, partner_id=world.partner_org.id, base_url=BASE
    )
    with pytest.raises(Conflict, match="already open"):
        partners.request_endorsement(
            session, achievement_id=world.achievement.id, partner_id=world.partner_org.id, base_url=BASE
        )
    no = partners.Answers(True, "Demand is strong.", False, "A written test cannot show kitchen performance.")
    with pytest.raises(InvalidInput, match="assessment is not confirmed to reflect job performance"):
        partners.answer_request(
            session, request.id, reviewer_id=world.reviewer.id, answers=no, decision="endorse", base_url=BASE
        )
    with pytest.raises(InvalidInput, match="say why"):
        partners.answer_request(
            session, request.id, reviewer_id=world.reviewer.id, answers=no, decision="request_changes", base_url=BASE
        )
    with pytest.raises(NotFound):  # the issuer's staff cannot answer for the partner
        partners.answer_request(
            session, request.id, reviewer_id=world.staff.id, answers=YES, decision="endorse", base_url=BASE
        )
    row, endorsement, notes = partners.answer_request(
        session,
        request.id,
        reviewer_id=world.reviewer.id,
        answers=no,
        decision="request_changes",
        note="Add a supervised practical.",
        base_url=BASE,
    )
    assert (row.status, endorsement) == ("changes_requested", None)
    assert "asks for changes" in notes[0].subject and "Add a supervised practical." in notes[0].body
    row, _ = partners.resubmit_request(session, request.id, message="Practical added.", base_url=BASE)
    assert row.status == "pending"
    row, endorsement, _ = partners.answer_request(
        session,
        request.id,
        reviewer_id=world.reviewer.id,
        answers=partners.Answers(False, "No local demand.", True, "Fine."),
        decision="decline",
        note="Not a priority for our members.",
        base_url=BASE,
    )
    assert (row.status, endorsement) == ("declined", None)
    assert partners.list_endorsements(session) == []
    with pytest.raises(Conflict, match="already answered"):
        partners.answer_request(
            session, request.id, reviewer_id=world.reviewer.id, answers=YES, decision="endorse", base_url=BASE
        )
    answered = partners.request_json(session, row)["answers"]
    assert answered["competency_in_demand"] is False and answered["labour_market_rationale"] == "No local demand."


def test_gate_is_opt_in_per_organisation_and_expiry_lapses(session: Session, world: World, master_key: bytes) -> None:
    # no policy: an unreviewed achievement can be issued (issuers outside Ontario)
    assert partners.relevance(session, world.achievement).state == "unreviewed"
    _issue(session, world, master_key)
    now = datetime.now(UTC).replace(microsecond=0)
    # endorsed 13 months ago for 12 months: expired -> lapsed, refused even without require_endorsement
    _endorse(session, world, master_key, now=now - timedelta(days=400))
    state = partners.relevance(session, world.achievement, now=now)
    assert state.state == "lapsed" and "expired on" in state.missing[-1]
    with pytest.raises(InvalidInput, match=r"relevance lapsed: the endorsement .* expired on"):
        _issue(session, world, master_key)
    # the issuer's own review restarts the cycle (no endorsement required by policy)
    partners.record_review(session, world.achievement.id, note="Checked with the sector council.")
    assert partners.relevance(session, world.achievement).state == "current"
    _issue(session, world, master_key)
    # ...but not when the organisation requires a current endorsement
    partners.set_policy(session, world.college.id, require_endorsement=True)
    with pytest.raises(InvalidInput, match="no current partner endorsement"):
        _issue(session, world, master_key)


def test_relevance_report_and_idempotent_reminders(
    session: Session, world: World, master_key: bytes, make_achievement: Callable[..., Any]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    due = make_achievement(session, world.college.id, name="Due Soon")
    partners.record_review(session, due.id, note="Reviewed last year.", reviewed_at=now - timedelta(days=330))
    _endorse(session, world, master_key)
    report = {r.name: r.state for r in partners.relevance_report(session, issuer_id=world.college.id)}
    assert report == {"Food Safety Fundamentals": "current", "Due Soon": "due"}
    with smtp_server() as box:
        settings = test_settings(master_key, BASE, MICROCRED_SMTP_HOST=box.host, MICROCRED_SMTP_PORT=box.port)
        reminded, notes = partners.send_reminders(session, base_url=BASE)
        assert [r.name for r in reminded] == ["Due Soon"]
        assert partners.send_notifications(settings, notes) == 1
        message = box.wait_for("staff@college.example")
        assert "Relevance review due on" in str(message["Subject"])
        again, notes_again = partners.send_reminders(session, base_url=BASE)
        assert (again, notes_again) == ([], [])


def test_endorsement_survives_a_round_trip_through_json(session: Session, world: World, master_key: bytes) -> None:
    endorsement = _endorse(session, world, master_key)
    summary = partners.endorsement_summary(session, endorsement)
    assert summary["state"] == "current" and summary["partner"] == "Great Lakes Hospitality Group"
    assert json.loads(endorsement.credential_json)["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert partners.get_endorsement(session, str(endorsement.id)).id == endorsement.id
    with pytest.raises(NotFound):
        partners.get_endorsement(session, uuid.uuid4())


def test_same_transaction_commit(factory: sessionmaker[Session], make_org: Callable[..., Any]) -> None:
    with session_scope(factory) as s:
        org = make_org(s)
        partners.set_policy(s, org.id, require_endorsement=True, review_months=6)
    with factory() as s:
        assert partners.get_policy(s, org.id) == partners.Policy(True, 6, 60)


def test_a_bulk_chunk_reads_the_relevance_gate_once_and_sees_its_own_changes(
    session: Session, world: World, master_key: bytes
) -> None:
    """Inside `db.reads.shared_reads` (a bulk chunk), the gate's reads (policy, endorsements, reviews) are made for
    the first row only; a change made in the same session (a new endorsement, a withdrawal, a review, a policy)
    is seen by the very next check, because its writer forgets the shared read."""
    from sqlalchemy import event

    from microcred.db import reads

    selects: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    partners.set_policy(session, world.college.id, require_endorsement=True)
    session.flush()
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        with reads.shared_reads(session):
            with pytest.raises(InvalidInput, match="no current partner endorsement"):
                partners.check_issuable(session, world.achievement)
            selects.clear()
            for _ in range(3):
                with pytest.raises(InvalidInput, match="no current partner endorsement"):
                    partners.check_issuable(session, world.achievement)
                partners.endorsement_documents_for_issuing(session, world.achievement.id)
            assert selects == []  # every row after the first: no read at all
            endorsement = _endorse(session, world, master_key)
            partners.check_issuable(session, world.achievement)  # the new endorsement is seen at once
            assert len(partners.endorsement_documents_for_issuing(session, world.achievement.id)) == 1
            partners.revoke_endorsement(session, endorsement.id, reason="test: withdrawn in the chunk")
            with pytest.raises(InvalidInput):
                partners.check_issuable(session, world.achievement)
            partners.record_review(session, world.achievement.id, note="Reviewed with the advisory committee.")
            partners.set_policy(session, world.college.id, require_endorsement=False)
            assert partners.relevance(session, world.achievement).require_endorsement is False
    finally:
        event.remove(engine, "before_cursor_execute", count)
