"""Gapless số đến in order of receipt: one counter per register per year; documents take their numbers in the
order the gateway took them, as soon as nothing received earlier is still being read."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gateway.register.models import Document, Host, RegisterCounter

log = logging.getLogger(__name__)
_NUMBERING_LOCK_KEY = 0x67617465776E756D  # any constant: the advisory lock of a numbering transaction


def allocate_arrival_number(conn: sa.Connection | Session, register_id: int, year: int) -> int:
    """The next số đến of ``register_id`` in ``year``; a rollback of the caller's transaction gives it back.

    One statement creates the counter row at 1 or advances it (INSERT ... ON CONFLICT DO UPDATE ... RETURNING):
    on PostgreSQL it holds the row lock until the caller commits, so concurrent workers queue on it; on SQLite
    the transaction already holds the database write lock (BEGIN IMMEDIATE).
    """
    dialect = (conn.connection() if isinstance(conn, Session) else conn).dialect.name
    number = conn.execute(_next_number(dialect), {"register_id": register_id, "year": year}).scalar_one()
    log.debug("allocated số đến %d in register %d for %d", number, register_id, year)
    return number


_COUNTERS = RegisterCounter.__table__
_NEXT_NUMBER: dict[str, sa.Executable] = {}  # by dialect: built once, then only its compiled form is looked up


def _next_number(dialect: str) -> sa.Executable:
    statement = _NEXT_NUMBER.get(dialect)
    if statement is None:
        if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - only the two supported backends
            raise NotImplementedError(dialect)
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_COUNTERS)
        statement = _NEXT_NUMBER[dialect] = (
            insert.values(register_id=sa.bindparam("register_id"), year=sa.bindparam("year"), last_number=1)
            .on_conflict_do_update(index_elements=[_COUNTERS.c.register_id, _COUNTERS.c.year],
                                   set_={"last_number": _COUNTERS.c.last_number + 1})
            .returning(_COUNTERS.c.last_number))
    return statement


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
    if before is None:
        query, params = _WAITING, {}
    elif others is None:
        query, params = _WAITING_BEFORE, {"before": before}
    else:
        query, params = _WAITING_BEFORE.where(
            table.c.received_key < sa.func.coalesce(others.lowest_watermark(), before)), {"before": before}
    waiting = conn.execute(query, params).all()
    if not waiting:
        return []
    if conn.dialect.name == "postgresql":
        # Serialise numbering: without it two hosts could each number the same waiting document.
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_NUMBERING_LOCK_KEY)))
        waiting = conn.execute(query, params).all()
    done = []
    for row in waiting:
        number = allocate_arrival_number(conn, row.register_id, row.year)
        conn.execute(_SET_NUMBER, {"document_id": row.id, "number": number})
        done.append(Numbered(row.id, row.message_id, row.register_id, row.year, number))
    return done


_DOCUMENTS = Document.__table__
# Built once: the registering transaction runs these for every arrival.
_WAITING = sa.select(_DOCUMENTS.c.id, _DOCUMENTS.c.message_id, _DOCUMENTS.c.register_id, _DOCUMENTS.c.year,
                     _DOCUMENTS.c.received_key).where(_DOCUMENTS.c.arrival_number.is_(None)) \
    .order_by(_DOCUMENTS.c.received_key, _DOCUMENTS.c.id)
_WAITING_BEFORE = _WAITING.where(_DOCUMENTS.c.received_key < sa.bindparam("before"))
_SET_NUMBER = sa.update(_DOCUMENTS).where(_DOCUMENTS.c.id == sa.bindparam("document_id"),
                                          _DOCUMENTS.c.arrival_number.is_(None)) \
    .values(arrival_number=sa.bindparam("number"))


def any_waiting(conn: sa.Connection) -> bool:
    """Whether a document waits for its số đến."""
    table = Document.__table__
    return conn.execute(sa.select(table.c.id).where(table.c.arrival_number.is_(None)).limit(1)).first() is not None
