"""Define, publish and look up micro-credentials (achievements with typed, aligned learning outcomes)."""

from __future__ import annotations

import calendar
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.catalog.models import Achievement as Achievement  # re-exported: other packages annotate with it
from microcred.catalog.models import Alignment
from microcred.catalog.models import LearningOutcome as LearningOutcome  # re-exported: for annotations
from microcred.db.base import utcnow
from microcred.db.rows import get_row
from microcred.errors import InvalidInput, NotFound
from microcred.issuers import services as issuers
from microcred.taxonomy import services as taxonomy
from microcred.validation import as_uuid, one_of, optional_text, optional_url, required_text
from microcred.vc.kwargs import reject_unknown
from microcred.vc.outcomes import OUTCOME_KINDS as OUTCOME_KINDS  # re-exported: the console's outcome kinds

DEFAULT_FRAMEWORK = "ESCO v1.1.1"


class AlignmentWarnings(InvalidInput):
    """Outcome-kind warnings the author has not confirmed (the API answers 422 listing them)."""

    def __init__(self, warnings: Sequence[str]) -> None:
        self.warnings = list(warnings)
        super().__init__(
            "confirm these alignment warnings (send confirm_warnings) or fix the alignments: " + "; ".join(warnings)
        )


@dataclass(frozen=True)
class AlignmentInput:
    target_url: str
    target_name: str
    target_framework: str = DEFAULT_FRAMEWORK
    target_code: str | None = None
    target_type: str | None = None
    target_description: str | None = None


@dataclass(frozen=True)
class OutcomeInput:
    statement: str
    kind: str
    alignments: Sequence[AlignmentInput | Mapping[str, Any]] = field(default_factory=tuple)


def _alignment_input(value: AlignmentInput | Mapping[str, Any]) -> AlignmentInput:
    if isinstance(value, AlignmentInput):
        return value
    if not isinstance(value, Mapping):
        raise InvalidInput("an alignment must be an object with target_url and target_name")
    known = {f for f in AlignmentInput.__dataclass_fields__}
    unknown = set(value) - known
    if unknown:
        raise InvalidInput(f"unknown alignment field(s): {', '.join(sorted(map(str, unknown)))}")
    try:
        return AlignmentInput(**value)
    except TypeError:
        raise InvalidInput("an alignment needs target_url and target_name") from None


def _outcome_input(value: OutcomeInput | Mapping[str, Any]) -> OutcomeInput:
    if isinstance(value, OutcomeInput):
        return value
    if not isinstance(value, Mapping):
        raise InvalidInput("a learning outcome must be an object with statement, kind and alignments")
    unknown = set(value) - {"statement", "kind", "alignments"}
    if unknown:
        raise InvalidInput(f"unknown learning outcome field(s): {', '.join(sorted(map(str, unknown)))}")
    return OutcomeInput(
        statement=value.get("statement", ""), kind=value.get("kind", ""), alignments=value.get("alignments") or ()
    )


def _image(value: str | None) -> str | None:
    text = optional_text(value, "image")
    if text is None:
        return None
    if text.startswith("data:image/"):
        return text
    return optional_url(text, "image (a data:image/ URI or an http(s) URL)")


def _number(value: float | int | None, field_name: str, *, required: bool) -> float | None:
    if value is None:
        if required:
            raise InvalidInput(f"{field_name} is required")
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{field_name} must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field_name} must be a number") from None
    if not math.isfinite(number) or number < 0 or (required and number == 0):
        raise InvalidInput(f"{field_name} must be a {'positive' if required else 'non-negative'} number")
    return number


