"""Idempotency-Key expiry: keys are kept 24 hours, then purged (an index on created_at finds the expired ones)

Revision ID: 0014_idempotency_expiry
Revises: 0013_batch_mails
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0014_idempotency_expiry"
down_revision = "0013_batch_mails"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
