"""The console's assessment screens (issue 16, point 2), on SQLite and PostgreSQL: the design of a draft achievement
(method, identity verification, a rubric per outcome: levels with the required one, or a score range with a pass
score) saved and shown again; a bad rubric refused with messages tied to its fields and nothing stored; a published
achievement's design frozen; results recorded per outcome and shown in the cohort grid; evidence (narrative, file,
public or private); the award offered only once every outcome passes, then issued through the award form with the
results in the credential; another organisation's achievement is a 404; French."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import form_token, sign_in_with_password

from microcred.accounts import services as accounts
from microcred.assessments import services as assessments
from microcred.assessments.models import ASSESSMENT_METHODS
from microcred.awards import queries as award_queries
from microcred.catalog import services as catalog
from microcred.earners import services as earners
from microcred.web.routes.console import assessment as console_assessment

PASSWORD = "assessment console password 1"
HTML = {"Accept": "text/html"}
DESIGN = {
    "method": "practical",
    "identity_verified": "1",
    "description": "Observed in the college kitchen.",
    "r0_scale": "levels",
    "r0_levels": "Beginning\nDeveloping\nProficient\nExemplary",
    "r0_required_level": "Proficient",
    "r1_scale": "levels",
    "r1_levels": "Not yet | Needs help\nSafe | Works without help | 2",
    "r1_required_level": "2",
    "r2_scale": "score",
    "r2_min": "0",
    "r2_max": "100",
    "r2_required": "70",
    "r2_result_type": "Percent",
}


@dataclass
class College:
    org_id: uuid.UUID
    achievement_id: uuid.UUID
    ada: uuid.UUID
    bo: uuid.UUID
    other_achievement_id: uuid.UUID


@pytest.fixture
def college(
    factory: sessionmaker[Session], make_org: Callable[..., Any], make_achievement: Callable[..., Any]
) -> College:
    """A college with a draft achievement (three outcomes), an administrator and an assessor, two earners, and
    another college with its own achievement and administrator."""
    with factory() as session:
        org = make_org(session)
        achievement = make_achievement(session, org.id, publish=False, name="Kitchen Hygiene")
        for email, role in (("admin@college.example", "org_admin"), ("assessor@college.example", "assessor")):
            accounts.create_user(
                session, email=email, name=email.split("@")[0].title(), role=role, organisation_id=org.id,
                password=PASSWORD,
            )  # fmt: skip
        ada = earners.create_earner(session, name="Ada Lovelace", email="ada@example.org")
        bo = earners.create_earner(session, name="Bo Jensen", email="bo@example.org")
        other = make_org(session, name="Other College", registration_id="ON-OTHER-009", email="r@other.example")
        theirs = make_achievement(session, other.id, publish=False, name="Other Hygiene")
        accounts.create_user(
            session, email="admin@other.example", name="Olga", role="org_admin", organisation_id=other.id,
            password=PASSWORD,
        )  # fmt: skip
        session.commit()
        return College(org.id, achievement.id, ada.id, bo.id, theirs.id)


def _client(app: FastAPI, email: str) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as client:
        yield sign_in_with_password(client, email, PASSWORD)


@pytest.fixture
def admin(app: FastAPI, college: College) -> Iterator[TestClient]:
    yield from _client(app, "admin@college.example")


def _post(client: TestClient, path: str, data: dict[str, str], files: Any = None) -> Any:
    token = form_token(client, path.removesuffix("/evidence"))
    return client.post(path, data={"csrf_token": token, **data}, files=files, headers=HTML, follow_redirects=False)


def _design_path(achievement_id: uuid.UUID) -> str:
    return f"/console/achievements/{achievement_id}/assessment"


def _field_error(page: str, name: str, tag: str = "input") -> str:
    """The field's error, checked to be tied to it (aria-invalid, aria-describedby) and linked from the summary."""
    field = re.search(rf'<{tag} [^>]*id="{name}"[^>]*>', page)
    assert field is not None, f"no field {name}"
    assert 'aria-invalid="true"' in field[0] and f"{name}-error" in field[0], field[0]
    assert f'<a href="#{name}">' in page
    error = re.search(rf'<p id="{name}-error" class="field-error">(.*?)</p>', page, re.S)
    assert error is not None
    return html.unescape(re.sub(r"<[^>]+>", "", error[1])).replace("Error:", "").replace("Erreur :", "").strip()


def _design(factory: sessionmaker[Session], achievement_id: uuid.UUID) -> dict[str, Any] | None:
    with factory() as session:
        return assessments.design_json(assessments.get_design(session, achievement_id))


def _define_and_publish(admin: TestClient, factory: sessionmaker[Session], achievement_id: uuid.UUID) -> None:
    assert _post(admin, _design_path(achievement_id), DESIGN).status_code == 303
    with factory() as session:
        catalog.publish_achievement(session, achievement_id)
        session.commit()


