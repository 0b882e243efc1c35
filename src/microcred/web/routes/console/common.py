"""What the console's area modules share: the router settings, the role dependencies, and the helpers that
decide which achievements (and so which awards) a staff member sees."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from microcred.accounts.services import User
from microcred.awards import queries as award_queries
from microcred.catalog import services as catalog
from microcred.catalog import translations
from microcred.catalog.services import Achievement
from microcred.errors import NotFound
from microcred.i18n import current_language
from microcred.i18n import gettext as _
from microcred.web.auth import CsrfChecked, require
from microcred.web.forms import form_data

Viewer = Annotated[User, Depends(require("view"))]
Editor = Annotated[User, Depends(require("edit_achievements"))]
Awarder = Annotated[User, Depends(require("award"))]
EarnerManager = Annotated[User, Depends(require("manage_earners"))]
PeopleManager = Annotated[User, Depends(require("manage_people"))]
OrgManager = Annotated[User, Depends(require("manage_organisations"))]
FormData = Annotated[dict[str, Any], Depends(form_data)]


def console_router() -> APIRouter:
    """A router under `/console` (HTML, CSRF-checked); each area has its own and app.py includes them in order."""
    return APIRouter(prefix="/console", tags=["console"], include_in_schema=False, dependencies=[CsrfChecked])


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def issuing(user: User) -> bool:
    return user.role in ("org_admin", "issuer_staff", "assessor")


def achievements_for(session: Session, user: User, *, status: str | None = None) -> list[Achievement]:
    if issuing(user):
        return catalog.list_achievements(session, issuer_id=user.organisation_id, status=status)
    return catalog.list_achievements(session, status="published")  # partner reviewers: what is on offer


def own_achievement(session: Session, user: User, achievement_id: str) -> Achievement:
    achievement = catalog.get_achievement(session, achievement_id)
    if issuing(user) and achievement.issuer_id == user.organisation_id:
        return achievement
    if not issuing(user) and achievement.status == "published":
        return achievement
    raise NotFound(_("no achievement with this id in your organisation"))


def localized_name(session: Session, achievement: Achievement) -> str:
    name, _description = translations.localized(
        session, achievement.id, current_language(), name=achievement.name, description=achievement.description
    )
    return name


def awards_for(
    session: Session,
    user: User,
    *,
    issued_from: datetime | None = None,
    issued_before: datetime | None = None,
) -> list[award_queries.AwardSummary]:
    """The awards of the achievements this staff member sees, issued in [issued_from, issued_before) when given
    (the bounds are applied in the query)."""
    mine = {a.id for a in achievements_for(session, user)}
    found = award_queries.award_summaries(session, issued_from=issued_from, issued_before=issued_before)
    return [s for s in found if s.achievement_id in mine]


def role_label(role: str) -> str:
    return {
        "org_admin": _("Organisation administrator"),
        "issuer_staff": _("Issuer staff"),
        "assessor": _("Assessor"),
        "partner_reviewer": _("Partner reviewer"),
        "earner": _("Earner"),
    }.get(role, role)
