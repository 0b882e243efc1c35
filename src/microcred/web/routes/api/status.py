"""The award status API (bearer token): revoke, suspend, reinstate, renew."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from microcred import issuing, urls
from microcred.audit.services import acting_as
from microcred.awards import lifecycle as award_lifecycle
from microcred.awards import queries as award_queries
from microcred.issuers import keystore
from microcred.web import idempotency as idempotent
from microcred.web.deps import Authenticated, SessionDep, SettingsDep

router = APIRouter(
    prefix="/api",
    tags=["api"],
    dependencies=[Authenticated],
    responses={401: {"description": "Missing or wrong bearer token"}, 409: {"description": "Not in that state"}},
)


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000, description="kept privately; never published")


class ReinstateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(None, max_length=2000, description="kept privately; never published")


def _award_state(session: Any, award: Any, settings: Any) -> dict[str, Any]:
    doc = award_queries.summarise(session, award).to_json(settings.base_url)
    doc["credential_url"] = urls.credential_url(award.id, settings.base_url)
    return doc


def _status_change(
    request: Request,
    session: Any,
    settings: Any,
    key: str | None,
    body: BaseModel | None,
    change: Callable[[], Any],
) -> Response:
    """One status transition (``change`` returns the award), as the API, once per Idempotency-Key."""

    def work() -> tuple[dict[str, Any], Any]:
        with acting_as("api"):
            award = change()
        return _award_state(session, award, settings), award.id

    return idempotent.execute(request, session, key, body=body, status_code=200, work=work)


@router.post(
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
    change = partial(award_lifecycle.revoke_award, session, award_id, reason=body.reason)
    return _status_change(request, session, settings, idempotency_key, body, change)


@router.post(
    "/awards/{award_id}/suspend",
    summary="Suspend an award (reversible; the reason stays private)",
    responses=idempotent.responses(200),
)
def suspend(
    award_id: str,
    body: StatusChangeIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: idempotent.IdempotencyKeyHeader = None,
) -> Response:
    change = partial(award_lifecycle.suspend_award, session, award_id, reason=body.reason)
    return _status_change(request, session, settings, idempotency_key, body, change)


@router.post("/awards/{award_id}/reinstate", summary="Lift a suspension", responses=idempotent.responses(200))
def reinstate(
    award_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    body: ReinstateIn | None = None,
    idempotency_key: idempotent.IdempotencyKeyHeader = None,
) -> Response:
    change = partial(award_lifecycle.reinstate_award, session, award_id, reason=body.reason if body else None)
    return _status_change(request, session, settings, idempotency_key, body, change)


@router.post(
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
            new = issuing.renew_award(
                session, award_id, base_url=settings.base_url, master_key=keystore.load_master_key(settings)
            )
        return _award_state(session, new, settings), new.id

    return idempotent.execute(request, session, idempotency_key, body=None, status_code=201, work=work)
