"""The OpenAPI document states every status code a route returns, and its content types (issue 12, point 4).

FastAPI documents a route's success response and a 422 in its own validation-error shape, which this app never
sends. :func:`install` post-processes the generated document from what each route is:

* every error is ``{"error": "<reason>", ...}`` (:data:`ERROR_SCHEMA`), JSON — and, outside ``/api``, the HTML
  error page for a browser that asks for HTML;
* 401 where the route needs the bearer token; 404 where it has path parameters, or query parameters or a body
  and uses the database; 422 where it takes any parameter
  or a body; 400, 413 and 415 where it takes a body (not JSON, too large, wrong Content-Type); 503 where it uses
  the database (busy: retry later).

What cannot be derived (409, 403, a 400 of the route's own, a success media type other than JSON) a route
declares with ``responses=apidoc.errors(409, ...)`` or its own ``responses=`` entry; the description and body
schema of such a declaration are filled in here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "What went wrong, in words the caller can act on"},
        "details": {"type": "array", "items": {"type": "string"}, "description": "One entry per invalid field"},
    },
    "required": ["error"],
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}

DESCRIPTIONS = {
    400: "Bad request: the body is not valid JSON or form data, or the request is malformed",
    401: "The bearer token is missing or wrong",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the current state",
    413: "The request body is larger than the instance accepts",
    415: "Unsupported Content-Type",
    422: "Invalid input (including text that cannot be stored, such as a NUL character)",
    429: "Too many requests",
    503: "The database is busy: nothing was saved, retry after the Retry-After seconds",
}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A ``responses=`` declaration for error statuses a route returns beyond those derived from its shape."""
    return {status: {"description": DESCRIPTIONS.get(status, "Error")} for status in statuses}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def derived_statuses(route: Any) -> set[int]:
    """The error statuses a route can return by what it is (see the module docstring)."""
    from microcred.web.deps import get_session, require_token

    calls = set(_calls(route.dependant))
    statuses: set[int] = set()
    dependant = route.dependant
    has_params = bool(
        dependant.path_params or dependant.query_params or dependant.header_params or dependant.cookie_params
    )
    declares_body = bool(dependant.body_params) or "requestBody" in (route.openapi_extra or {})
    if require_token in calls:
        statuses.add(401)
    # A path parameter names something that may not exist; so may an id in the query or body of a route that
    # looks things up in the database.
    if dependant.path_params or (get_session in calls and (dependant.query_params or declares_body)):
        statuses.add(404)
    if has_params or declares_body:
        statuses.add(422)
    if declares_body or route.methods & _WRITES:
        statuses.update({400, 413})
    if declares_body:
        statuses.add(415)
    if get_session in calls:
        statuses.add(503)
    return statuses


def _error_content(path: str) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": _ERROR_REF}}
    if not path.startswith("/api/"):
        content["text/html"] = {"schema": {"type": "string"}}
    return content


def document(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        item = schema.get("paths", {}).get(route.path_format, {})
        for method in route.methods or ():
            operation = item.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in derived_statuses(route) | {int(code) for code in responses if code.isdigit()}:
                if status < 400:
                    continue
                entry = responses.setdefault(str(status), {})
                if not entry.get("description") or entry["description"] == "Validation Error":
                    entry["description"] = DESCRIPTIONS.get(status, "Error")
                declared = entry.get("content", {}).get("application/json", {}).get("schema")
                entry["content"] = {**entry.get("content", {}), **_error_content(str(route.path_format))}
                # FastAPI's own validation-error shape is never sent: the app's handlers answer in ERROR_SCHEMA;
                # a body the route declares itself for an error status may come instead.
                if declared and declared != _ERROR_REF and "HTTPValidationError" not in _dumps(declared):
                    entry["content"]["application/json"] = {"schema": {"anyOf": [declared, _ERROR_REF]}}
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and f'"#/components/schemas/{unused}"' not in _dumps(schema):
            del schemas[unused]
    return schema


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value)


def install(app: FastAPI) -> None:
    """Serve :func:`document` as the app's OpenAPI (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
