"""Transient faults defer, they do not fail: PostgreSQL away for 20 s or the disk full in the middle of a burst
leave every acknowledged message registered once, numbered without a gap, and nothing in bad/."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from burst import Burst, check_once_and_gapless
from burst import registered as _registered
from burst import try_registered as _try_registered
from conftest import free_port, wait_for
from pgcluster import PgCluster, server_bin

MESSAGES = 400
RETRY = "retry_first = 0.5\nretry_longest = 3.0"


def _spool_files(data: Path, queue: str) -> list[str]:
    folder = data / "spool" / queue
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def _count_check(rows: list[tuple[str, int | None]], burst: Burst, data: Path) -> None:
    check_once_and_gapless(rows, burst.acknowledged)
    assert _spool_files(data, "bad") == [], f"sent to bad/: {_spool_files(data, 'bad')}"
    assert not [n for n in _spool_files(data, "deferred") if n.endswith(".msg")]


@pytest.fixture
def cluster():
    if server_bin() is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    pg = PgCluster(free_port()).init()
    pg.start()
    yield pg
    pg.remove()


def test_postgresql_away_for_20_seconds_defers_and_loses_nothing(gateway_factory, tmp_path, cluster) -> None:
    url = cluster.create_database(f"gw_{uuid.uuid4().hex[:8]}")
    gateway = gateway_factory(database_url=url, workers=2, workers_extra=RETRY)
    gateway.start()
    burst = Burst(gateway.port, MESSAGES, "outage")
    burst.start(6)
    wait_for(lambda: burst.acked() >= MESSAGES // 4, 240, 0.1, "a quarter of the burst acknowledged")
    wait_for(lambda: len(_try_registered(url)) >= 20, 240, 0.1, "the workers registering")
    cluster.stop("immediate")  # as abrupt as a crash of the database host
    late = Burst(gateway.port, 30, "outage-late")  # mail that arrives while the database is away
    late.start(3)
    wait_for(lambda: late.acked() == 30, 120, 0.1, "SMTP to answer 250 without the database")
    wait_for(lambda: _spool_files(tmp_path / "data", "deferred"), 60, 0.1, "messages deferred, not failed")
    _outage(20)
    cluster.start()
    burst.join(300)
    late.join(300)
    assert burst.acked() == MESSAGES
    wait_for(lambda: len([n for _, n in _try_registered(url) if n is not None]) == MESSAGES + 30, 300, 0.5,
             "every message registered and numbered after the database came back")
    burst.acknowledged |= late.acknowledged
    _count_check(_registered(url), burst, tmp_path / "data")
    assert gateway.stop() == 0, gateway.log_text()[-3000:]


def _outage(seconds: float) -> None:
    """Let the outage last: here the time itself is the scenario, not a condition to wait for."""
    threading.Event().wait(seconds)


@pytest.fixture
def small_disk(tmp_path):
    """A 64 MiB tmpfs of the test's own (root only): a file system the test can fill."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(path: Path, leave: int) -> None:
    """Write a filler file until only ``leave`` bytes stay free."""
    stats = os.statvfs(path.parent)
    size = stats.f_bavail * stats.f_frsize - leave
    with open(path, "wb") as handle:
        handle.truncate(0)
        chunk = b"\0" * (1 << 20)
        while size > 0:
            handle.write(chunk[: min(size, len(chunk))])
            size -= len(chunk)


def test_a_full_disk_stops_intake_at_the_floor_and_loses_nothing(gateway_factory, tmp_path, small_disk) -> None:
    data = small_disk / "data"
    gateway = gateway_factory(workers=2, data_dir=data, workers_extra=RETRY,
                              paths_extra=f"min_free_space = {8 * 1024 * 1024}")
    gateway.start()
    burst = Burst(gateway.port, MESSAGES, "disk")
    burst.start(4)
    wait_for(lambda: burst.acked() >= 50, 120, 0.1, "the first messages acknowledged")
    filler = small_disk / "filler"
    _fill(filler, 9 * 1024 * 1024)  # a few messages more, then intake must refuse (452) to keep the floor
    acked = burst.acked()
    wait_for(lambda: "below paths.min_free_space" in gateway.log_text(), 120, 0.2,
             "intake to refuse mail (452) below the floor")
    before = burst.acked()
    assert before < MESSAGES, "the burst ended before the disk filled: nothing was tested"
    filler.unlink()
    burst.join(300)
    assert burst.acked() == MESSAGES and acked <= before
    database = data / "register.sqlite3"
    wait_for(lambda: _numbered_sqlite(database) == MESSAGES, 300, 0.5, "every message registered and numbered")
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT m.message_id_header, d.arrival_number FROM documents d "
                            "JOIN messages m ON m.id = d.message_id").fetchall()
    _count_check(rows, burst, data)
    assert gateway.stop() == 0, gateway.log_text()[-3000:]


def _numbered_sqlite(database: Path) -> int:
    if not database.exists():
        return 0
    with sqlite3.connect(database, timeout=30) as conn:
        return conn.execute("SELECT count(*) FROM documents WHERE arrival_number IS NOT NULL").fetchone()[0]
