"""The số and ký hiệu index folds the ký hiệu's case, for the possible-duplicate check and recall lookups.

``ix_documents_code (code_number, lower(code_notation))`` replaces ``ix_documents_dedup (code_number,
code_notation, year)``: the reader keeps the small letters of "TTr" and "TTg", so a scan OCR'd in capitals and the
born-digital copy of the same document differ in case only (models.same_code).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_documents_dedup", table_name="documents")
    op.create_index("ix_documents_code", "documents", ["code_number", sa.text("lower(code_notation)")])


def downgrade() -> None:
    op.drop_index("ix_documents_code", table_name="documents")
    op.create_index("ix_documents_dedup", "documents", ["code_number", "code_notation", "year"])
