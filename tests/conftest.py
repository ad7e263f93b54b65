"""Shared fixtures: free ports, gateway config files, a real `gateway serve` subprocess, throwaway PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("GATEWAY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"):
    """Poll `condition()` until it returns a true value; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def write_config(directory: Path, port: int, database_url: str = "", workers: int = 2, extra: str = "",
                 data_dir: Path | None = None, workers_extra: str = "", paths_extra: str = "",
                 database_extra: str = "") -> Path:
    """A gateway.toml for tests: data under `directory`, SMTP on 127.0.0.1:`port`.

    Test mail comes from made-up domains, unsigned, so senders are accepted and DKIM is not checked unless
    `extra` brings its own [trust]. The intake takes the gateway's own addresses, not a whole domain (the
    departments' mailboxes of sct.example.gov.vn are forwarded to).
    """
    path = directory / "gateway.toml"
    if "[trust]" not in extra:
        extra = f'{extra}\n[trust]\nother_action = "accept"\nverify_dkim = "never"\n'

    path.write_text(
        f"""
[paths]
data_dir = "{data_dir or directory / 'data'}"
{paths_extra}

[database]
url = "{database_url}"
{database_extra}

[smtp]
listen = "127.0.0.1:{port}"
accept_recipients = ["vanthu@localhost", "vanthu@sct.example.gov.vn"]

[workers]
count = {workers}
poll_interval = 0.05
{workers_extra}
{extra}
""",
        encoding="utf-8",
    )
    return path


class GatewayProcess:
    """`gateway serve` as a real subprocess, started and killed by tests."""

    def __init__(self, config_path: Path, port: int, log_path: Path) -> None:
        self.config_path = config_path
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0, env: dict[str, str] | None = None) -> None:
        """Start `gateway serve` (with `env` added to the environment) and wait until it listens."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "--config", str(self.config_path), "serve"],
            stdout=log, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        log.close()
        wait_for(lambda: self._alive() and port_open(self.port), timeout, what="gateway to listen")

    def _alive(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gateway exited with {self.process.returncode}:\n{self.log_path.read_text()}")
        return True

    def kill9(self) -> None:
        """SIGKILL the daemon (its workers die with it, as in a systemd unit)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> int:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return self.process.returncode if self.process else 0

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def gateway_factory(tmp_path):
    """Builds GatewayProcess objects; every one still running at the end of the test is stopped."""
    started: list[GatewayProcess] = []

    def make(database_url: str = "", workers: int = 2, extra: str = "", **options) -> GatewayProcess:
        port = free_port()
        config = write_config(tmp_path, port, database_url, workers, extra, **options)
        gateway = GatewayProcess(config, port, tmp_path / f"gateway-{len(started)}.log")
        started.append(gateway)
        return gateway

    yield make
    for gateway in started:
        if gateway.process and gateway.process.poll() is None:
            os.killpg(gateway.process.pid, signal.SIGKILL)
            gateway.process.wait(10)


def _pg_admin_connection():
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


@pytest.fixture
def postgres_url():
    """URL of a fresh PostgreSQL database dropped after the test; skipped (with the reason) if no server answers."""
    try:
        admin = _pg_admin_connection()
    except Exception as err:  # noqa: BLE001 - any failure to connect means "no server here"
        pytest.skip(f"no PostgreSQL server answers at {PG_ADMIN_URL}: {err}")
    name = f"gateway_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with _pg_admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
