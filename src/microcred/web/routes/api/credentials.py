"""VC-API issue (`POST /credentials/issue`, bearer token): sign a caller's credential with one of this
instance's organisations, after checking it is a signable VCDM 2.0 / 1.1 credential."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.vc import VCError, sign_data_integrity
from microcred.vc.contexts import CREDENTIALS_V1, CREDENTIALS_V2
from microcred.vc.dataintegrity import parse_datetime, with_proof_context
from microcred.vc.fields import as_list
from microcred.vc.fields import issuer_id as credential_issuer_id
from microcred.vc.schema import schema_errors, schema_for
from microcred.web.deps import Authenticated, SessionDep, SettingsDep

router = APIRouter(tags=["credentials"])

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
    return (
        _context_problem(credential.get("@context"))
        or _type_problem(credential.get("type"))
        or _subject_problem(credential)
        or _date_problem(credential, version_1=credential["@context"][0] == CREDENTIALS_V1)
    )


def _context_problem(contexts: Any) -> str | None:
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
    return None


def _type_problem(types: Any) -> str | None:
    if types is None:
        return "credential.type is required"
    if not all(isinstance(t, str) for t in as_list(types)) or types == []:
        return "credential.type must be a string or an array of strings"
    if "VerifiableCredential" not in as_list(types):
        return "credential.type must include VerifiableCredential"
    return None


def _subject_problem(credential: dict[str, Any]) -> str | None:
    if "credentialSubject" not in credential:
        return "credential.credentialSubject is required (the subject the credential makes claims about)"
    subjects = credential["credentialSubject"]
    subject_list = subjects if isinstance(subjects, list) else [subjects]
    if not subject_list or not all(isinstance(s, dict) for s in subject_list):
        return "credential.credentialSubject must be an object (or a non-empty array of objects)"
    if any(not s for s in subject_list):
        return "credential.credentialSubject must make at least one claim (it is empty)"
    return None


def _date_problem(credential: dict[str, Any], *, version_1: bool) -> str | None:
    """The date properties: those of the credential's data model only, each an XML Schema dateTime with a zone."""
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
