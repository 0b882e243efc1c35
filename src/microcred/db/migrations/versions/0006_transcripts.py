"""transcripts (issue 8): transcript records of achievements and awards, prerequisites, pathways, external credentials

Revision ID: 0006_transcripts
Revises: 0005_assessments
Create Date: 2026-11-30

Per achievement: course code, credit unit, EQF / national level, the EU mandatory elements (form of participation,
quality assurance type and reference, awarding body and country) and the grading scheme; prerequisite links; per
award: credits earned, term, activity dates, final result, route (course or RPL). Pathways (all-of / N-of-M, minimum
credits, ordering, auto or approval) with their components and one completion per earner; verified third-party
credentials in earners' backpacks.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_transcripts"
down_revision = "0005_assessments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("earner_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.String(length=2000), nullable=True),
        sa.Column("achievement_id", sa.String(length=2000), nullable=True),
        sa.Column("achievement_name", sa.String(length=300), nullable=False),
        sa.Column("issuer_id", sa.String(length=2000), nullable=False),
        sa.Column("issuer_name", sa.String(length=300), nullable=False),
        sa.Column("alignment_urls", sa.JSON(), nullable=False),
        sa.Column("credits", sa.Float(), nullable=True),
        sa.Column("issued_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("credential_json", sa.Text(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["earner_id"], ["earners.id"], name=op.f("fk_external_credentials_earner_id_earners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_credentials")),
    )
    with op.batch_alter_table("external_credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_external_credentials_earner_id"), ["earner_id"], unique=False)

    op.create_table(
        "achievement_prerequisites",
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("required_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_achievement_prerequisites_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["required_id"],
            ["achievements.id"],
            name=op.f("fk_achievement_prerequisites_required_id_achievements"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("achievement_id", "required_id", name=op.f("pk_achievement_prerequisites")),
    )
    with op.batch_alter_table("achievement_prerequisites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_achievement_prerequisites_required_id"), ["required_id"], unique=False)

    op.create_table(
        "achievement_records",
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("human_code", sa.String(length=64), nullable=True),
        sa.Column("credit_unit", sa.String(length=32), nullable=True),
        sa.Column("eqf_level", sa.Integer(), nullable=True),
        sa.Column("qualification_framework", sa.String(length=200), nullable=True),
        sa.Column("qualification_level", sa.String(length=200), nullable=True),
        sa.Column("form_of_participation", sa.String(length=16), nullable=True),
        sa.Column("quality_assurance_type", sa.String(length=32), nullable=True),
        sa.Column("quality_assurance_reference", sa.String(length=2000), nullable=True),
        sa.Column("awarding_body", sa.String(length=300), nullable=True),
        sa.Column("awarding_country", sa.String(length=2), nullable=True),
        sa.Column("grading_scheme", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "credit_unit IS NULL OR credit_unit IN ('Semester', 'Quarter', 'ClockHours', "
            "'ContinuingEducationUnits', 'ECTS', 'NoCredit')",
            name=op.f("ck_achievement_records_credit_unit"),
        ),
        sa.CheckConstraint(
            "form_of_participation IS NULL OR form_of_participation IN ('online', 'onsite', 'blended')",
            name=op.f("ck_achievement_records_form_of_participation"),
        ),
        sa.CheckConstraint(
            "grading_scheme IS NULL OR grading_scheme IN ('pass_fail', 'letter_grade', 'percent')",
            name=op.f("ck_achievement_records_grading_scheme"),
        ),
        sa.CheckConstraint(
            "eqf_level IS NULL OR (eqf_level BETWEEN 1 AND 8)", name=op.f("ck_achievement_records_eqf_level")
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_achievement_records_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("achievement_id", name=op.f("pk_achievement_records")),
    )
    op.create_table(
        "pathways",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("required_count", sa.Integer(), nullable=True),
        sa.Column("min_credits", sa.Float(), nullable=True),
        sa.Column("ordered", sa.Boolean(), nullable=False),
        sa.Column("issue_mode", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("issue_mode IN ('auto', 'approval')", name=op.f("ck_pathways_issue_mode")),
        sa.CheckConstraint("rule IN ('all_of', 'n_of_m')", name=op.f("ck_pathways_rule")),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_pathways_achievement_id_achievements"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathways")),
        sa.UniqueConstraint("achievement_id", name=op.f("uq_pathways_achievement_id")),
    )
    op.create_table(
        "award_records",
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("credits_earned", sa.Float(), nullable=True),
        sa.Column("term", sa.String(length=64), nullable=True),
        sa.Column("activity_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activity_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_value", sa.String(length=32), nullable=True),
        sa.Column("award_route", sa.String(length=8), nullable=False),
        sa.CheckConstraint("award_route IN ('course', 'rpl')", name=op.f("ck_award_records_award_route")),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_award_records_award_id_awards"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("award_id", name=op.f("pk_award_records")),
    )
    op.create_table(
        "pathway_completions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pathway_id", sa.Uuid(), nullable=False),
        sa.Column("earner_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=True),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'issued', 'rejected')", name=op.f("ck_pathway_completions_status")),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_pathway_completions_award_id_awards"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["earner_id"], ["earners.id"], name=op.f("fk_pathway_completions_earner_id_earners"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"], ["pathways.id"], name=op.f("fk_pathway_completions_pathway_id_pathways"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_completions")),
        sa.UniqueConstraint("pathway_id", "earner_id", name="uq_pathway_completions_pathway_earner"),
    )
    with op.batch_alter_table("pathway_completions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pathway_completions_earner_id"), ["earner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pathway_completions_pathway_id"), ["pathway_id"], unique=False)

    op.create_table(
        "pathway_components",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pathway_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=True),
        sa.Column("external_achievement_id", sa.String(length=2000), nullable=True),
        sa.Column("alignment_url", sa.String(length=2000), nullable=True),
        sa.Column("label", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "achievement_id IS NOT NULL OR external_achievement_id IS NOT NULL OR alignment_url IS NOT NULL",
            name=op.f("ck_pathway_components_something"),
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_pathway_components_achievement_id_achievements"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"], ["pathways.id"], name=op.f("fk_pathway_components_pathway_id_pathways"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_components")),
    )
    with op.batch_alter_table("pathway_components", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pathway_components_achievement_id"), ["achievement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pathway_components_pathway_id"), ["pathway_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pathway_components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pathway_components_pathway_id"))
        batch_op.drop_index(batch_op.f("ix_pathway_components_achievement_id"))

    op.drop_table("pathway_components")
    with op.batch_alter_table("pathway_completions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pathway_completions_pathway_id"))
        batch_op.drop_index(batch_op.f("ix_pathway_completions_earner_id"))

    op.drop_table("pathway_completions")
    op.drop_table("award_records")
    op.drop_table("pathways")
    op.drop_table("achievement_records")
    with op.batch_alter_table("achievement_prerequisites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_achievement_prerequisites_required_id"))

    op.drop_table("achievement_prerequisites")
    with op.batch_alter_table("external_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_external_credentials_earner_id"))

    op.drop_table("external_credentials")
