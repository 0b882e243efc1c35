"""bulk issuance (issue 15): award batches and their rows (dry-run verdict, state, award)

Revision ID: 0011_award_batches
Revises: 0010_idempotency
Create Date: 2026-12-16
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_award_batches"
down_revision = "0010_idempotency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "award_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("refused_count", sa.Integer(), nullable=False),
        sa.Column("issued_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('draft', 'dry-run-ok', 'queued', 'running', 'finished', 'cancelled')",
            name=op.f("ck_award_batches_state"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_award_batches_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_batches")),
    )
    with op.batch_alter_table("award_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_award_batches_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "award_batch_rows",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("row_key", sa.String(length=64), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'issued', 'refused', 'failed')", name=op.f("ck_award_batch_rows_state")
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_award_batch_rows_achievement_id_achievements"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_award_batch_rows_award_id_awards"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["award_batches.id"],
            name=op.f("fk_award_batch_rows_batch_id_award_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_batch_rows")),
        sa.UniqueConstraint("row_key", name=op.f("uq_award_batch_rows_row_key")),
    )
    with op.batch_alter_table("award_batch_rows", schema=None) as batch_op:
        batch_op.create_index("ix_award_batch_rows_claim", ["batch_id", "state", "row_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_award_batch_rows_dedupe_key"), ["dedupe_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_award_batch_rows_achievement_id"), ["achievement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_award_batch_rows_award_id"), ["award_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("award_batch_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_award_batch_rows_award_id"))
        batch_op.drop_index(batch_op.f("ix_award_batch_rows_achievement_id"))
        batch_op.drop_index(batch_op.f("ix_award_batch_rows_dedupe_key"))
        batch_op.drop_index("ix_award_batch_rows_claim")
    op.drop_table("award_batch_rows")
    with op.batch_alter_table("award_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_award_batches_organisation_id"))
    op.drop_table("award_batches")
