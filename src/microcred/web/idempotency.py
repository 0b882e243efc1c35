"""The ``Idempotency-Key`` request header of the API's non-idempotent POSTs (issue, renew, revoke an award).

A client that is unsure whether its request went through (a timeout, a dropped connection) sends it again with
the same key and gets the first response (same status and body, header ``Idempotent-Replayed: true``) instead of
a second award or a 409. Keys are scoped per API token and endpoint and kept 24 hours; see
`microcred.idempotency.services`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from microcred.idempotency import services as idempotency

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=idempotency.MAX_KEY_LENGTH,
        description=(
            "Optional. A unique value (e.g. a UUID) per intended operation. A retry with the same key and the same "
            "request returns the first response (same status and body, header `Idempotent-Replayed: true`) and "
            "changes nothing; the same key with a different request is refused (422). Scoped to the API token and "
            "this endpoint; concurrent requests with one key execute once. Keys are kept 24 hours: after that the "
            "same key executes as a new request."
        ),
        examples=["7f0c2a4e-5b1d-4c8e-9a3f-2d6b8e1c0f47"],
    ),
]


def responses(success: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI responses the header adds to a route whose success status is ``success``."""
    return {
        success: {
            "headers": {
                REPLAYED_HEADER: {
                    "description": "`true` when this is the stored response of an earlier request with the same "
                    "Idempotency-Key (nothing was executed again)",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            }
        },
        422: {"description": "Invalid input, or an Idempotency-Key already used for a different request"},
    }


def actor_of(request: Request) -> str:
    """Who the key belongs to: the bearer token (by its SHA-256, never the token itself)."""
    _scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return "token:" + hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def endpoint_of(request: Request) -> str:
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


def execute(
    request: Request,
    session: Session,
    key: str | None,
    *,
    body: BaseModel | None,
    status_code: int,
    work: Callable[[], tuple[dict[str, Any], uuid.UUID | None]],
) -> Response:
    """Run ``work`` (it returns the JSON content and the award it is about, and does not commit) once per key,
    store its response with the key, commit; or replay the stored response of an earlier request with the key."""
    claimed = None  # the key's row (idempotency.claim's), once this request holds it
    if key is not None:
        digest = idempotency.request_digest(
            {"path": dict(request.path_params), "body": body.model_dump(mode="json") if body is not None else None}
        )
        found = idempotency.claim(
            session, actor=actor_of(request), endpoint=endpoint_of(request), key=key, digest=digest
        )
        if isinstance(found, idempotency.StoredResponse):
            session.rollback()  # nothing was written; end the read transaction
            return Response(
                found.body,
                status_code=found.status_code,
                media_type="application/json",
                headers={REPLAYED_HEADER: "true"},
            )
        claimed = found
    content, award_id = work()
    response = JSONResponse(content, status_code=status_code)
    if claimed is not None:
        idempotency.complete(
            session, claimed, status_code=status_code, body=bytes(response.body).decode("utf-8"), award_id=award_id
        )
    session.commit()
    return response
