"""The dry run, and what a row becomes when it is issued: one row at a time, through the issuing pipeline's own
steps and validators, so that the dry run refuses a row for the reason issuing would.

`prepare` turns a row's cells into an `IssueRequest` (its achievement, its earner found or created by email, the
per-outcome results recorded for an assessed achievement, evidence, validity and transcript fields). The run calls
it before `issuing.issue`; the dry run calls it inside a savepoint that is always rolled back, then runs the
pipeline's gates (`issuing.registry.GATES`) and contributors (`registry.CONTRIBUTORS`: assessment results, the
issuer's results, transcript fields, endorsements) on the request, and checks what only a batch can know (the
earner already holds the award, or another row of the file asks for it). Nothing is signed or stored by a dry run.
The pipeline stays the authority: a row the dry run let through and issuing refuses is marked failed, with the
pipeline's message.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from microcred.assessments import services as assessments
from microcred.awards import queries as award_queries
from microcred.awards import services as awards
from microcred.batches.csvfile import Row, outcome_number
from microcred.catalog import services as catalog
from microcred.catalog.services import Achievement
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.earners.services import Earner
from microcred.errors import DomainError, InvalidInput
from microcred.issuance import CredentialParts, EvidenceInput, IssueContext, IssueRequest, ResultInput
from microcred.issuers import services as issuers
from microcred.issuing import pipeline, registry
from microcred.transcripts import records
from microcred.validation import optional_email
from microcred.vc.errors import VCError

# Award ids of batch rows are derived from the row (uuid5 of batch id and row number): a row can only ever
# become one award, whatever happens to the process that issues it.
AWARD_NAMESPACE = uuid.UUID("5d0c8f3e-6b8a-4f47-9c51-1f0b6a2d7e94")
TRANSCRIPT_CELLS = {"term": "term", "credits_earned": "credits_earned", "final_result": "result"}


def row_key(batch_id: uuid.UUID, number: int) -> str:
    return f"{batch_id}:{number}"


def award_id_for(batch_id: uuid.UUID, number: int) -> uuid.UUID:
    return uuid.uuid5(AWARD_NAMESPACE, row_key(batch_id, number))


def dedupe_key(email: str, achievement_id: uuid.UUID, valid_from: datetime | None) -> str:
    """SHA-256 of the earner's casefolded email, the achievement id and validFrom (empty when not given)."""
    text = "\n".join((email.casefold(), str(achievement_id), valid_from.isoformat() if valid_from else ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_moment(value: str | None, column: str) -> datetime | None:
    """A cell as a moment: a plain date (midnight UTC) or an ISO 8601 date-time with its offset."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{column} must be a date (YYYY-MM-DD) or an ISO 8601 date-time such as 2026-09-01T09:00:00-04:00 "
            f"(got {value[:40]!r})"
        ) from None
    if len(value) == 10:
        moment = moment.replace(tzinfo=UTC)
    if moment.tzinfo is None:
        raise InvalidInput(f"{column} must carry its UTC offset (e.g. 2026-09-01T09:00:00-04:00) or be a plain date")
    return moment.astimezone(UTC).replace(microsecond=0)


@dataclass
class Resolver:
    """What a batch looks up once: achievements by id or code (one organisation per batch) and the default
    achievement of the whole file (``--achievement``)."""

    session: Session
    organisation_id: uuid.UUID | None = None
    default_achievement: str | None = None
    _codes: dict[str, list[uuid.UUID]] | None = field(default=None, repr=False)
    _fixed: bool = field(default=False, init=False, repr=False)
    # achievements found, with their organisation: held, since the session only keeps weak references
    _found: dict[tuple[str, str], tuple[Achievement, Any]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._fixed = self.organisation_id is not None  # the caller's organisation: only its achievements
        if self.default_achievement is not None:
            try:
                self._lookup(self.default_achievement, "id" if _looks_like_id(self.default_achievement) else "code")
            except DomainError as exc:
                raise InvalidInput(f"--achievement: {exc}") from None

    def _codes_map(self) -> dict[str, list[uuid.UUID]]:
        if self._codes is None:
            self._codes = {}
            for achievement in catalog.list_achievements(self.session, issuer_id=self.organisation_id):
                code = records.human_code(self.session, achievement.id)
                if code:
                    self._codes.setdefault(code.casefold(), []).append(achievement.id)
        return self._codes

    def _lookup(self, ref: str, kind: str) -> Achievement:
        key = (kind, ref.casefold())
        if key not in self._found:
            achievement = self._find(ref, kind)
            self._found[key] = (achievement, issuers.get_organisation(self.session, achievement.issuer_id))
        return self._found[key][0]

    def _find(self, ref: str, kind: str) -> Achievement:
        if kind == "id":
            found = catalog.find_achievement(self.session, ref)
            if found is None:
                raise InvalidInput(f"unknown achievement id {ref[:64]!r}")
        else:
            ids = self._codes_map().get(ref.casefold(), [])
            if not ids:
                raise InvalidInput(f"unknown achievement code {ref[:64]!r}")
            if len(ids) > 1:
                raise InvalidInput(f"achievement code {ref[:64]!r} names {len(ids)} achievements: use achievement_id")
            found = catalog.get_achievement(self.session, ids[0])
        achievement = catalog.get_published_achievement(self.session, found.id)
        if self.organisation_id is None:
            self.organisation_id = achievement.issuer_id
        elif achievement.issuer_id != self.organisation_id and self._fixed:
            raise InvalidInput(
                f"achievement {achievement.name!r} belongs to another organisation: you can only award your "
                "organisation's achievements"
            )
        elif achievement.issuer_id != self.organisation_id:
            raise InvalidInput(
                f"achievement {achievement.name!r} belongs to another organisation than the rest of this batch "
                "(one batch issues for one organisation)"
            )
        return achievement

    def achievement(self, cells: Mapping[str, str]) -> Achievement:
        if cells.get("achievement_id"):
            return self._lookup(cells["achievement_id"], "id")
        if cells.get("achievement_code"):
            return self._lookup(cells["achievement_code"], "code")
        if self.default_achievement is not None:
            return self._lookup(self.default_achievement, "id" if _looks_like_id(self.default_achievement) else "code")
        raise InvalidInput("no achievement: give achievement_id or achievement_code (or one for the whole file)")


def _looks_like_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def find_earner(session: Session, cells: Mapping[str, str]) -> tuple[Earner | None, str]:
    """The row's earner, if it exists (by earner_id, or by email: primary or verified extra address,
    case-insensitive), and the address that identifies it."""
    address = optional_email(cells.get("email"))
    if cells.get("earner_id"):
        by_id = earners.get_earner(session, cells["earner_id"])
        if address is not None:
            by_email = earners.find_earner_by_email(session, address)
            if by_email is None:
                raise InvalidInput(f"email {address} is not an address of earner {by_id.id}")
            if by_email.id != by_id.id:
                raise InvalidInput("earner_id and email name two different earners")
        return by_id, by_id.email
    if address is None:
        raise InvalidInput("no earner: give email (or earner_id)")
    found = earners.find_earner_by_email(session, address)
    return found, found.email if found is not None else address


def _earner(session: Session, cells: Mapping[str, str]) -> Earner:
    earner, address = find_earner(session, cells)
    if earner is not None:
        return earner
    if not cells.get("earner_name"):
        raise InvalidInput(f"earner_name is required: no earner has the email {address} yet, so one is created")
    return earners.create_earner(session, name=cells["earner_name"], email=address)


def _results(session: Session, achievement: Achievement, earner: Earner, cells: Mapping[str, str],
             assessor: str) -> list[ResultInput]:
    """The issuer's per-outcome results; for an assessed achievement, the results given are recorded as the
    assessment's (level or score, as each outcome's rubric says) and the pipeline reads them from there."""
    given = {n: value for column, value in cells.items() if (n := outcome_number(column)) is not None}
    outcomes = achievement.outcomes
    beyond = sorted(n for n in given if n > len(outcomes))
    if beyond:
        raise InvalidInput(f"outcome_{beyond[0]}: this achievement has {len(outcomes)} outcome(s)")
    design = assessments.get_design(session, achievement.id)
    if design is None:
        if not given:
            return []
        return [ResultInput(outcome_id=o.id, value=given.get(i + 1)) for i, o in enumerate(outcomes)]
    criteria = {criterion.outcome_id: criterion for criterion in design.criteria}
    for n, value in sorted(given.items()):
        criterion = criteria.get(outcomes[n - 1].id)
        scored = criterion is not None and criterion.scale == "score"
        assessments.record_result(
            session,
            achievement_id=achievement.id,
            earner_id=earner.id,
            outcome=n,
            level=None if scored else _level_ref(value, criterion.levels if criterion is not None else []),
            score=value if scored else None,
            assessor=assessor,
        )
    return []


def _level_ref(value: str, levels: list[dict[str, Any]]) -> str | int:
    """A level by name, or by its 1-based number when no level is named so."""
    if value.isdigit() and not any(str(level.get("name", "")).casefold() == value.casefold() for level in levels):
        return int(value)
    return value


@dataclass(frozen=True)
class Prepared:
    """A row ready for the pipeline."""

    request: IssueRequest
    achievement: Achievement
    earner: Earner
    dedupe_key: str


def prepare(session: Session, cells: Mapping[str, str], achievement: Achievement, *, award_id: uuid.UUID | None,
            assessor: str) -> Prepared:
    """The row as an `IssueRequest`; writes what the award needs first (a new earner, assessment results), in the
    caller's transaction."""
    valid_from = parse_moment(cells.get("valid_from"), "valid_from")
    valid_until = parse_moment(cells.get("valid_until"), "valid_until")
    earner = _earner(session, cells)
    results = _results(session, achievement, earner, cells, assessor)
    evidence = []
    if cells.get("evidence_url") or cells.get("evidence_narrative"):
        evidence.append(EvidenceInput(url=cells.get("evidence_url"), narrative=cells.get("evidence_narrative")))
    transcript = {field_: cells[column] for column, field_ in TRANSCRIPT_CELLS.items() if cells.get(column)}
    request = IssueRequest(
        achievement_id=achievement.id,
        earner_id=earner.id,
        evidence=evidence,
        results=results,
        valid_from=valid_from,
        valid_until=valid_until,
        award_id=award_id,
        transcript=transcript or None,
    )
    return Prepared(request, achievement, earner, dedupe_key(earner.email, achievement.id, valid_from))


