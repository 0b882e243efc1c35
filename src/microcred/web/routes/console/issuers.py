"""The console's organisations: the list and the create form (which also makes the signing key)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred.errors import DomainError
from microcred.i18n import gettext as _
from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.issuers.services import ORGANISATION_KINDS
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.console.common import FormData, OrgManager, Viewer, console_router, redirect

router = console_router()


def kind_label(kind: str) -> str:
    return {
        "institution": _("Institution"),
        "employer": _("Employer"),
        "agency": _("Agency"),
        "professional_body": _("Professional body"),
    }.get(kind, kind)


def _organisations_page(
    request: Request, session: Session, *, form: Form | None = None, status_code: int = 200
) -> Response:
    return render(
        request,
        "console/organisations.html",
        {
            "organisations": issuers.list_organisations(session),
            "kinds": [(k, kind_label(k)) for k in ORGANISATION_KINDS],
            "form": form or Form({"kind": "institution", "country": "CA"}),
        },
        status_code=status_code,
    )


@router.get("/organisations", name="console_organisations")
def organisations(request: Request, session: SessionDep, user: Viewer) -> Response:
    return _organisations_page(request, session)


@router.post("/organisations", name="console_organisation_create")
def create_organisation(
    request: Request, session: SessionDep, settings: SettingsDep, user: OrgManager, data: FormData
) -> Response:
    form = Form(data)
    values = {
        "kind": form.choice("kind", ORGANISATION_KINDS),
        "name": form.text("name", required=True),
        "country": form.text("country", required=True, max_length=2),
        "url": form.url("url"),
        "email": form.email("email"),
    }
    country = values["country"]
    if country is not None and not (len(country) == 2 and country.isalpha()):
        form.errors["country"] = _("Enter a two-letter country code, such as CA.")
    if form.ok:
        try:
            org = issuers.create_organisation(session, **values)  # type: ignore[arg-type]
            issuers.ensure_signing_key(session, org, master_key=keystore.load_master_key(settings))
            session.commit()
            return redirect("/console/organisations?created=1")
        except DomainError as exc:
            session.rollback()
            form.errors["name"] = str(exc)
    return _organisations_page(request, session, form=form, status_code=400)
