"""accounts (users, roles, sign-in tokens, sign-in attempts) and achievement translations

Revision ID: 0004_accounts
Revises: 0003_status_audit
Create Date: 2026-11-29

Users of the web app: organisation admins, issuer staff, assessors, partner reviewers (each tied to an
organisation) and earners (tied to their earner record). Sign-in tokens are stored as SHA-256 hashes;
sign-in attempts are rows counted over a window, so rate limits hold across processes. Achievement names and
descriptions in a second language live in `achievement_translations`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_accounts"
down_revision = "0003_status_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("earner_id", sa.Uuid(), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('org_admin', 'issuer_staff', 'assessor', 'partner_reviewer', 'earner')",
            name=op.f("ck_users_role"),
        ),
        sa.ForeignKeyConstraint(
            ["earner_id"], ["earners.id"], name=op.f("fk_users_earner_id_earners"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_users_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index(op.f("ix_users_earner_id"), "users", ["earner_id"], unique=False)
    op.create_index(op.f("ix_users_organisation_id"), "users", ["organisation_id"], unique=False)

    op.create_table(
        "sign_in_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sign_in_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_tokens_token_hash")),
    )
    op.create_index(op.f("ix_sign_in_tokens_user_id"), "sign_in_tokens", ["user_id"], unique=False)

    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bucket", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_attempts")),
    )
    op.create_index(op.f("ix_sign_in_attempts_bucket"), "sign_in_attempts", ["bucket"], unique=False)
    op.create_index(op.f("ix_sign_in_attempts_created_at"), "sign_in_attempts", ["created_at"], unique=False)

    op.create_table(
        "achievement_translations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_achievement_translations_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievement_translations")),
        sa.UniqueConstraint("achievement_id", "language", name=op.f("uq_achievement_translations_language")),
    )
    op.create_index(
        op.f("ix_achievement_translations_achievement_id"), "achievement_translations", ["achievement_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_achievement_translations_achievement_id"), table_name="achievement_translations")
    op.drop_table("achievement_translations")
    op.drop_index(op.f("ix_sign_in_attempts_created_at"), table_name="sign_in_attempts")
    op.drop_index(op.f("ix_sign_in_attempts_bucket"), table_name="sign_in_attempts")
    op.drop_table("sign_in_attempts")
    op.drop_index(op.f("ix_sign_in_tokens_user_id"), table_name="sign_in_tokens")
    op.drop_table("sign_in_tokens")
    op.drop_index(op.f("ix_users_organisation_id"), table_name="users")
    op.drop_index(op.f("ix_users_earner_id"), table_name="users")
    op.drop_table("users")
