"""The public achievement page (prerequisites, transcript record, pathways), as HTML or JSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from microcred import urls
from microcred.catalog import services as catalog
from microcred.transcripts import pathway_definitions, pathways, records
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.render import render

router = APIRouter(tags=["transcripts"])


def achievement_info(session: Any, achievement_id: str, base_url: str) -> dict[str, Any]:
    achievement = catalog.get_achievement(session, achievement_id)
    record = records.get_achievement_record(session, achievement.id)
    pathway = pathways.pathway_of(session, achievement.id)
    return {
        "id": str(achievement.id),
        "url": urls.achievement_url(achievement.id, base_url),
        "name": achievement.name,
        "description": achievement.description,
        "achievement_type": achievement.achievement_type,
        "workload_hours": achievement.workload_hours,
        "credits": achievement.credits,
        "record": {
            c: getattr(record, c)
            for c in (
                "human_code",
                "credit_unit",
                "eqf_level",
                "qualification_framework",
                "qualification_level",
                "form_of_participation",
                "quality_assurance_type",
                "quality_assurance_reference",
                "awarding_body",
                "awarding_country",
                "grading_scheme",
            )
        }
        if record
        else None,
        "prerequisites": [
            {"id": str(r.id), "name": r.name, "url": urls.achievement_url(r.id, base_url)}
            for r in records.prerequisites(session, achievement.id)
        ],
        "part_of_pathways": [
            {"id": str(p.id), "name": catalog.get_achievement(session, p.achievement_id).name}
            for p in pathways.pathways_containing(session, achievement.id)
        ],
        "pathway": pathway_json(session, pathway) if pathway else None,
    }


@router.get("/achievements/{achievement_id}", include_in_schema=False)
def achievement_page(achievement_id: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    info = achievement_info(session, achievement_id, settings.base_url)
    if "html" not in request.headers.get("accept", ""):
        return JSONResponse(info)
    return render(request, "transcripts/achievement.html", {"a": info})


def pathway_json(session: Any, p: Any) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "achievement_id": str(p.achievement_id),
        "name": catalog.get_achievement(session, p.achievement_id).name,
        "rule": p.rule,
        "required_count": p.required_count,
        "min_credits": p.min_credits,
        "ordered": p.ordered,
        "issue_mode": p.issue_mode,
        "components": [pathway_definitions.component_json(c) for c in p.components],
    }
