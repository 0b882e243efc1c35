"""Taxonomy services: import, search, browse, suggest, and the outcome-kind check for the catalog.

Like every service here they take a `Session`, flush but never commit: the caller owns the transaction (an
import is all or nothing). Errors: `TaxonomyImportError` / `InvalidInput` (bad input), `NotFound`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import snowballstemmer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microcred.errors import InvalidInput, NotFound
from microcred.taxonomy import search as fts
from microcred.taxonomy.esco import read_esco
from microcred.taxonomy.formats import read_case, read_simple_csv
from microcred.taxonomy.loader import ImportReport, Progress, store_framework
from microcred.taxonomy.models import (
    BroaderRelation,
    CollectionMember,
    Concept,
    ConceptKind,
    Framework,
    FrameworkVersion,
    Occupation,
    OccupationSkill,
)
from microcred.taxonomy.occupations import OccupationInfo as OccupationInfo
from microcred.taxonomy.occupations import find_occupation as find_occupation
from microcred.taxonomy.occupations import search_occupations as search_occupations
from microcred.taxonomy.records import MAX_LIMIT as MAX_LIMIT
from microcred.taxonomy.records import result_limit, version_key
from microcred.vc.outcomes import OUTCOME_KINDS as OUTCOME_KINDS

# The concept kinds a search names in its message (it also takes "group"), from the one ConceptKind vocabulary.
SEARCH_TYPES: tuple[str, ...] = tuple(
    kind.value for kind in ConceptKind if kind not in (ConceptKind.GROUP, ConceptKind.OTHER)
)
SUGGEST_KINDS = (*OUTCOME_KINDS, "transversal")


def _noop(_stage: str, _done: int, _total: int) -> None:
    return None


# -- import ------------------------------------------------------------------------------------------------------
def import_esco(
    session: Session, path: Path | None = None, *, version: str | None = None, progress: Progress = _noop
) -> ImportReport:
    """Import ESCO from `path` (a folder of the Commission's CSVs, gz or not; default: the shipped v1.1.1)."""
    data = read_esco(path, version=version, progress=progress)
    return store_framework(session, data, progress)


def import_case(
    session: Session,
    path: Path,
    *,
    framework: str | None = None,
    version: str | None = None,
    progress: Progress = _noop,
) -> ImportReport:
    return store_framework(session, read_case(path, framework=framework, version=version), progress)


def import_csv(
    session: Session, path: Path, *, framework: str, version: str = "1", progress: Progress = _noop
) -> ImportReport:
    return store_framework(session, read_simple_csv(path, framework=framework, version=version), progress)


# -- results -----------------------------------------------------------------------------------------------------
@dataclass
class ConceptSummary:
    uri: str
    label: str
    kind: str
    ksa: str | None
    framework: str
    version: str
    skill_type: str | None = None
    reuse_level: str | None = None
    code: str | None = None
    withdrawn_in: str | None = None
    description: str | None = None
    score: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Link:
    uri: str
    label: str
    kind: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ConceptDetail:
    concept: ConceptSummary
    alt_labels: list[str]
    pillars: list[str]
    collections: list[str]
    status: str | None
    broader: list[Link] = field(default_factory=list)
    narrower: list[Link] = field(default_factory=list)
    essential_for: list[Link] = field(default_factory=list)
    optional_for: list[Link] = field(default_factory=list)
    essential_for_count: int = 0
    optional_for_count: int = 0
    other_versions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.concept.as_dict(),
            "alt_labels": self.alt_labels,
            "pillars": self.pillars,
            "collections": self.collections,
            "status": self.status,
            "broader": [link.as_dict() for link in self.broader],
            "narrower": [link.as_dict() for link in self.narrower],
            "essential_for": [link.as_dict() for link in self.essential_for],
            "optional_for": [link.as_dict() for link in self.optional_for],
            "essential_for_count": self.essential_for_count,
            "optional_for_count": self.optional_for_count,
            "other_versions": self.other_versions,
        }


