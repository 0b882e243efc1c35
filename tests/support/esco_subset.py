"""A small slice of the shipped ESCO v1.1.1 (real URIs, labels, descriptions and skill groups), imported in a
second or so instead of the whole classification: the concepts whose labels name kitchen hygiene, food safety,
detail or knives, the skill groups (so each keeps its broader groups), no occupations."""

from __future__ import annotations

from functools import cache

from sqlalchemy.orm import Session

from microcred.taxonomy.esco import read_esco
from microcred.taxonomy.loader import store_framework
from microcred.taxonomy.records import ConceptRecord, FrameworkData

WORDS = ("hygiene", "food safety", "detail", "knife", "knives", "cutting", "sanitation", "temperature")


@cache
def esco_subset() -> FrameworkData:
    full = read_esco()

    def kept(concept: ConceptRecord) -> bool:
        labels = " ".join([concept.preferred_label, *concept.alt_labels]).lower()
        return concept.kind == "group" or any(word in labels for word in WORDS)

    concepts = [c for c in full.concepts if kept(c)]
    uris = {c.uri for c in concepts}
    return FrameworkData(
        key=full.key,
        name=full.name,
        source_format=full.source_format,
        version=full.version,
        publisher=full.publisher,
        licence=full.licence,
        url=full.url,
        source=full.source,
        concepts=concepts,
        broader=[(a, b) for a, b in full.broader if a in uris and b in uris],
        collections=[(uri, name) for uri, name in full.collections if uri in uris],
    )


def import_esco_subset(session: Session) -> None:
    """Import the slice into ``session``'s database (the caller commits); harmless twice."""
    store_framework(session, esco_subset())


def import_esco_subset_into(db_url: str) -> None:
    """The slice imported into the database at ``db_url`` (a browser test's server), committed."""
    from microcred import db

    engine = db.make_engine(db_url)
    try:
        with db.session_scope(db.session_factory(engine)) as session:
            import_esco_subset(session)
    finally:
        engine.dispose()
