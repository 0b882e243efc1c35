"""summative assessment: designs, rubric criteria, results, evidence; confirmed outcome-kind warnings

Revision ID: 0005_assessments
Revises: 0004_accounts
Create Date: 2026-11-29

An achievement's assessment design (method, identity verified) with one rubric criterion per learning outcome
(ordered levels with a required one, or a score range with a required value); assessors' per-outcome results
for earners; evidence (narrative, URL or a content-addressed file) with a public/private visibility; and on
each alignment the outcome-kind warning its author confirmed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_assessments"
down_revision = "0004_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_designs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("identity_verified", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "method IN ('project', 'exam', 'observed_performance', 'portfolio', 'practical', 'presentation', "
            "'interview', 'other')",
            name=op.f("ck_assessment_designs_method"),
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_assessment_designs_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_designs")),
        sa.UniqueConstraint("achievement_id", name=op.f("uq_assessment_designs_achievement_id")),
    )
    op.create_table(
        "assessment_evidence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("earner_id", sa.Uuid(), nullable=False),
        sa.Column("outcome_id", sa.Uuid(), nullable=True),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("narrative", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("genre", sa.String(length=100), nullable=True),
        sa.Column("audience", sa.String(length=200), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("file_type", sa.String(length=64), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "file_type IS NULL OR file_type IN ('application/pdf', 'image/png', 'image/jpeg', 'text/plain')",
            name=op.f("ck_assessment_evidence_file_type"),
        ),
        sa.CheckConstraint("visibility IN ('public', 'private')", name=op.f("ck_assessment_evidence_visibility")),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_assessment_evidence_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["earner_id"], ["earners.id"], name=op.f("fk_assessment_evidence_earner_id_earners"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["learning_outcomes.id"],
            name=op.f("fk_assessment_evidence_outcome_id_learning_outcomes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_evidence")),
    )
    with op.batch_alter_table("assessment_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_evidence_achievement_id"), ["achievement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_evidence_earner_id"), ["earner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_evidence_outcome_id"), ["outcome_id"], unique=False)

    op.create_table(
        "assessment_results",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("earner_id", sa.Uuid(), nullable=False),
        sa.Column("outcome_id", sa.Uuid(), nullable=False),
        sa.Column("level_id", sa.String(length=36), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("assessor", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_assessment_results_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["earner_id"], ["earners.id"], name=op.f("fk_assessment_results_earner_id_earners"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["learning_outcomes.id"],
            name=op.f("fk_assessment_results_outcome_id_learning_outcomes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_results")),
        sa.UniqueConstraint("earner_id", "outcome_id", name="uq_assessment_results_earner_outcome"),
    )
    with op.batch_alter_table("assessment_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_results_achievement_id"), ["achievement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_results_earner_id"), ["earner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_results_outcome_id"), ["outcome_id"], unique=False)

    op.create_table(
        "rubric_criteria",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("design_id", sa.Uuid(), nullable=False),
        sa.Column("outcome_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("scale", sa.String(length=16), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("required_level_id", sa.String(length=36), nullable=True),
        sa.Column("value_min", sa.Float(), nullable=True),
        sa.Column("value_max", sa.Float(), nullable=True),
        sa.Column("required_value", sa.Float(), nullable=True),
        sa.CheckConstraint("scale IN ('levels', 'score')", name=op.f("ck_rubric_criteria_scale")),
        sa.ForeignKeyConstraint(
            ["design_id"],
            ["assessment_designs.id"],
            name=op.f("fk_rubric_criteria_design_id_assessment_designs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["learning_outcomes.id"],
            name=op.f("fk_rubric_criteria_outcome_id_learning_outcomes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_criteria")),
        sa.UniqueConstraint("outcome_id", name=op.f("uq_rubric_criteria_outcome_id")),
    )
    with op.batch_alter_table("rubric_criteria", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rubric_criteria_design_id"), ["design_id"], unique=False)

    with op.batch_alter_table("alignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind_warning", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alignments", schema=None) as batch_op:
        batch_op.drop_column("kind_warning")

    with op.batch_alter_table("rubric_criteria", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rubric_criteria_design_id"))

    op.drop_table("rubric_criteria")
    with op.batch_alter_table("assessment_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_results_outcome_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_results_earner_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_results_achievement_id"))

    op.drop_table("assessment_results")
    with op.batch_alter_table("assessment_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_evidence_outcome_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_evidence_earner_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_evidence_achievement_id"))

    op.drop_table("assessment_evidence")
    op.drop_table("assessment_designs")
