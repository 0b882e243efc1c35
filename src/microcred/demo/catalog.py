"""The demo's micro-credentials: three from the college (each with a knowledge, a skill and an attitude outcome,
every outcome aligned to the one real ESCO concept it names) and one from the institute, valid for 24 months."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from microcred.catalog import services as catalog
from microcred.demo.esco import (
    ATTEND_TO_DETAIL,
    COMPLY_FOOD_SAFETY,
    CYBER_SECURITY,
    DEMONSTRATE_CURIOSITY,
    FOOD_SAFETY_STANDARDS,
    IDENTIFY_ICT_RISKS,
    PERFORM_DATA_ANALYSIS,
    RESPECT_CONFIDENTIALITY,
    STATISTICS,
    USE_SPREADSHEETS,
    alignment,
)
from microcred.demo.ids import INSTITUTE_ID, Seeding, achievement_id

PRIVACY: dict[str, Any] = {
    "key": "privacy-basics",
    "name": "Customer Data Privacy Basics",
    "description": "Handle customer data safely and confidentially. Valid for 24 months, then renewed.",
    "criteria_narrative": "Pass a scenario-based quiz on handling customer data.",
    "workload_hours": 8,
    "credits": 0.25,
    "level": "Introductory",
    "validity_months": 24,
    "outcomes": [
        ("Explain the main threats to customer data.", "knowledge", CYBER_SECURITY),
        ("Respect confidentiality obligations when handling customer data.", "attitude", RESPECT_CONFIDENTIALITY),
    ],
}

ACHIEVEMENTS: list[dict[str, Any]] = [
    {
        "key": "food-safety",
        "name": "Food Safety and Sanitation for Commercial Kitchens",
        "description": "Safe handling, storage and preparation of food in commercial kitchens, co-designed "
        "with Great Lakes Hospitality Group.",
        "criteria_narrative": "Pass a written examination on food safety standards (70% or more) and a "
        "supervised practical assessment in the college's teaching kitchen.",
        "workload_hours": 20,
        "credits": 0.5,
        "level": "Ontario Qualifications Framework: Certificate level",
        "outcomes": [
            (
                "Explain the food safety standards that apply to a commercial kitchen.",
                "knowledge",
                FOOD_SAFETY_STANDARDS,
            ),
            (
                "Prepare, store and serve food in compliance with food safety and hygiene rules.",
                "skill",
                COMPLY_FOOD_SAFETY,
            ),
            ("Attend to detail when checking temperatures, labels and cleaning logs.", "attitude", ATTEND_TO_DETAIL),
        ],
    },
    {
        "key": "spreadsheet-analysis",
        "name": "Spreadsheet Data Analysis for the Workplace",
        "description": "Organise, analyse and present workplace data with spreadsheet software.",
        "criteria_narrative": "Complete three graded analysis projects on real workplace data sets and a final "
        "presentation of findings.",
        "workload_hours": 30,
        "credits": 1.0,
        "level": "Introductory",
        "outcomes": [
            ("Describe basic descriptive statistics and when to use them.", "knowledge", STATISTICS),
            ("Use spreadsheet software to clean, summarise and chart data.", "skill", USE_SPREADSHEETS),
            ("Perform a data analysis that answers a workplace question.", "skill", PERFORM_DATA_ANALYSIS),
            ("Demonstrate curiosity by questioning data sources and results.", "attitude", DEMONSTRATE_CURIOSITY),
        ],
    },
    {
        "key": "cyber-awareness",
        "name": "Cyber Security Awareness for Small Business",
        "description": "Recognise and reduce everyday cyber security risks in a small organisation.",
        "criteria_narrative": "Pass a scenario-based assessment identifying risks in a small-business IT setup "
        "and write a one-page risk register.",
        "workload_hours": 24,
        "credits": 0.75,
        "level": "Introductory",
        "outcomes": [
            ("Explain common cyber security threats and counter-measures.", "knowledge", CYBER_SECURITY),
            ("Identify ICT security risks in a small-business environment.", "skill", IDENTIFY_ICT_RISKS),
            ("Respect confidentiality obligations when handling customer data.", "attitude", RESPECT_CONFIDENTIALITY),
        ],
    },
]


def achievement_spec(key: str) -> dict[str, Any]:
    """The spec of one of the college's three demo achievements."""
    return next(a for a in ACHIEVEMENTS if a["key"] == key)


def create_achievement(
    run: Seeding, achievement_id: uuid.UUID, issuer_id: uuid.UUID, spec: Mapping[str, Any], **extra: Any
) -> None:
    """A demo micro-credential from its spec: every outcome aligned to the one ESCO concept it names."""
    catalog.create_achievement(
        run.session,
        id=achievement_id,
        issuer_id=issuer_id,
        name=spec["name"],
        description=spec["description"],
        criteria_narrative=spec["criteria_narrative"],
        workload_hours=spec["workload_hours"],
        credits=spec["credits"],
        level=spec["level"],
        outcomes=[
            {"statement": statement, "kind": kind, "alignments": [alignment(concept)]}
            for statement, kind, concept in spec["outcomes"]
        ],
        **extra,
    )


def seed_privacy(run: Seeding) -> uuid.UUID:
    """The institute's 24-month micro-credential (published at once: it has no assessment design)."""
    privacy_id = achievement_id(PRIVACY["key"])
    if catalog.find_achievement(run.session, privacy_id) is None:
        create_achievement(
            run, privacy_id, INSTITUTE_ID, PRIVACY, validity_months=PRIVACY["validity_months"], publish=True
        )
        run.count("achievements")
    return privacy_id
