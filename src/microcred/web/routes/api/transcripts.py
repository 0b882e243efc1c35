"""The transcripts API (bearer token): transcript records, prerequisites, pathways and their completions,
an earner's pathway progress, signed CLR, registrar transcripts and external credentials."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, get_type_hints

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, create_model

from microcred import issuing, urls
from microcred.issuers import keystore
from microcred.transcripts import clr, external, pathways, records
from microcred.transcripts.external import ExternalCredential
from microcred.web import bodies, vc_api
from microcred.web.deps import Authenticated, SessionDep, SettingsDep
from microcred.web.routes.backpack.transcripts import Lang, registrar_file
from microcred.web.routes.public.transcripts import achievement_info, pathway_json

router = APIRouter(prefix="/api", tags=["transcripts"], dependencies=[Authenticated])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _body_of(name: str, source: type[Any]) -> type[_In]:
    """The request body of a domain input dataclass: its fields' names, types and defaults, so the API takes
    exactly what the service does and cannot drift from it; ``_In`` adds ``extra="forbid"`` and the stripping."""
    hints = get_type_hints(source)
    body_fields: dict[str, Any] = {
        field.name: (hints[field.name], ... if field.default is dataclasses.MISSING else field.default)
        for field in dataclasses.fields(source)
    }
    return create_model(name, __base__=_In, __module__=__name__, **body_fields)


if TYPE_CHECKING:  # what the type checker sees; at run time FastAPI reads the fields built below

    class RecordIn(_In):
        """The fields of `records.AchievementRecordInput`."""

else:
    RecordIn = _body_of("RecordIn", records.AchievementRecordInput)


class PrerequisitesIn(_In):
    requires: list[str]


class ComponentIn(_In):
    achievement_id: str | None = None
    external_achievement_id: str | None = None
    alignment_url: str | None = None
    label: str | None = None


class PathwayIn(_In):
    achievement_id: str
    components: list[ComponentIn]
    rule: str = "all_of"
    required_count: int | None = None
    min_credits: float | None = None
    ordered: bool = False
    issue_mode: str = "auto"


@router.put("/achievements/{achievement_id}/transcript-record", summary="Set an achievement's transcript record")
def put_record(achievement_id: str, body: RecordIn, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    records.set_achievement_record(session, achievement_id, body.model_dump())
    session.commit()
    return achievement_info(session, achievement_id, settings.base_url)


@router.put("/achievements/{achievement_id}/prerequisites", summary="Set an achievement's prerequisites")
def put_prerequisites(
    achievement_id: str, body: PrerequisitesIn, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    records.set_prerequisites(session, achievement_id, body.requires)
    session.commit()
    return achievement_info(session, achievement_id, settings.base_url)


@router.get("/achievements/{achievement_id}/transcript", summary="Transcript record, prerequisites and pathways")
def get_transcript_info(achievement_id: str, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    return achievement_info(session, achievement_id, settings.base_url)


@router.post("/pathways", status_code=201, summary="Define a pathway credential")
def post_pathway(body: PathwayIn, session: SessionDep) -> JSONResponse:
    p = pathways.create_pathway(
        session,
        achievement_id=body.achievement_id,
        components=[c.model_dump() for c in body.components],
        rule=body.rule,
        required_count=body.required_count,
        min_credits=body.min_credits,
        ordered=body.ordered,
        issue_mode=body.issue_mode,
    )
    session.commit()
    return JSONResponse(pathway_json(session, p), status_code=201)


@router.get("/pathways", summary="Pathways")
def get_pathways(session: SessionDep) -> list[dict[str, Any]]:
    return [pathway_json(session, p) for p in pathways.list_pathways(session)]


@router.get("/pathway-completions", summary="Pathway completions (e.g. ?status=pending)")
def get_completions(session: SessionDep, status: str | None = None) -> list[dict[str, Any]]:
    return [
        {
            "id": str(c.id),
            "pathway_id": str(c.pathway_id),
            "earner_id": str(c.earner_id),
            "status": c.status,
            "award_id": str(c.award_id) if c.award_id else None,
            "parts": c.parts,
        }
        for c in pathways.list_completions(session, status=status)
    ]


@router.post("/pathway-completions/{completion_id}/approve", summary="Issue a queued pathway credential")
def approve(completion_id: str, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    award = issuing.approve_pathway_completion(
        session, completion_id, base_url=settings.base_url, master_key=keystore.load_master_key(settings)
    )
    session.commit()
    return {"award_id": str(award.id), "url": urls.credential_url(award.id, settings.base_url)}


def _earner(session: Any, earner_ref: str) -> Any:
    return clr.find_earner(session, earner_ref)


@router.get("/earners/{earner_ref}/pathways", summary="An earner's progress toward each pathway")
def earner_pathways(earner_ref: str, session: SessionDep, settings: SettingsDep) -> list[dict[str, Any]]:
    earner = _earner(session, earner_ref)
    return [s.to_json() for s in pathways.earner_progress(session, earner.id, settings.base_url)]


@router.get("/earners/{earner_ref}/clr", summary="A signed CLR 2.0 ClrCredential of the earner's credentials")
def earner_clr(earner_ref: str, session: SessionDep, settings: SettingsDep, issuer: str | None = None) -> Response:
    document = clr.issue_clr(
        session,
        earner_ref,
        base_url=settings.base_url,
        issuer_id=issuer,
        master_key=keystore.load_master_key(settings),
    )
    session.commit()
    return JSONResponse(document, media_type="application/ld+json")


@router.get("/earners/{earner_ref}/transcript.pdf", summary="The registrar transcript (PDF)")
def earner_pdf(earner_ref: str, session: SessionDep, settings: SettingsDep, lang: Lang = "en") -> Response:
    return registrar_file(session, _earner(session, earner_ref), settings.base_url, "pdf", lang)


@router.get("/earners/{earner_ref}/transcript.csv", summary="The registrar transcript (CSV for an SIS)")
def earner_csv(earner_ref: str, session: SessionDep, settings: SettingsDep, lang: Lang = "en") -> Response:
    return registrar_file(session, _earner(session, earner_ref), settings.base_url, "csv", lang)


def external_json(row: ExternalCredential) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "credential_id": row.credential_id,
        "achievement_id": row.achievement_id,
        "achievement": row.achievement_name,
        "issuer": row.issuer_name,
        "alignment_urls": row.alignment_urls,
        "credits": row.credits,
        "verified_at": row.verified_at.isoformat(),
    }


_CREDENTIAL_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "description": "The credential: a JSON-LD verifiable credential (object) or a VC-JWT (string)",
                "anyOf": [{"type": "object"}, {"type": "string"}],
            }
        }
    },
}


@router.post(
    "/earners/{earner_ref}/external-credentials",
    status_code=201,
    summary="Add a verified external credential",
    openapi_extra={"requestBody": _CREDENTIAL_BODY},
)
async def add_external(earner_ref: str, request: Request, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    source = await bodies.json_body(request, expect=(dict, str))
    earner = _earner(session, earner_ref)
    factory = request.app.state.session_factory
    try:
        row = issuing.add_external_credential(
            session,
            earner.id,
            source,
            verify=lambda s: vc_api.verify(settings, factory, s),
            base_url=settings.base_url,
            master_key=keystore.load_master_key(settings),
        )
    except external.NotVerified as exc:
        return JSONResponse({"error": str(exc), "reasons": exc.reasons}, status_code=422)
    session.commit()
    return JSONResponse(external_json(row), status_code=201)


@router.get("/earners/{earner_ref}/external-credentials", summary="An earner's external credentials")
def list_external(earner_ref: str, session: SessionDep) -> list[dict[str, Any]]:
    return [external_json(r) for r in external.list_external(session, _earner(session, earner_ref).id)]
