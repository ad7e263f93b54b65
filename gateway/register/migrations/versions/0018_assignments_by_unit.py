"""An index of assignments by unit in document order, for a unit-scoped search (a chuyên viên's).

``ix_assignments_unit_document (unit_code, document_id)``: the search counts a common word's matches within a
unit by walking the unit's newest assignments in this index (index only) and testing each document's text,
where the full-text index would hand it every match of the word in the register first.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_assignments_unit_document", "assignments", ["unit_code", "document_id"])


def downgrade() -> None:
    op.drop_index("ix_assignments_unit_document", table_name="assignments")
