"""Departments, routing decisions and assignments (lead, cooperate, inform) with deadlines and status.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("mailbox", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departments")),
    )
    op.create_table(
        "routing_decisions",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rules_version", sa.Text(), nullable=False),
        sa.Column("matched", sa.JSON(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_routing_decisions_document_id_documents")),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_routing_decisions")),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_assignments_document_id_documents")),
        sa.ForeignKeyConstraint(["unit_code"], ["departments.code"], name=op.f("fk_assignments_unit_code_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint("document_id", "unit_code", name="uq_assignments_document_unit"),
    )
    op.create_index("ix_assignments_document_id", "assignments", ["document_id"])
    op.create_index("ix_assignments_unit_code", "assignments", ["unit_code"])
    op.create_index("ix_assignments_due_date", "assignments", ["due_date"])


def downgrade() -> None:
    op.drop_index("ix_assignments_due_date", table_name="assignments")
    op.drop_index("ix_assignments_unit_code", table_name="assignments")
    op.drop_index("ix_assignments_document_id", table_name="assignments")
    op.drop_table("assignments")
    op.drop_table("routing_decisions")
    op.drop_table("departments")
