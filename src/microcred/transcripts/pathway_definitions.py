"""Pathway definitions (EXT-1): a pathway credential earned from component achievements, validated whole.

Rules: all-of or N-of-M components, an optional minimum of total credits, optional ordering. A component is a
local achievement, and/or what a verified external credential must be to count: its achievement id, or an
alignment target URL.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.catalog import services as catalog
from microcred.catalog.services import Achievement
from microcred.db import reads
from microcred.db.base import utcnow
from microcred.errors import Conflict, InvalidInput
from microcred.transcripts.models import ISSUE_MODES, PATHWAY_RULES, Pathway, PathwayComponent
from microcred.validation import one_of, optional_text, optional_url


@dataclass(frozen=True)
class ComponentInput:
    achievement_id: uuid.UUID | str | None = None
    external_achievement_id: str | None = None
    alignment_url: str | None = None
    label: str | None = None


class PathwayOptions(TypedDict, total=False):
    """How the components combine: ``rule`` all_of | n_of_m (with ``required_count``), an optional minimum of
    total credits, ``ordered`` parts, ``issue_mode`` auto | approval; ``id`` for fixed ids (the demo)."""

    rule: str
    required_count: int | None
    min_credits: float | None
    ordered: bool
    issue_mode: str
    id: uuid.UUID | None


def _component(raw: ComponentInput | Mapping[str, Any] | str | uuid.UUID) -> ComponentInput:
    if isinstance(raw, ComponentInput):
        return raw
    if isinstance(raw, (str, uuid.UUID)):
        return ComponentInput(achievement_id=raw)
    if not isinstance(raw, Mapping):
        raise InvalidInput("each pathway component must be an achievement id or an object")
    unknown = set(raw) - set(ComponentInput.__dataclass_fields__)
    if unknown:
        raise InvalidInput(f"unknown pathway component field(s): {', '.join(sorted(map(str, unknown)))}")
    return ComponentInput(**raw)


def _component_row(
    session: Session, achievement: Achievement, data: ComponentInput, index: int, seen: set[uuid.UUID]
) -> PathwayComponent:
    where = f"component {index + 1}"
    local = catalog.get_achievement(session, data.achievement_id) if data.achievement_id else None
    external = optional_url(data.external_achievement_id, f"{where}: external_achievement_id")
    if data.external_achievement_id and external is None:
        raise InvalidInput(f"{where}: external_achievement_id must be an http(s) URL")
    alignment = optional_url(data.alignment_url, f"{where}: alignment_url")
    if local is None and external is None and alignment is None:
        raise InvalidInput(f"{where}: give an achievement_id, an external_achievement_id or an alignment_url")
    if local is not None:
        if local.id == achievement.id:
            raise InvalidInput(f"{where}: a pathway cannot be its own component")
        if local.id in seen:
            raise InvalidInput(f"{where}: achievement {local.name!r} is listed twice")
        seen.add(local.id)
    return PathwayComponent(
        id=uuid.uuid4(),
        position=index,
        achievement_id=local.id if local else None,
        external_achievement_id=external,
        alignment_url=alignment,
        label=optional_text(data.label, f"{where}: label", max_length=300) or (local.name if local else None),
    )


def _required_count(rule: str, required_count: int | None, components: int) -> int | None:
    if rule == "n_of_m":
        if isinstance(required_count, bool) or not isinstance(required_count, int):
            raise InvalidInput("an N-of-M pathway needs required_count (a whole number)")
        if not 1 <= required_count <= components:
            raise InvalidInput(f"required_count must be between 1 and the number of components ({components})")
    elif required_count is not None:
        raise InvalidInput("required_count is only for an n_of_m pathway (all_of needs every component)")
    return required_count


def _min_credits(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InvalidInput("min_credits must be a non-negative number")
    return float(value)


def component_json(c: PathwayComponent) -> dict[str, Any]:
    return {
        "position": c.position,
        "achievement_id": str(c.achievement_id) if c.achievement_id else None,
        "external_achievement_id": c.external_achievement_id,
        "alignment_url": c.alignment_url,
        "label": c.label,
    }


def create_pathway(
    session: Session,
    *,
    achievement_id: uuid.UUID | str,
    components: Sequence[ComponentInput | Mapping[str, Any] | str | uuid.UUID],
    **options: Unpack[PathwayOptions],
) -> Pathway:
    """Define the pathway credential ``achievement_id`` (e.g. a Certificate) earned from ``components``."""
    achievement = catalog.get_achievement(session, achievement_id)
    if session.scalars(select(Pathway).where(Pathway.achievement_id == achievement.id)).first() is not None:
        raise Conflict(f"achievement {achievement.name!r} already is a pathway credential")
    pathway = Pathway(id=options.get("id") or uuid.uuid4(), achievement_id=achievement.id, created_at=utcnow())
    details = _apply(session, pathway, achievement, components, options)
    session.add(pathway)
    session.flush()
    audit.record(session, "pathway.created", f"pathway:{pathway.id}", {"achievement_id": str(achievement.id)} | details)
    return pathway


def update_pathway(
    session: Session,
    pathway: Pathway,
    *,
    components: Sequence[ComponentInput | Mapping[str, Any] | str | uuid.UUID],
    **options: Unpack[PathwayOptions],
) -> Pathway:
    """Replace a pathway's components and rule, validated as `create_pathway` does (its credential achievement
    stays); completions already recorded keep what they counted. Audited."""
    achievement = catalog.get_achievement(session, pathway.achievement_id)
    details = _apply(session, pathway, achievement, components, options)
    session.flush()
    audit.record(session, "pathway.updated", f"pathway:{pathway.id}", details)
    return pathway


def _apply(
    session: Session,
    pathway: Pathway,
    achievement: Achievement,
    components: Sequence[ComponentInput | Mapping[str, Any] | str | uuid.UUID],
    options: PathwayOptions,
) -> dict[str, Any]:
    """Validate the rule and components and set them on ``pathway`` (nothing is set if any is refused); returns
    what the audit entry records. The shared pathway reads of a bulk chunk (`db.reads`) are dropped."""
    rule = one_of(options.get("rule", "all_of"), "rule", PATHWAY_RULES)
    issue_mode = one_of(options.get("issue_mode", "auto"), "issue_mode", ISSUE_MODES)
    if not components:
        raise InvalidInput("a pathway needs at least one component")
    seen: set[uuid.UUID] = set()
    rows = [_component_row(session, achievement, _component(raw), i, seen) for i, raw in enumerate(components)]
    required_count = _required_count(rule, options.get("required_count"), len(rows))
    min_credits = _min_credits(options.get("min_credits"))
    reads.forget(session, "pathways")
    pathway.rule, pathway.issue_mode, pathway.components = rule, issue_mode, rows
    pathway.required_count, pathway.min_credits = required_count, min_credits
    pathway.ordered = bool(options.get("ordered", False))
    return {
        "rule": rule,
        "required_count": required_count,
        "min_credits": min_credits,
        "ordered": pathway.ordered,
        "issue_mode": issue_mode,
        "components": [component_json(c) for c in rows],
    }
