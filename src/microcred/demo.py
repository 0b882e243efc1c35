"""`microcred demo`: seed an Ontario college, an employer partner, three published micro-credentials aligned
to real ESCO v1.1.1 concepts, two earners and signed awards with evidence. Idempotent (fixed ids).

The ESCO URIs and preferred labels below are copied from ESCO v1.1.1 (`skills_en.csv`,
`transversalSkillsCollection_en.csv`, © European Union); a test checks them against those files.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from microcred.assessments import services as assessments
from microcred.assessments.storage import EvidenceStore
from microcred.awards import services as awards
from microcred.catalog import services as catalog
from microcred.earners import services as earners
from microcred.issuers import services as issuers

ESCO_FRAMEWORK = "ESCO v1.1.1"
_NS = uuid.UUID("5b0f7c52-93a4-4d0e-9f0e-6d1c2a7e3b10")


def demo_id(name: str) -> uuid.UUID:
    """Deterministic ids: running the demo twice finds what it made the first time."""
    return uuid.uuid5(_NS, name)


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
    return {
        "target_url": concept.uri,
        "target_name": concept.label,
        "target_framework": ESCO_FRAMEWORK,
        "target_type": "ceasn:Competency",
    }


COLLEGE_ID = demo_id("org:northern-lakes-college")
EMPLOYER_ID = demo_id("org:great-lakes-hospitality-group")
INSTITUTE_ID = demo_id("org:lakeshore-institute")  # rotated its key: older credentials still verify

INSTITUTE = {
    "kind": "institution",
    "name": "Lakeshore Institute of Technology",
    "legal_name": "Lakeshore Institute of Technology",
    "url": "https://www.lakeshore-institute.example",
    "email": "registrar@lakeshore-institute.example",
    "country": "CA",
    "region": "ON",
    "registration_id": "ON-INST-0918",
    "description": "A (fictional) institute that rotated its signing key; credentials signed before still verify.",
}
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
# (name, earner, achievement, what happens to it)
LIFECYCLE_AWARDS: list[tuple[str, str, str]] = [
    ("revoked", "liam", "food-safety"),
    ("suspended", "liam", "spreadsheet-analysis"),
    ("expired", "amara", "cyber-awareness"),
]
LIFECYCLE_EVIDENCE = [
    {"name": "Final assessment", "narrative": "Assessed by the programme team.", "genre": "Assessment"}
]
EXPIRED_FROM = datetime(2024, 1, 15, tzinfo=UTC)
EXPIRED_UNTIL = datetime(2025, 1, 15, tzinfo=UTC)

COLLEGE = {
    "kind": "institution",
    "name": "Northern Lakes College of Applied Arts and Technology",
    "legal_name": "Northern Lakes College of Applied Arts and Technology",
    "url": "https://www.northernlakes.example",
    "email": "credentials@northernlakes.example",
    "country": "CA",
    "region": "ON",
    "registration_id": "ON-CAAT-0427",
    "description": "A (fictional) Ontario college of applied arts and technology offering stackable micro-credentials.",
}
EMPLOYER = {
    "kind": "employer",
    "name": "Great Lakes Hospitality Group",
    "legal_name": "Great Lakes Hospitality Group Inc.",
    "url": "https://www.greatlakeshospitality.example",
    "email": "talent@greatlakeshospitality.example",
    "country": "CA",
    "region": "ON",
    "registration_id": "ON-BN-784512963",
    "description": "A (fictional) employer partner that co-designed the food safety micro-credential.",
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

EARNERS: list[dict[str, Any]] = [
    {"key": "amara", "name": "Amara Okafor", "email": "amara.okafor@learner.example"},
    {"key": "liam", "name": "Liam Tremblay", "email": "liam.tremblay@learner.example"},
]

# (earner, achievement, evidence)
AWARDS: list[tuple[str, str, list[dict[str, Any]]]] = [
    (
        "amara",
        "food-safety",
        [
            {
                "name": "Practical kitchen assessment",
                "narrative": "Prepared and stored three dishes under supervision; all temperature and "
                "labelling checks passed.",
                "genre": "Assessment",
                "audience": "Employers",
            }
        ],
    ),
    (
        "amara",
        "spreadsheet-analysis",
        [
            {
                "name": "Final analysis project",
                "description": "Analysis of a regional food bank's monthly intake data.",
                "url": "https://www.northernlakes.example/portfolio/amara-okafor/food-bank-analysis",
                "genre": "Project",
            }
        ],
    ),
    (
        "liam",
        "cyber-awareness",
        [
            {
                "name": "Risk register",
                "narrative": "One-page risk register for a family-run hardware store.",
                "genre": "Written work",
            }
        ],
    ),
]


# how each achievement is assessed: knowledge by a score, skills and attitudes on a four-level rubric
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


def _rubrics(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"outcome": n, "score": {"min": 0, "max": 100, "required": 70, "result_type": "Percent"}}
        if kind == "knowledge"
        else {"outcome": n, "levels": RUBRIC_LEVELS, "required_level": "Proficient"}
        for n, (_, kind, _) in enumerate(spec["outcomes"], start=1)
    ]


def _assess(
    session: Session, achievement_key: str, earner_key: str, store: EvidenceStore | None, created: dict[str, int]
) -> None:
    """Passing results for every outcome, a public and a private evidence item (once per earner and achievement)."""
    achievement_id = demo_id(f"achievement:{achievement_key}")
    if assessments.get_design(session, achievement_id) is None:
        return  # seeded before achievements had assessments: left as it was
    earner_id = _earner_id(session, earner_key)
    if assessments.list_results(session, achievement_id=achievement_id, earner_id=earner_id):
        return
    spec = next(a for a in ACHIEVEMENTS if a["key"] == achievement_key)
    for n, (_, kind, _) in enumerate(spec["outcomes"], start=1):
        result = {"score": 78 + 4 * n} if kind == "knowledge" else {"level": "Exemplary" if n % 2 else "Proficient"}
        assessments.record_result(
            session, achievement_id=achievement_id, earner_id=earner_id, outcome=n, assessor="Demo assessor", **result
        )
    skill = next(n for n, (_, kind, _) in enumerate(spec["outcomes"], start=1) if kind == "skill")
    if store is not None:
        assessments.add_evidence(
            session,
            achievement_id=achievement_id,
            earner_id=earner_id,
            outcome=skill,
            visibility="public",
            name="Assessor's observation checklist",
            genre="Assessment record",
            audience="Employers",
            file=assessments.FileUpload(
                f"Observation checklist — {spec['name']}\nEvery criterion observed and met.\n".encode(),
                "checklist.txt",
            ),
            store=store,
        )
    else:
        assessments.add_evidence(
            session,
            achievement_id=achievement_id,
            earner_id=earner_id,
            outcome=skill,
            visibility="public",
            name="Assessor's observation",
            narrative="Every criterion of the rubric was observed and met.",
            genre="Assessment record",
        )
    assessments.add_evidence(
        session,
        achievement_id=achievement_id,
        earner_id=earner_id,
        visibility="private",
        name="Assessor's private notes",
        narrative="Private: identity checked against photo ID; one retake of the written part.",
    )
    created["assessment records"] += 1


@dataclass
class DemoResult:
    featured_award_id: uuid.UUID
    created: dict[str, int] = field(default_factory=dict)
    award_ids: list[uuid.UUID] = field(default_factory=list)
    # revoked, suspended, expired, rotated-old (signed before the key rotation), rotated-new
    lifecycle: dict[str, uuid.UUID] = field(default_factory=dict)


def seed_demo(
    session: Session,
    *,
    base_url: str,
    master_key: bytes | None = None,
    evidence_store: EvidenceStore | None = None,
    import_taxonomy: bool = False,
) -> DemoResult:
    """Create the demo records that are missing (none, the second time round).

    ``import_taxonomy``: import the shipped ESCO v1.1.1 first if no ESCO version is imported (≈ 6-9 s), so the
    alignments are checked against it. ``evidence_store``: where the demo's public evidence file goes (without
    one, that evidence is a narrative).
    """
    from microcred.audit.services import acting_as

    with acting_as("demo"):
        if import_taxonomy:
            from microcred.taxonomy import services as taxonomy

            if not any(v.framework == "esco" for v in taxonomy.list_frameworks(session)):
                taxonomy.import_esco(session)
        return _seed_demo(session, base_url=base_url, master_key=master_key, store=evidence_store)


def _create_achievement(
    session: Session, achievement_id: uuid.UUID, issuer_id: uuid.UUID, spec: Mapping[str, Any], **extra: Any
) -> None:
    """A demo micro-credential from its spec: every outcome aligned to the one ESCO concept it names."""
    catalog.create_achievement(
        session,
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


def _seed_demo(session: Session, *, base_url: str, master_key: bytes | None, store: EvidenceStore | None) -> DemoResult:
    created = {"organisations": 0, "achievements": 0, "earners": 0, "assessment records": 0, "awards": 0}

    for org_id, values in ((COLLEGE_ID, COLLEGE), (EMPLOYER_ID, EMPLOYER)):
        if issuers.find_organisation(session, org_id) is None:
            issuers.create_organisation(session, id=org_id, **values)
            created["organisations"] += 1
    issuers.ensure_signing_key(session, COLLEGE_ID, master_key=master_key)

    for spec in ACHIEVEMENTS:
        achievement_id = demo_id(f"achievement:{spec['key']}")
        if catalog.find_achievement(session, achievement_id) is None:
            _create_achievement(session, achievement_id, COLLEGE_ID, spec)
            assessments.define_assessment(session, achievement_id, rubrics=_rubrics(spec), **ASSESSMENTS[spec["key"]])
            catalog.publish_achievement(session, achievement_id)
            created["achievements"] += 1

    for person in EARNERS:
        earner_id = demo_id(f"earner:{person['key']}")
        if earners.find_earner_by_email(session, person["email"]) is None:
            earners.create_earner(session, id=earner_id, name=person["name"], email=person["email"])
            created["earners"] += 1

    from microcred.partners import demo as partners_demo  # issue 7: partner endorsements, relevance

    partners_demo.seed_before_awards(session, base_url=base_url, master_key=master_key, created=created)
    award_ids = []
    for earner_key, achievement_key, evidence in AWARDS:
        award_id = demo_id(f"award:{earner_key}:{achievement_key}")
        award_ids.append(award_id)
        if awards.find_award(session, award_id) is None:
            earner = earners.find_earner_by_email(session, next(p["email"] for p in EARNERS if p["key"] == earner_key))
            assert earner is not None
            _assess(session, achievement_key, earner_key, store, created)
            awards.issue_award(
                session,
                award_id=award_id,
                achievement_id=demo_id(f"achievement:{achievement_key}"),
                earner_id=earner.id,
                evidence=evidence,
                base_url=base_url,
                master_key=master_key,
            )
            created["awards"] += 1
    lifecycle = _seed_lifecycle(session, base_url=base_url, master_key=master_key, created=created, store=store)
    from microcred.transcripts import demo as transcripts_demo  # issue 8: course records and a 3-part pathway

    transcripts_demo.seed(session, base_url=base_url, master_key=master_key, created=created, store=store)
    partners_demo.seed_after_awards(session, base_url=base_url, master_key=master_key, created=created)
    return DemoResult(featured_award_id=award_ids[0], created=created, award_ids=award_ids, lifecycle=lifecycle)


def _earner_id(session: Session, key: str) -> uuid.UUID:
    earner = earners.find_earner_by_email(session, next(p["email"] for p in EARNERS if p["key"] == key))
    assert earner is not None
    return earner.id


def _seed_lifecycle(
    session: Session, *, base_url: str, master_key: bytes | None, created: dict[str, int], store: EvidenceStore | None
) -> dict[str, uuid.UUID]:
    """A revoked, a suspended and an expired award, and an organisation whose key was rotated after it issued."""
    out: dict[str, uuid.UUID] = {}
    for name, earner_key, achievement_key in LIFECYCLE_AWARDS:
        award_id = demo_id(f"award:{name}:{earner_key}:{achievement_key}")
        out[name] = award_id
        if awards.find_award(session, award_id) is not None:
            continue
        expired = name == "expired"
        _assess(session, achievement_key, earner_key, store, created)
        awards.issue_award(
            session,
            award_id=award_id,
            achievement_id=demo_id(f"achievement:{achievement_key}"),
            earner_id=_earner_id(session, earner_key),
            evidence=LIFECYCLE_EVIDENCE,
            valid_from=EXPIRED_FROM if expired else None,
            valid_until=EXPIRED_UNTIL if expired else None,
            base_url=base_url,
            master_key=master_key,
        )
        created["awards"] += 1
        if name == "revoked":
            awards.revoke_award(session, award_id, reason="Demo: assessment found to be compromised.")
        elif name == "suspended":
            awards.suspend_award(session, award_id, reason="Demo: under review after a complaint.")

    if issuers.find_organisation(session, INSTITUTE_ID) is None:
        issuers.create_organisation(session, id=INSTITUTE_ID, **INSTITUTE)
        created["organisations"] += 1
    achievement_id = demo_id(f"achievement:{PRIVACY['key']}")
    if catalog.find_achievement(session, achievement_id) is None:
        _create_achievement(
            session, achievement_id, INSTITUTE_ID, PRIVACY, validity_months=PRIVACY["validity_months"], publish=True
        )
        created["achievements"] += 1
    for name, earner_key in (("rotated-old", "amara"), ("rotated-new", "liam")):
        award_id = demo_id(f"award:{name}:{earner_key}:{PRIVACY['key']}")
        out[name] = award_id
        if awards.find_award(session, award_id) is None:
            awards.issue_award(
                session,
                award_id=award_id,
                achievement_id=achievement_id,
                earner_id=_earner_id(session, earner_key),
                evidence=LIFECYCLE_EVIDENCE,
                base_url=base_url,
                master_key=master_key,
            )
            created["awards"] += 1
        if name == "rotated-old" and len(issuers.list_signing_keys(session, INSTITUTE_ID)) < 2:
            issuers.rotate_signing_key(session, INSTITUTE_ID, master_key=master_key)
    return out
