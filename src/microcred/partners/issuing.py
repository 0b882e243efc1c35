"""Partners' steps of the issuing pipeline (`microcred.issuance`): the relevance gate and the embedded
partner endorsements."""

from __future__ import annotations

import uuid

from microcred.issuance import CredentialParts, IssueContext, IssueRequest
from microcred.partners import services


class RelevanceGate:
    """Refuses (naming what is missing) when the achievement's labour-market relevance lapsed, or its issuer
    requires a current partner endorsement and there is none. A re-signing or re-issue does not re-run it."""

    name = "relevance"

    def applies(self, request: IssueRequest) -> bool:
        return request.enforce_relevance

    def check(self, context: IssueContext) -> None:
        services.check_issuable(context.session, context.achievement, now=context.now)


class PartnerEndorsements:
    """The achievement's current partner endorsements, embedded in the credential's achievement (`endorsement`);
    a re-signed credential keeps the endorsements it carried."""

    name = "endorsements"

    def contribute(self, context: IssueContext, parts: CredentialParts) -> None:
        if context.resigning is not None:
            parts.endorsements = services.endorsement_documents_by_url(
                context.session, context.resigning.embedded_endorsement_urls()
            )
        else:
            parts.endorsements = services.endorsement_documents_for_issuing(
                context.session, context.achievement.id, now=context.now
            )

    def record(self, context: IssueContext, parts: CredentialParts, award_id: uuid.UUID) -> None:
        """Nothing kept: the endorsements are in the credential."""
