"""The partners API (bearer token, issue 7): partner organisations, labour-market codes, coverage, relevance,
endorsements and endorsement requests."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from microcred.catalog import services as catalog
from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.partners import services as partners
from microcred.web.deps import Authenticated, SessionDep, SettingsDep

router = APIRouter(prefix="/api", tags=["endorsements"], dependencies=[Authenticated])


class PartnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partner_type: str
    name: str
    country: str = "CA"
    sector: str | None = None
    email: str | None = None
    url: str | None = None


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    title: str


class OccupationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    esco: list[str] = []
    noc: list[CodeIn] = []
    cip: CodeIn | None = None


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    achievement_id: str
    partner_id: str
    message: str | None = None


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str


def _codes(session: Session, achievement_id: str) -> list[dict[str, str]]:
    return [
        {"scheme": c.scheme, "code": c.code, "label": c.label}
        for c in partners.labour_market_codes(session, achievement_id)
    ]


@router.get("/partners")
def api_partners(session: SessionDep) -> list[dict[str, Any]]:
    return [
        {"id": str(o.id), "name": o.name, "partner_type": p.partner_type, "sector": p.sector}
        for p, o in partners.list_partners(session)
    ]


@router.post("/partners", status_code=201)
def api_create_partner(body: PartnerIn, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    org, partner = partners.create_partner(
        session,
        partner_type=body.partner_type,
        sector=body.sector,
        name=body.name,
        country=body.country,
        email=body.email,
        url=body.url,
    )
    issuers.ensure_signing_key(session, org, master_key=keystore.load_master_key(settings))
    session.commit()
    return {"id": str(org.id), "partner_type": partner.partner_type, "did": issuers.did_for(org, settings.base_url)}


@router.get("/achievements/{achievement_id}/occupations")
def api_occupations(achievement_id: str, session: SessionDep) -> list[dict[str, str]]:
    catalog.get_achievement(session, achievement_id)
    return _codes(session, achievement_id)


@router.put("/achievements/{achievement_id}/occupations")
def api_set_occupations(achievement_id: str, body: OccupationsIn, session: SessionDep) -> list[dict[str, str]]:
    partners.set_labour_market_codes(
        session,
        achievement_id,
        esco=body.esco,
        noc=[(c.code, c.title) for c in body.noc],
        cip=(body.cip.code, body.cip.title) if body.cip else None,
    )
    session.commit()
    return _codes(session, achievement_id)


@router.get("/achievements/{achievement_id}/coverage")
def api_coverage(achievement_id: str, session: SessionDep) -> list[dict[str, Any]]:
    return [c.as_dict() for c in partners.coverage(session, achievement_id)]


@router.get("/relevance")
def api_relevance(session: SessionDep, issuer_id: str | None = None) -> list[dict[str, Any]]:
    return [r.as_dict() for r in partners.relevance_report(session, issuer_id=issuer_id)]


@router.get("/endorsements")
def api_endorsements(session: SessionDep) -> list[dict[str, Any]]:
    return [partners.endorsement_summary(session, e) for e in partners.list_endorsements(session)]


@router.get("/endorsements/{endorsement_id}")
def api_endorsement(endorsement_id: str, session: SessionDep) -> JSONResponse:
    return JSONResponse(partners.endorsement_document(partners.get_endorsement(session, endorsement_id)))


@router.post("/endorsements/{endorsement_id}/revoke")
def api_revoke(endorsement_id: str, body: ReasonIn, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    row, notes = partners.revoke_endorsement(session, endorsement_id, reason=body.reason)
    session.commit()
    partners.send_notifications(settings, notes)
    return partners.endorsement_summary(session, row)


@router.get("/endorsement-requests")
def api_requests(session: SessionDep, status: str | None = None) -> list[dict[str, Any]]:
    return [partners.request_json(session, r) for r in partners.list_requests(session, status=status)]


@router.post("/endorsement-requests", status_code=201)
def api_request(body: RequestIn, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    row, notes = partners.request_endorsement(
        session,
        achievement_id=body.achievement_id,
        partner_id=body.partner_id,
        message=body.message,
        base_url=settings.base_url,
    )
    session.commit()
    partners.send_notifications(settings, notes)
    return partners.request_json(session, row)
