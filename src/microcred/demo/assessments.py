"""How each demo achievement is assessed (knowledge by a score, skills and attitudes on a four-level rubric), and
the passing results and evidence of a demo earner, recorded once per earner and achievement."""

from __future__ import annotations

import uuid
from typing import Any

from microcred.assessments import services as assessments
from microcred.demo.catalog import achievement_spec
from microcred.demo.earners import find_earner_id
from microcred.demo.ids import Seeding, achievement_id

ASSESSMENTS: dict[str, dict[str, Any]] = {
    "food-safety": {"method": "observed_performance", "identity_verified": True},
    "spreadsheet-analysis": {"method": "project", "identity_verified": False},
    "cyber-awareness": {"method": "exam", "identity_verified": True},
}
RUBRIC_LEVELS = [
    {"name": "Beginning", "description": "Needs step-by-step guidance.", "points": 1},
    {"name": "Developing", "description": "Meets the outcome with some prompting.", "points": 2},
    {"name": "Proficient", "description": "Meets the outcome independently and reliably.", "points": 3},
    {"name": "Exemplary", "description": "Exceeds the outcome; could guide others.", "points": 4},
]


def rubrics(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"outcome": n, "score": {"min": 0, "max": 100, "required": 70, "result_type": "Percent"}}
        if kind == "knowledge"
        else {"outcome": n, "levels": RUBRIC_LEVELS, "required_level": "Proficient"}
        for n, (_, kind, _) in enumerate(spec["outcomes"], start=1)
    ]


def define_assessment(run: Seeding, spec: dict[str, Any]) -> None:
    assessments.define_assessment(
        run.session, achievement_id(spec["key"]), rubrics=rubrics(spec), **ASSESSMENTS[spec["key"]]
    )


def assess(run: Seeding, achievement_key: str, earner_key: str) -> None:
    """Passing results for every outcome, a public and a private evidence item (once per earner and achievement)."""
    assessed_id = achievement_id(achievement_key)
    if assessments.get_design(run.session, assessed_id) is None:
        return  # seeded before achievements had assessments: left as it was
    earner_id = find_earner_id(run.session, earner_key)
    if assessments.list_results(run.session, achievement_id=assessed_id, earner_id=earner_id):
        return
    spec = achievement_spec(achievement_key)
    for n, (_, kind, _) in enumerate(spec["outcomes"], start=1):
        result = {"score": 78 + 4 * n} if kind == "knowledge" else {"level": "Exemplary" if n % 2 else "Proficient"}
        assessments.record_result(
            run.session, achievement_id=assessed_id, earner_id=earner_id, outcome=n, assessor="Demo assessor", **result
        )
    skill = next(n for n, (_, kind, _) in enumerate(spec["outcomes"], start=1) if kind == "skill")
    _public_evidence(run, assessed_id, earner_id, skill, spec["name"])
    assessments.add_evidence(
        run.session,
        achievement_id=assessed_id,
        earner_id=earner_id,
        visibility="private",
        name="Assessor's private notes",
        narrative="Private: identity checked against photo ID; one retake of the written part.",
    )
    run.count("assessment records")


def _public_evidence(run: Seeding, assessed_id: uuid.UUID, earner_id: uuid.UUID, outcome: int, name: str) -> None:
    """The assessor's checklist as a file when there is an evidence store, else as a narrative."""
    where: dict[str, Any] = {
        "achievement_id": assessed_id, "earner_id": earner_id, "outcome": outcome, "visibility": "public"
    }
    if run.store is not None:
        assessments.add_evidence(
            run.session,
            **where,
            name="Assessor's observation checklist",
            genre="Assessment record",
            audience="Employers",
            file=assessments.FileUpload(
                f"Observation checklist — {name}\nEvery criterion observed and met.\n".encode(), "checklist.txt"
            ),
            store=run.store,
        )
    else:
        assessments.add_evidence(
            run.session,
            **where,
            name="Assessor's observation",
            narrative="Every criterion of the rubric was observed and met.",
            genre="Assessment record",
        )
