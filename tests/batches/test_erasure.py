"""Erasing an earner scrubs the cells of the batch rows that became their awards (name, email, results) and the
row's dedupe key; the row stays (state, award id), so the batch still adds up; other earners' rows are untouched."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.batches.conftest import World, csv_bytes, make_batch

from microcred.awards.models import Award
from microcred.batches import run
from microcred.batches.models import AwardBatchRow
from microcred.ownership import erasure
from microcred.settings import Settings


def test_erasure_scrubs_the_earners_batch_rows_only(
    factory: sessionmaker[Session], world: World, settings: Settings
) -> None:
    data = csv_bytes(
        ["earner_name", "email", "achievement_code"],
        ["Learner One", "one@example.org", "HOSP-101"],
        ["Learner Two", "two@example.org", "HOSP-101"],
    )
    batch_id = make_batch(factory, data)
    assert run.run_batch(factory, settings, batch_id) == "finished"
    with factory() as session:
        stored = session.scalars(select(AwardBatchRow).where(AwardBatchRow.batch_id == batch_id))
        rows = {r.data["email"]: r for r in stored}
        one = session.get(Award, rows["one@example.org"].award_id)
        assert one is not None
        award_id = one.id
        report = erasure.erase_earner(session, one.earner_id)
        session.commit()
        assert report.rows_deleted.get("award_batch_rows") == 1
    with factory() as session:
        after = list(session.scalars(select(AwardBatchRow).where(AwardBatchRow.batch_id == batch_id)))
        scrubbed = [r for r in after if r.award_id == award_id]
        assert len(after) == 2 and len(scrubbed) == 1
        assert scrubbed[0].data == {} and scrubbed[0].dedupe_key is None and scrubbed[0].state == "issued"
        other = next(r for r in after if r.award_id != award_id)
        assert other.data["email"] == "two@example.org" and other.dedupe_key is not None
