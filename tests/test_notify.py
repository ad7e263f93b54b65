"""sd_notify datagrams (path and abstract sockets), the watchdog interval and the spool progress watch."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from gateway.runtime.notify import Notifier, watchdog_interval
from gateway.runtime.progress import ProgressWatch, SpoolSnapshot


@pytest.fixture
def abstract_listener():
    name = f"gateway-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(10)
    yield "@" + name, sock
    sock.close()


def test_notifier_sends_lines_to_an_abstract_socket(abstract_listener):
    address, sock = abstract_listener
    notifier = Notifier.from_environ({"NOTIFY_SOCKET": address})
    assert notifier.enabled
    assert notifier.ready("2 worker(s)")
    lines = sock.recv(4096).decode().split("\n")
    assert lines[:2] == ["READY=1", "STATUS=2 worker(s)"]
    assert notifier.watchdog()
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert notifier.stopping("draining")
    assert sock.recv(4096).decode().split("\n") == ["STOPPING=1", "STATUS=draining"]
    notifier.close()


def test_notifier_sends_to_a_path_socket(tmp_path):
    path = f"/tmp/gw-notify-{uuid.uuid4().hex[:8]}.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        try:
            sock.settimeout(10)
            notifier = Notifier.from_environ({"NOTIFY_SOCKET": path})
            assert notifier.status("queue: incoming 3")
            assert sock.recv(4096) == b"STATUS=queue: incoming 3"
        finally:
            os.unlink(path)


def test_without_notify_socket_nothing_is_sent_and_nothing_fails():
    notifier = Notifier.from_environ({})
    assert not notifier.enabled
    assert notifier.ready("x") is False
    assert Notifier.from_environ({"NOTIFY_SOCKET": "relative"}).enabled is False


def test_notifier_survives_a_socket_that_went_away():
    notifier = Notifier.from_environ({"NOTIFY_SOCKET": f"@gateway-test-gone-{uuid.uuid4().hex}"})
    assert notifier.watchdog() is False


def test_watchdog_interval_is_half_of_watchdog_usec():
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None


def test_progress_watch_idle_is_healthy_and_a_stuck_oldest_file_is_not():
    watch = ProgressWatch(stall_timeout=10)
    assert watch.observe(SpoolSnapshot(None), 0)
    assert watch.observe(SpoolSnapshot(None), 1000)  # idle for ages: still healthy
    assert watch.observe(SpoolSnapshot("a.0.msg"), 1001)
    assert watch.observe(SpoolSnapshot("a.0.msg"), 1011)
    assert not watch.observe(SpoolSnapshot("a.0.msg"), 1012)  # nobody took it for more than 10 s
    assert watch.observe(SpoolSnapshot("b.0.msg"), 1013)  # it was claimed: moving again
    assert watch.observe(SpoolSnapshot("b.0.msg"), 1020)
    assert watch.observe(SpoolSnapshot(None), 1100)


def test_progress_watch_can_be_turned_off():
    watch = ProgressWatch(stall_timeout=0)
    assert watch.observe(SpoolSnapshot("a.0.msg"), 0)
    assert watch.observe(SpoolSnapshot("a.0.msg"), 10_000)
