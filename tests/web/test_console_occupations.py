"""The console's occupations and coverage screen `/console/achievements/{id}/occupations` (issue 16, point 4), on
SQLite and PostgreSQL, over the demo seeded after a slice of ESCO that holds the cook occupations: the demo
achievement's codes and the coverage view (the numbers of `partners.coverage`, the essential skills not covered);
the search step, adding and removing a pick, saving (stored, audited under the staff member's name); bad codes a
400 with the message tied to the field and nothing saved; another organisation's staff 404, a partner reviewer
reads but may not save (403), a form without its CSRF token refused; French."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import form_token, make_settings, sign_in_with_password

from microcred import db
from microcred.accounts import services as accounts
from microcred.audit.models import AuditEntry
from microcred.demo.ids import COLLEGE_ID, EMPLOYER_ID, INSTITUTE_ID, achievement_id
from microcred.partners import services as partners
from microcred.taxonomy.esco import read_esco
from microcred.taxonomy.loader import store_framework
from microcred.taxonomy.records import FrameworkData
from support.esco_subset import esco_subset

PASSWORD = "occupations screen password 1"
HTML = {"Accept": "text/html"}
COOK = "http://data.europa.eu/esco/occupation/90f75f67-495d-49fa-ab57-2f320e251d7e"
FOOD_SAFETY = achievement_id("food-safety")
SPREADSHEETS = achievement_id("spreadsheet-analysis")


@cache
def esco_with_cooks() -> FrameworkData:
    """The test slice of ESCO plus its five cook occupations (industrial, diet, fish, grill cook and cook), their
    skill relations and the concepts those name, so each occupation keeps all its ESCO skills."""
    full = read_esco()
    subset = esco_subset()
    occupations = [o for o in full.occupations if "cook" in o.preferred_label.lower()]
    wanted = {o.uri for o in occupations}
    relations = [r for r in full.occupation_skills if r[0] in wanted]
    named = {concept for _occupation, concept, _relation in relations}
    kept = {c.uri for c in subset.concepts}
    concepts = subset.concepts + [c for c in full.concepts if c.uri in named and c.uri not in kept]
    uris = {c.uri for c in concepts}
    return dataclasses.replace(
        subset,
        concepts=concepts,
        broader=[(a, b) for a, b in full.broader if a in uris and b in uris],
        occupations=occupations,
        occupation_skills=relations,
    )


@dataclass
class Site:
    factory: sessionmaker[Session]
    admin: TestClient  # the college's administrator
    other: TestClient  # the institute's administrator
    reviewer: TestClient  # the employer partner's reviewer
    grill_cook: str


def _seed(factory: sessionmaker[Session], master_key: bytes, base_url: str) -> None:
    from microcred import demo

    with db.session_scope(factory) as session:
        store_framework(session, esco_with_cooks())
    with db.session_scope(factory) as session:
        demo.seed_demo(session, base_url=base_url, master_key=master_key)
        for email, role, org in (
            ("admin@college.example", "org_admin", COLLEGE_ID),
            ("admin@institute.example", "org_admin", INSTITUTE_ID),
            ("reviewer@partner.example", "partner_reviewer", EMPLOYER_ID),
        ):
            accounts.create_user(
                session, email=email, name=email.split("@")[0], role=role, organisation_id=org, password=PASSWORD
            )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from tests.conftest import scratch_database

    from microcred.issuers import keystore
    from microcred.web.app import create_app

    tmp: Path = tmp_path_factory.mktemp(f"occupations-{request.param}")
    url, drop = scratch_database(request.param, tmp / "occupations.db", request)
    engine = db.make_engine(url)
    clients: list[TestClient] = []
    try:
        db.upgrade(engine=engine)
        factory = db.session_factory(engine)
        settings = make_settings(tmp / "instance", DATABASE_URL=url)
        _seed(factory, keystore.load_master_key(settings), settings.base_url)
        app = create_app(settings=settings, session_factory=factory)
        for email in ("admin@college.example", "admin@institute.example", "reviewer@partner.example"):
            client = TestClient(app, base_url="https://testserver")
            client.__enter__()
            clients.append(client)
            sign_in_with_password(client, email, PASSWORD)
        grill = next(o.uri for o in esco_with_cooks().occupations if o.preferred_label == "grill cook")
        yield Site(factory, *clients, grill_cook=grill)
    finally:
        for client in clients:
            client.__exit__(None, None, None)
        engine.dispose()
        if drop is not None:
            drop()


def _path(achievement: object) -> str:
    return f"/console/achievements/{achievement}/occupations"


def _post(client: TestClient, achievement: object, data: dict[str, str], *, csrf: bool = True) -> Any:
    path = _path(achievement)
    token = {"csrf_token": form_token(client, path)} if csrf else {}
    return client.post(path, data={**token, **data}, headers=HTML, follow_redirects=False)


def _codes(factory: sessionmaker[Session], achievement: object) -> list[tuple[str, str, str]]:
    with factory() as session:
        return [(c.scheme, c.code, c.label) for c in partners.labour_market_codes(session, str(achievement))]


FOOD_SAFETY_CODES = [
    ("cip_2021", "12.0500", "Cooking and Related Culinary Arts, General"),
    ("esco_occupation", COOK, "cook"),
    ("noc_2021", "63200", "Cooks"),
]


def test_the_page_shows_the_codes_and_the_coverage_of_each_occupation(site: Site) -> None:
    assert _codes(site.factory, FOOD_SAFETY) == FOOD_SAFETY_CODES  # the demo linked the cook (ESCO was there)
    page = site.admin.get(_path(FOOD_SAFETY))
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "<h1>Occupations of Food Safety" in text
    for scheme, code, label in (
        ("CIP 2021", "12.0500", "Cooking and Related Culinary Arts, General"),
        ("ESCO occupation", COOK, "cook"),
        ("NOC 2021", "63200", "Cooks"),
    ):
        assert re.search(rf"<tr><td>{scheme}</td><td>(<a href=\"[^\"]+\">)?{re.escape(code)}(</a>)?</td>"
                         rf"<td>{re.escape(label)}</td></tr>", text)  # fmt: skip
    with site.factory() as session:
        (cook,) = partners.coverage(session, str(FOOD_SAFETY))
    assert cook.essential_covered and cook.essential_missing  # the demo covers some of the cook's skills, not all
    section = text.split('<h3 id="coverage-1">cook</h3>', 1)[1].split("</section>", 1)[0]
    assert f"<dt>Essential skills covered</dt><dd>{len(cook.essential_covered)} of {cook.essential_total}</dd>" in (
        section
    )
    assert f"<dt>Optional skills covered</dt><dd>{len(cook.optional_covered)} of {cook.optional_total}</dd>" in section
    covered, missing = section.split("Essential skills not covered yet", 1)
    for uri, label in cook.essential_covered:
        assert f'<a href="{uri}">{label}</a>' in covered and uri not in missing
    for uri, label in cook.essential_missing:
        assert f'<a href="{uri}">{label}</a>' in missing
    # the form holds the stored codes; the achievement page links here
    assert f'name="esco_0" value="{COOK}"' in text
    assert 'id="noc_code_0" name="noc_code_0" type="text" value="63200"' in text
    assert 'id="cip_code" name="cip_code" type="text" value="12.0500"' in text
    assert f'href="{_path(FOOD_SAFETY)}"' in site.admin.get(f"/console/achievements/{FOOD_SAFETY}").text


def test_search_add_remove_and_save(site: Site) -> None:
    assert _codes(site.factory, SPREADSHEETS) == []
    empty = site.admin.get(_path(SPREADSHEETS)).text
    assert "No occupation saved yet." in empty and "No ESCO occupation saved yet" in empty

    found = _post(site.admin, SPREADSHEETS, {"step": "search", "q": "Grill"})
    assert found.status_code == 200
    assert "<strong>grill cook</strong>" in found.text and "ISCO group 5120" in found.text
    assert f'name="add" value="{site.grill_cook}"' in found.text
    assert 'id="q" name="q" type="text" value="Grill"' in found.text  # what was typed is kept

    added = _post(site.admin, SPREADSHEETS, {"add": site.grill_cook, "q": "grill"})
    assert added.status_code == 200 and "Not saved yet" in added.text
    assert f'name="esco_0" value="{site.grill_cook}"' in added.text and "Already picked" in added.text
    removed = _post(site.admin, SPREADSHEETS, {"remove": site.grill_cook, "esco_0": site.grill_cook})
    assert removed.status_code == 200 and 'name="esco_0"' not in removed.text
    assert _codes(site.factory, SPREADSHEETS) == []  # no step but Save stores anything

    saved = _post(site.admin, SPREADSHEETS, {
        "step": "save", "esco_0": site.grill_cook, "esco_1": COOK, "noc_code_0": "63200", "noc_title_0": "Cooks",
        "noc_code_1": "", "noc_title_1": "", "noc_code_2": " 62200 ", "noc_title_2": "Chefs",
        "cip_code": "12.0503", "cip_title": "Culinary Arts/Chef Training",
    })  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"] == f"{_path(SPREADSHEETS)}?saved=1"
    assert _codes(site.factory, SPREADSHEETS) == [
        ("cip_2021", "12.0503", "Culinary Arts/Chef Training"),
        ("esco_occupation", site.grill_cook, "grill cook"),
        ("esco_occupation", COOK, "cook"),
        ("noc_2021", "63200", "Cooks"),
        ("noc_2021", "62200", "Chefs"),
    ]
    shown = site.admin.get(saved.headers["location"]).text
    assert "The occupations were saved." in shown
    assert '<h3 id="coverage-1">grill cook</h3>' in shown and '<h3 id="coverage-2">cook</h3>' in shown
    with site.factory() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject == f"achievement:{SPREADSHEETS}")
            .where(AuditEntry.action == "achievement.labour_market_set")
            .order_by(AuditEntry.seq.desc())
        ).first()
    assert entry is not None and entry.actor == "web:admin@college.example"
    assert json.loads(entry.details)["codes"] == [
        f"esco_occupation:{site.grill_cook}", f"esco_occupation:{COOK}", "noc_2021:63200", "noc_2021:62200",
        "cip_2021:12.0503",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"noc_code_0": "6320", "noc_title_0": "Cooks"}, "noc_code_0", "Enter a NOC 2021 code of five digits"),
        ({"noc_code_0": "63200", "noc_title_0": ""}, "noc_title_0", "Enter the title of NOC 63200"),
        (
            {"noc_code_0": "63200", "noc_title_0": "Cooks", "noc_code_1": "63200", "noc_title_1": "Cooks again"},
            "noc_code_1",
            "NOC 63200 is listed twice",
        ),
        ({"cip_code": "12.05", "cip_title": "Cooking"}, "cip_code", "Enter a CIP 2021 code in the form NN.NNNN"),
        ({"esco_1": "http://data.europa.eu/esco/occupation/not-there"}, "esco_1", "is not an occupation of the"),
    ],
)
def test_bad_codes_are_a_400_tied_to_the_field_and_nothing_is_saved(
    site: Site, fields: dict[str, str], field: str, message: str
) -> None:
    response = _post(site.admin, FOOD_SAFETY, {"step": "save", "esco_0": COOK, **fields})
    assert response.status_code == 400
    assert 'id="error-summary"' in response.text and f'<a href="#{field}">' in response.text
    assert message in response.text and f'id="{field}-error"' in response.text
    assert f'id="{field}"' in response.text  # the summary's link has a target
    assert _codes(site.factory, FOOD_SAFETY) == FOOD_SAFETY_CODES


def test_an_empty_search_is_a_400_with_a_message(site: Site) -> None:
    response = _post(site.admin, FOOD_SAFETY, {"step": "search", "q": "  "})
    assert response.status_code == 400 and '<a href="#q">' in response.text
    assert "Type part of an occupation&#39;s name" in response.text


def test_refusals(site: Site) -> None:
    assert site.other.get(_path(FOOD_SAFETY)).status_code == 404  # another organisation's achievement
    token = form_token(site.other)
    other = site.other.post(
        _path(FOOD_SAFETY), data={"csrf_token": token, "step": "save"}, headers=HTML, follow_redirects=False
    )
    assert other.status_code == 404

    page = site.reviewer.get(_path(FOOD_SAFETY))  # a partner reviewer reads the published achievement's page...
    assert page.status_code == 200 and "Essential skills not covered yet" in page.text
    assert "Save the occupations" not in page.text and 'name="esco_0"' not in page.text
    token = form_token(site.reviewer, _path(FOOD_SAFETY))
    refused = site.reviewer.post(
        _path(FOOD_SAFETY), data={"csrf_token": token, "step": "save"}, headers=HTML, follow_redirects=False
    )
    assert refused.status_code == 403 and "Your role does not allow this." in refused.text  # ...but may not save

    no_csrf = _post(site.admin, FOOD_SAFETY, {"step": "save"}, csrf=False)
    assert no_csrf.status_code == 403
    assert _codes(site.factory, FOOD_SAFETY) == FOOD_SAFETY_CODES


def test_french(site: Site) -> None:
    client = site.reviewer
    client.get(f"/language/fr?next={_path(FOOD_SAFETY)}")
    try:
        page = client.get(_path(FOOD_SAFETY)).text
        assert 'lang="fr"' in page
        assert "Professions de " in page and "Compétences essentielles pas encore couvertes" in page
        assert "Professions enregistrées" in page
    finally:
        client.get(f"/language/en?next={_path(FOOD_SAFETY)}")
