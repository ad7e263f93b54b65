"""A SIGTERM sent to the daemon's whole process group (systemd's default, timeout(1)) stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import free_port, port_open, wait_for


def test_group_sigterm_stops_the_daemon_and_its_workers(tmp_path) -> None:
    port = free_port()
    gateway = str(Path(sys.executable).with_name("gateway"))
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([gateway, "--data-dir", str(tmp_path / "data"), "--smtp-listen", f"127.0.0.1:{port}",
                             "serve", "--workers", "2"], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_for(lambda: port_open(port), what="the SMTP intake")
        text = lambda: (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")  # noqa: E731
        wait_for(lambda: text().count("ready") >= 3, what="both workers ready")
        os.killpg(proc.pid, signal.SIGTERM)  # the daemon and both workers get it, as under systemd
        assert proc.wait(timeout=30) == 0
        assert "gateway stopped" in text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
