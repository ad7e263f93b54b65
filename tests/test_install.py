"""The README's install on Debian, run as written: its shell block executed line by line under a temporary
prefix (/opt, /etc, /usr and /var moved there), with stand-ins only for what needs a real system (apt-get,
pip, systemd, the gateway user); then `serve` started as the installed unit starts it, and a message sent."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import textwrap
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import REPO

from gateway.ops.memory import DAEMON_MIB, WORKER_MIB

INSTALL_INTRO = "Install on Debian 12, as root, from a checkout of this repository:"
ROOTS = re.compile(r"(?<![\w./-])/(?=(?:opt|etc|usr|var)/)")
ALLOWED_WARNINGS = {"OCR", "xác thực người gửi", "ổ đĩa"}  # what the README says may WARN right after the install
FRESH_DEBIAN = ("opt", "etc/systemd/system", "usr/lib/sysusers.d", "usr/lib/tmpfiles.d", "var/lib")  # systemd's own


def readme_install_block() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    after = text.split(INSTALL_INTRO, 1)[1]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


def readme_doctor_lines() -> list[str]:
    """The check names the README lists, in its order ("`doctor` prints one line per check, in this order: …")."""
    text = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    sentence = text.split("`doctor` prints one line per check, in this order:", 1)[1].split(".", 1)[0]
    return re.findall(r"`([^`]+)`", sentence)


def under(prefix: Path, text: str) -> str:
    """``text`` with every absolute path below /opt, /etc, /usr or /var moved under ``prefix``."""
    return ROOTS.sub(f"{prefix}/", text)


def _shim(folder: Path, name: str, body: str = "") -> None:
    """An executable Python script ``name`` in ``folder`` that logs its call, then runs ``body``."""
    path = folder / name
    log = folder.parent / "calls.log"
    path.write_text(f"#!{sys.executable}\nimport os, shutil, sys\n"
                    f"open({str(log)!r}, 'a').write(' '.join([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + '\\n')\n"
                    + textwrap.dedent(body), encoding="utf-8")
    path.chmod(0o755)


def make_shims(folder: Path, prefix: Path) -> None:
    """Stand-ins for what a test cannot do to this machine; each logs how it was called to calls.log."""
    folder.mkdir()
    for name in ("apt-get", "systemd-sysusers", "systemctl"):
        _shim(folder, name)
    _shim(folder, "systemd-tmpfiles", f"""
        assert sys.argv[1] == "--create"
        for line in open(sys.argv[2]):
            fields = line.split()
            if fields and fields[0] == "d":
                os.makedirs({str(prefix)!r} + fields[1], mode=int(fields[2], 8), exist_ok=True)
    """)
    _shim(folder, "runuser", """
        assert sys.argv[1:4] == ["-u", "gateway", "--"], sys.argv
        os.execvp(sys.argv[4], sys.argv[4:])
    """)
    real_install = shutil.which("install")
    _shim(folder, "install", f"""
        args, skip = [], False
        for arg in sys.argv[1:]:  # no gateway user here: the owner and group go
            if skip:
                skip = False
            elif arg in ("-o", "-g"):
                skip = True
            else:
                args.append(arg)
        os.execv({real_install!r}, [{real_install!r}, *args])
    """)
    # pip install . puts this checkout's gateway into the venv: a script running it with the test's Python.
    (folder / "gateway.template").write_text(f'#!/bin/sh\nexec {sys.executable} -m gateway "$@"\n')
    _shim(folder, "pip.template", f"""
        assert sys.argv[1:] == ["install", "."] and os.path.isfile("pyproject.toml"), sys.argv
        target = os.path.join(os.path.dirname(sys.argv[0]), "gateway")
        shutil.copy({str(folder / "gateway.template")!r}, target)
        os.chmod(target, 0o755)
    """)
    real_python = shutil.which("python3")
    _shim(folder, "python3", f"""
        if sys.argv[1:3] != ["-m", "venv"]:
            os.execv({real_python!r}, [{real_python!r}, *sys.argv[1:]])
        os.makedirs(os.path.join(sys.argv[3], "bin"))
        shutil.copy({str(folder / "pip.template")!r}, os.path.join(sys.argv[3], "bin", "pip"))
    """)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unit_values(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, eq, value = line.partition("=")
        if eq and not line.startswith("#"):
            values[key.strip()] = value.strip()
    return values


@pytest.fixture
def installed(tmp_path):
    """The README's install block run under tmp_path/root; yields (prefix, its stdout, the shims' log)."""
    for tool in ("install", "python3", "bash"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    prefix = tmp_path / "root"
    for folder in FRESH_DEBIAN:
        (prefix / folder).mkdir(parents=True)
    make_shims(tmp_path / "shims", prefix)
    script = under(prefix, readme_install_block())
    env = {**os.environ, "PATH": f"{tmp_path / 'shims'}:{os.environ['PATH']}"}
    env.pop("NOTIFY_SOCKET", None)
    result = subprocess.run(["bash", "-e", "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    yield prefix, result.stdout, (tmp_path / "calls.log").read_text()


def test_the_readme_install_lays_out_the_files_and_doctor_says_what_the_readme_says(installed):
    prefix, out, calls = installed
    assert "systemctl enable --now gateway" in calls  # the block ran to its end
    unit = prefix / "etc/systemd/system/gateway.service"
    assert unit.read_bytes() == (REPO / "systemd/gateway.service").read_bytes()
    for conf in ("usr/lib/tmpfiles.d/gateway.conf", "usr/lib/sysusers.d/gateway.conf"):
        assert (prefix / conf).is_file(), conf
    rules = sorted(p.name for p in (prefix / "etc/gateway/rules").glob("*.toml"))
    assert rules and rules == sorted(p.name for p in (REPO / "rules").glob("*.toml"))
    config = (prefix / "etc/gateway/gateway.toml").read_text(encoding="utf-8")
    assert f'data_dir = "{prefix}/var/lib/gateway"' in config and 'rules_dir = "rules"' in config
    assert f"{prefix / 'etc/gateway/gateway.toml'}: hợp lệ (dữ liệu ở {prefix}/var/lib/gateway, luật định tuyến ở " \
           f"{prefix}/etc/gateway/rules)" in out
    dropin = unit_values(prefix / "etc/systemd/system/gateway.service.d/memory.conf")
    assert dropin["MemoryMax"] == f"{DAEMON_MIB + (os.cpu_count() or 1) * WORKER_MIB}M"  # count = 0: per CPU
    doctor = [m for m in map(re.compile(r"(ĐẠT|CẢNH BÁO|LỖI) +([^:]+): ").match, out.splitlines()) if m]
    assert [m[2] for m in doctor] == readme_doctor_lines()
    levels = {m[2]: m[1] for m in doctor}
    warned = {name for name, level in levels.items() if level != "ĐẠT"}
    assert "LỖI" not in levels.values() and warned <= ALLOWED_WARNINGS, doctor
    assert levels["cấu hình"] == levels["luật định tuyến"] == levels["cơ sở dữ liệu"] == levels["hàng đợi thư"] == "ĐẠT"


def test_the_installed_unit_starts_serve_from_its_working_directory_and_registers_mail(installed, tmp_path):
    prefix, _, _ = installed
    config_file = prefix / "etc/gateway/gateway.toml"
    smtp_port, web_port = free_port(), free_port()
    text = config_file.read_text(encoding="utf-8")  # the admin's own edits: ports free on this machine
    text = text.replace('listen = "127.0.0.1:2525"', f'listen = "127.0.0.1:{smtp_port}"')
    text = text.replace('listen = "127.0.0.1:8080"', f'listen = "127.0.0.1:{web_port}"')
    # The test mail is unsigned and this machine has no DNS for DKIM keys: the admin of a test box says so.
    config_file.write_text(text.replace('verify_dkim = "auto"', 'verify_dkim = "never"'))
    unit = unit_values(prefix / "etc/systemd/system/gateway.service")
    argv = shlex.split(under(prefix, unit["ExecStart"]))
    workdir = Path(under(prefix, unit["WorkingDirectory"]))
    assert argv[0] == str(prefix / "opt/gateway/venv/bin/gateway") and workdir.is_dir()
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(120)
    daemon = subprocess.Popen(argv, cwd=workdir, env={**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify")},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        while b"READY=1" not in notify.recv(4096):
            pass
        message = EmailMessage()
        message["From"] = "Văn thư UBND <vanthu@ubnd.example.gov.vn>"
        message["To"] = "vanthu@sct.example.gov.vn"  # the address the example configuration accepts
        message["Subject"] = "Công văn về kế hoạch phát triển công nghiệp"
        message.set_content("Kính gửi Sở Công Thương.")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
            smtp.send_message(message)
        gateway = [*argv[: argv.index("serve")]]
        deadline = time.monotonic() + 120
        while True:
            status = json.loads(subprocess.run([*gateway, "status", "--json"], capture_output=True, text=True,
                                               check=True, timeout=60).stdout)
            if status["documents_total"] == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status["documents_total"] == 1, status
        shown = json.loads(subprocess.run([*gateway, "show", "--json", "1"], capture_output=True, text=True,
                                          check=True, timeout=60).stdout)
        assert shown["routing"]["assignments"], shown["routing"]  # routed by the rules in /etc/gateway/rules
        assert (workdir / "rules-in-use" / "current").is_file()
    finally:
        daemon.send_signal(signal.SIGTERM)
        output = daemon.communicate(timeout=120)[0]
        notify.close()
    assert daemon.returncode == 0, output
