"""Registering a partner organisation from the console (`/console/partners/new`, POST `/console/partners`; issue
16), on SQLite and PostgreSQL: an organisation administrator registers one (stored with its partner row, its signing
key and its audit entries under the administrator's name; the partners page names it and its did:web); each bad
field is a 400 with an error summary and nothing saved; a name already registered is a warning that must be
confirmed; anyone else gets a 403; French."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import form_token, sign_in_with_password

from microcred.accounts import services as accounts
from microcred.audit.models import AuditEntry
from microcred.errors import InvalidInput
from microcred.issuers import services as issuers
from microcred.partners import services as partners
from microcred.settings import Settings
from microcred.web.forms import Form
from microcred.web.routes.console import partner_directory

PASSWORD = "partner register password 1"
HTML = {"Accept": "text/html"}
GOOD = {
    "name": "Great Lakes Hospitality Group",
    "partner_type": "employer",
    "country": "ca",
    "sector": "Hospitality",
    "email": "Partners@GreatLakes.example",
    "url": "https://greatlakes.example",
}


@pytest.fixture
def college(factory: sessionmaker[Session], make_org: Callable[..., Any]) -> str:
    """A college with an administrator and an issuer staff member; returns the college's id."""
    with factory() as session:
        org = make_org(session)
        for email, role in (("admin@college.example", "org_admin"), ("staff@college.example", "issuer_staff")):
            accounts.create_user(
                session, email=email, name=email.split("@")[0], role=role, organisation_id=org.id, password=PASSWORD
            )
        session.commit()
        return str(org.id)


@pytest.fixture
def client(app: FastAPI, college: str) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def _register(client: TestClient, **data: str) -> Any:
    token = form_token(client, "/console/partners/new")
    return client.post("/console/partners", data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False)


def _organisations(factory: sessionmaker[Session]) -> list[tuple[str, str]]:
    """Every organisation (name, kind), oldest first."""
    with factory() as session:
        return [(o.name, o.kind) for o in issuers.list_organisations(session)]


