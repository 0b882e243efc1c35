"""The FastAPI application factory: `uvicorn --factory microcred.web.app:create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

import microcred
from microcred.settings import Settings, get_settings
from microcred.web import apidoc, bodies, errors
from microcred.web.deps import SessionFactory
from microcred.web.middleware import BodySizeLimitMiddleware, MultipartVerifyRewrite, bulk_upload_limits
from microcred.web.routes.api import assessments as api_assessments
from microcred.web.routes.api import awards as api_awards
from microcred.web.routes.api import batches as api_batches
from microcred.web.routes.api import catalog as api_catalog
from microcred.web.routes.api import credentials as api_credentials
from microcred.web.routes.api import earners as api_earners
from microcred.web.routes.api import issuers as api_issuers
from microcred.web.routes.api import ownership as api_ownership
from microcred.web.routes.api import partners as api_partners
from microcred.web.routes.api import status as api_status
from microcred.web.routes.api import transcripts as api_transcripts
from microcred.web.routes.backpack import credentials as backpack_credentials
from microcred.web.routes.backpack import ownership as backpack_ownership
from microcred.web.routes.backpack import transcripts as backpack_transcripts
from microcred.web.routes.console import accounts as console_accounts
from microcred.web.routes.console import analytics as console_analytics
from microcred.web.routes.console import assessment as console_assessment
from microcred.web.routes.console import assessment_results as console_assessment_results
from microcred.web.routes.console import audit as console_audit
from microcred.web.routes.console import award_detail as console_award_detail
from microcred.web.routes.console import awards as console_awards
from microcred.web.routes.console import bulk as console_bulk
from microcred.web.routes.console import catalog as console_catalog
from microcred.web.routes.console import earner_detail as console_earner_detail
from microcred.web.routes.console import earners as console_earners
from microcred.web.routes.console import home as console_home
from microcred.web.routes.console import issuers as console_issuers
from microcred.web.routes.console import keys as console_keys
from microcred.web.routes.console import occupations as console_occupations
from microcred.web.routes.console import organisation as console_organisation
from microcred.web.routes.console import partner_directory as console_partner_directory
from microcred.web.routes.console import partners as console_partners
from microcred.web.routes.console import pathways as console_pathways
from microcred.web.routes.public import accounts as public_accounts
from microcred.web.routes.public import credentials as public_credentials
from microcred.web.routes.public import identity as public_identity
from microcred.web.routes.public import pages as public_pages
from microcred.web.routes.public import partners as public_partners
from microcred.web.routes.public import status as public_status
from microcred.web.routes.public import taxonomy as public_taxonomy
from microcred.web.routes.public import transcripts as public_transcripts
from microcred.web.routes.public import wallet as public_wallet

_HERE = Path(str(resources.files("microcred.web")))

# The order is the matching order (the first route whose path and method match wins), as it was when the routes
# lived in their subsystems.
ROUTE_MODULES = (
    public_pages,
    public_credentials,
    api_credentials,
    public_identity,
    api_issuers,
    api_catalog,
    api_earners,
    api_awards,
    api_batches,
    api_assessments,
    public_accounts,
    console_home,
    console_organisation,
    console_issuers,
    console_accounts,
    console_assessment,
    console_assessment_results,
    console_catalog,
    console_earners,
    console_earner_detail,
    console_bulk,
    console_awards,
    console_award_detail,
    console_keys,
    console_pathways,
    console_audit,
    console_analytics,
    backpack_credentials,
    public_status,
    api_status,
    public_taxonomy,
    public_transcripts,
    backpack_transcripts,
    api_transcripts,
    backpack_ownership,
    public_wallet,
    api_ownership,
    public_partners,
    api_partners,
    console_partners,
    console_partner_directory,
    console_occupations,
)


def _default_session_factory(settings: Settings) -> SessionFactory:
    from microcred import db

    engine = db.make_engine(settings.resolved_database_url)
    factory: SessionFactory = db.session_factory(engine)
    return factory


@asynccontextmanager
async def _embedded_jobs(app: FastAPI) -> AsyncIterator[None]:
    """SQLite: background jobs run in a worker thread of this process while it serves, stopped (running jobs
    finished) on shutdown. PostgreSQL: nothing here, `microcred worker` processes run them (docs/jobs.md)."""
    import asyncio

    from microcred import jobs

    worker = jobs.start_embedded_worker(app.state.settings, app.state.session_factory)
    try:
        yield
    finally:
        await asyncio.to_thread(app.state.tally.close)  # the counts not stored yet (web/counting.py)
        if worker is not None:
            await asyncio.to_thread(worker.stop)


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
        lifespan=_embedded_jobs,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory or _default_session_factory(settings)
    from microcred.web import counting

    app.state.tally = counting.Tally(app.state.session_factory, settings.count_window_seconds)
    from microcred.web import i18n, security
    from microcred.web.render import page_context

    templates = Jinja2Templates(directory=str(_HERE / "templates"), context_processors=[page_context])
    templates.env.globals["app_version"] = microcred.__version__
    i18n.install(templates.env)
    app.state.templates = templates

    app.add_middleware(security.CsrfCookieMiddleware, settings=settings)
    app.add_middleware(i18n.LanguageMiddleware, default=settings.default_language)
    bodies.install(app)  # inside the size limit: NUL / lone surrogates → 422, full Allow on 405 (issue 12)
    app.add_middleware(  # bulk-issuance files may be larger than any other body (docs/bulk-issuance.md)
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        limits=bulk_upload_limits(settings.max_bulk_file_bytes),
    )
    app.add_middleware(security.TransactionModeMiddleware)  # SQLite: writers BEGIN IMMEDIATE (issue 12)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")

    _include_routes(app)
    app.add_middleware(MultipartVerifyRewrite)
    _attribute_audit_events(app)
    apidoc.install(app)  # every status code and content type a route returns, in the OpenAPI (issue 12)
    app.add_middleware(security.SecurityHeadersMiddleware, docs_prefix=app.docs_url)  # outermost: every response
    return app


def _include_routes(app: FastAPI) -> None:
    """Every router, by audience (routes/{public,api,console,backpack}/<area>.py)."""
    for module in ROUTE_MODULES:
        app.include_router(module.router)


class _AuditActor:
    """Audit entries recorded while serving a request name the web as their actor ("api" for the bearer API).

    A plain ASGI middleware (not ``@app.middleware("http")``, whose call_next runs the rest of the app in a task
    with streamed bodies: measured as a sizeable share of a small request). The actor is a context variable, which
    the endpoint sees, its thread-pool call included (anyio copies the context)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from microcred.audit.services import acting_as

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        with acting_as("api" if path.startswith("/api/") or path == "/credentials/issue" else "web"):
            await self.app(scope, receive, send)


def _attribute_audit_events(app: FastAPI) -> None:
    app.add_middleware(_AuditActor)
