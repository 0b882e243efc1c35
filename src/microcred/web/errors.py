"""Exception handlers: every error a user can cause becomes a 4xx with a message they can act on."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from microcred.errors import DomainError, NotFound, PermissionDenied, outcome
from microcred.i18n import N_
from microcred.i18n import gettext as _
from microcred.vc.errors import VCError
from microcred.web.negotiation import wants_html

log = logging.getLogger("microcred.web")

# English source strings; translated when a page is rendered (the literal _() calls are for extraction).
_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
}

# Set on the 503 of a write that could not get the database (stripped by microcred.web.security before it leaves):
# tells the middleware that a read-only request may be replayed as a writer.
DB_BUSY_HEADER = "x-microcred-db-busy"
RETRY_AFTER_SECONDS = 2
# "<_io.BytesIO object at 0x7f...>" and the like: meaningless to the reader, and they reveal memory addresses.
_OBJECT_REPR = re.compile(r"<[A-Za-z_][^<>]{0,200}? at 0x[0-9A-Fa-f]+>")


# What an error without a message says (English source strings, translated when answered).
_FALLBACK_MESSAGES: tuple[tuple[type[Exception], str], ...] = (
    (NotFound, "not found"),
    (PermissionDenied, N_("Your role does not allow this.")),
)


def clean_message(message: str) -> str:
    """``message`` without Python object reprs."""
    return _OBJECT_REPR.sub("the data", message)


def _extraction_only() -> None:  # pragma: no cover - lists the titles for the message catalogue
    for text in (
        _("Bad request"),
        _("Authentication required"),
        _("Not allowed"),
        _("Not found"),
        _("Method not allowed"),
        _("Not acceptable"),
        _("Conflict"),
        _("Request too large"),
        _("Unsupported media type"),
        _("Invalid input"),
        _("Too many requests"),
        _("Server error"),
        _("Service unavailable"),
        _("Error"),
    ):
        del text


def error_response(request: Request, status: int, message: str, **extra: Any) -> Response:
    """A JSON ``{"error": message}`` body, or the HTML error page for browsers."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    message = clean_message(message)
    if wants_html(request) and not request.url.path.startswith("/api/"):
        templates = getattr(request.app.state, "templates", None)
        if templates is not None:
            response: Response = templates.TemplateResponse(
                request,
                "error.html",
                {"status": status, "title": _(_TITLES.get(status, "Error")), "message": message},
                status_code=status,
                headers=headers,
            )
            return response
        return HTMLResponse(f"<p>{status}: {message}</p>", status_code=status, headers=headers)
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def describe_validation_errors(errors: list[dict[str, Any]]) -> list[str]:
    messages = []
    for err in errors:
        where = _location(err.get("loc", ()))
        msg = str(err.get("msg", "invalid value"))
        if err.get("type") == "missing":
            msg = "this field is required"
        messages.append(f"{where}: {msg}")
    return messages


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    for err in errors:
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            detail = ctx.get("error", "")
            pos = err.get("loc", ("body", ""))[-1]
            where = f" at character {pos}" if isinstance(pos, int) else ""
            return error_response(
                request,
                400,
                f"the request body is not valid JSON{where}: {detail}".rstrip(": "),
            )
    for err in errors:
        if tuple(err.get("loc", ())) == ("body",) and err.get("type") in ("model_attributes_type", "dict_type"):
            content_type = request.headers.get("content-type", "")
            if "json" not in content_type.lower():
                return error_response(
                    request,
                    415,
                    "the request body must be JSON, sent with the header 'Content-Type: application/json' "
                    f"(got {content_type[:60] or 'no Content-Type'})",
                )
            return error_response(request, 422, "the request body must be a JSON object")
    messages = describe_validation_errors(errors)
    return error_response(request, 422, "invalid request: " + "; ".join(messages), details=messages)


async def _error(request: Request, exc: Exception) -> Response:
    """A domain or standards error, answered with the status of the one error table (``microcred.errors.outcome``);
    an internal one (the key store) is logged, as the operator must fix it."""
    result = outcome(exc)
    status = result.http_status if result is not None else 400
    if result is not None and result.internal:
        log.error("key store error: %s", exc)
        return error_response(request, status, f"the instance's key store is not usable: {exc}")
    fallback = next((text for cls, text in _FALLBACK_MESSAGES if isinstance(exc, cls)), None)
    message = str(exc) or (_(fallback) if fallback else "")
    return error_response(request, status, message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"nothing at {request.url.path}"
    elif exc.status_code == 400 and detail == "There was an error parsing the body":
        detail = "the request body could not be parsed as JSON (not UTF-8, or nested too deeply)"
    response = error_response(request, exc.status_code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _too_deep(request: Request, exc: Exception) -> Response:
    return error_response(request, 400, "the document is nested too deeply to be processed")


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, 500, "internal server error; the event was logged")


async def _database_busy(request: Request, exc: Exception) -> Response:
    """A write that could not get the database in time (SQLite's lock, a PostgreSQL serialization failure or
    deadlock, no pooled connection free): 503 with Retry-After, never a 500."""
    from microcred.db.engine import is_transient_lock_error

    if not is_transient_lock_error(exc):
        return await _unexpected(request, exc)
    log.warning("database busy on %s %s: %s", request.method, request.url.path, exc.__class__.__name__)
    response = error_response(
        request,
        503,
        "the database is busy with other changes and this request could not be completed; "
        f"nothing of it was saved. Try again in {RETRY_AFTER_SECONDS} seconds",
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers[DB_BUSY_HEADER] = "1"
    return response


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    from fastapi.responses import RedirectResponse

    from microcred.web.auth import SignInRequired, sign_in_url

    assert isinstance(exc, SignInRequired)
    return RedirectResponse(sign_in_url(exc.next_url), status_code=303)


async def _csrf_failed(request: Request, exc: Exception) -> Response:
    return error_response(
        request,
        403,
        _("This form has expired or did not come from this site. Go back, reload the page and send it again."),
    )


def install(app: FastAPI) -> None:
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeoutError

    from microcred.web.auth import CsrfFailed, SignInRequired

    # The two special cases first (Starlette picks the handler of the nearest class in the exception's MRO).
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(CsrfFailed, _csrf_failed)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DomainError, _error)
    app.add_exception_handler(VCError, _error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RecursionError, _too_deep)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(PoolTimeoutError, _database_busy)
    app.add_exception_handler(Exception, _unexpected)