def _summaries(session: Session, scored: list[tuple[int, float]]) -> list[ConceptSummary]:
    if not scored:
        return []
    ids = [cid for cid, _ in scored]
    rows = session.execute(
        select(Concept, FrameworkVersion.version, Framework.key)
        .join(FrameworkVersion, FrameworkVersion.id == Concept.version_id)
        .join(Framework, Framework.id == FrameworkVersion.framework_id)
        .where(Concept.id.in_(ids))
    ).all()
    by_id = {row[0].id: row for row in rows}
    out = []
    for cid, score in scored:
        concept, version, key = by_id[cid]
        out.append(_summary(concept, version, key, score))
    return out


def _summary(concept: Concept, version: str, framework: str, score: float | None = None) -> ConceptSummary:
    return ConceptSummary(
        uri=concept.uri,
        label=concept.preferred_label,
        kind=concept.kind,
        ksa=concept.ksa,
        framework=framework,
        version=version,
        skill_type=concept.skill_type,
        reuse_level=concept.reuse_level,
        code=concept.code,
        withdrawn_in=concept.withdrawn_in,
        description=concept.description,
        score=None if score is None else round(score, 4),
    )


# -- search and browse -------------------------------------------------------------------------------------------
def search_concepts(
    session: Session,
    query: str,
    *,
    type: str | None = None,
    reuse_level: str | None = None,
    framework: str | None = None,
    limit: int = 20,
) -> list[ConceptSummary]:
    """Full-text search over preferred and alt labels of the current versions, best first.

    Every word must match (the last one as a prefix, for type-ahead); when nothing does, any word may.
    """
    if type is not None and type not in (*SEARCH_TYPES, ConceptKind.GROUP):
        raise InvalidInput(f"unknown concept type {type!r}: one of {', '.join(SEARCH_TYPES)}")
    limit = result_limit(limit)
    words = fts.terms(query)
    filters = fts.Filters(kinds=[type] if type else None, reuse_level=reuse_level, framework=framework)
    scored = fts.query_ids(
        session, words, filters=filters, match_all=True, labels_only=True, prefix_last=True, limit=limit * 3
    )
    if not scored and len(words) > 1:
        scored = fts.query_ids(
            session, words, filters=filters, match_all=False, labels_only=True, prefix_last=False, limit=limit * 3
        )
    results = _summaries(session, scored)
    wanted = " ".join(query.lower().split())
    # An exact label match first; then the database's rank.
    results.sort(key=lambda r: (r.label.lower() != wanted, -(r.score or 0.0)))
    return results[:limit]


def _find(session: Session, uri: str, version: str | None = None) -> tuple[Concept, str, str] | None:
    query = (
        select(Concept, FrameworkVersion.version, Framework.key, FrameworkVersion.is_current)
        .join(FrameworkVersion, FrameworkVersion.id == Concept.version_id)
        .join(Framework, Framework.id == FrameworkVersion.framework_id)
        .where(Concept.uri == uri)
    )
    if version is not None:
        query = query.where(FrameworkVersion.version == version)
    rows = session.execute(query).all()
    if not rows:
        return None
    best = max(rows, key=lambda r: (bool(r[3]), version_key(r[1]), r[0].id))
    return best[0], best[1], best[2]


def _links(session: Session, query: Any) -> list[Link]:
    return [Link(uri=r[0], label=r[1], kind=r[2]) for r in session.execute(query)]


def _hierarchy(session: Session, concept_id: int) -> tuple[list[Link], list[Link]]:
    """The concept's broader and narrower concepts, each by label."""
    broader = _links(
        session,
        select(Concept.uri, Concept.preferred_label, Concept.kind)
        .join(BroaderRelation, BroaderRelation.broader_id == Concept.id)
        .where(BroaderRelation.concept_id == concept_id)
        .order_by(Concept.preferred_label),
    )
    narrower = _links(
        session,
        select(Concept.uri, Concept.preferred_label, Concept.kind)
        .join(BroaderRelation, BroaderRelation.concept_id == Concept.id)
        .where(BroaderRelation.broader_id == concept_id)
        .order_by(Concept.preferred_label),
    )
    return broader, narrower


