"""status lists, award status and history, achievement validity, audit log

Revision ID: 0003_status_audit
Revises: 0002_taxonomy
Create Date: 2026-11-29

Bitstring status lists per organisation and purpose with their allocated entries (unique per list and index:
concurrent allocation retries on conflict); award status (active/suspended/revoked) with private status events;
renewal/re-issue links between awards; achievement validity periods; the hash-chained audit log and its head row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_status_audit"
down_revision = "0002_taxonomy"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("achievements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("validity_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("validity_days", sa.Integer(), nullable=True))

    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), server_default="active", nullable=False))
        batch_op.add_column(sa.Column("replaces_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("replaced_by_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("replacement", sa.String(length=16), nullable=True))
        batch_op.create_check_constraint("status", "status IN ('active', 'suspended', 'revoked')")
        batch_op.create_foreign_key(
            batch_op.f("fk_awards_replaces_id_awards"), "awards", ["replaces_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_awards_replaced_by_id_awards"), "awards", ["replaced_by_id"], ["id"], ondelete="SET NULL"
        )

    op.create_table(
        "award_status_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_award_status_events_award_id_awards"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_status_events")),
    )
    with op.batch_alter_table("award_status_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_award_status_events_award_id"), ["award_id"], unique=False)

    op.create_table(
        "status_lists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("signed_version", sa.Integer(), nullable=True),
        sa.Column("signing_key_id", sa.Uuid(), nullable=True),
        sa.Column("credential_json", sa.Text(), nullable=True),
        sa.Column("etag", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("purpose IN ('revocation', 'suspension')", name=op.f("ck_status_lists_purpose")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_status_lists_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_lists")),
        sa.UniqueConstraint("organisation_id", "purpose", "sequence", name="uq_status_lists_sequence"),
    )
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_lists_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "status_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status_list_id", sa.Uuid(), nullable=False),
        sa.Column("list_index", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=True),
        sa.Column("is_set", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_status_entries_award_id_awards"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["status_list_id"],
            ["status_lists.id"],
            name=op.f("fk_status_entries_status_list_id_status_lists"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_entries")),
        sa.UniqueConstraint("award_id", "purpose", name="uq_status_entries_award"),
        sa.UniqueConstraint("status_list_id", "list_index", name="uq_status_entries_index"),
    )
    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_entries_award_id"), ["award_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_status_entries_status_list_id"), ["status_list_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])


def downgrade() -> None:
    op.drop_table("audit_head")
    op.drop_table("audit_log")
    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_entries_status_list_id"))
        batch_op.drop_index(batch_op.f("ix_status_entries_award_id"))
    op.drop_table("status_entries")
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_lists_organisation_id"))
    op.drop_table("status_lists")
    with op.batch_alter_table("award_status_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_award_status_events_award_id"))
    op.drop_table("award_status_events")
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_awards_replaced_by_id_awards"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_awards_replaces_id_awards"), type_="foreignkey")
        batch_op.drop_constraint("status", type_="check")
        batch_op.drop_column("replacement")
        batch_op.drop_column("replaced_by_id")
        batch_op.drop_column("replaces_id")
        batch_op.drop_column("status")
    with op.batch_alter_table("achievements", schema=None) as batch_op:
        batch_op.drop_column("validity_days")
        batch_op.drop_column("validity_months")
