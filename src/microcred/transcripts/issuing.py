"""Transcripts' steps of the issuing pipeline (`microcred.issuance`): the prerequisites gate, the transcript
fields of the definition and of the award (stored as its transcript line), and pathway completion after issue."""

from __future__ import annotations

import uuid

from microcred.issuance import CredentialParts, IssueContext, IssueFunction, IssueRequest
from microcred.transcripts import pathways, records


class PrerequisiteGate:
    """Refuses an award whose prerequisites the earner does not hold (active, current, not failed)."""

    name = "prerequisites"

    def applies(self, request: IssueRequest) -> bool:
        return request.enforce_prerequisites

    def check(self, context: IssueContext) -> None:
        records.check_prerequisites(context.session, context.achievement, context.earner.id)


class TranscriptFields:
    """The definition's transcript record and the award's transcript line (validated against the achievement);
    a re-signed award keeps the line it was stored with."""

    name = "transcript"

    def contribute(self, context: IssueContext, parts: CredentialParts) -> None:
        session, achievement = context.session, context.achievement
        raw = (
            records.award_record_input(session, context.resigning.award_id)
            if context.resigning is not None
            else context.request.transcript
        )
        parts.record = records.prepare_award_record(session, achievement, raw)
        parts.transcript = records.transcript_definition(session, achievement, context.base_url)

    def record(self, context: IssueContext, parts: CredentialParts, award_id: uuid.UUID) -> None:
        if context.resigning is None:
            records.store_award_record(context.session, award_id, parts.record)


class PathwayCompletions:
    """Every pathway the earner has just completed is recorded, and its credential issued or queued."""

    name = "pathways"

    def after_issue(self, context: IssueContext, award_id: uuid.UUID, issue: IssueFunction) -> None:
        pathways.evaluate_for_earner(context.session, context.earner.id, base_url=context.base_url, issue=issue)
