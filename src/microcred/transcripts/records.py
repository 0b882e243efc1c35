"""Transcript fields of definitions and awards, and prerequisites (TRN-1..5, EXT-2..4, EU mandatory elements).

The award-issuing flow (`awards.services.issue_award`) calls `check_prerequisites`, `transcript_definition`,
`prepare_award_record` and `store_award_record`; everything here validates input with `InvalidInput` messages
that name the field.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.catalog import services as catalog
from microcred.catalog.services import Achievement
from microcred.db import reads
from microcred.errors import InvalidInput
from microcred.issuers import services as issuers
from microcred.transcripts.models import (
    AWARD_ROUTES,
    CREDIT_UNITS,
    GRADING_SCHEMES,
    PARTICIPATION_FORMS,
    QA_TYPES,
    AchievementRecord,
    AwardRecord,
    Prerequisite,
)
from microcred.validation import as_uuid, country_code, one_of, optional_text
from microcred.vc import ob
from microcred.vc.records import TranscriptRecordFields

CREDIT_UNIT_LABELS = {
    "Semester": "semester credits",
    "Quarter": "quarter credits",
    "ClockHours": "clock hours",
    "ContinuingEducationUnits": "CEU",
    "ECTS": "ECTS",
    "NoCredit": "no credit",
}
QA_TYPE_LABELS = {
    "internal": "internal institutional quality assurance",
    "external_agency": "external quality assurance agency",
    "accreditation": "accreditation",
    "sector_standard": "sector standard",
}


# -- definitions ---------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class AchievementRecordInput(TranscriptRecordFields):
    """A definition's transcript record as the issuer gives it (unvalidated text: `set_achievement_record` checks
    it): the record's fields (vc.records) and the institution's own course code."""

    human_code: str | None = None


def _optional_choice(value: str | None, field: str, allowed: tuple[str, ...]) -> str | None:
    if value is None or not str(value).strip():
        return None
    return one_of(str(value), field, allowed)


def _eqf(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidInput("eqf_level must be a whole number from 1 to 8")
    try:
        level = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"eqf_level must be a whole number from 1 to 8 (got {value!r})") from None
    if level != value and str(level) != str(value).strip():
        raise InvalidInput(f"eqf_level must be a whole number from 1 to 8 (got {value!r})")
    if not 1 <= level <= 8:
        raise InvalidInput(f"eqf_level must be between 1 and 8 (got {level})")
    return level


def _coerce(raw: Any, cls: type[Any], what: str) -> Any:
    if isinstance(raw, cls):
        return raw
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{what} must be an object")
    allowed = {f.name for f in fields(cls)}
    unknown = set(raw) - allowed
    if unknown:
        raise InvalidInput(f"unknown {what} field(s): {', '.join(sorted(map(str, unknown)))}")
    return cls(**raw)


def set_achievement_record(
    session: Session, achievement_id: uuid.UUID | str, values: AchievementRecordInput | Mapping[str, Any]
) -> AchievementRecord:
    """Create or replace a definition's transcript record (validated; audited)."""
    achievement = catalog.get_achievement(session, achievement_id)
    reads.forget(session, ("achievement_record", achievement.id))
    data: AchievementRecordInput = _coerce(values, AchievementRecordInput, "transcript record")
    qa_reference = optional_text(data.quality_assurance_reference, "quality_assurance_reference", max_length=2000)
    record = session.get(AchievementRecord, achievement.id) or AchievementRecord(achievement_id=achievement.id)
    record.human_code = optional_text(data.human_code, "human_code", max_length=64)
    record.credit_unit = _optional_choice(data.credit_unit, "credit_unit", CREDIT_UNITS)
    record.eqf_level = _eqf(data.eqf_level)
    record.qualification_framework = optional_text(
        data.qualification_framework, "qualification_framework", max_length=200
    )
    record.qualification_level = optional_text(data.qualification_level, "qualification_level", max_length=200)
    if record.qualification_level and not record.qualification_framework:
        raise InvalidInput("qualification_level needs the qualification_framework it belongs to")
    record.form_of_participation = _optional_choice(
        data.form_of_participation, "form_of_participation", PARTICIPATION_FORMS
    )
    record.quality_assurance_type = _optional_choice(data.quality_assurance_type, "quality_assurance_type", QA_TYPES)
    record.quality_assurance_reference = qa_reference
    record.awarding_body = optional_text(data.awarding_body, "awarding_body", max_length=300)
    record.awarding_country = (
        country_code(data.awarding_country, "awarding_country") if optional_text(data.awarding_country, "c") else None
    )
    record.grading_scheme = _optional_choice(data.grading_scheme, "grading_scheme", GRADING_SCHEMES)
    if record.credit_unit and record.credit_unit != "NoCredit" and achievement.credits is None:
        raise InvalidInput(f"credit_unit {record.credit_unit} needs a credit value on the achievement (credits)")
    session.add(record)
    session.flush()
    audit.record(
        session,
        "achievement.transcript_record_set",
        f"achievement:{achievement.id}",
        {f.name: getattr(record, f.name) for f in fields(AchievementRecordInput)},
    )
    return record


