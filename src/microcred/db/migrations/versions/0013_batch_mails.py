"""award mails of bulk batches (issue 15): each batch row's mail state, the SMTP server's reply, when, attempts

Revision ID: 0013_batch_mails
Revises: 0012_jobs
Create Date: 2026-12-17
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_batch_mails"
down_revision = "0012_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # every existing row: no mail (None), no attempt
    with op.batch_alter_table("award_batch_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("mail_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("mail_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_check_constraint(
            op.f("ck_award_batch_rows_mail_state"), "mail_state IN ('queued', 'sent', 'bounced', 'failed')"
        )


def downgrade() -> None:
    with op.batch_alter_table("award_batch_rows", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_award_batch_rows_mail_state"), type_="check")
        batch_op.drop_column("mail_attempts")
        batch_op.drop_column("mailed_at")
        batch_op.drop_column("mail_error")
        batch_op.drop_column("mail_state")
