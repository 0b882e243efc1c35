"""Competency frameworks (ESCO, CASE, CSV): versions, concepts, hierarchy, collections, occupations.

One row per concept *per framework version*: a later version is imported beside an earlier one, and a concept
that the later version no longer holds keeps its row, flagged with `withdrawn_in` (alignments in issued
credentials may point at it: concepts are never deleted).

`kind` is what search filters on (knowledge | skill | transversal, or group for skill groups, other for
frameworks that don't say); `ksa` is our knowledge / skill / attitude reading of the concept (see
shared/esco/NOTES.md): knowledge = ESCO skillType knowledge, attitude = transversal concepts under T3, T4.5 or
T6, skill = the other skill/competence concepts. ESCO's own skillType and reuseLevel are kept as they are.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from microcred.db.base import Base, UTCDateTime, utcnow, value_in
from microcred.vc.outcomes import OUTCOME_KINDS


class ConceptKind(StrEnum):
    """What a concept is, as search filters on it: knowledge, skill, transversal, a skill group, or other
    (frameworks that don't say)."""

    KNOWLEDGE = "knowledge"
    SKILL = "skill"
    TRANSVERSAL = "transversal"
    GROUP = "group"
    OTHER = "other"


class RelationType(StrEnum):
    """How an occupation needs a skill (ESCO's occupation-skill relations)."""

    ESSENTIAL = "essential"
    OPTIONAL = "optional"


CONCEPT_KINDS: tuple[str, ...] = tuple(kind.value for kind in ConceptKind)
KSA_KINDS = OUTCOME_KINDS  # a concept's knowledge / skill / attitude reading: the outcome kinds
RELATION_TYPES: tuple[str, ...] = tuple(relation.value for relation in RelationType)


class SearchVector(TypeDecorator[Any]):
    """PostgreSQL `tsvector`; plain (always NULL) text elsewhere: SQLite searches through its FTS5 table."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TSVECTOR())
        return dialect.type_descriptor(Text())


class Framework(Base):
    __tablename__ = "taxonomy_frameworks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)  # "esco", or a CASE/CSV name
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    source_format: Mapped[str] = mapped_column(String(16), nullable=False)  # esco | case | csv
    publisher: Mapped[str | None] = mapped_column(String(300))
    licence: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))


class FrameworkVersion(Base):
    __tablename__ = "taxonomy_framework_versions"
    __table_args__ = (UniqueConstraint("framework_id", "version", name="uq_taxonomy_framework_versions_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    framework_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("taxonomy_frameworks.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    version: Mapped[str] = mapped_column(String(64), nullable=False)
    is_current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    source: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    concept_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    occupation_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Concept(Base):
    __tablename__ = "taxonomy_concepts"
    __table_args__ = (
        UniqueConstraint("version_id", "uri", name="uq_taxonomy_concepts_version_uri"),
        CheckConstraint(value_in("kind", CONCEPT_KINDS), name="kind"),
        CheckConstraint(f"ksa IS NULL OR {value_in('ksa', KSA_KINDS)}", name="ksa"),
        Index("ix_taxonomy_concepts_search_vector", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("taxonomy_framework_versions.id", ondelete="RESTRICT"), nullable=False
    )
    uri: Mapped[str] = mapped_column(String(500), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    ksa: Mapped[str | None] = mapped_column(String(16))
    skill_type: Mapped[str | None] = mapped_column(String(32))  # ESCO: knowledge | skill/competence
    reuse_level: Mapped[str | None] = mapped_column(String(32))  # ESCO: transversal | cross-sector | ...
    preferred_label: Mapped[str] = mapped_column(String(500), nullable=False)
    alt_labels: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    hidden_labels: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(64))  # skill-group code (S1.2, T3 ...), CASE humanCodingScheme
    pillars: Mapped[str | None] = mapped_column(String(16))  # ESCO top-level groups reached: "S", "S T", "K" ...
    status: Mapped[str | None] = mapped_column(String(32))  # the framework's own status ("released")
    withdrawn_in: Mapped[str | None] = mapped_column(String(64))  # first later version without this concept
    search_vector: Mapped[Any] = mapped_column(SearchVector, nullable=True)

    def __repr__(self) -> str:
        return f"Concept(uri={self.uri!r}, label={self.preferred_label!r}, kind={self.kind!r})"


class BroaderRelation(Base):
    """`concept_id` is narrower than `broader_id` (ESCO is a polyhierarchy: several broader per concept)."""

    __tablename__ = "taxonomy_broader"

    concept_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("taxonomy_concepts.id", ondelete="CASCADE"), primary_key=True
    )
    broader_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("taxonomy_concepts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CollectionMember(Base):
    """Membership of ESCO's skill collections: transversal, digital, digComp, green, language, research."""

    __tablename__ = "taxonomy_collection_members"

    concept_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("taxonomy_concepts.id", ondelete="CASCADE"), primary_key=True
    )
    collection: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class Occupation(Base):
    __tablename__ = "taxonomy_occupations"
    __table_args__ = (UniqueConstraint("version_id", "uri", name="uq_taxonomy_occupations_version_uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("taxonomy_framework_versions.id", ondelete="RESTRICT"), nullable=False
    )
    uri: Mapped[str] = mapped_column(String(500), nullable=False, index=True)
    preferred_label: Mapped[str] = mapped_column(String(500), nullable=False)
    alt_labels: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    isco_code: Mapped[str | None] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(32))
    withdrawn_in: Mapped[str | None] = mapped_column(String(64))


class OccupationSkill(Base):
    __tablename__ = "taxonomy_occupation_skills"
    __table_args__ = (CheckConstraint(value_in("relation", RELATION_TYPES), name="relation"),)

    occupation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("taxonomy_occupations.id", ondelete="CASCADE"), primary_key=True
    )
    concept_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("taxonomy_concepts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    relation: Mapped[str] = mapped_column(String(16), nullable=False)