def get_achievement_record(session: Session, achievement_id: uuid.UUID | str) -> AchievementRecord | None:
    """The record (read once per bulk chunk: `db.reads`)."""
    aid = as_uuid(achievement_id, "achievement")
    return reads.shared(session, ("achievement_record", aid), lambda: session.get(AchievementRecord, aid))


def set_prerequisites(
    session: Session, achievement_id: uuid.UUID | str, required_ids: Sequence[uuid.UUID | str]
) -> list[Achievement]:
    """Replace the achievements an earner must hold before ``achievement_id`` is awarded (no cycles)."""
    achievement = catalog.get_achievement(session, achievement_id)
    reads.forget(session, ("prerequisites", achievement.id))
    required = [catalog.get_achievement(session, rid) for rid in required_ids]
    ids = [r.id for r in required]
    if achievement.id in ids:
        raise InvalidInput("an achievement cannot be its own prerequisite")
    if len(set(ids)) != len(ids):
        raise InvalidInput("a prerequisite is listed twice")
    for r in required:  # no cycle: achievement must not be (transitively) required by r
        if achievement.id in _transitive_prerequisites(session, r.id):
            raise InvalidInput(f"{r.name!r} already requires {achievement.name!r} (a prerequisite cycle)")
    for old in session.scalars(select(Prerequisite).where(Prerequisite.achievement_id == achievement.id)):
        session.delete(old)
    session.flush()
    for r in required:
        session.add(Prerequisite(achievement_id=achievement.id, required_id=r.id))
    session.flush()
    audit.record(
        session, "achievement.prerequisites_set", f"achievement:{achievement.id}", {"requires": [str(i) for i in ids]}
    )
    return required


def _transitive_prerequisites(session: Session, achievement_id: uuid.UUID) -> set[uuid.UUID]:
    seen: set[uuid.UUID] = set()
    todo = [achievement_id]
    while todo:
        current = todo.pop()
        for rid in session.scalars(select(Prerequisite.required_id).where(Prerequisite.achievement_id == current)):
            if rid not in seen:
                seen.add(rid)
                todo.append(rid)
    return seen


def prerequisites(session: Session, achievement_id: uuid.UUID | str) -> list[Achievement]:
    """The required achievements (read once per bulk chunk: `db.reads`)."""
    aid = as_uuid(achievement_id, "achievement")

    def load() -> list[Achievement]:
        ids = list(session.scalars(select(Prerequisite.required_id).where(Prerequisite.achievement_id == aid)))
        return sorted((catalog.get_achievement(session, i) for i in ids), key=lambda a: a.name)

    return reads.shared(session, ("prerequisites", aid), load)


def check_prerequisites(session: Session, achievement: Achievement, earner_id: uuid.UUID) -> None:
    """Refuse (``InvalidInput``) an award whose prerequisites the earner does not hold as an active, current,
    not-failed award of this instance."""
    from microcred.transcripts import pathways  # held achievements, shared with pathway progress

    required = prerequisites(session, achievement.id)
    if not required:
        return
    held = pathways.held_achievement_ids(session, earner_id)
    missing = [r for r in required if r.id not in held]
    if missing:
        names = ", ".join(repr(m.name) for m in missing)
        raise InvalidInput(f"cannot award {achievement.name!r}: the earner does not hold its prerequisite(s) {names}")


def transcript_definition(session: Session, achievement: Achievement, base_url: str) -> ob.TranscriptDefinition | None:
    """What the credential carries about the definition (None: no transcript record and no prerequisites)."""
    record = get_achievement_record(session, achievement.id)
    required = prerequisites(session, achievement.id)
    if record is None and not required:
        return None
    from microcred.urls import achievement_url

    org = issuers.get_organisation(session, achievement.issuer_id)
    return ob.TranscriptDefinition(
        credit_unit=record.credit_unit if record else None,
        notional_hours=achievement.workload_hours,
        eqf_level=record.eqf_level if record else None,
        qualification_framework=record.qualification_framework if record else None,
        qualification_level=record.qualification_level if record else None,
        form_of_participation=record.form_of_participation if record else None,
        quality_assurance_type=QA_TYPE_LABELS.get(record.quality_assurance_type or "") if record else None,
        quality_assurance_reference=record.quality_assurance_reference if record else None,
        awarding_body=(record.awarding_body or org.legal_name or org.name) if record else None,
        awarding_country=(record.awarding_country or org.country) if record else None,
        grading_scheme=record.grading_scheme if record else None,
        prerequisites=tuple(achievement_url(r.id, base_url) for r in required),
        prerequisite_names=tuple(r.name for r in required),
    )


