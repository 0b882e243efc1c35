"""ASGI middleware of the web layer."""

from __future__ import annotations

import json
import re
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


class BodySizeLimitMiddleware:
    """Reject request bodies larger than ``max_bytes`` with 413 and a JSON message.

    A declared Content-Length over the limit is refused before anything is read. A body without a
    Content-Length (chunked transfer) is read up to the limit and buffered, then replayed to the app, so
    the 413 can still be sent before the application has started a response.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> dict[str, Any]:
        return {
            "error": f"request body too large: the limit is {self.max_bytes} bytes "
            f"({self.max_bytes // 1024} KiB); send a smaller document",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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
            if length > self.max_bytes:
                await _send_json(send, 413, self._too_large())
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
            if total > self.max_bytes:
                await _send_json(send, 413, self._too_large())
                return
            chunks.append(body)
            more = bool(message.get("more_body", False))

        buffered: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay() -> Message:
            if buffered:
                return buffered.pop()
            return await receive()

        await self.app(scope, replay, send)


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
