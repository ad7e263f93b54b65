"""The leader's direction on a document (ý kiến chỉ đạo, chủ trì, phối hợp, để biết, thời hạn), kept with its history;
and outbox mail prepared whole when queued (returns to the sender, digests), some of them to be sent once only.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("directed_by", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("directed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("lead", sa.String(64), nullable=False),
        sa.Column("cooperate", sa.JSON(), nullable=False),
        sa.Column("inform", sa.JSON(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_directions_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directions")),
    )
    op.create_index(op.f("ix_directions_document_id"), "directions", ["document_id"], unique=False)
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("body_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("once_key", sa.String(200), nullable=True))
        batch.create_unique_constraint("uq_outbox_once_key", ["once_key"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("uq_outbox_once_key", type_="unique")
        batch.drop_column("once_key")
        batch.drop_column("body_sha256")
    op.drop_index(op.f("ix_directions_document_id"), table_name="directions")
    op.drop_table("directions")
