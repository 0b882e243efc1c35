"""Stackable pathways (EXT-1): a pathway credential earned from component achievements.

Rules: all-of or N-of-M components, an optional minimum of total credits, optional ordering (the parts must have
been earned in the components' order). A component is a local achievement, and/or what a verified external
credential must be to count: its achievement id, or an alignment target URL.

When an award is issued (or an external credential added), `evaluate_for_earner` runs in the same transaction:
a pathway whose rule is now met gets one `PathwayCompletion` per earner (a unique row, inserted first inside a
savepoint, so two concurrent completions cannot both issue) and its credential is issued at once (``auto``) or
waits for a staff member's approval (``approval``). If the automatic issue cannot happen (e.g. the pathway's
achievement is not published) the completion waits for approval instead: completing a pathway never blocks the
award that triggered it. Every completion, issue and approval is in the audit log.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from microcred import urls
from microcred.audit import services as audit
from microcred.awards import queries as awards
from microcred.awards.queries import Award
from microcred.catalog import services as catalog
from microcred.db import reads
from microcred.db.base import utcnow
from microcred.db.locking import lock_row
from microcred.db.rows import get_row
from microcred.errors import Conflict, DomainError, InvalidInput
from microcred.issuance import IssueFunction, IssueRequest
from microcred.transcripts.models import (
    AwardRecord,
    ExternalCredential,
    Pathway,
    PathwayCompletion,
    PathwayComponent,
)
from microcred.transcripts.pathway_definitions import ComponentInput as ComponentInput
from microcred.transcripts.pathway_definitions import PathwayOptions as PathwayOptions
from microcred.transcripts.pathway_definitions import create_pathway as create_pathway
from microcred.validation import as_uuid


def get_pathway(session: Session, pathway_id: uuid.UUID | str) -> Pathway:
    return get_row(session, Pathway, pathway_id, "pathway")


def list_pathways(session: Session) -> list[Pathway]:
    """Every pathway (read once per bulk chunk: `db.reads`)."""
    return reads.shared(
        session, "pathways", lambda: list(session.scalars(select(Pathway).order_by(Pathway.created_at, Pathway.id)))
    )


def pathway_of(session: Session, achievement_id: uuid.UUID) -> Pathway | None:
    return session.scalars(select(Pathway).where(Pathway.achievement_id == achievement_id)).first()


def pathways_containing(session: Session, achievement_id: uuid.UUID) -> list[Pathway]:
    ids = session.scalars(
        select(PathwayComponent.pathway_id).where(PathwayComponent.achievement_id == achievement_id)
    ).all()
    return [get_pathway(session, i) for i in dict.fromkeys(ids)]


# -- what an earner holds ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """Something the earner holds that may count: one of our awards, or a verified external credential."""

    kind: str  # award | external
    id: uuid.UUID
    achievement_key: str  # local achievement uuid, or the external achievement id URL
    local_achievement_id: uuid.UUID | None
    name: str
    credits: float
    earned_at: datetime
    alignment_urls: frozenset[str]
    credential_url: str | None = None


def _usable_awards(session: Session, earner_id: uuid.UUID) -> list[Award]:
    """Active, current (not replaced) awards whose final result is not a Fail, oldest first, one per achievement."""
    own = awards.award_ids_of(session, earner_id)
    failed = set(
        session.scalars(
            select(AwardRecord.award_id).where(AwardRecord.award_id.in_(own), AwardRecord.result_value == "Fail")
        )
    ) if own else set()
    chosen: dict[uuid.UUID, Award] = {}
    for award in awards.current_awards(session, earner_id):
        if award.id not in failed:
            chosen.setdefault(award.achievement_id, award)
    return list(chosen.values())


def held_achievement_ids(session: Session, earner_id: uuid.UUID) -> set[uuid.UUID]:
    return {a.achievement_id for a in _usable_awards(session, earner_id)}


def earner_parts(session: Session, earner_id: uuid.UUID, base_url: str) -> list[Part]:
    parts: list[Part] = []
    for award in _usable_awards(session, earner_id):
        achievement = catalog.get_achievement(session, award.achievement_id)
        record = session.get(AwardRecord, award.id)
        credits = record.credits_earned if record and record.credits_earned is not None else achievement.credits
        parts.append(
            Part(
                kind="award",
                id=award.id,
                achievement_key=str(achievement.id),
                local_achievement_id=achievement.id,
                name=achievement.name,
                credits=credits or 0.0,
                earned_at=awards.first_earned_at(session, award),
                alignment_urls=frozenset(a.target_url for o in achievement.outcomes for a in o.alignments),
                credential_url=urls.credential_url(award.id, base_url),
            )
        )
    for ext in session.scalars(
        select(ExternalCredential)
        .where(ExternalCredential.earner_id == earner_id)
        .order_by(ExternalCredential.created_at)
    ):
        parts.append(
            Part(
                kind="external",
                id=ext.id,
                achievement_key=ext.achievement_id or "",
                local_achievement_id=None,
                name=ext.achievement_name,
                credits=ext.credits or 0.0,
                earned_at=ext.issued_on or ext.created_at,
                alignment_urls=frozenset(ext.alignment_urls or ()),
                credential_url=ext.credential_id,
            )
        )
    return parts


def _accepts(component: PathwayComponent, part: Part) -> bool:
    if component.achievement_id is not None and part.local_achievement_id == component.achievement_id:
        return True
    if component.external_achievement_id and part.achievement_key == component.external_achievement_id:
        return True
    return bool(component.alignment_url and component.alignment_url in part.alignment_urls)


# -- progress ------------------------------------------------------------------------------------------
@dataclass
class ComponentProgress:
    position: int
    label: str
    achievement_id: uuid.UUID | None
    part: Part | None

    @property
    def done(self) -> bool:
        return self.part is not None


@dataclass
class PathwayProgress:
    pathway: Pathway
    name: str
    components: list[ComponentProgress]
    required: int
    credits: float
    min_credits: float | None
    in_order: bool
    completion: PathwayCompletion | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def done_count(self) -> int:
        return sum(1 for c in self.components if c.done)

    @property
    def met(self) -> bool:
        return not self.reasons

    def to_json(self) -> dict[str, Any]:
        return {
            "pathway_id": str(self.pathway.id),
            "achievement_id": str(self.pathway.achievement_id),
            "name": self.name,
            "rule": self.pathway.rule,
            "required": self.required,
            "completed": self.done_count,
            "credits": self.credits,
            "min_credits": self.min_credits,
            "ordered": self.pathway.ordered,
            "in_order": self.in_order,
            "met": self.met,
            "missing": self.reasons,
            "status": self.completion.status if self.completion else ("met" if self.met else "in_progress"),
            "award_id": str(self.completion.award_id) if self.completion and self.completion.award_id else None,
            "components": [
                {
                    "position": c.position,
                    "label": c.label,
                    "achievement_id": str(c.achievement_id) if c.achievement_id else None,
                    "done": c.done,
                    "counted": (
                        {"kind": c.part.kind, "id": str(c.part.id), "name": c.part.name, "credits": c.part.credits}
                        if c.part
                        else None
                    ),
                }
                for c in self.components
            ],
        }


def progress(session: Session, pathway: Pathway, earner_id: uuid.UUID, base_url: str) -> PathwayProgress:
    parts = earner_parts(session, earner_id, base_url)
    return _progress(session, pathway, earner_id, parts)


def _progress(session: Session, pathway: Pathway, earner_id: uuid.UUID, parts: list[Part]) -> PathwayProgress:
    achievement = catalog.get_achievement(session, pathway.achievement_id)
    used: set[uuid.UUID] = set()
    items: list[ComponentProgress] = []
    for component in pathway.components:
        # a local award of the component's own achievement first, then any accepted external one, oldest first
        candidates = sorted(
            (p for p in parts if p.id not in used and _accepts(component, p)),
            key=lambda p: (p.local_achievement_id != component.achievement_id, p.earned_at),
        )
        part = candidates[0] if candidates else None
        if part is not None:
            used.add(part.id)
        label = component.label or component.alignment_url or component.external_achievement_id or ""
        items.append(ComponentProgress(component.position, label, component.achievement_id, part))
    required = pathway.required_count if pathway.rule == "n_of_m" and pathway.required_count else len(items)
    credits = round(sum(c.part.credits for c in items if c.part), 4)
    done_dates = [c.part.earned_at for c in items if c.part]
    in_order = all(a <= b for a, b in itertools.pairwise(done_dates))
    reasons: list[str] = []
    done = sum(1 for c in items if c.done)
    if done < required:
        reasons.append(f"{done} of {required} required components completed")
    if pathway.min_credits is not None and credits < pathway.min_credits:
        reasons.append(f"{credits:g} of {pathway.min_credits:g} credits")
    if pathway.ordered and not in_order:
        reasons.append("components were not completed in the required order")
    completion = session.scalars(
        select(PathwayCompletion).where(
            PathwayCompletion.pathway_id == pathway.id, PathwayCompletion.earner_id == earner_id
        )
    ).first()
    return PathwayProgress(
        pathway=pathway,
        name=achievement.name,
        components=items,
        required=required,
        credits=credits,
        min_credits=pathway.min_credits,
        in_order=in_order,
        completion=completion,
        reasons=reasons,
    )


def earner_progress(session: Session, earner_id: uuid.UUID | str, base_url: str) -> list[PathwayProgress]:
    eid = as_uuid(earner_id, "earner")
    parts = earner_parts(session, eid, base_url)
    return [_progress(session, p, eid, parts) for p in list_pathways(session)]


# -- completion: issue or queue ------------------------------------------------------------------------
def _evidence(progress_: PathwayProgress) -> list[dict[str, Any]]:
    return [
        {
            "url": c.part.credential_url
            if c.part.credential_url and c.part.credential_url.startswith("http")
            else None,
            "name": c.part.name,
            "narrative": f"Counts toward {progress_.name} (component {c.position + 1}).",
            "genre": "Credential",
        }
        for c in progress_.components
        if c.part
    ]


def _parts_json(progress_: PathwayProgress) -> list[dict[str, Any]]:
    return [
        {"component": c.position, "kind": c.part.kind, "id": str(c.part.id), "name": c.part.name}
        for c in progress_.components
        if c.part
    ]


def evaluate_for_earner(
    session: Session, earner_id: uuid.UUID, *, base_url: str, issue: IssueFunction
) -> list[PathwayCompletion]:
    """Record (and issue, or queue) every pathway the earner has just completed. Runs in the caller's transaction;
    ``issue`` issues the pathway's credential (the issuing pipeline, which runs this after every award)."""
    created: list[PathwayCompletion] = []
    if not list_pathways(session):
        return created
    parts = earner_parts(session, earner_id, base_url)
    for pathway in list_pathways(session):
        state = _progress(session, pathway, earner_id, parts)
        if state.completion is not None or not state.met:
            continue
        completion = PathwayCompletion(
            id=uuid.uuid4(),
            pathway_id=pathway.id,
            earner_id=earner_id,
            status="pending",
            parts=_parts_json(state),
            created_at=utcnow(),
        )
        try:
            with session.begin_nested():
                session.add(completion)
                session.flush()
        except IntegrityError:  # a concurrent transaction completed it first
            continue
        audit.record(
            session,
            "pathway.completed",
            f"pathway:{pathway.id}",
            {"earner_id": str(earner_id), "completion_id": str(completion.id), "parts": completion.parts},
        )
        if pathway.issue_mode == "auto":
            try:
                _issue(session, completion, state, issue)
            except DomainError as exc:
                audit.record(
                    session,
                    "pathway.queued",
                    f"pathway:{pathway.id}",
                    {"completion_id": str(completion.id), "why": f"automatic issue failed: {exc}"[:500]},
                )
        else:
            audit.record(
                session,
                "pathway.queued",
                f"pathway:{pathway.id}",
                {"completion_id": str(completion.id), "why": "the pathway's credential is issued on approval"},
            )
        created.append(completion)
        parts = earner_parts(session, earner_id, base_url)  # the new pathway award may count elsewhere
    return created


