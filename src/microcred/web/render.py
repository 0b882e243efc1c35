"""Rendering pages: the context every template gets (language, CSRF token, signed-in user, navigation)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from microcred.accounts import services as accounts
from microcred.i18n import LANGUAGE_NAMES, LANGUAGES, current_language
from microcred.web import security
from microcred.web.auth import user_from_cookie


def page_context(request: Request) -> dict[str, Any]:
    """A Jinja2Templates context processor."""
    state = request.scope.setdefault("state", {})
    if "user" not in state:
        factory = getattr(request.app.state, "session_factory", None)
        if factory is not None:
            try:
                with factory() as session:
                    user = user_from_cookie(request, session)
                    if user is not None:
                        session.expunge(user)
            except Exception:  # no database yet (error pages must still render)
                state["user"] = None
    user = _usable(request, state.get("user"))
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    language = state.get("language") or current_language()
    return {
        "lang": language,
        "other_languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES if code != language],
        "csrf_field": security.CSRF_FIELD,
        "csrf_token": security.csrf_token(request),
        "current_user": user,
        "can": lambda permission: accounts.can(user, permission),
        "current_path": path,
    }


def _usable(request: Request, user: Any) -> Any:
    """The signed-in user as the templates can read it. An error page is drawn after the request's session was
    rolled back and closed, which leaves the user it loaded detached with its attributes expired: read it again
    in a session of its own (None when that fails: the page still renders, signed out)."""
    if user is None:
        return None
    from sqlalchemy import inspect

    details = inspect(user)
    if not (details.detached and details.expired_attributes):
        return user
    factory = getattr(request.app.state, "session_factory", None)
    if factory is None:  # pragma: no cover - every app has one
        return None
    try:
        with factory() as session:
            fresh = session.get(type(user), details.identity[0] if details.identity else None)
            if fresh is not None:
                session.expunge(fresh)
    except Exception:  # the database is what failed: sign-in state is not worth a second error
        return None
    request.scope.setdefault("state", {})["user"] = fresh
    return fresh


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200) -> Response:
    templates = request.app.state.templates
    response: Response = templates.TemplateResponse(request, name, context or {}, status_code=status_code)
    return response