def _occupations_of(session: Session, concept_id: int, limit: int) -> tuple[dict[str, list[Link]], dict[str, int]]:
    """Occupations the concept is essential / optional for (at most ``limit`` each, by label) and their counts."""
    occupations: dict[str, list[Link]] = {}
    counts: dict[str, int] = {}
    for relation in ("essential", "optional"):
        base = (
            select(Occupation.uri, Occupation.preferred_label)
            .join(OccupationSkill, OccupationSkill.occupation_id == Occupation.id)
            .where(OccupationSkill.concept_id == concept_id, OccupationSkill.relation == relation)
        )
        occupations[relation] = [
            Link(uri=r[0], label=r[1], kind="occupation")
            for r in session.execute(base.order_by(Occupation.preferred_label).limit(max(limit, 0)))
        ]
        counts[relation] = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    return occupations, counts


def _other_versions(session: Session, uri: str, version_name: str) -> list[str]:
    """The other framework versions holding ``uri``, oldest first."""
    return sorted(
        (
            v
            for v in session.scalars(
                select(FrameworkVersion.version)
                .join(Concept, Concept.version_id == FrameworkVersion.id)
                .where(Concept.uri == uri)
            )
            if v != version_name
        ),
        key=version_key,
    )


def get_concept(session: Session, uri: str, *, version: str | None = None, occupation_limit: int = 50) -> ConceptDetail:
    """One concept (the current version's, else the newest that holds it) with its neighbourhood."""
    found = _find(session, uri, version)
    if found is None:
        raise NotFound(f"no concept {uri}" + (f" in version {version}" if version else ""))
    concept, version_name, key = found
    broader, narrower = _hierarchy(session, concept.id)
    occupations, counts = _occupations_of(session, concept.id, occupation_limit)
    collections = list(
        session.scalars(
            select(CollectionMember.collection)
            .where(CollectionMember.concept_id == concept.id)
            .order_by(CollectionMember.collection)
        )
    )
    return ConceptDetail(
        concept=_summary(concept, version_name, key),
        alt_labels=list(concept.alt_labels or []),
        pillars=(concept.pillars or "").split(),
        collections=collections,
        status=concept.status,
        broader=broader,
        narrower=narrower,
        essential_for=occupations["essential"],
        optional_for=occupations["optional"],
        essential_for_count=counts["essential"],
        optional_for_count=counts["optional"],
        other_versions=_other_versions(session, uri, version_name),
    )


@dataclass
class VersionInfo:
    framework: str
    name: str
    version: str
    is_current: bool
    concepts: int
    occupations: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_frameworks(session: Session) -> list[VersionInfo]:
    rows = session.execute(
        select(Framework, FrameworkVersion).join(FrameworkVersion, FrameworkVersion.framework_id == Framework.id)
    ).all()
    out = [VersionInfo(f.key, f.name, v.version, v.is_current, v.concept_count, v.occupation_count) for f, v in rows]
    return sorted(out, key=lambda i: (i.framework, version_key(i.version)))


# -- suggest -----------------------------------------------------------------------------------------------------
# Words that say *how* an outcome is assessed or phrased, not *what* it is about.
OUTCOME_STOPWORDS = frozenset(
    """able ability abilities accurately according across activities activity appropriate appropriately apply
    applying basic being carry carrying competence competent completion course correctly define demonstrate
    demonstrating demonstrates describe describing discuss effective effectively explain explaining identify
    identifying including key learner learners learning module outline participants recognise recognize relevant
    show student students successful successfully their understand understanding upon using various within work
    working""".split()  # noqa: SIM905
)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def _stems(value: str | None, *, drop: frozenset[str] = frozenset()) -> set[str]:
    if not value:
        return set()
    return {
        _stem(w)
        for w in re.findall(r"[^\W_]+", value.lower())
        if w not in fts.STOPWORDS and w not in drop and len(w) > 1
    }


