"""Signing stored endorsements again in the standard form.

Earlier versions of microcred signed endorsements with a private JSON-LD context (the reviewer's answers as
extension properties); `microcred resign-all` signs those again, in place, with only standard contexts (the
answers moved into ``endorsementComment``)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.db.locking import lock_row
from microcred.issuers import services as issuers
from microcred.partners.endorsements import build_credential, endorsement_document, sign_credential
from microcred.partners.models import Endorsement
from microcred.status import services as status
from microcred.urls import achievement_url, endorsement_url
from microcred.vc.contexts import LEGACY_CONTEXTS
from microcred.vc.endorsement import endorsement_comment, read_endorsement_comment


def _endorsement_in_current_form(document: dict[str, Any]) -> bool:
    contexts = document.get("@context")
    return isinstance(contexts, list) and not any(isinstance(c, str) and c in LEGACY_CONTEXTS for c in contexts)


def endorsements_to_resign(session: Session) -> list[uuid.UUID]:
    """Signed endorsements stored in microcred's earlier form (with its private context), oldest first."""
    rows = session.execute(select(Endorsement.id, Endorsement.credential_json).order_by(Endorsement.created_at))
    return [row_id for row_id, text in rows if not _endorsement_in_current_form(json.loads(text))]


def _standard_form(session: Session, row: Endorsement, old: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The unsigned standard-form credential of a legacy document: same id, endorsed achievement, name,
    validity and status entry; the answers (legacy properties or comment) moved into ``endorsementComment``."""
    raw_subject = old.get("credentialSubject")
    subject: dict[str, Any] = raw_subject if isinstance(raw_subject, dict) else {}
    answers = read_endorsement_comment(subject.get("endorsementComment"))
    rationale = subject.get("labourMarketRationale") or answers.rationale or ""
    job_comment = subject.get("jobPerformanceComment") or answers.job_performance_comment or ""
    org = issuers.get_organisation(session, row.partner_id)
    entry_status = (
        status.entry_document(status.get_entry(session, row.status_entry_id), base_url)
        if row.status_entry_id is not None
        else None
    )
    return build_credential(
        credential_id=endorsement_url(row.id, base_url),
        endorser=issuers.issuer_profile(org, base_url),
        endorsed_id=str(subject.get("id") or achievement_url(row.achievement_id, base_url)),
        name=str(old.get("name") or "Endorsement"),
        description=old.get("description") if isinstance(old.get("description"), str) else None,
        comment=endorsement_comment(answers.comment, str(rationale), str(job_comment)),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        credential_status=entry_status,
    )


def resign_endorsement(
    session: Session, endorsement_id: uuid.UUID | str, *, base_url: str, master_key: bytes | None = None
) -> bool:
    """Sign an endorsement again, in place, in the standard form (same id, validity and status entry; the answers
    moved into ``endorsementComment``); the partner's current key. False when already in that form."""
    row = lock_row(session, Endorsement, endorsement_id, "endorsement")
    old = endorsement_document(row)
    if _endorsement_in_current_form(old):
        return False
    with session.begin_nested():
        credential = _standard_form(session, row, old, base_url)
        org = issuers.get_organisation(session, row.partner_id)
        signed, key_id = sign_credential(session, org, credential, base_url=base_url, master_key=master_key)
        row.credential_json = json.dumps(signed, ensure_ascii=False, indent=2)
        row.signing_key_id = key_id
        audit.record(session, "endorsement.resigned", f"endorsement:{row.id}", {"signing_key_id": str(key_id)})
        session.flush()
    return True