def _issue(session: Session, completion: PathwayCompletion, state: PathwayProgress, issue: IssueFunction) -> Award:
    award: Award = issue(
        session,
        IssueRequest(
            achievement_id=state.pathway.achievement_id, earner_id=completion.earner_id, evidence=_evidence(state)
        ),
    )
    completion.status = "issued"
    completion.award_id = award.id
    completion.decided_at = utcnow()
    session.flush()
    audit.record(
        session,
        "pathway.credential_issued",
        f"pathway:{state.pathway.id}",
        {"completion_id": str(completion.id), "award_id": str(award.id), "earner_id": str(completion.earner_id)},
    )
    return award


def list_completions(session: Session, *, status: str | None = None) -> list[PathwayCompletion]:
    stmt = select(PathwayCompletion).order_by(PathwayCompletion.created_at, PathwayCompletion.id)
    if status is not None:
        stmt = stmt.where(PathwayCompletion.status == status)
    return list(session.scalars(stmt))


def approve_completion(
    session: Session, completion_id: uuid.UUID | str, *, base_url: str, issue: IssueFunction
) -> Award:
    """Issue a queued pathway credential (the rule is checked again: a revoked part may have been lost since).

    The completion's row is locked and read afresh first (``FOR NO KEY UPDATE`` on PostgreSQL; SQLite serialises
    writers): of two concurrent approvals one issues, the other gets a Conflict and writes nothing."""
    completion = lock_row(session, PathwayCompletion, completion_id, "pathway completion")
    if completion.status != "pending":
        raise Conflict(f"pathway completion {completion.id} is {completion.status}, not pending")
    pathway = get_pathway(session, completion.pathway_id)
    state = progress(session, pathway, completion.earner_id, base_url)
    if not state.met:
        raise InvalidInput("the earner no longer meets the pathway's rule: " + "; ".join(state.reasons))
    audit.record(session, "pathway.approved", f"pathway:{pathway.id}", {"completion_id": str(completion.id)})
    return _issue(session, completion, state, issue)


def completed_parts(session: Session, earner_id: uuid.UUID) -> list[tuple[uuid.UUID, list[uuid.UUID]]]:
    """For each issued pathway credential of the earner: (pathway achievement id, component achievement ids that
    were counted from local awards) — the CLR's isParentOf / isPartOf associations."""
    out: list[tuple[uuid.UUID, list[uuid.UUID]]] = []
    for completion in session.scalars(
        select(PathwayCompletion).where(PathwayCompletion.earner_id == earner_id, PathwayCompletion.status == "issued")
    ):
        pathway = get_pathway(session, completion.pathway_id)
        children: list[uuid.UUID] = []
        for part in completion.parts:
            if part.get("kind") == "award":
                award = awards.find_award(session, part["id"])
                if award is not None:
                    children.append(award.achievement_id)
        out.append((pathway.achievement_id, children))
    return out
