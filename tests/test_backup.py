"""`gateway backup` / `gateway restore`: a round trip on SQLite and PostgreSQL, checksums, refusals."""

from __future__ import annotations

import datetime as dt
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
from gateway.spool import Spool


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


def _fill(run, folder: Path, config_path: Path) -> str:
    """Import two messages and leave a third waiting in incoming/; returns the waiting spool id."""
    run("import", str(_eml(folder / "1.eml", 1, "Kế hoạch chuyển đổi số")), str(_eml(folder / "2.eml", 2, "Báo cáo")))
    config = load_config(config_path)
    return Spool(config.spool_dir).put(b"Subject: waiting\r\n\r\nbody\r\n", Envelope(
        source="smtp", received_at=dt.datetime.now(dt.timezone.utc), mail_from="a@b.c", rcpt_tos=("vanthu@localhost",)))


def _round_trip(tmp_path: Path, source_url: str = "", target_url: str = "") -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _runner(write_config(tmp_path / "a", 2525, source_url))
    waiting = _fill(first, tmp_path, tmp_path / "a" / "gateway.toml")
    first("backup", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert any(name.startswith("blobs/") for name in manifest["files"])

    second = _runner(write_config(tmp_path / "b", 2525, target_url))
    second("restore", str(tmp_path / "backup"))
    hits = json.loads(second("search", "--json", "chuyen doi so").stdout)
    assert hits["total"] == 2  # the subject of one, the PDF text of both
    shown = json.loads(second("show", "--json", str(hits["hits"][0]["document_id"])).stdout)
    assert shown["message"]["message_id"].startswith("backup-")
    restored = load_config(tmp_path / "b" / "gateway.toml")
    assert [entry.spool_id for entry in Spool(restored.spool_dir).list("incoming")] == [waiting]
    for entry in manifest["files"]:
        if entry.startswith("blobs/"):
            assert (restored.data_dir / entry).is_file()
    assert json.loads(second("status", "--json").stdout)["documents_total"] == 2


def test_sqlite_round_trip_then_show_and_search_work(tmp_path):
    _round_trip(tmp_path)


def test_restore_refuses_a_damaged_backup_and_a_non_empty_data_dir(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _runner(write_config(tmp_path / "a", 2525))
    _fill(first, tmp_path, tmp_path / "a" / "gateway.toml")
    first("backup", str(tmp_path / "backup"))
    assert "not empty" in first("backup", str(tmp_path / "backup"), code=1).output
    assert "not empty" in first("restore", str(tmp_path / "backup"), code=1).output  # a's own data dir

    blob = next(p for p in (tmp_path / "backup" / "blobs").rglob("*") if p.is_file())
    original = blob.read_bytes()
    blob.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    second = _runner(write_config(tmp_path / "b", 2525))
    result = second("restore", str(tmp_path / "backup"), code=1)
    assert "checksum mismatch" in result.output
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
