"""A tiny ESCO-shaped CSV folder (the Commission's columns), for version, error and CLI tests."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

SKILL = "http://example.org/esco/skill/"
OCC = "http://example.org/esco/occupation/"
SKILL_COLUMNS = [
    "conceptType",
    "conceptUri",
    "skillType",
    "reuseLevel",
    "preferredLabel",
    "altLabels",
    "hiddenLabels",
    "status",
    "modifiedDate",
    "scopeNote",
    "definition",
    "inScheme",
    "description",
]

# uri suffix, skill type, reuse level, label, alt labels, broader (group code or skill suffix)
SKILLS_V1 = [
    ("k1", "knowledge", "cross-sector", "bread baking science", "baking chemistry\nscience of bread", "K"),
    ("s1", "skill/competence", "sector-specific", "knead bread dough", "knead dough", "S"),
    ("s2", "skill/competence", "sector-specific", "operate deck oven", "", "S"),
    ("t1", "skill/competence", "transversal", "show patience", "be patient", "T3"),
    ("t2", "skill/competence", "transversal", "think creatively", "", "T2"),
]
GROUPS = [
    ("S", "skills", None),
    ("K", "knowledge", None),
    ("T", "transversal skills", None),
    ("T2", "thinking skills", "T"),
    ("T3", "self-management skills", "T"),
]


def _write(path: Path, header: list[str], rows: list[list[str]], gz: bool) -> None:
    with gzip.open(f"{path}.gz", "wt", encoding="utf-8", newline="") if gz else path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def write_esco_folder(
    folder: Path, *, skills: list[tuple[str, str, str, str, str, str]] | None = None, gz: bool = False
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    skills = SKILLS_V1 if skills is None else skills
    _write(
        folder / "skills_en.csv",
        SKILL_COLUMNS,
        [
            [
                "KnowledgeSkillCompetence",
                SKILL + s[0],
                s[1],
                s[2],
                s[3],
                s[4],
                "",
                "released",
                "",
                "",
                "",
                "",
                f"Description of {s[3]}.",
            ]
            for s in skills
        ],
        gz,
    )
    _write(
        folder / "skillGroups_en.csv",
        ["conceptType", "conceptUri", "preferredLabel", "altLabels", "status", "description", "code"],
        [["SkillGroup", SKILL + "g-" + code, label, "", "released", "", code] for code, label, _ in GROUPS],
        gz,
    )
    broader = [["SkillGroup", SKILL + "g-" + c, "SkillGroup", SKILL + "g-" + p] for c, _, p in GROUPS if p]
    for s in skills:
        target = SKILL + ("g-" + s[5] if s[5][0].isupper() else s[5])
        broader.append(["KnowledgeSkillCompetence", SKILL + s[0], "SkillGroup", target])
    _write(
        folder / "broaderRelationsSkillPillar.csv",
        ["conceptType", "conceptUri", "broaderType", "broaderUri"],
        broader,
        gz,
    )
    transversal = [s for s in skills if s[2] == "transversal"]
    _write(
        folder / "transversalSkillsCollection_en.csv",
        ["conceptType", "conceptUri", "skillType", "reuseLevel", "preferredLabel", "status", "altLabels"],
        [["KnowledgeSkillCompetence", SKILL + s[0], s[1], s[2], s[3], "released", ""] for s in transversal],
        gz,
    )
    _write(
        folder / "occupations_en.csv",
        ["conceptType", "conceptUri", "iscoGroup", "preferredLabel", "altLabels", "status", "description", "code"],
        [["Occupation", OCC + "baker", "7512", "baker", "bread maker", "released", "Bakes bread.", "7512.1"]],
        gz,
    )
    uris = {s[0] for s in skills}
    relations = [
        [OCC + "baker", rel, "", SKILL + uri]
        for uri, rel in (("s1", "essential"), ("k1", "optional"), ("s2", "essential"), ("t1", "optional"))
        if uri in uris
    ]
    _write(
        folder / "occupationSkillRelations.csv",
        ["occupationUri", "relationType", "skillType", "skillUri"],
        relations,
        gz,
    )
    return folder
