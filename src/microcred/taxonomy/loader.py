"""Write a `FrameworkData` into the database: bulk, idempotent, versioned, in the caller's transaction.

- Concepts and occupations are keyed by (version, uri): new ones are inserted, changed ones updated, the others
  left alone, so importing the same data twice changes nothing. Nothing is ever deleted.
- Relations (broader, collections, occupation–skill) are made equal to the file's: missing pairs inserted,
  pairs the file no longer has removed (no alignment points at a relation).
- After the write, every older version's concepts that a newer version lacks get `withdrawn_in` = the first
  newer version without them, and the newest version becomes the framework's current one.
- Bulk: `executemany` on SQLite, `COPY` on PostgreSQL. The caller commits (or rolls back) the whole import.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, text, update
from sqlalchemy.orm import Session

from microcred.db.base import Base
from microcred.taxonomy import search
from microcred.taxonomy.models import (
    BroaderRelation,
    CollectionMember,
    Concept,
    Framework,
    FrameworkVersion,
    Occupation,
    OccupationSkill,
)
from microcred.taxonomy.records import FrameworkData, TaxonomyImportError, version_key

Progress = Callable[[str, int, int], None]

CONCEPT_FIELDS = (
    "kind",
    "ksa",
    "skill_type",
    "reuse_level",
    "preferred_label",
    "alt_labels",
    "hidden_labels",
    "description",
    "code",
    "pillars",
    "status",
)
OCCUPATION_FIELDS = ("preferred_label", "alt_labels", "description", "isco_code", "code", "status")
JSON_FIELDS = frozenset({"alt_labels", "hidden_labels"})
CHUNK = 5000


@dataclass
class ImportReport:
    framework: str
    version: str
    concepts: int = 0
    concepts_inserted: int = 0
    concepts_updated: int = 0
    occupations: int = 0
    occupations_inserted: int = 0
    occupations_updated: int = 0
    relations_added: int = 0
    relations_removed: int = 0
    withdrawn_flagged: int = 0
    skipped_relations: int = 0  # relations naming a concept or occupation the data does not hold
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(
            self.concepts_inserted
            or self.concepts_updated
            or self.occupations_inserted
            or self.occupations_updated
            or self.relations_added
            or self.relations_removed
            or self.withdrawn_flagged
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "version": self.version,
            "concepts": self.concepts,
            "concepts_inserted": self.concepts_inserted,
            "concepts_updated": self.concepts_updated,
            "occupations": self.occupations,
            "occupations_inserted": self.occupations_inserted,
            "occupations_updated": self.occupations_updated,
            "relations_added": self.relations_added,
            "relations_removed": self.relations_removed,
            "withdrawn_flagged": self.withdrawn_flagged,
            "skipped_relations": self.skipped_relations,
            "changed": self.changed,
            "seconds": round(self.seconds, 2),
        }


def _t(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _noop(_stage: str, _done: int, _total: int) -> None:
    return None


def store_framework(session: Session, data: FrameworkData, progress: Progress = _noop) -> ImportReport:
    """Write ``data`` as one version of its framework: concepts and occupations upserted, relations synced, the
    withdrawn flagged and the search index refreshed for what changed (the caller commits)."""
    started = time.perf_counter()
    _check_unique(data)
    report = ImportReport(framework=data.key, version=data.version)
    steps = 8
    progress("framework", 0, steps)
    framework, version = _framework_version(session, data)
    version_id = version.id

    progress("concepts", 1, steps)
    concept_rows = [{f: getattr(c, f) for f in ("uri", *CONCEPT_FIELDS)} for c in data.concepts]
    inserted, updated, concept_ids, changed_ids = _upsert(
        session, _t(Concept), version_id, concept_rows, CONCEPT_FIELDS
    )
    report.concepts, report.concepts_inserted, report.concepts_updated = len(concept_rows), inserted, updated

    progress("hierarchy", 2, steps)
    _store_hierarchy(session, data, concept_ids, version_id, report)
    progress("collections", 3, steps)
    _store_collections(session, data, concept_ids, version_id, report)

    progress("occupations", 4, steps)
    occupation_rows = [{f: getattr(o, f) for f in ("uri", *OCCUPATION_FIELDS)} for o in data.occupations]
    o_inserted, o_updated, occupation_ids, _ = _upsert(
        session, _t(Occupation), version_id, occupation_rows, OCCUPATION_FIELDS
    )
    report.occupations, report.occupations_inserted, report.occupations_updated = (
        len(occupation_rows),
        o_inserted,
        o_updated,
    )

    progress("occupation–skill relations", 5, steps)
    _store_occupation_skills(session, data, (occupation_ids, concept_ids), version_id, report)

    progress("versions", 6, steps)
    report.withdrawn_flagged = _flag_withdrawn(session, framework.id)
    version.concept_count = len(concept_rows)
    version.occupation_count = len(occupation_rows)
    if report.changed:
        version.source = data.source
    session.flush()

    progress("search index", 7, steps)
    search.index_concepts(session, version_id, None if inserted == len(concept_rows) else changed_ids)
    session.flush()
    progress("done", steps, steps)
    report.seconds = time.perf_counter() - started
    return report


def _framework_version(session: Session, data: FrameworkData) -> tuple[Framework, FrameworkVersion]:
    """The framework (created, or refreshed when it came from the same format) and its version row."""
    framework = session.scalar(select(Framework).where(Framework.key == data.key))
    if framework is None:
        framework = Framework(key=data.key, name=data.name, source_format=data.source_format)
        session.add(framework)
    elif framework.source_format != data.source_format:
        raise TaxonomyImportError(
            f"framework {data.key!r} already exists, imported from {framework.source_format}: choose another name"
        )
    framework.name = data.name
    framework.publisher = data.publisher
    framework.licence = data.licence
    framework.url = data.url
    session.flush()
    version = session.scalar(
        select(FrameworkVersion).where(
            FrameworkVersion.framework_id == framework.id, FrameworkVersion.version == data.version
        )
    )
    if version is None:
        version = FrameworkVersion(framework_id=framework.id, version=data.version, source=data.source)
        session.add(version)
        session.flush()
    return framework, version


def _store_hierarchy(
    session: Session, data: FrameworkData, concept_ids: dict[str, int], version_id: int, report: ImportReport
) -> None:
    """Broader relations between known concepts (an unknown end is counted as skipped; self-loops dropped)."""
    broader_pairs: set[tuple[Any, ...]] = set()
    for narrower, broader in data.broader:
        a, b = concept_ids.get(narrower), concept_ids.get(broader)
        if a is None or b is None:
            report.skipped_relations += 1
        elif a != b:
            broader_pairs.add((a, b))
    _sync_pairs(session, _t(BroaderRelation), ("concept_id", "broader_id"), broader_pairs, version_id, report)


def _store_collections(
    session: Session, data: FrameworkData, concept_ids: dict[str, int], version_id: int, report: ImportReport
) -> None:
    members: set[tuple[Any, ...]] = set()
    for uri, collection in data.collections:
        cid = concept_ids.get(uri)
        if cid is None:
            report.skipped_relations += 1
        else:
            members.add((cid, collection))
    _sync_pairs(session, _t(CollectionMember), ("concept_id", "collection"), members, version_id, report)


def _store_occupation_skills(
    session: Session,
    data: FrameworkData,
    ids: tuple[dict[str, int], dict[str, int]],
    version_id: int,
    report: ImportReport,
) -> None:
    """Occupation-skill relations between known rows (``ids``: occupation ids, concept ids by URI)."""
    occupation_ids, concept_ids = ids
    wanted: dict[tuple[int, int], str] = {}
    for occupation_uri, concept_uri, relation in data.occupation_skills:
        oid, cid = occupation_ids.get(occupation_uri), concept_ids.get(concept_uri)
        if oid is None or cid is None:
            report.skipped_relations += 1
        elif wanted.get((oid, cid)) != "essential":  # listed twice: essential wins
            wanted[(oid, cid)] = relation
    _sync_occupation_skills(session, wanted, version_id, report)


def _check_unique(data: FrameworkData) -> None:
    for what, uris in (("concept", [c.uri for c in data.concepts]), ("occupation", [o.uri for o in data.occupations])):
        seen: set[str] = set()
        for uri in uris:
            if uri in seen:
                raise TaxonomyImportError(f"{data.source or data.key}: {what} {uri} is listed twice")
            seen.add(uri)


def _comparable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _upsert(
    session: Session, table: Table, version_id: int, rows: list[dict[str, Any]], fields: Sequence[str]
) -> tuple[int, int, dict[str, int], list[int]]:
    """Insert new (version, uri) rows, update changed ones; -> (inserted, updated, uri -> id, changed ids)."""
    existing: dict[str, tuple[int, tuple[Any, ...]]] = {}
    columns = [table.c[f] for f in fields]
    for found_row in session.execute(select(table.c.id, table.c.uri, *columns).where(table.c.version_id == version_id)):
        existing[found_row[1]] = (found_row[0], tuple(_comparable(v) for v in found_row[2:]))
    new_rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for row in rows:
        found = existing.get(row["uri"])
        if found is None:
            new_rows.append({"version_id": version_id, **row})
        elif found[1] != tuple(_comparable(row[f]) for f in fields):
            changes.append({"b_id": found[0], **{f: row[f] for f in fields}})
    if new_rows:
        _bulk_insert(session, table, new_rows)
    if changes:
        statement = update(table).where(table.c.id == bindparam("b_id"))
        session.execute(statement, changes)
    ids = {uri: found[0] for uri, found in existing.items()}
    if new_rows:
        wanted = {r["uri"] for r in new_rows}
        for uri, row_id in session.execute(select(table.c.uri, table.c.id).where(table.c.version_id == version_id)):
            if uri in wanted:
                ids[uri] = row_id
    changed_ids = [c["b_id"] for c in changes] + [ids[r["uri"]] for r in new_rows]
    return len(new_rows), len(changes), ids, changed_ids


def _bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy(session, table, rows)
        return
    for start in range(0, len(rows), CHUNK):
        connection.execute(table.insert(), rows[start : start + CHUNK])


def _copy(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL COPY ... FROM STDIN, on the session's own connection (same transaction)."""
    columns = list(rows[0].keys())
    driver = session.connection().connection.driver_connection
    assert driver is not None
    quoted = ", ".join(f'"{c}"' for c in columns)
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in JSON_FIELDS else row[c] for c in columns])


