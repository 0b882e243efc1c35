"""Search quality, filters and latency; suggestion precision@5 on a labelled sample; the K/S/A kind check."""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy.orm import Session

from microcred.errors import InvalidInput, NotFound
from microcred.taxonomy import services
from taxonomy.conftest import EscoDb
from taxonomy.labelled_sample import ESCO, SAMPLE

FOOD_SAFETY = ESCO + "0ff99f51-40d9-42f1-a1ec-377b2bb5e15f"
FOOD_STANDARDS = ESCO + "fa46ff13-5ad7-4a11-85d6-4b0614e411de"
ATTEND_TO_DETAIL = ESCO + "83e6510b-ffeb-4aec-959c-4265fd0ff7b7"
ENGLISH = ESCO + "6d3edede-8951-4621-a835-e04323300fa0"
FOOD_GROUP = "http://data.europa.eu/esco/isced-f/0721"


@pytest.mark.parametrize(
    ("query", "expected_label"),
    [
        ("spreadsheet", "use spreadsheets software"),
        ("python", "Python (computer programming)"),
        ("first aid", "first aid"),
        ("food safety standards", "food safety standards"),
        ("teamwork principles", "teamwork principles"),
        ("attend to details", "attend to detail"),  # an alt label
        ("machine learn", "machine learning"),  # prefix of the last word
    ],
)
def test_search_finds_the_concept_near_the_top(esco_session: Session, query: str, expected_label: str) -> None:
    labels = [r.label for r in services.search_concepts(esco_session, query, limit=5)]
    assert expected_label in labels[:3], labels


def test_search_filters_and_fallback(esco_session: Session) -> None:
    knowledge = services.search_concepts(esco_session, "food safety", type="knowledge", limit=10)
    assert knowledge and {r.kind for r in knowledge} == {"knowledge"}
    transversal = services.search_concepts(esco_session, "detail", type="transversal", limit=10)
    assert ATTEND_TO_DETAIL in [r.uri for r in transversal] and {r.kind for r in transversal} == {"transversal"}
    cross = services.search_concepts(esco_session, "hygiene", reuse_level="cross-sector", limit=10)
    assert cross and {r.reuse_level for r in cross} == {"cross-sector"}
    assert services.search_concepts(esco_session, "food", framework="nope") == []
    assert services.search_concepts(esco_session, "   ") == []
    # no concept has every word: any word may match
    assert services.search_concepts(esco_session, "spreadsheets zzyzxqq", limit=3)
    with pytest.raises(InvalidInput):
        services.search_concepts(esco_session, "food", type="attitude")
    with pytest.raises(InvalidInput):
        services.search_concepts(esco_session, "food", limit=0)


def test_search_latency(esco: EscoDb, esco_session: Session) -> None:
    timings = []
    for query in ("food safety", "spreadsheet", "teamwork", "customer service", "welding", "manage budgets") * 3:
        started = time.perf_counter()
        services.search_concepts(esco_session, query, limit=20)
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    print(f"\nsearch latency on {esco.dialect}: median {median * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms")
    assert median < 0.2


def test_sample_uris_exist(esco_session: Session) -> None:
    assert len(SAMPLE) >= 30
    for _, relevant in SAMPLE:
        for uri, label in relevant.items():
            assert services.get_concept(esco_session, uri).concept.label == label


def test_suggest_precision_at_5(esco: EscoDb, esco_session: Session) -> None:
    precisions, hits, timings = [], [], []
    for outcome, relevant in SAMPLE:
        started = time.perf_counter()
        top = [r.uri for r in services.suggest_concepts(esco_session, outcome)]
        timings.append(time.perf_counter() - started)
        assert len(top) == 5
        found = len(set(top) & set(relevant))
        precisions.append(found / 5)
        hits.append(found > 0)
    p_at_5 = statistics.mean(precisions)
    hit_rate = statistics.mean(hits)
    print(
        f"\nsuggest on {esco.dialect}: precision@5 {p_at_5:.3f}, hit@5 {hit_rate:.3f}, "
        f"median {statistics.median(timings) * 1000:.0f} ms over {len(SAMPLE)} outcomes"
    )
    assert p_at_5 >= 0.30
    assert hit_rate >= 0.80


def test_suggest_kind_filter_and_errors(esco_session: Session) -> None:
    outcome = "Explain the food safety standards of a kitchen."
    knowledge = services.suggest_concepts(esco_session, outcome, kind="knowledge")
    assert knowledge and {r.ksa for r in knowledge} == {"knowledge"} and FOOD_STANDARDS in [r.uri for r in knowledge]
    attitude = services.suggest_concepts(esco_session, "Attend to detail when checking temperatures.", "attitude")
    assert attitude[0].uri == ATTEND_TO_DETAIL and {r.ksa for r in attitude} == {"attitude"}
    transversal = services.suggest_concepts(esco_session, "think critically about sources", "transversal", 3)
    assert {r.kind for r in transversal} == {"transversal"}
    assert services.suggest_concepts(esco_session, "the and of") == []
    assert services.suggest_concepts(esco_session, "zzyzxqq") == []
    with pytest.raises(InvalidInput):
        services.suggest_concepts(esco_session, outcome, kind="group")


def test_concept_kind_and_outcome_check(esco_session: Session) -> None:
    s = esco_session
    assert services.concept_kind(s, FOOD_STANDARDS) == "knowledge"
    assert services.concept_kind(s, FOOD_SAFETY) == "skill"
    assert services.concept_kind(s, ATTEND_TO_DETAIL) == "attitude"
    assert services.concept_kind(s, FOOD_GROUP) is None
    assert services.concept_kind(s, "http://example.org/nope") is None
    assert services.check_outcome_kind(s, "knowledge", FOOD_STANDARDS) is None
    assert services.check_outcome_kind(s, "skill", FOOD_SAFETY) is None
    assert services.check_outcome_kind(s, "attitude", ATTEND_TO_DETAIL) is None
    assert services.check_outcome_kind(s, "knowledge", ENGLISH) is None
    warning = services.check_outcome_kind(s, "attitude", FOOD_SAFETY)
    assert warning and "skill concept" in warning and "comply with food safety and hygiene" in warning
    warning = services.check_outcome_kind(s, "skill", FOOD_STANDARDS)
    assert warning and "knowledge concept" in warning
    assert "skill group" in (services.check_outcome_kind(s, "knowledge", FOOD_GROUP) or "")
    assert "not a concept" in (services.check_outcome_kind(s, "skill", "http://example.org/nope") or "")
    with pytest.raises(InvalidInput):
        services.check_outcome_kind(s, "value", FOOD_SAFETY)
    with pytest.raises(NotFound):
        services.get_concept(s, "http://example.org/nope")
