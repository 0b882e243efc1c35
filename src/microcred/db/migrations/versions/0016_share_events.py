"""share events (issue 16, point 5): the earner's own act of sharing is counted (kind ``share``, channel ``link``)

Revision ID: 0016_share_events
Revises: 0015_analytics_events
Create Date: 2026-12-04

The kind and channel CHECK constraints of ``analytics_events`` are replaced by ones that also allow the kind
``share`` (an earner copied the public address or the embed snippet, or added the credential to LinkedIn from the
share page) and the channel ``link`` (the address copied). Still counts only: no column is added.
Downgrading deletes the share events and the ``link`` rows first (the older constraints would refuse them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_share_events"
down_revision = "0015_analytics_events"
branch_labels = None
depends_on = None

# frozen copies of the vocabularies of microcred.analytics.models at 0015 and at this revision
OLD_KINDS = ("claimed", "page_view", "verification", "status_list_fetch", "download", "wallet_delivery")
OLD_CHANNELS = (
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
KINDS = (*OLD_KINDS, "share")
CHANNELS = (*OLD_CHANNELS, "link")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _replace_checks(kinds: tuple[str, ...], channels: tuple[str, ...]) -> None:
    # batch mode: SQLite rebuilds the table (copy and move) with the new constraints, its indexes and its
    # AUTOINCREMENT (ids never reused, as 0015 made it); PostgreSQL alters in place
    with op.batch_alter_table("analytics_events", schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint(op.f("ck_analytics_events_kind"), type_="check")
        batch_op.drop_constraint(op.f("ck_analytics_events_channel"), type_="check")
        batch_op.create_check_constraint(op.f("ck_analytics_events_kind"), _in("kind", kinds))
        batch_op.create_check_constraint(op.f("ck_analytics_events_channel"), _in("channel", channels))


def upgrade() -> None:
    _replace_checks(KINDS, CHANNELS)


def downgrade() -> None:
    events = sa.table("analytics_events", sa.column("kind", sa.String), sa.column("channel", sa.String))
    op.execute(events.delete().where(sa.or_(events.c.kind == "share", events.c.channel == "link")))
    _replace_checks(OLD_KINDS, OLD_CHANNELS)
