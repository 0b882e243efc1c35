"""Awards' steps of the issuing pipeline (`microcred.issuance`): the per-outcome results the issuer gives."""

from __future__ import annotations

import uuid

from microcred.awards import services
from microcred.issuance import CredentialParts, IssueContext
from microcred.urls import outcome_uri
from microcred.vc import ob


class IssuerResults:
    """When no assessment decided the results, the issuer's (validated against the outcomes; none given: every
    outcome achieved); a re-signed award keeps the results it was issued with."""

    name = "issuer-results"

    def contribute(self, context: IssueContext, parts: CredentialParts) -> None:
        if parts.results is not None:
            return
        if context.resigning is not None:
            rows = list(context.resigning.stored_results)
        else:
            rows = services.validate_results(context.achievement, context.request.results)
        parts.stored_results = rows
        parts.results = [
            ob.OutcomeResult(
                outcome_id=outcome_uri(uuid.UUID(r["outcome_id"])), status=r["status"], value=r.get("value")
            )
            for r in rows
        ]

    def record(self, context: IssueContext, parts: CredentialParts, award_id: uuid.UUID) -> None:
        """The results are stored on the award row itself."""
