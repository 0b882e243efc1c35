"""Request input that no route has to guard against itself (issue 12, point 4: no 500 on any input).

* :func:`json_body` is how a route that reads its body by hand gets it: an unreadable, empty or wrong-typed body
  becomes a 400/415/422 with a reason (routes with a Pydantic body model get the same from FastAPI, turned into
  plain messages by :mod:`microcred.web.errors`).
* :class:`StorableTextMiddleware` refuses, before any route runs, text that PostgreSQL cannot store — NUL (U+0000)
  and lone surrogates (U+D800–U+DFFF, which JSON's ``\\uD800`` escapes produce) — in JSON bodies, form fields,
  query parameters and the path: 422 naming the field, on SQLite and PostgreSQL alike.
* A 405 names, in ``Allow``, every method the path has (Starlette names only those of the first route matched).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json")
# Cheap screen on the raw bytes; only a body that may hold such a character is parsed a second time.
_SUSPECT = re.compile(rb"\x00|\\u0000|%00|\\u[dD][89a-fA-F]", re.IGNORECASE)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_PARAM = re.compile(r"\{[^}]*\}")


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _is_json_type(media_type: str) -> bool:
    return media_type in JSON_TYPES or media_type.endswith("+json")


async def json_body(request: Request, *, expect: type | tuple[type, ...] = dict) -> Any:
    """The request's JSON body, which must be a ``expect`` (a JSON object by default).

    No Content-Type, or a JSON one (``application/json``, ``application/ld+json``, ``…+json``), is accepted;
    anything else is a 415. An empty body or one that is not UTF-8 JSON is a 400, a JSON value of another type a 422.
    """
    media_type = _media_type(request)
    if media_type and not _is_json_type(media_type):
        raise HTTPException(
            415,
            "the request body must be JSON, sent with the header 'Content-Type: application/json' "
            f"(got {media_type[:60]})",
        )
    raw = await request.body()
    if not raw.strip():
        raise HTTPException(400, "the request body is empty: send a JSON object")
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise HTTPException(400, "the request body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise HTTPException(
            400, f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise HTTPException(400, "the request body is nested too deeply to be processed") from None
    if not isinstance(value, expect):
        kinds: dict[type, str] = {dict: "a JSON object", list: "a JSON array", str: "a JSON string"}
        wanted = " or ".join(kinds.get(t, t.__name__) for t in (expect if isinstance(expect, tuple) else (expect,)))
        raise HTTPException(422, f"the request body must be {wanted}, not {_json_kind(value)}")
    return value


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


# -- text PostgreSQL cannot store --------------------------------------------------------------------------
def unstorable_reason(text: str) -> str | None:
    """Why ``text`` cannot be stored as PostgreSQL text, or None when it can."""
    match = _UNSTORABLE.search(text)
    if match is None:
        return None
    if match.group() == "\x00":
        return "contains a NUL character (U+0000), which cannot be stored; remove it"
    return f"contains a lone surrogate (U+{ord(match.group()):04X}), which is not a character; send valid Unicode"


def _walk(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        reason = unstorable_reason(value)
        if reason:
            yield where, reason
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and (reason := unstorable_reason(key)):
                yield f"{where or 'body'} (a property name)", reason
            yield from _walk(item, name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{where}[{i}]")


def _pairs(pairs: list[tuple[str, str]], prefix: str) -> Iterator[tuple[str, str]]:
    for key, item in pairs:
        for text, where in ((key, f"{prefix} parameter name"), (item, f"{prefix}{key}")):
            reason = unstorable_reason(text)
            if reason:
                yield where, reason


async def _body_problems(scope: Scope, body: bytes) -> list[tuple[str, str]]:
    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request(scope, replay)
    media_type = _media_type(request)
    if media_type == "application/x-www-form-urlencoded":
        text = body.decode("utf-8", errors="replace")
        return list(_pairs(parse_qsl(text, keep_blank_values=True), ""))
    if media_type == "multipart/form-data":
        try:
            form = await request.form()
        except Exception:  # a malformed form is the route's to refuse, with its own message
            return []
        try:
            pairs = [(k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile)]
            return list(_pairs(pairs, ""))
        finally:
            await form.close()
    if not media_type or _is_json_type(media_type) or media_type == "text/plain":
        try:
            value = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return []  # not JSON: the route's parser says so
        try:
            return list(_walk(value, ""))
        except RecursionError:
            return []
    return []


class StorableTextMiddleware:
    """422 for NUL and lone surrogates anywhere in the path, query, JSON body or form fields, before any route.

    Sits inside the body size limit (the body it buffers is bounded); the body is replayed to the app unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problems: list[tuple[str, str]] = []
        path = scope.get("path", "")
        if reason := unstorable_reason(path):
            problems.append(("the address (path)", reason))
        query = scope.get("query_string", b"")
        if query and _SUSPECT.search(query):
            text = query.decode("latin-1")
            problems.extend(_pairs(parse_qsl(text, keep_blank_values=True), "query "))
        chunks: list[bytes] = []
        if scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                chunks.append(message.get("body", b""))
                more = bool(message.get("more_body", False))
            body = b"".join(chunks)
            if _SUSPECT.search(body):
                problems.extend(await _body_problems(scope, body))
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            receive = replay
        if problems:
            from microcred.web.errors import error_response

            messages = [f"{where}: {reason}" for where, reason in problems]
            response = error_response(
                Request(scope), 422, "invalid request: " + "; ".join(messages), details=messages
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


# -- 405 with every allowed method ---------------------------------------------------------------------------
def allowed_methods(app: Any, scope: Scope) -> list[str]:
    """Every method of the resource at the scope's path: the routes whose template matches it most literally
    (``/credentials/issue`` is its own resource, not a ``/credentials/{credential_id}``)."""
    by_template: dict[str, set[str]] = {}
    for route in iter_route_contexts(getattr(app, "routes", [])):
        match, _child = route.matches({**scope, "method": "GET"})
        route_methods = getattr(route, "methods", None)
        template = getattr(route, "path_format", None)
        if match != Match.NONE and route_methods and isinstance(template, str):
            by_template.setdefault(_PARAM.sub("{}", template), set()).update(route_methods)
    if not by_template:
        return []
    fewest = min(template.count("{}") for template in by_template)
    methods = set().union(*(m for t, m in by_template.items() if t.count("{}") == fewest))
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    from microcred.web.errors import error_response

    assert isinstance(exc, StarletteHTTPException)
    allow = allowed_methods(request.app, request.scope)
    if not allow and exc.headers:
        allow = [m.strip() for m in exc.headers.get("Allow", "").split(",") if m.strip()]
    message = f"{request.method} is not allowed here" + (f"; use {', '.join(allow)}" if allow else "")
    response = error_response(request, 405, message)
    if allow:
        response.headers["Allow"] = ", ".join(allow)
    return response


def install(app: FastAPI) -> None:
    """Add the text check (call before the body size limit is added, so it runs inside it) and the 405 handler."""
    app.add_middleware(StorableTextMiddleware)
    app.add_exception_handler(405, _method_not_allowed)
