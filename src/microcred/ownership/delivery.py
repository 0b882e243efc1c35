"""Email delivery of an award: a message (EN or FR) with a claim link that signs the earner in to their backpack."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from microcred import urls
from microcred.accounts import mail
from microcred.accounts import services as accounts
from microcred.audit import services as audit
from microcred.awards.queries import Award, AwardStatus
from microcred.catalog import services as catalog
from microcred.earners import services as earners
from microcred.errors import InvalidInput
from microcred.i18n import translations
from microcred.issuers import services as issuers
from microcred.settings import Settings

CLAIM_LINK_LIFETIME = timedelta(days=7)
LANGUAGES = ("en", "fr")


def _(message: str) -> str:  # marks the messages for the catalogue; translated below in the chosen language
    return message


SUBJECT = _("Your micro-credential: %(name)s")
BODY = _(
    "Hello %(earner)s,\n\n%(issuer)s has awarded you the micro-credential \"%(name)s\".\n\n"
    "Claim it in your backpack (this link signs you in once and works for 7 days):\n%(link)s\n\n"
    "Its public verification page, which never expires:\n%(url)s\n\n"
    "From the backpack you can download it (JSON-LD, JWT, baked PNG or SVG badge, PDF certificate), choose "
    "whether it is public, share it on LinkedIn or add it to your wallet.\n"
)


@dataclass(frozen=True)
class AwardMail:
    """An award's message to its earner, ready to send (its claim link already stored)."""

    award_id: uuid.UUID
    to: str
    language: str
    message: EmailMessage


def preferred_language(session: Session, award: Award, default: str = "en") -> str:
    """The earner's language when their account stores one (en or fr), else ``default`` (else en)."""
    earner = earners.get_earner(session, award.earner_id)
    user = accounts.find_user_by_email(session, earner.email)
    for language in (user.language if user else None, default):
        if language in LANGUAGES:
            return str(language)
    return "en"


def award_message(session: Session, settings: Settings, award: Award, *, language: str = "en") -> AwardMail:
    """The award mail (EN or FR) with a claim link signing the earner in to their backpack; the link's token is
    stored in this transaction, so commit it before the message is sent."""
    if language not in LANGUAGES:
        raise InvalidInput("language must be en or fr")
    if earners.is_erased(session, award.earner_id):
        raise InvalidInput("this earner's data was erased: there is no address to mail the award to")
    if award.status == AwardStatus.REVOKED:
        raise InvalidInput("this award is revoked: it is not mailed, since the credential no longer verifies")
    earner = earners.get_earner(session, award.earner_id)
    achievement = catalog.get_achievement(session, award.achievement_id)
    org = issuers.get_organisation(session, achievement.issuer_id)
    user = accounts.user_for_sign_in(session, earner.email)
    if user is None:  # pragma: no cover - every earner can have an account
        raise InvalidInput("this earner cannot sign in")
    token = accounts.issue_sign_in_token(session, user, lifetime=CLAIM_LINK_LIFETIME)
    link = urls.sign_in_link_url(token, settings.base_url, next_path="/backpack")
    gettext = translations(language).gettext
    values = {"earner": earner.name, "issuer": org.name, "name": achievement.name, "link": link,
              "url": urls.credential_url(award.id, settings.base_url)}
    message = mail.build_message(
        settings, to=earner.email, subject=gettext(SUBJECT) % values, body=gettext(BODY) % values, language=language
    )
    return AwardMail(award.id, earner.email, language, message)


def record_emailed(session: Session, award_id: uuid.UUID, *, sent: bool, language: str, **details: Any) -> None:
    """The audit entry of one award mail (``details``: e.g. the batch and how the server answered)."""
    audit.record(session, "award.emailed", f"award:{award_id}", {"sent": sent, "language": language, **details})
    session.flush()


def send_award(session: Session, settings: Settings, award: Award, *, language: str = "en") -> bool:
    """Mail the earner a claim link; True when the SMTP server accepted it."""
    built = award_message(session, settings, award, language=language)
    sent = mail.send_message(settings, built.message)
    record_emailed(session, award.id, sent=sent, language=language)
    return sent
