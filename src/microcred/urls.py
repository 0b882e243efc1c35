"""Every public URL of an instance, built in one place from its base URL (``MICROCRED_BASE_URL``).

These addresses are ids inside signed credentials: changing one breaks every credential issued with it.
"""

from __future__ import annotations

import uuid

Id = uuid.UUID | str


def base(base_url: str) -> str:
    return base_url.rstrip("/")


def credential_url(award_id: Id, base_url: str) -> str:
    """The credential's id, also its public verification page: `<base_url>/credentials/<award_id>`."""
    return f"{base(base_url)}/credentials/{award_id}"


def achievement_url(achievement_id: Id, base_url: str) -> str:
    """The achievement's id in credentials: `<base_url>/achievements/<achievement_id>`."""
    return f"{base(base_url)}/achievements/{achievement_id}"


def endorsement_url(endorsement_id: Id, base_url: str) -> str:
    return f"{base(base_url)}/endorsements/{endorsement_id}"


def endorsement_request_url(request_id: Id, base_url: str) -> str:
    """The console page of one consultation request (sent to the partner's reviewers)."""
    return f"{base(base_url)}/console/endorsements/requests/{request_id}"


def endorsements_console_url(base_url: str) -> str:
    return f"{base(base_url)}/console/endorsements"


def status_list_url(list_id: Id, base_url: str) -> str:
    """The stable URL of a status list credential: `<base_url>/status/<list_id>`."""
    return f"{base(base_url)}/status/{list_id}"


def evidence_url(evidence_id: Id, base_url: str) -> str:
    """The stable public address of a public evidence file."""
    return f"{base(base_url)}/evidence/{evidence_id}"


def sign_in_link_url(token: str, base_url: str, *, next_path: str | None = None) -> str:
    """A one-time sign-in link (mailed)."""
    link = f"{base(base_url)}/sign-in/link/{token}"
    return f"{link}?next={next_path}" if next_path else link


def email_verification_url(token: str, base_url: str) -> str:
    """The link that confirms an extra email address of an earner."""
    return f"{base(base_url)}/backpack/account/emails/verify/{token}"


def oid4vci_url(endpoint: str, base_url: str) -> str:
    """An OpenID4VCI endpoint of the instance: `<base_url>/oid4vci/<endpoint>`."""
    return f"{base(base_url)}/oid4vci/{endpoint}"


def outcome_uri(outcome_id: uuid.UUID) -> str:
    """A learning outcome's id in credentials (not a web address: outcomes have no page)."""
    return f"urn:uuid:{outcome_id}"
