"""A small bulk-issuance batch (issue 15): a cohort CSV of the college's spreadsheet course, with per-outcome
results and a term, plus one row the dry run refuses (a bad email), so the console's Bulk award page shows a
batch with issued and refused rows. The batch is made and started in the seed's transaction (its job is queued
there); `microcred demo` then runs it to its end (`run_cohort`)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session, sessionmaker

from microcred.batches import run, services, views
from microcred.demo.ids import COLLEGE_ID, Seeding, achievement_id
from microcred.settings import Settings

FILE_NAME = "demo-cohort-spreadsheets.csv"
COHORT = [
    ("Noor Haddad", "noor.haddad@learner.example", "84", "Proficient", "Exemplary", "Proficient"),
    ("Mateo García", "MATEO.GARCIA@learner.example", "91", "Exemplary", "Proficient", "Proficient"),
    ("Chloé Roy", "chloe.roy@learner.example", "77", "Proficient", "Proficient", "Proficient"),
    ("Sam Refused", "not-an-email", "80", "Proficient", "Proficient", "Proficient"),
]


def cohort_csv() -> bytes:
    aid = achievement_id("spreadsheet-analysis")
    lines = ["earner_name,email,achievement_id,outcome_1,outcome_2,outcome_3,outcome_4,term,credits_earned"]
    lines += [f"{name},{email},{aid},{a},{b},{c},{d},2026 Fall,1.0" for name, email, a, b, c, d in COHORT]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def seed_bulk(run_: Seeding) -> uuid.UUID | None:
    """The demo batch, made and started once (found again by its file name); its id when it was made now."""
    session: Session = run_.session
    made = views.recent(session, organisation_id=COLLEGE_ID, created_by="demo", limit=1000)
    if any(b.file_name == FILE_NAME for b in made):
        return None
    batch = services.create_from_file(
        session,
        cohort_csv(),
        max_bytes=1024 * 1024,
        base_url=run_.base_url,
        options=services.Options(created_by="demo", file_name=FILE_NAME, organisation_id=COLLEGE_ID),
    )
    services.start(session, batch.id)
    run_.count("bulk batches")
    return batch.id


def run_cohort(factory: sessionmaker[Session], settings: Settings, batch_id: uuid.UUID) -> str:
    """Issue the demo batch's rows now (the job queued for it then finds nothing left to do)."""
    return run.run_batch(factory, settings, batch_id)
