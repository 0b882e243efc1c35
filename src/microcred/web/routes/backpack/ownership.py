"""The earner's ownership pages: downloads, sharing choices, wallet offers, and the account (addresses, DID,
data export, erasure)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from microcred import urls
from microcred.accounts import mail
from microcred.accounts.services import User
from microcred.analytics.services import Channel
from microcred.assessments.storage import folder_store
from microcred.awards import exports
from microcred.awards import queries as awards
from microcred.awards.queries import Award
from microcred.earners import services as earners
from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.i18n import current_language
from microcred.i18n import gettext as _
from microcred.ownership import erasure, identity, oid4vci, portability, sharing
from microcred.settings import Settings
from microcred.web import counting, security
from microcred.web.auth import CsrfChecked, require_earner
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.errors import error_response
from microcred.web.qr import qr_svg
from microcred.web.render import render

router = APIRouter(prefix="/backpack", tags=["backpack"], include_in_schema=False, dependencies=[CsrfChecked])
EarnerUser = Annotated[User, Depends(require_earner)]
Format = Literal["di", "jwt", "png", "svg", "pdf"]
COPIED = (Channel.LINK, Channel.EMBED)  # what the share page's copy buttons report
# the share page's LinkedIn button is a form whose answer redirects to LinkedIn: browsers check form-action on the
# redirect too, so that page allows LinkedIn's address there (and nothing else than the usual page policy)
SHARE_PAGE_CSP = security.PAGE_CSP.replace("form-action 'self'", "form-action 'self' https://www.linkedin.com")


def _own_award(session: Any, user: User, award_id: str) -> Award:
    award = awards.get_award(session, award_id)
    if award.earner_id != user.earner_id:
        raise NotFound(f"no award with id {award_id}")  # never confirm someone else's award
    return award


def file_response(out: exports.ExportFile) -> Response:
    return Response(
        out.data, media_type=out.media_type, headers={"Content-Disposition": f'attachment; filename="{out.filename}"'}
    )


# -- downloads, sharing, wallet -------------------------------------------------------------------
@router.get("/credentials/{award_id}/download/{fmt}", name="backpack_download")
def download(
    award_id: str, fmt: Format, request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser
) -> Response:
    award = _own_award(session, user, award_id)
    response = file_response(
        exports.export_file(session, award, fmt, base_url=settings.base_url, lang=current_language(), gettext=_)
    )
    return counting.download(request, response, award, fmt)


def _share_page(request: Request, session: Any, settings: Settings, award: Award, *, saved: bool = False) -> Response:
    summary = awards.summarise(session, award)
    choice = sharing.share_choice(session, award.id)
    document = awards.credential_document(award)
    raw_evidence = document.get("evidence")
    evidence: list[Any] = raw_evidence if isinstance(raw_evidence, list) else []
    items = [
        {
            "index": i,
            "name": (e.get("name") or e.get("narrative") or e.get("id") or str(i + 1))[:120],
            "shown": i not in choice.hidden_evidence,
        }
        for i, e in enumerate(evidence)
        if isinstance(e, dict)
    ]
    response = render(
        request,
        "backpack/share.html",
        {
            "award_id": str(award.id),
            "name": summary.achievement_name,
            "public": choice.public,
            "evidence": items,
            "show_name": choice.show_name,
            "holder_name": summary.earner_name,
            "url": urls.credential_url(award.id, settings.base_url),
            "embed": sharing.embed_snippet(session, award, settings.base_url),
            "saved": saved,
        },
    )
    response.headers["content-security-policy"] = SHARE_PAGE_CSP
    return response


@router.get("/credentials/{award_id}/share", name="backpack_share")
def share_form(
    award_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser
) -> Response:
    return _share_page(request, session, settings, _own_award(session, user, award_id))


@router.post("/credentials/{award_id}/share", name="backpack_share_save")
async def share_save(
    award_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser
) -> Response:
    award = _own_award(session, user, award_id)
    form = await request.form()
    shown = {int(str(v)) for v in form.getlist("show_evidence") if str(v).isdigit()}
    total = sharing.evidence_count(award)
    sharing.set_share_choice(
        session,
        award,
        public=form.get("public") == "yes",
        hidden_evidence=[i for i in range(total) if i not in shown],
        show_name=form.get("show_name") == "yes",
    )
    session.commit()
    return _share_page(request, session, settings, award, saved=True)


@router.post("/credentials/{award_id}/shared", name="backpack_shared")
async def shared(award_id: str, request: Request, session: SessionDep, user: EarnerUser) -> Response:
    """The share page's script: the earner copied the public address (``channel=link``) or the embed snippet
    (``channel=embed``). One share event, in this request's transaction; 204."""
    award = _own_award(session, user, award_id)
    form = await request.form()
    channel = str(form.get("channel") or "")
    if channel not in COPIED:
        message = _("Say what was copied: channel=link for the public address, channel=embed for the snippet.")
        return error_response(request, 400, message)
    counting.share(session, award, channel)
    session.commit()
    return Response(status_code=204)


