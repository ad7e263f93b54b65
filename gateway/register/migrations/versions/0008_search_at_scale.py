"""Indexes for searching a large register: open assignments for the dashboard, (arrival_date, id) for date ranges.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'in_progress')"


def upgrade() -> None:
    # Replaced by the partial indexes: SQLite's planner kept choosing it and sorting every open assignment.
    op.drop_index("ix_assignments_open", table_name="assignments")
    op.create_index("ix_assignments_open_due", "assignments", ["due_date", "document_id"],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    op.create_index("ix_assignments_open_unit", "assignments", ["unit_code", "due_date"],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    op.create_index("ix_documents_arrival_date_id", "documents", ["arrival_date", "id"])


def downgrade() -> None:
    op.drop_index("ix_documents_arrival_date_id", table_name="documents")
    op.drop_index("ix_assignments_open_unit", table_name="assignments")
    op.drop_index("ix_assignments_open_due", table_name="assignments")
    op.create_index("ix_assignments_open", "assignments", ["status", "unit_code", "due_date"])
