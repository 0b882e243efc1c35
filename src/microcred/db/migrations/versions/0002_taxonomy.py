"""taxonomy: competency frameworks (ESCO, CASE, CSV), versions, concepts, hierarchy, occupations

Revision ID: 0002_taxonomy
Revises: 0001
Create Date: 2026-11-29

`taxonomy_concepts.search_vector` is a `tsvector` (GIN index) on PostgreSQL and an unused text column on SQLite,
where full-text search goes through the FTS5 table `taxonomy_concepts_fts`. That table is a derived index that
the importer (re)builds inside its own transaction (microcred.taxonomy.search), so it is not created here; the
downgrade drops it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_taxonomy"
down_revision = "0001"
branch_labels = None
depends_on = None


def _search_vector_type() -> sa.types.TypeEngine[Any]:
    if op.get_bind().dialect.name == "postgresql":
        return postgresql.TSVECTOR()
    return sa.Text()


def upgrade() -> None:
    op.create_table(
        "taxonomy_frameworks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("source_format", sa.String(length=16), nullable=False),
        sa.Column("publisher", sa.String(length=300), nullable=True),
        sa.Column("licence", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomy_frameworks")),
        sa.UniqueConstraint("key", name=op.f("uq_taxonomy_frameworks_key")),
    )
    op.create_table(
        "taxonomy_framework_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("concept_count", sa.Integer(), nullable=False),
        sa.Column("occupation_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["taxonomy_frameworks.id"],
            name=op.f("fk_taxonomy_framework_versions_framework_id_taxonomy_frameworks"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomy_framework_versions")),
        sa.UniqueConstraint("framework_id", "version", name="uq_taxonomy_framework_versions_version"),
    )
    with op.batch_alter_table("taxonomy_framework_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_taxonomy_framework_versions_framework_id"), ["framework_id"], unique=False)

    op.create_table(
        "taxonomy_concepts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ksa", sa.String(length=16), nullable=True),
        sa.Column("skill_type", sa.String(length=32), nullable=True),
        sa.Column("reuse_level", sa.String(length=32), nullable=True),
        sa.Column("preferred_label", sa.String(length=500), nullable=False),
        sa.Column("alt_labels", sa.JSON(), nullable=False),
        sa.Column("hidden_labels", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("pillars", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("withdrawn_in", sa.String(length=64), nullable=True),
        sa.Column("search_vector", _search_vector_type(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('knowledge', 'skill', 'transversal', 'group', 'other')", name=op.f("ck_taxonomy_concepts_kind")
        ),
        sa.CheckConstraint(
            "ksa IS NULL OR ksa IN ('knowledge', 'skill', 'attitude')", name=op.f("ck_taxonomy_concepts_ksa")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["taxonomy_framework_versions.id"],
            name=op.f("fk_taxonomy_concepts_version_id_taxonomy_framework_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomy_concepts")),
        sa.UniqueConstraint("version_id", "uri", name="uq_taxonomy_concepts_version_uri"),
    )
    with op.batch_alter_table("taxonomy_concepts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_taxonomy_concepts_search_vector", ["search_vector"], unique=False, postgresql_using="gin"
        )
        batch_op.create_index(batch_op.f("ix_taxonomy_concepts_uri"), ["uri"], unique=False)

    op.create_table(
        "taxonomy_occupations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=500), nullable=False),
        sa.Column("preferred_label", sa.String(length=500), nullable=False),
        sa.Column("alt_labels", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("isco_code", sa.String(length=16), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("withdrawn_in", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["taxonomy_framework_versions.id"],
            name=op.f("fk_taxonomy_occupations_version_id_taxonomy_framework_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomy_occupations")),
        sa.UniqueConstraint("version_id", "uri", name="uq_taxonomy_occupations_version_uri"),
    )
    with op.batch_alter_table("taxonomy_occupations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_taxonomy_occupations_uri"), ["uri"], unique=False)

    op.create_table(
        "taxonomy_broader",
        sa.Column("concept_id", sa.Integer(), nullable=False),
        sa.Column("broader_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["broader_id"],
            ["taxonomy_concepts.id"],
            name=op.f("fk_taxonomy_broader_broader_id_taxonomy_concepts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["concept_id"],
            ["taxonomy_concepts.id"],
            name=op.f("fk_taxonomy_broader_concept_id_taxonomy_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("concept_id", "broader_id", name=op.f("pk_taxonomy_broader")),
    )
    with op.batch_alter_table("taxonomy_broader", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_taxonomy_broader_broader_id"), ["broader_id"], unique=False)

    op.create_table(
        "taxonomy_collection_members",
        sa.Column("concept_id", sa.Integer(), nullable=False),
        sa.Column("collection", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["concept_id"],
            ["taxonomy_concepts.id"],
            name=op.f("fk_taxonomy_collection_members_concept_id_taxonomy_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("concept_id", "collection", name=op.f("pk_taxonomy_collection_members")),
    )
    with op.batch_alter_table("taxonomy_collection_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_taxonomy_collection_members_collection"), ["collection"], unique=False)

    op.create_table(
        "taxonomy_occupation_skills",
        sa.Column("occupation_id", sa.Integer(), nullable=False),
        sa.Column("concept_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "relation IN ('essential', 'optional')", name=op.f("ck_taxonomy_occupation_skills_relation")
        ),
        sa.ForeignKeyConstraint(
            ["concept_id"],
            ["taxonomy_concepts.id"],
            name=op.f("fk_taxonomy_occupation_skills_concept_id_taxonomy_concepts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["occupation_id"],
            ["taxonomy_occupations.id"],
            name=op.f("fk_taxonomy_occupation_skills_occupation_id_taxonomy_occupations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("occupation_id", "concept_id", name=op.f("pk_taxonomy_occupation_skills")),
    )
    with op.batch_alter_table("taxonomy_occupation_skills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_taxonomy_occupation_skills_concept_id"), ["concept_id"], unique=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS taxonomy_concepts_fts")
    with op.batch_alter_table("taxonomy_occupation_skills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taxonomy_occupation_skills_concept_id"))

    op.drop_table("taxonomy_occupation_skills")
    with op.batch_alter_table("taxonomy_collection_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taxonomy_collection_members_collection"))

    op.drop_table("taxonomy_collection_members")
    with op.batch_alter_table("taxonomy_broader", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taxonomy_broader_broader_id"))

    op.drop_table("taxonomy_broader")
    with op.batch_alter_table("taxonomy_occupations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taxonomy_occupations_uri"))

    op.drop_table("taxonomy_occupations")
    with op.batch_alter_table("taxonomy_concepts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taxonomy_concepts_uri"))
        batch_op.drop_index("ix_taxonomy_concepts_search_vector", postgresql_using="gin")

    op.drop_table("taxonomy_concepts")
    with op.batch_alter_table("taxonomy_framework_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taxonomy_framework_versions_framework_id"))

    op.drop_table("taxonomy_framework_versions")
    op.drop_table("taxonomy_frameworks")
