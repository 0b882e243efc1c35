"""Versioning (a later version beside an earlier one, withdrawn concepts flagged), bad input, CASE and CSV, HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from microcred.db import session_scope
from microcred.taxonomy import services
from microcred.taxonomy.models import Concept, Occupation, OccupationSkill
from microcred.taxonomy.records import TaxonomyImportError
from taxonomy.synthetic import SKILL, SKILLS_V1, write_esco_folder


def _concepts(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Concept)) or 0)


def test_next_version_is_imported_beside_and_flags_withdrawn(factory: sessionmaker[Session], tmp_path: Path) -> None:
    v1 = write_esco_folder(tmp_path / "esco-v1.0.0")
    # v2: s2 is gone, k1 relabelled, a new skill n1
    skills_v2 = [s for s in SKILLS_V1 if s[0] != "s2"]
    skills_v2[0] = ("k1", "knowledge", "cross-sector", "bread science", "", "K")
    skills_v2.append(("n1", "skill/competence", "cross-sector", "shape bread loaves", "", "s1"))
    v2 = write_esco_folder(tmp_path / "esco-v2.0.0", skills=skills_v2, gz=True)
    with session_scope(factory) as s:
        first = services.import_esco(s, v1)
    assert first.version == "v1.0.0" and first.concepts == 10 and first.occupations == 1
    with session_scope(factory) as s:
        again = services.import_esco(s, v1)
        assert not again.changed
        second = services.import_esco(s, v2)
    assert second.version == "v2.0.0" and second.withdrawn_flagged == 1
    with factory() as s:
        assert _concepts(s) == 20  # nothing dropped: both versions side by side
        gone = s.scalars(select(Concept).where(Concept.uri == SKILL + "s2")).one()
        assert gone.withdrawn_in == "v2.0.0"
        detail = services.get_concept(s, SKILL + "s2")
        assert detail.concept.version == "v1.0.0" and detail.concept.withdrawn_in == "v2.0.0"
        assert services.get_concept(s, SKILL + "k1").concept.label == "bread science"  # the current version's
        assert services.get_concept(s, SKILL + "k1", version="v1.0.0").other_versions == ["v2.0.0"]
        assert "no longer in esco v2.0.0" in (services.check_outcome_kind(s, "skill", SKILL + "s2") or "")
        assert [r.label for r in services.search_concepts(s, "bread")][:1] == ["bread science"]
        assert not services.search_concepts(s, "deck oven")  # only the current version is searched
        assert services.suggest_concepts(s, "Knead and shape bread loaves by hand.")[0].uri in {
            SKILL + "n1",
            SKILL + "s1",
        }
        assert services.concept_kind(s, SKILL + "t1") == "attitude"
        assert services.concept_kind(s, SKILL + "t2") == "skill"
        versions = services.list_frameworks(s)
        assert [(v.version, v.is_current) for v in versions] == [("v1.0.0", False), ("v2.0.0", True)]
        new = services.get_concept(s, SKILL + "n1")
        assert [b.uri for b in new.broader] == [SKILL + "s1"]
        assert int(s.scalar(select(func.count()).select_from(Occupation)) or 0) == 2
        assert int(s.scalar(select(func.count()).select_from(OccupationSkill)) or 0) == 4 + 3


def test_relations_follow_the_file_on_reimport(factory: sessionmaker[Session], tmp_path: Path) -> None:
    folder = write_esco_folder(tmp_path / "esco-v1.0.0")
    with session_scope(factory) as s:
        services.import_esco(s, folder)
    relations = folder / "occupationSkillRelations.csv"
    lines = relations.read_text().splitlines()
    changed = [lines[0], lines[1].replace("essential", "optional"), *lines[3:]]
    relations.write_text("\n".join(changed) + "\n")
    with session_scope(factory) as s:
        report = services.import_esco(s, folder)
    assert report.changed and report.relations_removed == 2 and report.relations_added == 1


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: (f / "skills_en.csv").unlink(), "no skills_en.csv"),
        (lambda f: (f / "skills_en.csv").write_text("conceptUri,foo\nx,y\n"), "missing column"),
        (lambda f: (f / "skills_en.csv").write_bytes(b"conceptUri,preferredLabel,skillType,reuseLevel\n\xff\xfe,x,,\n"),
         "not UTF-8"),
        (lambda f: (f / "skills_en.csv").write_text('conceptUri,preferredLabel,skillType,reuseLevel\n"a,b\n'),
         "malformed CSV"),
        (lambda f: (f / "skills_en.csv").write_text("conceptUri,preferredLabel,skillType,reuseLevel\n,x,,\n"),
         "empty conceptUri"),
        (lambda f: (f / "skills_en.csv").write_text("conceptUri,preferredLabel,skillType,reuseLevel\na,x,,,extra\n"),
         "columns expected"),
        (lambda f: (f / "skills_en.csv").write_text("conceptUri,preferredLabel,skillType,reuseLevel\na,x,,\na,y,,\n"),
         "listed twice"),
        (lambda f: (f / "occupationSkillRelations.csv").write_text(
            "occupationUri,relationType,skillType,skillUri\no,sometimes,,s\n"), "relationType"),
        (lambda f: (f / "occupations_en.csv").unlink() or (f / "occupations_en.csv.gz").write_bytes(b"not gzip"),
         "corrupt gzip"),
    ],
)  # fmt: skip
def test_bad_input_writes_nothing(factory: sessionmaker[Session], tmp_path: Path, mutate: object, message: str) -> None:
    folder = write_esco_folder(tmp_path / "esco-v1.0.0")
    mutate(folder)  # type: ignore[operator]
    with pytest.raises(TaxonomyImportError, match=message), session_scope(factory) as s:
        services.import_esco(s, folder)
    with factory() as s:
        assert _concepts(s) == 0


def test_unreadable_paths(factory: sessionmaker[Session], tmp_path: Path) -> None:
    (tmp_path / "file.csv").write_text("x")
    (tmp_path / "noversion").mkdir()
    for path, message in (
        (tmp_path / "missing", "no such file"),
        (tmp_path / "file.csv", "expected a folder"),
        (tmp_path / "noversion", "cannot tell which ESCO version"),
    ):
        with pytest.raises(TaxonomyImportError, match=message), factory() as s:
            services.import_esco(s, path)
    with pytest.raises(TaxonomyImportError, match="no such file"), factory() as s:
        services.import_csv(s, tmp_path / "missing.csv", framework="X")
    with pytest.raises(TaxonomyImportError, match="no such file"), factory() as s:
        services.import_case(s, tmp_path / "missing.json")


CASE = {
    "CFDocument": {"identifier": "doc-1", "uri": "https://case.example/doc-1", "title": "Ontario Baking Framework",
                   "creator": "Example College", "version": "2.1", "licenseURI": {"uri": "https://creativecommons.org/licenses/by/4.0/"}},
    "CFItems": [
        {"identifier": "i-1", "uri": "https://case.example/i-1", "fullStatement": "Baking", "CFItemType": "Domain"},
        {"identifier": "i-2", "uri": "https://case.example/i-2", "fullStatement": "Explain how yeast leavens dough",
         "abbreviatedStatement": "yeast fermentation", "CFItemType": "Knowledge", "humanCodingScheme": "B.1"},
        {"identifier": "i-3", "uri": "https://case.example/i-3", "fullStatement": "Shape loaves by hand",
         "CFItemTypeURI": {"title": "Skill", "uri": "https://case.example/types/skill"}},
        {"identifier": "i-4", "fullStatement": "Values cleanliness at work", "CFItemType": "Disposition"},
        {"identifier": "i-5", "fullStatement": "Misc", "CFItemType": "Thing"},
    ],
    "CFAssociations": [
        {"associationType": "isChildOf", "originNodeURI": {"identifier": "i-2", "uri": "https://case.example/i-2"},
         "destinationNodeURI": {"identifier": "i-1", "uri": "https://case.example/i-1"}},
        {"associationType": "isChildOf", "originNodeURI": {"identifier": "i-3"},
         "destinationNodeURI": {"identifier": "i-1"}},
        {"associationType": "isChildOf", "originNodeURI": {"identifier": "i-1", "uri": "https://case.example/i-1"},
         "destinationNodeURI": {"identifier": "doc-1", "uri": "https://case.example/doc-1"}},
        {"associationType": "isRelatedTo", "originNodeURI": "i-4", "destinationNodeURI": "i-3"},
    ],
}  # fmt: skip


def test_case_and_csv_frameworks(factory: sessionmaker[Session], tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"CFPackage": CASE}))
    simple = tmp_path / "skills.csv"
    simple.write_text(
        "uri,label,type,description,broader_uri\n"
        "https://ex.org/c/1,Digital literacy,group,,\n"
        "https://ex.org/c/2,Use a spreadsheet,skill,Enter and format data,https://ex.org/c/1\n"
        "https://ex.org/c/3,Data privacy law,knowledge,,https://ex.org/c/1\n"
        "https://ex.org/c/4,Respect for privacy,attitude,,\n"
    )
    with session_scope(factory) as s:
        report = services.import_case(s, case)
        assert (report.framework, report.version, report.concepts) == ("ontario-baking-framework", "2.1", 5)
        assert services.import_csv(s, simple, framework="Digital Skills").concepts == 4
        assert not services.import_case(s, case).changed
    with factory() as s:
        yeast = services.get_concept(s, "https://case.example/i-2")
        assert (yeast.concept.label, yeast.concept.kind, yeast.concept.code) == (
            "yeast fermentation",
            "knowledge",
            "B.1",
        )
        assert yeast.concept.description == "Explain how yeast leavens dough"
        assert [b.uri for b in yeast.broader] == ["https://case.example/i-1"]
        assert services.concept_kind(s, "https://case.example/i-3") == "skill"
        assert services.concept_kind(s, "i-4") == "attitude"
        assert services.concept_kind(s, "i-5") is None
        hits = services.search_concepts(s, "spreadsheet", framework="digital-skills")
        assert [h.uri for h in hits] == ["https://ex.org/c/2"]
        assert services.concept_kind(s, "https://ex.org/c/4") == "attitude"
        assert len(services.get_concept(s, "https://ex.org/c/1").narrower) == 2
    bad = tmp_path / "bad.csv"
    for content, message in (
        ("uri,label,type\nx,y,feeling\n", "type 'feeling'"),
        ("uri,label,type\n,y,skill\n", "needs a uri and a label"),
        ("label\nx\n", "missing column"),
    ):
        bad.write_text(content)
        with pytest.raises(TaxonomyImportError, match=message), factory() as s:
            services.import_csv(s, bad, framework="Bad")
    for content, message in (
        ("{", "malformed JSON"),
        ("[]", "no CFDocument"),
        ('{"CFDocument": {}}', "no CFItems"),
        ('{"CFDocument": {}, "CFItems": [1]}', "not an object"),
        ('{"CFDocument": {}, "CFItems": [{"identifier": "x"}]}', "needs a uri"),
    ):
        bad.write_text(content)
        with pytest.raises(TaxonomyImportError, match=message), factory() as s:
            services.import_case(s, bad)
    with pytest.raises(TaxonomyImportError, match="already exists"), session_scope(factory) as s:
        services.import_csv(s, simple, framework="Ontario Baking Framework")


def test_http_routes(factory: sessionmaker[Session], tmp_path: Path) -> None:
    from microcred.web.routes.public.taxonomy import router

    with session_scope(factory) as s:
        services.import_esco(s, write_esco_folder(tmp_path / "esco-v1.0.0"))
    app = FastAPI()
    app.state.session_factory = factory
    app.include_router(router)
    client = TestClient(app)
    body = client.get("/taxonomy/search", params={"q": "bread", "type": "knowledge"}).json()
    assert [r["label"] for r in body["results"]] == ["bread baking science"]
    assert client.get("/taxonomy/search", params={"q": "bread", "type": "nope"}).status_code == 422
    body = client.get("/taxonomy/suggest", params={"text": "Knead bread dough by hand", "kind": "skill"}).json()
    assert body["results"][0]["uri"] == SKILL + "s1"
    concept = client.get("/taxonomy/concept", params={"uri": SKILL + "s1"}).json()
    assert concept["essential_for"][0]["label"] == "baker"
    assert client.get("/taxonomy/concept", params={"uri": "http://nope"}).status_code == 404
    assert client.get("/taxonomy/frameworks").json()[0]["version"] == "v1.0.0"
