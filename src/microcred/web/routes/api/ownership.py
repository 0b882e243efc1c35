"""The earner ownership API (bearer token): award exports and emails, wallet offers, an earner's data export,
erasure."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from microcred.assessments.storage import folder_store
from microcred.awards import exports
from microcred.awards import queries as awards
from microcred.ownership import delivery, erasure, oid4vci, portability
from microcred.web.deps import Authenticated, SessionDep, SettingsDep
from microcred.web.routes.backpack.ownership import Format, file_response
from microcred.web.routes.public.wallet import oauth_error

router = APIRouter(prefix="/api", tags=["earner ownership"], dependencies=[Authenticated])


class EmailRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: Literal["en", "fr"] = "en"


class OfferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tx_code: bool = True


def _earner_ref(session: Any, ref: str) -> Any:
    from microcred.transcripts.clr import find_earner

    return find_earner(session, ref)


@router.get("/awards/{award_id}/export", summary="An award as di, jwt, png or svg (baked), or pdf (certificate)")
def api_export(
    award_id: str, session: SessionDep, settings: SettingsDep, format: Format = "di", lang: Literal["en", "fr"] = "en"
) -> Response:
    from microcred.i18n import translations

    award = awards.get_award(session, award_id)
    return file_response(
        exports.export_file(
            session, award, format, base_url=settings.base_url, lang=lang, gettext=translations(lang).gettext
        )
    )


@router.post("/awards/{award_id}/email", summary="Email the award to its earner with a claim link (EN or FR)")
def api_email(award_id: str, body: EmailRequest, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    sent = delivery.send_award(session, settings, awards.get_award(session, award_id), language=body.language)
    session.commit()
    return JSONResponse({"sent": sent}, status_code=200 if sent else 502)


@router.post("/awards/{award_id}/wallet-offer", status_code=201, summary="An OID4VCI credential offer for the award")
def api_offer(award_id: str, body: OfferRequest, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    try:
        offer = oid4vci.create_offer(
            session, awards.get_award(session, award_id), base_url=settings.base_url, with_tx_code=body.tx_code
        )
    except oid4vci.OAuthError as exc:
        return oauth_error(exc)
    session.commit()
    return JSONResponse(
        {
            "credential_offer_uri": offer.offer_uri,
            "deep_link": offer.deep_link,
            "tx_code": offer.tx_code,
            "expires_at": offer.expires_at,
        },
        status_code=201,
    )


@router.get("/earners/{earner_ref}/export.zip", summary="Everything of an earner: credentials, profile, evidence")
def api_export_all(earner_ref: str, session: SessionDep, settings: SettingsDep) -> Response:
    earner = _earner_ref(session, earner_ref)
    data = portability.build_archive(
        session, earner.id, base_url=settings.base_url, store=folder_store(settings.data_dir)
    )
    session.commit()
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="earner-{earner.id}.zip"'},
    )


# {earner_id}, as GET /api/earners/{earner_id}: one resource, one path in the OpenAPI (and one Allow header)
@router.delete("/earners/{earner_id}", summary="Erase an earner (keeps the minimum award ledger)")
def api_erase(earner_id: str, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    earner = _earner_ref(session, earner_id)
    report = erasure.erase_earner(session, earner.id, store=folder_store(settings.data_dir))
    session.commit()
    return JSONResponse(
        {
            "earner_id": str(report.earner_id),
            "awards_kept": report.awards_kept,
            "rows_deleted": report.rows_deleted,
            "files_deleted": report.files_deleted,
        }
    )
