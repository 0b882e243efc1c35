"""Issue (build -> validate schema -> sign -> store, in one transaction), list, get and export awards."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.awards.models import AWARD_FORMATS, Award, EvidenceItem
from microcred.catalog import services as catalog
from microcred.catalog.models import Achievement
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.errors import InvalidInput, NotFound
from microcred.issuers import services as issuers
from microcred.validation import as_uuid, one_of, optional_text, optional_url
from microcred.vc import ob
from microcred.vc.errors import SchemaValidationError

# OB 3.0 ResultStatusType
RESULT_STATUSES = ("Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew")


@dataclass(frozen=True)
class EvidenceInput:
    name: str | None = None
    description: str | None = None
    narrative: str | None = None
    url: str | None = None
    genre: str | None = None
    audience: str | None = None


@dataclass(frozen=True)
class ResultInput:
    """The earner's result on one learning outcome (by the outcome's id)."""

    outcome_id: uuid.UUID | str
    status: str = "Completed"
    value: str | None = None


def _coerce(value: Any, cls: type[Any], what: str) -> Any:
    if isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise InvalidInput(f"each {what} must be an object")
    allowed = set(cls.__dataclass_fields__)
    unknown = set(value) - allowed
    if unknown:
        raise InvalidInput(f"unknown {what} field(s): {', '.join(sorted(map(str, unknown)))}")
    try:
        return cls(**value)
    except TypeError:
        raise InvalidInput(f"{what}: missing required field(s)") from None


def credential_url(award_id: uuid.UUID | str, base_url: str) -> str:
    """The credential's id, also its public verification page: `<base_url>/credentials/<award_id>`."""
    return f"{base_url.rstrip('/')}/credentials/{award_id}"


