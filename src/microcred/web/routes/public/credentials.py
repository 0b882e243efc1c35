"""Credentials: the public page with content negotiation, VC-API verify (JSON or an uploaded file: a baked
badge, a JSON credential or a JWT), and public evidence files."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field

from microcred import urls
from microcred.awards import queries as awards
from microcred.errors import InvalidInput, NotFound
from microcred.vc.baking import BakingError, looks_baked, unbake
from microcred.web import counting, negotiation, pagecache, vc_api
from microcred.web.deps import SessionDep, SettingsDep, TemplatesDep
from microcred.web.enrich import enrich
from microcred.web.presenters import CredentialView, present
from microcred.web.qr import qr_svg

router = APIRouter(tags=["credentials"])

_OFFERED = [negotiation.JSON_LD, negotiation.VC_LD_JSON, negotiation.JSON, negotiation.HTML, negotiation.VC_JWT]
_FORMATS = {"json": negotiation.JSON_LD, "jwt": negotiation.VC_JWT, "html": negotiation.HTML}


def render_verdict(
    request: Request,
    templates: Any,
    view: CredentialView,
    *,
    status_code: int = 200,
) -> Response:
    """A verdict page (the credential page, the verify form's results): its content, then the layout around it."""
    return render_fragment(request, templates, render_content(request, templates, view), status_code=status_code)


def page_language(request: Request) -> str:
    """The language the request's pages are rendered in (what the layout's ``lang`` and ``_`` use)."""
    from microcred.i18n import current_language

    state = request.scope.get("state") or {}
    language: str = state.get("language") or current_language()
    return language


def render_content(request: Request, templates: Any, view: CredentialView) -> pagecache.Fragment:
    """The page's content block (credential_content.html): a function of the view and the language only."""
    html = templates.env.get_template("credential_content.html").render(view=view, lang=page_language(request))
    return pagecache.Fragment(html=html, verified=view.verified, title=view.title)


def render_fragment(
    request: Request, templates: Any, fragment: pagecache.Fragment, *, status_code: int = 200
) -> Response:
    context = {"content": Markup(fragment.html), "verified": fragment.verified, "title": fragment.title}
    response: Response = templates.TemplateResponse(request, "credential.html", context, status_code=status_code)
    return response


@router.get(
    "/credentials/{credential_id}",
    summary="A credential: signed JSON, VC-JWT, or its public verification page",
    responses={
        200: {
            "content": {
                "application/ld+json": {},
                "application/vc+jwt": {},
                "text/html": {},
            },
            "description": "By Accept header (application/ld+json, application/vc+ld+json, application/json, "
            "application/vc+jwt, text/html) or ?format=json|jwt|html",
        },
        404: {"description": "No such credential"},
        406: {"description": "None of the accepted media types is available"},
    },
)
def get_credential(
    credential_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    templates: TemplatesDep,
    format: str | None = Query(None, description="json, jwt or html; overrides the Accept header"),
) -> Response:
    chosen = _chosen_type(format, request.headers.get("accept"))
    award = awards.get_award(session, credential_id)
    vary = {"Vary": "Accept"}
    from microcred.awards.exports import award_erased
    from microcred.ownership import sharing
    from microcred.web.auth import user_from_cookie

    erased = award_erased(session, award)
    viewer = user_from_cookie(request, session)
    choice = sharing.share_choice(session, award.id)  # read once: visibility, the shown document, the cache key
    if erased or not (
        choice.public or sharing.visible_to(session, award, viewer.earner_id if viewer is not None else None)
    ):
        return _withheld(request, templates, award, erased=erased, html=chosen == negotiation.HTML)
    if chosen is None:
        return JSONResponse(
            {
                "error": "cannot produce any accepted media type: ask for application/ld+json, application/vc+jwt "
                "or text/html"
            },
            status_code=406,
            headers=vary,
        )
    if chosen == negotiation.VC_JWT:
        if not award.credential_jwt:
            raise NotFound(f"credential {credential_id} has no VC-JWT form; ask for application/ld+json")
        jwt = Response(award.credential_jwt, media_type=negotiation.VC_JWT, headers=vary)
        return counting.download(request, jwt, award, "jwt")
    if chosen != negotiation.HTML:
        signed = Response(award.credential_json, media_type=negotiation.JSON_LD, headers=vary)
        return counting.download(request, signed, award, "json")
    response = _verification_page(request, session, settings, templates, award, choice)
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"  # the page's language, and who is signed in
    return counting.page_view(request, response, award)  # here, not in the renderer: cached pages count too


def _chosen_type(format: str | None, accept: str | None) -> str | None:
    """The media type to serve: ``?format=`` if given (json, jwt, html), else the best of the Accept header."""
    if format is None:
        return negotiation.choose(accept, _OFFERED)
    if format not in _FORMATS:
        raise InvalidInput(f"format must be one of json, jwt, html (got {format[:20]!r})")
    return _FORMATS[format]


def _withheld(request: Request, templates: Any, award: Any, *, erased: bool, html: bool) -> Response:
    """Erased: the instance keeps no copy. Not public: nothing personal for anyone but its earner."""
    if html:
        response = render_private(request, templates, award, erased=erased)
        response.headers["Vary"] = "Accept, Cookie"
        return response
    message = (
        "this credential's holder erased their data here; the instance keeps no copy (verify the holder's own "
        "copy with POST /credentials/verify)"
        if erased
        else "this credential is not public; its holder can download it or make it public"
    )
    return JSONResponse({"error": message}, status_code=410 if erased else 403, headers={"Vary": "Accept"})


def _verification_page(
    request: Request, session: Any, settings: Any, templates: Any, award: Any, choice: Any
) -> Response:
    """The credential's public page: verified now, shown as its earner chose to share it, with a QR code. Its
    content is kept in this process's page cache (web/pagecache.py) under everything it depends on; a page that is
    only visible because its earner is the viewer (a non-public credential) is never kept."""
    from microcred.vc import memo

    key = _page_key(session, settings, award, choice, page_language(request))
    cacheable = choice.public and memo.enabled()  # memo.disabled(): the uncached baseline of `make bench`
    fragment = pagecache.page_cache.get(key) if cacheable else None
    if fragment is None:
        document = awards.credential_document(award)
        view = _credential_view(request, session, settings, award, document, choice)
        fragment = render_content(request, templates, view)
        if cacheable:
            pagecache.page_cache.put(key, fragment, document=document)
    return render_fragment(request, templates, fragment)


def _page_key(session: Any, settings: Any, award: Any, choice: Any, language: str) -> tuple[Any, ...]:
    """Everything the page's content depends on besides time: the database and the instance's address, the award
    and the exact bytes of its credential (and whether it has a JWT form), the earner's sharing choices and the
    name they show, the language, and the instance stamp the verifier keeps its reads under (every status list's
    version: revocations, suspensions, reinstatements; every signing key's state: rotations, compromises). The stamp
    is read before the verification, so a page rendered from newer state is at worst filed under an older stamp,
    which the next request no longer asks for."""
    from microcred.ownership import sharing
    from microcred.verification import instance_stamp

    shown_name = sharing.shown_name(session, award) if choice.public and choice.show_name else None
    return (
        str(session.get_bind().url),
        settings.base_url,
        str(award.id),
        hashlib.sha256(award.credential_json.encode("utf-8")).hexdigest(),
        bool(award.credential_jwt),
        choice.public,
        choice.show_name,
        choice.hidden_evidence,
        shown_name,
        language,
        instance_stamp(session),
    )


def _credential_view(
    request: Request, session: Any, settings: Any, award: Any, document: dict[str, Any], choice: Any
) -> CredentialView:
    from microcred.ownership import sharing

    result = vc_api.verify(settings, request.app.state.session_factory, document)
    shown = sharing.public_document(session, award)  # without the evidence its earner chose to hide
    page = present(shown, result.verified, list(result.checks), result.format, result.nested)
    view = enrich(page, session, settings.base_url, award=award)
    page_url = urls.credential_url(award.id, settings.base_url)
    view.page_url = page_url
    view.qr_svg = qr_svg(page_url, title=f"QR code linking to {page_url}")
    view.json_url = page_url + "?format=json"
    view.jwt_url = page_url + "?format=jwt" if award.credential_jwt else None
    return view


def render_private(request: Request, templates: Any, award: Any, *, erased: bool) -> Response:
    """The page of an erased or non-public credential: its status only, nothing about its holder."""
    response: Response = templates.TemplateResponse(
        request, "credential_private.html", {"erased": erased, "status": award.status}
    )
    return response


# -- VC-API verify ----------------------------------------------------------------------------------
class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verifiableCredential: Any = Field(
        description="a credential with an embedded proof, or an EnvelopedVerifiableCredential whose id is "
        "data:application/vc+jwt,<compact JWS>"
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="checks, expectedProofPurpose, domain, challenge, returnResults, returnProblemDetails, "
        "returnCredential",
    )


class CheckOut(BaseModel):
    check: str
    passed: bool
    reason: str


class VerifyResponse(BaseModel):
    verified: bool
    checks: list[CheckOut]
    errors: list[str]
    warnings: list[str]
    format: str | None


@router.post(
    "/credentials/verify",
    response_model=VerifyResponse,
    summary="VC-API: verify a credential (200 when verified, 400 with the failed checks otherwise)",
    responses={
        400: {
            "model": VerifyResponse,
            "description": "Not verified (the failed checks say why), or a request that cannot be processed: "
            "verifiableCredential not an object, unknown or malformed options (`error` says why)",
        }
    },
)
def verify_credential(body: VerifyRequest, request: Request, settings: SettingsDep) -> JSONResponse:
    try:
        options = vc_api.parse_verify_options(body.options)
        source = vc_api.vc_api_source(body.verifiableCredential)
    except vc_api.BadVerifyRequest as exc:
        return JSONResponse(vc_api.refusal_json(str(exc)), status_code=400)
    result = vc_api.verify(settings, request.app.state.session_factory, source)
    result = vc_api.apply_options(result, options)
    answer = JSONResponse(
        vc_api.result_json(result, options, body.verifiableCredential),
        status_code=200 if result.verified else 400,
    )
    return counting.verification(request, answer, result.credential, "api")


@router.get(
    "/evidence/{evidence_id}",
    summary="A public evidence file (the stable address a credential's evidence id points at)",
    responses={404: {"description": "No such evidence, no file, or the evidence is private"}},
)
def public_evidence(evidence_id: str, session: SessionDep, settings: SettingsDep) -> Response:
    from microcred.assessments import services as assessments
    from microcred.assessments.storage import folder_store

    data, content_type = assessments.public_evidence_file(session, evidence_id, folder_store(settings.data_dir))
    return Response(
        data,
        media_type=content_type + ("; charset=utf-8" if content_type == "text/plain" else ""),
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "public, max-age=300",
        },
    )