def suggest_concepts(
    session: Session,
    text: str,
    kind: str | None = None,
    limit: int = 5,
    *,
    framework: str | None = None,
) -> list[ConceptSummary]:
    """Rank concepts for a free-text learning outcome, offline.

    Candidates: full-text (BM25 on SQLite FTS5, `ts_rank` on PostgreSQL) over labels and descriptions with any of
    the outcome's content words; then re-ranked on how much of a concept's label the outcome covers and how much
    of the outcome the concept's labels and description cover. `kind`: knowledge | skill | attitude (our K/S/A
    reading) or transversal.
    """
    if kind is not None and kind not in SUGGEST_KINDS:
        raise InvalidInput(f"unknown kind {kind!r}: one of {', '.join(SUGGEST_KINDS)}")
    limit = result_limit(limit)
    words = fts.terms(text, extra_stopwords=OUTCOME_STOPWORDS)
    if kind == "transversal":
        filters = fts.Filters(kinds=["transversal"], framework=framework)
    else:
        filters = fts.Filters(ksa=[kind] if kind else None, framework=framework)
    candidates = fts.query_ids(
        session, words, filters=filters, match_all=False, labels_only=False, prefix_last=False, limit=200
    )
    if not candidates:
        return []
    query = _stems(text, drop=OUTCOME_STOPWORDS)
    if not query:
        return []
    summaries = _summaries(session, candidates)
    alt: dict[int, list[str]] = {
        row[0]: row[1]
        for row in session.execute(
            select(Concept.id, Concept.alt_labels).where(Concept.id.in_([c for c, _ in candidates]))
        )
    }
    ids = [c for c, _ in candidates]
    top = max(score for _, score in candidates) or 1.0
    scored: list[tuple[float, ConceptSummary]] = []
    for position, summary in enumerate(summaries):
        label = _stems(summary.label)
        alts = [_stems(a) for a in (alt.get(ids[position]) or [])]
        label_cover = len(label & query) / len(label) if label else 0.0
        alt_cover = max((len(a & query) / len(a) for a in alts if a), default=0.0)
        words_in_labels = label.union(*alts) if alts else label
        query_cover = len(words_in_labels & query) / len(query)
        description_cover = len(_stems(summary.description) & query) / len(query)
        score = (
            1.0 * max(label_cover, 0.85 * alt_cover)
            + 1.0 * query_cover
            + 0.4 * description_cover
            + 0.3 * max(candidates[position][1], 0.0) / top
        )
        summary.score = round(score, 4)
        scored.append((score, summary))
    scored.sort(key=lambda s: -s[0])
    return [s for _, s in scored[:limit]]


# -- kind check for the catalog ----------------------------------------------------------------------------------


def concept_kind(session: Session, uri: str) -> str | None:
    """'knowledge' | 'skill' | 'attitude' for a concept (current version first), None if unknown or a group."""
    found = _find(session, uri)
    return None if found is None else found[0].ksa


def check_outcome_kind(session: Session, kind: str, uri: str) -> str | None:
    """A warning the author must confirm when an outcome's kind does not fit its aligned concept, else None.

    knowledge ↔ ESCO skillType knowledge (language concepts also accepted); skill ↔ skill/competence;
    attitude ↔ transversal concepts under T3 / T4.5 / T6 (see shared/esco/NOTES.md: our mapping, not ESCO's).
    """
    if kind not in OUTCOME_KINDS:
        raise InvalidInput(f"unknown outcome kind {kind!r}: one of {', '.join(OUTCOME_KINDS)}")
    found = _find(session, uri)
    if found is None:
        return f"{uri} is not a concept of any imported framework: check the alignment"
    concept, version, key = found
    where = f"{key} {version}"
    name = f"'{concept.preferred_label}' ({uri}, {where})"
    actual = concept.ksa
    if actual is None:
        what = "a skill group" if concept.kind == "group" else "a concept with no knowledge/skill/attitude type"
        return f"the outcome is a {kind} outcome, but {name} is {what}: align it to a concept, or confirm"
    pillars = (concept.pillars or "").split()
    fits = actual == kind or (kind == "knowledge" and "L" in pillars)
    if not fits:
        detail = ", ".join(
            part
            for part in (
                f"skill type {concept.skill_type}" if concept.skill_type else "",
                f"reuse level {concept.reuse_level}" if concept.reuse_level else "",
            )
            if part
        )
        return (
            f"the outcome is a {kind} outcome, but {name} is a {actual} concept"
            + (f" ({detail})" if detail else "")
            + ": confirm the alignment or change the outcome's kind"
        )
    if concept.withdrawn_in:
        return f"{name} is no longer in {key} {concept.withdrawn_in}: confirm the alignment or pick its successor"
    return None


def find_concept(session: Session, uri: str) -> ConceptSummary | None:
    """The concept (current version first) as a summary, None if no imported framework holds it."""
    found = _find(session, uri)
    return None if found is None else _summary(*found)