def test_the_vocabularies_match_their_owner() -> None:
    assert tuple(console_assessment.method_labels()) == ASSESSMENT_METHODS
    assert tuple(console_assessment.result_type_labels()) == assessments.SCORE_RESULT_TYPES


def test_the_design_is_saved_and_shown_again(
    admin: TestClient, college: College, factory: sessionmaker[Session]
) -> None:
    path = _design_path(college.achievement_id)
    empty = admin.get(path)
    assert empty.status_code == 200 and "<h1>Assessment of Kitchen Hygiene</h1>" in empty.text
    assert "<legend>Outcome 1: Explain the food safety standards of a kitchen.</legend>" in empty.text
    unassessed = admin.get(f"/console/assessments/{college.achievement_id}/results")
    assert unassessed.status_code == 200 and "has no assessment design" in unassessed.text
    assert f'href="{path}"' in unassessed.text  # where to act
    response = _post(admin, path, DESIGN)
    assert response.status_code == 303 and response.headers["location"] == f"{path}?saved=1"
    design = _design(factory, college.achievement_id)
    assert design is not None
    assert (design["method"], design["identity_verified"], design["description"]) == (
        "practical", True, "Observed in the college kitchen.",
    )  # fmt: skip
    first, second, third = design["rubrics"]
    assert [lv["name"] for lv in first["levels"]] == ["Beginning", "Developing", "Proficient", "Exemplary"]
    assert first["required_level"] == "Proficient"
    assert second["levels"][1]["description"] == "Works without help" and second["levels"][1]["points"] == "2"
    assert second["required_level"] == "Safe"
    assert third["score"] == {"min": 0.0, "max": 100.0, "required": 70.0, "result_type": "Percent"}
    page = admin.get(response.headers["location"]).text
    assert "Assessment saved." in page
    assert '<option value="practical" selected>' in page
    assert re.search(r'<input id="identity_verified" [^>]*checked', page)
    assert ">Beginning\nDeveloping\nProficient\nExemplary</textarea>" in page
    assert ">Not yet | Needs help\nSafe | Works without help | 2</textarea>" in page
    assert 'id="r1_required_level" name="r1_required_level" type="text" value="Safe"' in page
    assert 'id="r2_required" name="r2_required" type="text" value="70"' in page
    assert '<option value="Percent" selected>' in page
    assert re.search(r'<input type="radio" id="r2_scale-score" name="r2_scale" value="score" checked>', page)


@pytest.mark.parametrize(
    ("changes", "field", "tag", "message"),
    [
        ({"r0_levels": "Only one"}, "r0_levels", "textarea", "Give at least two levels, one per line"),
        ({"r0_levels": "Good\ngood"}, "r0_levels", "textarea", "Two levels are named “Good”"),
        ({"r0_levels": "A | b | x\nB"}, "r0_levels", "textarea", "Level 1: its points must be a number"),
        ({"r0_required_level": "Expert"}, "r0_required_level", "input", "“Expert” is not one of the levels above"),
        ({"r0_required_level": ""}, "r0_required_level", "input", "Give the required level"),
        ({"r2_max": "0"}, "r2_max", "input", "The maximum must be greater than the minimum (0)."),
        ({"r2_required": "120"}, "r2_required", "input", "The pass score must be between the minimum and the maximum"),
        ({"r2_required": "lots"}, "r2_required", "input", "Enter a number, such as 70 or 7.5."),
        ({"r1_scale": ""}, "r1_scale", "input", "Choose how this outcome is assessed"),
        ({"method": "vibes"}, "method", "select", "Choose how the outcomes are assessed."),
    ],
)
def test_a_bad_rubric_is_refused_with_the_message_on_its_field(
    admin: TestClient, college: College, factory: sessionmaker[Session],
    changes: dict[str, str], field: str, tag: str, message: str,
) -> None:  # fmt: skip
    response = _post(admin, _design_path(college.achievement_id), {**DESIGN, **changes})
    assert response.status_code == 400
    assert _field_error(response.text, field, tag).startswith(message)
    assert _design(factory, college.achievement_id) is None  # nothing stored


