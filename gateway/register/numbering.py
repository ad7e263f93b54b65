"""Gapless số đến: one counter per register per year, advanced inside the registering transaction."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gateway.register.models import RegisterCounter

log = logging.getLogger(__name__)


def allocate_arrival_number(conn: sa.Connection | Session, register_id: int, year: int) -> int:
    """The next số đến of ``register_id`` in ``year``; a rollback of the caller's transaction gives it back.

    The counter row is created if missing (ON CONFLICT DO NOTHING), then advanced with UPDATE ... RETURNING:
    on PostgreSQL the update holds the row lock until the caller commits, so concurrent workers queue on it;
    on SQLite the transaction already holds the database write lock (BEGIN IMMEDIATE).
    """
    table = RegisterCounter.__table__
    dialect = (conn.connection() if isinstance(conn, Session) else conn).dialect.name
    values = {"register_id": register_id, "year": year, "last_number": 0}
    if dialect == "postgresql":
        conn.execute(postgresql.insert(table).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        conn.execute(sqlite.insert(table).values(**values).on_conflict_do_nothing())
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(dialect)
    where = sa.and_(table.c.register_id == register_id, table.c.year == year)
    # One statement that both locks the counter row (PostgreSQL queues concurrent workers on it until the
    # caller commits) and advances it; SQLite's writer lock already serialises the transaction.
    number = conn.execute(
        sa.update(table).where(where).values(last_number=table.c.last_number + 1).returning(table.c.last_number)
    ).scalar_one()
    log.debug("allocated số đến %d in register %d for %d", number, register_id, year)
    return number
