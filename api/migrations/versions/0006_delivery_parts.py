"""Handoff deliveries: how many parts of a long agent reply are through, so a retry does not send them again.

Revision ID: 0006_delivery_parts
Revises: 0005_handoff_mode
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_delivery_parts"
down_revision = "0005_handoff_mode"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_deliveries") as batch:
        batch.add_column(sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("handoff_deliveries") as batch:
        batch.drop_column("parts_sent")
