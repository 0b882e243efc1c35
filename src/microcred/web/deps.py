"""Request dependencies: settings, database session, bearer authentication, templates."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from microcred.settings import Settings

SessionFactory = sessionmaker[Session]


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def get_session(request: Request) -> Iterator[Session]:
    """One session per request. Handlers commit what they change; anything left is rolled back."""
    factory: SessionFactory = request.app.state.session_factory
    session = factory()
    try:
        yield session
    finally:
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
    expected = configured_token(get_app_settings(request))
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


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
Authenticated = Depends(require_token)
