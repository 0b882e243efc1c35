"""Read ESCO from the Commission's CSV export (a folder, each file gzipped or not) into `FrameworkData`.

The whole folder is read and checked before anything is written. File names: v1.1.1 names the relation files
without the `_en` suffix (`occupationSkillRelations.csv`), v1.2 with it; both are accepted. Only
`skills_en.csv` is required; the other files add the hierarchy, collections and occupations when present.

Our knowledge / skill / attitude reading (shared/esco/NOTES.md; ESCO itself has only two skill types):
- kind `knowledge`: skillType knowledge; `transversal`: a skill/competence whose reuse level is transversal, or
  that belongs to the transversal collection, or that sits only in the transversal (T) pillar; `skill`: the rest.
- ksa `attitude`: a transversal concept under T3 (self-management), T4.5 (ethical conduct) or T6 (life skills);
  `knowledge` for knowledge; `skill` otherwise.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from microcred.taxonomy.records import (
    ConceptRecord,
    FrameworkData,
    OccupationRecord,
    TaxonomyImportError,
    clean,
    split_list,
)

SHIPPED_VERSION = "v1.1.1"
SHIPPED_DIR = Path(__file__).resolve().parent / "data" / f"esco-{SHIPPED_VERSION}"
ESCO_KEY = "esco"
ESCO_NAME = "ESCO"
ESCO_URL = "https://esco.ec.europa.eu"
ESCO_ATTRIBUTION = (
    "This service uses the ESCO classification of the European Commission (© European Union, "
    "https://esco.ec.europa.eu). Data converted/compressed; no endorsement by the Commission."
)
COLLECTIONS = {
    "transversal": "transversalSkillsCollection",
    "digital": "digitalSkillsCollection",
    "digComp": "digCompSkillsCollection",
    "green": "greenSkillsCollection",
    "language": "languageSkillsCollection",
    "research": "researchSkillsCollection",
}
ATTITUDE_GROUP = re.compile(r"^(T3|T4\.5|T6)(\.|$)")
PILLARS = frozenset({"S", "K", "T", "L"})

Progress = Callable[[str, int, int], None]


def _noop(_stage: str, _done: int, _total: int) -> None:
    return None


def find_file(folder: Path, base: str) -> Path | None:
    for name in (f"{base}_en.csv", f"{base}.csv"):
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


@contextmanager
def _open_text(path: Path) -> Iterator[IO[str]]:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as fh:
            yield fh
    else:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            yield fh


def read_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """All rows of one CSV file; any read, decode or shape problem becomes a `TaxonomyImportError`."""
    try:
        with _open_text(path) as fh:
            reader = csv.DictReader(fh, strict=True)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise TaxonomyImportError(f"{path}: malformed CSV: missing column(s) {', '.join(missing)}")
            rows: list[dict[str, str]] = []
            for row in reader:
                if None in row or any(v is None for v in row.values()):
                    raise TaxonomyImportError(
                        f"{path}: malformed CSV: line {reader.line_num} has {len(header)} columns expected"
                    )
                rows.append(row)
            return rows
    except TaxonomyImportError:
        raise
    except csv.Error as exc:
        raise TaxonomyImportError(f"{path}: malformed CSV: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise TaxonomyImportError(f"{path}: not UTF-8 text") from exc
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise TaxonomyImportError(f"{path}: corrupt gzip file ({exc})") from exc
    except OSError as exc:
        raise TaxonomyImportError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def _need(row: dict[str, str], column: str, path: Path, line: int) -> str:
    value = (row.get(column) or "").strip()
    if not value:
        raise TaxonomyImportError(f"{path}: malformed CSV: row {line} has an empty {column}")
    return value


def detect_version(folder: Path) -> str | None:
    """'v1.2.0' from a folder named like `esco-v1.2.0` or `ESCO dataset - v1.2.0 - ...`."""
    for part in reversed(folder.resolve().parts):
        match = re.search(r"v?(\d+\.\d+(?:\.\d+)?)", part)
        if match:
            return f"v{match.group(1)}"
    return None


@dataclass
class _EscoFiles:
    """The rows of every ESCO file found in the folder (a missing optional file reads as no rows)."""

    folder: Path
    skills_path: Path
    skills: list[dict[str, str]]
    groups_path: Path | None = None
    groups: list[dict[str, str]] = field(default_factory=list)
    broader_path: Path | None = None
    broader: list[dict[str, str]] = field(default_factory=list)
    collection_members: dict[str, set[str]] = field(default_factory=dict)
    occupations_path: Path | None = None
    occupations: list[dict[str, str]] = field(default_factory=list)
    relations_path: Path | None = None
    relations: list[dict[str, str]] = field(default_factory=list)


def _esco_folder(folder: Path | None, version: str | None) -> tuple[Path, str, Path]:
    """The folder (default: the shipped copy), its ESCO version and its skills file; refuses anything else."""
    if folder is None:
        folder = SHIPPED_DIR
        version = version or SHIPPED_VERSION
    if not folder.exists():
        raise TaxonomyImportError(f"{folder}: no such file or directory")
    if not folder.is_dir():
        raise TaxonomyImportError(f"{folder}: expected a folder holding ESCO's CSV files")
    version = version or detect_version(folder)
    if version is None:
        raise TaxonomyImportError(f"{folder}: cannot tell which ESCO version this is: pass --version (e.g. v1.2.0)")
    skills_path = find_file(folder, "skills")
    if skills_path is None:
        raise TaxonomyImportError(f"{folder}: no skills_en.csv (or skills_en.csv.gz): not an ESCO CSV folder")
    return folder, version, skills_path


def _optional_csv(folder: Path, base: str, required: tuple[str, ...]) -> tuple[Path | None, list[dict[str, str]]]:
    path = find_file(folder, base)
    return path, read_csv(path, required) if path else []


def _read_files(folder: Path, skills_path: Path, progress: Progress, steps: int) -> _EscoFiles:
    """Every file read (and each checked) before anything is interpreted, reporting progress per file."""
    progress("read skills", 0, steps)
    files = _EscoFiles(
        folder, skills_path, read_csv(skills_path, ("conceptUri", "preferredLabel", "skillType", "reuseLevel"))
    )
    progress("read skill groups", 1, steps)
    files.groups_path, files.groups = _optional_csv(folder, "skillGroups", ("conceptUri", "preferredLabel", "code"))
    progress("read hierarchy", 2, steps)
    files.broader_path, files.broader = _optional_csv(
        folder, "broaderRelationsSkillPillar", ("conceptUri", "broaderUri")
    )
    progress("read collections", 3, steps)
    for name, base in COLLECTIONS.items():
        path = find_file(folder, base)
        if path is not None:
            rows = read_csv(path, ("conceptUri",))
            files.collection_members[name] = {_need(r, "conceptUri", path, i + 2) for i, r in enumerate(rows)}
    progress("read occupations", 4, steps)
    files.occupations_path, files.occupations = _optional_csv(
        folder, "occupations", ("conceptUri", "preferredLabel", "iscoGroup")
    )
    progress("read occupation–skill relations", 5, steps)
    files.relations_path, files.relations = _optional_csv(
        folder, "occupationSkillRelations", ("occupationUri", "relationType", "skillUri")
    )
    return files


def _add_groups(data: FrameworkData, files: _EscoFiles) -> dict[str, str | None]:
    """The skill groups as concepts; returns each group's code (ISCED-F groups: the code ends their URI)."""
    path = files.groups_path or files.folder
    group_codes: dict[str, str | None] = {}
    for i, row in enumerate(files.groups):
        uri = _need(row, "conceptUri", path, i + 2)
        code = clean(row.get("code"))
        if code is None and "/isced-f/" in uri:
            code = uri.rsplit("/", 1)[1]
        group_codes[uri] = code
        data.concepts.append(
            ConceptRecord(
                uri=uri,
                preferred_label=_need(row, "preferredLabel", path, i + 2),
                kind="group",
                alt_labels=split_list(row.get("altLabels"), exclude=row.get("preferredLabel")),
                hidden_labels=split_list(row.get("hiddenLabels")),
                description=clean(row.get("description")),
                code=code,
                status=clean(row.get("status")),
            )
        )
    return group_codes


