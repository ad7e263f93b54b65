"""Paper arrivals: the văn thư registers a document that came on paper — the reader proposes its fields from
the scan, she corrects them, and it takes the next số đến of the same register, in order of receipt."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from conftest import write_config
from docgen import make_message, make_official_pdf, scan_of

from gateway.cli import main
from gateway.core.config import load_config
from gateway.core.values import Envelope
from gateway.register.service import Register
from gateway.runtime.pipeline import process_one
from gateway.spool import Spool


@pytest.fixture
def cli(tmp_path):
    config = write_config(tmp_path, 2525)

    def run(*args: str, code: int = 0):
        result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
        return result

    return run, config


def _scan() -> bytes:
    return scan_of(make_official_pdf(organ=("UBND TỈNH QUẢNG NGÃI", "SỞ TÀI CHÍNH"), number="45",
                                     notation="STC-QLNS", place="Quảng Ngãi", day="20", month="11", year="2026",
                                     vv=("V/v quyết toán ngân sách năm 2026",), signer=("GIÁM ĐỐC",),
                                     signer_name="Lê Văn Hùng"))


def test_the_reader_proposes_and_the_corrections_win(cli, tmp_path) -> None:
    from gateway.understand import ocr

    if not ocr.available():
        pytest.skip("tesseract-ocr-vie is not installed")
    run, _ = cli
    scan = tmp_path / "quet.pdf"
    scan.write_bytes(_scan())
    proposed = json.loads(run("register-paper", str(scan), "--propose", "--json").stdout)
    assert proposed["code_notation"]["value"] == "STC-QLNS" and proposed["code_number"]["value"] == "45"
    done = json.loads(run("register-paper", str(scan), "--set", "signer_name=Lê Văn Hùng",
                          "--set", "description=Bản gốc nhận qua bưu điện", "--set", "urgency=1", "--json").stdout)
    assert done["arrival_number"] == 1 and done["fields"]["urgency"] == "1"
    shown = json.loads(run("show", str(done["document_id"]), "--json").stdout)
    assert shown["description"] == "Bản gốc nhận qua bưu điện" and shown["urgency"] == 1
    assert shown["field_sources"]["signer_name"]["source"] == "manual"
    assert [a["source"] for a in shown["arrivals"]] == ["paper"]
    registered = [e for e in shown["audit"] if e["action"] == "registered"][0]
    assert registered["detail"]["source"] == "paper" and registered["detail"]["by"]


def test_no_scan_and_a_trich_yeu_is_enough_and_files_must_be_scans(cli, tmp_path) -> None:
    run, _ = cli
    done = json.loads(run("register-paper", "--set", "subject=Giấy mời họp giao ban", "--set",
                          "organ_name=Sở Công Thương", "--json").stdout)
    assert done["arrival_number"] == 1
    assert "trích yếu" in run("register-paper", "--set", "organ_name=X", code=1).output
    junk = tmp_path / "not-a-scan.pdf"
    junk.write_bytes(b"just text, no PDF")
    assert "không phải bản quét" in run("register-paper", str(junk), "--set", "subject=X", code=1).output
    assert "không có trường" in run("register-paper", "--set", "subject=X", "--set", "colour=red", code=1).output


def test_paper_takes_its_number_in_order_of_receipt_after_mail_still_being_read(cli, tmp_path) -> None:
    run, config_path = cli
    config = load_config(str(config_path))
    spool = Spool.from_config(config)
    spool.ensure()
    mail = make_message("Công văn đến trước", "Kính gửi.", message_id="before-paper@stc.example.gov.vn")
    earlier = spool.put(mail, Envelope(source="smtp", received_at=dt.datetime.now(dt.timezone.utc)))
    paper = json.loads(run("register-paper", "--set", "subject=Văn bản giấy đến sau", "--json").stdout)
    assert paper["arrival_number"] is None, "the mail received first is still waiting to be read"
    register = Register.open(config)
    try:
        mail_outcome = process_one(spool.claim(earlier), spool, register, config)
        assert mail_outcome.registration.arrival_number == 1
        assert register.get_document(paper["document_id"]).arrival_number == 2
    finally:
        register.close()
