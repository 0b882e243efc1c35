"""The contracts of the issuing pipeline: what is asked for, what each step sees, and the three kinds of step.

`microcred.issuing` runs the pipeline; the steps live in the subsystems that own what they check or add, and are
registered in one place (`microcred.issuing.registry`):

- a `Gate` refuses an award (prerequisites held, labour-market relevance current, ...), naming what is missing;
- a `Contributor` adds its part to the credential (assessment results and evidence, partner endorsements,
  transcript fields) and, once the award row exists, records what it keeps about it (the transcript line);
- an `AfterIssue` hook runs once the award is stored, in the same transaction (pathway completion, ...).

This module sits below every subsystem that implements a step (it imports only the entities the steps read), so
a subsystem implements a step without importing the pipeline above it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from microcred.vc import ob

if TYPE_CHECKING:
    from microcred.catalog.services import Achievement
    from microcred.earners.services import Earner
    from microcred.issuers.services import Organisation


@dataclass(frozen=True)
class EvidenceInput:
    """One piece of evidence given when issuing (stored with the award, embedded in the credential)."""

    name: str | None = None
    description: str | None = None
    narrative: str | None = None
    url: str | None = None
    genre: str | None = None
    audience: str | None = None


@dataclass(frozen=True)
class ResultInput:
    """The earner's result on one learning outcome (by the outcome's id)."""

    outcome_id: uuid.UUID | str
    status: str = "Completed"
    value: str | None = None


@dataclass(frozen=True)
class IssueRequest:
    """What to issue. ``transcript``: the award's transcript line (credits earned, term, activity dates, final
    result, route); ``enforce_*``: the gates a re-signing or a re-issue does not re-run."""

    achievement_id: uuid.UUID | str
    earner_id: uuid.UUID | str
    evidence: Sequence[EvidenceInput | Mapping[str, Any]] = ()
    results: Sequence[ResultInput | Mapping[str, Any]] = ()
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    format: str = "di"
    issued_at: datetime | None = None
    award_id: uuid.UUID | None = None
    transcript: Any = None
    enforce_prerequisites: bool = True
    enforce_relevance: bool = True


@dataclass(frozen=True)
class Resigning:
    """Set when an existing award is signed again in place: contributors rebuild its parts from what it holds
    (its stored transcript line, the endorsements embedded in its credential) instead of from a request."""

    award_id: uuid.UUID
    previous_document: Mapping[str, Any]
    stored_results: Sequence[dict[str, Any]] = ()

    def embedded_endorsement_urls(self) -> list[Any]:
        subject = self.previous_document.get("credentialSubject") or {}
        achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
        embedded = (achievement or {}).get("endorsement") if isinstance(achievement, Mapping) else None
        return [e.get("id") for e in embedded or [] if isinstance(e, Mapping)]


@dataclass(frozen=True)
class IssueContext:
    """What every step sees: the request, the rows it concerns and the moment of issue (whole seconds)."""

    session: Session
    request: IssueRequest
    achievement: Achievement
    earner: Earner
    organisation: Organisation
    now: datetime
    base_url: str
    resigning: Resigning | None = None


@dataclass
class CredentialParts:
    """What contributors add to the credential being built. ``outcome_fields`` (by outcome id) and
    ``achievement_fields`` extend `vc.ob.Outcome` / `vc.ob.AchievementDefinition`; ``results`` replaces the
    plain per-outcome results when an assessment decides them (``stored_results`` is what the award keeps)."""

    outcome_fields: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    achievement_fields: dict[str, Any] = field(default_factory=dict)
    evidence: list[ob.EvidenceItem] = field(default_factory=list)
    results: list[ob.OutcomeResult] | None = None
    stored_results: list[dict[str, Any]] | None = None
    transcript: Any = None
    record: Any = None
    endorsements: tuple[dict[str, Any], ...] = ()


class Gate(Protocol):
    """Refuses an award with a `DomainError` that names what is missing."""

    name: str

    def applies(self, request: IssueRequest) -> bool: ...

    def check(self, context: IssueContext) -> None: ...


class Contributor(Protocol):
    """Adds its part to the credential, then records what it keeps once the award row exists."""

    name: str

    def contribute(self, context: IssueContext, parts: CredentialParts) -> None: ...

    def record(self, context: IssueContext, parts: CredentialParts, award_id: uuid.UUID) -> None: ...


class IssueFunction(Protocol):
    """Issues one more credential inside the caller's transaction (given to hooks that issue: pathways)."""

    def __call__(self, session: Session, request: IssueRequest) -> Any: ...


class AfterIssue(Protocol):
    """Runs after the award is stored, in the same transaction; ``issue`` issues follow-up credentials."""

    name: str

    def after_issue(self, context: IssueContext, award_id: uuid.UUID, issue: IssueFunction) -> None: ...
