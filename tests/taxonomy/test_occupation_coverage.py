"""Issue 7: labour-market links and the coverage view against ESCO v1.1.1's real occupation–skill relations
(the shipped CSV is read independently here and compared), on SQLite and PostgreSQL (the session-wide ESCO import)."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from microcred.demo import COMPLY_FOOD_SAFETY, PERFORM_DATA_ANALYSIS, USE_SPREADSHEETS, alignment
from microcred.errors import InvalidInput
from microcred.partners import services as partners
from microcred.taxonomy import services as taxonomy
from microcred.taxonomy.esco import SHIPPED_DIR

COOK = "http://data.europa.eu/esco/occupation/90f75f67-495d-49fa-ab57-2f320e251d7e"
HELP_DESK = "http://data.europa.eu/esco/occupation/aaeec9a7-dc57-4485-890c-86b3eef735f9"


def _relations(occupation: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {"essential": set(), "optional": set()}
    with gzip.open(SHIPPED_DIR / "occupationSkillRelations.csv.gz", "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["occupationUri"] == occupation:
                out[row["relationType"]].add(row["skillUri"])
    return out


def test_coverage_of_cook_and_ict_help_desk_agent(
    esco_session: Session, make_org: Callable[..., Any], make_achievement: Callable[..., Any]
) -> None:
    org = make_org(esco_session)
    achievement = make_achievement(
        esco_session,
        org.id,
        outcomes=[
            {"statement": "Handle food safely.", "kind": "skill", "alignments": [alignment(COMPLY_FOOD_SAFETY)]},
            {"statement": "Use spreadsheets.", "kind": "skill", "alignments": [alignment(USE_SPREADSHEETS)]},
            {"statement": "Analyse data.", "kind": "skill", "alignments": [alignment(PERFORM_DATA_ANALYSIS)]},
        ],
    )
    rows = partners.set_labour_market_codes(
        esco_session,
        achievement.id,
        esco=[COOK, HELP_DESK],
        noc=[("63200", "Cooks")],
        cip=("12.0503", "Culinary Arts/Chef Training"),
    )
    assert [(r.scheme, r.label) for r in rows] == [
        ("esco_occupation", "cook"),
        ("esco_occupation", "ICT help desk agent"),
        ("noc_2021", "Cooks"),
        ("cip_2021", "Culinary Arts/Chef Training"),
    ]
    aligned = {COMPLY_FOOD_SAFETY.uri, USE_SPREADSHEETS.uri, PERFORM_DATA_ANALYSIS.uri}
    by_uri = {c.uri: c for c in partners.coverage(esco_session, achievement.id)}
    assert list(by_uri) == [COOK, HELP_DESK]
    for uri in (COOK, HELP_DESK):
        truth = _relations(uri)
        got = by_uri[uri]
        assert got.essential_total == len(truth["essential"]) and got.optional_total == len(truth["optional"])
        assert {u for u, _ in got.essential_covered} == truth["essential"] & aligned
        assert {u for u, _ in got.optional_covered} == truth["optional"] & aligned
        assert {u for u, _ in got.essential_missing} == truth["essential"] - aligned
    cook = by_uri[COOK]
    assert cook.essential_covered == [(COMPLY_FOOD_SAFETY.uri, "comply with food safety and hygiene")]
    assert cook.summary == f"covers 1 of the {len(_relations(COOK)['essential'])} essential skills of cook"
    assert [u for u, _ in by_uri[HELP_DESK].optional_covered] == [PERFORM_DATA_ANALYSIS.uri]
    assert by_uri[HELP_DESK].as_dict()["summary"].startswith("covers 0 of the ")
    found = taxonomy.search_occupations(esco_session, "help desk agent")
    assert HELP_DESK in [o.uri for o in found]


def test_bad_labour_market_codes_are_refused(
    esco_session: Session, make_org: Callable[..., Any], make_achievement: Callable[..., Any]
) -> None:
    achievement = make_achievement(esco_session, make_org(esco_session).id)
    with pytest.raises(InvalidInput, match="is not an occupation"):
        partners.set_labour_market_codes(esco_session, achievement.id, esco=[COMPLY_FOOD_SAFETY.uri])
    with pytest.raises(InvalidInput, match="NOC 2021 code '6320'"):
        partners.set_labour_market_codes(esco_session, achievement.id, noc=[("6320", "Cooks")])
    with pytest.raises(InvalidInput, match="CIP 2021 code"):
        partners.set_labour_market_codes(esco_session, achievement.id, cip=("12.53", "Culinary"))
    with pytest.raises(InvalidInput, match="listed twice"):
        partners.set_labour_market_codes(esco_session, achievement.id, esco=[COOK, COOK])
    assert partners.labour_market_codes(esco_session, achievement.id) == []
