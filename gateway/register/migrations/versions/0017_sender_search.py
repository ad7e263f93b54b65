"""An index for the sender filter of a search (a substring of the From or envelope address).

SQLite: an FTS5 table ``sender_index(from_addr, mail_from)`` with the trigram tokenizer, rowid = documents.id,
backfilled here in batches of document ids. PostgreSQL: pg_trgm GIN indexes on lower(from_addr) and
lower(mail_from) of messages, which the search's own LIKE uses; where the extension cannot be created the
search keeps its unindexed LIKE, and this says so in the log.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

log = logging.getLogger("gateway.register.migrations")

BATCH = 50_000  # document ids per backfill statement
TRGM_INDEXES = {"ix_messages_from_addr_trgm": "from_addr", "ix_messages_mail_from_trgm": "mail_from"}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE sender_index USING fts5(from_addr, mail_from, tokenize = 'trigram')")
        top = bind.execute(sa.text("SELECT max(id) FROM documents")).scalar() or 0
        for lo in range(0, top, BATCH):
            bind.execute(sa.text(
                "INSERT INTO sender_index (rowid, from_addr, mail_from) "
                "SELECT d.id, m.from_addr, m.mail_from FROM documents d JOIN messages m ON m.id = d.message_id "
                "WHERE d.id > :lo AND d.id <= :hi"
            ), {"lo": lo, "hi": lo + BATCH})
        return
    try:
        with bind.begin_nested():  # a savepoint: a refused extension must not abort the migration's transaction
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm could not be created (%s): the sender filter of a search stays unindexed",
                    str(exc.orig).strip().splitlines()[0] if exc.orig else exc)
        return
    for name, column in TRGM_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON messages USING gin (lower({column}) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE sender_index")
        return
    for name in TRGM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