def _existing_pairs(session: Session, table: Table, columns: tuple[str, str], version_id: int) -> set[tuple[Any, ...]]:
    concepts = _t(Concept)
    query = (
        select(table.c[columns[0]], table.c[columns[1]])
        .join(concepts, concepts.c.id == table.c[columns[0]])
        .where(concepts.c.version_id == version_id)
    )
    return {tuple(row) for row in session.execute(query)}


def _sync_pairs(
    session: Session,
    table: Table,
    columns: tuple[str, str],
    wanted: set[tuple[Any, ...]],
    version_id: int,
    report: ImportReport,
) -> None:
    existing = _existing_pairs(session, table, columns, version_id)
    extra = existing - wanted
    missing = wanted - existing
    if extra:
        statement = delete(table).where(
            table.c[columns[0]] == bindparam("b_0"), table.c[columns[1]] == bindparam("b_1")
        )
        session.execute(statement, [{"b_0": a, "b_1": b} for a, b in extra])
    _bulk_insert(session, table, [{columns[0]: a, columns[1]: b} for a, b in sorted(missing)])
    report.relations_added += len(missing)
    report.relations_removed += len(extra)


def _sync_occupation_skills(
    session: Session, wanted: dict[tuple[int, int], str], version_id: int, report: ImportReport
) -> None:
    table = _t(OccupationSkill)
    occupations = _t(Occupation)
    query = (
        select(table.c.occupation_id, table.c.concept_id, table.c.relation)
        .join(occupations, occupations.c.id == table.c.occupation_id)
        .where(occupations.c.version_id == version_id)
    )
    existing = {(row[0], row[1]): row[2] for row in session.execute(query)}
    extra = [key for key in existing if key not in wanted]
    changed = [(key, rel) for key, rel in wanted.items() if key in existing and existing[key] != rel]
    missing = [
        {"occupation_id": o, "concept_id": c, "relation": rel}
        for (o, c), rel in sorted(wanted.items())
        if (o, c) not in existing
    ]
    where = (table.c.occupation_id == bindparam("b_o"), table.c.concept_id == bindparam("b_c"))
    if extra:
        session.execute(delete(table).where(*where), [{"b_o": o, "b_c": c} for o, c in extra])
    if changed:
        session.execute(
            update(table).where(*where).values(relation=bindparam("b_r")),
            [{"b_o": o, "b_c": c, "b_r": rel} for (o, c), rel in changed],
        )
    _bulk_insert(session, table, missing)
    report.relations_added += len(missing) + len(changed)
    report.relations_removed += len(extra) + len(changed)


def _flag_withdrawn(session: Session, framework_id: int) -> int:
    """Mark older versions' concepts/occupations that a newer version lacks; set the current version."""
    versions = sorted(
        session.scalars(select(FrameworkVersion).where(FrameworkVersion.framework_id == framework_id)),
        key=lambda v: (version_key(v.version), v.id),
    )
    for v in versions:
        v.is_current = v is versions[-1]
    flagged = 0
    for i, older in enumerate(versions):
        for newer in versions[i + 1 :]:
            for table in ("taxonomy_concepts", "taxonomy_occupations"):
                result = session.execute(
                    text(
                        f"UPDATE {table} SET withdrawn_in = :name WHERE version_id = :old AND withdrawn_in IS NULL"
                        f" AND NOT EXISTS (SELECT 1 FROM {table} n WHERE n.version_id = :new AND n.uri = {table}.uri)"
                    ),
                    {"name": newer.version, "old": older.id, "new": newer.id},
                )
                flagged += int(getattr(result, "rowcount", 0) or 0)
    session.flush()
    return flagged
