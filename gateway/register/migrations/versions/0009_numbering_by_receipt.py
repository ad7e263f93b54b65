"""Số đến in order of receipt: a document may wait for its number, ordered by the moment the gateway took it;
a Message-ID no longer unique (senders reuse them: only the same sender with the same files is a duplicate);
and background OCR jobs read a few pages at a time under a lease.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

WAITING = "arrival_number IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("uq_messages_message_id_header", type_="unique")
        batch.create_index("ix_messages_message_id_header", ["message_id_header"])
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("arrival_number", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("received_key", sa.String(64), nullable=False, server_default=""))
    # Documents registered before this migration were numbered in the order they were registered; their key
    # is their arrival's spool id (which sorts by the time it was stored).
    op.execute(
        "UPDATE documents SET received_key = COALESCE((SELECT min(a.spool_id) FROM arrivals a "
        "WHERE a.message_id = documents.message_id AND a.kind = 'original'), '')"
    )
    op.create_index("ix_documents_waiting", "documents", ["received_key"],
                    sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING))
    with op.batch_alter_table("ocr_jobs") as batch:
        batch.add_column(sa.Column("next_page", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ocr_jobs") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("next_page")
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_message_id_header")
        batch.create_unique_constraint("uq_messages_message_id_header", ["message_id_header"])
    op.drop_index("ix_documents_waiting", table_name="documents")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("received_key")
        batch.alter_column("arrival_number", existing_type=sa.Integer(), nullable=False)
