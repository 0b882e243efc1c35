"""ASGI middleware of the web layer."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# A bulk-issuance upload is a multipart form: the file, the CSRF token and a few fields. Its body may be this much
# over the file's own limit, so that a file at the limit reaches the route (which names the limit in its message).
FORM_OVERHEAD_BYTES = 64 * 1024
# The requests whose body is a bulk-issuance file (docs/bulk-issuance.md): up to `max_bulk_file_bytes`.
BULK_UPLOADS: tuple[tuple[str, str], ...] = (("POST", "/console/awards/bulk"), ("POST", "/api/award-batches"))


def bulk_upload_limits(max_bulk_file_bytes: int) -> dict[tuple[str, str], int]:
    """The per-request limits of `BodySizeLimitMiddleware` for the bulk-issuance uploads (method, path)."""
    return {request: max_bulk_file_bytes for request in BULK_UPLOADS}


def megabytes(count: int) -> str:
    """A size as people read it, in the current language: ``50 MB``, ``195 KB``; ``0,098 Ko`` in French."""
    from babel.numbers import format_decimal

    from microcred.i18n import current_language
    from microcred.i18n import gettext as _

    large = count >= 1024 * 1024
    number = format_decimal(float(f"{count / (1024 * 1024 if large else 1024):.3g}"), locale=current_language())
    return _("%(number)s MB", number=number) if large else _("%(number)s KB", number=number)


class BodySizeLimitMiddleware:
    """Reject request bodies larger than ``max_bytes`` with 413 and a message (JSON, or a page for browsers).

    ``limits`` raises the limit of some requests, by (method, path): a bulk-issuance file may be far larger than
    any other body (a form's overhead, `FORM_OVERHEAD_BYTES`, is allowed on top of it). A declared Content-Length
    over the limit is refused before anything is read. A body without a Content-Length (chunked transfer) is read
    up to the limit and buffered, then replayed to the app, so the 413 can still be sent before the application
    has started a response.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, limits: Mapping[tuple[str, str], int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limits = dict(limits or {})

    def _limits(self, scope: Scope) -> tuple[int, int]:
        """The body's limit for this request, and the limit its message names."""
        raised = self.limits.get((str(scope.get("method", "")), str(scope.get("path", "")).rstrip("/") or "/"))
        if raised is None:
            return self.max_bytes, self.max_bytes
        return raised + FORM_OVERHEAD_BYTES, raised

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, named: int) -> None:
        from starlette.requests import Request

        from microcred.web.negotiation import wants_html

        request = Request(scope)
        if "app" not in scope or not wants_html(request) or str(scope.get("path", "")).startswith("/api/"):
            message = (
                f"request body too large: the limit is {named} bytes ({named // 1024} KiB); send a smaller document"
            )
            await _send_json(send, 413, {"error": message})
            return
        await _too_large_page(request, receive, send, named)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, named = self._limits(scope)
        declared: str | None = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                declared = value.decode("latin-1")
                break
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await _send_json(send, 400, {"error": f"invalid Content-Length header {declared!r}"})
                return
            if length > limit:
                await self._too_large(scope, receive, send, named)
                return
            # The declared length is within the limit; still guard against a lying client.
        chunks: list[bytes] = []
        total = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # client went away: nothing to answer
                return
            body = message.get("body", b"")
            total += len(body)
            if total > limit:
                await self._too_large(scope, receive, send, named)
                return
            chunks.append(body)
            more = bool(message.get("more_body", False))

        buffered: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay() -> Message:
            if buffered:
                return buffered.pop()
            return await receive()

        await self.app(scope, replay, send)


async def _too_large_page(request: Any, receive: Receive, send: Send, named: int) -> None:
    """The error page, in the browser's language (this middleware runs outside the language middleware)."""
    from microcred.i18n import gettext as _
    from microcred.i18n import reset_language, use_language
    from microcred.web.errors import error_response
    from microcred.web.i18n import COOKIE, negotiate

    settings = request.app.state.settings
    token = use_language(
        negotiate(request.cookies.get(COOKIE), request.headers.get("accept-language"), settings.default_language)
    )
    try:
        message = _(
            "What you sent is too large: the limit is %(size)s. Split the file into smaller files and send each one.",
            size=megabytes(named),
        )
        response = error_response(request, 413, message)
    finally:
        reset_language(token)
    response.headers["connection"] = "close"
    await response(request.scope, receive, send)


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
