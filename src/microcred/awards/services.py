"""Issue (build -> validate schema -> sign -> store, in one transaction), list, get and export awards."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.assessments import services as assessments
from microcred.audit import services as audit
from microcred.awards.models import AWARD_FORMATS, Award, AwardStatusEvent, EvidenceItem

# re-exported while callers move to awards.queries, the read side
from microcred.awards.queries import (
    AwardSummary as AwardSummary,
)
from microcred.awards.queries import (
    award_summaries as award_summaries,
)
from microcred.awards.queries import (
    credential_document as credential_document,
)
from microcred.awards.queries import (
    export_award as export_award,
)
from microcred.awards.queries import (
    find_award as find_award,
)
from microcred.awards.queries import (
    get_award as get_award,
)
from microcred.awards.queries import (
    list_awards as list_awards,
)
from microcred.awards.queries import (
    status_history as status_history,
)
from microcred.awards.queries import (
    summarise as summarise,
)
from microcred.catalog import services as catalog
from microcred.catalog.models import Achievement
from microcred.db.base import utcnow
from microcred.db.locking import lock_row
from microcred.earners import services as earners
from microcred.errors import Conflict, InvalidInput
from microcred.issuers import services as issuers
from microcred.partners import services as partners
from microcred.status import services as status
from microcred.transcripts import records as transcript_records
from microcred.validation import one_of, optional_text, optional_url, required_text
from microcred.vc import ob
from microcred.vc.contexts import LEGACY_CONTEXTS
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
    not_passed = [r for r in out if r["status"] != "Completed"]
    if not_passed:
        listed = "; ".join(
            f"outcome {known[uuid.UUID(r['outcome_id'])].position + 1} "
            f"({known[uuid.UUID(r['outcome_id'])].statement[:60]!r}) is {r['status']}"
            for r in not_passed
        )
        raise InvalidInput(f"cannot issue until every outcome is passed (Completed): {listed}")
    return out


def _achievement_definition(
    achievement: Achievement, issuer: ob.IssuerProfile, base_url: str, session: Session | None = None
) -> ob.AchievementDefinition:
    rubrics = assessments.outcome_rubric_fields(session, achievement) if session is not None else {}
    assessment = assessments.achievement_assessment_fields(session, achievement) if session is not None else {}
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
                **rubrics.get(outcome.id, {}),
            )
            for outcome in achievement.outcomes
        ),
        creator=issuer,
        **assessment,
    )


def _build_document(
    session: Session,
    *,
    award_id: uuid.UUID,
    achievement: Achievement,
    earner: Any,
    org: Any,
    base_url: str,
    issued_at: datetime,
    valid_from: datetime,
    valid_until: datetime | None,
    evidence_rows: Sequence[EvidenceItem],
    assessed: Any,
    result_rows: list[dict[str, Any]],
    record: Any,
    credential_status: dict[str, Any],
    endorsements: tuple[dict[str, Any], ...],
) -> dict[str, Any]:
    """The unsigned, schema-valid OpenBadgeCredential of an award (issuing and re-signing in place share it)."""
    issuer = issuers.issuer_profile(org, base_url)
    try:
        return ob.build_achievement_credential(
            credential_id=credential_url(award_id, base_url),
            issuer=issuer,
            achievement=dataclasses.replace(
                _achievement_definition(achievement, issuer, base_url, session),
                transcript=transcript_records.transcript_definition(session, achievement, base_url),
                endorsements=endorsements,
            ),
            subject=ob.SubjectIdentity(
                did=earner.did,
                email=earner.email,
                salt=earner.salt,
                pairwise_id=ob.pairwise_subject_id(earner.salt, achievement_url(achievement.id, base_url)),
            ),
            valid_from=valid_from,
            valid_until=valid_until,
            awarded_date=issued_at,
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
            ]
            + (assessed.evidence if assessed is not None else []),
            results=assessed.results
            if assessed is not None
            else [
                ob.OutcomeResult(
                    outcome_id=outcome_uri(uuid.UUID(r["outcome_id"])), status=r["status"], value=r.get("value")
                )
                for r in result_rows
            ],
            credential_status=credential_status,
            record=record.subject if record is not None else None,
        )
    except SchemaValidationError as exc:
        raise InvalidInput(str(exc)) from exc


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
    transcript: transcript_records.AwardRecordInput | Mapping[str, Any] | None = None,
    enforce_prerequisites: bool = True,
    enforce_relevance: bool = True,
) -> Award:
    """Build the OB 3.0 credential, validate it, sign it (Data Integrity and JWT) and store it.

    All or nothing: everything happens inside a savepoint, so a failure at any step leaves no Award,
    no evidence and no new key behind in the caller's session. Only published achievements are awarded.
    ``transcript``: the award's transcript line (credits earned, term, activity dates, final result, route);
    the achievement's prerequisites must be held; pathways the award completes are issued or queued in the
    same transaction (`transcripts.pathways`).
    ``enforce_relevance``: refuse (naming what is missing) when the achievement's labour-market relevance lapsed
    or its issuer requires a current partner endorsement and there is none (`partners.check_issuable`); the
    current partner endorsements are embedded in the credential's achievement (`endorsement`).
    """
    from microcred.vc import sign_data_integrity, sign_jwt

    fmt = one_of(format, "format", AWARD_FORMATS)
    with session.begin_nested():
        achievement = catalog.get_published_achievement(session, achievement_id)
        earner = earners.get_earner(session, earner_id)
        if enforce_prerequisites:
            transcript_records.check_prerequisites(session, achievement, earner.id)
        org = issuers.get_organisation(session, achievement.issuer_id)
        now = (issued_at or utcnow()).replace(microsecond=0)  # as in the credential (whole seconds)
        if enforce_relevance:
            partners.check_issuable(session, achievement, now=now)
        start = valid_from or now
        for label, value in (("issued_at", now), ("valid_from", start), ("valid_until", valid_until)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput(f"{label} must be timezone-aware")
        if valid_until is None:
            valid_until = catalog.validity_end(achievement, start)
        if valid_until is not None and valid_until <= start:
            raise InvalidInput("valid_until must be later than valid_from")
        evidence_rows = _evidence_rows(evidence)
        # an assessed achievement: the recorded per-outcome results (all passing) and only the PUBLIC evidence
        assessed = assessments.issuance_inputs(session, achievement, earner.id, base_url=base_url)
        if assessed is not None and results:
            raise InvalidInput(
                f"achievement {achievement.name!r} is assessed on rubrics: record each outcome's result "
                "(assessments), do not pass results when issuing"
            )
        result_rows = assessed.stored_results if assessed is not None else _results(achievement, results)
        prepared_record = transcript_records.prepare_award_record(session, achievement, transcript)

        new_id = award_id or uuid.uuid4()
        allocated = status.allocate_for_award(session, org.id)  # random indexes, unique per list
        credential = _build_document(
            session,
            award_id=new_id,
            achievement=achievement,
            earner=earner,
            org=org,
            base_url=base_url,
            issued_at=now,
            valid_from=start,
            valid_until=valid_until,
            evidence_rows=evidence_rows,
            assessed=assessed,
            result_rows=result_rows,
            record=prepared_record,
            credential_status=allocated.credential_status(base_url),  # one entry: revocation
            endorsements=partners.endorsement_documents_for_issuing(session, achievement.id, now=now),
        )
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
            status="active",
        )
        award.evidence = evidence_rows
        session.add(award)
        session.flush()
        allocated.attach(session, award.id)
        transcript_records.store_award_record(session, award.id, prepared_record)
        audit.record(
            session,
            "award.issued",
            f"award:{award.id}",
            {
                "achievement_id": str(achievement.id),
                "earner_id": str(earner.id),
                "signing_key_id": str(material.key_id),
                "valid_until": valid_until.isoformat() if valid_until else None,
            },
        )
        from microcred.transcripts import pathways  # late: pathways issue their credentials through this module

        pathways.evaluate_for_earner(session, earner.id, base_url=base_url, master_key=master_key)
    return award


def lock_award(session: Session, award_id: uuid.UUID | str) -> Award:
    """The award with its row locked until the transaction ends, read afresh (`db.locking.lock_row`). Every state
    transition starts here, so the second of two concurrent requests fails its state check (409) before it has
    written anything."""
    return lock_row(session, Award, award_id, "award")


# -- status: revoke (irreversible), suspend, reinstate ---------------------------------------------------
def _reason(reason: str | None, *, required: bool) -> str | None:
    if required:
        return required_text(reason, "reason", max_length=2000)
    return optional_text(reason, "reason", max_length=2000)


def _status_event(session: Session, award: Award, action: str, reason: str | None) -> None:
    """The private record (with the reason) and the audit entry (with a digest of the reason, never the text)."""
    session.add(
        AwardStatusEvent(
            id=uuid.uuid4(), award_id=award.id, action=action, reason=reason, actor=audit.current_actor(), at=utcnow()
        )
    )
    details: dict[str, Any] = {}
    if reason:
        details["reason_sha256"] = hashlib.sha256(reason.encode("utf-8")).hexdigest()
    audit.record(session, f"award.{action}", f"award:{award.id}", details)
    session.flush()


def revoke_award(session: Session, award_id: uuid.UUID | str, *, reason: str) -> Award:
    """Revoke for good: the revocation bit is set in the public list; the reason stays private."""
    award = lock_award(session, award_id)
    text = _reason(reason, required=True)
    if award.status == "revoked":
        raise Conflict(f"award {award.id} is already revoked")
    status.set_bit(session, award.id, "revocation", True)
    award.status = "revoked"
    _status_event(session, award, "revoked", text)
    return award


def suspend_award(session: Session, award_id: uuid.UUID | str, *, reason: str) -> Award:
    award = lock_award(session, award_id)
    text = _reason(reason, required=True)
    if award.status == "revoked":
        raise Conflict(f"award {award.id} is revoked; revocation is permanent, so it cannot be suspended")
    if award.status == "suspended":
        raise Conflict(f"award {award.id} is already suspended")
    status.set_bit(session, award.id, "suspension", True)
    award.status = "suspended"
    _status_event(session, award, "suspended", text)
    return award


def reinstate_award(session: Session, award_id: uuid.UUID | str, *, reason: str | None = None) -> Award:
    award = lock_award(session, award_id)
    text = _reason(reason, required=False)
    if award.status == "revoked":
        raise Conflict(f"award {award.id} is revoked; revocation is permanent, so it cannot be reinstated")
    if award.status != "suspended":
        raise Conflict(f"award {award.id} is not suspended; there is nothing to reinstate")
    status.set_bit(session, award.id, "suspension", False)
    award.status = "active"
    _status_event(session, award, "reinstated", text)
    return award


# -- renewal and re-issue: a new award linked both ways to the old one ------------------------------------
def _evidence_inputs(award: Award) -> list[EvidenceInput]:
    return [
        EvidenceInput(
            name=e.name, description=e.description, narrative=e.narrative, url=e.url, genre=e.genre, audience=e.audience
        )
        for e in award.evidence
    ]


def _result_inputs(session: Session, award: Award) -> list[ResultInput]:
    if assessments.get_design(session, award.achievement_id) is not None:
        return []  # an assessed achievement: the recorded results are used again
    return [ResultInput(outcome_id=r["outcome_id"], status=r["status"], value=r.get("value")) for r in award.results]


def _replace(
    session: Session,
    old: Award,
    kind: str,
    *,
    base_url: str,
    master_key: bytes | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
) -> Award:
    if old.replaced_by_id is not None:
        raise Conflict(f"award {old.id} was already replaced by award {old.replaced_by_id}")
    if old.status == "revoked":
        verb = "renewed" if kind == "renewal" else "reissued"
        raise Conflict(f"award {old.id} is revoked; a revoked award cannot be {verb}")
    new = issue_award(
        session,
        achievement_id=old.achievement_id,
        earner_id=old.earner_id,
        evidence=_evidence_inputs(old),
        results=_result_inputs(session, old),
        valid_from=valid_from,
        valid_until=valid_until,
        base_url=base_url,
        format=old.format,
        master_key=master_key,
        transcript=transcript_records.award_record_input(session, old.id),
        enforce_prerequisites=False,
        enforce_relevance=kind == "renewal",  # a renewal is a new credential; a re-signing is not
    )
    new.replaces_id, new.replacement = old.id, kind
    old.replaced_by_id = new.id
    session.flush()
    if old.status == "suspended":  # a suspension carries over to the replacement
        status.set_bit(session, new.id, "suspension", True)
        new.status = "suspended"
    audit.record(
        session,
        {"renewal": "award.renewed", "reissue": "award.reissued"}[kind],
        f"award:{old.id}",
        {"new_award_id": str(new.id), "signing_key_id": str(new.signing_key_id)},
    )
    session.flush()
    return new


def renew_award(
    session: Session, award_id: uuid.UUID | str, *, base_url: str, master_key: bytes | None = None
) -> Award:
    """A new credential from now, valid for the achievement's validity period (or as long as the old one was).

    The old award is left as it was issued (it stays verifiable, until it expires); both are linked. Its row is
    locked first: of two concurrent renewals one issues, the other gets a Conflict and writes nothing."""
    old = lock_award(session, award_id)
    achievement = catalog.get_achievement(session, old.achievement_id)
    start = utcnow().replace(microsecond=0)
    until = catalog.validity_end(achievement, start)
    if until is None and old.valid_until is not None:
        until = start + (old.valid_until - old.valid_from)
    with session.begin_nested():
        return _replace(
            session, old, "renewal", base_url=base_url, master_key=master_key, valid_from=start, valid_until=until
        )


def reissue_award(
    session: Session, award_id: uuid.UUID | str, *, base_url: str, master_key: bytes | None = None
) -> Award:
    """The same award, signed again with the organisation's current key (same validity); both are linked.

    The old award's row is locked first (see `lock_award`), so it is re-issued once."""
    old = lock_award(session, award_id)
    with session.begin_nested():
        return _replace(
            session,
            old,
            "reissue",
            base_url=base_url,
            master_key=master_key,
            valid_from=old.valid_from,
            valid_until=old.valid_until,
        )