def _period(value: int | None, field_name: str, maximum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > maximum:
        raise InvalidInput(f"{field_name} must be a whole number between 0 and {maximum}")
    return value or None


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months (the day is clamped to the target month's length)."""
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def validity_end(achievement: Achievement, start: datetime) -> datetime | None:
    """When an award of this achievement starting at ``start`` expires (None: the achievement never expires)."""
    if not achievement.validity_months and not achievement.validity_days:
        return None
    return add_months(start, achievement.validity_months or 0) + timedelta(days=achievement.validity_days or 0)


def _build_outcome(value: OutcomeInput | Mapping[str, Any], position: int) -> LearningOutcome:
    data = _outcome_input(value)
    outcome = LearningOutcome(
        id=uuid.uuid4(),
        statement=required_text(data.statement, f"outcome {position + 1}: statement"),
        kind=one_of(data.kind, f"outcome {position + 1}: kind", OUTCOME_KINDS),
        position=position,
    )
    for index, raw in enumerate(data.alignments):
        a = _alignment_input(raw)
        where = f"outcome {position + 1}, alignment {index + 1}"
        url = optional_url(a.target_url, f"{where}: target_url")
        if url is None:
            raise InvalidInput(f"{where}: target_url is required")
        outcome.alignments.append(
            Alignment(
                id=uuid.uuid4(),
                position=index,
                target_url=url,
                target_name=required_text(a.target_name, f"{where}: target_name", max_length=500),
                target_framework=required_text(a.target_framework, f"{where}: target_framework", max_length=200),
                target_code=optional_text(a.target_code, f"{where}: target_code", max_length=200),
                target_type=optional_text(a.target_type, f"{where}: target_type", max_length=64),
                target_description=optional_text(a.target_description, f"{where}: target_description"),
            )
        )
    return outcome


def check_alignments(
    session: Session, outcomes: Sequence[LearningOutcome], *, confirm_warnings: bool | None = None
) -> list[str]:
    """Check each alignment's concept against its outcome's kind (`taxonomy.check_outcome_kind`).

    Fills targetCode from the framework where the concept has one, and keeps each warning on its alignment
    (`kind_warning`). ``confirm_warnings=False`` raises `AlignmentWarnings` when there is any warning (the API and
    CLI pass the author's explicit confirmation); ``None`` records them without blocking. Returns the warnings.
    """
    warnings: list[str] = []
    for outcome in outcomes:
        for index, alignment in enumerate(outcome.alignments):
            concept = taxonomy.find_concept(session, alignment.target_url)
            if concept is not None and concept.code and not alignment.target_code:
                alignment.target_code = concept.code
            warning = taxonomy.check_outcome_kind(session, outcome.kind, alignment.target_url)
            alignment.kind_warning = warning
            if warning:
                warnings.append(f"outcome {outcome.position + 1}, alignment {index + 1}: {warning}")
    if warnings and confirm_warnings is False:
        raise AlignmentWarnings(warnings)
    return warnings


def alignment_warnings(achievement: Achievement) -> list[str]:
    """The (confirmed) outcome-kind warnings kept on an achievement's alignments."""
    return [
        f"outcome {o.position + 1}, alignment {i + 1}: {a.kind_warning}"
        for o in achievement.outcomes
        for i, a in enumerate(o.alignments)
        if a.kind_warning
    ]


def _check_publishable(achievement: Achievement) -> None:
    if not achievement.outcomes:
        raise InvalidInput(f"achievement {achievement.name!r} has no learning outcomes; add at least one")
    unaligned = [o for o in achievement.outcomes if not o.alignments]
    if unaligned:
        listed = "; ".join(
            f"learning outcome {o.position + 1} ({o.statement[:60]!r}) has no alignment" for o in unaligned
        )
        raise InvalidInput(f"cannot publish: {listed}. Align each to at least one competency framework concept first")


class AchievementOptions(TypedDict, total=False):
    """The optional keyword arguments of :func:`create_achievement` (defaults in the comments)."""

    criteria_url: str | None
    image: str | None
    achievement_type: str  # "MicroCredential"
    language: str  # "en"
    credits: float | None
    level: str | None
    publish: bool  # False: a draft
    id: uuid.UUID | None  # a fixed id (demo data); else a new one
    validity_months: int | None
    validity_days: int | None
    confirm_warnings: bool | None  # see check_alignments


@dataclass(frozen=True)
class _Definition:
    """The required text of an achievement, as given."""

    name: str
    description: str
    criteria_narrative: str
    workload_hours: float


def _new_achievement(issuer_id: uuid.UUID, given: _Definition, options: AchievementOptions) -> Achievement:
    """The achievement row (a draft), every field checked."""
    return Achievement(
        id=options.get("id") or uuid.uuid4(),
        issuer_id=issuer_id,
        name=required_text(given.name, "name", max_length=300),
        description=required_text(given.description, "description"),
        criteria_narrative=required_text(given.criteria_narrative, "criteria_narrative"),
        criteria_url=optional_url(options.get("criteria_url"), "criteria_url"),
        image=_image(options.get("image")),
        achievement_type=required_text(
            options.get("achievement_type", "MicroCredential"), "achievement_type", max_length=64
        ),
        language=required_text(options.get("language", "en"), "language", max_length=16),
        workload_hours=_number(given.workload_hours, "workload_hours", required=True),
        credits=_number(options.get("credits"), "credits", required=False),
        level=optional_text(options.get("level"), "level"),
        status="draft",
        validity_months=_period(options.get("validity_months"), "validity_months", 1200),
        validity_days=_period(options.get("validity_days"), "validity_days", 36500),
        created_at=utcnow(),
    )


def create_achievement(
    session: Session,
    *,
    issuer_id: uuid.UUID | str,
    name: str,
    description: str,
    criteria_narrative: str,
    workload_hours: float,
    outcomes: Sequence[OutcomeInput | Mapping[str, Any]],
    **options: Unpack[AchievementOptions],
) -> Achievement:
    """A new achievement (draft unless `publish`); needs at least one outcome, each of a known kind.

    Alignments are checked against their outcome's kind (see `check_alignments`; ``confirm_warnings=False``
    refuses unconfirmed warnings)."""
    reject_unknown(options, AchievementOptions, "create_achievement")
    publish = options.get("publish", False)
    issuer = issuers.get_organisation(session, issuer_id)
    if not outcomes:
        raise InvalidInput("a micro-credential needs at least one learning outcome")
    achievement = _new_achievement(
        issuer.id, _Definition(name, description, criteria_narrative, workload_hours), options
    )
    achievement.outcomes = [_build_outcome(o, i) for i, o in enumerate(outcomes)]
    warnings = check_alignments(session, achievement.outcomes, confirm_warnings=options.get("confirm_warnings"))
    if publish:
        _check_publishable(achievement)
        achievement.status = "published"
    session.add(achievement)
    session.flush()
    audit.record(
        session,
        "achievement.created",
        f"achievement:{achievement.id}",
        {
            "issuer_id": str(issuer.id),
            "name": achievement.name,
            "status": achievement.status,
            **({"confirmed_warnings": warnings} if warnings else {}),
        },
    )
    if publish:
        audit.record(session, "achievement.published", f"achievement:{achievement.id}", {"name": achievement.name})
    return achievement


def add_outcome(
    session: Session,
    achievement_id: uuid.UUID | str,
    outcome: OutcomeInput | Mapping[str, Any],
    *,
    confirm_warnings: bool | None = None,
) -> LearningOutcome:
    achievement = get_achievement(session, achievement_id)
    if achievement.status != "draft":
        raise InvalidInput("outcomes of a published achievement cannot change")
    built = _build_outcome(outcome, len(achievement.outcomes))
    check_alignments(session, [built], confirm_warnings=confirm_warnings)
    achievement.outcomes.append(built)
    session.flush()
    audit.record(
        session, "achievement.changed", f"achievement:{achievement.id}", {"outcome_added": str(built.id)}
    )
    return built


def publish_achievement(session: Session, achievement_id: uuid.UUID | str) -> Achievement:
    """Publish: at least one outcome, and every outcome aligned to at least one concept."""
    achievement = get_achievement(session, achievement_id)
    _check_publishable(achievement)
    achievement.status = "published"
    session.flush()
    audit.record(session, "achievement.published", f"achievement:{achievement.id}", {"name": achievement.name})
    return achievement


def get_achievement(session: Session, achievement_id: uuid.UUID | str) -> Achievement:
    return get_row(session, Achievement, achievement_id, "achievement")


def find_achievement(session: Session, achievement_id: uuid.UUID | str) -> Achievement | None:
    try:
        return get_achievement(session, achievement_id)
    except NotFound:
        return None


def get_published_achievement(session: Session, achievement_id: uuid.UUID | str) -> Achievement:
    achievement = get_achievement(session, achievement_id)
    if achievement.status != "published":
        raise InvalidInput(f"achievement {achievement.name!r} is not published; only published ones can be awarded")
    return achievement


def list_achievements(
    session: Session, *, issuer_id: uuid.UUID | str | None = None, status: str | None = None
) -> list[Achievement]:
    stmt = select(Achievement).order_by(Achievement.created_at, Achievement.name)
    if issuer_id is not None:
        stmt = stmt.where(Achievement.issuer_id == as_uuid(issuer_id, "organisation"))
    if status is not None:
        stmt = stmt.where(Achievement.status == one_of(status, "status", ("draft", "published")))
    return list(session.scalars(stmt))