@router.post("/credentials/{award_id}/share/linkedin", name="backpack_share_linkedin")
def share_linkedin(
    award_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser
) -> Response:
    """The share page's LinkedIn button (a form: works without script): one share event, then on to LinkedIn's
    "add a certification" form, filled in."""
    award = _own_award(session, user, award_id)
    target = sharing.linkedin_url(session, award, settings.base_url)
    counting.share(session, award, Channel.LINKEDIN)
    session.commit()
    return RedirectResponse(target, status_code=303)


@router.post("/credentials/{award_id}/wallet", name="backpack_wallet_offer")
def wallet_offer(
    award_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser
) -> Response:
    award = _own_award(session, user, award_id)
    offer = oid4vci.create_offer(session, award, base_url=settings.base_url)
    session.commit()
    return render(
        request,
        "backpack/wallet.html",
        {
            "name": awards.summarise(session, award).achievement_name,
            "offer": offer,
            "qr": qr_svg(offer.deep_link, title=_("QR code of the wallet offer")),
        },
    )


# -- account ------------------------------------------------------------------------------
def _account_page(
    request: Request,
    session: Any,
    settings: Settings,
    user: User,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    earner = earners.get_earner(session, str(user.earner_id))
    challenge = identity.did_challenge(session, earner)
    session.commit()
    return render(
        request,
        "backpack/account.html",
        {
            "earner": earner,
            "emails": identity.emails(session, earner.id),
            "challenge": challenge,
            "audience": oid4vci.issuer_id(settings.base_url),
            "message": message,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/account", name="backpack_account")
def account(request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    return _account_page(request, session, settings, user)


@router.post("/account/emails", name="backpack_add_email")
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
        settings,
        to=row.email,
        subject=_("Confirm your address for microcred"),
        body=_(
            "Hello %(name)s,\n\nConfirm that this address is yours (the link works for 24 hours, while you are "
            "signed in):\n\n%(link)s\n\nCredentials sent to this address will then appear in your backpack. If "
            "you did not ask for this, ignore this message.\n",
            name=earner.name,
            link=link,
        ),
        language=current_language(),
    )
    return _account_page(
        request, session, settings, user, message=_("We sent a confirmation link to %(email)s.", email=row.email)
    )


@router.get("/account/emails/verify/{token}", name="backpack_email_confirm")
def email_confirm_form(token: str, request: Request, session: SessionDep, user: EarnerUser) -> Response:
    row = identity.pending_email(session, token)
    return render(
        request,
        "backpack/email_confirm.html",
        {"token": token, "email": row.email if row and row.earner_id == user.earner_id else None},
    )


@router.post("/account/emails/verify/{token}", name="backpack_email_verify")
def email_confirm(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser
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
        message += " " + _(
            "The account of that address was merged into yours (%(num)s credentials).", num=done.awards_claimed
        )
    return _account_page(request, session, settings, user, message=message)


@router.post("/account/did", name="backpack_bind_did")
async def bind_did(request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    form = await request.form()
    earner = earners.get_earner(session, str(user.earner_id))
    try:
        did = identity.bind_did(
            session, earner, str(form.get("proof") or ""), audience=oid4vci.issuer_id(settings.base_url)
        )
    except InvalidInput as exc:
        session.rollback()
        return _account_page(request, session, settings, user, error=str(exc), status_code=422)
    session.commit()
    return _account_page(
        request, session, settings, user, message=_("Credentials issued from now on name %(did)s.", did=did)
    )


@router.get("/export.zip", name="backpack_export")
def export_all(session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    data = portability.build_archive(
        session,
        user.earner_id,
        base_url=settings.base_url,
        store=folder_store(settings.data_dir),
        lang=current_language(),
        gettext=_,
    )
    session.commit()
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="my-microcred-data.zip"'},
    )


@router.post("/account/delete", name="backpack_delete_account")
async def delete_account(request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    form = await request.form()
    if str(form.get("confirm") or "").strip().upper() not in ("DELETE", "SUPPRIMER"):
        return _account_page(
            request,
            session,
            settings,
            user,
            status_code=422,
            error=_("Type DELETE to confirm that your account and data are to be erased."),
        )
    erasure.erase_earner(session, str(user.earner_id), store=folder_store(settings.data_dir))
    session.commit()
    request.scope.setdefault("state", {})["user"] = None  # the account no longer exists
    response = render(request, "backpack/erased.html", {})
    security.clear_session_cookie(response, settings)
    return response
