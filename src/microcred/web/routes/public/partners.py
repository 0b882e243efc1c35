"""The public endorsement document: a partner-signed EndorsementCredential at its own id (issue 7)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from microcred.partners import services as partners
from microcred.web.deps import SessionDep

router = APIRouter(tags=["endorsements"])
JSON_LD = "application/ld+json"


@router.get("/endorsements/{endorsement_id}", include_in_schema=False)
def endorsement_document(endorsement_id: str, session: SessionDep) -> Response:
    """The signed EndorsementCredential at its own id (verifiable anywhere)."""
    row = partners.get_endorsement(session, endorsement_id)
    return Response(row.credential_json, media_type=JSON_LD)
