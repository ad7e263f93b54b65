"""Several OS processes registering into one database at once: số đến stays 1..N with no gap or repeat."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import sqlalchemy as sa
from test_register_support import database_url, make_config, register_many  # noqa: F401 (fixture)

from gateway.register.service import Register


def _run(tmp_path: Path, url: str, jobs: list[tuple[str, int, bytes | None]]) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(jobs))
    procs = [
        ctx.Process(target=register_many, args=(str(tmp_path / "data"), url, prefix, count, raw, barrier))
        for prefix, count, raw in jobs
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=300)
    assert [proc.exitcode for proc in procs] == [0] * len(procs)


def _prepare(tmp_path: Path, url: str) -> Register:
    reg = Register(make_config(tmp_path, url))
    reg.upgrade()
    return reg


def test_four_processes_number_without_gaps(database_url: str, tmp_path: Path) -> None:
    reg = _prepare(tmp_path, database_url)
    try:
        _run(tmp_path, database_url, [(f"p{i}", 50, None) for i in range(4)])
        with reg.engine.connect() as conn:
            numbers = conn.execute(sa.text("SELECT arrival_number FROM documents ORDER BY arrival_number")).scalars()
            assert list(numbers) == list(range(1, 201))
            assert conn.execute(sa.text("SELECT count(*) FROM arrivals")).scalar_one() == 200
            assert conn.execute(sa.text("SELECT last_number FROM register_counters")).scalar_one() == 200
    finally:
        reg.close()


def test_two_processes_racing_the_same_message(database_url: str, tmp_path: Path) -> None:
    reg = _prepare(tmp_path, database_url)
    try:
        raw = b"Message-ID: <race@agency.gov.vn>\r\nSubject: race\r\n\r\nsame\r\n"
        _run(tmp_path, database_url, [("a", 20, raw), ("b", 20, raw)])
        with reg.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM documents")).scalar_one() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM messages")).scalar_one() == 1
            kinds = dict(conn.execute(sa.text("SELECT kind, count(*) FROM arrivals GROUP BY kind")).all())
            assert kinds == {"original": 1, "duplicate": 39}
        assert reg.stats()["duplicates"] == 39
    finally:
        reg.close()
