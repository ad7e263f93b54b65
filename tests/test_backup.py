"""`gateway backup` / `gateway restore`: a round trip on SQLite and PostgreSQL, checksums, refusals."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import _pg_admin_connection, write_config
from docgen import make_message, make_pdf

from gateway.cli import main
from gateway.core.config import load_config
from gateway.core.values import Envelope
from gateway.register.service import Register
from gateway.routing.router import Router
from gateway.spool import QUEUES, Spool, deferral, quarantine

PASSWORD = "mật-khẩu-đủ-dài-1"


def _eml(path: Path, number: int, subject: str) -> Path:
    pdf = make_pdf([f"Kế hoạch số {number} về chuyển đổi số"])
    path.write_bytes(make_message(subject, f"Nội dung {number}.", [(f"Kế hoạch {number}.pdf", pdf, "application/pdf")],
                                  sender=f"Văn thư <vt{number}@ubnd.example.gov.vn>", to="vanthu@localhost",
                                  message_id=f"<backup-{number}@ubnd.example.gov.vn>"))
    return path


def _runner(config: Path):
    def run(*args: str, code: int = 0):
        result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
        return result

    return run


RULES = """
[[department]]
code = "VT"
name = "Văn thư"

[fallback]
lead = "VT"
due_days = 2
"""


def _setup(folder: Path, database_url: str, blobs: str = "filesystem") -> Path:
    """A config with routing rules (so a rules snapshot exists), data under ``folder``/data."""
    rules = folder / "rules"
    rules.mkdir(parents=True)
    (rules / "10-units.toml").write_text(RULES, encoding="utf-8")
    return write_config(folder, 2525, database_url, extra=f'[routing]\nrules_dir = "{rules}"\n',
                        database_extra=f'blobs = "{blobs}"')


def _fill(run, folder: Path, config_path: Path) -> dict[str, str]:
    """Two registered documents, a message in every spool queue, a user with a token, the rules in use and an
    IMAP state file; returns the user's password and token."""
    run("import", str(_eml(folder / "1.eml", 1, "Kế hoạch chuyển đổi số")), str(_eml(folder / "2.eml", 2, "Báo cáo")))
    config = load_config(config_path)
    spool = Spool(config.spool_dir)
    ids = [spool.put(f"Subject: {queue}\r\n\r\nbody\r\n".encode(), Envelope(
        source="smtp", received_at=dt.datetime.now(dt.timezone.utc), mail_from=f"{queue}@b.example",
        rcpt_tos=("vanthu@localhost",))) for queue in ("incoming", "claimed", "bad", "quarantine", "deferred", "auto")]
    for spool_id in ids[1:]:
        spool.claim(spool_id)  # held by this (living) process, as by a worker in the middle of its work
    spool.fail(ids[2], "unreadable on purpose", "", permanent=True)
    quarantine.hold(spool, ids[3], "người gửi không được phép", {"sender": "quarantine@b.example"})
    deferral.defer(spool, ids[4], "RegisterUnavailable: the database restarts", deferral.RetryPolicy())
    quarantine.hold(spool, ids[5], "thư tự động: Auto-Submitted: auto-replied", {"kind": "auto-reply"},
                    queue=quarantine.AUTO)
    register = Register(config)
    try:
        Router.from_config(config).publish()  # what `serve` does at start: <data_dir>/rules-in-use
        register.accounts.add_user("vanthu", "van_thu", PASSWORD, full_name="Văn thư")
        token = register.accounts.new_token("vanthu", "e-office")
    finally:
        register.close()
    (config.data_dir / "imap").mkdir()
    (config.data_dir / "imap" / "vanthu.json").write_text('{"last_success": "2026-01-01T00:00:00+00:00"}')
    return {"token": token}


