"""The earner's transcripts (registrar PDF/CSV, signed CLR), pathway progress and external credentials."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from microcred import issuing
from microcred.accounts.services import User
from microcred.earners import services as earners
from microcred.errors import DomainError
from microcred.i18n import LANGUAGES, current_language, translations
from microcred.i18n import gettext as _
from microcred.issuers import keystore
from microcred.transcripts import clr, external, pathways, registrar
from microcred.web import vc_api
from microcred.web.auth import CsrfChecked, require_earner
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.render import render

router = APIRouter(prefix="/backpack", tags=["backpack"], include_in_schema=False, dependencies=[CsrfChecked])
EarnerUser = Annotated[User, Depends(require_earner)]
Lang = Literal["en", "fr"]


def _download(content: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def registrar_file(
    session: Any, earner: Any, base_url: str, fmt: str, lang: str | None, *, of_issuer: Any = None
) -> Response:
    """The registrar transcript as a PDF or CSV download (of one organisation's awards with ``of_issuer``)."""
    language = lang if lang in LANGUAGES else current_language()
    data = registrar.transcript(session, earner, base_url=base_url, of_issuer=of_issuer)
    gettext = translations(language).gettext
    if fmt == "pdf":
        return _download(registrar.to_pdf(data, lang=language, gettext=gettext), "application/pdf", "transcript.pdf")
    return _download(
        registrar.to_csv(data, lang=language, gettext=gettext), "text/csv; charset=utf-8", "transcript.csv"
    )


@router.get("/transcript.pdf", name="backpack_transcript_pdf")
def backpack_pdf(session: SessionDep, settings: SettingsDep, user: EarnerUser, lang: Lang | None = None) -> Response:
    return registrar_file(session, earners.get_earner(session, str(user.earner_id)), settings.base_url, "pdf", lang)


@router.get("/transcript.csv", name="backpack_transcript_csv")
def backpack_csv(session: SessionDep, settings: SettingsDep, user: EarnerUser, lang: Lang | None = None) -> Response:
    return registrar_file(session, earners.get_earner(session, str(user.earner_id)), settings.base_url, "csv", lang)


@router.get("/clr.json", name="backpack_clr")
def backpack_clr(session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    document = clr.issue_clr(
        session, str(user.earner_id), base_url=settings.base_url, master_key=keystore.load_master_key(settings)
    )
    session.commit()  # the audit entry of the issued CLR
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return _download(body, "application/ld+json", "clr.json")


def _pathways_page(request: Request, session: Any, settings: Any, user: User, **extra: Any) -> Response:
    states = pathways.earner_progress(session, user.earner_id, settings.base_url)  # type: ignore[arg-type]
    externals = external.list_external(session, user.earner_id)  # type: ignore[arg-type]
    return render(request, "transcripts/pathways.html", {"states": states, "externals": externals, **extra})


@router.get("/pathways", name="backpack_pathways")
def backpack_pathways(request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    return _pathways_page(request, session, settings, user)


@router.post("/external", name="backpack_add_external")
async def backpack_add_external(
    request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser
) -> Response:
    form = await request.form()
    text = str(form.get("credential") or "").strip()
    try:
        source: dict[str, Any] | str = json.loads(text) if text.startswith("{") else text
        if not text:
            raise ValueError
    except ValueError:
        return _pathways_page(request, session, settings, user, errors=[_("Paste a credential (JSON or a JWT).")])
    factory = request.app.state.session_factory
    try:
        issuing.add_external_credential(
            session,
            user.earner_id,  # type: ignore[arg-type]
            source,
            verify=lambda s: vc_api.verify(settings, factory, s),
            base_url=settings.base_url,
            master_key=keystore.load_master_key(settings),
        )
    except external.NotVerified as exc:
        session.rollback()
        return _pathways_page(request, session, settings, user, errors=exc.reasons, not_verified=True)
    except DomainError as exc:
        session.rollback()
        return _pathways_page(request, session, settings, user, errors=[str(exc)])
    session.commit()
    return RedirectResponse("/backpack/pathways?added=1", status_code=303)
