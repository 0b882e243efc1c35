"""Fill in, from this instance's own records, what a credential of this instance does not carry itself.

OB 3.0 has no property for the kind of a learning outcome (knowledge / skill / attitude) nor for the issuer's
legal name, so the builder leaves them out of the document. When the credential's issuer or achievement is one
of this instance's, the page shows them from the store. Credentials from elsewhere are shown as they are.

The holder's name is shown the same way, and only when the earner chose "show my name" for a public credential
(``ownership.sharing.shown_name``) and the document shown is authentic (its proof and issuer checks passed; a revoked,
suspended or expired credential stays authentic, so its holder's choice still holds).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from microcred import urls
from microcred.awards import queries as awards
from microcred.awards.queries import Award
from microcred.catalog import services as catalog
from microcred.errors import InvalidInput
from microcred.issuers import services as issuers
from microcred.urls import achievement_url, outcome_uri
from microcred.web.presenters import CredentialView

# failures that do not make a document inauthentic: the holder's name may still be shown beside them
_NOT_ABOUT_AUTHENTICITY = frozenset({"status", "validity", "validity_window", "endorsements"})


def enrich(view: CredentialView, session: Session, base_url: str, *, award: Award | None = None) -> CredentialView:
    """``award``: the award the view shows, when the caller has it (the credential page): not looked up again."""
    base = base_url.rstrip("/")
    issuer_prefix = issuers.did_web_for_url(base + "/issuers") + ":"
    if view.issuer.id and view.issuer.id.startswith(issuer_prefix):
        org = issuers.find_organisation(session, view.issuer.id[len(issuer_prefix) :])
        if org is not None:
            if not view.issuer.legal_name and org.legal_name:
                view.issuer.legal_name = org.legal_name
            if not view.issuer.country:
                view.issuer.country = org.country
            if not view.issuer.region and org.region:
                view.issuer.region = org.region
    achievement_prefix = achievement_url("", base)
    if view.achievement.id and view.achievement.id.startswith(achievement_prefix):
        achievement = catalog.find_achievement(session, view.achievement.id[len(achievement_prefix) :])
        if achievement is not None:
            from microcred.catalog import translations
            from microcred.i18n import current_language

            language = current_language()
            if language != achievement.language:
                row = translations.translations(session, achievement.id).get(language)
                if row is not None:
                    view.translated_name = row.name
                    view.translated_description = row.description
            kinds = {outcome_uri(o.id): o.kind for o in achievement.outcomes}
            for outcome in view.outcomes:
                if outcome.kind is None and outcome.id in kinds:
                    outcome.kind = kinds[outcome.id]
    view.holder_name = _holder_name(view, session, base, award)
    return view


def _holder_name(view: CredentialView, session: Session, base: str, known: Award | None) -> str | None:
    prefix = urls.credential_url("", base)
    if not view.id or not view.id.startswith(prefix):
        return None
    authentic = any(c.check == "proof" and c.passed for c in view.checks) and not any(
        c.check not in _NOT_ABOUT_AUTHENTICITY for c in view.failures
    )
    if not authentic:
        return None
    award: Award | None
    if known is not None and view.id == urls.credential_url(known.id, base):
        award = known
    else:
        try:
            award = awards.find_award(session, view.id[len(prefix) :])
        except InvalidInput:  # not an award id of this instance
            return None
    if award is None:
        return None
    from microcred.ownership import sharing

    return sharing.shown_name(session, award)
