"""Permanent sharing: the earner's per-credential public/private choice and per-evidence display choice, the
LinkedIn "Add to profile" link and an embeddable HTML snippet.

The public URL ``<base>/credentials/<award id>`` never expires. A credential is public until its earner says
otherwise. A non-public credential's page shows anonymous visitors only that it exists and is private (no name,
achievement, issuer, evidence or dates); its JSON-LD and JWT are served to its earner only. Hiding an evidence item
removes it from the public page; the signed JSON cannot change (its proof covers every byte) and only ever holds
the evidence the issuer marked public.

"Show my name" (off by default): the public page of a public credential then shows the holder's name, read from
the store and labelled as the earner's choice. The name is never put into the signed credential (it carries a
salted hash of the earner's address, and their DID if they bound one), so turning the choice off removes it again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from microcred import urls
from microcred.audit import services as audit
from microcred.awards import queries as awards
from microcred.awards.queries import Award
from microcred.catalog import services as catalog
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.errors import InvalidInput
from microcred.issuers import services as issuers
from microcred.ownership.models import CredentialShare

LINKEDIN_ADD = "https://www.linkedin.com/profile/add"


@dataclass(frozen=True)
class ShareChoice:
    public: bool = True
    hidden_evidence: tuple[int, ...] = ()
    show_name: bool = False


def share_choice(session: Session, award_id: uuid.UUID) -> ShareChoice:
    row = session.get(CredentialShare, award_id)
    if row is None:
        return ShareChoice()
    return ShareChoice(public=row.public, hidden_evidence=tuple(sorted(int(i) for i in row.hidden_evidence)),
                       show_name=bool(row.show_name))


def evidence_count(award: Award) -> int:
    evidence = awards.credential_document(award).get("evidence")
    return len(evidence) if isinstance(evidence, list) else 0


def set_share_choice(session: Session, award: Award, *, public: bool, hidden_evidence: list[int] | tuple[int, ...] = (),
                     show_name: bool = False) -> ShareChoice:
    count = evidence_count(award)
    hidden = sorted({int(i) for i in hidden_evidence})
    bad = [i for i in hidden if not 0 <= i < count]
    if bad:
        raise InvalidInput(f"evidence position(s) {bad} do not exist (this credential has {count} evidence items)")
    row = session.get(CredentialShare, award.id)
    if row is None:
        row = CredentialShare(award_id=award.id, public=public, hidden_evidence=hidden, show_name=show_name,
                              updated_at=utcnow())
        session.add(row)
    else:
        row.public, row.hidden_evidence, row.show_name, row.updated_at = public, hidden, show_name, utcnow()
    audit.record(session, "credential.sharing_changed", f"award:{award.id}",
                 {"public": public, "hidden_evidence": len(hidden), "show_name": show_name})
    session.flush()
    return ShareChoice(public=public, hidden_evidence=tuple(hidden), show_name=show_name)


def visible_to(session: Session, award: Award, earner_id: uuid.UUID | None) -> bool:
    """Whether the credential's details may be shown to this viewer (its earner always; others if public)."""
    return (earner_id is not None and earner_id == award.earner_id) or share_choice(session, award.id).public


def shown_name(session: Session, award: Award) -> str | None:
    """The holder's name for the public page: only when the credential is public and its earner chose to show it
    (never for an erased earner). Read from the store; the signed credential does not carry it."""
    choice = share_choice(session, award.id)
    if not (choice.public and choice.show_name):
        return None
    if award.earner_id in earners.erased_earner_ids(session):
        return None
    return earners.get_earner(session, award.earner_id).name


def public_document(session: Session, award: Award) -> dict[str, Any]:
    """The signed credential for display, without the evidence items its earner chose to hide (never for checks)."""
    document = awards.credential_document(award)
    hidden = set(share_choice(session, award.id).hidden_evidence)
    evidence = document.get("evidence")
    if hidden and isinstance(evidence, list):
        document["evidence"] = [item for i, item in enumerate(evidence) if i not in hidden]
    return document


def linkedin_url(session: Session, award: Award, base_url: str) -> str:
    """LinkedIn's "Add licence or certification" link (name, organisation, issue/expiry month and year, id, URL)."""
    achievement = catalog.get_achievement(session, award.achievement_id)
    org = issuers.get_organisation(session, achievement.issuer_id)
    params: dict[str, Any] = {
        "startTask": "CERTIFICATION_NAME",
        "name": achievement.name,
        "organizationName": org.name,
        "issueYear": award.valid_from.year,
        "issueMonth": award.valid_from.month,
    }
    if award.valid_until is not None:
        params["expirationYear"] = award.valid_until.year
        params["expirationMonth"] = award.valid_until.month
    params["certUrl"] = urls.credential_url(award.id, base_url)
    params["certId"] = str(award.id)
    return LINKEDIN_ADD + "?" + urlencode(params)


def embed_snippet(session: Session, award: Award, base_url: str) -> str:
    """A self-contained HTML snippet (no script) linking to the public verification page."""
    achievement = catalog.get_achievement(session, award.achievement_id)
    org = issuers.get_organisation(session, achievement.issuer_id)
    url = escape(urls.credential_url(award.id, base_url) + "?via=embed")  # visits through it are counted as such
    return (
        f'<blockquote class="microcred-credential" cite="{url}" style="border:1px solid #1f3a5f;'
        f'padding:0.75em;max-width:28em;font-family:sans-serif">'
        f'<p style="margin:0;font-weight:bold"><a href="{url}">{escape(achievement.name)}</a></p>'
        f'<p style="margin:0.25em 0 0">{escape(org.name)}, {award.valid_from.date().isoformat()}</p>'
        f'<p style="margin:0.25em 0 0"><a href="{url}">Open Badges 3.0 — verify</a></p></blockquote>'
    )
