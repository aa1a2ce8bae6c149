"""Handoffs: the digest of the inbox key held by the widget that opened the handoff.

Revision ID: 0004_handoff_key
Revises: 0003_channels
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_handoff_key"
down_revision = "0003_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable: handoffs of the signed channels, and those opened before this revision, have no key
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("key_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("key_hash")