def _add_broader(data: FrameworkData, files: _EscoFiles) -> dict[str, list[str]]:
    """The hierarchy's edges; returns each concept's parents."""
    path = files.broader_path or files.folder
    parents: dict[str, list[str]] = {}
    for i, row in enumerate(files.broader):
        narrower = _need(row, "conceptUri", path, i + 2)
        broader = _need(row, "broaderUri", path, i + 2)
        parents.setdefault(narrower, []).append(broader)
        data.broader.append((narrower, broader))
    return parents


def _classify(
    uri: str, skill_type: str | None, reuse: str | None, codes: set[str], transversal: set[str]
) -> tuple[str, str]:
    """(kind, ksa) of one skill: our knowledge / skill / attitude reading (the module's docstring)."""
    pillars = sorted(c for c in codes if c in PILLARS)
    if skill_type == "knowledge":
        return "knowledge", "knowledge"
    if reuse == "transversal" or uri in transversal or pillars == ["T"]:
        return "transversal", "attitude" if any(ATTITUDE_GROUP.match(c) for c in codes) else "skill"
    return "skill", "skill"


def _add_skills(data: FrameworkData, files: _EscoFiles, ancestor_codes: Callable[[str], set[str]]) -> None:
    transversal = files.collection_members.get("transversal", set())
    for i, row in enumerate(files.skills):
        uri = _need(row, "conceptUri", files.skills_path, i + 2)
        label = _need(row, "preferredLabel", files.skills_path, i + 2)
        skill_type = clean(row.get("skillType"))
        reuse = clean(row.get("reuseLevel"))
        codes = ancestor_codes(uri)
        kind, ksa = _classify(uri, skill_type, reuse, codes, transversal)
        data.concepts.append(
            ConceptRecord(
                uri=uri,
                preferred_label=label,
                kind=kind,
                ksa=ksa,
                skill_type=skill_type,
                reuse_level=reuse,
                alt_labels=split_list(row.get("altLabels"), exclude=label),
                hidden_labels=split_list(row.get("hiddenLabels")),
                description=clean(row.get("description")),
                pillars=" ".join(sorted(c for c in codes if c in PILLARS)) or None,
                status=clean(row.get("status")),
            )
        )


