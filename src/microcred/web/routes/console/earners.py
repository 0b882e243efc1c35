"""The console's earners: the list and the create form."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred.earners import services as earners
from microcred.i18n import gettext as _
from microcred.web.deps import SessionDep
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.console.common import EarnerManager, FormData, console_router, redirect

router = console_router()


def _earners_page(request: Request, session: Session, *, form: Form | None = None, status_code: int = 200) -> Response:
    return render(
        request,
        "console/earners.html",
        {"earners": earners.list_earners(session), "form": form or Form({})},
        status_code=status_code,
    )


@router.get("/earners", name="console_earners")
def earner_list(request: Request, session: SessionDep, user: EarnerManager) -> Response:
    return _earners_page(request, session)


@router.post("/earners", name="console_earner_create")
def create_earner(request: Request, session: SessionDep, user: EarnerManager, data: FormData) -> Response:
    form = Form(data)
    name = form.text("name", required=True)
    email = form.email("email", required=True)
    if email and earners.find_earner_by_email(session, email) is not None:
        form.errors["email"] = _("An earner with this email address already exists.")
    if form.ok:
        earners.create_earner(session, name=name or "", email=email or "")
        session.commit()
        return redirect("/console/earners?created=1")
    return _earners_page(request, session, form=form, status_code=400)
