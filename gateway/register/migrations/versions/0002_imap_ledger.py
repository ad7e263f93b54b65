"""The IMAP ledger: one row per (account, folder, UIDVALIDITY, UID) fetched, with its spool id and state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imap_ledger",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("uid", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("spool_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("account", "folder", "uidvalidity", "uid", name=op.f("pk_imap_ledger")),
    )
    op.create_index("ix_imap_ledger_spool_id", "imap_ledger", ["spool_id"])
    op.create_index("ix_imap_ledger_pending", "imap_ledger", ["account", "folder", "state"])


def downgrade() -> None:
    op.drop_index("ix_imap_ledger_pending", table_name="imap_ledger")
    op.drop_index("ix_imap_ledger_spool_id", table_name="imap_ledger")
    op.drop_table("imap_ledger")