def check_not_held(session: Session, prepared: Prepared) -> None:
    """Refused when the earner holds a current (active, unexpired, not replaced) award of the achievement."""
    for award in award_queries.current_awards(session, prepared.earner.id, include_expired=False):
        if award.achievement_id == prepared.achievement.id:
            raise InvalidInput(f"the earner already holds an active award of this achievement (award {award.id})")


def _preflight(session: Session, prepared: Prepared, base_url: str) -> None:
    """The pipeline's checks short of signing: gates, validity, evidence, every contributor's part."""
    request, achievement = prepared.request, prepared.achievement
    organisation = issuers.get_organisation(session, achievement.issuer_id)
    now = utcnow().replace(microsecond=0)
    context = IssueContext(session, request, achievement, prepared.earner, organisation, now, base_url)
    for gate in registry.GATES:
        if gate.applies(request):
            gate.check(context)
    pipeline.validity_window(context)
    awards.evidence_rows(request.evidence)
    parts = CredentialParts()
    for contributor in registry.CONTRIBUTORS:
        contributor.contribute(context, parts)


@dataclass(frozen=True)
class Verdict:
    """What the dry run says of one row: issued as planned (``error`` None) or refused, and why."""

    number: int
    cells: dict[str, str]
    achievement_id: uuid.UUID | None = None
    dedupe_key: str | None = None
    error: str | None = None


