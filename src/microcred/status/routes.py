"""HTTP: the public status list credentials, and the authenticated award status API (revoke/suspend/reinstate)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from microcred.audit.services import acting_as
from microcred.awards import services as awards
from microcred.issuers import keystore
from microcred.status import services as status
from microcred.web import idempotency as idempotent
from microcred.web.deps import Authenticated, SessionDep, SettingsDep

LIST_MEDIA_TYPE = "application/vc+ld+json"

router = APIRouter(tags=["status"])
api_router = APIRouter(
    prefix="/api",
    tags=["api"],
    dependencies=[Authenticated],
    responses={401: {"description": "Missing or wrong bearer token"}, 409: {"description": "Not in that state"}},
)


@router.get(
    "/status/{list_id}",
    summary="A BitstringStatusListCredential (signed by the issuer; cacheable, with ETag)",
    responses={
        200: {"content": {LIST_MEDIA_TYPE: {}}},
        304: {"description": "Not modified (If-None-Match)"},
        404: {"description": "No such list"},
    },
)
def get_status_list(list_id: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    signed = status.signed_list(
        session, list_id, base_url=settings.base_url, master_key=lambda: keystore.load_master_key(settings)
    )
    if signed.resigned:
        session.commit()
    headers = {
        "ETag": signed.etag,
        "Cache-Control": f"public, max-age={status.LIST_TTL_SECONDS}",
        "Access-Control-Allow-Origin": "*",
    }
    match = request.headers.get("if-none-match", "")
    if signed.etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*":
        return Response(status_code=304, headers=headers)
    return Response(signed.text, media_type=LIST_MEDIA_TYPE, headers=headers)


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000, description="kept privately; never published")


class ReinstateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(None, max_length=2000, description="kept privately; never published")


def _award_state(session: Any, award: Any, settings: Any) -> dict[str, Any]:
    doc = awards.summarise(session, award).to_json(settings.base_url)
    doc["credential_url"] = awards.credential_url(award.id, settings.base_url)
    return doc


@api_router.post(
    "/awards/{award_id}/revoke",
    summary="Revoke an award (permanent; the reason stays private)",
    responses=idempotent.responses(200),
)
def revoke(
    award_id: str,
    body: StatusChangeIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: idempotent.IdempotencyKeyHeader = None,
) -> Response:
    def work() -> tuple[dict[str, Any], Any]:
        with acting_as("api"):
            award = awards.revoke_award(session, award_id, reason=body.reason)
        return _award_state(session, award, settings), award.id

    return idempotent.execute(request, session, idempotency_key, body=body, status_code=200, work=work)


@api_router.post("/awards/{award_id}/suspend", summary="Suspend an award (reversible; the reason stays private)")
def suspend(award_id: str, body: StatusChangeIn, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    with acting_as("api"):
        award = awards.suspend_award(session, award_id, reason=body.reason)
    session.commit()
    return _award_state(session, award, settings)


@api_router.post("/awards/{award_id}/reinstate", summary="Lift a suspension")
def reinstate(
    award_id: str, session: SessionDep, settings: SettingsDep, body: ReinstateIn | None = None
) -> dict[str, Any]:
    with acting_as("api"):
        award = awards.reinstate_award(session, award_id, reason=body.reason if body else None)
    session.commit()
    return _award_state(session, award, settings)


@api_router.post(
    "/awards/{award_id}/renew",
    status_code=201,
    summary="Renew: a new credential linked to this one",
    responses=idempotent.responses(201),
)
def renew(
    award_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: idempotent.IdempotencyKeyHeader = None,
) -> Response:
    def work() -> tuple[dict[str, Any], Any]:
        with acting_as("api"):
            new = awards.renew_award(
                session, award_id, base_url=settings.base_url, master_key=keystore.load_master_key(settings)
            )
        return _award_state(session, new, settings), new.id

    return idempotent.execute(request, session, idempotency_key, body=None, status_code=201, work=work)
