"""HTTP for earner ownership: backpack downloads, sharing, wallet offers, account (addresses, DID, export, erasure);
the OID4VCI issuer endpoints; the bearer API; uploads of baked badges to POST /credentials/verify."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.types import ASGIApp, Receive, Scope, Send

from microcred.accounts import mail
from microcred.accounts.models import User
from microcred.assessments.storage import folder_store
from microcred.awards import exports
from microcred.awards import services as awards
from microcred.awards.models import Award
from microcred.earners import services as earners
from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.issuers import keystore
from microcred.ownership import delivery, erasure, identity, oid4vci, portability, sharing
from microcred.settings import Settings
from microcred.vc.baking import BakingError, looks_baked, unbake
from microcred.web import apidoc, security, verification
from microcred.web.auth import CsrfChecked, require_earner
from microcred.web.deps import Authenticated, SessionDep, SettingsDep
from microcred.web.i18n import current_language
from microcred.web.i18n import gettext as _
from microcred.web.qr import qr_svg
from microcred.web.render import render
from microcred.web.routes.credentials import VerifyResponse

backpack = APIRouter(prefix="/backpack", tags=["backpack"], include_in_schema=False, dependencies=[CsrfChecked])
wallet = APIRouter(tags=["wallet (OID4VCI)"])
api = APIRouter(prefix="/api", tags=["earner ownership"], dependencies=[Authenticated])
verify_upload = APIRouter(tags=["credentials"])
EarnerUser = Annotated[User, Depends(require_earner)]
Format = Literal["di", "jwt", "png", "svg", "pdf"]


def _own_award(session: Any, user: User, award_id: str) -> Award:
    award = awards.get_award(session, award_id)
    if award.earner_id != user.earner_id:
        raise NotFound(f"no award with id {award_id}")  # never confirm someone else's award
    return award


def _file_response(out: exports.ExportFile) -> Response:
    return Response(out.data, media_type=out.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{out.filename}"'})


# -- backpack: downloads, sharing, wallet -----------------------------------------------------------
@backpack.get("/credentials/{award_id}/download/{fmt}", name="backpack_download")
def download(award_id: str, fmt: Format, session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    award = _own_award(session, user, award_id)
    return _file_response(
        exports.export_file(session, award, fmt, base_url=settings.base_url, lang=current_language(), gettext=_)
    )


def _share_page(request: Request, session: Any, settings: Settings, award: Award, *, saved: bool = False) -> Response:
    summary = awards.summarise(session, award)
    choice = sharing.share_choice(session, award.id)
    document = awards.credential_document(award)
    raw_evidence = document.get("evidence")
    evidence: list[Any] = raw_evidence if isinstance(raw_evidence, list) else []
    items = [
        {"index": i, "name": (e.get("name") or e.get("narrative") or e.get("id") or str(i + 1))[:120],
         "shown": i not in choice.hidden_evidence}
        for i, e in enumerate(evidence) if isinstance(e, dict)
    ]
    return render(request, "backpack/share.html", {
        "award_id": str(award.id), "name": summary.achievement_name, "public": choice.public, "evidence": items,
        "show_name": choice.show_name, "holder_name": summary.earner_name,
        "url": awards.credential_url(award.id, settings.base_url),
        "linkedin_url": sharing.linkedin_url(session, award, settings.base_url),
        "embed": sharing.embed_snippet(session, award, settings.base_url), "saved": saved,
    })


@backpack.get("/credentials/{award_id}/share", name="backpack_share")
def share_form(award_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser
               ) -> Response:
    return _share_page(request, session, settings, _own_award(session, user, award_id))


@backpack.post("/credentials/{award_id}/share", name="backpack_share_save")
async def share_save(award_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser
                     ) -> Response:
    award = _own_award(session, user, award_id)
    form = await request.form()
    shown = {int(str(v)) for v in form.getlist("show_evidence") if str(v).isdigit()}
    total = sharing.evidence_count(award)
    sharing.set_share_choice(session, award, public=form.get("public") == "yes",
                             hidden_evidence=[i for i in range(total) if i not in shown],
                             show_name=form.get("show_name") == "yes")
    session.commit()
    return _share_page(request, session, settings, award, saved=True)


@backpack.post("/credentials/{award_id}/wallet", name="backpack_wallet_offer")
def wallet_offer(award_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser
                 ) -> Response:
    award = _own_award(session, user, award_id)
    offer = oid4vci.create_offer(session, award, base_url=settings.base_url)
    session.commit()
    return render(request, "backpack/wallet.html", {
        "name": awards.summarise(session, award).achievement_name, "offer": offer,
        "qr": qr_svg(offer.deep_link, title=_("QR code of the wallet offer")),
    })


# -- backpack: account ------------------------------------------------------------------------------
def _account_page(request: Request, session: Any, settings: Settings, user: User, *, message: str | None = None,
                  error: str | None = None, status_code: int = 200) -> Response:
    earner = earners.get_earner(session, str(user.earner_id))
    challenge = identity.did_challenge(session, earner)
    session.commit()
    return render(request, "backpack/account.html", {
        "earner": earner, "emails": identity.emails(session, earner.id), "challenge": challenge,
        "audience": oid4vci.issuer_id(settings.base_url), "message": message, "error": error,
    }, status_code=status_code)


@backpack.get("/account", name="backpack_account")
def account(request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    return _account_page(request, session, settings, user)


@backpack.post("/account/emails", name="backpack_add_email")
async def add_email(request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    form = await request.form()
    earner = earners.get_earner(session, str(user.earner_id))
    try:
        row, token = identity.add_email(session, earner, str(form.get("email") or ""))
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        return _account_page(request, session, settings, user, error=str(exc), status_code=422)
    session.commit()
    link = f"{settings.base_url.rstrip('/')}/backpack/account/emails/verify/{token}"
    mail.send_mail(
        settings, to=row.email, subject=_("Confirm your address for microcred"),
        body=_("Hello %(name)s,\n\nConfirm that this address is yours (the link works for 24 hours, while you are "
               "signed in):\n\n%(link)s\n\nCredentials sent to this address will then appear in your backpack. If "
               "you did not ask for this, ignore this message.\n", name=earner.name, link=link),
        language=current_language(),
    )
    return _account_page(request, session, settings, user,
                         message=_("We sent a confirmation link to %(email)s.", email=row.email))


@backpack.get("/account/emails/verify/{token}", name="backpack_email_confirm")
def email_confirm_form(token: str, request: Request, session: SessionDep, user: EarnerUser) -> Response:
    row = identity.pending_email(session, token)
    return render(request, "backpack/email_confirm.html",
                  {"token": token, "email": row.email if row and row.earner_id == user.earner_id else None})


@backpack.post("/account/emails/verify/{token}", name="backpack_email_verify")
def email_confirm(token: str, request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser
                  ) -> Response:
    earner = earners.get_earner(session, str(user.earner_id))
    try:
        done = identity.confirm_email(session, earner, token)
    except InvalidInput as exc:
        session.rollback()
        return _account_page(request, session, settings, user, error=str(exc), status_code=422)
    session.commit()
    message = _("%(email)s is now one of your verified addresses.", email=done.email)
    if done.merged_earner_id is not None:
        message += " " + _("The account of that address was merged into yours (%(num)s credentials).",
                           num=done.awards_claimed)
    return _account_page(request, session, settings, user, message=message)


@backpack.post("/account/did", name="backpack_bind_did")
async def bind_did(request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    form = await request.form()
    earner = earners.get_earner(session, str(user.earner_id))
    try:
        did = identity.bind_did(session, earner, str(form.get("proof") or ""),
                                audience=oid4vci.issuer_id(settings.base_url))
    except InvalidInput as exc:
        session.rollback()
        return _account_page(request, session, settings, user, error=str(exc), status_code=422)
    session.commit()
    return _account_page(request, session, settings, user,
                         message=_("Credentials issued from now on name %(did)s.", did=did))


@backpack.get("/export.zip", name="backpack_export")
def export_all(session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    data = portability.build_archive(session, user.earner_id, base_url=settings.base_url,
                                     store=folder_store(settings.data_dir), lang=current_language(), gettext=_)
    session.commit()
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="my-microcred-data.zip"'})


@backpack.post("/account/delete", name="backpack_delete_account")
async def delete_account(request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    form = await request.form()
    if str(form.get("confirm") or "").strip().upper() not in ("DELETE", "SUPPRIMER"):
        return _account_page(request, session, settings, user, status_code=422,
                             error=_("Type DELETE to confirm that your account and data are to be erased."))
    erasure.erase_earner(session, str(user.earner_id), store=folder_store(settings.data_dir))
    session.commit()
    request.scope.setdefault("state", {})["user"] = None  # the account no longer exists
    response = render(request, "backpack/erased.html", {})
    security.clear_session_cookie(response, settings)
    return response


# -- OID4VCI ----------------------------------------------------------------------------------------
def _oauth_error(exc: oid4vci.OAuthError) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.code}"'
    return JSONResponse(exc.to_json(), status_code=exc.status, headers=headers)


@wallet.get("/.well-known/openid-credential-issuer", summary="OID4VCI Credential Issuer Metadata")
def credential_issuer_metadata(settings: SettingsDep) -> JSONResponse:
    return JSONResponse(oid4vci.issuer_metadata(settings.base_url))


@wallet.get("/.well-known/oauth-authorization-server", summary="OAuth 2.0 Authorization Server Metadata")
def authorization_server_metadata(settings: SettingsDep) -> JSONResponse:
    return JSONResponse(oid4vci.authorization_server_metadata(settings.base_url))


@wallet.get("/oid4vci/offers/{code}", summary="A Credential Offer (the credential_offer_uri of a QR code)")
def credential_offer(code: str, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    try:
        return JSONResponse(oid4vci.offer_document(session, code, base_url=settings.base_url),
                            headers={"Cache-Control": "no-store"})
    except oid4vci.OAuthError as exc:
        return _oauth_error(exc)


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


@wallet.post("/oid4vci/token", summary="Token endpoint (pre-authorized code grant, optional tx_code)",
             openapi_extra={"requestBody": _TOKEN_FORM})
async def token(request: Request, session: SessionDep) -> JSONResponse:
    form = await request.form()
    try:
        body = oid4vci.exchange_code(session, {k: str(v) for k, v in form.items()})
    except oid4vci.OAuthError as exc:
        session.commit()  # failed transaction-code attempts count
        return _oauth_error(exc)
    session.commit()
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@wallet.post("/oid4vci/nonce", summary="Nonce endpoint: a fresh c_nonce for the key proof")
def nonce(session: SessionDep) -> JSONResponse:
    value = oid4vci.new_c_nonce(session)
    session.commit()
    return JSONResponse({"c_nonce": value}, headers={"Cache-Control": "no-store"})


@wallet.post("/oid4vci/credential", summary="Credential endpoint (bearer access token, jwt key proof)",
             responses=apidoc.errors(400, 401), openapi_extra={"requestBody": _CREDENTIAL_REQUEST})
async def credential(request: Request, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    header = request.headers.get("authorization") or ""
    token_value = header[7:].strip() if header.lower().startswith("bearer ") else None
    try:
        body = json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        body = None
    try:
        response = oid4vci.issue_credential(session, token_value, body, base_url=settings.base_url,
                                            master_key=keystore.load_master_key(settings))
    except oid4vci.OAuthError as exc:
        session.commit()  # a nonce used by a failed request stays used
        return _oauth_error(exc)
    session.commit()
    return JSONResponse(response, headers={"Cache-Control": "no-store"})


# -- bearer API -------------------------------------------------------------------------------------
class EmailRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: Literal["en", "fr"] = "en"


class OfferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tx_code: bool = True


def _earner_ref(session: Any, ref: str) -> Any:
    from microcred.transcripts.clr import find_earner

    return find_earner(session, ref)


@api.get("/awards/{award_id}/export", summary="An award as di, jwt, png or svg (baked), or pdf (certificate)")
def api_export(award_id: str, session: SessionDep, settings: SettingsDep, format: Format = "di",
               lang: Literal["en", "fr"] = "en") -> Response:
    from microcred.web.i18n import translations

    award = awards.get_award(session, award_id)
    return _file_response(exports.export_file(session, award, format, base_url=settings.base_url, lang=lang,
                                              gettext=translations(lang).gettext))


@api.post("/awards/{award_id}/email", summary="Email the award to its earner with a claim link (EN or FR)")
def api_email(award_id: str, body: EmailRequest, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    sent = delivery.send_award(session, settings, awards.get_award(session, award_id), language=body.language)
    session.commit()
    return JSONResponse({"sent": sent}, status_code=200 if sent else 502)


@api.post("/awards/{award_id}/wallet-offer", status_code=201, summary="An OID4VCI credential offer for the award")
def api_offer(award_id: str, body: OfferRequest, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    try:
        offer = oid4vci.create_offer(session, awards.get_award(session, award_id), base_url=settings.base_url,
                                     with_tx_code=body.tx_code)
    except oid4vci.OAuthError as exc:
        return _oauth_error(exc)
    session.commit()
    return JSONResponse({"credential_offer_uri": offer.offer_uri, "deep_link": offer.deep_link,
                         "tx_code": offer.tx_code, "expires_at": offer.expires_at}, status_code=201)


@api.get("/earners/{earner_ref}/export.zip", summary="Everything of an earner: credentials, profile, evidence")
def api_export_all(earner_ref: str, session: SessionDep, settings: SettingsDep) -> Response:
    earner = _earner_ref(session, earner_ref)
    data = portability.build_archive(session, earner.id, base_url=settings.base_url,
                                     store=folder_store(settings.data_dir))
    session.commit()
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="earner-{earner.id}.zip"'})


# {earner_id}, as GET /api/earners/{earner_id}: one resource, one path in the OpenAPI (and one Allow header)
@api.delete("/earners/{earner_id}", summary="Erase an earner (keeps the minimum award ledger)")
def api_erase(earner_id: str, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    earner = _earner_ref(session, earner_id)
    report = erasure.erase_earner(session, earner.id, store=folder_store(settings.data_dir))
    session.commit()
    return JSONResponse({"earner_id": str(report.earner_id), "awards_kept": report.awards_kept,
                         "rows_deleted": report.rows_deleted, "files_deleted": report.files_deleted})


# -- verify uploads -----------------------------------------------------------------------------------
@verify_upload.post(
    "/credentials/verify/upload",
    summary="Verify an uploaded file: a baked PNG/SVG badge, a JSON credential or a JWT (multipart field 'file'). "
    "POST /credentials/verify with a multipart body is answered here.",
    responses={400: {"model": VerifyResponse, "description": "Not verified (the failed checks say why), or a file "
                     "that is neither a baked badge nor a credential (`error` says why)"}},
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
    result = verification.verify(settings, request.app.state.session_factory, source)
    return JSONResponse(verification.result_json(result), status_code=200 if result.verified else 400)


_MULTIPART = re.compile(rb"multipart/form-data", re.IGNORECASE)


class MultipartVerifyRewrite:
    """Route ``POST /credentials/verify`` with a multipart body to the upload handler (JSON bodies are unchanged)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST" and scope.get("path") == "/credentials/verify":
            content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
            if _MULTIPART.match(content_type):
                scope = {**scope, "path": "/credentials/verify/upload", "raw_path": b"/credentials/verify/upload"}
        await self.app(scope, receive, send)