def achievement_url(achievement_id: uuid.UUID | str, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/achievements/{achievement_id}"


def outcome_uri(outcome_id: uuid.UUID) -> str:
    return f"urn:uuid:{outcome_id}"


def _evidence_rows(evidence: Sequence[EvidenceInput | Mapping[str, Any]]) -> list[EvidenceItem]:
    rows = []
    for index, raw in enumerate(evidence):
        item: EvidenceInput = _coerce(raw, EvidenceInput, "evidence item")
        where = f"evidence {index + 1}"
        row = EvidenceItem(
            id=uuid.uuid4(),
            position=index,
            name=optional_text(item.name, f"{where}: name", max_length=300),
            description=optional_text(item.description, f"{where}: description"),
            narrative=optional_text(item.narrative, f"{where}: narrative"),
            url=optional_url(item.url, f"{where}: url"),
            genre=optional_text(item.genre, f"{where}: genre", max_length=100),
            audience=optional_text(item.audience, f"{where}: audience", max_length=200),
        )
        if not (row.name or row.description or row.narrative or row.url):
            raise InvalidInput(f"{where}: give at least a name, description, narrative or url")
        rows.append(row)
    return rows


def _results(achievement: Achievement, results: Sequence[ResultInput | Mapping[str, Any]]) -> list[dict[str, Any]]:
    known = {outcome.id: outcome for outcome in achievement.outcomes}
    if not results:  # an award without explicit results: every outcome was achieved
        return [{"outcome_id": str(o.id), "status": "Completed", "value": None} for o in achievement.outcomes]
    out: list[dict[str, Any]] = []
    seen: set[uuid.UUID] = set()
    for raw in results:
        item: ResultInput = _coerce(raw, ResultInput, "result")
        try:
            outcome_id = item.outcome_id if isinstance(item.outcome_id, uuid.UUID) else uuid.UUID(str(item.outcome_id))
        except ValueError:
            raise InvalidInput(f"result refers to an invalid outcome id {str(item.outcome_id)[:64]!r}") from None
        if outcome_id not in known:
            raise InvalidInput(f"result refers to outcome {outcome_id}, which is not an outcome of this achievement")
        if outcome_id in seen:
            raise InvalidInput(f"two results for outcome {outcome_id}")
        seen.add(outcome_id)
        out.append(
            {
                "outcome_id": str(outcome_id),
                "status": one_of(item.status, "result status", RESULT_STATUSES),
                "value": optional_text(item.value, "result value", max_length=200),
            }
        )
    return out


def _achievement_definition(
    achievement: Achievement, issuer: ob.IssuerProfile, base_url: str
) -> ob.AchievementDefinition:
    return ob.AchievementDefinition(
        id=achievement_url(achievement.id, base_url),
        name=achievement.name,
        description=achievement.description,
        criteria_narrative=achievement.criteria_narrative,
        criteria_url=achievement.criteria_url,
        achievement_type=achievement.achievement_type,
        image=achievement.image,
        in_language=achievement.language,
        credits_available=achievement.credits,
        outcomes=tuple(
            ob.Outcome(
                id=outcome_uri(outcome.id),
                statement=outcome.statement,
                kind=outcome.kind,
                alignments=tuple(
                    ob.AlignmentTarget(
                        target_url=a.target_url,
                        target_name=a.target_name,
                        target_framework=a.target_framework,
                        target_code=a.target_code,
                        target_type=a.target_type,
                        target_description=a.target_description,
                    )
                    for a in outcome.alignments
                ),
            )
            for outcome in achievement.outcomes
        ),
        creator=issuer,
    )


def issue_award(
    session: Session,
    *,
    achievement_id: uuid.UUID | str,
    earner_id: uuid.UUID | str,
    evidence: Sequence[EvidenceInput | Mapping[str, Any]] = (),
    results: Sequence[ResultInput | Mapping[str, Any]] = (),
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    base_url: str,
    format: str = "di",
    issued_at: datetime | None = None,
    master_key: bytes | None = None,
    award_id: uuid.UUID | None = None,
) -> Award:
    """Build the OB 3.0 credential, validate it, sign it (Data Integrity and JWT) and store it.

    All or nothing: everything happens inside a savepoint, so a failure at any step leaves no Award,
    no evidence and no new key behind in the caller's session. Only published achievements are awarded.
    """
    from microcred.vc import sign_data_integrity, sign_jwt

    fmt = one_of(format, "format", AWARD_FORMATS)
    with session.begin_nested():
        achievement = catalog.get_published_achievement(session, achievement_id)
        earner = earners.get_earner(session, earner_id)
        org = issuers.get_organisation(session, achievement.issuer_id)
        now = (issued_at or utcnow()).replace(microsecond=0)  # as in the credential (whole seconds)
        start = valid_from or now
        for label, value in (("issued_at", now), ("valid_from", start), ("valid_until", valid_until)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput(f"{label} must be timezone-aware")
        if valid_until is not None and valid_until <= start:
            raise InvalidInput("valid_until must be later than valid_from")
        evidence_rows = _evidence_rows(evidence)
        result_rows = _results(achievement, results)

        new_id = award_id or uuid.uuid4()
        issuer = issuers.issuer_profile(org, base_url)
        try:
            credential = ob.build_achievement_credential(
                credential_id=credential_url(new_id, base_url),
                issuer=issuer,
                achievement=_achievement_definition(achievement, issuer, base_url),
                subject=ob.SubjectIdentity(did=earner.did, email=earner.email, salt=earner.salt),
                valid_from=start,
                valid_until=valid_until,
                awarded_date=now,
                evidence=[
                    ob.EvidenceItem(
                        id=e.url,
                        name=e.name,
                        description=e.description,
                        narrative=e.narrative,
                        genre=e.genre,
                        audience=e.audience,
                    )
                    for e in evidence_rows
                ],
                results=[
                    ob.OutcomeResult(
                        outcome_id=outcome_uri(uuid.UUID(r["outcome_id"])), status=r["status"], value=r["value"]
                    )
                    for r in result_rows
                ],
            )
        except SchemaValidationError as exc:
            raise InvalidInput(str(exc)) from exc
        material = issuers.signing_material(session, org, base_url=base_url, master_key=master_key)
        signed = sign_data_integrity(credential, material.key, material.verification_method, created=now)
        token = sign_jwt(credential, material.key, kid=material.verification_method)
        award = Award(
            id=new_id,
            achievement_id=achievement.id,
            earner_id=earner.id,
            signing_key_id=material.key_id,
            issued_at=now,
            valid_from=start,
            valid_until=valid_until,
            results=result_rows,
            format=fmt,
            credential_json=json.dumps(signed, ensure_ascii=False, indent=2),
            credential_jwt=token,
        )
        award.evidence = evidence_rows
        session.add(award)
        session.flush()
    return award


def get_award(session: Session, award_id: uuid.UUID | str) -> Award:
    award = session.get(Award, as_uuid(award_id, "award"))
    if award is None:
        raise NotFound(f"no award with id {award_id}")
    return award


def find_award(session: Session, award_id: uuid.UUID | str) -> Award | None:
    try:
        return get_award(session, award_id)
    except NotFound:
        return None


def list_awards(
    session: Session,
    *,
    earner_id: uuid.UUID | str | None = None,
    achievement_id: uuid.UUID | str | None = None,
    limit: int | None = None,
) -> list[Award]:
    stmt = select(Award).order_by(Award.issued_at.desc(), Award.id)
    if earner_id is not None:
        stmt = stmt.where(Award.earner_id == as_uuid(earner_id, "earner"))
    if achievement_id is not None:
        stmt = stmt.where(Award.achievement_id == as_uuid(achievement_id, "achievement"))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def credential_document(award: Award) -> dict[str, Any]:
    """The stored Data Integrity credential, parsed."""
    doc: dict[str, Any] = json.loads(award.credential_json)
    return doc


def export_award(award: Award, fmt: str = "di") -> str:
    """The credential as issued: `di` = the signed JSON-LD document, `jwt` = the compact VC-JOSE token."""
    fmt = one_of(fmt, "format", AWARD_FORMATS)
    if fmt == "jwt":
        if not award.credential_jwt:
            raise InvalidInput(f"award {award.id} has no JWT form")
        return award.credential_jwt
    return award.credential_json


@dataclass(frozen=True)
class AwardSummary:
    id: uuid.UUID
    achievement_id: uuid.UUID
    achievement_name: str
    issuer_name: str
    earner_id: uuid.UUID
    earner_name: str
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime | None
    format: str

    def to_json(self, base_url: str | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": str(self.id),
            "achievement_id": str(self.achievement_id),
            "achievement": self.achievement_name,
            "issuer": self.issuer_name,
            "earner_id": str(self.earner_id),
            "earner": self.earner_name,
            "issued_at": self.issued_at.isoformat(),
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "format": self.format,
        }
        if base_url:
            doc["url"] = credential_url(self.id, base_url)
        return doc


def summarise(session: Session, award: Award) -> AwardSummary:
    achievement = catalog.get_achievement(session, award.achievement_id)
    earner = earners.get_earner(session, award.earner_id)
    org = issuers.get_organisation(session, achievement.issuer_id)
    return AwardSummary(
        id=award.id,
        achievement_id=achievement.id,
        achievement_name=achievement.name,
        issuer_name=org.name,
        earner_id=earner.id,
        earner_name=earner.name,
        issued_at=award.issued_at,
        valid_from=award.valid_from,
        valid_until=award.valid_until,
        format=award.format,
    )


def award_summaries(session: Session, **filters: Any) -> list[AwardSummary]:
    return [summarise(session, award) for award in list_awards(session, **filters)]
