"""`seed_demo`: the order in which the demo is seeded, step by step (each step in its area's module).

The order is part of the behaviour: endorsements the demo awards carry are signed before those awards, the lapsed
one after them; the pathway's last component is issued after the pathway exists (so its credential is issued
automatically); the audit chain records the same events in the same order on every fresh instance.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from microcred.assessments.storage import EvidenceStore
from microcred.audit.services import acting_as
from microcred.catalog import services as catalog
from microcred.demo import partners, transcripts
from microcred.demo.assessments import define_assessment
from microcred.demo.awards import seed_awards, seed_lifecycle
from microcred.demo.bulk import seed_bulk
from microcred.demo.catalog import ACHIEVEMENTS, create_achievement
from microcred.demo.earners import seed_earners
from microcred.demo.ids import COLLEGE_ID, Seeding, achievement_id
from microcred.demo.issuers import seed_organisations
from microcred.taxonomy import services as taxonomy


@dataclass
class DemoResult:
    featured_award_id: uuid.UUID
    created: dict[str, int] = field(default_factory=dict)
    award_ids: list[uuid.UUID] = field(default_factory=list)
    # revoked, suspended, expired, rotated-old (signed before the key rotation), rotated-new
    lifecycle: dict[str, uuid.UUID] = field(default_factory=dict)
    # the bulk-issuance batch made (and started) by this run, for `microcred demo` to run to its end
    bulk_batch_id: uuid.UUID | None = None


def seed_demo(
    session: Session,
    *,
    base_url: str,
    master_key: bytes | None = None,
    evidence_store: EvidenceStore | None = None,
    import_taxonomy: bool = False,
) -> DemoResult:
    """Create the demo records that are missing (none, the second time round).

    ``import_taxonomy``: import the shipped ESCO v1.1.1 first if no ESCO version is imported (≈ 6-9 s), so the
    alignments are checked against it. ``evidence_store``: where the demo's public evidence file goes (without
    one, that evidence is a narrative).
    """
    with acting_as("demo"):
        if import_taxonomy and not any(v.framework == "esco" for v in taxonomy.list_frameworks(session)):
            taxonomy.import_esco(session)
        return _seed(Seeding(session, base_url, master_key, evidence_store))


def _seed_achievements(run: Seeding) -> None:
    """The college's three micro-credentials, each with its assessment design, then published."""
    for spec in ACHIEVEMENTS:
        spec_id = achievement_id(spec["key"])
        if catalog.find_achievement(run.session, spec_id) is None:
            create_achievement(run, spec_id, COLLEGE_ID, spec)
            define_assessment(run, spec)
            catalog.publish_achievement(run.session, spec_id)
            run.count("achievements")


def _seed(run: Seeding) -> DemoResult:
    seed_organisations(run)
    _seed_achievements(run)
    seed_earners(run)
    partners.seed_before_awards(run)  # issue 7: partner endorsements, relevance
    award_ids = seed_awards(run)
    lifecycle = seed_lifecycle(run)
    transcripts.seed(run)  # issue 8: course records and a 3-part pathway
    partners.seed_after_awards(run)
    bulk_batch_id = seed_bulk(run)  # issue 15: a cohort CSV, its dry run, started (run after the seed commits)
    return DemoResult(
        featured_award_id=award_ids[0], created=run.created, award_ids=award_ids, lifecycle=lifecycle,
        bulk_batch_id=bulk_batch_id,
    )
