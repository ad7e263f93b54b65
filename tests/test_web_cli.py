"""`gateway user …` commands, `gateway web` on its own and the web UI inside `gateway serve`, over real HTTP."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import sqlite3
import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner
from conftest import REPO, free_port, port_open, wait_for, write_config

from gateway.cli import main

PASSWORD = "một mật khẩu dài"


@pytest.fixture
def cli(tmp_path):
    config = write_config(tmp_path, free_port())
    runner = CliRunner()

    def run(*args: str, code: int = 0, input: str | None = None):
        result = runner.invoke(main, ["--config", str(config), *args], input=input, catch_exceptions=False)
        assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
        return result

    run("db", "upgrade")
    db = sqlite3.connect(tmp_path / "data" / "register.sqlite3")
    db.execute("INSERT INTO departments (code, name, mailbox, active) VALUES ('KT', 'Phòng Kinh tế', '', 1)")
    db.commit()
    db.close()
    run.config = config
    return run


def test_user_add_list_token_and_passwd(cli) -> None:
    cli("user", "add", "vanthu", "--role", "van_thu", "--full-name", "Nguyễn Văn Thư", "--password-stdin",
        input=PASSWORD + "\n")
    cli("user", "add", "cv", "--role", "chuyen_vien", "--unit", "KT", "--password-stdin", input=PASSWORD + "\n")
    cli("user", "add", "eoffice", "--role", "lanh_dao", "--no-password")
    assert "cần --unit" in cli("user", "add", "x", "--role", "chuyen_vien", "--no-password", code=1).output
    assert "Không có đơn vị mã ZZ" in cli("user", "add", "y", "--role", "chuyen_vien", "--unit", "ZZ",
                                          "--no-password", code=1).output
    assert "Đã có người dùng cv" in cli("user", "add", "cv", "--role", "admin", "--no-password", code=1).output
    assert "ít nhất 8" in cli("user", "add", "z", "--role", "admin", "--password-stdin", input="short\n",
                              code=1).output
    token = cli("user", "token", "eoffice", "--label", "e-office").output.strip()
    assert re.fullmatch(r"gw_[A-Za-z0-9_-]{43}", token)
    users = [json.loads(line) for line in cli("user", "list", "--json").output.splitlines()]
    assert [(u["name"], u["role"], u["unit"], u["tokens"]) for u in users] == [
        ("cv", "chuyen_vien", "KT", 0), ("eoffice", "lanh_dao", "", 1), ("vanthu", "van_thu", "", 0)]
    assert "Nguyễn Văn Thư" in cli("user", "list").output
    cli("user", "passwd", "cv", "--password-stdin", input="mật khẩu mới rất dài\n")
    assert cli("user", "passwd", "nobody", "--password-stdin", input=PASSWORD + "\n", code=4)
    stored = sqlite3.connect(cli.config.parent / "data" / "register.sqlite3").execute(
        "SELECT password_hash FROM users WHERE name = 'vanthu'").fetchone()[0]
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    tokens = sqlite3.connect(cli.config.parent / "data" / "register.sqlite3").execute(
        "SELECT token_hash FROM api_tokens").fetchall()
    assert tokens and token not in {t[0] for t in tokens}


def test_user_disable_enable_delete_and_token_revoke_take_effect_at_once(cli, tmp_path) -> None:
    cli("user", "add", "vanthu", "--role", "van_thu", "--password-stdin", input=PASSWORD + "\n")
    cli("user", "add", "eoffice", "--role", "lanh_dao", "--no-password")
    first = cli("user", "token", "vanthu", "--label", "máy A").output.strip()
    second = cli("user", "token", "vanthu", "--label", "máy B").output.strip()
    system = cli("user", "token", "eoffice").output.strip()
    listed = {u["name"]: u for u in map(json.loads, cli("user", "list", "--json").output.splitlines())}
    first_id, second_id = listed["vanthu"]["token_ids"]
    assert f"#{first_id} #{second_id}" in cli("user", "list").output
    with _gateway_web(cli, tmp_path) as base:

        def me(token: str) -> int:
            return httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code

        browser = _login(base, "vanthu", PASSWORD)
        assert me(first) == me(second) == me(system) == 200 and browser.get("/").status_code == 200
        assert f"Đã thu hồi khoá API #{first_id} của vanthu" in cli("user", "token-revoke", str(first_id)).output
        assert me(first) == 401 and me(second) == 200
        assert "không có" in cli("user", "token-revoke", str(first_id), code=4).output.lower()
        assert "Đã khoá vanthu" in cli("user", "disable", "vanthu").output
        assert me(second) == 401 and browser.get("/").status_code == 303  # session and token stop at once
        assert "ĐÃ KHOÁ" in cli("user", "list").output
        cli("user", "enable", "vanthu")
        assert me(second) == 200 and browser.get("/").status_code == 303  # the token is back; the session is gone
        cli("user", "delete", "eoffice", "--yes")
        assert me(system) == 401
        assert "Không có người dùng eoffice" in cli("user", "disable", "eoffice", code=4).output
    events = sqlite3.connect(cli.config.parent / "data" / "register.sqlite3").execute(
        "SELECT action, actor FROM audit_events WHERE action LIKE 'user-%' OR action LIKE 'token-%' ORDER BY id"
    ).fetchall()
    assert [a for a, _ in events] == ["user-added", "user-added", "token-created", "token-created", "token-created",
                                      "token-revoked", "user-disabled", "user-enabled", "user-deleted"]
    assert all(actor and actor != "-" for _, actor in events)  # the operator running the command


@contextlib.contextmanager
def _gateway_web(cli, tmp_path):
    """`gateway web` running on its own over the CLI's config; yields its base URL, stops it with SIGTERM."""
    port = free_port()
    log = (tmp_path / "web.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "gateway", "--config", str(cli.config), "web", "--web-listen",
                                f"127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                               start_new_session=True)
    try:
        wait_for(lambda: port_open(port) or process.poll() is not None, 60, what="gateway web to listen")
        assert process.poll() is None, (tmp_path / "web.log").read_text()
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0


def _login(base: str, name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=10)
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"username": name, "password": password, "csrf": csrf, "next": "/register"})
    assert response.status_code == 303 and response.headers["location"] == "/register"
    return client


