"""Session cookies and CSRF tokens for the HTML pages.

- The session is a signed cookie (HMAC-SHA256 over ``user id | session version | issued at``): HttpOnly,
  SameSite=Lax, Path=/, Secure (and the ``__Host-`` name prefix) when the base URL is https. It lasts 12 hours;
  signing out bumps the user's session version in the database, which ends every cookie issued before.
- CSRF: signed double submit. A random value lives in its own cookie; every form carries
  ``HMAC(secret, value | session)``, so a token is bound both to the browser and to the signed-in session, and
  cannot be forged by someone who can only plant cookies. Every unsafe request through a form is checked.
- The secret is ``MICROCRED_SESSION_SECRET``, else derived from the master key (HMAC with a fixed label).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microcred.settings import Settings

SESSION_MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_secret(settings: Settings) -> bytes:
    if settings.session_secret:
        return hashlib.sha256(settings.session_secret.encode()).digest()
    from microcred.issuers import keystore

    return hmac.new(keystore.load_master_key(settings), b"microcred web cookies v1", hashlib.sha256).digest()


def secret_for(app: Any) -> bytes:
    secret: bytes | None = getattr(app.state, "web_secret", None)
    if secret is None:
        secret = derive_secret(app.state.settings)
        app.state.web_secret = secret
    return secret


def is_secure(settings: Settings) -> bool:
    return settings.base_url.lower().startswith("https://")


def session_cookie_name(settings: Settings) -> str:
    return "__Host-session" if is_secure(settings) else "session"


def csrf_cookie_name(settings: Settings) -> str:
    return "__Host-csrf" if is_secure(settings) else "csrf"


def _mac(secret: bytes, label: str, message: str) -> str:
    return _b64(hmac.new(secret, f"{label}|{message}".encode(), hashlib.sha256).digest())


# -- sessions -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionData:
    user_id: str
    version: int
    issued_at: int


def encode_session(secret: bytes, user_id: str, version: int, *, now: float | None = None) -> str:
    payload = f"{user_id}|{version}|{int(now if now is not None else time.time())}"
    body = _b64(payload.encode())
    return f"{body}.{_mac(secret, 'session', body)}"


def decode_session(secret: bytes, value: str | None, *, now: float | None = None) -> SessionData | None:
    if not value or "." not in value or len(value) > 500:
        return None
    body, _sep, mac = value.rpartition(".")
    if not hmac.compare_digest(mac.encode(), _mac(secret, "session", body).encode()):
        return None
    try:
        user_id, version, issued = _unb64(body).decode().split("|")
        data = SessionData(user_id, int(version), int(issued))
    except (ValueError, UnicodeDecodeError):
        return None
    moment = now if now is not None else time.time()
    if not (data.issued_at <= moment + 60 and moment - data.issued_at < SESSION_MAX_AGE):
        return None
    return data


def set_session_cookie(response: Any, settings: Settings, secret: bytes, user_id: str, version: int) -> None:
    response.set_cookie(
        session_cookie_name(settings),
        encode_session(secret, user_id, version),
        max_age=SESSION_MAX_AGE,
        path="/",
        secure=is_secure(settings),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Any, settings: Settings) -> None:
    response.delete_cookie(
        session_cookie_name(settings), path="/", secure=is_secure(settings), httponly=True, samesite="lax"
    )


# -- CSRF -----------------------------------------------------------------------------------------
def csrf_value(request: Request) -> str:
    """This browser's CSRF cookie value (the one being set on this response when it had none)."""
    settings: Settings = request.app.state.settings
    value = request.cookies.get(csrf_cookie_name(settings)) or request.scope.get("state", {}).get("csrf_new")
    return str(value or "")


