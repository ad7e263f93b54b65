"""IMAP intake inside `gateway serve`: IDLE push, a broken account beside a working one, restarts and kill -9."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import wait_for
from imap_fixtures import Dovecot, append, dovecot, dovecot_server, folder_flags, make_message  # noqa: F401

SEEN = b"\\Seen"


def _count(gateway, sql: str) -> int:
    path = gateway.config_path.parent / "data" / "register.sqlite3"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
            return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # schema not created yet


def _status(gateway, account: str) -> dict:
    path = gateway.config_path.parent / "data" / "imap" / f"{account}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _all_seen(server, user, count: int) -> bool:
    flags = folder_flags(server, user)
    return len(flags) == count and all(SEEN in f for f in flags.values())


def test_idle_push_is_registered_and_a_broken_account_does_not_stop_the_other(dovecot, gateway_factory):  # noqa: F811
    user, _ = dovecot.add_user()
    extra = (dovecot.account_toml("vanthu", user, "poll_interval = 3600")
             + dovecot.account_toml("hopthu", "nobody@example.test", "poll_interval = 3600"))
    gateway = gateway_factory(workers=1, extra=extra)
    gateway.start()
    wait_for(lambda: _status(gateway, "vanthu").get("last_success"), 30, what="the first sync")
    time.sleep(0.5)  # let the poller enter IDLE; poll_interval is an hour, so only IDLE can bring the mail
    started = time.monotonic()
    append(dovecot, user, [make_message(1, "idle")])
    wait_for(lambda: _count(gateway, "select count(*) from documents") == 1, 20, 0.1, "the IDLE push to register")
    pushed_in = time.monotonic() - started
    wait_for(lambda: _all_seen(dovecot, user, 1), 20, 0.2, "\\Seen after registration")
    print(f"IDLE push registered in {pushed_in:.2f} s")
    assert pushed_in < 10, f"IDLE push took {pushed_in:.1f} s"
    assert "login refused" in _status(gateway, "hopthu").get("last_error", "")
    # `gateway status` shows both accounts: the working one's last success, the broken one's error.
    shown = subprocess.run([sys.executable, "-m", "gateway", "--config", str(gateway.config_path), "status", "--json"],
                           capture_output=True, text=True, timeout=60, check=True)
    accounts = {a["account"]: a for a in json.loads(shown.stdout)["imap_accounts"]}
    assert accounts["vanthu"]["last_success"] and not accounts["vanthu"]["last_error"]
    assert "login refused" in accounts["hopthu"]["last_error"] and not accounts["hopthu"]["last_success"]
    assert gateway.stop() == 0, gateway.log_text()
    broken = [line for line in gateway.log_text().splitlines() if "hopthu" in line and "ERROR" in line]
    assert len(broken) == 1, broken  # one clear line, then a long backoff: no tight loop


def test_a_dovecot_restart_during_idle_is_survived(gateway_factory):
    server = Dovecot()
    try:
        server.start()
        user, _ = server.add_user()
        gateway = gateway_factory(workers=1, extra=server.account_toml("vanthu", user, "poll_interval = 3600"))
        gateway.start()
        wait_for(lambda: _status(gateway, "vanthu").get("last_success"), 30, what="the first sync")
        first = _status(gateway, "vanthu")["last_success"]
        server.stop()
        wait_for(lambda: _status(gateway, "vanthu").get("last_error"), 30, what="the lost connection to be noticed")
        server.start()
        append(server, user, [make_message(1, "restart")])
        wait_for(lambda: _count(gateway, "select count(*) from documents") == 1, 60, 0.2,
                 "the message to arrive after the restart")
        wait_for(lambda: _all_seen(server, user, 1), 30, 0.2, "\\Seen after the restart")
        assert _status(gateway, "vanthu")["last_success"] >= first
        assert gateway.stop() == 0, gateway.log_text()
    finally:
        server.cleanup()


@pytest.mark.slow
def test_kill_9_mid_sync_registers_each_message_once_and_finishes_the_after_actions(dovecot, gateway_factory):  # noqa: F811
    user, _ = dovecot.add_user()
    total = 40
    append(dovecot, user, [make_message(n, "kill") for n in range(total)])
    gateway = gateway_factory(workers=1, extra=dovecot.account_toml("vanthu", user))
    gateway.start()
    wait_for(lambda: _count(gateway, "select count(*) from imap_ledger") > 0, 30, 0.02, "the first fetched message")
    gateway.kill9()
    assert _count(gateway, "select count(*) from imap_ledger where state = 'done'") < total, "too late to test"
    gateway.start()
    wait_for(lambda: _count(gateway, "select count(*) from imap_ledger where state = 'done'") >= total, 90, 0.2,
             "every after-action after the restart")
    wait_for(lambda: _all_seen(dovecot, user, total), 30, 0.2, "\\Seen on every message")
    assert gateway.stop() == 0, gateway.log_text()
    assert _count(gateway, "select count(*) from documents") == total
    assert _count(gateway, "select count(distinct arrival_number) from documents") == total
    assert _count(gateway, "select max(arrival_number) from documents") == total
