"""The console's people: staff accounts of every organisation (list, create)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred.accounts import services as accounts
from microcred.accounts.services import STAFF_ROLES
from microcred.i18n import gettext as _
from microcred.issuers import services as issuers
from microcred.web.deps import SessionDep
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.console.common import FormData, PeopleManager, console_router, redirect, role_label

router = console_router()


def _people_page(request: Request, session: Session, *, form: Form | None = None, status_code: int = 200) -> Response:
    return render(
        request,
        "console/people.html",
        {
            "people": accounts.list_users(session),
            "organisations": {o.id: o for o in issuers.list_organisations(session)},
            "org_options": [(str(o.id), o.name) for o in issuers.list_organisations(session)],
            "roles": [(r, role_label(r)) for r in STAFF_ROLES],
            "role_label": role_label,
            "form": form or Form({"role": "issuer_staff"}),
        },
        status_code=status_code,
    )


@router.get("/people", name="console_people")
def people(request: Request, session: SessionDep, user: PeopleManager) -> Response:
    return _people_page(request, session)


@router.post("/people", name="console_person_create")
def create_person(request: Request, session: SessionDep, user: PeopleManager, data: FormData) -> Response:
    form = Form(data)
    organisation_ids = [str(o.id) for o in issuers.list_organisations(session)]
    name = form.text("name", required=True)
    email = form.email("email", required=True)
    role = form.choice("role", STAFF_ROLES)
    organisation_id = form.choice("organisation_id", organisation_ids)
    password = data.get("password") if isinstance(data.get("password"), str) else None
    if password and len(password) < accounts.MIN_PASSWORD_LENGTH:
        form.errors["password"] = _("A password has at least %(n)s characters.", n=accounts.MIN_PASSWORD_LENGTH)
    if email and accounts.find_user_by_email(session, email) is not None:
        form.errors["email"] = _("Someone already has an account with this email address.")
    if form.ok:
        accounts.create_user(
            session,
            email=email or "",
            name=name or "",
            role=role or "",
            organisation_id=organisation_id,
            password=password or None,
        )
        session.commit()
        return redirect("/console/people?created=1")
    return _people_page(request, session, form=form, status_code=400)