def test_french_messages_and_a_published_design_is_frozen(
    admin: TestClient, college: College, factory: sessionmaker[Session]
) -> None:
    admin.get("/language/fr?next=/console")
    path = _design_path(college.achievement_id)
    refused = _post(admin, path, {**DESIGN, "r0_levels": "Seul"})
    assert refused.status_code == 400 and 'lang="fr"' in refused.text
    assert _field_error(refused.text, "r0_levels", "textarea").startswith("Donnez au moins deux niveaux")
    _define_and_publish(admin, factory, college.achievement_id)
    page = admin.get(path).text
    assert "est publiée" in page and f'href="/console/assessments/{college.achievement_id}/results"' in page
    assert '<form method="post" action="' + path not in page  # read-only
    assert "Proficient" in page and "(niveau requis)" in page
    again = _post(admin, path, {**DESIGN, "method": "exam"})
    assert again.status_code == 400 and "ne peut plus changer" in again.text
    design = _design(factory, college.achievement_id)
    assert design is not None and design["method"] == "practical"


def test_results_grid_award_only_when_all_pass_then_issued(
    admin: TestClient, college: College, factory: sessionmaker[Session]
) -> None:
    _define_and_publish(admin, factory, college.achievement_id)
    with factory() as session:
        levels = {lv["name"]: lv["id"] for c in assessments.get_design(session, college.achievement_id).criteria  # type: ignore[union-attr]
                  for lv in c.levels if "name" in lv}  # fmt: skip
    results = f"/console/assessments/{college.achievement_id}/results"
    assert "No results are recorded yet" in admin.get(results).text
    picked = admin.get(results, params={"earner": str(college.ada)}, follow_redirects=False)
    assert picked.status_code == 303 and picked.headers["location"] == f"{results}/{college.ada}"
    ada = f"{results}/{college.ada}"
    saved = _post(admin, ada, {"o0_level": levels["Developing"], "o2_score": "82"})
    assert saved.status_code == 303
    page = admin.get(saved.headers["location"]).text
    assert "Results saved." in page and "Not ready to award yet" in page
    assert '<a href="#o0_level">Outcome 1 does not pass (Developing; passes from Proficient).</a>' in page
    assert '<a href="#o1_level">Outcome 2 has no result yet: record it.</a>' in page
    assert 'action="/console/award"' not in page
    refused = _post(
        admin, "/console/award", {"achievement_id": str(college.achievement_id), "earner_id": str(college.ada)}
    )
    assert refused.status_code == 400 and "Outcome 2 has no result yet" in refused.text
    assert f'href="{ada}#o1_level"' in refused.text  # the award form links to where to act
    grid = admin.get(results).text
    row = re.search(r'<tr>\s*<th scope="row"><a href="[^"]+">Ada Lovelace</a></th>(.*?)</tr>', grid, re.S)
    assert row is not None
    cells = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td>(.*?)</td>", row[1], re.S)]
    assert cells == [
        ["Developing", "Does", "not", "pass"],
        ["Not", "recorded"],
        ["82", "Passes"],
        ["2", "outcomes", "to", "go"],
    ]
    assert '<th scope="col">Outcome 3</th>' in grid

    bad = _post(admin, ada, {"o0_level": "nonsense", "o2_score": "101"})
    assert bad.status_code == 400
    assert _field_error(bad.text, "o0_level", "select") == "Choose one of this outcome's levels."
    assert _field_error(bad.text, "o2_score") == "Enter a score from 0 to 100, such as 70."
    assert _post(admin, ada, {"o0_level": levels["Proficient"], "o1_level": levels["Safe"]}).status_code == 303
    ready = admin.get(ada).text
    assert "Every outcome passes" in ready and 'action="/console/award"' in ready
    assert "Ready: award" in admin.get(results).text
    form = admin.get("/console/award", params={"achievement": str(college.achievement_id), "earner": str(college.ada)})
    assert "Assessed on rubrics" in form.text and "<li>Outcome 1: Proficient</li>" in form.text
    assert "<li>Outcome 3: 82</li>" in form.text and f'href="{ada}"' in form.text
    for visibility in ("public", "private"):
        added = _post(admin, f"{ada}/evidence", {"ev_visibility": visibility, "ev_narrative": f"A {visibility} note."})
        assert added.status_code == 303

    issued = _post(
        admin, "/console/award", {"achievement_id": str(college.achievement_id), "earner_id": str(college.ada)}
    )
    assert issued.status_code == 303, issued.text
    award_id = issued.headers["location"].split("issued=")[1]
    with factory() as session:
        award = award_queries.get_award(session, award_id)
        assert (award.earner_id, award.achievement_id) == (college.ada, college.achievement_id)
        document = award_queries.credential_document(award)
    subject = document["credentialSubject"]
    results_in = {r.get("achievedLevel") or r.get("value") for r in subject["result"]}
    assert f"urn:uuid:{levels['Proficient']}" in results_in and f"urn:uuid:{levels['Safe']}" in results_in
    assert "82" in results_in
    narratives = [e.get("narrative") for e in document.get("evidence", [])]
    assert "A public note." in narratives and "A private note." not in narratives
    assert document["credentialSubject"]["achievement"]["resultDescription"]