def _state(run, config_path: Path) -> dict:
    """Everything a restore must bring back, as the commands show it."""
    state = {queue: json.loads(run("spool", "list", queue, "--json").stdout) for queue in QUEUES}
    state["quarantine list"] = json.loads(run("quarantine", "list", "--json").stdout)
    hits = json.loads(run("search", "--json", "--limit", "1000").stdout)
    state["search"] = hits
    state["documents"] = [json.loads(run("show", "--json", str(hit["document_id"])).stdout) for hit in hits["hits"]]
    state["users"] = run("user", "list", "--json").stdout
    state["audit"] = run("audit", "verify").stdout
    status = json.loads(run("status", "--json").stdout)
    state["status"] = {key: status[key] for key in ("documents_total", "messages", "registers")}
    config = load_config(config_path)
    skip = (config.spool_dir, config.blob_dir)
    state["other files"] = {
        path.relative_to(config.data_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in config.data_dir.rglob("*")
        if path.is_file() and not any(path.is_relative_to(s) for s in skip)
        and not path.name.startswith("register.sqlite3")}
    return state


def _blobs(config_path: Path) -> dict[str, bytes]:
    register = Register(load_config(config_path))
    try:
        return {sha: register.blobs.get(sha) for sha in register.blobs.shas()}
    finally:
        register.close()


def _round_trip(tmp_path: Path, source_url: str = "", target_url: str = "", blobs: str = "filesystem") -> None:
    first = _runner(_setup(tmp_path / "a", source_url, blobs))
    secrets = _fill(first, tmp_path, tmp_path / "a" / "gateway.toml")
    before = _state(first, tmp_path / "a" / "gateway.toml")
    assert all(before[queue] for queue in QUEUES) and before["quarantine list"]
    assert before["search"]["total"] == 2 and "rules-in-use/current" in before["other files"]
    stored = _blobs(tmp_path / "a" / "gateway.toml")
    assert len(stored) >= 4  # two messages, two PDFs
    first("backup", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert any(name.startswith("blobs/") for name in manifest["files"]) == (blobs == "filesystem")

    second = _runner(_setup(tmp_path / "b", target_url, blobs))
    second("restore", str(tmp_path / "backup"))
    after = _state(second, tmp_path / "b" / "gateway.toml")
    # What a worker held at the time of the backup waits in incoming/, as a restart would put it.
    waiting = sorted(before["incoming"] + [{**entry, "queue": "incoming"} for entry in before["claimed"]],
                     key=lambda entry: entry["spool_id"])
    assert after["incoming"] == waiting and after["claimed"] == []
    for key in before:
        if key not in ("incoming", "claimed"):
            assert after[key] == before[key], key
    assert after["audit"].startswith("Kiểm tra nhật ký: tốt")
    assert _blobs(tmp_path / "b" / "gateway.toml") == stored
    hits = json.loads(second("search", "--json", "chuyen doi so").stdout)
    assert hits["total"] == 2  # the subject of one, the PDF text of both
    register = Register(load_config(tmp_path / "b" / "gateway.toml"))
    try:  # users and tokens live in the database: they came back with it
        assert register.accounts.authenticate("vanthu", PASSWORD).name == "vanthu"
        assert register.accounts.token_principal(secrets["token"]).name == "vanthu"
    finally:
        register.close()


def test_sqlite_round_trip_then_show_and_search_work(tmp_path):
    _round_trip(tmp_path)


def test_restore_refuses_a_damaged_backup_and_a_non_empty_data_dir(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _runner(_setup(tmp_path / "a", ""))
    _fill(first, tmp_path, tmp_path / "a" / "gateway.toml")
    first("backup", str(tmp_path / "backup"))
    assert "không trống: hãy sao lưu vào một thư mục mới" in first("backup", str(tmp_path / "backup"), code=1).output
    assert "không trống: chỉ phục hồi vào thư mục dữ liệu trống" in first("restore", str(tmp_path / "backup"),
                                                                        code=1).output  # a's own data dir

    blob = next(p for p in (tmp_path / "backup" / "blobs").rglob("*") if p.is_file())
    original = blob.read_bytes()
    blob.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    second = _runner(write_config(tmp_path / "b", 2525))
    result = second("restore", str(tmp_path / "backup"), code=1)
    assert "tổng kiểm không khớp, bản sao lưu đã hỏng" in result.output
    assert not (tmp_path / "b" / "data").exists() or not any((tmp_path / "b" / "data").iterdir())
    blob.write_bytes(original)
    (tmp_path / "backup" / "stray.txt").write_text("x")
    assert "not in the manifest" in second("restore", str(tmp_path / "backup"), code=1).output


@pytest.fixture
def second_postgres_url(postgres_url):
    """A second empty database beside postgres_url, dropped after the test."""
    name = f"gateway_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with _pg_admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgresql_round_trip_with_pg_dump(tmp_path, postgres_url, second_postgres_url):
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian: postgresql-client)")
    _round_trip(tmp_path, postgres_url, second_postgres_url)


def test_postgresql_round_trip_with_the_blobs_in_the_database(tmp_path, postgres_url, second_postgres_url):
    """The messages and files live in the database: the dump carries them, the blobs/ folder stays empty."""
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian: postgresql-client)")
    _round_trip(tmp_path, postgres_url, second_postgres_url, blobs="database")
    assert not any(p.is_file() for p in (tmp_path / "a" / "data" / "blobs").rglob("*"))


def test_a_message_moving_while_the_spool_is_copied_is_kept_once_in_its_newer_place(tmp_path, monkeypatch):
    """A worker claims and fails messages while the copy runs: nothing is left out, nothing is copied twice."""
    import gateway.spool.backup as spool_backup

    spool = Spool(tmp_path / "spool", max_attempts=3)
    spool.ensure()
    envelope = Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc), mail_from="a@b.example")
    first, second = (spool.put(f"Subject: {n}\r\n\r\nx\r\n".encode(), envelope) for n in (1, 2))
    real_copy = shutil.copy2
    moved = []

    def copy_then_work(source, destination):
        real_copy(source, destination)
        if not moved:  # right after the first message was copied from incoming/: a worker takes both
            moved.append(True)
            spool.claim(first)
            spool.fail(first, "broken", "", permanent=True)  # first: incoming/ -> bad/, already copied
            spool.claim(second)  # second: incoming/ -> claimed/, not copied yet

    monkeypatch.setattr(spool_backup.shutil, "copy2", copy_then_work)
    assert spool_backup.copy_spool(spool.root, tmp_path / "copy") == 2
    copied = sorted(p.relative_to(tmp_path / "copy").as_posix() for p in (tmp_path / "copy").rglob("*") if p.is_file())
    assert copied == [f"bad/{first}.msg", f"bad/{first}.reason.txt", f"incoming/{second}.0.msg"]
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == sorted(set(QUEUES) - {"claimed"})
