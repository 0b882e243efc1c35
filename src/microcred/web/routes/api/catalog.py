"""The achievements API: create with outcomes and alignments, publish, list, read."""

from __future__ import annotations

from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import Field

from microcred import urls
from microcred.catalog import services as catalog
from microcred.settings import Settings
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.routes.api.common import In, api_router

router = api_router()


def achievement_json(achievement: Any, settings: Settings) -> dict[str, Any]:
    return {
        "id": str(achievement.id),
        "issuer_id": str(achievement.issuer_id),
        "url": urls.achievement_url(achievement.id, settings.base_url),
        "status": achievement.status,
        "name": achievement.name,
        "description": achievement.description,
        "criteria_narrative": achievement.criteria_narrative,
        "criteria_url": achievement.criteria_url,
        "achievement_type": achievement.achievement_type,
        "language": achievement.language,
        "workload_hours": achievement.workload_hours,
        "credits": achievement.credits,
        "level": achievement.level,
        "validity_months": achievement.validity_months,
        "validity_days": achievement.validity_days,
        "warnings": catalog.alignment_warnings(achievement),
        "outcomes": [
            {
                "id": str(o.id),
                "statement": o.statement,
                "kind": o.kind,
                "alignments": [
                    {
                        "target_url": a.target_url,
                        "target_name": a.target_name,
                        "target_framework": a.target_framework,
                        "target_code": a.target_code,
                        "target_type": a.target_type,
                        "target_description": a.target_description,
                    }
                    for a in o.alignments
                ],
            }
            for o in achievement.outcomes
        ],
    }


class AlignmentIn(In):
    target_url: str = Field(min_length=1, max_length=2000, description="the concept URI, e.g. an ESCO skill")
    target_name: str = Field(min_length=1, max_length=500, description="the concept's preferred label")
    target_framework: str = Field(catalog.DEFAULT_FRAMEWORK, max_length=200)
    target_code: str | None = Field(None, max_length=200)
    target_type: str | None = Field(None, max_length=64)
    target_description: str | None = None


class OutcomeIn(In):
    statement: str = Field(min_length=1)
    kind: Literal["knowledge", "skill", "attitude"]
    alignments: list[AlignmentIn] = Field(default_factory=list)


class AchievementIn(In):
    issuer_id: str = Field(description="id of the issuing organisation")
    name: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1)
    criteria_narrative: str = Field(min_length=1, description="how the outcomes are assessed (Markdown)")
    workload_hours: float = Field(gt=0, description="notional learning hours")
    outcomes: list[OutcomeIn] = Field(min_length=1, description="at least one learning outcome")
    criteria_url: str | None = None
    image: str | None = None
    achievement_type: str = "MicroCredential"
    language: str = "en"
    credits: float | None = Field(None, ge=0)
    level: str | None = None
    publish: bool = False
    validity_months: int | None = Field(None, ge=0, le=1200, description="awards expire after this many months")
    validity_days: int | None = Field(None, ge=0, le=36500, description="... plus this many days")
    confirm_warnings: bool = Field(
        False, description="the author confirms the outcome-kind warnings of the alignments (else 422 lists them)"
    )


def _warnings_response(exc: catalog.AlignmentWarnings) -> JSONResponse:
    return JSONResponse(
        {"error": str(exc), "warnings": exc.warnings, "confirm_with": {"confirm_warnings": True}}, status_code=422
    )


@router.post("/achievements", status_code=201, summary="Create an achievement with its outcomes and alignments")
def create_achievement(body: AchievementIn, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    data = body.model_dump()
    try:
        achievement = catalog.create_achievement(session, **data)
    except catalog.AlignmentWarnings as exc:
        session.rollback()
        return _warnings_response(exc)
    session.commit()
    return JSONResponse(achievement_json(achievement, settings), status_code=201)


@router.post("/achievements/{achievement_id}/publish", summary="Publish an achievement (outcomes must be aligned)")
def publish_achievement(achievement_id: str, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    achievement = catalog.publish_achievement(session, achievement_id)
    session.commit()
    return achievement_json(achievement, settings)


@router.get("/achievements", summary="List achievements")
def list_achievements(session: SessionDep, settings: SettingsDep) -> list[dict[str, Any]]:
    return [achievement_json(a, settings) for a in catalog.list_achievements(session)]


@router.get("/achievements/{achievement_id}", summary="One achievement")
def get_achievement(achievement_id: str, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    return achievement_json(catalog.get_achievement(session, achievement_id), settings)
