"""exactly once (issue 12): stored Idempotency-Key responses, and one endorsement per endorsement request

Revision ID: 0010_idempotency
Revises: 0009_show_name
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_idempotency"
down_revision = "0009_show_name"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("endpoint", sa.String(length=300), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("award_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_idempotency_keys_award_id_awards"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("actor", "endpoint", "key", name="uq_idempotency_keys_actor_endpoint_key"),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_keys_award_id"), ["award_id"], unique=False)

    # A request that was signed twice (concurrent answers, before this revision): the earliest endorsement stays
    # linked to it, later ones stay signed and listed but are unlinked, so the index can be unique.
    op.execute(
        "UPDATE endorsements SET request_id = NULL WHERE request_id IS NOT NULL AND id <> "
        "(SELECT e.id FROM endorsements e WHERE e.request_id = endorsements.request_id "
        "ORDER BY e.created_at, e.id LIMIT 1)"
    )
    with op.batch_alter_table("endorsements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_endorsements_request_id"))
        batch_op.create_index(batch_op.f("ix_endorsements_request_id"), ["request_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("endorsements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_endorsements_request_id"))
        batch_op.create_index(batch_op.f("ix_endorsements_request_id"), ["request_id"], unique=False)
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_award_id"))
    op.drop_table("idempotency_keys")
