"""Gapless số đến: one counter per register per year, advanced inside the registering transaction."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gateway.register.models import RegisterCounter

log = logging.getLogger(__name__)


def allocate_arrival_number(session: Session, register_id: int, year: int) -> int:
    """The next số đến of ``register_id`` in ``year``; a rollback of the caller's transaction gives it back.

    PostgreSQL: the counter row is created if missing (ON CONFLICT DO NOTHING) and then locked with
    SELECT ... FOR UPDATE until the caller commits, so concurrent workers queue on it. SQLite: the
    transaction already holds the database write lock (BEGIN IMMEDIATE), which serialises writers.
    """
    table = RegisterCounter.__table__
    dialect = session.get_bind().dialect.name
    values = {"register_id": register_id, "year": year, "last_number": 0}
    if dialect == "postgresql":
        session.execute(postgresql.insert(table).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(table).values(**values).on_conflict_do_nothing())
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(dialect)
    where = sa.and_(table.c.register_id == register_id, table.c.year == year)
    locked = sa.select(table.c.last_number).where(where)
    if dialect == "postgresql":
        locked = locked.with_for_update()
    current = session.execute(locked).scalar_one()
    number = current + 1
    session.execute(sa.update(table).where(where).values(last_number=number))
    log.debug("allocated số đến %d in register %d for %d", number, register_id, year)
    return number
