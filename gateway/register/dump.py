"""The register database written to a file and read back: SQLite's online backup, or pg_dump and pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from gateway.core.errors import BackupError
from gateway.register.db import plain_error, sqlalchemy_url

SQLITE_FILE = "register.sqlite3"
PG_DUMP_FILE = "register.pgdump"


def database_kind(url: str) -> str:
    """"sqlite" or "postgresql"."""
    return sa.make_url(sqlalchemy_url(url)).get_backend_name()


def database_files(url: str) -> tuple[Path, ...]:
    """The files of a SQLite register (the database and its companions) that dump() copies consistently, so
    that a copy of the data folder leaves them out; none for PostgreSQL."""
    if database_kind(url) != "sqlite":
        return ()
    database = Path(sa.make_url(sqlalchemy_url(url)).database or "").absolute()
    return (database, *(database.with_name(database.name + suffix)
                        for suffix in ("-wal", "-shm", "-journal", ".writelock")))


def dump(url: str, folder: Path) -> str:
    """A consistent copy of the database into ``folder`` (while workers write); returns the database kind."""
    kind = database_kind(url)
    if kind == "sqlite":
        _sqlite_backup(Path(sa.make_url(sqlalchemy_url(url)).database or ""), folder / SQLITE_FILE)
    else:
        plain, env = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={folder / PG_DUMP_FILE}", plain], env)
    return kind


def load(url: str, folder: Path) -> None:
    """Put the database copied by dump() back at ``url`` (which must be empty)."""
    if database_kind(url) == "sqlite":
        shutil.copy2(folder / SQLITE_FILE, Path(sa.make_url(sqlalchemy_url(url)).database or ""))
        return
    refuse_non_empty(url)
    plain, env = _libpq(url)
    _run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={plain}", str(folder / PG_DUMP_FILE)], env)


def refuse_non_empty(url: str) -> None:
    """BackupError unless the PostgreSQL database at ``url`` has no tables."""
    engine = sa.create_engine(sa.make_url(sqlalchemy_url(url)).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            tables = conn.scalar(sa.text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"))
    except sa.exc.SQLAlchemyError as err:
        raise BackupError(f"cannot reach the target database: {plain_error(err)}") from err
    finally:
        engine.dispose()
    if tables:
        raise BackupError("the target database is not empty: restore only into an empty database")


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no register database at {source}: nothing to back up")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # the online backup API: a consistent copy while workers write
    except sqlite3.Error as err:
        raise BackupError(f"SQLite backup of {source} failed: {err}") from err
    finally:
        dst.close()
        src.close()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and an environment carrying it (not visible in `ps`)."""
    parsed = sa.make_url(sqlalchemy_url(url))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    hosts = parsed.query.get("host")
    if isinstance(hosts, tuple):  # a primary and its standby: libpq's own multi-host form
        query = "&".join(f"{k}={v}" for k, v in parsed.query.items() if k != "host")
        user = f"{parsed.username}@" if parsed.username else ""
        return f"postgresql://{user}{','.join(hosts)}/{parsed.database}" + (f"?{query}" if query else ""), env
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(argv: list[str], env: dict[str, str]) -> None:
    if shutil.which(argv[0]) is None:
        raise BackupError(f"{argv[0]} not found: install postgresql-client (the same major version as the server)")
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{argv[0]} failed ({result.returncode}): {result.stderr.strip()}")
