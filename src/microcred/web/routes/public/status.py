"""The public status list credentials (`GET /status/{list_id}`), signed by the issuer, cacheable with an ETag."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from microcred.issuers import keystore
from microcred.status import services as status
from microcred.web import counting
from microcred.web.deps import SessionDep, SettingsDep

LIST_MEDIA_TYPE = "application/vc+ld+json"

router = APIRouter(tags=["status"])


@router.get(
    "/status/{list_id}",
    summary="A BitstringStatusListCredential (signed by the issuer; cacheable, with ETag)",
    responses={
        200: {"content": {LIST_MEDIA_TYPE: {}}},
        304: {"description": "Not modified (If-None-Match)"},
        404: {"description": "No such list"},
    },
)
def get_status_list(list_id: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    signed = status.signed_list(
        session, list_id, base_url=settings.base_url, master_key=lambda: keystore.load_master_key(settings)
    )
    if signed.resigned:
        session.commit()
    listed = status.get_list(session, list_id)  # already read: its organisation and id, for the count
    headers = {
        "ETag": signed.etag,
        "Cache-Control": f"public, max-age={status.LIST_TTL_SECONDS}",
        "Access-Control-Allow-Origin": "*",
    }
    match = request.headers.get("if-none-match", "")
    if signed.etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*":
        response = Response(status_code=304, headers=headers)
    else:
        response = Response(signed.text, media_type=LIST_MEDIA_TYPE, headers=headers)
    return counting.status_list(request, response, listed.organisation_id, listed.id)
