"""Fields read from the document: cơ quan chủ quản, Kính gửi, signature status; per-file signature reports.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("organ_parent", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("addressees", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("signature_status", sa.String(length=32), nullable=False, server_default=""))
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("signatures", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "ocr_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pages_read", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachments.id"], name=op.f("fk_ocr_jobs_attachment_id_attachments")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_ocr_jobs_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocr_jobs")),
    )
    op.create_index(op.f("ix_ocr_jobs_attachment_id"), "ocr_jobs", ["attachment_id"], unique=False)
    op.create_index(op.f("ix_ocr_jobs_document_id"), "ocr_jobs", ["document_id"], unique=False)
    op.create_index("ix_ocr_jobs_state", "ocr_jobs", ["state", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ocr_jobs_state", table_name="ocr_jobs")
    op.drop_index(op.f("ix_ocr_jobs_document_id"), table_name="ocr_jobs")
    op.drop_index(op.f("ix_ocr_jobs_attachment_id"), table_name="ocr_jobs")
    op.drop_table("ocr_jobs")
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("signatures")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("signature_status")
        batch.drop_column("addressees")
        batch.drop_column("organ_parent")
