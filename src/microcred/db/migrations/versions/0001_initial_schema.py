"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Organisations + signing keys (issuers), achievements + learning outcomes + alignments (catalog), earners,
awards + evidence items. Portable: SQLite (batch mode for ALTERs) and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "earners",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("did", sa.String(length=2000), nullable=True),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_earners")),
        sa.UniqueConstraint("email", name=op.f("uq_earners_email")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("legal_name", sa.String(length=300), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("registration_id", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('institution', 'employer', 'agency', 'professional_body')", name=op.f("ck_organisations_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
    )
    op.create_table(
        "achievements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("criteria_narrative", sa.Text(), nullable=False),
        sa.Column("criteria_url", sa.String(length=2000), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("achievement_type", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("workload_hours", sa.Float(), nullable=False),
        sa.Column("credits", sa.Float(), nullable=True),
        sa.Column("level", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'published')", name=op.f("ck_achievements_status")),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["organisations.id"],
            name=op.f("fk_achievements_issuer_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievements")),
    )
    with op.batch_alter_table("achievements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_achievements_issuer_id"), ["issuer_id"], unique=False)

    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("public_key_multibase", sa.String(length=100), nullable=False),
        sa.Column("encrypted_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("compromised_since", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('active', 'retired', 'compromised')", name=op.f("ck_signing_keys_status")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_signing_keys_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
        sa.UniqueConstraint("public_key_multibase", name=op.f("uq_signing_keys_public_key_multibase")),
    )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signing_keys_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "awards",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("earner_id", sa.Uuid(), nullable=False),
        sa.Column("signing_key_id", sa.Uuid(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("credential_json", sa.Text(), nullable=False),
        sa.Column("credential_jwt", sa.Text(), nullable=True),
        sa.CheckConstraint("format IN ('di', 'jwt')", name=op.f("ck_awards_format")),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_awards_achievement_id_achievements"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["earner_id"], ["earners.id"], name=op.f("fk_awards_earner_id_earners"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["signing_key_id"],
            ["signing_keys.id"],
            name=op.f("fk_awards_signing_key_id_signing_keys"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_awards")),
    )
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_awards_achievement_id"), ["achievement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_awards_earner_id"), ["earner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_awards_signing_key_id"), ["signing_key_id"], unique=False)

    op.create_table(
        "learning_outcomes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('knowledge', 'skill', 'attitude')", name=op.f("ck_learning_outcomes_kind")),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_learning_outcomes_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_outcomes")),
        sa.UniqueConstraint("achievement_id", "position", name="uq_learning_outcomes_position"),
    )
    with op.batch_alter_table("learning_outcomes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_learning_outcomes_achievement_id"), ["achievement_id"], unique=False)

    op.create_table(
        "alignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("outcome_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("target_url", sa.String(length=2000), nullable=False),
        sa.Column("target_name", sa.String(length=500), nullable=False),
        sa.Column("target_framework", sa.String(length=200), nullable=False),
        sa.Column("target_code", sa.String(length=200), nullable=True),
        sa.Column("target_type", sa.String(length=64), nullable=True),
        sa.Column("target_description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["learning_outcomes.id"],
            name=op.f("fk_alignments_outcome_id_learning_outcomes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alignments")),
    )
    with op.batch_alter_table("alignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alignments_outcome_id"), ["outcome_id"], unique=False)

    op.create_table(
        "evidence_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("narrative", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("genre", sa.String(length=100), nullable=True),
        sa.Column("audience", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_evidence_items_award_id_awards"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_items")),
    )
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_items_award_id"), ["award_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_items_award_id"))

    op.drop_table("evidence_items")
    with op.batch_alter_table("alignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alignments_outcome_id"))

    op.drop_table("alignments")
    with op.batch_alter_table("learning_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learning_outcomes_achievement_id"))

    op.drop_table("learning_outcomes")
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_awards_signing_key_id"))
        batch_op.drop_index(batch_op.f("ix_awards_earner_id"))
        batch_op.drop_index(batch_op.f("ix_awards_achievement_id"))

    op.drop_table("awards")
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_keys_organisation_id"))

    op.drop_table("signing_keys")
    with op.batch_alter_table("achievements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_achievements_issuer_id"))

    op.drop_table("achievements")
    op.drop_table("organisations")
    op.drop_table("earners")
