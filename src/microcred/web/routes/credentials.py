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
from microcred.vc.contexts import CREDENTIALS_V1, CREDENTIALS_V2
from microcred.vc.dataintegrity import parse_datetime, with_proof_context
from microcred.vc.fields import as_list
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
    from microcred.ownership import sharing
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
# Issue options: the current VC-API's credentialId and mandatoryPointers, and the proof's created date that the
# earlier VC-API (and the W3C test suites' implementation settings) pass as options.created.
ISSUE_OPTIONS = ("created", "credentialId", "mandatoryPointers")
_V2_ONLY = ("validFrom", "validUntil")
_V1_ONLY = ("issuanceDate", "expirationDate")


class IssueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credential: dict[str, Any] = Field(
        description="an unsigned VCDM 2.0 or 1.1 credential (OB 3.0 credentials are checked against their JSON "
        "Schema); issuer = the DID of one of this instance's organisations"
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="credentialId (a URI, informational), created (the proof's dateTime), mandatoryPointers "
        "(selective disclosure only: must be empty with eddsa-rdfc-2022)",
    )


class IssueResponse(BaseModel):
    verifiableCredential: dict[str, Any]


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


def _refuse(reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=400)


def _issue_options_problem(options: dict[str, Any]) -> str | None:
    unknown = sorted(k for k in options if k not in ISSUE_OPTIONS)
    if unknown:
        return f"unsupported option(s): {', '.join(unknown)[:300]}; this issuer accepts {', '.join(ISSUE_OPTIONS)}"
    credential_id = options.get("credentialId")
    if credential_id is not None and (not isinstance(credential_id, str) or not credential_id):
        return "options.credentialId must be a non-empty string (a URI)"
    pointers = options.get("mandatoryPointers")
    if pointers is not None:
        if not isinstance(pointers, list) or not all(isinstance(p, str) for p in pointers):
            return "options.mandatoryPointers must be a list of JSON pointers"
        if pointers:
            return (
                "options.mandatoryPointers applies to selective-disclosure cryptosuites; this issuer signs with "
                "eddsa-rdfc-2022, which discloses the whole credential: send [] or leave it out"
            )
    created = options.get("created")
    if created is not None:
        try:
            parse_datetime(created)
        except ValueError as exc:
            return f"options.created must be an XML Schema dateTime with a time zone: {exc}"
    return None


def _credential_problem(credential: dict[str, Any]) -> str | None:
    """What makes ``credential`` unsignable under VCDM 2.0 / 1.1, in words a developer can act on; None if nothing."""
    contexts = credential.get("@context")
    if contexts is None:
        return "credential.@context is required"
    if not isinstance(contexts, list) or not contexts:
        return "credential.@context must be an array whose first item is https://www.w3.org/ns/credentials/v2"
    if contexts[0] not in (CREDENTIALS_V2, CREDENTIALS_V1):
        return (
            f"the first @context must be {CREDENTIALS_V2} (VCDM 2.0) or {CREDENTIALS_V1} (VCDM 1.1); "
            f"got {str(contexts[0])[:120]!r}"
        )
    for index, item in enumerate(contexts):
        if not isinstance(item, (str, dict)):
            return f"credential.@context[{index}] must be a context URL or a context object"
    types = credential.get("type")
    if types is None:
        return "credential.type is required"
    if not all(isinstance(t, str) for t in as_list(types)) or types == []:
        return "credential.type must be a string or an array of strings"
    if "VerifiableCredential" not in as_list(types):
        return "credential.type must include VerifiableCredential"
    if "credentialSubject" not in credential:
        return "credential.credentialSubject is required (the subject the credential makes claims about)"
    subjects = credential["credentialSubject"]
    subject_list = subjects if isinstance(subjects, list) else [subjects]
    if not subject_list or not all(isinstance(s, dict) for s in subject_list):
        return "credential.credentialSubject must be an object (or a non-empty array of objects)"
    if any(not s for s in subject_list):
        return "credential.credentialSubject must make at least one claim (it is empty)"
    version_1 = contexts[0] == CREDENTIALS_V1
    wrong = _V2_ONLY if version_1 else _V1_ONLY
    present = [f for f in wrong if f in credential]
    if present:
        other = _V1_ONLY if version_1 else _V2_ONLY
        model = "VCDM 1.1 (credentials/v1)" if version_1 else "VCDM 2.0 (credentials/v2)"
        return f"{', '.join(present)}: not a {model} property; use {' / '.join(other)}"
    if version_1 and "issuanceDate" not in credential:
        return "a VCDM 1.1 credential needs issuanceDate (VCDM 2.0: validFrom is optional)"
    for field in (*_V2_ONLY, *_V1_ONLY):
        if field in credential:
            try:
                parse_datetime(credential[field])
            except ValueError as exc:
                return f"credential.{field} must be an XML Schema dateTime with a time zone: {exc}"
    return None


@router.post(
    "/credentials/issue",
    status_code=201,
    response_model=IssueResponse,
    summary="VC-API: sign a credential with one of this instance's organisations",
    dependencies=[Authenticated],
    responses={
        400: {"description": "Invalid credential or options (nothing is signed or stored)"},
        401: {"description": "Missing or wrong token"},
    },
)
def issue_credential(body: IssueRequest, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    credential = body.credential
    problem = _issue_options_problem(body.options) or _credential_problem(credential)
    if problem:
        return _refuse(problem)
    issuer_id = credential_issuer_id(credential)
    if issuer_id is None:
        return _refuse("credential.issuer (or issuer.id) is required")
    base = settings.base_url
    organisation = None
    for org in issuers.list_organisations(session):
        if issuer_id == issuers.did_for(org, base):
            organisation = org
            break
        if issuer_id == issuers.issuer_url(org, base):
            return _refuse(f"use the organisation's DID as issuer: {issuers.did_for(org, base)}")
    if organisation is None:
        return _refuse(
            f"issuer {issuer_id[:200]!r} is not an organisation of this instance; "
            "use the DID of one of them (see GET /api/organisations)"
        )
    if "proof" in credential:
        return _refuse("the credential already has a proof; send it unsigned")
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
    # VCDM 1.1 contexts do not define DataIntegrityProof: the Data Integrity context is added, as the spec says.
    unsigned = with_proof_context(credential)
    key, verification_method = issuers.signing_key(
        session, organisation, base_url=base, master_key=keystore.load_master_key(settings)
    )
    try:
        signed = sign_data_integrity(unsigned, key, verification_method, created=body.options.get("created"))
    except VCError as exc:
        session.rollback()
        return _refuse(f"cannot sign this credential: {exc}")
    session.commit()  # the organisation's key may have just been created
    return JSONResponse({"verifiableCredential": signed}, status_code=201)


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
        options = verification.parse_verify_options(body.options)
        source = verification.vc_api_source(body.verifiableCredential)
    except verification.BadVerifyRequest as exc:
        return JSONResponse(verification.refusal_json(str(exc)), status_code=400)
    result = verification.verify(settings, request.app.state.session_factory, source)
    result = verification.apply_options(result, options)
    return JSONResponse(
        verification.result_json(result, options, body.verifiableCredential),
        status_code=200 if result.verified else 400,
    )


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
