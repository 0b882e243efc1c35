"""The console's pathways (issue 16, point 4), on SQLite and PostgreSQL: a pathway built in the console (its
credential, components, rule, credits, order, issue mode) and edited; an earner who then holds the components
completes it: the completion waits in the approval queue, is approved after a confirmation step and its credential
is issued (linked to its award page); a second approval is refused. Bad input is a 400 with the message tied to the
field and nothing written; another organisation's pathways, completions and achievements are 404. An achievement's
transcript record and prerequisites are edited on its own page. French."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import form_token, make_settings, sign_in_with_password

from microcred import issuing
from microcred.accounts import services as accounts
from microcred.earners import services as earners
from microcred.issuers import keystore
from microcred.settings import Settings
from microcred.transcripts import models, pathways, records
from microcred.web.routes.console import pathways as console

PASSWORD = "pathways console password 1"
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    """One migrated database per backend for the module (each test has its own colleges, so none sees another's)."""
    from tests.conftest import scratch_database

    from microcred import db

    url, drop = scratch_database(request.param, tmp_path_factory.mktemp("pathways") / "pathways.db", request)
    engine = db.make_engine(url)
    db.upgrade(engine=engine)
    yield db.session_factory(engine)
    engine.dispose()
    if drop is not None:
        drop()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("pathways-instance"))


@pytest.fixture(scope="module")
def app(settings: Settings, factory: sessionmaker[Session]) -> FastAPI:
    from microcred.web.app import create_app

    return create_app(settings=settings, session_factory=factory)


@dataclass
class College:
    org_id: uuid.UUID
    other_org_id: uuid.UUID
    basics: uuid.UUID  # components, one credit each
    advanced: uuid.UUID
    certificate: uuid.UUID  # the pathway's credential
    no_credits: uuid.UUID
    earner_id: uuid.UUID
    suffix: str

    def email(self, who: str) -> str:
        return f"{who}-{self.suffix}@college.example"


@pytest.fixture
def college(
    factory: sessionmaker[Session], make_org: Callable[..., Any], make_achievement: Callable[..., Any]
) -> College:
    """A college of its own with its achievements, another college with one of its own, an earner."""
    suffix = secrets.token_hex(4)
    with factory() as session:
        org = make_org(session, registration_id=f"ON-{suffix}")
        basics = make_achievement(session, org.id, name="Kitchen Basics", credits=1)
        advanced = make_achievement(session, org.id, name="Advanced Pastry", credits=1)
        certificate = make_achievement(session, org.id, name="Culinary Certificate", credits=None)
        no_credits = make_achievement(session, org.id, name="Knife Skills", credits=None)
        other = make_org(session, name="Other College", registration_id=f"ON-O-{suffix}", email="r@other.example")
        make_achievement(session, other.id, name="Other Welding")
        earner = earners.create_earner(session, name="Ada Lovelace", email=f"ada-{suffix}@example.org")
        session.commit()
        return College(org.id, other.id, basics.id, advanced.id, certificate.id, no_credits.id, earner.id, suffix)


def _client(app: FastAPI, c: College, who: str, role: str = "org_admin") -> Iterator[TestClient]:
    """A staff member of the college (``other``: of the other college), made only when a test needs them (each
    password hash takes a while), signed in."""
    factory: sessionmaker[Session] = app.state.session_factory
    with factory() as session:
        accounts.create_user(
            session, email=c.email(who), name=who, role=role, password=PASSWORD,
            organisation_id=c.other_org_id if who == "other" else c.org_id,
        )  # fmt: skip
        session.commit()
    with TestClient(app, base_url="https://testserver") as client:
        yield sign_in_with_password(client, c.email(who), PASSWORD)


@pytest.fixture
def admin(app: FastAPI, college: College) -> Iterator[TestClient]:
    yield from _client(app, college, "admin")


@pytest.fixture
def other(app: FastAPI, college: College) -> Iterator[TestClient]:
    yield from _client(app, college, "other")


def _post(client: TestClient, url: str, page: str | None = None, **data: str) -> Any:
    token = form_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False)


def _build(client: TestClient, c: College, **extra: str) -> Any:
    data = {
        "achievement_id": str(c.certificate),
        f"component_{c.basics}": "yes",
        f"position_{c.basics}": "1",
        f"component_{c.advanced}": "yes",
        f"position_{c.advanced}": "2",
        "rule": "all_of",
        "min_credits": "2",
        "issue_mode": "approval",
        "ext_count": "1",
    }
    data.update(extra)
    return _post(client, "/console/pathways/new", **data)


