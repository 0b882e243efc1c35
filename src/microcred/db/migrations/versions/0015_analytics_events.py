"""analytics events (issue 16, point 5): one row per counted event, naming no person

Revision ID: 0015_analytics_events
Revises: 0014_idempotency_expiry
Create Date: 2026-12-03

Kind, channel, UTC day, and the achievement (an award's events) or the organisation and status list (a list
fetch). No award, earner, user, address or browser is stored (microcred.analytics.models).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_analytics_events"
down_revision = "0014_idempotency_expiry"
branch_labels = None
depends_on = None

# frozen copies of the vocabularies of microcred.analytics.models at this revision
KINDS = ("claimed", "page_view", "verification", "status_list_fetch", "download", "wallet_delivery")
CHANNELS = (
    "linkedin",
    "embed",
    "web",
    "direct",
    "page",
    "api",
    "cli",
    "json",
    "jwt",
    "png",
    "svg",
    "pdf",
    "ldp_vc",
    "jwt_vc_json",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "analytics_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("status_list_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(_in("kind", KINDS), name=op.f("ck_analytics_events_kind")),
        sa.CheckConstraint(_in("channel", CHANNELS), name=op.f("ck_analytics_events_channel")),
        sa.CheckConstraint(
            "achievement_id IS NOT NULL OR organisation_id IS NOT NULL", name=op.f("ck_analytics_events_subject")
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_analytics_events_achievement_id_achievements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_analytics_events_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_list_id"],
            ["status_lists.id"],
            name=op.f("fk_analytics_events_status_list_id_status_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_events")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_analytics_events_achievement_day", "analytics_events", ["achievement_id", "day"], unique=False)
    op.create_index(
        "ix_analytics_events_organisation_day", "analytics_events", ["organisation_id", "day"], unique=False
    )
    op.create_index(op.f("ix_analytics_events_status_list_id"), "analytics_events", ["status_list_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_analytics_events_status_list_id"), table_name="analytics_events")
    op.drop_index("ix_analytics_events_organisation_day", table_name="analytics_events")
    op.drop_index("ix_analytics_events_achievement_day", table_name="analytics_events")
    op.drop_table("analytics_events")
