"""The configuration as an install meets it: paths relative to the file's folder, every problem reported at
once by `config check` (with what `serve` needs: data folder, rules, TLS and secret files), exit code 3."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO

from gateway.cli import main
from gateway.core.config import load_config
from gateway.core.errors import ConfigError


def _check(config: Path, *options: str):
    return CliRunner().invoke(main, ["--config", str(config), *options, "config", "check"])


def test_relative_paths_in_the_file_mean_its_folder_and_options_the_working_directory(tmp_path, monkeypatch):
    etc = tmp_path / "etc" / "gateway"
    etc.mkdir(parents=True)
    (etc / "gateway.toml").write_text(
        '[paths]\ndata_dir = "../../var/gateway"\n[database]\nurl = "sqlite:///db/register.sqlite3"\n'
        '[routing]\nrules_dir = "rules"\ncalendar_file = "lich.toml"\n'
        '[understand]\ntrust_anchors = ["roots/bcy.pem", "/srv/roots/other.pem"]\n', encoding="utf-8")
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    config = load_config(etc / "gateway.toml")
    assert config.data_dir == tmp_path / "var" / "gateway"
    assert config.database_url == f"sqlite:///{etc / 'db' / 'register.sqlite3'}"
    assert (config.routing.rules_dir, config.routing.calendar_file) == (str(etc / "rules"), str(etc / "lich.toml"))
    assert config.understand.trust_anchors == (str(etc / "roots" / "bcy.pem"), "/srv/roots/other.pem")
    overridden = load_config(etc / "gateway.toml", {"paths.data_dir": "here", "routing.rules_dir": "my-rules"})
    assert overridden.data_dir == elsewhere / "here" and overridden.routing.rules_dir == str(elsewhere / "my-rules")
    memory = load_config(etc / "gateway.toml", {"database.url": "sqlite:///:memory:"})
    assert memory.database_url == "sqlite:///:memory:"


def test_every_problem_of_the_file_is_reported_at_once(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[smtp]\nlisten = 25\nmax_recipients = "many"\ncolour = "red"\n[workers]\ncount = -1\n'
                   '[web]\nsecret_roles = ["boss"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert len(caught.value.problems) == 5 and all(p.startswith(f"{bad}: ") for p in caught.value.problems)
    result = _check(bad)
    assert result.exit_code == 3
    for needle in ("smtp.listen phải là một chuỗi, không phải 25", "smtp.max_recipients phải là số nguyên",
                   "không có khoá smtp.colour", "workers.count phải là từ 0 trở lên",
                   "web.secret_roles: không có vai trò 'boss'"):
        assert needle in result.output, result.output


def test_config_check_also_checks_what_serve_needs_and_names_every_path(tmp_path):
    (tmp_path / "not-a-folder").write_text("x")
    (tmp_path / "cert.pem").write_text("not a certificate")
    (tmp_path / "key.pem").write_text("not a key")
    config = tmp_path / "gateway.toml"
    config.write_text('[paths]\ndata_dir = "not-a-folder/data"\n[routing]\nrules_dir = "rules"\n'
                      'calendar_file = "lich.toml"\n[smtp]\ntls_cert = "cert.pem"\ntls_key = "key.pem"\n'
                      '[outbox]\npassword_file = "relay.password"\n', encoding="utf-8")
    result = _check(config)
    assert result.exit_code == 3, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 5, result.output
    not_a_folder = tmp_path / "not-a-folder"
    assert f"paths.data_dir: không tạo được {not_a_folder / 'data'}: {not_a_folder} không phải thư mục" in lines[0]
    assert f"routing.rules_dir: {tmp_path / 'rules'}: không có thư mục luật này" in lines[1]
    assert f"routing.calendar_file: {tmp_path / 'lich.toml'}: cannot read" in lines[2]
    assert f"không nạp được {tmp_path / 'cert.pem'}" in lines[3]
    assert f"outbox.password_file: không đọc được {tmp_path / 'relay.password'}" in lines[4]
    assert "5 lỗi trong cấu hình" in result.stderr

    config.write_text('[paths]\ndata_dir = "data"\n[outbox]\npassword_file = "relay.password"\n', encoding="utf-8")
    (tmp_path / "relay.password").write_text("secret\n")
    result = _check(config)
    assert result.exit_code == 0 and f"hợp lệ (dữ liệu ở {tmp_path / 'data'}, không phân phối" in result.output
    assert not (tmp_path / "data").exists()  # checking creates nothing


def test_doctor_fails_the_config_line_for_what_serve_needs(tmp_path):
    (tmp_path / "not-a-folder").write_text("x")
    config = tmp_path / "gateway.toml"
    config.write_text('[paths]\ndata_dir = "not-a-folder/data"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "doctor"])
    assert result.exit_code == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith("LỖI       cấu hình:") and "không phải thư mục" in first


def test_serve_without_its_rules_folder_exits_3_naming_the_path_it_tried(tmp_path):
    config = tmp_path / "etc" / "gateway.toml"
    config.parent.mkdir()
    config.write_text('[paths]\ndata_dir = "data"\n[smtp]\nlisten = "127.0.0.1:0"\n[routing]\nrules_dir = "rules"\n',
                      encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), "serve"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 3, result.stderr
    assert f"{tmp_path / 'etc' / 'rules'}: không có thư mục luật này" in result.stderr
    assert not (tmp_path / "etc" / "data").exists()  # stopped before it created or started anything


def test_numbering_wait_must_outlast_the_heartbeat(tmp_path):
    """Otherwise a live host would look silent between two heartbeats and the others would number past it."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[host]\nheartbeat_interval = 10\nnumbering_wait = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert [p for p in caught.value.problems if "host.numbering_wait must be longer" in p]
