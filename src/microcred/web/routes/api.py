"""The authenticated JSON API (bearer token): organisations, achievements, earners and awards."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from microcred.assessments import services as assessments
from microcred.assessments.storage import EvidenceTooLarge, UnsupportedEvidenceType, folder_store
from microcred.awards import services as awards
from microcred.catalog import services as catalog
from microcred.earners import services as earners
from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.settings import Settings
from microcred.web import idempotency as idempotent
from microcred.web.deps import Authenticated, SessionDep, SettingsDep

router = APIRouter(
    prefix="/api",
    tags=["api"],
    dependencies=[Authenticated],
    responses={401: {"description": "Missing or wrong bearer token"}},
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# -- serialisation ------------------------------------------------------------------------------------
def organisation_json(org: Any, settings: Settings, session: Any) -> dict[str, Any]:
    base = settings.base_url
    return {
        "id": str(org.id),
        "kind": org.kind,
        "name": org.name,
        "legal_name": org.legal_name,
        "url": org.url,
        "email": org.email,
        "country": org.country,
        "region": org.region,
        "registration_id": org.registration_id,
        "description": org.description,
        "did": issuers.did_for(org, base),
        "did_document_url": issuers.did_document_url(org, base),
        "profile_url": issuers.issuer_url(org, base),
        "keys": [
            {"public_key_multibase": k.public_key_multibase, "status": k.status}
            for k in issuers.list_signing_keys(session, org)
        ],
    }


def achievement_json(achievement: Any, settings: Settings) -> dict[str, Any]:
    return {
        "id": str(achievement.id),
        "issuer_id": str(achievement.issuer_id),
        "url": awards.achievement_url(achievement.id, settings.base_url),
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


def earner_json(earner: Any) -> dict[str, Any]:
    return {"id": str(earner.id), "name": earner.name, "email": earner.email, "did": earner.did}


def award_json(session: Any, award: Any, settings: Settings, *, with_credential: bool) -> dict[str, Any]:
    doc = awards.summarise(session, award).to_json(settings.base_url)
    doc["credential_url"] = awards.credential_url(award.id, settings.base_url)
    if with_credential:
        doc["credential"] = awards.credential_document(award)
        doc["credential_jwt"] = award.credential_jwt
    return doc


# -- organisations --------------------------------------------------------------------------------------
class OrganisationIn(_In):
    kind: Literal["institution", "employer", "agency", "professional_body"] = "institution"
    name: str = Field(min_length=1, max_length=300)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2, e.g. CA")
    legal_name: str | None = Field(None, max_length=300)
    url: str | None = Field(None, max_length=2000)
    email: str | None = Field(None, max_length=320)
    region: str | None = Field(None, max_length=100)
    registration_id: str | None = Field(None, max_length=200)
    description: str | None = None


@router.post("/organisations", status_code=201, summary="Create an organisation (and its signing key)")
def create_organisation(body: OrganisationIn, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    org = issuers.create_organisation(session, **body.model_dump())
    issuers.ensure_signing_key(session, org, master_key=keystore.load_master_key(settings))
    session.commit()
    return JSONResponse(organisation_json(org, settings, session), status_code=201)


@router.get("/organisations", summary="List organisations")
def list_organisations(session: SessionDep, settings: SettingsDep) -> list[dict[str, Any]]:
    return [organisation_json(o, settings, session) for o in issuers.list_organisations(session)]


@router.get("/organisations/{org_id}", summary="One organisation")
def get_organisation(org_id: str, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    return organisation_json(issuers.get_organisation(session, org_id), settings, session)


# -- achievements -------------------------------------------------------------------------------------
class AlignmentIn(_In):
    target_url: str = Field(min_length=1, max_length=2000, description="the concept URI, e.g. an ESCO skill")
    target_name: str = Field(min_length=1, max_length=500, description="the concept's preferred label")
    target_framework: str = Field(catalog.DEFAULT_FRAMEWORK, max_length=200)
    target_code: str | None = Field(None, max_length=200)
    target_type: str | None = Field(None, max_length=64)
    target_description: str | None = None


class OutcomeIn(_In):
    statement: str = Field(min_length=1)
    kind: Literal["knowledge", "skill", "attitude"]
    alignments: list[AlignmentIn] = Field(default_factory=list)


class AchievementIn(_In):
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


# -- earners ----------------------------------------------------------------------------------------------
class EarnerIn(_In):
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


# -- awards ---------------------------------------------------------------------------------------------
class EvidenceIn(_In):
    name: str | None = Field(None, max_length=300)
    description: str | None = None
    narrative: str | None = None
    url: str | None = Field(None, max_length=2000)
    genre: str | None = Field(None, max_length=100)
    audience: str | None = Field(None, max_length=200)


class ResultIn(_In):
    outcome_id: str
    status: Literal["Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew"] = "Completed"
    value: str | None = Field(None, max_length=200)


class AwardIn(_In):
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
        award = awards.issue_award(
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


# -- summative assessment: rubrics, results, evidence -------------------------------------------------------------
class AssessmentIn(_In):
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


class OutcomeResultIn(_In):
    outcome: str | int = Field(description="the outcome's id or 1-based position")
    level: str | int | None = Field(None, description="the rubric level achieved (name or 1-based number)")
    score: float | None = None


class EvidenceItemIn(_In):
    visibility: Literal["public", "private"]
    outcome: str | int | None = None
    name: str | None = Field(None, max_length=300)
    description: str | None = None
    narrative: str | None = None
    url: str | None = Field(None, max_length=2000)
    genre: str | None = Field(None, max_length=100)
    audience: str | None = Field(None, max_length=200)


class AssessmentRecordIn(_In):
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
    achievement_id: str = Form(),
    earner_id: str = Form(),
    visibility: Literal["public", "private"] = Form(),
    outcome: str | None = Form(None),
    name: str | None = Form(None, max_length=300),
    description: str | None = Form(None),
    genre: str | None = Form(None, max_length=100),
    audience: str | None = Form(None, max_length=200),
) -> Response:
    from microcred.web.errors import error_response

    limit = settings.max_evidence_bytes
    data = await file.read(limit + 1)
    try:
        row = assessments.add_evidence(
            session,
            achievement_id=achievement_id,
            earner_id=earner_id,
            visibility=visibility,
            outcome=int(outcome) if outcome and outcome.isdigit() else outcome,
            name=name,
            description=description,
            genre=genre,
            audience=audience,
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
