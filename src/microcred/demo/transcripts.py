"""The demo's transcript data: course records on the three demo micro-credentials, a three-part pathway
("Digital Hospitality Operations Certificate") completed by Amara (its credential issued automatically when her
last component is issued) and part-way for Liam. Idempotent: fixed ids, nothing created twice."""

from __future__ import annotations

import uuid
from typing import Any

from microcred.catalog import services as catalog
from microcred.demo.assessments import assess
from microcred.demo.awards import is_issued, issue
from microcred.demo.earners import find_earner_id
from microcred.demo.esco import COMPLY_FOOD_SAFETY, alignment
from microcred.demo.ids import COLLEGE_ID, Seeding, achievement_id, demo_id
from microcred.transcripts import pathways, records

COMPONENTS = ("food-safety", "spreadsheet-analysis", "cyber-awareness")
RECORDS: dict[str, dict[str, Any]] = {
    "food-safety": {"human_code": "HOSP-101", "credit_unit": "Semester", "eqf_level": 4, "grading_scheme": "pass_fail"},
    "spreadsheet-analysis": {
        "human_code": "DATA-110",
        "credit_unit": "Semester",
        "eqf_level": 5,
        "grading_scheme": "letter_grade",
    },
    "cyber-awareness": {
        "human_code": "CYBR-100",
        "credit_unit": "Semester",
        "eqf_level": 4,
        "grading_scheme": "percent",
    },
}
COMMON = {
    "qualification_framework": "Ontario Qualifications Framework",
    "qualification_level": "Ontario College Certificate (OQF 5)",
    "form_of_participation": "blended",
    "quality_assurance_type": "internal",
    "quality_assurance_reference": "https://www.northernlakes.example/quality/micro-credentials",
}
CERTIFICATE = "hospitality-operations-certificate"
THIRD_COMPONENT_EVIDENCE = [
    {
        "name": "Phishing drill report",
        "narrative": "Spotted and reported all five simulated phishing emails in the kitchen's inbox.",
        "genre": "Written work",
    }
]
THIRD_COMPONENT_TRANSCRIPT = {
    "term": "Fall 2026",
    "result": "88",
    "activity_start": "2026-09-08",
    "activity_end": "2026-10-30",
}


def seed(run: Seeding) -> None:
    for key, values in RECORDS.items():
        recorded_id = achievement_id(key)
        if records.get_achievement_record(run.session, recorded_id) is None:
            records.set_achievement_record(run.session, recorded_id, {**COMMON, **values})
    cert_id = _seed_certificate(run)
    if pathways.pathway_of(run.session, cert_id) is None:
        pathways.create_pathway(
            run.session,
            id=demo_id(f"pathway:{CERTIFICATE}"),
            achievement_id=cert_id,
            components=[achievement_id(k) for k in COMPONENTS],
        )
        run.count("pathways")
    # Amara holds two components from the main demo; her third completes the pathway (issued automatically).
    award_id = demo_id("award:amara:cyber-awareness")
    if not is_issued(run, award_id):
        assess(run, "cyber-awareness", "amara")
        issue(
            run,
            award_id,
            (achievement_id("cyber-awareness"), find_earner_id(run.session, "amara")),
            THIRD_COMPONENT_EVIDENCE,
            transcript=THIRD_COMPONENT_TRANSCRIPT,
        )


def _seed_certificate(run: Seeding) -> uuid.UUID:
    """The pathway's own credential (published at once: it is earned by completing the pathway)."""
    cert_id = achievement_id(CERTIFICATE)
    if catalog.find_achievement(run.session, cert_id) is None:
        catalog.create_achievement(
            run.session,
            id=cert_id,
            issuer_id=COLLEGE_ID,
            name="Digital Hospitality Operations Certificate",
            description="Stacks three micro-credentials: food safety, spreadsheet analysis and cyber awareness.",
            criteria_narrative="Earn all three component micro-credentials.",
            workload_hours=95,
            achievement_type="Certificate",
            outcomes=[
                {
                    "statement": "Run the safe, data-informed and secure daily operations of a small kitchen.",
                    "kind": "skill",
                    "alignments": [alignment(COMPLY_FOOD_SAFETY)],
                }
            ],
            publish=True,
        )
        run.count("achievements")
    return cert_id
