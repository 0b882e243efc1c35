"""Credentials: the public page with content negotiation, and the VC-API issue / verify endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from microcred.awards import services as awards
from microcred.errors import InvalidInput, NotFound
from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.vc import VCError, sign_data_integrity
from microcred.vc.fields import issuer_id as credential_issuer_id
from microcred.vc.schema import schema_errors, schema_for
from microcred.web import negotiation, verification
from microcred.web.deps import Authenticated, SessionDep, SettingsDep, TemplatesDep
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
    response: Response = templates.TemplateResponse(request, "credential.html", {"view": view}, status_code=status_code)
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
    if format is not None:
        if format not in _FORMATS:
            raise InvalidInput(f"format must be one of json, jwt, html (got {format[:20]!r})")
        chosen: str | None = _FORMATS[format]
    else:
        chosen = negotiation.choose(request.headers.get("accept"), _OFFERED)
    award = awards.get_award(session, credential_id)
    vary = {"Vary": "Accept"}
    from microcred.awards.exports import award_erased
    from microcred.earners import sharing
    from microcred.web.auth import user_from_cookie

    erased = award_erased(session, award)
    viewer = user_from_cookie(request, session)
    if erased or not sharing.visible_to(session, award, viewer.earner_id if viewer is not None else None):
        # Erased: the instance keeps no copy. Not public: nothing personal for anyone but its earner.
        if chosen == negotiation.HTML:
            response = render_private(request, templates, award, erased=erased)
            response.headers["Vary"] = "Accept, Cookie"
            return response
        message = (
            "this credential's holder erased their data here; the instance keeps no copy (verify the holder's own "
            "copy with POST /credentials/verify)"
            if erased
            else "this credential is not public; its holder can download it or make it public"
        )
        return JSONResponse({"error": message}, status_code=410 if erased else 403, headers=vary)
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
        return Response(award.credential_jwt, media_type=negotiation.VC_JWT, headers=vary)
    if chosen != negotiation.HTML:
        return Response(award.credential_json, media_type=negotiation.JSON_LD, headers=vary)

    document = awards.credential_document(award)
    result = verification.verify(settings, request.app.state.session_factory, document)
    shown = sharing.public_document(session, award)  # without the evidence its earner chose to hide
    page = present(shown, result.verified, list(result.checks), result.format, result.nested)
    view = enrich(page, session, settings.base_url)
    page_url = awards.credential_url(award.id, settings.base_url)
    view.page_url = page_url
    view.qr_svg = qr_svg(page_url, title=f"QR code linking to {page_url}")
    view.json_url = page_url + "?format=json"
    view.jwt_url = page_url + "?format=jwt" if award.credential_jwt else None
    response = render_verdict(request, templates, view)
    response.headers["Vary"] = "Accept"
    return response


def render_private(request: Request, templates: Any, award: Any, *, erased: bool) -> Response:
    """The page of an erased or non-public credential: its status only, nothing about its holder."""
    response: Response = templates.TemplateResponse(
        request, "credential_private.html", {"erased": erased, "status": award.status}
    )
    return response


# -- VC-API -------------------------------------------------------------------------------------------
class IssueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credential: dict[str, Any] = Field(
        description="an unsigned OB 3.0 credential; issuer = the DID of one of this instance's organisations"
    )
    options: dict[str, Any] = Field(default_factory=dict, description="no options are supported yet")


class IssueResponse(BaseModel):
    verifiableCredential: dict[str, Any]


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verifiableCredential: dict[str, Any] | str = Field(
        description="a credential with an embedded proof, a compact VC-JWT, or an EnvelopedVerifiableCredential"
    )
    options: dict[str, Any] = Field(default_factory=dict)


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
    "/credentials/issue",
    status_code=201,
    response_model=IssueResponse,
    summary="VC-API: sign a credential with one of this instance's organisations",
    dependencies=[Authenticated],
    responses={400: {"description": "Invalid credential"}, 401: {"description": "Missing or wrong token"}},
)
def issue_credential(body: IssueRequest, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    credential = body.credential
    if body.options:
        return JSONResponse(
            {"error": f'unsupported option(s): {", ".join(sorted(body.options))}; send "options": {{}}'},
            status_code=400,
        )
    issuer_id = credential_issuer_id(credential)
    if issuer_id is None:
        return JSONResponse({"error": "credential.issuer (or issuer.id) is required"}, status_code=400)
    base = settings.base_url
    organisation = None
    for org in issuers.list_organisations(session):
        if issuer_id == issuers.did_for(org, base):
            organisation = org
            break
        if issuer_id == issuers.issuer_url(org, base):
            return JSONResponse(
                {"error": f"use the organisation's DID as issuer: {issuers.did_for(org, base)}"}, status_code=400
            )
    if organisation is None:
        return JSONResponse(
            {
                "error": f"issuer {issuer_id[:200]!r} is not an organisation of this instance; "
                "use the DID of one of them (see GET /api/organisations)"
            },
            status_code=400,
        )
    if "proof" in credential:
        return JSONResponse({"error": "the credential already has a proof; send it unsigned"}, status_code=400)
    schema = schema_for(credential)
    if schema is not None:
        problems = schema_errors(credential, schema)
        if problems:
            return JSONResponse(
                {
                    "error": "credential does not match the OB 3.0 JSON Schema: " + "; ".join(problems[:5]),
                    "details": problems,
                },
                status_code=400,
            )
    key, verification_method = issuers.signing_key(
        session, organisation, base_url=base, master_key=keystore.load_master_key(settings)
    )
    try:
        signed = sign_data_integrity(credential, key, verification_method)
    except VCError as exc:
        session.rollback()
        return JSONResponse({"error": f"cannot sign this credential: {exc}"}, status_code=400)
    session.commit()  # the organisation's key may have just been created
    return JSONResponse({"verifiableCredential": signed}, status_code=201)


@router.post(
    "/credentials/verify",
    response_model=VerifyResponse,
    summary="VC-API: verify a credential (200 when verified, 400 with the failed checks otherwise)",
    responses={400: {"model": VerifyResponse, "description": "Not verified, or malformed request"}},
)
def verify_credential(body: VerifyRequest, request: Request, settings: SettingsDep) -> JSONResponse:
    result = verification.verify(settings, request.app.state.session_factory, body.verifiableCredential)
    return JSONResponse(verification.result_json(result), status_code=200 if result.verified else 400)


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
