"""Recalls (thu hồi, ND30 Điều 18.4.b) kept after the recalled document's files and fields are gone, and the links of
documents that update or replace earlier ones (edXML BusinessDocType 2, 3).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recalls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("register_code", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("arrival_number", sa.Integer(), nullable=True),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("organ_name", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notice_sha256", sa.String(64), nullable=False),
        sa.Column("answer_message_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_recalls_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recalls")),
    )
    op.create_index(op.f("ix_recalls_document_id"), "recalls", ["document_id"], unique=False)
    op.create_table(
        "document_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_document_links_document_id_documents")),
        sa.ForeignKeyConstraint(["target_id"], ["documents.id"], name=op.f("fk_document_links_target_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_links")),
        sa.UniqueConstraint("document_id", "target_id", name="uq_document_links_pair"),
    )
    op.create_index(op.f("ix_document_links_document_id"), "document_links", ["document_id"], unique=False)
    op.create_index(op.f("ix_document_links_target_id"), "document_links", ["target_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_document_links_target_id"), table_name="document_links")
    op.drop_index(op.f("ix_document_links_document_id"), table_name="document_links")
    op.drop_table("document_links")
    op.drop_index(op.f("ix_recalls_document_id"), table_name="recalls")
    op.drop_table("recalls")
