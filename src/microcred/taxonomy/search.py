"""Full-text index and queries over concept labels: SQLite FTS5, PostgreSQL `tsvector` + GIN.

Both index the preferred label (highest weight), the alt labels and the description (lowest weight), stemmed
(FTS5 `porter`, PostgreSQL `english`). Label search looks at the two label fields only; suggestion at all three.
Only the current version of each framework is searched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

FTS_TABLE = "taxonomy_concepts_fts"
ID_CHUNK = 500

# English function words: dropped from queries on both databases (PostgreSQL's `english` drops them anyway).
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves etc e g eg ie i e""".split()  # noqa: SIM905
)


def terms(query: str, *, extra_stopwords: frozenset[str] = frozenset()) -> list[str]:
    """Lower-case words of `query`, function words dropped (all of them kept if nothing else is left)."""
    words = re.findall(r"[^\W_]+", query.lower())
    kept = [w for w in words if w not in STOPWORDS and w not in extra_stopwords]
    if not kept:
        kept = [w for w in words if w not in extra_stopwords] or words
    unique: list[str] = []
    for word in kept:
        if word not in unique:
            unique.append(word)
    return unique[:32]


@dataclass(frozen=True)
class Filters:
    kinds: Sequence[str] | None = None  # concept kinds (knowledge, skill, transversal, group, other)
    ksa: Sequence[str] | None = None  # knowledge / skill / attitude
    reuse_level: str | None = None
    framework: str | None = None  # framework key ("esco")
    include_groups: bool = False


def _is_postgres(session: Session) -> bool:
    return session.connection().dialect.name == "postgresql"


def index_concepts(session: Session, version_id: int, concept_ids: Sequence[int] | None = None) -> None:
    """(Re)index one version's concepts, or only `concept_ids` of it."""
    if concept_ids is not None and not concept_ids:
        return
    if _is_postgres(session):
        _index_postgres(session, version_id, concept_ids)
    else:
        _index_sqlite(session, version_id, concept_ids)


def _id_chunks(concept_ids: Sequence[int] | None) -> list[str]:
    if concept_ids is None:
        return [""]
    ids = sorted(int(i) for i in concept_ids)
    return [
        " AND c.id IN (" + ", ".join(str(i) for i in ids[s : s + ID_CHUNK]) + ")" for s in range(0, len(ids), ID_CHUNK)
    ]


def _index_postgres(session: Session, version_id: int, concept_ids: Sequence[int] | None) -> None:
    for restrict in _id_chunks(concept_ids):
        session.execute(
            text(
                "UPDATE taxonomy_concepts c SET search_vector ="
                " setweight(to_tsvector('english', c.preferred_label), 'A')"
                " || setweight(to_tsvector('english', coalesce((SELECT string_agg(value, ' ; ')"
                "    FROM json_array_elements_text(c.alt_labels) AS value), '')), 'B')"
                " || setweight(to_tsvector('english', coalesce(c.description, '')), 'D')"
                f" WHERE c.version_id = :v{restrict}"
            ),
            {"v": version_id},
        )


def ensure_sqlite_index(session: Session) -> None:
    session.execute(
        text(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "preferred_label, alt_labels, description, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    )


def _index_sqlite(session: Session, version_id: int, concept_ids: Sequence[int] | None) -> None:
    ensure_sqlite_index(session)
    for restrict in _id_chunks(concept_ids):
        session.execute(
            text(
                f"DELETE FROM {FTS_TABLE} WHERE rowid IN"
                f" (SELECT c.id FROM taxonomy_concepts c WHERE c.version_id = :v{restrict})"
            ),
            {"v": version_id},
        )
        session.execute(
            text(
                f"INSERT INTO {FTS_TABLE} (rowid, preferred_label, alt_labels, description)"
                " SELECT c.id, c.preferred_label,"
                " coalesce((SELECT group_concat(value, ' ; ') FROM json_each(c.alt_labels)), ''),"
                " coalesce(c.description, '')"
                f" FROM taxonomy_concepts c WHERE c.version_id = :v{restrict}"
            ),
            {"v": version_id},
        )


def _sqlite_has_index(session: Session) -> bool:
    found = session.execute(text("SELECT 1 FROM sqlite_master WHERE name = :n"), {"n": FTS_TABLE}).first()
    return found is not None


def _filter_sql(filters: Filters, params: dict[str, Any]) -> str:
    clauses = ["v.is_current"]
    if filters.kinds:
        names = []
        for i, kind in enumerate(filters.kinds):
            params[f"kind{i}"] = kind
            names.append(f":kind{i}")
        clauses.append(f"c.kind IN ({', '.join(names)})")
    elif not filters.include_groups:
        clauses.append("c.kind <> 'group'")
    if filters.ksa:
        names = []
        for i, ksa in enumerate(filters.ksa):
            params[f"ksa{i}"] = ksa
            names.append(f":ksa{i}")
        clauses.append(f"c.ksa IN ({', '.join(names)})")
    if filters.reuse_level:
        params["reuse"] = filters.reuse_level
        clauses.append("c.reuse_level = :reuse")
    if filters.framework:
        params["framework"] = filters.framework
        clauses.append("f.key = :framework")
    return " AND ".join(clauses)


def query_ids(
    session: Session,
    words: Sequence[str],
    *,
    filters: Filters,
    match_all: bool,
    labels_only: bool,
    prefix_last: bool,
    limit: int,
) -> list[tuple[int, float]]:
    """(concept id, score: higher is better) for the current versions, best first."""
    if not words:
        return []
    params: dict[str, Any] = {"limit": limit}
    where = _filter_sql(filters, params)
    joins = (
        "JOIN taxonomy_framework_versions v ON v.id = c.version_id JOIN taxonomy_frameworks f ON f.id = v.framework_id"
    )
    if _is_postgres(session):
        suffix = ":AB" if labels_only else ""
        parts = [f"{w}{suffix}" for w in words]
        if prefix_last:
            parts[-1] = f"{words[-1]}:*{'AB' if labels_only else ''}"
        params["q"] = (" & " if match_all else " | ").join(parts)
        weights = "'{0, 0, 0.4, 1.0}'" if labels_only else "'{0.1, 0.2, 0.4, 1.0}'"
        sql = (
            f"SELECT c.id, ts_rank({weights}, c.search_vector, q) AS score FROM taxonomy_concepts c {joins},"
            f" to_tsquery('english', :q) q WHERE c.search_vector @@ q AND {where}"
            " ORDER BY score DESC, c.id LIMIT :limit"
        )
        return [(row[0], float(row[1])) for row in session.execute(text(sql), params)]
    if not _sqlite_has_index(session):
        return []
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if prefix_last:
        quoted[-1] += "*"
    expression = (" AND " if match_all else " OR ").join(quoted)
    if labels_only:
        expression = f"{{preferred_label alt_labels}} : ({expression})"
    params["q"] = expression
    sql = (
        f"SELECT c.id, bm25({FTS_TABLE}, 10.0, 4.0, 1.0) AS score FROM {FTS_TABLE}"
        f" JOIN taxonomy_concepts c ON c.id = {FTS_TABLE}.rowid {joins}"
        f" WHERE {FTS_TABLE} MATCH :q AND {where} ORDER BY score, c.id LIMIT :limit"
    )
    return [(row[0], -float(row[1])) for row in session.execute(text(sql), params)]
