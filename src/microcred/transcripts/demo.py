"""The demo's transcript data: course records on the three demo micro-credentials, a three-part pathway
("Digital Hospitality Operations Certificate") completed by Amara (its credential issued automatically when her
last component is issued) and part-way for Liam. Idempotent: fixed ids, nothing created twice."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from microcred.awards import services as awards
from microcred.catalog import services as catalog
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


def seed(
    session: Session,
    *,
    base_url: str,
    master_key: bytes | None,
    created: dict[str, int],
    store: Any,
) -> None:
    from microcred import demo

    for key, values in RECORDS.items():
        achievement_id = demo.demo_id(f"achievement:{key}")
        if records.get_achievement_record(session, achievement_id) is None:
            records.set_achievement_record(session, achievement_id, {**COMMON, **values})

    cert_id = demo.demo_id("achievement:hospitality-operations-certificate")
    if catalog.find_achievement(session, cert_id) is None:
        catalog.create_achievement(
            session,
            id=cert_id,
            issuer_id=demo.COLLEGE_ID,
            name="Digital Hospitality Operations Certificate",
            description="Stacks three micro-credentials: food safety, spreadsheet analysis and cyber awareness.",
            criteria_narrative="Earn all three component micro-credentials.",
            workload_hours=95,
            achievement_type="Certificate",
            outcomes=[
                {
                    "statement": "Run the safe, data-informed and secure daily operations of a small kitchen.",
                    "kind": "skill",
                    "alignments": [demo.alignment(demo.COMPLY_FOOD_SAFETY)],
                }
            ],
            publish=True,
        )
        created["achievements"] += 1
    if pathways.pathway_of(session, cert_id) is None:
        pathways.create_pathway(
            session,
            id=demo.demo_id("pathway:hospitality-operations-certificate"),
            achievement_id=cert_id,
            components=[demo.demo_id(f"achievement:{k}") for k in COMPONENTS],
        )
        created["pathways"] = created.get("pathways", 0) + 1

    # Amara holds two components from the main demo; her third completes the pathway (issued automatically).
    award_id = demo.demo_id("award:amara:cyber-awareness")
    if awards.find_award(session, award_id) is None:
        demo._assess(session, "cyber-awareness", "amara", store, created)
        awards.issue_award(
            session,
            award_id=award_id,
            achievement_id=demo.demo_id("achievement:cyber-awareness"),
            earner_id=demo._earner_id(session, "amara"),
            evidence=[
                {
                    "name": "Phishing drill report",
                    "narrative": "Spotted and reported all five simulated phishing emails in the kitchen's inbox.",
                    "genre": "Written work",
                }
            ],
            base_url=base_url,
            master_key=master_key,
            transcript={
                "term": "Fall 2026",
                "result": "88",
                "activity_start": "2026-09-08",
                "activity_end": "2026-10-30",
            },
        )
        created["awards"] += 1