def _stored(factory: sessionmaker[Session], c: College) -> list[dict[str, Any]]:
    with factory() as session:
        return [
            {
                "achievement_id": p.achievement_id,
                "rule": p.rule,
                "required_count": p.required_count,
                "min_credits": p.min_credits,
                "ordered": p.ordered,
                "issue_mode": p.issue_mode,
                "components": [(c.achievement_id, c.external_achievement_id, c.alignment_url) for c in p.components],
                "id": p.id,
            }
            for p in pathways.list_pathways(session)
            if p.achievement_id == c.certificate
        ]


def _award(settings: Settings, factory: sessionmaker[Session], achievement_id: uuid.UUID, earner_id: uuid.UUID) -> None:
    with factory() as session:
        issuing.issue_award(
            session,
            achievement_id=achievement_id,
            earner_id=earner_id,
            base_url=settings.base_url,
            master_key=keystore.load_master_key(settings),
        )
        session.commit()


def _completions(factory: sessionmaker[Session], c: College) -> list[tuple[str, uuid.UUID | None]]:
    with factory() as session:
        return [(x.status, x.award_id) for x in pathways.list_completions(session) if x.earner_id == c.earner_id]


def test_a_pathway_built_in_the_console_is_completed_approved_and_issued(
    admin: TestClient, college: College, settings: Settings, factory: sessionmaker[Session]
) -> None:
    page = admin.get("/console/pathways/new", headers=HTML)
    assert page.status_code == 200
    assert f'<option value="{college.certificate}">Culinary Certificate</option>' in page.text
    assert f'<label for="component_{college.basics}">Kitchen Basics</label>' in page.text
    assert "Other Welding" not in page.text  # another organisation's achievement is not offered
    assert 'href="/console/pathways" aria-current="page"' in page.text
    ids = re.findall(r'id="([^"]+)"', page.text)
    assert len(ids) == len(set(ids))

    created = _build(admin, college)
    assert created.status_code == 303 and created.headers["location"] == "/console/pathways?saved=created"
    [stored] = _stored(factory, college)
    assert {k: v for k, v in stored.items() if k != "id"} == {
        "achievement_id": college.certificate,
        "rule": "all_of",
        "required_count": None,
        "min_credits": 2.0,
        "ordered": False,
        "issue_mode": "approval",
        "components": [(college.basics, None, None), (college.advanced, None, None)],
    }
    listing = admin.get(created.headers["location"]).text
    assert "The pathway was saved." in listing
    assert f'<a href="/console/pathways/{stored["id"]}/edit">Culinary Certificate</a>' in listing
    assert "Every component" in listing and "Waits for staff approval" in listing

    _award(settings, factory, college.basics, college.earner_id)
    assert _completions(factory, college) == []  # one of two components
    _award(settings, factory, college.advanced, college.earner_id)
    assert _completions(factory, college) == [("pending", None)]  # queued, not issued
    assert "1 pathway completion waits for approval" in admin.get("/console/pathways").text

    queue = admin.get("/console/pathways/approvals").text
    assert (
        "Ada Lovelace" in queue
        and college.email("ada") not in queue
        and f"ada-{college.suffix}@example.org" in queue
        and "Kitchen Basics, Advanced Pastry" in queue
    )
    with factory() as session:
        [completion] = [x for x in pathways.list_completions(session) if x.earner_id == college.earner_id]
        completion_id = completion.id
    url = f"/console/pathways/approvals/{completion_id}/approve"
    asked = _post(admin, url, "/console/pathways/approvals")
    assert asked.status_code == 200
    assert "Issue Culinary Certificate to Ada Lovelace?" in asked.text and 'name="confirm" value="yes"' in asked.text
    assert _completions(factory, college) == [("pending", None)]  # nothing done before the confirmation

    done = _post(admin, url, "/console/pathways/approvals", confirm="yes")
    assert done.status_code == 303
    [(status, award_id)] = _completions(factory, college)
    assert status == "issued" and award_id is not None and done.headers["location"].endswith(f"?award={award_id}")
    shown = admin.get(done.headers["location"]).text
    assert "Approved: the pathway&#39;s credential was issued." in shown or "credential was issued" in shown
    assert f'href="/console/awards/{award_id}"' in shown and "Nothing waits for approval" in shown
    award_page = admin.get(f"/console/awards/{award_id}")
    assert award_page.status_code == 200 and "Culinary Certificate" in award_page.text

    twice = _post(admin, url, "/console/pathways/approvals", confirm="yes")  # a second click
    assert twice.status_code == 400 and "already approved" in twice.text
    assert _completions(factory, college) == [("issued", award_id)]