def human_code(session: Session, achievement_id: uuid.UUID) -> str | None:
    record = get_achievement_record(session, achievement_id)
    return record.human_code if record else None


# -- awards --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AwardRecordInput:
    """An award's transcript line as given by the issuer (all optional)."""

    credits_earned: float | None = None
    term: str | None = None
    activity_start: date | datetime | str | None = None
    activity_end: date | datetime | str | None = None
    result: str | None = None
    award_route: str | None = None


def _moment(value: date | datetime | str | None, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(
                f"{field} must be a date (YYYY-MM-DD) or an ISO 8601 date-time (got {value!r})"
            ) from None
        if len(str(value).strip()) == 10:
            moment = moment.replace(tzinfo=UTC)
    if moment.tzinfo is None:
        raise InvalidInput(f"{field} must carry a timezone (or be a plain date)")
    return moment.astimezone(UTC).replace(microsecond=0)


def _result(value: str | None, scheme: str | None) -> str | None:
    text = optional_text(value, "result", max_length=32)
    if text is None:
        return None
    if scheme is None:
        raise InvalidInput("result: this achievement declares no grading scheme (set grading_scheme on its record)")
    if scheme == "pass_fail":
        normalised = {"pass": "Pass", "fail": "Fail", "p": "Pass", "f": "Fail"}.get(text.lower())
        if normalised is None:
            raise InvalidInput(f"result must be Pass or Fail for a pass/fail achievement (got {text!r})")
        return normalised
    if scheme == "letter_grade":
        grade = text.upper()
        if grade not in ob.LETTER_GRADES:
            raise InvalidInput(f"result must be a letter grade ({', '.join(ob.LETTER_GRADES)}); got {text!r}")
        return grade
    try:
        percent = float(text.rstrip("%").strip())
    except ValueError:
        raise InvalidInput(f"result must be a percentage from 0 to 100 (got {text!r})") from None
    if not (math.isfinite(percent) and 0 <= percent <= 100):
        raise InvalidInput(f"result must be a percentage from 0 to 100 (got {text!r})")
    return f"{percent:g}"


@dataclass(frozen=True)
class PreparedRecord:
    values: dict[str, Any]
    subject: ob.SubjectRecord


def prepare_award_record(
    session: Session, achievement: Achievement, raw: AwardRecordInput | Mapping[str, Any] | None
) -> PreparedRecord | None:
    """Validate an award's transcript input against its achievement (None when none was given)."""
    if raw is None:
        return None
    data: AwardRecordInput = _coerce(raw, AwardRecordInput, "transcript")
    record = get_achievement_record(session, achievement.id)
    credits = data.credits_earned
    if credits is not None:
        if isinstance(credits, bool):
            raise InvalidInput("credits_earned must be a number")
        try:
            credits = float(credits)
        except (TypeError, ValueError):
            raise InvalidInput(f"credits_earned must be a number (got {credits!r})") from None
        if not math.isfinite(credits) or credits < 0:
            raise InvalidInput("credits_earned must be a non-negative number")
        if achievement.credits is not None and credits > achievement.credits:
            raise InvalidInput(
                f"credits_earned ({credits:g}) cannot exceed the achievement's credits ({achievement.credits:g})"
            )
    start = _moment(data.activity_start, "activity_start")
    end = _moment(data.activity_end, "activity_end")
    if start and end and end < start:
        raise InvalidInput("activity_end must not be before activity_start")
    result = _result(data.result, record.grading_scheme if record else None)
    route = one_of(data.award_route or "course", "award_route", AWARD_ROUTES)
    if credits is None and achievement.credits is not None and result != "Fail":
        credits = achievement.credits
    term = optional_text(data.term, "term", max_length=64)
    values: dict[str, Any] = {
        "credits_earned": credits,
        "term": term,
        "activity_start": start,
        "activity_end": end,
        "result_value": result,
        "award_route": route,
    }
    subject = ob.SubjectRecord(
        credits_earned=credits,
        term=term,
        activity_start=start,
        activity_end=end,
        result_value=result,
        award_route=route,
    )
    return PreparedRecord(values=values, subject=subject)


def store_award_record(session: Session, award_id: uuid.UUID, prepared: PreparedRecord | None) -> None:
    if prepared is not None:
        session.add(AwardRecord(award_id=award_id, **prepared.values))
        session.flush()


def get_award_record(session: Session, award_id: uuid.UUID) -> AwardRecord | None:
    return session.get(AwardRecord, award_id)


def award_record_input(session: Session, award_id: uuid.UUID) -> AwardRecordInput | None:
    """The stored record as input again (renewals and re-issues carry it over)."""
    record = get_award_record(session, award_id)
    if record is None:
        return None
    return AwardRecordInput(
        credits_earned=record.credits_earned,
        term=record.term,
        activity_start=record.activity_start,
        activity_end=record.activity_end,
        result=record.result_value,
        award_route=record.award_route,
    )