def _partner_names(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return [o.name for _p, o in partners.list_partners(session)]


def _summary_links(page: str) -> list[str]:
    """The fields the error summary links to, in order."""
    summary = re.search(r'<div class="alert alert-fail" role="alert"[^>]*id="error-summary">(.*?)</div>', page, re.S)
    assert summary is not None, "no error summary"
    return re.findall(r'<a href="#([a-z_]+)">', summary[1])


def test_an_administrator_registers_a_partner_with_its_key_and_did(
    client: TestClient, factory: sessionmaker[Session], settings: Settings
) -> None:
    sign_in_with_password(client, "admin@college.example", PASSWORD)
    page = client.get("/console/partners").text
    assert 'href="/console/partners/new"' in page and "Register a partner organisation" in page
    form = client.get("/console/partners/new")
    assert form.status_code == 200
    for label in ('<label for="name">', '<label for="partner_type">', '<label for="country">', '<label for="sector">',
                  '<label for="email">', '<label for="url">'):  # fmt: skip
        assert label in form.text
    assert "Industry association (represents the businesses of a sector)" in form.text
    assert 'id="country" name="country" type="text" value="CA"' in form.text

    done = _register(client, **GOOD)
    assert done.status_code == 303, done.text
    location = done.headers["location"]
    match = re.fullmatch(r"/console/partners\?registered=([0-9a-f-]{36})", location)
    assert match is not None, location
    with factory() as session:
        org = issuers.get_organisation(session, match[1])
        partner = partners.get_partner(session, org.id)
        assert (org.name, org.kind, org.country, org.email, org.url) == (
            "Great Lakes Hospitality Group", "employer", "CA", "partners@greatlakes.example", "https://greatlakes.example",
        )  # fmt: skip
        assert (partner.partner_type, partner.sector) == ("employer", "Hospitality")
        assert issuers.active_signing_key(session, org) is not None
        did = issuers.did_for(org, settings.base_url)
        entries = session.scalars(select(AuditEntry).where(AuditEntry.subject == f"organisation:{org.id}")).all()
        assert {e.action for e in entries} >= {"organisation.created", "partner.registered"}
        assert {e.actor for e in entries} == {"web:admin@college.example"}
        assert json.loads(next(e.details for e in entries if e.action == "partner.registered")) == {
            "partner_type": "employer"
        }

    after = client.get(location).text
    assert "Great Lakes Hospitality Group is registered as a partner organisation" in after
    assert did.startswith("did:web:") and did in after.replace("<wbr>", "")
    assert re.search(
        r"<th scope=\"row\"><a href=\"https://greatlakes.example\">Great Lakes Hospitality Group</a>", after
    )
    assert "registered as a partner" not in client.get("/console/partners?registered=not-an-id").text


def test_bad_fields_are_a_400_with_an_error_summary_and_nothing_saved(
    client: TestClient, factory: sessionmaker[Session]
) -> None:
    sign_in_with_password(client, "admin@college.example", PASSWORD)
    before = _organisations(factory)
    bad = _register(
        client, name="  ", partner_type="charity", country="Canada", email="not-an-email", url="ftp://x.example"
    )
    assert bad.status_code == 400
    assert _summary_links(bad.text) == ["name", "partner_type", "country", "email", "url"]
    assert "Enter the country as its two-letter ISO code" in bad.text
    assert "Enter a web address starting with https://" in bad.text
    assert re.search(r'<input id="country" [^>]*aria-invalid="true"', bad.text)
    assert 'value="Canada"' in bad.text  # what was typed is kept
    no_type = _register(client, **{**GOOD, "partner_type": ""})
    assert no_type.status_code == 400 and _summary_links(no_type.text) == ["partner_type"]
    too_long = _register(client, **{**GOOD, "name": "x" * 301})
    assert too_long.status_code == 400 and _summary_links(too_long.text) == ["name"]
    assert _organisations(factory) == before and _partner_names(factory) == []


def test_a_name_already_registered_must_be_confirmed(client: TestClient, factory: sessionmaker[Session]) -> None:
    sign_in_with_password(client, "admin@college.example", PASSWORD)
    assert _register(client, **GOOD).status_code == 303
    again = _register(client, **{**GOOD, "name": "great lakes  hospitality group", "partner_type": "industry"})
    assert again.status_code == 400
    assert "An organisation with this name is already registered" in again.text
    assert 'id="confirm_duplicate"' in again.text and "Register it anyway" in again.text
    assert _partner_names(factory) == ["Great Lakes Hospitality Group"]  # nothing saved before confirming
    college = _register(client, **{**GOOD, "name": "Test College"})  # an issuer's name counts too
    assert college.status_code == 400 and "already registered" in college.text
    confirmed = _register(client, **{**GOOD, "name": "Great Lakes Hospitality Group", "confirm_duplicate": "1"})
    assert confirmed.status_code == 303
    assert _partner_names(factory) == ["Great Lakes Hospitality Group", "Great Lakes Hospitality Group"]


def test_only_an_organisation_administrator_may_register(client: TestClient, factory: sessionmaker[Session]) -> None:
    before = _organisations(factory)
    no_csrf = client.post("/console/partners", data=GOOD, headers=HTML, follow_redirects=False)
    assert no_csrf.status_code == 403  # signed out and no token: refused before anything
    sign_in_with_password(client, "staff@college.example", PASSWORD)
    page = client.get("/console/partners")
    assert page.status_code == 200 and 'href="/console/partners/new"' not in page.text
    assert client.get("/console/partners/new", headers=HTML).status_code == 403
    token = form_token(client, "/console/partners")
    refused = client.post("/console/partners", data={"csrf_token": token, **GOOD}, headers=HTML, follow_redirects=False)
    assert refused.status_code == 403 and "Your role does not allow this." in refused.text
    client.post("/sign-out", data={"csrf_token": token})
    sign_in_with_password(client, "admin@college.example", PASSWORD)
    forged = client.post("/console/partners", data=GOOD, headers=HTML, follow_redirects=False)
    assert forged.status_code == 403  # an administrator's form without its CSRF token
    assert _organisations(factory) == before


def test_french(client: TestClient) -> None:
    sign_in_with_password(client, "admin@college.example", PASSWORD)
    client.get("/language/fr?next=/console/partners")
    form = client.get("/console/partners/new").text
    assert 'lang="fr"' in form and "Inscrire une organisation partenaire" in form
    assert "Ordre professionnel (encadre ou certifie une profession)" in form
    bad = _register(client, **{**GOOD, "country": "X1"})
    assert bad.status_code == 400 and "code ISO à deux lettres" in bad.text
    done = _register(client, **{**GOOD, "name": "Hôtellerie Québec"})
    after = client.get(done.headers["location"]).text
    assert "Hôtellerie Québec est inscrite comme organisation partenaire" in after


def test_a_refusal_of_the_service_lands_on_its_field() -> None:
    from microcred.partners.models import PARTNER_TYPES

    assert partner_directory.PARTNER_KINDS == PARTNER_TYPES  # the form offers what the service takes
    form = Form({})
    assert partner_directory._service_error(form, InvalidInput("country must be an ISO 3166-1 alpha-2 code")) is None
    assert form.errors == {"country": "Enter the country as its two-letter ISO code, such as CA for Canada."}
    form = Form({})
    assert partner_directory._service_error(form, InvalidInput("partner type must be one of ...")) is None
    assert list(form.errors) == ["partner_type"]
    general = partner_directory._service_error(Form({}), InvalidInput("no master key"))
    assert general is not None and "could not be registered" in general
