"""The summative assessment API: rubrics, results per outcome, evidence (items and files)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from microcred.assessments import services as assessments
from microcred.assessments.storage import EvidenceTooLarge, UnsupportedEvidenceType, folder_store
from microcred.catalog import services as catalog
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.routes.api.common import In, api_router

router = api_router()


class AssessmentIn(In):
    method: Literal[
        "project", "exam", "observed_performance", "portfolio", "practical", "presentation", "interview", "other"
    ]
    identity_verified: bool = False
    description: str | None = None
    rubrics: list[dict[str, Any]] = Field(
        min_length=1,
        description='one per outcome: {"outcome": <id or 1-based position>, "levels": [names or '
        '{name, description, points}] low -> high, "required_level": <name or number>} or '
        '{"outcome": ..., "score": {"min": 0, "max": 100, "required": 70}}',
    )


@router.post("/achievements/{achievement_id}/assessment", summary="Define a draft achievement's assessment")
def define_assessment(achievement_id: str, body: AssessmentIn, session: SessionDep) -> dict[str, Any]:
    design = assessments.define_assessment(session, achievement_id, **body.model_dump())
    session.commit()
    return assessments.design_json(design) or {}


@router.get("/achievements/{achievement_id}/assessment", summary="An achievement's assessment (null: none)")
def get_assessment(achievement_id: str, session: SessionDep) -> dict[str, Any] | None:
    catalog.get_achievement(session, achievement_id)
    return assessments.design_json(assessments.get_design(session, achievement_id))


class OutcomeResultIn(In):
    outcome: str | int = Field(description="the outcome's id or 1-based position")
    level: str | int | None = Field(None, description="the rubric level achieved (name or 1-based number)")
    score: float | None = None


class EvidenceItemIn(In):
    visibility: Literal["public", "private"]
    outcome: str | int | None = None
    name: str | None = Field(None, max_length=300)
    description: str | None = None
    narrative: str | None = None
    url: str | None = Field(None, max_length=2000)
    genre: str | None = Field(None, max_length=100)
    audience: str | None = Field(None, max_length=200)


class AssessmentRecordIn(In):
    achievement_id: str
    earner_id: str
    assessor: str = Field(min_length=1, max_length=200)
    results: list[OutcomeResultIn] = Field(default_factory=list)
    evidence: list[EvidenceItemIn] = Field(default_factory=list)


def _results_json(session: Any, achievement_id: Any, earner_id: Any) -> list[dict[str, Any]]:
    return [
        {
            "outcome_id": str(r.outcome_id),
            "level_id": r.level_id,
            "score": r.score,
            "passed": r.passed,
            "assessor": r.assessor,
            "recorded_at": r.recorded_at.isoformat(),
        }
        for r in assessments.list_results(session, achievement_id=achievement_id, earner_id=earner_id)
    ]


@router.post("/assessments/records", summary="Record results per outcome and evidence for an earner (all or nothing)")
def record_assessment(body: AssessmentRecordIn, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    for result in body.results:
        assessments.record_result(
            session,
            achievement_id=body.achievement_id,
            earner_id=body.earner_id,
            outcome=result.outcome,
            level=result.level,
            score=result.score,
            assessor=body.assessor,
        )
    added = [
        assessments.add_evidence(
            session, achievement_id=body.achievement_id, earner_id=body.earner_id, **item.model_dump()
        )
        for item in body.evidence
    ]
    session.commit()
    return {
        "results": _results_json(session, body.achievement_id, body.earner_id),
        "evidence": [assessments.evidence_json(e, settings.base_url) for e in added],
    }


@router.get("/assessments/records", summary="An earner's results and ALL evidence (public and private)")
def get_assessment_record(
    achievement_id: str, earner_id: str, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    catalog.get_achievement(session, achievement_id)
    return {
        "results": _results_json(session, achievement_id, earner_id),
        "evidence": [
            assessments.evidence_json(e, settings.base_url)
            for e in assessments.list_evidence(
                session, achievement_id=achievement_id, earner_id=earner_id, include_private=True
            )
        ],
    }


@dataclass(frozen=True)
class EvidenceTarget:
    """Whose evidence an upload is, for which outcome, and who may see it (the form's first fields)."""

    achievement_id: str
    earner_id: str
    visibility: Literal["public", "private"]
    outcome: str | int | None


def _evidence_target(
    achievement_id: str = Form(),
    earner_id: str = Form(),
    visibility: Literal["public", "private"] = Form(),
    outcome: str | None = Form(None),
) -> EvidenceTarget:
    position = int(outcome) if outcome and outcome.isdigit() else outcome
    return EvidenceTarget(achievement_id, earner_id, visibility, position)


@dataclass(frozen=True)
class EvidenceLabels:
    """The upload's descriptive fields (OB 3.0 Evidence name, description, genre, audience)."""

    name: str | None
    description: str | None
    genre: str | None
    audience: str | None


def _evidence_labels(
    name: str | None = Form(None, max_length=300),
    description: str | None = Form(None),
    genre: str | None = Form(None, max_length=100),
    audience: str | None = Form(None, max_length=200),
) -> EvidenceLabels:
    return EvidenceLabels(name, description, genre, audience)


@router.post(
    "/assessments/evidence",
    status_code=201,
    summary="Upload an evidence file (multipart; PDF, PNG, JPEG or plain text by content)",
    responses={413: {"description": "File over the size limit"}, 415: {"description": "File type not allowed"}},
)
async def upload_evidence(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    file: UploadFile,
    target: Annotated[EvidenceTarget, Depends(_evidence_target)],
    labels: Annotated[EvidenceLabels, Depends(_evidence_labels)],
) -> Response:
    from microcred.web.errors import error_response

    limit = settings.max_evidence_bytes
    data = await file.read(limit + 1)
    try:
        row = assessments.add_evidence(
            session,
            **asdict(target),
            **asdict(labels),
            file=assessments.FileUpload(data, file.filename),
            store=folder_store(settings.data_dir),
            max_bytes=limit,
        )
    except EvidenceTooLarge as exc:
        return error_response(request, 413, str(exc))
    except UnsupportedEvidenceType as exc:
        return error_response(request, 415, str(exc))
    session.commit()
    return JSONResponse(assessments.evidence_json(row, settings.base_url), status_code=201)


@router.get("/assessments/evidence/{evidence_id}/file", summary="Any evidence file, private ones included")
def evidence_file(evidence_id: str, session: SessionDep, settings: SettingsDep) -> Response:
    data, content_type, _row = assessments.evidence_file(session, evidence_id, folder_store(settings.data_dir))
    return Response(
        data,
        media_type=content_type + ("; charset=utf-8" if content_type == "text/plain" else ""),
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
