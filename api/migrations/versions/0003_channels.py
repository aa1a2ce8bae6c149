"""Channel state shared by replicas: de-duplicated inbound pushes and pending numbered choices.

Revision ID: 0003_channels
Revises: 0002_console
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.core.db import UTCDateTime

revision = "0003_channels"
down_revision = "0002_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("dedupe_key", sa.String(160), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_inbox")),
        sa.UniqueConstraint("channel", "dedupe_key", name="uq_channel_inbox_channel_key"),
    )
    op.create_index("ix_channel_inbox_created_at", "channel_inbox", ["created_at"])
    op.create_table(
        "channel_choices",
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sender", name=op.f("pk_channel_choices")),
    )


def downgrade() -> None:
    op.drop_table("channel_choices")
    op.drop_index("ix_channel_inbox_created_at", table_name="channel_inbox")
    op.drop_table("channel_inbox")
