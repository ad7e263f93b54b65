"""The systemd units in systemd/: systemd-analyze accepts them and they keep the settings the service relies on."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.core.config import Config

UNITS = Path(__file__).resolve().parent.parent / "systemd"
INSTALLED_GATEWAY = "/opt/gateway/venv/bin/gateway"


def _service() -> dict[str, list[str]]:
    """The [Service] section as key -> every value given (systemd allows repeated keys)."""
    values: dict[str, list[str]] = {}
    section = ""
    for line in (UNITS / "gateway.service").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def _gateway_script() -> Path:
    script = Path(sys.executable).parent / "gateway"
    if not script.exists():
        pytest.skip(f"no gateway console script beside {sys.executable} (install the package with pip -e)")
    return script


def test_systemd_analyze_verify_accepts_the_service(tmp_path):
    """Verified as a copy whose ExecStart names this venv's real script: /opt/gateway does not exist here."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    text = (UNITS / "gateway.service").read_text(encoding="utf-8")
    assert INSTALLED_GATEWAY in text
    unit = tmp_path / "gateway.service"
    unit.write_text(text.replace(INSTALLED_GATEWAY, str(_gateway_script())), encoding="utf-8")
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gateway.service" not in result.stderr, result.stderr  # no warnings about our unit either


def test_service_settings_match_the_daemon():
    service = _service()
    expected = {
        "Type": "notify", "NotifyAccess": "main", "Restart": "on-failure", "User": "gateway",
        "StateDirectory": "gateway", "ConfigurationDirectory": "gateway", "LogsDirectory": "gateway",
        "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "CAP_NET_BIND_SERVICE", "AmbientCapabilities": "CAP_NET_BIND_SERVICE",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6", "ExecReload": "/bin/kill -HUP $MAINPID",
    }
    for key, value in expected.items():
        assert service.get(key) == [value], key
    assert "@system-service" in service["SystemCallFilter"]
    assert service["ExecStart"] == [f"{INSTALLED_GATEWAY} --config /etc/gateway/gateway.toml serve"]
    assert service["MemoryMax"][0]
    assert int(service["WatchdogSec"][0]) > 0
    assert int(service["TimeoutStopSec"][0]) > Config().workers.drain_timeout


def test_tmpfiles_create_every_spool_queue_for_the_service_user():
    from gateway.spool import QUEUES

    lines = [line.split() for line in (UNITS / "gateway.tmpfiles.conf").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    paths = {fields[1] for fields in lines if fields[0] == "d" and fields[3:5] == ["gateway", "gateway"]}
    for queue in (*QUEUES, "tmp"):
        assert f"/var/lib/gateway/spool/{queue}" in paths
    sysusers = (UNITS / "gateway.sysusers.conf").read_text()
    assert any(line.split()[:2] == ["u", "gateway"] for line in sysusers.splitlines() if line.strip())


def test_systemd_analyze_security_rates_the_service_ok(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "gateway.service"
    unit.write_text((UNITS / "gateway.service").read_text().replace(INSTALLED_GATEWAY, str(_gateway_script())))
    result = subprocess.run([analyze, "security", "--offline=true", "--no-pager", str(unit)],
                            capture_output=True, text=True, timeout=60)
    if "offline" in result.stderr and result.returncode != 0:
        pytest.skip(f"this systemd-analyze has no --offline: {result.stderr.strip()}")
    overall = [line for line in result.stdout.splitlines() if "Overall exposure level" in line]
    assert overall, result.stdout + result.stderr
    score = float(overall[0].split(":")[1].split()[0])
    assert score <= 2.0, overall[0]