# -- re-signing in place: the same award in the current standard form -------------------------------------
def in_current_form(document: dict[str, Any]) -> bool:
    """Whether a stored credential is in the form microcred signs now: only standard contexts, ONE status entry,
    a subject id (so its JWT carries ``sub``)."""
    contexts = document.get("@context")
    subject = document.get("credentialSubject")
    return (
        isinstance(contexts, list)
        and not any(isinstance(c, str) and c in LEGACY_CONTEXTS for c in contexts)
        and not isinstance(document.get("credentialStatus"), list)
        and isinstance(subject, dict)
        and bool(subject.get("id"))
    )


def awards_to_resign(session: Session) -> list[uuid.UUID]:
    """Awards whose stored credential is in an earlier form (erased earners' bare ledgers left out), oldest first."""
    erased = earners.erased_earner_ids(session)
    rows = session.execute(select(Award.id, Award.earner_id, Award.credential_json).order_by(Award.issued_at, Award.id))
    return [
        award_id
        for award_id, earner_id, text in rows
        if earner_id not in erased and not in_current_form(json.loads(text))
    ]


def resign_award(
    session: Session, award_id: uuid.UUID | str, *, base_url: str, master_key: bytes | None = None
) -> bool:
    """Sign the award again, in place, in the current standard form: same id, validity, awarded date, status
    entries and results; the organisation's current key. False when it is already in that form (idempotent).

    The award row is locked and read afresh first (`lock_award`), so two processes re-signing at once do it once:
    the second finds the current form and returns False."""
    from microcred.vc import sign_data_integrity, sign_jwt

    award = lock_award(session, award_id)
    old = json.loads(award.credential_json)
    if in_current_form(old):
        return False
    if earners.is_erased(session, award.earner_id):
        raise Conflict(f"award {award.id} belongs to an erased earner: only its ledger is kept")
    with session.begin_nested():
        achievement = catalog.get_achievement(session, award.achievement_id)
        earner = earners.get_earner(session, award.earner_id)
        org = issuers.get_organisation(session, achievement.issuer_id)
        assessed = assessments.issuance_inputs(session, achievement, earner.id, base_url=base_url)
        record = transcript_records.prepare_award_record(
            session, achievement, transcript_records.award_record_input(session, award.id)
        )
        revocation = next((e for e in status.entries_for_award(session, award.id) if e.purpose == "revocation"), None)
        if revocation is None:
            raise Conflict(f"award {award.id} has no revocation status entry; re-issue it instead")
        embedded = old.get("credentialSubject", {}).get("achievement", {}).get("endorsement") or []
        credential = _build_document(
            session,
            award_id=award.id,
            achievement=achievement,
            earner=earner,
            org=org,
            base_url=base_url,
            issued_at=award.issued_at,
            valid_from=award.valid_from,
            valid_until=award.valid_until,
            evidence_rows=list(award.evidence),
            assessed=assessed,
            result_rows=list(award.results or []),
            record=record,
            credential_status=status.entry_document(revocation, base_url),
            endorsements=partners.endorsement_documents_by_url(
                session, [e.get("id") for e in embedded if isinstance(e, dict)]
            ),
        )
        material = issuers.signing_material(session, org, base_url=base_url, master_key=master_key)
        now = utcnow().replace(microsecond=0)
        signed = sign_data_integrity(credential, material.key, material.verification_method, created=now)
        award.credential_json = json.dumps(signed, ensure_ascii=False, indent=2)
        award.credential_jwt = sign_jwt(credential, material.key, kid=material.verification_method)
        award.signing_key_id = material.key_id
        audit.record(
            session,
            "award.resigned",
            f"award:{award.id}",
            {"signing_key_id": str(material.key_id), "form": "standard contexts, one status entry"},
        )
        session.flush()
    return True


def awards_signed_with(session: Session, key_id: uuid.UUID) -> list[uuid.UUID]:
    """Awards signed with that key that have not been replaced yet and are not revoked (re-issue candidates).

    Awards of erased earners are left out: only a bare ledger of them is kept, nothing to build a credential from.
    """
    erased = earners.erased_earner_ids(session)
    rows = session.execute(
        select(Award.id, Award.earner_id)
        .where(Award.signing_key_id == key_id, Award.replaced_by_id.is_(None), Award.status != "revoked")
        .order_by(Award.issued_at, Award.id)
    )
    return [award_id for award_id, earner_id in rows if earner_id not in erased]
