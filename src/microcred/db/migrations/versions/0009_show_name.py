"""show my name (issue 12): the earner's per-credential choice to show their name on the public page

Revision ID: 0009_show_name
Revises: 0008_partners
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_show_name"
down_revision = "0008_partners"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # off for every existing choice: no earner's name appears anywhere public until they turn it on
    with op.batch_alter_table("credential_shares") as batch:
        batch.add_column(sa.Column("show_name", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("credential_shares") as batch:
        batch.drop_column("show_name")
