"""Server-rendered pages: home, and the "verify a credential" form.

Neither lists or reveals earners: the home page shows the issuers and their published micro-credentials (never
awards), and looking a credential up by its address honours its earner's sharing choice like its own page does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from microcred import urls
from microcred.awards import queries as awards
from microcred.awards.exports import award_erased
from microcred.awards.queries import Award
from microcred.catalog import services as catalog
from microcred.errors import InvalidInput
from microcred.i18n import gettext as _
from microcred.issuers import services as issuers
from microcred.ownership import sharing
from microcred.vc.baking import BakingError, looks_baked, unbake
from microcred.vc.jose import looks_like_jwt
from microcred.web import counting, vc_api
from microcred.web.auth import CsrfChecked, user_from_cookie
from microcred.web.deps import SessionDep, SettingsDep, TemplatesDep
from microcred.web.enrich import enrich
from microcred.web.presenters import present
from microcred.web.routes.public.credentials import render_private, render_verdict

router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[CsrfChecked])


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, session: SessionDep, settings: SettingsDep, templates: TemplatesDep) -> Response:
    base = settings.base_url
    organisations = []
    achievements: list[dict[str, Any]] = []
    for org in issuers.list_organisations(session):
        organisations.append(
            {
                "name": org.name,
                "country": org.country,
                "profile_url": issuers.issuer_url(org, base),
                "did_url": issuers.did_document_url(org, base),
            }
        )
        # what each issuer publishes, never who earned it (issue 12: no list of awards in public)
        achievements.extend(
            {"name": a.name, "issuer": org.name, "url": urls.achievement_url(a.id, base)}
            for a in catalog.list_achievements(session, issuer_id=org.id, status="published")
        )
    response: Response = templates.TemplateResponse(
        request, "home.html", {"organisations": organisations, "achievements": achievements}
    )
    return response


def _form(
    request: Request,
    templates: Any,
    settings: Any,
    *,
    error: str | None,
    submitted: str | None,
    status_code: int,
    error_field: str = "credential",
    submitted_url: str | None = None,
) -> Response:
    response: Response = templates.TemplateResponse(
        request,
        "verify.html",
        {
            "error": error,
            "error_field": error_field,
            "submitted": submitted,
            "submitted_url": submitted_url,
            "example_url": urls.credential_url("…", settings.base_url),
            "max_kib": settings.max_body_bytes // 1024,
        },
        status_code=status_code,
    )
    return response


@router.get("/verify", response_class=HTMLResponse, name="verify_form")
def verify_form(request: Request, settings: SettingsDep, templates: TemplatesDep) -> Response:
    return _form(request, templates, settings, error=None, submitted=None, status_code=200)


def _stored_award(session: Any, settings: Any, url: str) -> tuple[bool, Award | None]:
    """(whether ``url`` is one of this instance's credential URLs, the award it names if there is one)."""
    prefix = urls.credential_url("", settings.base_url)
    if not url.startswith(prefix):
        return False, None
    credential_id = url[len(prefix) :].split("?", 1)[0].split("#", 1)[0].strip("/")
    try:
        return True, awards.find_award(session, credential_id) if credential_id else None
    except InvalidInput:  # not an award id
        return True, None


@dataclass
class _Refused(Exception):  # not frozen: raising sets __traceback__ on it
    """Why the form is shown again: the message, its status, the field it is about, and what to fill back in."""

    error: str
    status_code: int = 400
    field: str = "credential"
    submitted: str = ""
    submitted_url: str | None = None


def _uploaded_text(file: UploadFile, max_bytes: int) -> str:
    """The credential an uploaded file carries: a baked PNG/SVG badge's, or the file's UTF-8 text."""
    raw = file.file.read(max_bytes + 1)
    if not raw.strip():
        raise _Refused(_("the uploaded file is empty"), field="file")
    try:
        return unbake(raw).strip() if looks_baked(raw) else raw.decode("utf-8-sig").strip()
    except BakingError as exc:
        raise _Refused(_("this badge image carries no credential (%(reason)s)", reason=str(exc)), field="file") from exc
    except UnicodeDecodeError as exc:
        raise _Refused(_("the uploaded file is not UTF-8 text (JSON or a JWT)"), field="file") from exc


def _looked_up(request: Request, session: Any, settings: Any, templates: Any, address: str) -> Response:
    """The verdict on one of this site's credentials by its address (never fetching other addresses)."""
    ours, award = _stored_award(session, settings, address)
    if not ours:
        message = _(
            "only addresses of credentials issued on this site (%(base)s) are looked up; this site does "
            "not fetch other addresses. Download the credential and upload its file instead.",
            base=settings.base_url,
        )
        raise _Refused(message, field="url", submitted_url=address)
    if award is None:
        raise _Refused(_("no credential of this site has this address"), 404, field="url", submitted_url=address)
    erased = award_erased(session, award)
    viewer = user_from_cookie(request, session)
    if erased or not sharing.visible_to(session, award, viewer.earner_id if viewer is not None else None):
        return render_private(request, templates, award, erased=erased)  # what its own address shows
    result = vc_api.verify(settings, request.app.state.session_factory, awards.credential_document(award))
    shown = sharing.public_document(session, award)  # without the evidence its earner chose to hide
    page = present(shown, result.verified, list(result.checks), result.format, result.nested)
    response = render_verdict(request, templates, enrich(page, session, settings.base_url))
    return counting.verification(request, response, result.credential, "page")


def _source(text: str, field: str) -> dict[str, Any] | str:
    """The pasted or uploaded text as a credential: a JSON object, or a compact JWT."""
    submitted = text if field == "credential" else ""
    if text.startswith("{"):
        try:
            parsed: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError as exc:
            message = _(
                "this is not valid JSON (%(msg)s, line %(line)s, column %(column)s)",
                msg=exc.msg,
                line=exc.lineno,
                column=exc.colno,
            )
            raise _Refused(message, field=field, submitted=submitted) from exc
        return parsed
    if looks_like_jwt(text):
        return text
    message = _("this is neither a JSON credential (starting with '{') nor a compact JWT (eyJ….….…)")
    raise _Refused(message, field=field, submitted=submitted)


@router.post("/verify", response_class=HTMLResponse, name="verify_submit")
def verify_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    templates: TemplatesDep,
    credential: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Verify a pasted credential, an uploaded file (baked badge, JSON, JWT) or one of this site's addresses."""
    text = credential.strip()
    address = url.strip()
    try:
        field = "credential"
        if not text and file is not None and file.filename:
            field = "file"
            text = _uploaded_text(file, settings.max_body_bytes)
        elif not text and address:
            return _looked_up(request, session, settings, templates, address)
        if not text:
            raise _Refused(_("paste a credential, upload a file or give an address first"), field="credential")
        source = _source(text, field)
    except _Refused as refused:
        return _form(
            request,
            templates,
            settings,
            error=refused.error,
            submitted=refused.submitted,
            status_code=refused.status_code,
            error_field=refused.field,
            submitted_url=refused.submitted_url,
        )
    result = vc_api.verify(settings, request.app.state.session_factory, source)
    document = result.credential if result.credential is not None else source
    page = present(document, result.verified, list(result.checks), result.format, result.nested)
    response = render_verdict(request, templates, enrich(page, session, settings.base_url))
    return counting.verification(request, response, result.credential, "page")
