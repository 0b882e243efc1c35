"""Each issuer's relevance policy: whether issuing needs a current partner endorsement (`require_endorsement`),
its review cycle and its reminder window.

An issuer without a policy row requires no endorsement (non-Ontario use; the demo college opts in)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.db import reads
from microcred.errors import InvalidInput
from microcred.issuers import services as issuers
from microcred.partners.models import RelevancePolicy
from microcred.validation import as_uuid

DEFAULT_REVIEW_MONTHS = 12
DEFAULT_REMINDER_DAYS = 60


@dataclass(frozen=True)
class Policy:
    require_endorsement: bool = False
    review_months: int = DEFAULT_REVIEW_MONTHS
    reminder_days: int = DEFAULT_REMINDER_DAYS


def get_policy(session: Session, organisation_id: uuid.UUID | str) -> Policy:
    """The organisation's policy (the defaults when it set none); read once per bulk chunk (`db.reads`)."""
    org_id = as_uuid(organisation_id, "organisation")

    def load() -> Policy:
        row = session.get(RelevancePolicy, org_id)
        if row is None:
            return Policy()
        return Policy(row.require_endorsement, row.review_months, row.reminder_days)

    return reads.shared(session, ("relevance_policy", org_id), load)


def _policy_row(session: Session, organisation_id: uuid.UUID) -> RelevancePolicy:
    """The organisation's policy row, added with the defaults when it has none yet."""
    row = session.get(RelevancePolicy, organisation_id)
    if row is None:
        row = RelevancePolicy(
            organisation_id=organisation_id,
            require_endorsement=False,
            review_months=DEFAULT_REVIEW_MONTHS,
            reminder_days=DEFAULT_REMINDER_DAYS,
        )
        session.add(row)
    return row


def set_policy(
    session: Session,
    organisation_id: uuid.UUID | str,
    *,
    require_endorsement: bool | None = None,
    review_months: int | None = None,
    reminder_days: int | None = None,
) -> Policy:
    """Change the parts of the policy given (the others keep their value); recorded in the audit log."""
    org = issuers.get_organisation(session, organisation_id)
    row = _policy_row(session, org.id)
    if require_endorsement is not None:
        row.require_endorsement = bool(require_endorsement)
    if review_months is not None:
        if not 1 <= review_months <= 60:
            raise InvalidInput("review cycle must be between 1 and 60 months")
        row.review_months = review_months
    if reminder_days is not None:
        if not 1 <= reminder_days <= 365:
            raise InvalidInput("reminder window must be between 1 and 365 days")
        row.reminder_days = reminder_days
    session.flush()
    reads.forget(session, ("relevance_policy", org.id))
    policy = Policy(row.require_endorsement, row.review_months, row.reminder_days)
    audit.record(session, "relevance.policy_set", f"organisation:{org.id}", policy.__dict__)
    return policy
