"""earner ownership (issue 6): extra verified emails, sharing choices, holder nonces, wallet offers and deliveries,
the erasure ledger

Revision ID: 0007_earner_ownership
Revises: 0006_transcripts
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_earner_ownership"
down_revision = "0006_transcripts"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "earner_emails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("earner_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("verified_at", TZ, nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["earner_id"], ["earners.id"], name=op.f("fk_earner_emails_earner_id_earners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_earner_emails")),
        sa.UniqueConstraint("earner_id", "email", name=op.f("uq_earner_emails_earner_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_earner_emails_token_hash")),
    )
    op.create_index(op.f("ix_earner_emails_earner_id"), "earner_emails", ["earner_id"])
    op.create_index(op.f("ix_earner_emails_email"), "earner_emails", ["email"])
    op.create_table(
        "credential_shares",
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("hidden_evidence", sa.JSON(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_credential_shares_award_id_awards"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("award_id", name=op.f("pk_credential_shares")),
    )
    op.create_table(
        "holder_nonces",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("earner_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["earner_id"], ["earners.id"], name=op.f("fk_holder_nonces_earner_id_earners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holder_nonces")),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_holder_nonces_nonce_hash")),
    )
    op.create_index(op.f("ix_holder_nonces_earner_id"), "holder_nonces", ["earner_id"])
    op.create_index(op.f("ix_holder_nonces_expires_at"), "holder_nonces", ["expires_at"])
    op.create_table(
        "wallet_offers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_code_hash", sa.String(length=64), nullable=True),
        sa.Column("tx_code_length", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("redeemed_at", TZ, nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("access_token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_wallet_offers_award_id_awards"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_offers")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_wallet_offers_code_hash")),
        sa.UniqueConstraint("access_token_hash", name=op.f("uq_wallet_offers_access_token_hash")),
    )
    op.create_index(op.f("ix_wallet_offers_award_id"), "wallet_offers", ["award_id"])
    op.create_table(
        "wallet_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("holder_did", sa.String(length=2000), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("delivered_at", TZ, nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_wallet_deliveries_award_id_awards"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_deliveries")),
    )
    op.create_index(op.f("ix_wallet_deliveries_award_id"), "wallet_deliveries", ["award_id"])
    op.create_table(
        "earner_erasures",
        sa.Column("earner_id", sa.Uuid(), nullable=False),
        sa.Column("identity_hash", sa.String(length=100), nullable=False),
        sa.Column("erased_at", TZ, nullable=False),
        sa.Column("awards_kept", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["earner_id"], ["earners.id"], name=op.f("fk_earner_erasures_earner_id_earners"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("earner_id", name=op.f("pk_earner_erasures")),
    )


def downgrade() -> None:
    for table in ("earner_erasures", "wallet_deliveries", "wallet_offers", "holder_nonces", "credential_shares",
                  "earner_emails"):
        op.drop_table(table)