# -- uploads: baked badges, JSON credentials, JWTs ----------------------------------------------------
@router.post(
    "/credentials/verify/upload",
    summary="Verify an uploaded file: a baked PNG/SVG badge, a JSON credential or a JWT (multipart field 'file'). "
    "POST /credentials/verify with a multipart body is answered here.",
    responses={
        400: {
            "model": VerifyResponse,
            "description": "Not verified (the failed checks say why), or a file "
            "that is neither a baked badge nor a credential (`error` says why)",
        }
    },
)
def verify_file(request: Request, settings: SettingsDep, file: Annotated[UploadFile, File()]) -> JSONResponse:
    raw = file.file.read(settings.max_body_bytes + 1)
    try:
        text = unbake(raw) if looks_baked(raw) else raw.decode("utf-8-sig").strip()
    except BakingError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    except UnicodeDecodeError:
        return JSONResponse({"error": "the file is neither a baked PNG/SVG badge nor UTF-8 text"}, status_code=400)
    source: Any = text
    if text.startswith("{"):
        try:
            source = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return JSONResponse({"error": "the file's credential is not valid JSON"}, status_code=400)
    result = vc_api.verify(settings, request.app.state.session_factory, source)
    answer = JSONResponse(vc_api.result_json(result), status_code=200 if result.verified else 400)
    return counting.verification(request, answer, result.credential, "api")
