"""Who is signed in, what they may do, and the CSRF check every HTML form goes through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request

from microcred.accounts import services as accounts
from microcred.accounts.services import User
from microcred.errors import AuthenticationRequired, PermissionDenied
from microcred.i18n import gettext as _
from microcred.web import security
from microcred.web.deps import SessionDep


class SignInRequired(AuthenticationRequired):
    """Raised for a page that needs a signed-in user; answered with a redirect to the sign-in page (its own
    handler in web/errors.py, before the 401 of the error table)."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class Forbidden(PermissionDenied):
    """The signed-in user's role does not allow this; answered with a 403 page (the error table's status)."""


class CsrfFailed(PermissionDenied):
    """A form came back without a valid CSRF token; answered with a 403 page that says to reload the form (its own
    handler in web/errors.py)."""


def user_from_cookie(request: Request, session: Any) -> User | None:
    """The user of the request's session cookie (cached on the request), if it is valid and current."""
    state = request.scope.setdefault("state", {})
    if "user" in state:
        cached: User | None = state["user"]
        return cached
    settings = request.app.state.settings
    data = security.decode_session(
        security.secret_for(request.app), request.cookies.get(security.session_cookie_name(settings))
    )
    user = None
    if data is not None:
        try:
            candidate = accounts.get_user(session, data.user_id)
        except Exception:  # unknown id, or a malformed one: no session
            candidate = None
        if candidate is not None and candidate.session_version == data.version:
            user = candidate
    state["user"] = user
    return user


def optional_user(request: Request, session: SessionDep) -> User | None:
    return user_from_cookie(request, session)


def _next(request: Request) -> str:
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return path


def require_user(request: Request, session: SessionDep) -> User:
    user = user_from_cookie(request, session)
    if user is None:
        raise SignInRequired(_next(request))
    return user


def require(permission: str) -> Callable[..., User]:
    """A dependency: the signed-in staff member, who must hold ``permission``."""

    def dependency(request: Request, session: SessionDep) -> User:
        user = require_user(request, session)
        if not accounts.can(user, permission):
            raise Forbidden(_("Your role does not allow this."))
        return user

    return dependency


def require_earner(request: Request, session: SessionDep) -> User:
    user = require_user(request, session)
    if user.role != "earner" or user.earner_id is None:
        raise Forbidden(
            _("The backpack is for earners: sign in with the email address your credentials were issued to.")
        )
    return user


async def check_csrf(request: Request) -> None:
    """For POST/PUT/PATCH/DELETE: the form's ``csrf_token`` must match this browser and session."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    submitted = form.get(security.CSRF_FIELD)
    if not isinstance(submitted, str) or not security.csrf_valid(request, submitted):
        raise CsrfFailed()


def sign_in_url(next_url: str) -> str:
    return "/sign-in?next=" + quote(next_url, safe="/")


def safe_next(value: str | None) -> str | None:
    """A local path to go back to after signing in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value[:2000]


CsrfChecked = Depends(check_csrf)
CurrentUser = Annotated[User | None, Depends(optional_user)]
