"""The awards' write side: evidence and results validated into rows, a signed credential stored as an award,
re-signed in place, linked to its replacement.

Issuing itself (gates, contributions, build, status, signing) is `microcred.issuing`; reading awards is
`microcred.awards.queries`; state transitions are `microcred.awards.lifecycle`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.awards.models import AWARD_FORMATS, Award, EvidenceItem
from microcred.errors import Conflict, InvalidInput
from microcred.issuance import EvidenceInput, ResultInput
from microcred.status import services as status
from microcred.validation import one_of, optional_text, optional_url
from microcred.vc.outcomes import RESULT_STATUSES as RESULT_STATUSES  # OB 3.0 ResultStatusType (vc.outcomes)

if TYPE_CHECKING:
    from microcred.catalog.services import Achievement


def coerce(value: Any, cls: type[Any], what: str) -> Any:
    """A dataclass input given as itself or as a mapping of its fields (unknown fields refused by name)."""
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


def evidence_rows(evidence: Sequence[EvidenceInput | Mapping[str, Any]]) -> list[EvidenceItem]:
    """The evidence given when issuing, validated (each item names itself in errors: "evidence 2: url ...")."""
    rows = []
    for index, raw in enumerate(evidence):
        item: EvidenceInput = coerce(raw, EvidenceInput, "evidence item")
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


def evidence_inputs(award: Award) -> list[EvidenceInput]:
    """An award's evidence as input again (renewals and re-issues carry it over)."""
    return [
        EvidenceInput(
            name=e.name, description=e.description, narrative=e.narrative, url=e.url, genre=e.genre, audience=e.audience
        )
        for e in award.evidence
    ]


def _outcome_id(item: ResultInput) -> uuid.UUID:
    try:
        return item.outcome_id if isinstance(item.outcome_id, uuid.UUID) else uuid.UUID(str(item.outcome_id))
    except ValueError:
        raise InvalidInput(f"result refers to an invalid outcome id {str(item.outcome_id)[:64]!r}") from None


def validate_results(
    achievement: Achievement, results: Sequence[ResultInput | Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The per-outcome results given by the issuer, as stored; none given: every outcome was achieved. Refused
    until every outcome is passed (Completed), naming each one that is not."""
    known = {outcome.id: outcome for outcome in achievement.outcomes}
    if not results:
        return [{"outcome_id": str(o.id), "status": "Completed", "value": None} for o in achievement.outcomes]
    out: list[dict[str, Any]] = []
    seen: set[uuid.UUID] = set()
    for raw in results:
        item: ResultInput = coerce(raw, ResultInput, "result")
        outcome_id = _outcome_id(item)
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
    not_passed = [r for r in out if r["status"] != "Completed"]
    if not_passed:
        listed = "; ".join(
            f"outcome {known[uuid.UUID(r['outcome_id'])].position + 1} "
            f"({known[uuid.UUID(r['outcome_id'])].statement[:60]!r}) is {r['status']}"
            for r in not_passed
        )
        raise InvalidInput(f"cannot issue until every outcome is passed (Completed): {listed}")
    return out


def result_inputs(award: Award) -> list[ResultInput]:
    """An award's stored results as input again."""
    return [ResultInput(outcome_id=r["outcome_id"], status=r["status"], value=r.get("value")) for r in award.results]


def check_format(value: str) -> str:
    return one_of(value, "format", AWARD_FORMATS)


@dataclass(frozen=True)
class SignedCredential:
    """A credential as signed: both forms and the key that signed them."""

    document: dict[str, Any]
    jwt: str
    signing_key_id: uuid.UUID

    def json_text(self) -> str:
        return json.dumps(self.document, ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class NewAward:
    """What an award row holds when it is stored."""

    id: uuid.UUID
    achievement_id: uuid.UUID
    earner_id: uuid.UUID
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime | None
    results: list[dict[str, Any]]
    format: str
    evidence: list[EvidenceItem] = field(default_factory=list)


def store_award(session: Session, new: NewAward, signed: SignedCredential) -> Award:
    award = Award(
        id=new.id,
        achievement_id=new.achievement_id,
        earner_id=new.earner_id,
        signing_key_id=signed.signing_key_id,
        issued_at=new.issued_at,
        valid_from=new.valid_from,
        valid_until=new.valid_until,
        results=new.results,
        format=new.format,
        credential_json=signed.json_text(),
        credential_jwt=signed.jwt,
        status="active",
    )
    award.evidence = new.evidence
    session.add(award)
    session.flush()
    return award


def replace_credential(session: Session, award: Award, signed: SignedCredential) -> None:
    """Re-signed in place (same award, same id): the new forms and key."""
    award.credential_json = signed.json_text()
    award.credential_jwt = signed.jwt
    award.signing_key_id = signed.signing_key_id
    session.flush()


def check_replaceable(old: Award, kind: str) -> None:
    if old.replaced_by_id is not None:
        raise Conflict(f"award {old.id} was already replaced by award {old.replaced_by_id}")
    if old.status == "revoked":
        verb = "renewed" if kind == "renewal" else "reissued"
        raise Conflict(f"award {old.id} is revoked; a revoked award cannot be {verb}")


def link_replacement(session: Session, old: Award, new: Award, kind: str) -> None:
    """Link both ways; a suspension carries over to the replacement; audited on the old award."""
    new.replaces_id, new.replacement = old.id, kind
    old.replaced_by_id = new.id
    session.flush()
    if old.status == "suspended":
        if status.set_bit(session, new.id, "suspension", True):
            from microcred.status import tasks as status_tasks  # queue the list's re-signing (status.tasks)

            status_tasks.queue_resign_for_award(session, new.id, "suspension")
        new.status = "suspended"
    audit.record(
        session,
        {"renewal": "award.renewed", "reissue": "award.reissued"}[kind],
        f"award:{old.id}",
        {"new_award_id": str(new.id), "signing_key_id": str(new.signing_key_id)},
    )
    session.flush()
