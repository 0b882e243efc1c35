"""Sign in (one-time email link, or password for staff), sign out, and the language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from microcred.accounts import mail
from microcred.accounts import services as accounts
from microcred.accounts.services import User
from microcred.db.base import utcnow
from microcred.i18n import LANGUAGES, N_, current_language
from microcred.i18n import gettext as _
from microcred.web import counting, security
from microcred.web.auth import CsrfChecked, CurrentUser, safe_next
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.i18n import COOKIE as LANGUAGE_COOKIE
from microcred.web.render import render

router = APIRouter(tags=["sign-in"], include_in_schema=False, dependencies=[CsrfChecked])


def landing(user: User) -> str:
    return "/backpack" if user.role == "earner" else "/console"


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _too_many_attempts(session: Session, request: Request, address: str) -> bool:
    """Whether this address or client is over its sign-in limits (the attempt is counted and kept either way)."""
    if not accounts.rate_limited(session, accounts.sign_in_limits(address, _client_ip(request))):
        return False
    session.commit()
    return True


TOO_MANY = N_("Too many sign-in attempts. Wait 15 minutes, then try again.")


def _sign_in_page(
    request: Request,
    *,
    next_url: str | None,
    email: str = "",
    link_error: str | None = None,
    password_error: str | None = None,
    password_email: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "auth/sign_in.html",
        {
            "next_url": next_url or "",
            "email": email,
            "link_error": link_error,
            "password_error": password_error,
            "password_email": password_email,
        },
        status_code=status_code,
    )


@router.get("/sign-in", name="sign_in")
def sign_in_form(request: Request, user: CurrentUser, next: str | None = None) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next) or landing(user), status_code=303)
    return _sign_in_page(request, next_url=safe_next(next))


def _signed_in(request: Request, user: User, next_url: str | None) -> Response:
    response = RedirectResponse(next_url or landing(user), status_code=303)
    security.set_session_cookie(
        response, request.app.state.settings, security.secret_for(request.app), str(user.id), user.session_version
    )
    return response


@router.post("/sign-in/link", name="sign_in_link")
def request_link(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    next_url = safe_next(next)
    address = email.strip().lower()
    if "@" not in address or len(address) > 320 or " " in address:
        return _sign_in_page(
            request,
            next_url=next_url,
            email=email,
            link_error=_("Enter an email address, such as name@example.org."),
            status_code=400,
        )
    if _too_many_attempts(session, request, address):
        return _sign_in_page(request, next_url=next_url, email=email, link_error=_(TOO_MANY), status_code=429)
    user = accounts.user_for_sign_in(session, address)
    if user is not None:
        token = accounts.issue_sign_in_token(session, user)
        session.commit()
        link = f"{settings.base_url.rstrip('/')}/sign-in/link/{token}"
        if next_url:
            link += "?next=" + quote(next_url, safe="/")
        mail.send_mail(
            settings,
            to=user.email,
            subject=_("Your sign-in link for microcred"),
            body=_(
                "Hello %(name)s,\n\nUse this link to sign in to microcred. It works once, for the next 20 minutes:\n\n"
                "%(link)s\n\nIf you did not ask for it, ignore this message: nobody can sign in without the link.\n",
                name=user.name,
                link=link,
            ),
            language=current_language(),
        )
    else:
        session.commit()  # the attempt still counts
    # The same answer whether or not the address is known: no one learns who has an account.
    return render(request, "auth/link_sent.html", {"email": address})


@router.get("/sign-in/link/{token}", name="sign_in_confirm")
def confirm_link(request: Request, token: str, session: SessionDep, next: str | None = None) -> Response:
    # Opening the link does not sign in (mail scanners open links): the button below does.
    user = accounts.peek_sign_in_token(session, token)
    if user is None:
        return render(request, "auth/link_invalid.html", status_code=400)
    return render(request, "auth/confirm.html", {"token": token, "name": user.name, "next_url": safe_next(next) or ""})


@router.post("/sign-in/link/{token}", name="sign_in_consume")
def consume_link(request: Request, token: str, session: SessionDep, next: Annotated[str, Form()] = "") -> Response:
    previous = getattr(accounts.peek_sign_in_token(session, token), "last_sign_in_at", None)
    user = accounts.consume_sign_in_token(session, token)
    if user is None:
        session.rollback()
        return render(request, "auth/link_invalid.html", status_code=400)
    counting.count_claims(session, user.earner_id, previous)  # the awards this sign-in claims
    session.commit()
    return _signed_in(request, user, safe_next(next))


@router.post("/sign-in/password", name="sign_in_password")
def password_sign_in(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    next_url = safe_next(next)
    address = email.strip().lower()
    if not address or not password:
        return _sign_in_page(
            request,
            next_url=next_url,
            password_email=email,
            password_error=_("Enter your email address and your password."),
            status_code=400,
        )
    if _too_many_attempts(session, request, address):
        return _sign_in_page(
            request, next_url=next_url, password_email=email, password_error=_(TOO_MANY), status_code=429
        )
    user = accounts.check_password(session, address, password[:1024])
    if user is None:
        session.commit()
        return _sign_in_page(
            request,
            next_url=next_url,
            password_email=email,
            password_error=_("This email address and password do not match a staff account."),
            status_code=400,
        )
    user.last_sign_in_at = utcnow()
    session.commit()
    return _signed_in(request, user, next_url)


@router.post("/sign-out", name="sign_out")
def sign_out(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    if user is not None:
        accounts.end_sessions(session, user)
        session.commit()
    response = RedirectResponse("/", status_code=303)
    security.clear_session_cookie(response, request.app.state.settings)
    return response


@router.get("/language/{code}", name="language")
def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    response = RedirectResponse(safe_next(next) or "/", status_code=303)
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=365 * 86400,
            path="/",
            samesite="lax",
            secure=security.is_secure(request.app.state.settings),
        )
    return response
