"""External credentials: a verified third-party OB 3.0 credential an earner adds to their backpack.

It must verify with the instance verifier (the same checks as `microcred verify`; reasons are returned when it
does not), be an achievement credential, be about this earner (their DID, or their email's identity hash), and
not be one of this instance's own awards. Then it counts toward pathways that accept its achievement id or one of
its alignment target URLs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.earners.services import Earner
from microcred.errors import Conflict, InvalidInput
from microcred.transcripts.models import ExternalCredential as ExternalCredential
from microcred.vc import VerificationResult, ob

Verify = Callable[[Any], VerificationResult]
ACHIEVEMENT_TYPES = {"OpenBadgeCredential", "AchievementCredential"}


class NotVerified(InvalidInput):
    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("the credential did not verify: " + "; ".join(reasons))


def _types(value: Any) -> set[str]:
    return {str(v) for v in value} if isinstance(value, list) else {str(value)}


def _about(subject: dict[str, Any], earner: Earner) -> bool:
    if earner.did and subject.get("id") == earner.did:
        return True
    identifiers = subject.get("identifier") or []
    for item in identifiers if isinstance(identifiers, list) else [identifiers]:
        if not isinstance(item, dict) or item.get("identityType") != "emailAddress":
            continue
        value = str(item.get("identityHash") or "")
        if item.get("hashed"):
            if value == ob.identity_hash(earner.email.strip().lower(), str(item.get("salt") or "")):
                return True
        elif value.strip().lower() == earner.email.strip().lower():
            return True
    return False


def _date(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _alignment_urls(achievement: dict[str, Any]) -> list[str]:
    urls: list[str] = []
    blocks = [achievement.get("alignment") or []]
    blocks += [d.get("alignment") or [] for d in achievement.get("resultDescription") or [] if isinstance(d, dict)]
    for block in blocks:
        for item in block if isinstance(block, list) else [block]:
            if not isinstance(item, dict) or str(item.get("targetType") or "").startswith("ext:"):
                continue  # ext: alignments carry facts (outcome kind, EQF level...), not competency concepts
            if isinstance(item.get("targetUrl"), str) and item["targetUrl"] not in urls:
                urls.append(item["targetUrl"])
    return urls


def _checked(
    session: Session, earner: Earner, result: VerificationResult, source: dict[str, Any] | str, base_url: str
) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    """The verified credential, its subject and id, or the reason it cannot be added."""
    if not result.verified:
        raise NotVerified([f"{c.check}: {c.reason}" for c in result.failures] or ["not verified"])
    credential = result.credential or (source if isinstance(source, dict) else None)
    if not isinstance(credential, dict):
        raise InvalidInput("the credential could not be read")
    if not _types(credential.get("type")) & ACHIEVEMENT_TYPES:
        raise InvalidInput("only Open Badges 3.0 achievement credentials (OpenBadgeCredential) can be added")
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    if not isinstance(subject, dict) or not isinstance(subject.get("achievement"), dict):
        raise InvalidInput("the credential names no achievement")
    if not _about(subject, earner):
        raise InvalidInput("this credential is not about you (neither your DID nor your email address)")
    credential_id = credential.get("id") if isinstance(credential.get("id"), str) else None
    if credential_id and credential_id.startswith(base_url.rstrip("/") + "/credentials/"):
        raise InvalidInput("this credential was issued here: it is already in your backpack")
    if (
        credential_id
        and session.scalars(
            select(ExternalCredential).where(
                ExternalCredential.earner_id == earner.id, ExternalCredential.credential_id == credential_id
            )
        ).first()
    ):
        raise Conflict("this credential is already in your backpack")
    return credential, subject, credential_id


def add_external_credential(
    session: Session,
    earner_id: uuid.UUID | str,
    source: dict[str, Any] | str,
    *,
    verify: Verify,
    base_url: str,
) -> ExternalCredential:
    """Verify and keep a credential issued elsewhere (it may count toward pathways: the caller,
    `issuing.add_external_credential`, evaluates them next, in the same transaction)."""
    earner = earners.get_earner(session, earner_id)
    credential, subject, credential_id = _checked(session, earner, verify(source), source, base_url)
    achievement = subject["achievement"]
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    issuer_name = issuer.get("name") if isinstance(issuer, dict) else None
    credits = subject.get("creditsEarned", achievement.get("creditsAvailable"))
    row = ExternalCredential(
        id=uuid.uuid4(),
        earner_id=earner.id,
        credential_id=credential_id,
        achievement_id=achievement.get("id") if isinstance(achievement.get("id"), str) else None,
        achievement_name=str(achievement.get("name") or "Achievement")[:300],
        issuer_id=str(issuer_id or "")[:2000],
        issuer_name=str(issuer_name or issuer_id or "")[:300],
        alignment_urls=_alignment_urls(achievement),
        credits=float(credits) if isinstance(credits, (int, float)) and not isinstance(credits, bool) else None,
        issued_on=_date(credential.get("awardedDate") or credential.get("validFrom")),
        credential_json=source if isinstance(source, str) else json.dumps(source, ensure_ascii=False),
        verified_at=utcnow(),
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "external_credential.added",
        f"earner:{earner.id}",
        {"external_id": str(row.id), "credential_id": credential_id, "issuer": row.issuer_id},
    )
    return row


def list_external(session: Session, earner_id: uuid.UUID) -> list[ExternalCredential]:
    return list(
        session.scalars(
            select(ExternalCredential)
            .where(ExternalCredential.earner_id == earner_id)
            .order_by(ExternalCredential.created_at)
        )
    )
