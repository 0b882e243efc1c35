"""The earners API: create, list, read."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import Field

from microcred.earners import services as earners
from microcred.web.deps import SessionDep
from microcred.web.routes.api.common import In, api_router

router = api_router()


def earner_json(earner: Any) -> dict[str, Any]:
    return {"id": str(earner.id), "name": earner.name, "email": earner.email, "did": earner.did}


class EarnerIn(In):
    name: str = Field(min_length=1, max_length=300)
    email: str = Field(min_length=3, max_length=320)
    did: str | None = Field(None, max_length=2000)


@router.post("/earners", status_code=201, summary="Create an earner")
def create_earner(body: EarnerIn, session: SessionDep) -> JSONResponse:
    earner = earners.create_earner(session, **body.model_dump())
    session.commit()
    return JSONResponse(earner_json(earner), status_code=201)


@router.get("/earners", summary="List earners")
def list_earners(session: SessionDep) -> list[dict[str, Any]]:
    return [earner_json(e) for e in earners.list_earners(session)]


@router.get("/earners/{earner_id}", summary="One earner")
def get_earner(earner_id: str, session: SessionDep) -> dict[str, Any]:
    return earner_json(earners.get_earner(session, earner_id))
