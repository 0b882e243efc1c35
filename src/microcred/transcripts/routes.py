"""HTTP: public achievement pages (prerequisites, pathways), the earner's transcripts and
pathways in the backpack, and the staff JSON API (bearer token) for records, pathways, CLR and transcripts."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from microcred.accounts.models import User
from microcred.awards import services as awards
from microcred.catalog import services as catalog
from microcred.earners import services as earners
from microcred.errors import DomainError
from microcred.issuers import keystore
from microcred.transcripts import clr, external, pathways, records, registrar
from microcred.transcripts.models import ExternalCredential
from microcred.web import bodies, verification
from microcred.web.auth import CsrfChecked, require_earner
from microcred.web.deps import Authenticated, SessionDep, SettingsDep
from microcred.web.i18n import LANGUAGES, current_language, translations
from microcred.web.i18n import gettext as _
from microcred.web.render import render

public = APIRouter(tags=["transcripts"])
backpack = APIRouter(prefix="/backpack", tags=["backpack"], include_in_schema=False, dependencies=[CsrfChecked])
api = APIRouter(prefix="/api", tags=["transcripts"], dependencies=[Authenticated])
EarnerUser = Annotated[User, Depends(require_earner)]
Lang = Literal["en", "fr"]


# -- public --------------------------------------------------------------------------------------------
def achievement_info(session: Any, achievement_id: str, base_url: str) -> dict[str, Any]:
    achievement = catalog.get_achievement(session, achievement_id)
    record = records.get_achievement_record(session, achievement.id)
    pathway = pathways.pathway_of(session, achievement.id)
    return {
        "id": str(achievement.id),
        "url": awards.achievement_url(achievement.id, base_url),
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
            {"id": str(r.id), "name": r.name, "url": awards.achievement_url(r.id, base_url)}
            for r in records.prerequisites(session, achievement.id)
        ],
        "part_of_pathways": [
            {"id": str(p.id), "name": catalog.get_achievement(session, p.achievement_id).name}
            for p in pathways.pathways_containing(session, achievement.id)
        ],
        "pathway": pathway_json(session, pathway) if pathway else None,
    }


@public.get("/achievements/{achievement_id}", include_in_schema=False)
def achievement_page(achievement_id: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    info = achievement_info(session, achievement_id, settings.base_url)
    if "html" not in request.headers.get("accept", ""):
        return JSONResponse(info)
    return render(request, "transcripts/achievement.html", {"a": info})


# -- the earner's backpack -----------------------------------------------------------------------------
def _download(content: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _registrar_file(session: Any, earner: Any, base_url: str, fmt: str, lang: str | None) -> Response:
    language = lang if lang in LANGUAGES else current_language()
    data = registrar.transcript(session, earner, base_url=base_url)
    gettext = translations(language).gettext
    if fmt == "pdf":
        return _download(registrar.to_pdf(data, lang=language, gettext=gettext), "application/pdf", "transcript.pdf")
    return _download(
        registrar.to_csv(data, lang=language, gettext=gettext), "text/csv; charset=utf-8", "transcript.csv"
    )


@backpack.get("/transcript.pdf", name="backpack_transcript_pdf")
def backpack_pdf(session: SessionDep, settings: SettingsDep, user: EarnerUser, lang: Lang | None = None) -> Response:
    return _registrar_file(session, earners.get_earner(session, str(user.earner_id)), settings.base_url, "pdf", lang)


@backpack.get("/transcript.csv", name="backpack_transcript_csv")
def backpack_csv(session: SessionDep, settings: SettingsDep, user: EarnerUser, lang: Lang | None = None) -> Response:
    return _registrar_file(session, earners.get_earner(session, str(user.earner_id)), settings.base_url, "csv", lang)


@backpack.get("/clr.json", name="backpack_clr")
def backpack_clr(session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    document = clr.issue_clr(
        session, str(user.earner_id), base_url=settings.base_url, master_key=keystore.load_master_key(settings)
    )
    session.commit()  # the audit entry of the issued CLR
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return _download(body, "application/ld+json", "clr.json")


def _pathways_page(request: Request, session: Any, settings: Any, user: User, **extra: Any) -> Response:
    states = pathways.earner_progress(session, user.earner_id, settings.base_url)  # type: ignore[arg-type]
    externals = external.list_external(session, user.earner_id)  # type: ignore[arg-type]
    return render(request, "transcripts/pathways.html", {"states": states, "externals": externals, **extra})


@backpack.get("/pathways", name="backpack_pathways")
def backpack_pathways(request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    return _pathways_page(request, session, settings, user)


@backpack.post("/external", name="backpack_add_external")
async def backpack_add_external(
    request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser
) -> Response:
    form = await request.form()
    text = str(form.get("credential") or "").strip()
    try:
        source: dict[str, Any] | str = json.loads(text) if text.startswith("{") else text
        if not text:
            raise ValueError
    except ValueError:
        return _pathways_page(request, session, settings, user, errors=[_("Paste a credential (JSON or a JWT).")])
    factory = request.app.state.session_factory
    try:
        external.add_external_credential(
            session,
            user.earner_id,  # type: ignore[arg-type]
            source,
            verify=lambda s: verification.verify(settings, factory, s),
            base_url=settings.base_url,
            master_key=keystore.load_master_key(settings),
        )
    except external.NotVerified as exc:
        session.rollback()
        return _pathways_page(request, session, settings, user, errors=exc.reasons, not_verified=True)
    except DomainError as exc:
        session.rollback()
        return _pathways_page(request, session, settings, user, errors=[str(exc)])
    session.commit()
    return RedirectResponse("/backpack/pathways?added=1", status_code=303)


# -- staff API -----------------------------------------------------------------------------------------
class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RecordIn(_In):
    human_code: str | None = None
    credit_unit: str | None = None
    eqf_level: int | None = None
    qualification_framework: str | None = None
    qualification_level: str | None = None
    form_of_participation: str | None = None
    quality_assurance_type: str | None = None
    quality_assurance_reference: str | None = None
    awarding_body: str | None = None
    awarding_country: str | None = None
    grading_scheme: str | None = None


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
        "components": [pathways._component_json(c) for c in p.components],
    }


@api.put("/achievements/{achievement_id}/transcript-record", summary="Set an achievement's transcript record")
def put_record(achievement_id: str, body: RecordIn, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    records.set_achievement_record(session, achievement_id, body.model_dump())
    session.commit()
    return achievement_info(session, achievement_id, settings.base_url)


@api.put("/achievements/{achievement_id}/prerequisites", summary="Set an achievement's prerequisites")
def put_prerequisites(
    achievement_id: str, body: PrerequisitesIn, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    records.set_prerequisites(session, achievement_id, body.requires)
    session.commit()
    return achievement_info(session, achievement_id, settings.base_url)


@api.get("/achievements/{achievement_id}/transcript", summary="Transcript record, prerequisites and pathways")
def get_transcript_info(achievement_id: str, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    return achievement_info(session, achievement_id, settings.base_url)


@api.post("/pathways", status_code=201, summary="Define a pathway credential")
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


@api.get("/pathways", summary="Pathways")
def get_pathways(session: SessionDep) -> list[dict[str, Any]]:
    return [pathway_json(session, p) for p in pathways.list_pathways(session)]


@api.get("/pathway-completions", summary="Pathway completions (e.g. ?status=pending)")
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


@api.post("/pathway-completions/{completion_id}/approve", summary="Issue a queued pathway credential")
def approve(completion_id: str, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    award = pathways.approve_completion(
        session, completion_id, base_url=settings.base_url, master_key=keystore.load_master_key(settings)
    )
    session.commit()
    return {"award_id": str(award.id), "url": awards.credential_url(award.id, settings.base_url)}


def _earner(session: Any, earner_ref: str) -> Any:
    return clr.find_earner(session, earner_ref)


@api.get("/earners/{earner_ref}/pathways", summary="An earner's progress toward each pathway")
def earner_pathways(earner_ref: str, session: SessionDep, settings: SettingsDep) -> list[dict[str, Any]]:
    earner = _earner(session, earner_ref)
    return [s.to_json() for s in pathways.earner_progress(session, earner.id, settings.base_url)]


@api.get("/earners/{earner_ref}/clr", summary="A signed CLR 2.0 ClrCredential of the earner's credentials")
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


@api.get("/earners/{earner_ref}/transcript.pdf", summary="The registrar transcript (PDF)")
def earner_pdf(earner_ref: str, session: SessionDep, settings: SettingsDep, lang: Lang = "en") -> Response:
    return _registrar_file(session, _earner(session, earner_ref), settings.base_url, "pdf", lang)


@api.get("/earners/{earner_ref}/transcript.csv", summary="The registrar transcript (CSV for an SIS)")
def earner_csv(earner_ref: str, session: SessionDep, settings: SettingsDep, lang: Lang = "en") -> Response:
    return _registrar_file(session, _earner(session, earner_ref), settings.base_url, "csv", lang)


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


@api.post(
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
        row = external.add_external_credential(
            session,
            earner.id,
            source,
            verify=lambda s: verification.verify(settings, factory, s),
            base_url=settings.base_url,
            master_key=keystore.load_master_key(settings),
        )
    except external.NotVerified as exc:
        return JSONResponse({"error": str(exc), "reasons": exc.reasons}, status_code=422)
    session.commit()
    return JSONResponse(external_json(row), status_code=201)


@api.get("/earners/{earner_ref}/external-credentials", summary="An earner's external credentials")
def list_external(earner_ref: str, session: SessionDep) -> list[dict[str, Any]]:
    return [external_json(r) for r in external.list_external(session, _earner(session, earner_ref).id)]
