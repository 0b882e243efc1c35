"""The dry run: each row's verdict, with the reason issuing would give, on SQLite and PostgreSQL; and a dry run
leaves nothing behind (no earner created, no result recorded, no award, no status entry)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.batches.conftest import BASE, World, csv_bytes, make_batch, verdicts

from microcred import issuing
from microcred.assessments.models import AssessmentResult
from microcred.awards.models import Award
from microcred.batches import services as batches
from microcred.db import session_scope
from microcred.earners.models import Earner
from microcred.errors import Conflict
from microcred.partners import services as partners
from microcred.status.models import StatusEntry

COLUMNS = ["earner_name", "email", "earner_id", "achievement_id", "achievement_code", "valid_from", "valid_until",
           "outcome_1", "outcome_2", "outcome_3", "final_result"]


def row(**cells: str) -> list[str]:
    return [cells.get(column, "") for column in COLUMNS]


def dry_run(factory: sessionmaker[Session], *rows: list[str], **options: Any) -> dict[int, tuple[str, str | None]]:
    return verdicts(factory, make_batch(factory, csv_bytes(COLUMNS, *rows), start=False, **options))


def _count(factory: sessionmaker[Session], model: Any) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_each_reason_a_row_is_refused(factory: sessionmaker[Session], world: World) -> None:
    found = dry_run(
        factory,
        row(earner_name="Ada", email="ada@example.org", achievement_code="HOSP-101"),
        row(earner_name="Bo", email="bo@example.org", achievement_id=str(uuid.UUID(int=7))),
        row(earner_name="Bo", email="bo@example.org", achievement_code="NOPE-9"),
        row(earner_name="Bo", email="bo at example.org", achievement_code="HOSP-101"),
        row(earner_name="Cy", email="cy@example.org", achievement_code="ASSESS-1", outcome_1="Proficient"),
        row(earner_name="Di", email="di@example.org", achievement_code="HOSP-101", valid_from="31/12/2026"),
        row(earner_name="Di", email="di@example.org", achievement_code="HOSP-101", valid_from="2026-09-01T09:00"),
        row(earner_name="Di", email="di@example.org", achievement_code="HOSP-101", valid_from="2026-09-01",
            valid_until="2026-08-01"),
        row(earner_name="Ada", email="ADA@example.org", achievement_code="HOSP-101"),
        row(earner_name="Ada", email="ada@example.org", achievement_code="HOSP-101", valid_from="2026-09-01"),
        row(email="new@example.org", achievement_code="HOSP-101"),
        row(earner_id=str(uuid.UUID(int=9)), achievement_code="HOSP-101"),
        row(earner_name="Ed", email="ed@example.org", achievement_code="DRAFT-1"),
        row(earner_name="Ed", email="ed@example.org"),
        row(earner_name="Fa", email="fa@example.org", achievement_code="ASSESS-1", outcome_1="Expert",
            outcome_2="80", outcome_3="Consistently"),
        row(earner_name="Fa", email="fa@example.org", achievement_code="HOSP-101", final_result="B+"),
        row(earner_name="Gu", email="gu@example.org", achievement_code="HOSP-101", outcome_3="x" * 201),
    )
    assert found[1] == ("pending", None)
    expected = {
        2: f"unknown achievement id '{uuid.UUID(int=7)}'",
        3: "unknown achievement code 'NOPE-9'",
        4: "email is not an email address: 'bo at example.org'",
        5: "cannot issue until every outcome has a passing result: outcome 2 ('Handle food in compliance with "
        "hygiene rules.') has no recorded result; outcome 3 ('Attend to detail when checking temperatures.') has "
        "no recorded result",
        6: "valid_from must be a date (YYYY-MM-DD) or an ISO 8601 date-time such as 2026-09-01T09:00:00-04:00 "
        "(got '31/12/2026')",
        7: "valid_from must carry its UTC offset (e.g. 2026-09-01T09:00:00-04:00) or be a plain date",
        8: "valid_until must be later than valid_from",
        9: "duplicate of row 1 (same earner, achievement and valid_from)",
        10: "row 1 already issues this achievement to this earner",
        11: "earner_name is required: no earner has the email new@example.org yet, so one is created",
        12: f"no earner with id {uuid.UUID(int=9)}",
        13: "achievement 'Pastry Basics' is not published; only published ones can be awarded",
        14: "no achievement: give achievement_id or achievement_code (or one for the whole file)",
        15: "result for outcome 1: 'Expert' is not one of its levels ('Beginning', 'Proficient', 'Exemplary')",
        16: "result must be Pass or Fail for a pass/fail achievement (got 'B+')",
        17: "result value is too long (at most 200 characters)",
    }
    assert {n: found[n] for n in expected} == {n: ("refused", message) for n, message in expected.items()}


def test_a_duplicate_of_an_active_award_and_the_relevance_gate(
    factory: sessionmaker[Session], world: World, master_key: bytes
) -> None:
    with session_scope(factory) as session:
        held = issuing.issue_award(
            session, achievement_id=world.plain_id, earner_id=world.earner_id, base_url=BASE, master_key=master_key
        )
    found = dry_run(
        factory,
        row(email="Amara@Example.org", achievement_code="HOSP-101"),  # the same earner, another spelling
        row(email="amara.okafor@work.example", achievement_code="hosp-101"),  # her verified extra address
        row(earner_id=str(world.earner_id), achievement_id=str(world.plain_id)),
    )
    message = f"the earner already holds an active award of this achievement (award {held.id})"
    assert found == {1: ("refused", message), 2: ("refused", message), 3: ("refused", message)}

    with session_scope(factory) as session:
        partners.set_policy(session, world.org_id, require_endorsement=True)
    found = dry_run(factory, row(earner_name="Ada", email="ada@example.org", achievement_code="HOSP-101"))
    assert found[1][0] == "refused"
    assert found[1][1] is not None and "no current partner endorsement" in found[1][1]


def test_earners_are_matched_by_email_case_insensitively_and_by_verified_address(
    factory: sessionmaker[Session], world: World
) -> None:
    from microcred.earners import services as earners

    with session_scope(factory) as session:
        earners.create_earner(session, name="Bo", email="bo@example.org")
    found = dry_run(
        factory,
        row(email="AMARA@example.ORG", achievement_code="ASSESS-1", outcome_1="proficient", outcome_2="85",
            outcome_3="2"),
        row(email="amara.okafor@WORK.example", achievement_code="HOSP-101"),
        row(email="amara@example.org", earner_id=str(world.earner_id), achievement_code="HOSP-101",
            valid_from="2026-01-05"),
        row(email="someone@example.org", earner_id=str(world.earner_id), achievement_code="HOSP-101"),
        row(email="bo@example.org", earner_id=str(world.earner_id), achievement_code="HOSP-101"),
    )
    assert found[1] == ("pending", None)
    assert found[2] == ("pending", None)
    assert found[3] == ("refused", "row 2 already issues this achievement to this earner")
    assert found[4] == ("refused", f"email someone@example.org is not an address of earner {world.earner_id}")
    assert found[5] == ("refused", "earner_id and email name two different earners")


def test_one_achievement_for_the_whole_file_and_one_organisation_per_batch(
    factory: sessionmaker[Session], world: World, make_org: Any, make_achievement: Any
) -> None:
    with session_scope(factory) as session:
        other = make_org(session, name="Other College", registration_id="ON-OTHER-2")
        foreign = make_achievement(session, other.id, name="Welding")
    found = dry_run(
        factory,
        row(earner_name="Ada", email="ada@example.org"),
        row(earner_name="Bo", email="bo@example.org", achievement_id=str(foreign.id)),
        achievement="HOSP-101",
    )
    assert found[1] == ("pending", None)
    assert found[2] == (
        "refused",
        "achievement 'Welding' belongs to another organisation than the rest of this batch (one batch issues for "
        "one organisation)",
    )
    with factory() as session:
        batch = session.scalars(select(batches.AwardBatch)).one()
        assert batch.organisation_id == world.org_id and batch.state == "dry-run-ok"
        assert (batch.row_count, batch.refused_count) == (2, 1)


def test_a_dry_run_leaves_nothing_but_the_batch(factory: sessionmaker[Session], world: World) -> None:
    before = {model: _count(factory, model) for model in (Earner, AssessmentResult, Award, StatusEntry)}
    found = dry_run(
        factory,
        row(earner_name="New Person", email="new@example.org", achievement_code="ASSESS-1", outcome_1="Exemplary",
            outcome_2="90", outcome_3="Consistently"),
        row(earner_name="Other", email="other@example.org", achievement_code="HOSP-101", outcome_1="A"),
    )
    assert found == {1: ("pending", None), 2: ("pending", None)}
    assert {model: _count(factory, model) for model in before} == before
    with factory() as session:
        stored = batches.rows(session, session.scalars(select(batches.AwardBatch.id)).one())
    assert stored[0].data["outcome_2"] == "90" and stored[0].dedupe_key is not None and stored[0].award_id is None
    assert stored[0].row_key.endswith(":1")


def test_a_batch_with_no_issuable_row_cannot_start(factory: sessionmaker[Session], world: World) -> None:
    batch_id = make_batch(factory, csv_bytes(COLUMNS, row(email="x@example.org", achievement_code="NOPE")),
                          start=False)
    with factory() as session:
        assert batches.get_batch(session, batch_id).state == "draft"
    with pytest.raises(Conflict, match=r"no row of batch .* can be issued \(see each row's reason\)"), session_scope(
        factory
    ) as session:
        batches.start(session, batch_id)
