"""Operator commands: `gateway status` and `gateway doctor`."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_config
from docgen import make_message

from gateway.cli import main


def _eml(path: Path, number: int, subject: str) -> Path:
    path.write_bytes(make_message(subject, f"Nội dung {number}.", sender=f"Văn thư <vt{number}@ubnd.example.gov.vn>",
                                  to="vanthu@localhost", message_id=f"<ops-{number}@ubnd.example.gov.vn>"))
    return path


def doctor_lines(output: str) -> dict[str, tuple[str, str]]:
    """`gateway doctor`'s lines by check name: (level, detail)."""
    found = [re.match(r"(ĐẠT|CẢNH BÁO|LỖI) +([^:]+): (.*)", line) for line in output.splitlines()]
    return {m[2]: (m[1], m[3]) for m in found if m}


@pytest.fixture
def cli(tmp_path):
    config = write_config(tmp_path, 2525)

    def run(*args: str, code: int = 0, env: dict[str, str] | None = None):
        result = CliRunner().invoke(main, ["--config", str(config), *args], env=env, catch_exceptions=False)
        assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
        return result

    return run


def test_status_counts_queues_today_and_registers(cli, tmp_path):
    cli("import", str(_eml(tmp_path / "a.eml", 1, "Công văn một")), str(_eml(tmp_path / "b.eml", 2, "Công văn hai")))
    from gateway.core.config import load_config
    from gateway.core.values import Envelope
    from gateway.spool import Spool

    config = load_config(tmp_path / "gateway.toml")
    waiting = Spool(config.spool_dir).put(b"Subject: waiting\r\n\r\nbody\r\n", Envelope(
        mail_from="a@b.c", rcpt_tos=("vanthu@localhost",), received_at=dt.datetime.now(dt.timezone.utc),
        source="smtp", peer="127.0.0.1", helo="x"))
    report = json.loads(cli("status", "--json").stdout)
    assert report["queues"] == {"incoming": 1, "claimed": 0, "deferred": 0, "bad": 0, "quarantine": 0, "auto": 0}
    assert report["oldest_waiting"]["spool_id"] == waiting
    assert 0 <= report["oldest_waiting"]["age_seconds"] < 600
    assert report["registered_today"] == 2 and report["documents_total"] == 2
    assert report["registers"][0]["register"] == "den" and report["registers"][0]["last_number"] == 2
    assert dt.datetime.fromisoformat(report["last_registered_at"]) <= dt.datetime.now(dt.timezone.utc)
    text = cli("status").stdout
    assert "incoming/ 1" in text and "2 văn bản vào sổ" in text and "số đến cuối 2" in text


def test_doctor_passes_on_a_working_installation(cli, tmp_path):
    cli("import", str(_eml(tmp_path / "a.eml", 1, "Công văn")))
    output = cli("doctor").stdout
    lines = doctor_lines(output)
    assert list(lines) == ["cấu hình", "cơ sở dữ liệu", "hàng đợi thư", "luật định tuyến", "ổ đĩa", "antiword", "OCR",
                           "đồng hồ", "xác thực người gửi"]
    assert lines["xác thực người gửi"][0] == "CẢNH BÁO" and "giả danh người gửi .gov.vn" in output
    assert all(level in ("ĐẠT", "CẢNH BÁO") for level, _ in lines.values()), output
    assert lines["cơ sở dữ liệu"][0] == "ĐẠT"


def test_doctor_fails_without_schema_or_writable_spool_and_warns_without_tesseract(cli, tmp_path):
    (tmp_path / "data").mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    antiword = shutil.which("antiword")
    if antiword:
        os.symlink(antiword, bin_dir / "antiword")
    result = cli("doctor", code=1, env={"PATH": str(bin_dir), "TESSDATA_PREFIX": str(tmp_path / "no-tessdata")})
    lines = doctor_lines(result.stdout)
    assert lines["cơ sở dữ liệu"][0] == "LỖI" and "gateway db upgrade" in lines["cơ sở dữ liệu"][1]
    assert lines["hàng đợi thư"][0] == "LỖI"
    assert lines["OCR"][0] == "CẢNH BÁO" and "OCR sẽ không chạy" in lines["OCR"][1]
    if not antiword:
        assert lines["antiword"][0] == "LỖI"
    assert "mục kiểm tra có lỗi: cơ sở dữ liệu, hàng đợi thư" in result.stderr


def test_doctor_reports_a_broken_config_file_as_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[smtp]\nlisten = 25\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(bad), "doctor"])
    assert result.exit_code != 0
    assert result.output.startswith("LỖI       cấu hình:") and "smtp.listen" in result.output


def test_doctor_clock_check_fails_when_the_clock_is_behind_the_register(cli, tmp_path):
    from gateway.core.config import load_config
    from gateway.ops.doctor import FAIL, OK, check_clock

    cli("import", str(_eml(tmp_path / "a.eml", 1, "Công văn")))
    config = load_config(tmp_path / "gateway.toml")
    assert check_clock(config).level == OK
    an_hour_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    behind = check_clock(config, now=an_hour_ago)
    assert behind.level == FAIL and "chậm hơn lần vào sổ mới nhất" in behind.detail
    assert check_clock(config, now=dt.datetime(2001, 1, 1, tzinfo=dt.timezone.utc)).level == FAIL
