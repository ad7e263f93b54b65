"""The register's database: engines (SQLite in WAL mode or PostgreSQL), the one way to write (a transaction under
the writer lock), reads, and the Alembic schema upgrade."""

from __future__ import annotations

import fcntl
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gateway.core.errors import RegisterConflict, RegisterError, RegisterUnavailable

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_S = 30
_UPGRADE_LOCK_KEY = 0x6761746577757067  # any constant: the advisory lock of a schema upgrade
READ_ONLY = "gateway_read_only"


def plain_error(err: BaseException) -> str:
    """What people may read of a database error: the driver's first line, never the SQL or its parameters.

    SQLAlchemy's own text carries the statement and the bound values (search words, names).
    """
    cause = getattr(err, "orig", None) or err
    first = (str(cause).strip().splitlines() or [""])[0]
    if isinstance(cause, sa.exc.SQLAlchemyError):  # no driver error underneath: the text may hold SQL
        first = ""
    return f"{type(cause).__name__}: {first[:300]}" if first else type(cause).__name__


def _logged(err: BaseException, what: str) -> str:
    """The part of a database error people see; the whole of it (SQL included) goes to the debug log.

    The edges log the plain part where it matters (the web handler, the workers); `-v` or logging.level =
    "DEBUG" shows the statement behind it.
    """
    log.debug("%s: %s", what, err)
    return f"{what}: {plain_error(err)}"


_MULTI_HOST = re.compile(r"^(?P<scheme>postgresql(?:\+\w+)?)://(?:(?P<auth>[^@/]*)@)?(?P<hosts>[^/@?]*,[^/?]*)"
                         r"(?P<rest>/[^?]*)?(?:\?(?P<query>.*))?$")


def sqlalchemy_url(url: str) -> str:
    """``url`` as SQLAlchemy reads it. libpq's multi-host form ``postgresql://h1:p1,h2:p2/db?target_session_attrs=
    read-write`` (a primary and its standby: psycopg connects to whichever of them takes writes) becomes
    ``postgresql://@/db?host=h1:p1&host=h2:p2&...``; every other URL is left as it is."""
    found = _MULTI_HOST.match(url)
    if not found:
        return url
    hosts = "&".join(f"host={host}" for host in found["hosts"].split(",") if host)
    query = f"{hosts}&{found['query']}" if found["query"] else hosts
    auth = f"{found['auth']}@" if found["auth"] else "@"
    return f"{found['scheme']}://{auth}{found['rest'] or '/'}?{query}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite gets WAL, synchronous=FULL, foreign keys and BEGIN IMMEDIATE."""
    try:
        parsed = sa.make_url(sqlalchemy_url(url))
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed)
        if parsed.get_backend_name() == "postgresql":
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            return sa.create_engine(parsed, pool_pre_ping=True)
    except (sa.exc.SQLAlchemyError, ValueError) as err:
        raise RegisterError(f"cannot open register database {_masked(url)}: {plain_error(err)}") from err
    raise RegisterError(f"unsupported register database {_masked(url)}: use sqlite:// or postgresql://")


def _masked(url: str) -> str:
    try:
        return sa.make_url(sqlalchemy_url(url)).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return "(unreadable URL)"


def _sqlite_engine(url: sa.URL) -> Engine:
    if url.database and url.database != ":memory:":
        folder = Path(url.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise RegisterError(f"cannot create {folder} for the register database: {err.strerror or err}") from err
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Take the write lock up front: no deadlock on a read-to-write upgrade between processes.
        # Reads (see reader) begin deferred: in WAL mode they never wait for a writer.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class WriterLock:
    """Serialises registering transactions of the processes sharing one SQLite file, with an flock.

    SQLite's own busy handler polls with sleeps of up to 100 ms, so a worker that finds the write lock taken
    wakes late and the database sits idle; an flock wakes the next waiter the moment the holder commits.
    PostgreSQL needs none of this (row locks queue properly), so there the lock does nothing.
    """

    def __init__(self, engine: Engine) -> None:
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self.path = Path(database + ".writelock") if database and database != ":memory:" else None
        self._fd: int | None = None

    def __enter__(self) -> WriterLock:
        if self.path is not None:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def insert_absent(conn: sa.Connection | Session, table: sa.Table, values: dict[str, Any]) -> None:
    """INSERT the row unless one with its key exists (ON CONFLICT DO NOTHING): a concurrent insert of the same
    key waits for the other transaction instead of failing."""
    dialect = (conn.connection() if isinstance(conn, Session) else conn).dialect.name
    if dialect == "postgresql":
        conn.execute(postgresql.insert(table).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        conn.execute(sqlite.insert(table).values(**values).on_conflict_do_nothing())
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(dialect)


def reader(engine: Engine) -> Engine:
    """The same engine (same pool) for read-only work: on SQLite its transactions do not take the write lock."""
    return engine.execution_options(**{READ_ONLY: True})


def translate(err: sa.exc.SQLAlchemyError, what: str) -> RegisterError:
    """The gateway's error for a database error: RegisterUnavailable when waiting may cure it (the server is
    down or restarting, the connection dropped, a lock or pool timeout), else RegisterError."""
    transient = isinstance(err, (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)) or \
        getattr(err, "connection_invalidated", False)
    kind = RegisterUnavailable if transient else RegisterError
    return kind(_logged(err, what))


class Database:
    """One register database: every write goes through transaction(), every read through reading() or session().

    Database errors come out as RegisterError (a lost race on a unique key as RegisterConflict), so that no
    caller outside the register meets SQLAlchemy.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = reader(engine)
        self._lock = WriterLock(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A writing transaction under the writer lock; committed when the block ends, rolled back on an error."""
        try:
            with self._lock, self.engine.begin() as conn:
                yield conn
        except sa.exc.IntegrityError as err:
            log.debug("register conflict: %s", err)  # an expected race: the caller decides what it means
            raise RegisterConflict(f"the register refused a row: {plain_error(err)}") from err
        except sa.exc.SQLAlchemyError as err:
            raise translate(err, "the register database failed") from err

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """A read-only connection (on SQLite it never waits for a writer)."""
        try:
            with self._reader.connect() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as err:
            raise translate(err, "register read failed") from err

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read-only ORM session, for the read models that load objects."""
        try:
            with Session(self._reader) as session:
                yield session
                session.rollback()
        except sa.exc.SQLAlchemyError as err:
            raise translate(err, "register read failed") from err

    def close(self) -> None:
        """Release the writer lock's file and the pooled connections."""
        self._lock.close()
        self.engine.dispose()


def alembic_config(connection: sa.Connection | None = None) -> AlembicConfig:
    """An Alembic config built in code, pointing at the migrations inside the package."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest migration shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, None when it has never been upgraded."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except sa.exc.SQLAlchemyError as err:
        raise translate(err, "cannot read the register schema version") from err


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default the newest) in one transaction."""
    log.info("upgrading register schema at %s to %s", engine.url.render_as_string(hide_password=True), revision)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # hosts starting together: one migrates, the others wait and find
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_UPGRADE_LOCK_KEY)))  # it done
            command.upgrade(alembic_config(conn), revision)
    except sa.exc.SQLAlchemyError as err:
        raise translate(err, "register schema upgrade failed") from err


def check_schema(engine: Engine) -> None:
    """Raise RegisterError unless the database is at the newest migration."""
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        raise RegisterError(
            f"register schema is at {current or 'nothing'}, code needs {head}: run `gateway db upgrade`"
        )
