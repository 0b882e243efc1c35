"""The console's dashboard: counts of what the signed-in staff member may see."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from microcred.accounts import services as accounts
from microcred.earners import services as earners
from microcred.issuers import services as issuers
from microcred.web.deps import SessionDep
from microcred.web.render import render
from microcred.web.routes.console.common import Viewer, achievements_for, awards_for, console_router, role_label

router = console_router()


@router.get("", name="console")
def dashboard(request: Request, session: SessionDep, user: Viewer) -> Response:
    achievements = achievements_for(session, user)
    organisation = issuers.find_organisation(session, user.organisation_id) if user.organisation_id else None
    award_count = len(awards_for(session, user)) if accounts.can(user, "award") else None
    return render(
        request,
        "console/dashboard.html",
        {
            "organisation": organisation,
            "achievement_count": len(achievements),
            "draft_count": sum(1 for a in achievements if a.status == "draft"),
            "earner_count": len(earners.list_earners(session)) if accounts.can(user, "manage_earners") else None,
            "award_count": award_count,
            "role_label": role_label(user.role),
        },
    )