def test_a_pathway_is_edited_in_the_builder(
    admin: TestClient, college: College, settings: Settings, factory: sessionmaker[Session]
) -> None:
    assert _build(admin, college).status_code == 303
    [before] = _stored(factory, college)
    edit_url = f"/console/pathways/{before['id']}/edit"
    form = admin.get(edit_url).text
    assert f'id="component_{college.basics}" name="component_{college.basics}" value="yes" checked' in form
    assert 'value="2"' in form and "Culinary Certificate" in form

    more = _post(admin, edit_url, add_row="1", ext_count="1")  # another external row, nothing saved
    assert more.status_code == 200 and 'id="ext_1_achievement"' in more.text
    saved = _post(
        admin,
        edit_url,
        **{
            f"component_{college.advanced}": "yes",
            "ext_0_label": "Food hygiene elsewhere",
            "ext_0_alignment": "https://esco.example/skill/hygiene",
            "ext_0_position": "1",
            "rule": "n_of_m",
            "required_count": "1",
            "ordered": "yes",
            "issue_mode": "auto",
            "ext_count": "2",
        },
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/console/pathways?saved=updated"
    [after] = _stored(factory, college)
    assert after["id"] == before["id"] and after["achievement_id"] == college.certificate
    assert after["components"] == [(None, None, "https://esco.example/skill/hygiene"), (college.advanced, None, None)]
    assert (after["rule"], after["required_count"], after["min_credits"], after["ordered"], after["issue_mode"]) == (
        "n_of_m", 1, None, True, "auto",
    )  # fmt: skip
    assert "1 of 2 components" in admin.get("/console/pathways").text

    _award(settings, factory, college.advanced, college.earner_id)  # one component of two: issued at once now
    [(status, award_id)] = _completions(factory, college)
    assert status == "issued" and award_id is not None
    assert "Culinary Certificate" in admin.get(f"/console/awards/{award_id}").text
    assert "Nothing waits for approval" in admin.get("/console/pathways/approvals").text


def test_bad_input_is_refused_with_the_message_at_the_field(
    admin: TestClient, college: College, factory: sessionmaker[Session]
) -> None:
    cases = [
        ({"achievement_id": ""}, "achievement_id", "This field is required."),
        ({f"component_{college.basics}": "", f"component_{college.advanced}": ""}, "components",
         "Choose at least one component"),
        ({"rule": "n_of_m", "required_count": "5"}, "required_count",
         "Enter a whole number from 1 to the number of components chosen (2)."),
        ({"min_credits": "-1"}, "min_credits", "Enter zero or more."),
        ({f"position_{college.basics}": "first"}, f"position_{college.basics}", "Enter a whole number from 1"),
        ({"ext_0_achievement": "ftp://elsewhere"}, "ext_0_achievement", "Enter a web address starting with https://"),
        ({"ext_0_label": "Something"}, "ext_0_achievement", "Give the external achievement"),
        ({f"component_{college.certificate}": "yes"}, f"component_{college.certificate}",
         "A pathway cannot be its own component"),
        ({"issue_mode": "later"}, "issue_mode", "Choose one of the options."),
    ]  # fmt: skip
    for extra, field, message in cases:
        response = _build(admin, college, **extra)
        assert response.status_code == 400, (extra, response.status_code)
        assert message in response.text, (extra, response.text[:2000])
        assert f'href="#{field}"' in response.text  # the summary links to the field
        if field != "components":
            assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', response.text), field
    assert _stored(factory, college) == []

    assert _build(admin, college).status_code == 303  # the certificate now is a pathway's credential
    taken = _build(admin, college)
    assert taken.status_code == 400 and "Choose one of the options." in taken.text
    assert len(_stored(factory, college)) == 1
    assert admin.get("/console/pathways/not-a-uuid/edit", headers=HTML).status_code == 404

    admin.get("/language/fr?next=/console")
    french = _build(admin, college, achievement_id=str(college.advanced), min_credits="beaucoup")
    assert french.status_code == 400 and 'lang="fr"' in french.text
    assert "Entrez un nombre, par exemple 12 ou 0,5." in french.text
    assert len(_stored(factory, college)) == 1


def test_another_organisations_pathways_are_not_theirs(
    admin: TestClient, other: TestClient, college: College, settings: Settings, factory: sessionmaker[Session]
) -> None:
    _build(admin, college)
    [before] = _stored(factory, college)
    edit_url = f"/console/pathways/{before['id']}/edit"
    assert other.get(edit_url, headers=HTML).status_code == 404
    changed = _post(other, edit_url, "/console/pathways", rule="all_of", issue_mode="auto",
                    **{f"component_{college.basics}": "yes"})  # fmt: skip
    assert changed.status_code == 404
    assert _stored(factory, college) == [before]
    assert "Culinary Certificate" not in other.get("/console/pathways").text

    _award(settings, factory, college.basics, college.earner_id)
    _award(settings, factory, college.advanced, college.earner_id)
    with factory() as session:
        [completion] = [x for x in pathways.list_completions(session) if x.earner_id == college.earner_id]
    assert "Ada Lovelace" not in other.get("/console/pathways/approvals").text
    url = f"/console/pathways/approvals/{completion.id}/approve"
    refused = _post(other, url, "/console/pathways/approvals", confirm="yes")
    assert refused.status_code == 404
    assert _completions(factory, college) == [("pending", None)]
    assert other.get(f"/console/achievements/{college.basics}/transcript", headers=HTML).status_code == 404


def test_an_assessor_approves_but_does_not_build(app: FastAPI, college: College) -> None:
    for client in _client(app, college, "assessor", "assessor"):
        assert client.get("/console/pathways/approvals").status_code == 200
        assert client.get("/console/pathways", headers=HTML).status_code == 403
        nav = client.get("/console").text
        assert 'href="/console/pathways/approvals"' in nav


def test_the_transcript_record_and_prerequisites_are_edited(
    admin: TestClient, college: College, factory: sessionmaker[Session]
) -> None:
    url = f"/console/achievements/{college.advanced}/transcript"
    assert f'href="{url}"' in admin.get(f"/console/achievements/{college.advanced}").text
    page = admin.get(url)
    assert page.status_code == 200 and '<label for="credit_unit">' in page.text
    assert f'<label for="requires_{college.basics}"' in page.text and f"requires_{college.advanced}" not in page.text
    saved = _post(
        admin,
        url,
        human_code="PAS-201",
        credit_unit="ECTS",
        eqf_level="5",
        grading_scheme="pass_fail",
        form_of_participation="blended",
        awarding_country="ca",
        **{f"requires_{college.basics}": "yes"},
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?saved=1"
    with factory() as session:
        record = records.get_achievement_record(session, college.advanced)
        assert record is not None
        assert (record.human_code, record.credit_unit, record.eqf_level, record.grading_scheme) == (
            "PAS-201", "ECTS", 5, "pass_fail",
        )  # fmt: skip
        assert (record.form_of_participation, record.awarding_country) == ("blended", "CA")
        assert [a.id for a in records.prerequisites(session, college.advanced)] == [college.basics]
    shown = admin.get(saved.headers["location"]).text
    assert (
        "Saved." in shown
        and f'id="requires_{college.basics}" name="requires_{college.basics}" value="yes" checked' in shown
    )

    cycle_url = f"/console/achievements/{college.basics}/transcript"
    bad = [
        (cycle_url, {f"requires_{college.advanced}": "yes"}, f"requires_{college.advanced}", "already requires this"),
        (url, {"eqf_level": "9"}, "eqf_level", "Choose one of the options."),
        (url, {"awarding_country": "Canada"}, "awarding_country", "Enter a two-letter country code"),
        (url, {"qualification_level": "Level 6"}, "qualification_framework", "Name the framework"),
        (f"/console/achievements/{college.no_credits}/transcript", {"credit_unit": "ECTS"}, "credit_unit",
         "This achievement has no credit value"),
    ]  # fmt: skip
    for target, data, field, message in bad:
        response = _post(admin, target, **data)
        assert response.status_code == 400 and message in response.text, (data, response.text[:1500])
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', response.text), field
    with factory() as session:
        assert records.prerequisites(session, college.basics) == []
        assert records.get_achievement_record(session, college.no_credits) is None
        record = records.get_achievement_record(session, college.advanced)
        assert record is not None and record.eqf_level == 5  # unchanged
    missing = admin.get(f"/console/achievements/{uuid.uuid4()}/transcript", headers=HTML)
    assert missing.status_code == 404


def test_the_console_vocabularies_are_the_domains() -> None:
    assert console.RULES == models.PATHWAY_RULES and console.ISSUE_MODES == models.ISSUE_MODES
    assert console.PARTICIPATION_FORMS == models.PARTICIPATION_FORMS and console.QA_TYPES == models.QA_TYPES
    assert console.CHOICES["credit_unit"] == models.CREDIT_UNITS
    assert console.CHOICES["grading_scheme"] == models.GRADING_SCHEMES
