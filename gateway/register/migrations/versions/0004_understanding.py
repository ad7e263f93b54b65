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


def downgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("signatures")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("signature_status")
        batch.drop_column("addressees")
        batch.drop_column("organ_parent")
