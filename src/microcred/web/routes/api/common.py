"""What every module of the bearer-token API shares: the router settings and the strict input base model."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from microcred.web.deps import Authenticated


def api_router() -> APIRouter:
    """A router under `/api` behind the bearer token (each area has its own; app.py includes them in order)."""
    return APIRouter(
        prefix="/api",
        tags=["api"],
        dependencies=[Authenticated],
        responses={401: {"description": "Missing or wrong bearer token"}},
    )


class In(BaseModel):
    """Request bodies refuse unknown fields and strip whitespace."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
