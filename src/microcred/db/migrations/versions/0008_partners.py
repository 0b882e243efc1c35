"""partners (issue 7): partner organisations, relevance policies, labour-market codes of achievements,
endorsement requests, signed endorsements, relevance reviews and reminders

Revision ID: 0008_partners
Revises: 0007_earner_ownership
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_partners"
down_revision = "0007_earner_ownership"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("partner_type", sa.String(length=32), nullable=False),
        sa.Column("sector", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "partner_type IN ('employer', 'industry', 'professional_body')", name=op.f("ck_partners_partner_type")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_partners_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_partners")),
    )
    op.create_table(
        "relevance_policies",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("require_endorsement", sa.Boolean(), nullable=False),
        sa.Column("review_months", sa.Integer(), nullable=False),
        sa.Column("reminder_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("reminder_days BETWEEN 1 AND 365", name=op.f("ck_relevance_policies_reminder_days")),
        sa.CheckConstraint("review_months BETWEEN 1 AND 60", name=op.f("ck_relevance_policies_review_months")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_relevance_policies_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_relevance_policies")),
    )
    op.create_table(
        "achievement_labour_market_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=500), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "scheme IN ('esco_occupation', 'noc_2021', 'cip_2021')",
            name=op.f("ck_achievement_labour_market_codes_scheme"),
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_achievement_labour_market_codes_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievement_labour_market_codes")),
        sa.UniqueConstraint("achievement_id", "scheme", "code", name="uq_achievement_labour_market_codes_code"),
    )
    with op.batch_alter_table("achievement_labour_market_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_achievement_labour_market_codes_achievement_id"), ["achievement_id"], unique=False
        )

    op.create_table(
        "endorsement_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reviewer_id", sa.Uuid(), nullable=True),
        sa.Column("in_demand", sa.Boolean(), nullable=True),
        sa.Column("in_demand_rationale", sa.Text(), nullable=True),
        sa.Column("reflects_job_performance", sa.Boolean(), nullable=True),
        sa.Column("job_performance_comment", sa.Text(), nullable=True),
        sa.Column("endorsement_comment", sa.Text(), nullable=True),
        sa.Column("reviewer_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'changes_requested', 'declined', 'endorsed')",
            name=op.f("ck_endorsement_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_endorsement_requests_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["organisations.id"],
            name=op.f("fk_endorsement_requests_partner_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_endorsement_requests_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_endorsement_requests_reviewer_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endorsement_requests")),
    )
    with op.batch_alter_table("endorsement_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_endorsement_requests_achievement_id"), ["achievement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_endorsement_requests_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "relevance_reminders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("due_on", sa.String(length=10), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_relevance_reminders_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relevance_reminders")),
        sa.UniqueConstraint("achievement_id", "due_on", name="uq_relevance_reminders_due"),
    )
    with op.batch_alter_table("relevance_reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relevance_reminders_achievement_id"), ["achievement_id"], unique=False)

    op.create_table(
        "relevance_reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_relevance_reviews_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relevance_reviews")),
    )
    with op.batch_alter_table("relevance_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relevance_reviews_achievement_id"), ["achievement_id"], unique=False)

    op.create_table(
        "endorsements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("signing_key_id", sa.Uuid(), nullable=False),
        sa.Column("status_entry_id", sa.Uuid(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("in_demand", sa.Boolean(), nullable=False),
        sa.Column("reflects_job_performance", sa.Boolean(), nullable=False),
        sa.Column("credential_json", sa.Text(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_endorsements_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["organisations.id"],
            name=op.f("fk_endorsements_partner_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["endorsement_requests.id"],
            name=op.f("fk_endorsements_request_id_endorsement_requests"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["status_entry_id"],
            ["status_entries.id"],
            name=op.f("fk_endorsements_status_entry_id_status_entries"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endorsements")),
    )
    with op.batch_alter_table("endorsements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_endorsements_achievement_id"), ["achievement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_endorsements_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_endorsements_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("endorsements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_endorsements_request_id"))
        batch_op.drop_index(batch_op.f("ix_endorsements_partner_id"))
        batch_op.drop_index(batch_op.f("ix_endorsements_achievement_id"))

    op.drop_table("endorsements")
    with op.batch_alter_table("relevance_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relevance_reviews_achievement_id"))

    op.drop_table("relevance_reviews")
    with op.batch_alter_table("relevance_reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relevance_reminders_achievement_id"))

    op.drop_table("relevance_reminders")
    with op.batch_alter_table("endorsement_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_endorsement_requests_partner_id"))
        batch_op.drop_index(batch_op.f("ix_endorsement_requests_achievement_id"))

    op.drop_table("endorsement_requests")
    with op.batch_alter_table("achievement_labour_market_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_achievement_labour_market_codes_achievement_id"))

    op.drop_table("achievement_labour_market_codes")
    op.drop_table("relevance_policies")
    op.drop_table("partners")