def test_evidence_narrative_and_files(admin: TestClient, college: College, factory: sessionmaker[Session]) -> None:
    _define_and_publish(admin, factory, college.achievement_id)
    bo = f"/console/assessments/{college.achievement_id}/results/{college.bo}"
    with factory() as session:
        first_outcome = catalog.get_achievement(session, college.achievement_id).outcomes[0].id
    fields = {"ev_outcome": str(first_outcome), "ev_name": "Observation", "ev_narrative": "Cleaned the station twice."}
    note = _post(admin, f"{bo}/evidence", {"ev_visibility": "public", **fields})
    assert note.status_code == 303 and note.headers["location"].endswith("?saved=evidence#evidence")
    upload = _post(admin, f"{bo}/evidence", {"ev_visibility": "private"},
                   files={"ev_file": ("log.txt", b"temperature log: 4C, 3C", "text/plain")})  # fmt: skip
    assert upload.status_code == 303
    page = admin.get(bo).text
    assert "Evidence added." not in page and "Observation" in page and "Cleaned the station twice." in page
    assert ">Public</span>" in page and ">Private</span>" in page
    link = re.search(rf'href="(/console/assessments/{college.achievement_id}/evidence/[^"]+/file)"', page)
    assert link is not None
    served = admin.get(link[1])
    assert served.status_code == 200 and served.content == b"temperature log: 4C, 3C"
    assert served.headers["content-type"] == "text/plain; charset=utf-8"
    with factory() as session:
        rows = assessments.list_evidence(session, achievement_id=college.achievement_id, earner_id=college.bo,
                                         include_private=True)  # fmt: skip
    assert [(e.visibility, e.narrative, e.file_name, e.outcome_id) for e in rows] == [
        ("public", "Cleaned the station twice.", None, first_outcome), ("private", None, "log.txt", None),
    ]  # fmt: skip

    binary = _post(admin, f"{bo}/evidence", {"ev_visibility": "public"},
                   files={"ev_file": ("x.exe", b"MZ\x90\x00\x03\x00\xff\xfe", "application/octet-stream")})  # fmt: skip
    assert binary.status_code == 400
    assert _field_error(binary.text, "ev_file").startswith("Upload a PDF, PNG, JPEG or plain text file")
    both = _post(admin, f"{bo}/evidence", {"ev_visibility": "public", "ev_url": "https://x.example/e"},
                 files={"ev_file": ("a.txt", b"hello", "text/plain")})  # fmt: skip
    assert both.status_code == 400 and _field_error(both.text, "ev_url").startswith("Give a web address or a file")
    nothing = _post(admin, f"{bo}/evidence", {})
    assert nothing.status_code == 400
    assert _field_error(nothing.text, "ev_visibility").startswith("Choose who may see it")
    with factory() as session:
        assert len(assessments.list_evidence(session, achievement_id=college.achievement_id, earner_id=college.bo,
                                             include_private=True)) == 2  # fmt: skip


def test_another_organisation_and_roles(app: FastAPI, college: College, factory: sessionmaker[Session]) -> None:
    theirs = college.other_achievement_id
    for client in _client(app, "admin@college.example"):
        for path in (_design_path(theirs), f"/console/assessments/{theirs}/results",
                     f"/console/assessments/{theirs}/results/{college.ada}"):  # fmt: skip
            assert client.get(path, headers=HTML).status_code == 404, path
        assert _post(client, _design_path(college.achievement_id), DESIGN).status_code == 303
        token = form_token(client, _design_path(college.achievement_id))
        post = client.post(_design_path(theirs), data={"csrf_token": token, **DESIGN}, headers=HTML)
        assert post.status_code == 404 and _design(factory, theirs) is None
        missing = client.get(f"/console/assessments/{college.achievement_id}/results/{uuid.uuid4()}", headers=HTML)
        assert missing.status_code == 404
        for bad in ("/console/achievements/not-an-id/assessment", "/console/assessments/not-an-id/results"):
            assert 400 <= client.get(bad, headers=HTML).status_code < 500, bad
        unassessed = client.get(f"/console/assessments/{theirs}/results", headers=HTML)
        assert unassessed.status_code == 404
    for client in _client(app, "assessor@college.example"):
        page = client.get(_design_path(college.achievement_id)).text
        assert '<h2 id="design-heading">Assessment design</h2>' in page and 'name="r0_levels"' not in page
        token = form_token(client, _design_path(college.achievement_id))
        refused = client.post(_design_path(college.achievement_id), data={"csrf_token": token, **DESIGN}, headers=HTML)
        assert refused.status_code == 403
        results = client.get(f"/console/assessments/{college.achievement_id}/results/{college.ada}")
        assert results.status_code == 200 and "Save the results" in results.text
