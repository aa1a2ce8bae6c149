"""Per-answer feedback: 有用 / 没用 / 没找到 on one chat turn, one row per turn and sender (a second tap replaces it).

Revision ID: 0007_feedback
Revises: 0006_delivery_parts
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.core.db import UTCDateTime

revision = "0007_feedback"
down_revision = "0006_delivery_parts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("value", sa.String(16), nullable=False),
        sa.Column("question", sa.String(500), nullable=False),
        sa.Column("route_kind", sa.String(16), nullable=False),
        sa.Column("route_id", sa.String(100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["turn_id"], ["chat_turns.id"], name=op.f("fk_answer_feedback_turn_id_chat_turns"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_feedback")),
        sa.UniqueConstraint("turn_id", "sender", name=op.f("uq_answer_feedback_turn_id")),
    )
    op.create_index("ix_answer_feedback_value_updated", "answer_feedback", ["value", "updated_at"])
    op.create_index(op.f("ix_answer_feedback_route_id"), "answer_feedback", ["route_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_answer_feedback_route_id"), table_name="answer_feedback")
    op.drop_index("ix_answer_feedback_value_updated", table_name="answer_feedback")
    op.drop_table("answer_feedback")
