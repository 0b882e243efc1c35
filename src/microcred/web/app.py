"""The FastAPI application factory: `uvicorn --factory microcred.web.app:create_app`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

import microcred
from microcred.settings import Settings, get_settings
from microcred.web import apidoc, bodies, errors
from microcred.web.deps import SessionFactory
from microcred.web.middleware import BodySizeLimitMiddleware

_HERE = Path(str(resources.files("microcred.web")))


def _default_session_factory(settings: Settings) -> SessionFactory:
    from microcred import db

    engine = db.make_engine(settings.resolved_database_url)
    factory: SessionFactory = db.session_factory(engine)
    return factory


def create_app(settings: Settings | None = None, session_factory: SessionFactory | None = None) -> FastAPI:
    """Build the app. Tests inject ``settings`` and a ``session_factory``; the server uses the environment."""
    settings = settings or get_settings()
    app = FastAPI(
        title="microcred",
        version=microcred.__version__,
        description=(
            "Issue and verify Open Badges 3.0 micro-credentials. Public pages and DID documents need no "
            "authentication; the JSON API under /api and POST /credentials/issue need the instance's bearer token."
        ),
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory or _default_session_factory(settings)
    from microcred.web import i18n, security
    from microcred.web.render import page_context

    templates = Jinja2Templates(directory=str(_HERE / "templates"), context_processors=[page_context])
    templates.env.globals["app_version"] = microcred.__version__
    i18n.install(templates.env)
    app.state.templates = templates

    app.add_middleware(security.CsrfCookieMiddleware, settings=settings)
    app.add_middleware(i18n.LanguageMiddleware, default=settings.default_language)
    bodies.install(app)  # inside the size limit: NUL / lone surrogates → 422, full Allow on 405 (issue 12)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(security.TransactionModeMiddleware)  # SQLite: writers BEGIN IMMEDIATE (issue 12)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")

    from microcred.web.routes import api, credentials, identity, pages

    app.include_router(pages.router)
    app.include_router(credentials.router)
    app.include_router(identity.router)
    app.include_router(api.router)

    from microcred.accounts import routes as account_routes
    from microcred.web.routes import backpack, console

    app.include_router(account_routes.router)
    app.include_router(console.router)
    app.include_router(backpack.router)

    from microcred.status import routes as status_routes

    app.include_router(status_routes.router)
    app.include_router(status_routes.api_router)

    from microcred.taxonomy import routes as taxonomy_routes

    app.include_router(taxonomy_routes.router)

    from microcred.transcripts import routes as transcript_routes

    app.include_router(transcript_routes.public)
    app.include_router(transcript_routes.backpack)
    app.include_router(transcript_routes.api)

    from microcred.earners import routes as ownership_routes

    app.include_router(ownership_routes.backpack)
    app.include_router(ownership_routes.wallet)
    app.include_router(ownership_routes.api)
    app.include_router(ownership_routes.verify_upload)

    from microcred.partners import routes as partner_routes  # issue 7: endorsements, relevance, occupations

    app.include_router(partner_routes.public)
    app.include_router(partner_routes.api)
    app.include_router(partner_routes.console)
    app.add_middleware(ownership_routes.MultipartVerifyRewrite)
    _attribute_audit_events(app)
    apidoc.install(app)  # every status code and content type a route returns, in the OpenAPI (issue 12)
    app.add_middleware(security.SecurityHeadersMiddleware, docs_prefix=app.docs_url)  # outermost: every response
    return app


def _attribute_audit_events(app: FastAPI) -> None:
    """Audit entries recorded while serving a request name the web as their actor ("api" for the bearer API)."""
    from collections.abc import Awaitable, Callable

    from fastapi import Request, Response

    from microcred.audit.services import acting_as

    @app.middleware("http")
    async def audit_actor(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        with acting_as("api" if path.startswith("/api/") or path == "/credentials/issue" else "web"):
            return await call_next(request)
