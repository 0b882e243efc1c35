"""The organisations API: create (with a signing key), list, read."""

from __future__ import annotations

from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import Field

from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.settings import Settings
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.routes.api.common import In, api_router

router = api_router()


def organisation_json(org: Any, settings: Settings, session: Any) -> dict[str, Any]:
    base = settings.base_url
    return {
        "id": str(org.id),
        "kind": org.kind,
        "name": org.name,
        "legal_name": org.legal_name,
        "url": org.url,
        "email": org.email,
        "country": org.country,
        "region": org.region,
        "registration_id": org.registration_id,
        "description": org.description,
        "did": issuers.did_for(org, base),
        "did_document_url": issuers.did_document_url(org, base),
        "profile_url": issuers.issuer_url(org, base),
        "keys": [
            {"public_key_multibase": k.public_key_multibase, "status": k.status}
            for k in issuers.list_signing_keys(session, org)
        ],
    }


class OrganisationIn(In):
    kind: Literal["institution", "employer", "agency", "professional_body"] = "institution"
    name: str = Field(min_length=1, max_length=300)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2, e.g. CA")
    legal_name: str | None = Field(None, max_length=300)
    url: str | None = Field(None, max_length=2000)
    email: str | None = Field(None, max_length=320)
    region: str | None = Field(None, max_length=100)
    registration_id: str | None = Field(None, max_length=200)
    description: str | None = None


@router.post("/organisations", status_code=201, summary="Create an organisation (and its signing key)")
def create_organisation(body: OrganisationIn, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    org = issuers.create_organisation(session, **body.model_dump())
    issuers.ensure_signing_key(session, org, master_key=keystore.load_master_key(settings))
    session.commit()
    return JSONResponse(organisation_json(org, settings, session), status_code=201)


@router.get("/organisations", summary="List organisations")
def list_organisations(session: SessionDep, settings: SettingsDep) -> list[dict[str, Any]]:
    return [organisation_json(o, settings, session) for o in issuers.list_organisations(session)]


@router.get("/organisations/{org_id}", summary="One organisation")
def get_organisation(org_id: str, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    return organisation_json(issuers.get_organisation(session, org_id), settings, session)