def _binding(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return request.cookies.get(session_cookie_name(settings), "")


def csrf_token(request: Request) -> str:
    """The token every form of this page carries."""
    return _mac(secret_for(request.app), "csrf", f"{csrf_value(request)}|{_binding(request)}")


def csrf_valid(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(csrf_cookie_name(request.app.state.settings))
    if not cookie or not submitted:
        return False
    expected = _mac(secret_for(request.app), "csrf", f"{cookie}|{_binding(request)}")
    return hmac.compare_digest(submitted.encode(), expected.encode())


class CsrfCookieMiddleware:
    """Gives every browser a random CSRF cookie value on its first request (HttpOnly, SameSite=Lax)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.name = csrf_cookie_name(settings).encode()
        self.secure = is_secure(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"cookie" and any(part.strip().startswith(self.name + b"=") for part in value.split(b";")):
                await self.app(scope, receive, send)
                return
        new = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_new"] = new
        cookie = f"{self.name.decode()}={new}; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)


# -- response headers -----------------------------------------------------------------------------
# The pages need no script and no inline style (the templates carry neither), so the policy allows only this
# origin's stylesheet. Images: this origin, data: URIs (uploaded achievement images, QR codes) and https (an
# achievement's image may be an https URL the issuer gave).
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
# Everything that is not an HTML page (JSON, credentials, badge images, CSS) loads nothing when opened.
RESOURCE_CSP = "default-src 'none'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The OpenAPI explorer (FastAPI's Swagger UI page) loads its script and stylesheet from jsDelivr and starts with an
# inline script, allowed by its hash (computed from the page as served).
DOCS_CSP = (
    "default-src 'none'; script-src https://cdn.jsdelivr.net {hashes}; "
    "style-src https://cdn.jsdelivr.net 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def _docs_csp(body: bytes) -> str:
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    return DOCS_CSP.format(hashes=hashes).replace(" ;", ";")


class SecurityHeadersMiddleware:
    """Every response: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``,
    ``X-Frame-Options: DENY`` and a Content-Security-Policy (strict for pages, ``default-src 'none'`` otherwise)."""

    def __init__(self, app: ASGIApp, docs_prefix: str | None = "/docs") -> None:
        self.app = app
        self.docs_prefix = docs_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.docs_prefix and str(scope.get("path", "")).startswith(self.docs_prefix):
            await self._docs(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                self._common(headers)
                if "content-security-policy" not in headers:
                    html = headers.get("content-type", "").lower().startswith("text/html")
                    headers["content-security-policy"] = PAGE_CSP if html else RESOURCE_CSP
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _common(headers: MutableHeaders) -> None:
        for name, value in SECURITY_HEADERS.items():
            if name not in headers:
                headers[name] = value

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The explorer pages are small: buffer them to hash their inline scripts."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffering_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            headers = MutableHeaders(scope=start)
            self._common(headers)
            html = headers.get("content-type", "").lower().startswith("text/html")
            headers["content-security-policy"] = _docs_csp(body) if html else RESOURCE_CSP
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, buffering_send)


# -- database transactions ------------------------------------------------------------------------
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# POSTs that only read: verifying a credential someone sends.
READ_ONLY_POSTS = frozenset({"/verify", "/credentials/verify", "/credentials/verify/upload"})


class TransactionModeMiddleware:
    """Declares which requests mean to write to the database (``microcred.db.engine.write_intent``): on SQLite their
    transactions begin ``BEGIN IMMEDIATE`` and wait for the write lock, so concurrent writers queue instead of
    failing; reads begin deferred and never wait for each other or for a writer.

    A read-only request (GET, HEAD, OPTIONS, a verification POST) that nevertheless writes (a status list signed
    on first request, a CLR, an export's audit entry) can find its read snapshot overtaken by another writer: the
    503 it then gets is not sent; the request is run once more, as a writer.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from microcred.db.engine import write_intent
        from microcred.web.errors import DB_BUSY_HEADER

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        marker = DB_BUSY_HEADER.encode()

        async def send_unmarked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [(k, v) for k, v in message.get("headers", []) if k.lower() != marker]
            await send(message)

        method = scope.get("method", "GET")
        reads = method in _SAFE_METHODS or (method == "POST" and scope.get("path") in READ_ONLY_POSTS)
        if not reads:
            with write_intent():
                await self.app(scope, receive, send_unmarked)
            return
        await self._read_first(scope, receive, send_unmarked, marker)

    async def _read_first(self, scope: Scope, receive: Receive, send_unmarked: Send, marker: bytes) -> None:
        """Run a reading request; if its snapshot was overtaken (the busy marker), run it again as a writer,
        replaying the body it has read."""
        from microcred.db.engine import write_intent

        received: list[Message] = []
        replaying = False

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received.append(message)
            return message

        async def first_send(message: Message) -> None:
            nonlocal replaying
            if message["type"] == "http.response.start" and any(
                k.lower() == marker for k, _v in message.get("headers", [])
            ):
                replaying = True
            if not replaying:
                await send_unmarked(message)

        await self.app(scope, recording_receive, first_send)
        if not replaying:
            return
        backlog = list(received)

        async def replay_receive() -> Message:
            if backlog:
                return backlog.pop(0)
            return await receive()

        with write_intent():
            await self.app(scope, replay_receive, send_unmarked)