def _add_occupations(data: FrameworkData, files: _EscoFiles) -> None:
    path = files.occupations_path or files.folder
    for i, row in enumerate(files.occupations):
        uri = _need(row, "conceptUri", path, i + 2)
        label = _need(row, "preferredLabel", path, i + 2)
        data.occupations.append(
            OccupationRecord(
                uri=uri,
                preferred_label=label,
                alt_labels=split_list(row.get("altLabels"), exclude=label),
                description=clean(row.get("description")),
                isco_code=clean(row.get("iscoGroup")),
                code=clean(row.get("code")),
                status=clean(row.get("status")),
            )
        )


def _add_relations(data: FrameworkData, files: _EscoFiles) -> None:
    path = files.relations_path or files.folder
    for i, row in enumerate(files.relations):
        relation = _need(row, "relationType", path, i + 2)
        if relation not in ("essential", "optional"):
            raise TaxonomyImportError(
                f"{files.relations_path}: malformed CSV: row {i + 2} has relationType {relation!r} "
                "(essential or optional)"
            )
        data.occupation_skills.append(
            (_need(row, "occupationUri", path, i + 2), _need(row, "skillUri", path, i + 2), relation)
        )


def read_esco(folder: Path | None = None, *, version: str | None = None, progress: Progress = _noop) -> FrameworkData:
    """Read an ESCO CSV folder (default: the copy of v1.1.1 shipped in the package)."""
    folder, version, skills_path = _esco_folder(folder, version)
    data = FrameworkData(
        key=ESCO_KEY,
        name=ESCO_NAME,
        source_format="esco",
        version=version,
        publisher="European Commission",
        licence=ESCO_ATTRIBUTION,
        url=ESCO_URL,
        source=str(folder),
    )
    steps = 7
    files = _read_files(folder, skills_path, progress, steps)
    progress("classify", 6, steps)
    group_codes = _add_groups(data, files)
    ancestor_codes = _ancestor_codes(_add_broader(data, files), group_codes)
    _add_skills(data, files, ancestor_codes)
    for group in data.concepts:
        if group.kind == "group":
            group.pillars = " ".join(sorted(c for c in ancestor_codes(group.uri) if c in PILLARS)) or None
    for name, members in files.collection_members.items():
        data.collections.extend((uri, name) for uri in sorted(members))
    _add_occupations(data, files)
    _add_relations(data, files)
    progress("read", steps, steps)
    return data


def _ancestor_codes(parents: dict[str, list[str]], group_codes: dict[str, str | None]) -> Callable[[str], set[str]]:
    """uri -> the codes of every skill group reached upwards (itself included), through skills and groups."""
    memo: dict[str, frozenset[str]] = {}

    def walk(uri: str, visiting: set[str]) -> frozenset[str]:
        if uri in memo:
            return memo[uri]
        visiting.add(uri)
        codes: set[str] = set()
        own = group_codes.get(uri)
        if own:
            codes.add(own)
        for parent in parents.get(uri, ()):
            if parent not in visiting:
                codes |= walk(parent, visiting)
        visiting.discard(uri)
        result = frozenset(codes)
        memo[uri] = result
        return result

    return lambda uri: set(walk(uri, set()))
