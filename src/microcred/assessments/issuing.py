"""Assessments' step of the issuing pipeline (`microcred.issuance`): the rubric and assessment design on the
achievement, and, for an assessed achievement, the recorded per-outcome results and the PUBLIC evidence."""

from __future__ import annotations

import uuid

from microcred.assessments import services
from microcred.errors import InvalidInput
from microcred.issuance import CredentialParts, IssueContext


class AssessmentResults:
    name = "assessment"

    def contribute(self, context: IssueContext, parts: CredentialParts) -> None:
        session, achievement = context.session, context.achievement
        parts.outcome_fields.update(services.outcome_rubric_fields(session, achievement))
        parts.achievement_fields.update(services.achievement_assessment_fields(session, achievement))
        assessed = services.issuance_inputs(session, achievement, context.earner.id, base_url=context.base_url)
        if assessed is None:
            return
        if context.resigning is None and context.request.results:
            raise InvalidInput(
                f"achievement {achievement.name!r} is assessed on rubrics: record each outcome's result "
                "(assessments), do not pass results when issuing"
            )
        parts.results = assessed.results
        parts.stored_results = assessed.stored_results
        parts.evidence.extend(assessed.evidence)

    def record(self, context: IssueContext, parts: CredentialParts, award_id: uuid.UUID) -> None:
        """Nothing more kept: the results and evidence were recorded by the assessment itself."""
