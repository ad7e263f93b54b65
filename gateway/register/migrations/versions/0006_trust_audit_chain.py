"""Sender authentication results on messages; hash chain columns on audit events (existing events chained).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        for name in ("auth_spf", "auth_dkim", "auth_dmarc"):
            batch.add_column(sa.Column(name, sa.String(length=16), nullable=False, server_default="none"))
        batch.add_column(sa.Column("auth_source", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=False, server_default=""))
    _chain_existing_events()
    with op.batch_alter_table("messages") as batch:
        for name in ("auth_spf", "auth_dkim", "auth_dmarc", "auth_source"):
            batch.alter_column(name, server_default=None)
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("prev_hash", server_default=None)
        batch.alter_column("hash", server_default=None)


def _chain_existing_events() -> None:
    """Events written before the chain existed are chained now, in id order, so that verify covers them."""
    from gateway.register.audit import event_hash
    from gateway.register.models import AuditEvent

    conn = op.get_bind()
    table = AuditEvent.__table__
    prev = ""
    rows = conn.execute(sa.select(table.c.id, table.c.at, table.c.actor, table.c.action, table.c.message_id,
                                  table.c.document_id, table.c.detail).order_by(table.c.id)).all()
    for row in rows:
        digest = event_hash(prev, row.at, row.actor, row.action, row.message_id, row.document_id, row.detail or {})
        conn.execute(table.update().where(table.c.id == row.id).values(prev_hash=prev, hash=digest))
        prev = digest


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
    with op.batch_alter_table("messages") as batch:
        for name in ("auth_source", "auth_dmarc", "auth_dkim", "auth_spf"):
            batch.drop_column(name)
