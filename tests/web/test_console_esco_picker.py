"""The achievement form's ESCO picker without script (issue 16, point 1), on SQLite and PostgreSQL (search and
suggestion run on each database's full-text index): the search step lists concepts of the outcome's kind with their
type, description and broader groups, keeping what was typed; the suggestion step; several concepts saved for one
outcome under ESCO's labels (a label sent in the form is ignored); a kind mismatch shown with the API's warning and
saved only once confirmed; an unknown URI refused with a message; French."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import form_token, make_settings, sign_in_with_password

from microcred import db
from microcred.accounts import services as accounts
from microcred.catalog import services as catalog
from support.esco_subset import import_esco_subset

PASSWORD = "esco picker password 1"
COMPLY = "http://data.europa.eu/esco/skill/0ff99f51-40d9-42f1-a1ec-377b2bb5e15f"  # skill
SET_STANDARDS = "http://data.europa.eu/esco/skill/202c0a90-e45f-4b9a-8bd2-694adc0f90e4"  # skill
APPLY_HYGIENE = "http://data.europa.eu/esco/skill/d9449998-c1f5-478c-a103-2255398cf0b6"  # attitude
FOOD_HYGIENE_RULES = "http://data.europa.eu/esco/skill/791fa659-3382-49f8-a8dd-505226d0da48"  # knowledge
NEW = "/console/achievements/new"


@dataclass
class Picker:
    client: TestClient
    factory: sessionmaker[Session]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def picker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Picker]:
    """One database per backend for the module: the ESCO slice, a college and its administrator, signed in."""
    from tests.conftest import scratch_database

    from microcred.issuers import services as issuers
    from microcred.web.app import create_app

    tmp: Path = tmp_path_factory.mktemp(f"esco-picker-{request.param}")
    url, drop = scratch_database(request.param, tmp / "picker.db", request)
    engine = db.make_engine(url)
    try:
        db.upgrade(engine=engine)
        factory = db.session_factory(engine)
        with db.session_scope(factory) as session:
            import_esco_subset(session)
            org = issuers.create_organisation(session, kind="institution", name="Picker College", country="CA")
            accounts.create_user(
                session, email="author@picker.example", name="Ari Author", role="org_admin",
                organisation_id=org.id, password=PASSWORD,
            )  # fmt: skip
        app = create_app(settings=make_settings(tmp / "instance"), session_factory=factory)
        with TestClient(app, base_url="https://testserver") as client:
            sign_in_with_password(client, "author@picker.example", PASSWORD)
            yield Picker(client, factory)
    finally:
        engine.dispose()
        if drop is not None:
            drop()


def _base(name: str, **outcome: str) -> dict[str, str]:
    return {
        "language": "en",
        "name": name,
        "description": "Hygiene in a commercial kitchen.",
        "criteria_narrative": "Observed practical assessment.",
        "workload_hours": "10",
        "outcome_count": "2",
        **outcome,
    }


def _post(p: Picker, data: dict[str, str], path: str = NEW, **headers: str) -> Any:
    token = form_token(p.client, path)
    return p.client.post(path, data={"csrf_token": token, **data}, headers=headers, follow_redirects=False)


def _saved(p: Picker, response: Any) -> Any:
    assert response.status_code == 303, response.text
    achievement_id = response.headers["location"].split("?")[0].rsplit("/", 1)[-1]
    with p.factory() as session:
        achievement = catalog.get_achievement(session, achievement_id)
        return [
            (
                o.statement,
                o.kind,
                [(a.target_url, a.target_name, a.target_framework, a.kind_warning) for a in o.alignments],
            )
            for o in achievement.outcomes
        ]


def _count(p: Picker, name: str) -> int:
    with p.factory() as session:
        return len([a for a in catalog.list_achievements(session) if a.name == name])


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_form_has_a_picker_per_outcome_and_no_typed_label(picker: Picker) -> None:
    page = picker.client.get(NEW)
    assert page.status_code == 200
    html = page.text
    assert 'name="outcome_0_query"' in html and 'value="search:0"' in html and 'value="suggest:0"' in html
    assert "concept_name" not in html and "concept_url" not in html  # no typed label, no pasted address
    assert 'src="/static/esco-picker.js"' in html and "<script>" not in html
    french = picker.client.get(NEW, headers={"accept-language": "fr"})
    assert "Rechercher dans ESCO" in french.text and "Suggérer à partir du texte" in french.text


def test_search_step_lists_concepts_of_the_outcome_kind_and_keeps_the_form(picker: Picker) -> None:
    data = _base(
        "Search step", outcome_0_statement="Keep the kitchen clean.", outcome_0_kind="skill", outcome_0_query="hygiene"
    )
    found = _post(picker, {**data, "action": "search:0"})
    assert found.status_code == 200, found.text
    page = found.text
    assert 'value="Search step"' in page and "Keep the kitchen clean." in page  # everything typed is kept
    assert f'value="{COMPLY}"' in page and "comply with food safety and hygiene" in page
    assert f'value="{SET_STANDARDS}"' in page
    assert APPLY_HYGIENE not in page and FOOD_HYGIENE_RULES not in page  # attitude, knowledge: not for a skill outcome
    text = _text(page)
    assert "Concepts of kind “skill” matching “hygiene”" in text
    assert "skill · ESCO: skill/competence, cross-sector" in text  # its type
    assert "Respect optimal food safety and hygiene" in text  # its description
    assert "Broader groups:" in text
    attitude = _post(picker, {**data, "outcome_0_kind": "attitude", "action": "search:0"})
    assert f'value="{APPLY_HYGIENE}"' in attitude.text and COMPLY not in attitude.text
    knowledge = _post(picker, {**data, "outcome_0_kind": "knowledge", "action": "search:0"})
    assert f'value="{FOOD_HYGIENE_RULES}"' in knowledge.text and COMPLY not in knowledge.text
    entered = _post(picker, {**data, "action": "enter"})  # Enter in the search field, without script
    assert entered.status_code == 200 and f'value="{COMPLY}"' in entered.text
    assert _count(picker, "Search step") == 0  # a step saves nothing


def test_search_step_refusals_are_tied_to_the_field(picker: Picker) -> None:
    empty = _post(picker, {**_base("Empty search"), "action": "search:0"})
    assert empty.status_code == 400
    assert 'aria-describedby="outcome_0_query-hint outcome_0_query-error"' in empty.text
    assert "Type a word to search for" in empty.text
    nothing = _post(
        picker, {**_base("No match", outcome_0_kind="skill", outcome_0_query="zzyzx"), "action": "search:0"}
    )
    assert nothing.status_code == 400 and "No skill concept matches “zzyzx”" in _text(nothing.text)
    forged = _post(picker, {**_base("Forged action"), "action": "search:99"})
    assert forged.status_code == 400 and "Unknown action" in _text(forged.text)
    french = _post(picker, {**_base("Vide"), "action": "search:0"}, **{"accept-language": "fr"})
    assert french.status_code == 400 and "Saisissez un mot à rechercher" in french.text


def test_suggestion_step_reads_the_statement(picker: Picker) -> None:
    data = _base(
        "Suggest step", outcome_0_statement="Comply with food safety and hygiene rules.", outcome_0_kind="skill"
    )
    suggested = _post(picker, {**data, "action": "suggest:0"})
    assert suggested.status_code == 200, suggested.text
    assert "Suggested skill concepts for this outcome" in suggested.text
    first = re.search(r'name="outcome_0_result_0" value="([^"]+)"', suggested.text)
    assert first is not None and first.group(1) == COMPLY
    no_text = _post(picker, {**_base("Suggest nothing"), "action": "suggest:0"})
    assert no_text.status_code == 400 and "Write the outcome's statement first" in _text(no_text.text)


def test_several_concepts_saved_under_esco_labels(picker: Picker) -> None:
    data = _base("Two concepts", outcome_0_statement="Handle food hygienically.", outcome_0_kind="skill")
    added = _post(
        picker,
        {
            **data,
            "outcome_0_query": "hygiene",
            "outcome_0_result_0": COMPLY,
            "outcome_0_result_3": SET_STANDARDS,
            "action": "add:0",
        },
    )
    assert added.status_code == 200, added.text
    assert f'name="outcome_0_concept_0" value="{COMPLY}"' in added.text
    assert f'name="outcome_0_concept_1" value="{SET_STANDARDS}"' in added.text
    assert 'aria-label="Remove comply with food safety and hygiene"' in added.text
    removed = _post(picker, {**data, "outcome_0_concept_0": COMPLY, "outcome_0_concept_1": SET_STANDARDS,
                             "action": "remove:0:0"})  # fmt: skip
    assert COMPLY not in removed.text and f'name="outcome_0_concept_0" value="{SET_STANDARDS}"' in removed.text
    saved = _post(
        picker,
        {
            **data,
            "action": "enter",  # Enter in a field with no search words: save
            "outcome_0_concept_0": COMPLY,
            "outcome_0_concept_1": SET_STANDARDS,
            "outcome_0_concept_name": "hygiene stuff",  # a label in the form is never used
            "outcome_0_concept_0_name": "hygiene stuff",
        },
    )
    assert 'name="outcome_0_query" type="search" autocomplete="off" value=""' in added.text  # the search is done
    assert _saved(picker, saved) == [
        (
            "Handle food hygienically.",
            "skill",
            [
                (COMPLY, "comply with food safety and hygiene", "ESCO v1.1.1", None),
                (SET_STANDARDS, "set hygiene standards", "ESCO v1.1.1", None),
            ],
        )
    ]
    edit = picker.client.get(saved.headers["location"].split("?")[0] + "/edit")
    assert f'name="outcome_0_concept_1" value="{SET_STANDARDS}"' in edit.text and "set hygiene standards" in edit.text


def test_a_kind_mismatch_is_saved_only_once_confirmed(picker: Picker) -> None:
    data = _base(
        "Mismatch", outcome_0_statement="Keep the kitchen clean.", outcome_0_kind="skill",
        outcome_0_concept_0=APPLY_HYGIENE,
    )  # fmt: skip
    warned = _post(picker, data)
    assert warned.status_code == 400
    text = _text(warned.text)
    assert (
        "outcome 1, alignment 1: the outcome is a skill outcome, but 'apply hygiene standards'"
        f" ({APPLY_HYGIENE}, esco v1.1.1) is a attitude concept" in text
    )  # the API's warning, word for word
    assert "Check these alignments before saving" in text
    assert _count(picker, "Mismatch") == 0
    token = re.search(r'name="confirm_warnings" type="checkbox" value="([0-9a-f]+)"', warned.text)
    assert token is not None
    stale = _post(picker, {**data, "outcome_0_kind": "knowledge", "confirm_warnings": token.group(1)})
    assert stale.status_code == 400 and _count(picker, "Mismatch") == 0  # another warning than the one confirmed
    saved = _post(picker, {**data, "confirm_warnings": token.group(1)})
    [(_statement, kind, [(uri, label, _fw, warning)])] = _saved(picker, saved)
    assert (kind, uri, label) == ("skill", APPLY_HYGIENE, "apply hygiene standards")
    assert warning is not None and "is a attitude concept" in warning
    french = _post(picker, {**data, "name": "Décalage"}, **{"accept-language": "fr"})
    assert french.status_code == 400 and "Vérifiez ces alignements avant d’enregistrer" in _text(french.text)


def test_an_unknown_uri_is_refused_with_a_message(picker: Picker) -> None:
    unknown = "http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000000"
    data = _base(
        "Unknown", outcome_0_statement="Keep the kitchen clean.", outcome_0_kind="skill",
        outcome_0_concept_0=unknown, outcome_0_concept_1=COMPLY,
    )  # fmt: skip
    refused = _post(picker, data)
    assert refused.status_code == 400
    assert f"{unknown} is not a concept of the imported ESCO classification" in _text(refused.text)
    assert 'href="#outcome_0_concepts"' in refused.text and 'id="outcome_0_concepts"' in refused.text
    assert _count(picker, "Unknown") == 0
    secret = secrets.token_hex(3)
    fixed = _post(picker, {**data, "name": f"Known {secret}", "outcome_0_concept_0": COMPLY, "outcome_0_concept_1": ""})
    assert _saved(picker, fixed)[0][2][0][:2] == (COMPLY, "comply with food safety and hygiene")


def test_editing_a_draft_checks_the_kinds_too(picker: Picker) -> None:
    created = _post(
        picker,
        _base("Edited", outcome_0_statement="Keep it clean.", outcome_0_kind="skill", outcome_0_concept_0=COMPLY),
    )
    path = created.headers["location"].split("?")[0] + "/edit"
    data = _base("Edited", outcome_0_statement="Keep it clean.", outcome_0_kind="attitude", outcome_0_concept_0=COMPLY)
    warned = _post(picker, data, path)
    assert warned.status_code == 400 and "the outcome is a attitude outcome" in _text(warned.text)
    token = re.search(r'name="confirm_warnings" type="checkbox" value="([0-9a-f]+)"', warned.text)
    assert token is not None
    confirmed = _post(picker, {**data, "confirm_warnings": token.group(1)}, path)
    [(_s, kind, [(_u, _l, _f, warning)])] = _saved(picker, confirmed)
    assert kind == "attitude" and warning is not None


def test_without_an_imported_framework_the_form_says_what_to_do(app: Any, factory: sessionmaker[Session]) -> None:
    from microcred.issuers import services as issuers

    with db.session_scope(factory) as session:
        org = issuers.create_organisation(session, kind="institution", name="Empty College", country="CA")
        accounts.create_user(
            session, email="author@empty.example", name="Em Author", role="org_admin",
            organisation_id=org.id, password=PASSWORD,
        )  # fmt: skip
    with TestClient(app, base_url="https://testserver") as client:
        sign_in_with_password(client, "author@empty.example", PASSWORD)
        empty = Picker(client, factory)
        form = client.get(NEW)
        assert "microcred taxonomy import esco" in _text(form.text)
        searched = _post(empty, {**_base("Nothing", outcome_0_query="hygiene"), "action": "search:0"})
        assert searched.status_code == 400
        assert 'id="outcome_0_query-error"' in searched.text and "microcred taxonomy import esco" in _text(
            searched.text
        )
