"""Shared helpers for the register tests: databases on both backends and hand-built pipeline values."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.core.config import Config, DatabaseConfig, PathsConfig
from gateway.core.values import (
    DocumentMeta,
    Envelope,
    Extracted,
    ExtractedText,
    FieldValue,
    ParsedMessage,
    Part,
    SpooledMessage,
)
from gateway.register.arrivals import NewArrival
from gateway.register.service import Register

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
BACKENDS = ["sqlite", "postgresql"]


def postgres_unavailable() -> str:
    """Why PostgreSQL cannot be used, or "" when it answers."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN):
            return ""
    except Exception as err:  # any failure means: skip, and say why
        return f"PostgreSQL at 127.0.0.1:5432 does not answer: {err}"


def create_pg_database() -> str:
    """A fresh throwaway database; returns its name."""
    import psycopg

    name = f"gateway_test_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_url(name: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


@contextlib.contextmanager
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database on ``backend``: a SQLite file in tmp_path, or a fresh PostgreSQL database
    dropped afterwards (the test is skipped when PostgreSQL does not answer)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.sqlite3'}"
        return
    reason = postgres_unavailable()
    if reason:
        print(f"SKIP PostgreSQL: {reason}")
        pytest.skip(reason)
    name = create_pg_database()
    try:
        yield pg_url(name)
    finally:
        drop_pg_database(name)


@contextlib.contextmanager
def register_on(backend: str, tmp_path: Path) -> Iterator[Register]:
    """A Register on an upgraded empty database of ``backend`` (see empty_database), closed afterwards."""
    with empty_database(backend, tmp_path) as url:
        reg = Register(make_config(tmp_path, url))
        reg.upgrade()
        try:
            yield reg
        finally:
            reg.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database, once SQLite (file in tmp) and once PostgreSQL (fresh database)."""
    with empty_database(request.param, tmp_path) as url:
        yield url


def make_config(tmp_path: Path, url: str, timezone: str = "Asia/Ho_Chi_Minh") -> Config:
    from gateway.core.config import RegisterConfig

    return Config(
        paths=PathsConfig(data_dir=str(tmp_path / "data")),
        database=DatabaseConfig(url=url),
        register=RegisterConfig(timezone=timezone),
    )


@pytest.fixture
def register(database_url: str, tmp_path: Path) -> Iterator[Register]:
    """A Register on an upgraded database."""
    reg = Register(make_config(tmp_path, database_url))
    reg.upgrade()
    yield reg
    reg.close()


RECEIVED = dt.datetime(2026, 3, 10, 2, 30, tzinfo=dt.timezone.utc)


def make_arrival(
    spool_id: str,
    *,
    raw: bytes | None = None,
    message_id: str | None = None,
    subject: str = "Công văn",
    body: str = "",
    from_addr: str = "vanthu@sct.binhduong.gov.vn",
    mail_from: str = "",
    received_at: dt.datetime = RECEIVED,
    attachment_text: str = "",
    fields: dict[str, str] | None = None,
    secrecy: int = 0,
) -> NewArrival:
    """Build the arrival register_arrival takes; raw and Message-ID default to unique values."""
    if message_id is None:
        message_id = f"{spool_id}@test.example"
    if raw is None:
        raw = f"Message-ID: <{message_id}>\r\nSubject: {subject}\r\n\r\n{body}\r\n".encode()
    envelope = Envelope(
        source="smtp", received_at=received_at, mail_from=mail_from or from_addr, rcpt_tos=("vanthu@localhost",),
        peer="127.0.0.1:4000", helo="mx.test",
    )
    parts: tuple[Part, ...] = ()
    texts: tuple[ExtractedText, ...] = ()
    if attachment_text:
        payload = attachment_text.encode()
        sha = hashlib.sha256(payload).hexdigest()
        parts = (Part(0, "congvan.txt", "text/plain", "text", "attachment", payload, sha),)
        texts = (ExtractedText("congvan.txt", "text", sha, len(payload), "ok", attachment_text, page_count=1,
                               part_index=0),)
    parsed = ParsedMessage(
        message_id=message_id, subject=subject, from_addr=from_addr, from_name="Văn thư", to_addrs=("vanthu@localhost",),
        cc_addrs=(), date=received_at, body_text=body, parts=parts, headers=(("Subject", subject),),
    )
    meta = DocumentMeta(
        fields={k: FieldValue(v, 0.9, "text") for k, v in (fields or {}).items()}, secrecy=secrecy,
        primary_part_index=0 if parts else None,
    )
    return NewArrival(SpooledMessage(spool_id, envelope, raw), Extracted(parsed, texts), meta)


def register_many(data_dir: str, url: str, prefix: str, count: int, raw: bytes | None, barrier) -> None:
    """Run in a spawned process: register ``count`` arrivals (distinct, or all of the same ``raw``)."""
    reg = Register(make_config(Path(data_dir), url))
    try:
        barrier.wait(timeout=60)
        for k in range(count):
            spool_id = f"{prefix}-{k}"
            if raw is None:
                reg.register_arrival(make_arrival(spool_id, body=f"thư số {k} của {prefix}"))
            else:
                reg.register_arrival(make_arrival(spool_id, raw=raw, message_id="race@agency.gov.vn"))
    finally:
        reg.close()
