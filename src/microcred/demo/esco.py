"""The ESCO v1.1.1 concepts the demo's learning outcomes are aligned to, and the alignment they make.

The ESCO URIs and preferred labels below are copied from ESCO v1.1.1 (`skills_en.csv`,
`transversalSkillsCollection_en.csv`, © European Union); a test checks them against those files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ESCO_FRAMEWORK = "ESCO v1.1.1"


@dataclass(frozen=True)
class EscoConcept:
    uri: str
    label: str
    skill_type: str  # "knowledge" | "skill/competence" (as in the ESCO CSV)
    transversal: bool = False


# knowledge
FOOD_SAFETY_STANDARDS = EscoConcept(
    "http://data.europa.eu/esco/skill/fa46ff13-5ad7-4a11-85d6-4b0614e411de", "food safety standards", "knowledge"
)
STATISTICS = EscoConcept(
    "http://data.europa.eu/esco/skill/7ee4c2ea-b349-4bd2-81a3-ec31475d4833", "statistics", "knowledge"
)
CYBER_SECURITY = EscoConcept(
    "http://data.europa.eu/esco/skill/8088750d-8388-4170-a76f-48354c469c44", "cyber security", "knowledge"
)
# skills / competences
COMPLY_FOOD_SAFETY = EscoConcept(
    "http://data.europa.eu/esco/skill/0ff99f51-40d9-42f1-a1ec-377b2bb5e15f",
    "comply with food safety and hygiene",
    "skill/competence",
)
USE_SPREADSHEETS = EscoConcept(
    "http://data.europa.eu/esco/skill/1973c966-f236-40c9-b2d4-5d71a89019be",
    "use spreadsheets software",
    "skill/competence",
)
PERFORM_DATA_ANALYSIS = EscoConcept(
    "http://data.europa.eu/esco/skill/2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f", "perform data analysis", "skill/competence"
)
IDENTIFY_ICT_RISKS = EscoConcept(
    "http://data.europa.eu/esco/skill/fe1c2b32-7fe9-4668-affa-07ff658a68cf",
    "identify ICT security risks",
    "skill/competence",
)
# transversal (attitudes and values: T3 self-management, T4.5 ethical code of conduct)
ATTEND_TO_DETAIL = EscoConcept(
    "http://data.europa.eu/esco/skill/83e6510b-ffeb-4aec-959c-4265fd0ff7b7",
    "attend to detail",
    "skill/competence",
    True,
)
DEMONSTRATE_CURIOSITY = EscoConcept(
    "http://data.europa.eu/esco/skill/429062f1-a958-43ea-83dd-4e1af078c156",
    "demonstrate curiosity",
    "skill/competence",
    True,
)
RESPECT_CONFIDENTIALITY = EscoConcept(
    "http://data.europa.eu/esco/skill/e37d64dc-0f05-4ee8-b065-bf76f70d8f5c",
    "respect confidentiality obligations",
    "skill/competence",
    True,
)


def alignment(concept: EscoConcept) -> dict[str, Any]:
    """The catalog alignment of an outcome to ``concept`` (also used by tests to build aligned achievements)."""
    return {
        "target_url": concept.uri,
        "target_name": concept.label,
        "target_framework": ESCO_FRAMEWORK,
        "target_type": "ceasn:Competency",
    }
