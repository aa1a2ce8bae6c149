"""12345 work orders: 派单/签收/退回 and 延期 on cases, 诉求类型 and the caller's name, duplicates, 回访 records on
ratings, and the audit of caller searches.

Revision ID: 0008_work_orders
Revises: 0007_feedback
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.core.db import UTCDateTime

revision = "0008_work_orders"
down_revision = "0007_feedback"
branch_labels = None
depends_on = None

# cases and ratings carry append-only triggers (0001_cases): columns are only added, so SQLite never has to copy
# and re-create either table (which would drop the triggers with it).
CASE_COLUMNS = (
    ("request_type", sa.String(16)),
    ("caller_name", sa.String(64)),
    ("sender", sa.String(128)),
    ("dispatched_by", sa.String(80)),
    ("dispatched_at", UTCDateTime()),
    ("accepted_at", UTCDateTime()),
    ("extension_days", sa.Integer()),
    ("extension_reason", sa.Text()),
    ("extension_by", sa.String(80)),
    ("overdue_noted", sa.Date()),
)


FK_NAME = "fk_cases_duplicate_of_id_cases"


def upgrade() -> None:
    with op.batch_alter_table("cases", recreate="never") as batch:
        for name, type_ in CASE_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a referencing column in place, but not through alembic
        op.execute(f"ALTER TABLE cases ADD COLUMN duplicate_of_id INTEGER CONSTRAINT {FK_NAME} REFERENCES cases (id)")
    else:
        op.add_column(
            "cases", sa.Column("duplicate_of_id", sa.Integer(), sa.ForeignKey("cases.id", name=FK_NAME), nullable=True)
        )
    op.create_index(op.f("ix_cases_sender"), "cases", ["sender"])
    op.create_index(op.f("ix_cases_duplicate_of_id"), "cases", ["duplicate_of_id"])
    op.create_index("ix_cases_phone", "cases", ["phone"])
    with op.batch_alter_table("ratings", recreate="never") as batch:
        batch.add_column(sa.Column("via", sa.String(16), nullable=False, server_default="citizen"))
        batch.add_column(sa.Column("by", sa.String(80), nullable=True))
    op.create_table(
        "caller_lookups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("phone_masked", sa.String(32), nullable=False),
        sa.Column("case_no", sa.String(32), nullable=True),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caller_lookups")),
    )
    op.create_index(op.f("ix_caller_lookups_at"), "caller_lookups", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_caller_lookups_at"), table_name="caller_lookups")
    op.drop_table("caller_lookups")
    raise NotImplementedError("case history is never dropped by a migration: the new case columns stay")
