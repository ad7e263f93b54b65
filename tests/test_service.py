"""`gateway serve` under a fake systemd: READY/STATUS/WATCHDOG/STOPPING on a real NOTIFY_SOCKET, drain, reload."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest
from burst import Burst, official_message, send
from conftest import port_open, wait_for


class FakeSystemd:
    """A datagram socket standing in for systemd's notify socket; records each line with the time it came."""

    def __init__(self, port_to_probe: int) -> None:
        self.name = f"gateway-test-{uuid.uuid4().hex}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name)
        self.sock.settimeout(0.2)
        self.port = port_to_probe
        self.lines: list[tuple[float, str]] = []
        self.port_open_at_ready: bool | None = None
        self._lock = threading.Lock()
        self._running = True
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def env(self, watchdog_usec: int = 1_000_000) -> dict[str, str]:
        return {"NOTIFY_SOCKET": "@" + self.name, "WATCHDOG_USEC": str(watchdog_usec)}

    def _receive(self) -> None:
        while self._running:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            lines = data.decode("utf-8").split("\n")
            if "READY=1" in lines and self.port_open_at_ready is None:
                self.port_open_at_ready = port_open(self.port)  # probed the moment READY=1 arrives
            with self._lock:
                self.lines.extend((time.monotonic(), line) for line in lines)

    def seen(self, prefix: str) -> list[tuple[float, str]]:
        with self._lock:
            return [(at, line) for at, line in self.lines if line.startswith(prefix)]

    def close(self) -> None:
        self._running = False
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def systemd_for():
    made: list[FakeSystemd] = []

    def make(port: int) -> FakeSystemd:
        made.append(FakeSystemd(port))
        return made[-1]

    yield make
    for fake in made:
        fake.close()


def _send(port: int, number: int) -> None:
    send(port, official_message(number, "service")[1])


def _registered(data_dir: Path) -> list[tuple[str, int]]:
    database = data_dir / "register.sqlite3"
    if not database.exists():
        return []
    with sqlite3.connect(database, timeout=30) as conn:
        return conn.execute(
            "SELECT m.message_id_header, d.arrival_number FROM messages m JOIN documents d ON d.message_id = m.id "
            "WHERE d.arrival_number IS NOT NULL"
        ).fetchall()


def _worker_pids(pid: int) -> list[int]:
    """The daemon's worker processes (its children, without multiprocessing's resource tracker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children
            if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()]


def test_ready_after_listening_then_status_watchdog_and_stopping(gateway_factory, systemd_for):
    gateway = gateway_factory(workers=1)
    fake = systemd_for(gateway.port)
    gateway.start(env=fake.env(watchdog_usec=1_000_000))
    wait_for(lambda: fake.seen("READY=1"), 60, what="READY=1")
    assert fake.port_open_at_ready is True, "READY=1 came before the SMTP port accepted connections"
    ready_at = fake.seen("READY=1")[0][0]
    assert any("incoming 0" in line for _, line in fake.seen("STATUS="))
    wait_for(lambda: len(fake.seen("WATCHDOG=1")) >= 3, 30, what="three watchdog pings")
    assert all(at >= ready_at for at, _ in fake.seen("WATCHDOG=1"))
    wait_for(lambda: len(fake.seen("STATUS=")) >= 2, 30, what="a periodic STATUS line")
    assert all("claimed" in line and "bad" in line for _, line in fake.seen("STATUS="))
    assert gateway.stop() == 0
    wait_for(lambda: fake.seen("STOPPING=1"), 10, what="STOPPING=1")


def test_watchdog_pings_stop_while_mail_waits_unclaimed_and_resume_when_it_moves(gateway_factory, systemd_for,
                                                                                   tmp_path):
    gateway = gateway_factory(workers=1, extra="stall_timeout = 2")
    fake = systemd_for(gateway.port)
    gateway.start(env=fake.env(watchdog_usec=1_000_000))
    wait_for(lambda: len(fake.seen("WATCHDOG=1")) >= 2, 30, what="watchdog pings while idle")
    workers = wait_for(lambda: _worker_pids(gateway.process.pid), 30, what="the worker process")
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)  # a worker hung for good
    try:
        _send(gateway.port, 1)
        wait_for(lambda: time.monotonic() - fake.seen("WATCHDOG=1")[-1][0] > 3.0, 30,
                 what="watchdog pings to stop while mail waits")
        assert "spool stalled" in gateway.log_text()
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
    resumed = time.monotonic()
    wait_for(lambda: len(_registered(tmp_path / "data")) == 1, 60, what="the message to be registered")
    wait_for(lambda: fake.seen("WATCHDOG=1")[-1][0] > resumed, 30, what="watchdog pings to resume")
    assert gateway.stop() == 0


def test_sigterm_drains_and_a_restart_registers_everything_once(gateway_factory, systemd_for, tmp_path):
    gateway = gateway_factory(workers=2)
    fake = systemd_for(gateway.port)
    gateway.start(env=fake.env())
    burst = Burst(gateway.port, 120, "service")
    burst.start(4)
    wait_for(lambda: burst.acked() >= 40, 120, what="40 acknowledged messages")
    assert gateway.stop() == 0
    assert fake.seen("STOPPING=1")
    log = gateway.log_text()
    assert "drained:" in log and "did not finish" not in log
    assert not list((tmp_path / "data" / "spool" / "claimed").iterdir()), "a worker left a message claimed"
    gateway.start(env=fake.env())
    burst.join(240)
    assert burst.acked() == burst.count
    wait_for(lambda: len(_registered(tmp_path / "data")) == burst.count, 240, what="every message registered")
    rows = _registered(tmp_path / "data")
    assert sorted(number for _, number in rows) == list(range(1, burst.count + 1))
    assert sorted(mid for mid, _ in rows) == sorted(f"service-{n}@ubnd.example.gov.vn" for n in range(1, 121))
    assert gateway.stop() == 0


def test_sighup_rereads_the_logging_level_and_survives_a_broken_file(gateway_factory, systemd_for):
    gateway = gateway_factory(workers=1)
    fake = systemd_for(gateway.port)
    gateway.start(env=fake.env())
    wait_for(lambda: fake.seen("READY=1"), 60, what="READY=1")
    original = gateway.config_path.read_text(encoding="utf-8")
    gateway.config_path.write_text(original + '\n[logging]\nlevel = "DEBUG"\n', encoding="utf-8")
    gateway.process.send_signal(signal.SIGHUP)
    wait_for(lambda: "logging.level is DEBUG" in gateway.log_text(), 30, what="the reload to be logged")
    wait_for(lambda: fake.seen("RELOADING=1") and len(fake.seen("READY=1")) >= 2, 10, what="RELOADING then READY")
    gateway.config_path.write_text(original + "\n[logging]\nlevel = 7\n", encoding="utf-8")
    gateway.process.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload failed" in gateway.log_text(), 30, what="the failed reload to be logged")
    assert gateway.process.poll() is None
    assert port_open(gateway.port)
    assert gateway.stop() == 0
