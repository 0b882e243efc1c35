"""did:web documents and OB 3.0 issuer profiles of this instance's organisations (VER-1: publish issuer keys)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from microcred.errors import NotFound
from microcred.issuers import services as issuers
from microcred.vc.contexts import CREDENTIALS_V2, OB_V3P0_CONTEXT
from microcred.web import apidoc
from microcred.web.deps import SessionDep, SettingsDep

router = APIRouter(tags=["identity"])

DID_MEDIA_TYPE = "application/did+json"


def default_organisation(session: Any) -> Any:
    """The instance's default issuing organisation: the first institution, else the first organisation."""
    organisations = issuers.list_organisations(session)
    if not organisations:
        raise NotFound(
            "this instance has no issuing organisation yet (run `microcred demo` or POST /api/organisations)"
        )
    for org in organisations:
        if org.kind == "institution":
            return org
    return organisations[0]


@router.get(
    "/.well-known/did.json",
    summary="The instance's did:web document",
    response_description="DID document of did:web:<host>; its keys are the default issuing organisation's",
    responses={**apidoc.errors(404), 200: {"content": {DID_MEDIA_TYPE: {}}}},
)
def instance_did_document(session: SessionDep, settings: SettingsDep) -> JSONResponse:
    base = settings.base_url.rstrip("/")
    did = issuers.did_web_for_url(base)
    default = default_organisation(session)
    org_doc = issuers.did_document(session, default, base)
    methods = [
        {**method, "id": f"{did}#{method['publicKeyMultibase']}", "controller": did}
        for method in org_doc.get("verificationMethod", [])
    ]
    organisations = issuers.list_organisations(session)
    document: dict[str, Any] = {
        "@context": org_doc["@context"],
        "id": did,
        "alsoKnownAs": [issuers.did_for(default, base)]
        + [issuers.did_for(o, base) for o in organisations if o.id != default.id],
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
        "service": [
            {
                "id": f"{did}#issuer-{org.id}",
                "type": "IssuerProfile",
                "serviceEndpoint": issuers.issuer_url(org, base),
            }
            for org in organisations
        ],
    }
    return JSONResponse(document, media_type=DID_MEDIA_TYPE)


@router.get(
    "/issuers/{org_id}/did.json",
    summary="did:web document of an organisation",
    responses={200: {"content": {DID_MEDIA_TYPE: {}}}},
)
def organisation_did_document(org_id: str, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    org = issuers.get_organisation(session, org_id)
    return JSONResponse(issuers.did_document(session, org, settings.base_url), media_type=DID_MEDIA_TYPE)


@router.get(
    "/issuers/{org_id}",
    summary="OB 3.0 Profile of an organisation",
    responses={200: {"content": {"application/ld+json": {}}}},
)
def organisation_profile(org_id: str, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    org = issuers.get_organisation(session, org_id)
    document = {"@context": [CREDENTIALS_V2, OB_V3P0_CONTEXT], **issuers.profile(org, settings.base_url)}
    return JSONResponse(document, media_type="application/ld+json")


@router.get(
    "/contexts/ob-extensions/v1.jsonld",
    summary="microcred's former (legacy) extension context, kept so that credentials issued with it stay readable",
    description="Nothing is signed with it any more (docs/ob-extensions.md); served read-only for old credentials.",
    responses={200: {"content": {"application/ld+json": {}}}},
)
def ob_extensions_context() -> JSONResponse:
    from microcred.vc.contexts import MICROCRED_OB_EXTENSIONS, ContextRegistry

    return JSONResponse(
        ContextRegistry.default().get(MICROCRED_OB_EXTENSIONS),
        media_type="application/ld+json",
        headers={"Cache-Control": "public, max-age=86400", "Access-Control-Allow-Origin": "*"},
    )
