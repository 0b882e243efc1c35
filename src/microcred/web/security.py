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
