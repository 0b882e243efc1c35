"""The awards API: issue (idempotent), list, read with the signed credential."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Request
from fastapi.responses import Response
from pydantic import AwareDatetime, Field

from microcred import issuing, urls
from microcred.awards import queries as awards
from microcred.issuers import keystore
from microcred.settings import Settings
from microcred.web import idempotency as idempotent
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.routes.api.common import In, api_router

router = api_router()


def award_json(session: Any, award: Any, settings: Settings, *, with_credential: bool) -> dict[str, Any]:
    doc = awards.summarise(session, award).to_json(settings.base_url)
    doc["credential_url"] = urls.credential_url(award.id, settings.base_url)
    if with_credential:
        doc["credential"] = awards.credential_document(award)
        doc["credential_jwt"] = award.credential_jwt
    return doc


class EvidenceIn(In):
    name: str | None = Field(None, max_length=300)
    description: str | None = None
    narrative: str | None = None
    url: str | None = Field(None, max_length=2000)
    genre: str | None = Field(None, max_length=100)
    audience: str | None = Field(None, max_length=200)


class ResultIn(In):
    outcome_id: str
    status: Literal["Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew"] = "Completed"
    value: str | None = Field(None, max_length=200)


class AwardIn(In):
    achievement_id: str
    earner_id: str
    evidence: list[EvidenceIn] = Field(default_factory=list)
    results: list[ResultIn] = Field(default_factory=list, description="per outcome; empty = all completed")
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    format: Literal["di", "jwt"] = "di"


@router.post(
    "/awards",
    status_code=201,
    summary="Issue an award: build, validate, sign and store the credential",
    responses=idempotent.responses(201),
)
def create_award(
    body: AwardIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: idempotent.IdempotencyKeyHeader = None,
) -> Response:
    def work() -> tuple[dict[str, Any], Any]:
        award = issuing.issue_award(
            session,
            achievement_id=body.achievement_id,
            earner_id=body.earner_id,
            evidence=[e.model_dump() for e in body.evidence],
            results=[r.model_dump() for r in body.results],
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            format=body.format,
            base_url=settings.base_url,
            master_key=keystore.load_master_key(settings),
        )
        return award_json(session, award, settings, with_credential=True), award.id

    return idempotent.execute(request, session, idempotency_key, body=body, status_code=201, work=work)


@router.get("/awards", summary="List awards (newest first)")
def list_awards(session: SessionDep, settings: SettingsDep) -> list[dict[str, Any]]:
    return [award_json(session, a, settings, with_credential=False) for a in awards.list_awards(session)]


@router.get("/awards/{award_id}", summary="One award with its signed credential")
def get_award(award_id: str, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    return award_json(session, awards.get_award(session, award_id), settings, with_credential=True)
