"""Handoff mode: one open handoff per sender, the timeout and acknowledgement clocks, the reply address, and the
outbox of agent replies (handoff_deliveries).

Revision ID: 0005_handoff_mode
Revises: 0004_handoff_key
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.core.db import UTCDateTime

revision = "0005_handoff_mode"
down_revision = "0004_handoff_key"
branch_labels = None
depends_on = None

OPEN_ONLY = sa.text("status != 'closed'")


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("agent_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("acked_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("closed_reason", sa.String(16), nullable=True))
        batch.add_column(sa.Column("address", sa.Text(), nullable=True))
    # before this revision a second 转人工 opened a second handoff: keep each sender's newest one open
    op.execute(
        "UPDATE handoffs SET status = 'closed', closed_reason = 'duplicate' WHERE status != 'closed' AND id NOT IN "
        "(SELECT newest FROM (SELECT MAX(id) AS newest FROM handoffs WHERE status != 'closed' GROUP BY sender) AS n)"
    )
    op.create_index(
        "uq_handoffs_open_sender",
        "handoffs",
        ["sender"],
        unique=True,
        sqlite_where=OPEN_ONLY,
        postgresql_where=OPEN_ONLY,
    )
    op.create_table(
        "handoff_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["handoff_messages.id"], name=op.f("fk_handoff_deliveries_message_id_handoff_messages")
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoffs.id"], name=op.f("fk_handoff_deliveries_handoff_id_handoffs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_deliveries")),
        sa.UniqueConstraint("message_id", name=op.f("uq_handoff_deliveries_message_id")),
    )
    op.create_index("ix_handoff_deliveries_due", "handoff_deliveries", ["state", "next_attempt_at"])
    op.create_index(op.f("ix_handoff_deliveries_handoff_id"), "handoff_deliveries", ["handoff_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_handoff_deliveries_handoff_id"), table_name="handoff_deliveries")
    op.drop_index("ix_handoff_deliveries_due", table_name="handoff_deliveries")
    op.drop_table("handoff_deliveries")
    op.drop_index("uq_handoffs_open_sender", table_name="handoffs")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("address")
        batch.drop_column("closed_reason")
        batch.drop_column("acked_at")
        batch.drop_column("agent_at")
