"""Request dependencies: settings, database session, bearer authentication, templates."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from microcred.settings import Settings

SessionFactory = sessionmaker[Session]


# The dependencies below are `async def` because they do no I/O: FastAPI runs a plain `def` dependency in the thread
# pool, and a thread hop costs more than the work (measured on the credential page, issue 14).


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request. Handlers commit what they change; anything left is rolled back.

    Opening a session does no I/O (it connects on first use), so it opens here, on the event loop. Closing it may
    (a ROLLBACK, the connection back to its pool), so that runs in the thread pool, and only when the session did
    take a connection."""
    factory: SessionFactory = request.app.state.session_factory
    session = factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(_close, session)
        else:
            session.close()


def _close(session: Session) -> None:
    session.rollback()
    session.close()


def configured_token(settings: Settings) -> str | None:
    """settings.api_token, else the content of ``<data_dir>/api-token`` (None when neither exists)."""
    if settings.api_token:
        return settings.api_token
    path = settings.data_dir / "api-token"
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return token or None


_bearer = HTTPBearer(
    auto_error=False, description="the instance's API token (MICROCRED_API_TOKEN or <data_dir>/api-token)"
)


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    expected = configured_token(request.app.state.settings)
    if expected is None:
        raise HTTPException(
            401,
            "this instance has no API token configured: set MICROCRED_API_TOKEN or run `microcred init`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "missing bearer token: send the header 'Authorization: Bearer <api token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise HTTPException(401, "invalid API token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


# scope="function": the session is closed as soon as the handler returns, before the response is sent. A response's
# background task (web/counting.py: one INSERT in a session of its own) then never waits for a write lock its own
# request still holds: a reading request re-run as a writer (security.TransactionModeMiddleware) holds SQLite's
# write lock from BEGIN IMMEDIATE until its session closes, and with the default scope that was after the
# background task, which waited out the 30 s busy timeout (and every writer queued behind it).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
Authenticated = Depends(require_token)
