"""Issuing: the one orchestrator above the subsystems. Every award — issued from the API, the console, the CLI,
the demo, a pathway, a renewal, a re-issue or a re-signing — goes through `pipeline.issue` / `pipeline.resign`.

    issuing.issue(session, IssueRequest(achievement_id=..., earner_id=...), Signing(base_url))
    issuing.issue_award(session, achievement_id=..., earner_id=..., base_url=...)   # the same, by keywords
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from microcred.awards.queries import Award
from microcred.issuance import EvidenceInput as EvidenceInput
from microcred.issuance import IssueFunction
from microcred.issuance import IssueRequest as IssueRequest
from microcred.issuance import ResultInput as ResultInput
from microcred.issuing.pipeline import Signing as Signing
from microcred.issuing.pipeline import issue as issue
from microcred.issuing.pipeline import resign
from microcred.issuing.renewal import reissue, renew
from microcred.transcripts import external, pathways


def issue_award(session: Session, *, base_url: str, master_key: bytes | None = None, **request: Any) -> Award:
    """`issue` with the request's fields as keywords (`IssueRequest` names them; unknown ones are a TypeError)."""
    return issue(session, IssueRequest(**request), Signing(base_url, master_key))


def renew_award(
    session: Session, award_id: uuid.UUID | str, *, base_url: str, master_key: bytes | None = None
) -> Award:
    return renew(session, award_id, Signing(base_url, master_key))


def reissue_award(
    session: Session, award_id: uuid.UUID | str, *, base_url: str, master_key: bytes | None = None
) -> Award:
    return reissue(session, award_id, Signing(base_url, master_key))


def resign_award(
    session: Session, award_id: uuid.UUID | str, *, base_url: str, master_key: bytes | None = None
) -> bool:
    return resign(session, award_id, Signing(base_url, master_key))


def approve_pathway_completion(
    session: Session, completion_id: uuid.UUID | str, *, base_url: str, master_key: bytes | None = None
) -> Award:
    """Issue a queued pathway credential (the pathway's rule is checked again first)."""
    return pathways.approve_completion(
        session, completion_id, base_url=base_url, issue=issue_function(Signing(base_url, master_key))
    )


def issue_function(signing: Signing) -> IssueFunction:
    """The pipeline bound to an instance, for steps that issue more credentials (pathways)."""
    return lambda session, request: issue(session, request, signing)


def add_external_credential(
    session: Session,
    earner_id: uuid.UUID | str,
    source: dict[str, Any] | str,
    *,
    verify: external.Verify,
    base_url: str,
    master_key: bytes | None = None,
) -> external.ExternalCredential:
    """Keep a verified credential issued elsewhere; the pathways it completes are issued or queued at once."""
    row = external.add_external_credential(session, earner_id, source, verify=verify, base_url=base_url)
    pathways.evaluate_for_earner(
        session, row.earner_id, base_url=base_url, issue=issue_function(Signing(base_url, master_key))
    )
    return row
