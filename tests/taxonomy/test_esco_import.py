"""The full shipped ESCO v1.1.1 import on SQLite and PostgreSQL: counts equal the data, idempotent, fast."""

from __future__ import annotations

import csv
import gzip

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microcred.db import session_scope
from microcred.taxonomy import services
from microcred.taxonomy.esco import SHIPPED_DIR
from microcred.taxonomy.models import (
    BroaderRelation,
    CollectionMember,
    Concept,
    FrameworkVersion,
    Occupation,
    OccupationSkill,
)
from taxonomy.conftest import EscoDb


def _rows(name: str) -> int:
    with gzip.open(SHIPPED_DIR / f"{name}.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def _count(session: Session, statement: object) -> int:
    return int(session.scalar(statement) or 0)  # type: ignore[call-overload]


def test_counts_equal_the_shipped_data(esco: EscoDb, esco_session: Session) -> None:
    s = esco_session
    assert esco.seconds < 60, f"ESCO import took {esco.seconds:.1f} s on {esco.dialect}"
    skills = _count(s, select(func.count()).select_from(Concept).where(Concept.kind != "group"))
    assert skills == _rows("skills_en") == 13_896
    assert _count(s, select(func.count()).select_from(Concept).where(Concept.kind == "group")) == 640
    by_type = dict(s.execute(select(Concept.skill_type, func.count()).group_by(Concept.skill_type)).all())
    assert by_type["knowledge"] == 3_059 and by_type["skill/competence"] == 10_831
    assert _count(s, select(func.count()).select_from(Occupation)) == _rows("occupations_en") == 3_007
    relations = _count(s, select(func.count()).select_from(OccupationSkill))
    # 67 rows of the Commission's file name an occupation that occupations_en.csv does not hold: reported, skipped.
    assert relations + 67 == _rows("occupationSkillRelations") == 123_855
    essential = _count(
        s, select(func.count()).select_from(OccupationSkill).where(OccupationSkill.relation == "essential")
    )
    assert 0 < essential < relations
    transversal = _count(
        s, select(func.count()).select_from(CollectionMember).where(CollectionMember.collection == "transversal")
    )
    assert transversal == _rows("transversalSkillsCollection_en") == 96
    assert _count(s, select(func.count()).select_from(BroaderRelation)) + 7 == _rows("broaderRelationsSkillPillar")
    assert esco.report.skipped_relations == 74
    kinds = dict(s.execute(select(Concept.kind, func.count()).group_by(Concept.kind)).all())
    assert kinds == {"knowledge": 3_059, "skill": 10_310, "transversal": 527, "group": 640}
    assert _count(s, select(func.count()).select_from(Concept).where(Concept.ksa == "attitude")) == 164
    version = s.scalars(select(FrameworkVersion)).one()
    assert (version.version, version.is_current, version.concept_count) == ("v1.1.1", True, 14_536)
    assert _count(s, select(func.count()).select_from(Concept).where(Concept.withdrawn_in.is_not(None))) == 0


def test_reimport_of_the_same_version_changes_nothing(esco: EscoDb) -> None:
    with session_scope(esco.factory) as session:
        report = services.import_esco(session)
    assert not report.changed
    assert report.concepts_inserted == report.concepts_updated == report.relations_added == 0
    assert report.seconds < 60


def test_show_concept_with_hierarchy_and_occupations(esco_session: Session) -> None:
    detail = services.get_concept(esco_session, "http://data.europa.eu/esco/skill/0ff99f51-40d9-42f1-a1ec-377b2bb5e15f")
    assert detail.concept.label == "comply with food safety and hygiene"
    assert detail.concept.kind == "skill" and detail.concept.reuse_level == "cross-sector"
    assert detail.broader and detail.essential_for_count > 10
    assert any("cook" in o.label for o in detail.essential_for)
    group = services.get_concept(esco_session, detail.broader[0].uri)
    assert any(n.uri == detail.concept.uri for n in group.narrower)
    as_dict = detail.as_dict()
    assert as_dict["essential_for_count"] == detail.essential_for_count and as_dict["alt_labels"]
    attend = services.get_concept(esco_session, "http://data.europa.eu/esco/skill/83e6510b-ffeb-4aec-959c-4265fd0ff7b7")
    assert attend.collections == ["transversal"] and attend.pillars == ["T"]
    assert [f.as_dict()["version"] for f in services.list_frameworks(esco_session)] == ["v1.1.1"]
