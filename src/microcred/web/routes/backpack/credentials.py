"""The earner's backpack: their credentials, each verified now, with downloads and a share link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from microcred import urls
from microcred.accounts.services import User
from microcred.awards import queries as awards
from microcred.catalog import translations
from microcred.i18n import current_language
from microcred.web import vc_api
from microcred.web.auth import require_earner
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.document_fields import format_date
from microcred.web.presenters import CHECK_LABELS
from microcred.web.render import render

router = APIRouter(prefix="/backpack", tags=["backpack"], include_in_schema=False)

EarnerUser = Annotated[User, Depends(require_earner)]


@router.get("", name="backpack")
def backpack(request: Request, session: SessionDep, settings: SettingsDep, user: EarnerUser) -> Response:
    items = []
    held = awards.list_awards(session, earner_id=user.earner_id)
    verdicts = vc_api.verify_all(
        settings, request.app.state.session_factory, [awards.credential_document(award) for award in held]
    )
    for award, result in zip(held, verdicts, strict=True):
        summary = awards.summarise(session, award)
        name, _description = translations.localized(
            session, award.achievement_id, current_language(), name=summary.achievement_name, description=""
        )
        url = urls.credential_url(award.id, settings.base_url)
        items.append(
            {
                "id": str(award.id),
                "name": name,
                "issuer": summary.issuer_name,
                "issued": format_date(summary.issued_at.isoformat()),
                "valid_until": format_date(summary.valid_until.isoformat()) if summary.valid_until else None,
                "verified": result.verified,
                "failures": [(CHECK_LABELS.get(c.check, c.check), c.reason) for c in result.checks if not c.passed],
                "url": url,
                "json_url": url + "?format=json",
                "jwt_url": url + "?format=jwt" if award.credential_jwt else None,
            }
        )
    return render(request, "backpack/index.html", {"items": items})
