"""Crash safety: kill -9 the daemon during a burst of SMTP mail; every 250 is registered once, số đến gapless."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

import pytest
from burst import Burst
from conftest import wait_for

MESSAGES = 500
CLIENTS = 8
KILL_AFTER = (90, 220, 360)  # kill -9 when this many messages have been acknowledged


def test_daemon_stops_cleanly_after_an_idle_worker_was_killed(gateway_factory):
    """A worker killed while it waits for work must not leave the daemon's stop signal hanging on it."""
    gateway = gateway_factory(workers=2)
    gateway.start()
    victims = wait_for(lambda: len(_worker_pids(gateway.process.pid)) == 2 and _worker_pids(gateway.process.pid),
                       30, what="two idle workers")
    os.kill(victims[0], signal.SIGKILL)
    wait_for(lambda: victims[0] not in _worker_pids(gateway.process.pid)
             and len(_worker_pids(gateway.process.pid)) == 2, 60, 0.2, "a replacement worker")
    assert gateway.stop() == 0, gateway.log_text()[-2000:]


@pytest.mark.slow
def test_kill_9_during_burst_loses_nothing_and_numbers_have_no_gap(gateway_factory, tmp_path):
    gateway = gateway_factory(workers=2)
    gateway.start()
    sender = Burst(gateway.port, MESSAGES, "crash")
    sender.start(CLIENTS)
    for threshold in KILL_AFTER:
        wait_for(lambda: sender.acked() >= threshold, 240, what=f"{threshold} acknowledged messages")
        gateway.kill9()
        gateway.start()
    sender.join()
    assert sender.acked() == MESSAGES

    database = tmp_path / "data" / "register.sqlite3"

    def registered() -> list[tuple[str, int]]:
        with sqlite3.connect(database) as db:
            return db.execute(
                "SELECT m.message_id_header, d.arrival_number FROM documents d JOIN messages m ON m.id = d.message_id "
                "WHERE d.arrival_number IS NOT NULL"
            ).fetchall()

    wait_for(lambda: len(registered()) >= MESSAGES, 240, 0.5, "every message to be registered")
    spool = tmp_path / "data" / "spool"
    wait_for(lambda: not any(any((spool / q).iterdir()) for q in ("incoming", "claimed")), 120, 0.2, "an empty spool")
    rows = registered()
    ids = [message_id for message_id, _ in rows]
    assert len(ids) == len(set(ids)) == MESSAGES, "a message was registered twice or not at all"
    assert set(ids) == sender.acknowledged
    assert sorted(number for _, number in rows) == list(range(1, MESSAGES + 1)), "số đến has a gap or a repeat"
    assert not list((spool / "bad").iterdir()), "nothing may end in bad/"
    assert gateway.stop() == 0


def _worker_pids(daemon_pid: int) -> list[int]:
    children = Path(f"/proc/{daemon_pid}/task/{daemon_pid}/children").read_text().split()
    return [int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_its_message_recovered(gateway_factory, tmp_path):
    gateway = gateway_factory(workers=2)
    gateway.start()
    sender = Burst(gateway.port, 120, "worker")
    sender.start(4)
    wait_for(lambda: sender.acked() >= 30, 120, what="30 acknowledged messages")
    victims = wait_for(lambda: _worker_pids(gateway.process.pid), 30, what="the worker processes")
    os.kill(victims[0], signal.SIGKILL)
    sender.join()
    database = tmp_path / "data" / "register.sqlite3"

    def numbers() -> list[int]:
        with sqlite3.connect(database) as db:
            return sorted(n for (n,) in db.execute("SELECT arrival_number FROM documents WHERE arrival_number IS NOT NULL"))

    wait_for(lambda: len(numbers()) >= 120, 120, 0.3, "all 120 messages to be registered")
    assert numbers() == list(range(1, 121))
    wait_for(lambda: victims[0] not in _worker_pids(gateway.process.pid)
             and len(_worker_pids(gateway.process.pid)) == 2, 60, 0.2, "a replacement worker")
    spool = tmp_path / "data" / "spool"
    wait_for(lambda: not any(any((spool / q).iterdir()) for q in ("incoming", "claimed")), 60, 0.2,
             "the killed worker's message to be recovered")
    assert "exited with code -9" in gateway.log_text()
    assert gateway.stop() == 0


@pytest.mark.slow
def test_postgresql_register_survives_kill_9_with_gapless_numbers(gateway_factory, postgres_url):
    import psycopg

    gateway = gateway_factory(database_url=postgres_url, workers=2)
    gateway.start()
    sender = Burst(gateway.port, 200, "pg")
    sender.start(CLIENTS)
    wait_for(lambda: sender.acked() >= 80, 240, what="80 acknowledged messages")
    gateway.kill9()
    gateway.start()
    sender.join()
    assert sender.acked() == 200
    plain_url = postgres_url.replace("postgresql+psycopg://", "postgresql://")

    def registered() -> list[tuple[str, int]]:
        with psycopg.connect(plain_url) as db:
            return db.execute(
                "SELECT m.message_id_header, d.arrival_number FROM documents d JOIN messages m ON m.id = d.message_id "
                "WHERE d.arrival_number IS NOT NULL"
            ).fetchall()

    wait_for(lambda: len(registered()) >= 200, 240, 0.5, "every message to be registered")
    rows = registered()
    assert len({message_id for message_id, _ in rows}) == len(rows) == 200
    assert sorted(number for _, number in rows) == list(range(1, 201))
    assert gateway.stop() == 0
