"""What an importer reads a framework into before anything is written: plain records, dialect-free."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from microcred.errors import InvalidInput

MAX_LIMIT = 100  # the most results one search answers with


class TaxonomyImportError(InvalidInput):
    """An unreadable path or a malformed file: nothing was written (CLI exit code 2)."""


def result_limit(limit: int) -> int:
    """A caller's result limit, capped at ``MAX_LIMIT``; refuses less than one."""
    if limit < 1:
        raise InvalidInput("limit must be at least 1")
    return min(limit, MAX_LIMIT)


@dataclass(slots=True)
class ConceptRecord:
    uri: str
    preferred_label: str
    kind: str  # knowledge | skill | transversal | group | other
    ksa: str | None = None  # knowledge | skill | attitude
    skill_type: str | None = None
    reuse_level: str | None = None
    alt_labels: list[str] = field(default_factory=list)
    hidden_labels: list[str] = field(default_factory=list)
    description: str | None = None
    code: str | None = None
    pillars: str | None = None
    status: str | None = None


@dataclass(slots=True)
class OccupationRecord:
    uri: str
    preferred_label: str
    alt_labels: list[str] = field(default_factory=list)
    description: str | None = None
    isco_code: str | None = None
    code: str | None = None
    status: str | None = None


@dataclass
class FrameworkData:
    key: str
    name: str
    source_format: str  # esco | case | csv
    version: str
    publisher: str | None = None
    licence: str | None = None
    url: str | None = None
    source: str | None = None
    concepts: list[ConceptRecord] = field(default_factory=list)
    broader: list[tuple[str, str]] = field(default_factory=list)  # (narrower uri, broader uri)
    collections: list[tuple[str, str]] = field(default_factory=list)  # (concept uri, collection)
    occupations: list[OccupationRecord] = field(default_factory=list)
    occupation_skills: list[tuple[str, str, str]] = field(default_factory=list)  # (occupation, concept, relation)


def split_list(cell: str | None, *, exclude: str | None = None) -> list[str]:
    """A list cell (one item a line, as in the ESCO CSVs; ' | ' in the collection files) as unique items."""
    if not cell:
        return []
    parts = re.split(r"\n| \| ", cell)
    seen: set[str] = set()
    out: list[str] = []
    for part in parts:
        item = part.strip()
        if item and item not in seen and item != exclude:
            seen.add(item)
            out.append(item)
    return out


def clean(cell: str | None) -> str | None:
    if cell is None:
        return None
    value = cell.strip()
    return value or None


def version_key(version: str) -> tuple[int, ...]:
    """'v1.2.0' -> (1, 2, 0): how versions of one framework are ordered (no digits sorts first)."""
    return tuple(int(n) for n in re.findall(r"\d+", version))
