"""Occupations of imported frameworks (the labour-market links of achievements): one by URI, with ESCO's
occupation-skill relations when asked, and a search by name. Split from :mod:`microcred.taxonomy.services`,
which re-exports these names."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microcred.errors import InvalidInput
from microcred.taxonomy.models import Concept, FrameworkVersion, Occupation, OccupationSkill
from microcred.taxonomy.records import result_limit, version_key


@dataclass
class OccupationInfo:
    uri: str
    label: str
    version: str
    isco_code: str | None
    description: str | None
    # ESCO's occupation–skill relations: relation ("essential" | "optional") -> [(concept uri, label)]
    skills: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def find_occupation(session: Session, uri: str, *, with_skills: bool = False) -> OccupationInfo | None:
    """An occupation of an imported framework (the current version first), None if none holds it."""
    rows = session.execute(
        select(Occupation, FrameworkVersion.version, FrameworkVersion.is_current)
        .join(FrameworkVersion, FrameworkVersion.id == Occupation.version_id)
        .where(Occupation.uri == uri)
    ).all()
    if not rows:
        return None
    occupation, version, _current = max(rows, key=lambda r: (bool(r[2]), version_key(r[1]), r[0].id))
    info = OccupationInfo(
        uri=occupation.uri,
        label=occupation.preferred_label,
        version=version,
        isco_code=occupation.isco_code,
        description=occupation.description,
    )
    if with_skills:
        info.skills = {"essential": [], "optional": []}
        for concept_uri, label, relation in session.execute(
            select(Concept.uri, Concept.preferred_label, OccupationSkill.relation)
            .join(OccupationSkill, OccupationSkill.concept_id == Concept.id)
            .where(OccupationSkill.occupation_id == occupation.id)
            .order_by(Concept.preferred_label)
        ):
            info.skills.setdefault(relation, []).append((concept_uri, label))
    return info


def search_occupations(session: Session, query: str, *, limit: int = 20) -> list[OccupationInfo]:
    """Occupations whose preferred label contains ``query`` (case-insensitive), current versions first."""
    wanted = " ".join(query.lower().split())
    if not wanted:
        raise InvalidInput("type part of an occupation's name")
    rows = session.execute(
        select(Occupation, FrameworkVersion.version)
        .join(FrameworkVersion, FrameworkVersion.id == Occupation.version_id)
        .where(func.lower(Occupation.preferred_label).contains(wanted), FrameworkVersion.is_current.is_(True))
        .order_by(func.length(Occupation.preferred_label), Occupation.preferred_label)
        .limit(result_limit(limit))
    ).all()
    return [
        OccupationInfo(uri=o.uri, label=o.preferred_label, version=v, isco_code=o.isco_code, description=o.description)
        for o, v in rows
    ]