def test_gateway_web_serves_on_its_own(cli, tmp_path) -> None:
    cli("user", "add", "vanthu", "--role", "van_thu", "--password-stdin", input=PASSWORD + "\n")
    token = cli("user", "token", "vanthu").output.strip()
    with _gateway_web(cli, tmp_path) as base:
        assert httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["name"] == "vanthu"
        client = _login(base, "vanthu", PASSWORD)
        page = client.get("/register")
        assert page.status_code == 200 and "Sổ đăng ký văn bản đến" in page.text
        assert "server" not in page.headers


def test_gateway_serve_runs_the_web_ui_when_web_listen_is_set(gateway_factory, tmp_path) -> None:
    web_port = free_port()
    gateway = gateway_factory(workers=1, extra=f'\n[web]\nlisten = "127.0.0.1:{web_port}"\nsession_minutes = 5\n')
    gateway.start()
    wait_for(lambda: port_open(web_port), 30, what="web UI in gateway serve")
    assert httpx.get(f"http://127.0.0.1:{web_port}/", follow_redirects=False).status_code == 303
    assert httpx.get(f"http://127.0.0.1:{web_port}/api/v1/documents").status_code == 401
    assert gateway.stop() == 0
    assert not port_open(web_port)


def test_web_config_is_checked(tmp_path) -> None:
    runner = CliRunner()
    config = write_config(tmp_path, free_port(), extra='\n[web]\ntrusted_proxies = ["not-an-ip"]\nproxy_user_header = "X-User"\n')
    result = runner.invoke(main, ["--config", str(config), "config", "check"])
    assert result.exit_code == 3 and "web.trusted_proxies" in result.output
    config = write_config(tmp_path, free_port(), extra='\n[web]\nlisten = "nowhere"\n')
    result = runner.invoke(main, ["--config", str(config), "config", "check"])
    assert result.exit_code == 3 and "web.listen" in result.output
    config = write_config(tmp_path, free_port(), extra='\n[web]\nsecret_roles = ["chief"]\n')
    assert "không có vai trò" in runner.invoke(main, ["--config", str(config), "config", "check"]).output

