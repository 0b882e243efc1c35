"""The OID4VCI credential issuer a wallet talks to: metadata, credential offers, token, nonce and credential."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from microcred.issuers import keystore
from microcred.ownership import oid4vci
from microcred.web import apidoc
from microcred.web.deps import SessionDep, SettingsDep

router = APIRouter(tags=["wallet (OID4VCI)"])


def oauth_error(exc: oid4vci.OAuthError) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.code}"'
    return JSONResponse(exc.to_json(), status_code=exc.status, headers=headers)


@router.get("/.well-known/openid-credential-issuer", summary="OID4VCI Credential Issuer Metadata")
def credential_issuer_metadata(settings: SettingsDep) -> JSONResponse:
    return JSONResponse(oid4vci.issuer_metadata(settings.base_url))


@router.get("/.well-known/oauth-authorization-server", summary="OAuth 2.0 Authorization Server Metadata")
def authorization_server_metadata(settings: SettingsDep) -> JSONResponse:
    return JSONResponse(oid4vci.authorization_server_metadata(settings.base_url))


@router.get("/oid4vci/offers/{code}", summary="A Credential Offer (the credential_offer_uri of a QR code)")
def credential_offer(code: str, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    try:
        return JSONResponse(
            oid4vci.offer_document(session, code, base_url=settings.base_url), headers={"Cache-Control": "no-store"}
        )
    except oid4vci.OAuthError as exc:
        return oauth_error(exc)


_TOKEN_FORM = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {
                    "grant_type": {"type": "string", "enum": [oid4vci.PRE_AUTHORIZED_GRANT]},
                    "pre-authorized_code": {"type": "string"},
                    "tx_code": {"type": "string"},
                },
                "required": ["grant_type", "pre-authorized_code"],
            }
        }
    },
}
_CREDENTIAL_REQUEST = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "credential_configuration_id": {"type": "string"},
                    "proofs": {"type": "object", "properties": {"jwt": {"type": "array", "items": {"type": "string"}}}},
                },
            }
        }
    },
}


@router.post(
    "/oid4vci/token",
    summary="Token endpoint (pre-authorized code grant, optional tx_code)",
    openapi_extra={"requestBody": _TOKEN_FORM},
)
async def token(request: Request, session: SessionDep) -> JSONResponse:
    form = await request.form()
    try:
        body = oid4vci.exchange_code(session, {k: str(v) for k, v in form.items()})
    except oid4vci.OAuthError as exc:
        session.commit()  # failed transaction-code attempts count
        return oauth_error(exc)
    session.commit()
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.post("/oid4vci/nonce", summary="Nonce endpoint: a fresh c_nonce for the key proof")
def nonce(session: SessionDep) -> JSONResponse:
    value = oid4vci.new_c_nonce(session)
    session.commit()
    return JSONResponse({"c_nonce": value}, headers={"Cache-Control": "no-store"})


@router.post(
    "/oid4vci/credential",
    summary="Credential endpoint (bearer access token, jwt key proof)",
    responses=apidoc.errors(400, 401),
    openapi_extra={"requestBody": _CREDENTIAL_REQUEST},
)
async def credential(request: Request, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    header = request.headers.get("authorization") or ""
    token_value = header[7:].strip() if header.lower().startswith("bearer ") else None
    try:
        body = json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        body = None
    try:
        response = oid4vci.issue_credential(
            session, token_value, body, base_url=settings.base_url, master_key=keystore.load_master_key(settings)
        )
    except oid4vci.OAuthError as exc:
        session.commit()  # a nonce used by a failed request stays used
        return oauth_error(exc)
    session.commit()
    return JSONResponse(response, headers={"Cache-Control": "no-store"})
