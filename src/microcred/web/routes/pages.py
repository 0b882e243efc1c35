"""Server-rendered pages: home, and the "verify a credential" form."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from microcred.awards import services as awards
from microcred.issuers import services as issuers
from microcred.vc.jose import looks_like_jwt
from microcred.web import verification
from microcred.web.deps import SessionDep, SettingsDep, TemplatesDep
from microcred.web.enrich import enrich
from microcred.web.presenters import format_date, present
from microcred.web.routes.credentials import render_verdict

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, session: SessionDep, settings: SettingsDep, templates: TemplatesDep) -> Response:
    base = settings.base_url
    organisations = [
        {
            "name": org.name,
            "country": org.country,
            "profile_url": issuers.issuer_url(org, base),
            "did_url": issuers.did_document_url(org, base),
        }
        for org in issuers.list_organisations(session)
    ]
    credentials: list[dict[str, Any]] = []
    for summary in awards.award_summaries(session, limit=20):
        credentials.append(
            {
                "url": awards.credential_url(summary.id, base),
                "title": f"{summary.achievement_name} — {summary.earner_name}",
                "detail": f"{summary.issuer_name}, {format_date(summary.issued_at.isoformat())}",
            }
        )
    response: Response = templates.TemplateResponse(
        request, "home.html", {"organisations": organisations, "credentials": credentials}
    )
    return response


def _form(
    request: Request, templates: Any, settings: Any, *, error: str | None, submitted: str | None, status_code: int
) -> Response:
    response: Response = templates.TemplateResponse(
        request,
        "verify.html",
        {"error": error, "submitted": submitted, "max_kib": settings.max_body_bytes // 1024},
        status_code=status_code,
    )
    return response


@router.get("/verify", response_class=HTMLResponse, name="verify_form")
def verify_form(request: Request, settings: SettingsDep, templates: TemplatesDep) -> Response:
    return _form(request, templates, settings, error=None, submitted=None, status_code=200)


@router.post("/verify", response_class=HTMLResponse, name="verify_submit")
def verify_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    templates: TemplatesDep,
    credential: Annotated[str, Form()] = "",
) -> Response:
    text = credential.strip()
    if not text:
        return _form(request, templates, settings, error="paste a credential first", submitted="", status_code=400)
    source: dict[str, Any] | str
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            return _form(
                request,
                templates,
                settings,
                error=f"this is not valid JSON ({exc.msg}, line {exc.lineno}, column {exc.colno})",
                submitted=text,
                status_code=400,
            )
        source = parsed
    elif looks_like_jwt(text):
        source = text
    else:
        return _form(
            request,
            templates,
            settings,
            error="this is neither a JSON credential (starting with '{') nor a compact JWT (eyJ….….…)",
            submitted=text,
            status_code=400,
        )
    result = verification.verify(settings, request.app.state.session_factory, source)
    document = result.credential if result.credential is not None else source
    view = enrich(present(document, result.verified, list(result.checks), result.format), session, settings.base_url)
    return render_verdict(request, templates, view)