@dataclass
class DryRun:
    """The dry run of one batch, row after row (rows it accepts are remembered, to refuse their duplicates)."""

    resolver: Resolver
    base_url: str
    assessor: str
    _keys: dict[str, int] = field(default_factory=dict)
    _pairs: dict[tuple[uuid.UUID, str], int] = field(default_factory=dict)

    def _duplicates(self, key: str, pair: tuple[uuid.UUID, str]) -> None:
        earlier = self._keys.get(key)
        if earlier is not None:
            raise InvalidInput(f"duplicate of row {earlier} (same earner, achievement and valid_from)")
        earlier = self._pairs.get(pair)
        if earlier is not None:
            raise InvalidInput(f"row {earlier} already issues this achievement to this earner")

    def check(self, row: Row) -> Verdict:
        session = self.resolver.session
        if row.problem is not None:
            return Verdict(row.number, row.cells, error=row.problem)
        achievement_id = None
        savepoint = session.begin_nested()
        try:
            achievement = self.resolver.achievement(row.cells)
            achievement_id = achievement.id
            prepared = prepare(session, row.cells, achievement, award_id=None, assessor=self.assessor)
            key, pair = prepared.dedupe_key, (achievement.id, prepared.earner.email.casefold())
            self._duplicates(key, pair)
            check_not_held(session, prepared)
            _preflight(session, prepared, self.base_url)
        except (DomainError, VCError) as exc:
            return Verdict(row.number, row.cells, achievement_id, error=str(exc))
        finally:
            savepoint.rollback()  # nothing of a dry run stays: no earner, no recorded result
        self._keys[key] = self._pairs[pair] = row.number
        return Verdict(row.number, row.cells, achievement_id, key)
