"""The console's organisation settings `/console/organisations/{id}` (issue 16, point 4), on SQLite and PostgreSQL:
the administrators of an organisation change its profile and relevance policy (saved, shown, audited under their
name); bad input is a 400 with each message tied to its field and nothing saved; other staff read the page but
cannot change it (403, nothing saved); French."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import form_token
from tests.web.org_site import Site, site_for

from microcred.audit.models import AuditEntry
from microcred.issuers import services as issuers
from microcred.partners import services as partners

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from site_for(request, tmp_path_factory.mktemp(f"organisation-{request.param}"))


def _fields(org_id: uuid.UUID, **changes: str) -> dict[str, str]:
    values = {
        "name": "Lakeshore College",
        "legal_name": "",
        "url": "https://lakeshore.example",
        "email": "registrar@lakeshore.example",
        "country": "CA",
        "region": "ON",
        "registration_id": "",
        "description": "A college.",
        "require_endorsement": "",
        "review_months": "12",
        "reminder_days": "60",
    }
    values.update(changes)
    return values


def _post(client: TestClient, org_id: uuid.UUID, **changes: str) -> Any:
    path = f"/console/organisations/{org_id}"
    data = {"csrf_token": form_token(client, path), **_fields(org_id, **changes)}
    return client.post(path, data=data, headers=HTML, follow_redirects=False)


def _state(factory: sessionmaker[Session], org_id: uuid.UUID) -> tuple[Any, ...]:
    with factory() as session:
        org = issuers.get_organisation(session, org_id)
        policy = partners.get_policy(session, org_id)
        return (org.name, org.legal_name, org.url, org.email, org.country, org.region, org.description, policy)


def _audited(factory: sessionmaker[Session], org_id: uuid.UUID) -> list[tuple[str, str, dict[str, Any]]]:
    with factory() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.subject == f"organisation:{org_id}").order_by(AuditEntry.seq)
        )
        return [(r.action, r.actor, json.loads(r.details)) for r in rows if r.action != "organisation.created"]


def test_the_administrator_sees_the_form_with_the_current_values(site: Site) -> None:
    page = site.admin.get(f"/console/organisations/{site.college}")
    assert page.status_code == 200
    assert re.search(r"<h1>Settings of Lakeshore \w+</h1>", page.text)
    assert f'action="/console/organisations/{site.college}"' in page.text
    assert re.search(r'id="name" name="name" type="text" value="[^"]+"', page.text)
    assert 'id="review_months" name="review_months" type="number" value="12"' in page.text
    assert 'for="require_endorsement"' in page.text
    listing = site.admin.get("/console/organisations").text
    assert f'<a href="/console/organisations/{site.college}">' in listing
    assert f'<a href="/console/organisations/{site.other}">Other College</a>' in listing


def test_changes_are_saved_shown_and_audited(site: Site) -> None:
    before = len(_audited(site.factory, site.college))
    response = _post(
        site.admin, site.college, name="Lakeshore Polytechnic", legal_name="Lakeshore Polytechnic Inc.",
        email="Info@Lakeshore.example", region="", description="A polytechnic.", require_endorsement="yes",
        review_months="24", reminder_days="30",
    )  # fmt: skip
    assert response.status_code == 303
    shown = site.admin.get(response.headers["location"]).text
    assert "The settings were saved." in shown
    assert 'value="Lakeshore Polytechnic"' in shown and 'value="24"' in shown
    assert 'id="require_endorsement" name="require_endorsement" type="checkbox" value="yes" checked' in shown
    assert _state(site.factory, site.college) == (
        "Lakeshore Polytechnic", "Lakeshore Polytechnic Inc.", "https://lakeshore.example", "info@lakeshore.example",
        "CA", None, "A polytechnic.", partners.Policy(True, 24, 30),
    )  # fmt: skip
    audited = _audited(site.factory, site.college)[before:]
    assert [(action, actor) for action, actor, _details in audited] == [
        ("organisation.changed", "web:admin@lakeshore.example"),
        ("relevance.policy_set", "web:admin@lakeshore.example"),
    ]
    assert audited[0][2] == {
        "changed": {
            "name": "Lakeshore Polytechnic", "legal_name": "Lakeshore Polytechnic Inc.",
            "email": "info@lakeshore.example", "region": None, "description": "A polytechnic.",
        }
    }  # fmt: skip
    assert _post(site.admin, site.college, **_saved_values(site)).status_code == 303
    assert len(_audited(site.factory, site.college)) == before + 2  # saving again unchanged records nothing


def _saved_values(site: Site) -> dict[str, str]:
    name, legal, url, email, country, region, description, policy = _state(site.factory, site.college)
    return {
        "name": name, "legal_name": legal or "", "url": url or "", "email": email or "", "country": country,
        "region": region or "", "description": description or "",
        "require_endorsement": "yes" if policy.require_endorsement else "",
        "review_months": str(policy.review_months), "reminder_days": str(policy.reminder_days),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", " ", "This field is required."),
        ("country", "Canada", "At most 2 characters."),
        ("country", "C1", "Enter a two-letter country code, such as CA."),
        ("url", "lakeshore.example", "Enter a web address starting with https:// or http://."),
        ("email", "registrar", "Enter an email address, such as name@example.org."),
        ("review_months", "0", "Enter a whole number of months from 1 to 60, such as 12."),
        ("reminder_days", "two", "Enter a whole number of days from 1 to 365, such as 60."),
        ("region", "x" * 101, "At most 100 characters."),
    ],
)
def test_bad_input_is_a_400_tied_to_its_field_and_nothing_is_saved(
    site: Site, field: str, value: str, message: str
) -> None:
    before, audited = _state(site.factory, site.college), _audited(site.factory, site.college)
    response = _post(site.admin, site.college, description="Not saved.", **{field: value})
    assert response.status_code == 400
    assert f'<p id="{field}-error" class="field-error">' in response.text and message in response.text
    assert re.search(rf'id="{field}" name="{field}"[^>]*aria-describedby="[^"]*{field}-error"[^>]*aria-invalid="true"',
                     response.text)  # fmt: skip
    assert f'<a href="#{field}">' in response.text  # the summary links to the field
    assert _state(site.factory, site.college) == before
    assert _audited(site.factory, site.college) == audited


def test_other_staff_read_the_page_but_cannot_change_it(site: Site) -> None:
    before, audited = _state(site.factory, site.college), _audited(site.factory, site.college)
    page = site.other_admin.get(f"/console/organisations/{site.college}").text
    assert "Only the administrators of" in page and f'action="/console/organisations/{site.college}"' not in page
    assert f'<a href="/console/organisations/{site.other}">' in page  # where they can act: their own page
    refused = _post(site.other_admin, site.college, name="Taken Over")
    assert refused.status_code == 403
    assert "can change its settings: nothing was saved" in refused.text
    reader = site.assessor.get(f"/console/organisations/{site.college}")
    assert reader.status_code == 200 and 'name="review_months"' not in reader.text
    token = form_token(site.assessor, f"/console/organisations/{site.college}")
    data = {"csrf_token": token, **_fields(site.college, name="Taken Over")}
    response = site.assessor.post(
        f"/console/organisations/{site.college}", data=data, headers=HTML, follow_redirects=False
    )
    assert response.status_code == 403
    no_token = site.admin.post(
        f"/console/organisations/{site.college}", data=_fields(site.college, name="No Token"), follow_redirects=False
    )
    assert no_token.status_code == 403
    assert _state(site.factory, site.college) == before
    assert _audited(site.factory, site.college) == audited
    assert site.admin.get(f"/console/organisations/{uuid.uuid4()}", headers=HTML).status_code == 404
    assert site.admin.get("/console/organisations/not-an-id", headers=HTML).status_code == 404


def test_the_other_administrator_changes_their_own_organisation(site: Site) -> None:
    response = _post(site.other_admin, site.other, name="Other Polytechnic", country="fr", url="", email="",
                     region="", description="")  # fmt: skip
    assert response.status_code == 303
    with site.factory() as session:
        org = issuers.get_organisation(session, site.other)
        assert (org.name, org.country, org.url) == ("Other Polytechnic", "FR", None)


def test_the_page_in_french(site: Site) -> None:
    french = {**HTML, "Accept-Language": "fr"}
    page = site.admin.get(f"/console/organisations/{site.college}", headers=french).text
    assert 'lang="fr"' in page and "Politique de pertinence" in page and "Enregistrer les paramètres" in page
    path = f"/console/organisations/{site.college}"
    data = {"csrf_token": form_token(site.admin, path), **_fields(site.college, review_months="61")}
    refused = site.admin.post(path, data=data, headers=french, follow_redirects=False)
    assert refused.status_code == 400
    assert "Saisissez un nombre entier de mois entre 1 et 60, par exemple 12." in refused.text
