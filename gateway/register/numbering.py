"""Gapless số đến in order of receipt: one counter per register per year; documents take their numbers in the
order the gateway took them, as soon as nothing received earlier is still being read."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.register.db import insert_absent
from gateway.register.models import Document, Host, RegisterCounter

log = logging.getLogger(__name__)
_NUMBERING_LOCK_KEY = 0x67617465776E756D  # any constant: the advisory lock of a numbering transaction


def allocate_arrival_number(conn: sa.Connection | Session, register_id: int, year: int) -> int:
    """The next số đến of ``register_id`` in ``year``; a rollback of the caller's transaction gives it back.

    The counter row is created if missing (ON CONFLICT DO NOTHING), then advanced with UPDATE ... RETURNING:
    on PostgreSQL the update holds the row lock until the caller commits, so concurrent workers queue on it;
    on SQLite the transaction already holds the database write lock (BEGIN IMMEDIATE).
    """
    table = RegisterCounter.__table__
    insert_absent(conn, table, {"register_id": register_id, "year": year, "last_number": 0})
    where = sa.and_(table.c.register_id == register_id, table.c.year == year)
    # One statement that both locks the counter row (PostgreSQL queues concurrent workers on it until the
    # caller commits) and advances it; SQLite's writer lock already serialises the transaction.
    number = conn.execute(
        sa.update(table).where(where).values(last_number=table.c.last_number + 1).returning(table.c.last_number)
    ).scalar_one()
    log.debug("allocated số đến %d in register %d for %d", number, register_id, year)
    return number


@dataclass(frozen=True)
class Numbered:
    """A document that has just taken its số đến."""

    document_id: int
    message_id: int
    register_id: int
    year: int
    number: int


@dataclass(frozen=True)
class OtherHosts:
    """The hosts sharing this register besides ``me`` (a PostgreSQL register): numbering waits for the lowest
    watermark they published, from each host whose last heartbeat is at most ``within`` old. A host silent for
    longer holds nothing back: what waits in its spool takes its number when it returns, after later mail."""

    me: str
    within: dt.timedelta

    def lowest_watermark(self) -> sa.ScalarSelect:
        """The lowest watermark of the other live hosts (NULL when none published one), as a subquery."""
        seen_since = dt.datetime.now(dt.timezone.utc) - self.within
        return sa.select(sa.func.min(Host.watermark)).where(
            Host.name != self.me, Host.last_seen >= seen_since, Host.watermark.is_not(None)).scalar_subquery()


def number_waiting(conn: sa.Connection, before: str | None, others: OtherHosts | None = None) -> list[Numbered]:
    """Give the next số đến, in order of receipt, to every waiting document received before ``before``.

    ``before`` is a receipt key (a spool id: it sorts by the moment the gateway took the message): nothing
    received earlier is still unsettled in this host's spool. With ``others``, documents must also be below the
    other live hosts' lowest watermark, so numbers follow receipt across hosts (one subquery in the same
    statement). None numbers every waiting document. The advisory lock is taken first, so two numbering
    transactions on PostgreSQL queue instead of interleaving.
    """
    table = Document.__table__
    query = sa.select(table.c.id, table.c.message_id, table.c.register_id, table.c.year, table.c.received_key) \
        .where(table.c.arrival_number.is_(None))
    if before is not None:
        query = query.where(table.c.received_key < before)
        if others is not None:
            query = query.where(table.c.received_key < sa.func.coalesce(others.lowest_watermark(), before))
    waiting = conn.execute(query.order_by(table.c.received_key, table.c.id)).all()
    if not waiting:
        return []
    if conn.dialect.name == "postgresql":
        # Serialise numbering: without it two hosts could each number the same waiting document.
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_NUMBERING_LOCK_KEY)))
        waiting = conn.execute(query.order_by(table.c.received_key, table.c.id)).all()
    done = []
    for row in waiting:
        number = allocate_arrival_number(conn, row.register_id, row.year)
        conn.execute(sa.update(table).where(table.c.id == row.id, table.c.arrival_number.is_(None))
                     .values(arrival_number=number))
        done.append(Numbered(row.id, row.message_id, row.register_id, row.year, number))
    return done


def any_waiting(conn: sa.Connection) -> bool:
    """Whether a document waits for its số đến."""
    table = Document.__table__
    return conn.execute(sa.select(table.c.id).where(table.c.arrival_number.is_(None)).limit(1)).first() is not None
