"""The issue's promise, end to end: `gateway serve`, swaks/smtplib deliver, `gateway search` and `show` find it."""

from __future__ import annotations

import json
import re
import shutil
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

import pytest
from conftest import REPO, wait_for
from docgen import make_docx, make_pdf


def gateway_cli(config_path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "--config", str(config_path), *args],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"gateway {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def search_json(config_path, *terms: str) -> dict:
    return json.loads(gateway_cli(config_path, "search", "--json", *terms).stdout)


@pytest.fixture
def running_gateway(gateway_factory):
    gateway = gateway_factory(workers=1)
    gateway.start()
    yield gateway
    assert gateway.stop() == 0, gateway.log_text()


def test_swaks_delivery_is_registered_searchable_and_shown(running_gateway, tmp_path):
    if not shutil.which("swaks"):
        pytest.skip("swaks is not installed (Debian package swaks; scripts/setup --test installs it as root)")
    pdf = tmp_path / "congvan.pdf"
    pdf.write_bytes(make_pdf(["ỦY BAN NHÂN DÂN TỈNH\nQuyết định về việc phê duyệt kế hoạch khuyến công năm 2027",
                              "Nơi nhận: Sở Công Thương"]))
    subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{running_gateway.port}", "--to", "vanthu@localhost",
         "--from", "vanthu@ubnd.example.gov.vn", "--header", "Subject: Cong van so 15/UBND-KT",
         "--attach", f"@{pdf}", "--suppress-data"],
        check=True, capture_output=True, timeout=60,
    )
    found = wait_for(lambda: search_json(running_gateway.config_path, "khuyến công")["hits"], 60,
                     0.3, "the swaks message to be searchable")
    hit = found[0]
    assert hit["arrival_number"] == 1
    shown = json.loads(gateway_cli(running_gateway.config_path, "show", str(hit["document_id"]), "--json").stdout)
    assert shown["arrival_number"] == 1
    assert any(a["sniffed_type"] == "pdf" for a in shown["attachments"])
    text = gateway_cli(running_gateway.config_path, "show", str(hit["document_id"])).stdout
    assert "Số đến" in text and "1/" in text
    # Typed without diacritics, the same document is found.
    assert search_json(running_gateway.config_path, "khuyen", "cong")["hits"][0]["document_id"] == hit["document_id"]


def test_smtplib_vietnamese_names_and_docx(running_gateway):
    message = EmailMessage()
    message["From"] = "Sở Tài chính <vanthu@stc.example.gov.vn>"
    message["To"] = "vanthu@localhost"
    message["Subject"] = "Công văn số 210/STC-NS về việc thẩm định dự toán ngân sách"
    message["Message-ID"] = "<e2e-docx@stc.example.gov.vn>"
    message.set_content("Kính gửi Sở Công Thương.\nSở Tài chính đề nghị quý Sở rà soát dự toán.")
    message.add_attachment(
        make_docx(["Thẩm định dự toán ngân sách năm 2027", "Đề nghị hoàn thành trước ngày 15/12"],
                  table=[["STT", "Nội dung"], ["1", "Chi thường xuyên"]]),
        maintype="application", subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="Dự toán 2027.docx",
    )
    with smtplib.SMTP("127.0.0.1", running_gateway.port, timeout=30) as client:
        client.sendmail("vanthu@stc.example.gov.vn", ["vanthu@localhost"], message.as_bytes(policy=SMTP_POLICY))
    hits = wait_for(lambda: search_json(running_gateway.config_path, "chi thường xuyên")["hits"], 60, 0.3,
                    "the DOCX table text to be searchable")
    shown = json.loads(gateway_cli(running_gateway.config_path, "show", str(hits[0]["document_id"]),
                                   "--json").stdout)
    names = [a["filename"] for a in shown["attachments"]]
    assert "Dự toán 2027.docx" in names
    assert shown["message"]["subject"] == "Công văn số 210/STC-NS về việc thẩm định dự toán ngân sách"
    # The same message again is a duplicate arrival, not a second document.
    with smtplib.SMTP("127.0.0.1", running_gateway.port, timeout=30) as client:
        client.sendmail("vanthu@stc.example.gov.vn", ["vanthu@localhost"], message.as_bytes(policy=SMTP_POLICY))
    wait_for(lambda: len(json.loads(gateway_cli(running_gateway.config_path, "show", str(hits[0]["document_id"]),
                                                "--json").stdout)["arrivals"]) == 2, 60, 0.3,
             "the duplicate arrival to be recorded")
    assert search_json(running_gateway.config_path, "thẩm định")["total"] == 1
    # Every log line about the message names its spool id and its Message-ID.
    lines = [line for line in running_gateway.log_text().splitlines() if "e2e-docx@stc.example.gov.vn" in line]
    assert any("spooled" in line for line in lines) and any("registered" in line for line in lines)
    assert all(re.search(r"spool \d{20}-[0-9a-f]{6}", line) for line in lines), lines


def test_junk_goes_to_bad_with_reason_and_daemon_stays_up(running_gateway):
    with smtplib.SMTP("127.0.0.1", running_gateway.port, timeout=30) as client:
        client.sendmail("x@sct.example.gov.vn", ["vanthu@localhost"], b"\x00\x01\x02 not a message at all\r\n")
    listing = wait_for(
        lambda: json.loads(gateway_cli(running_gateway.config_path, "spool", "list", "bad", "--json").stdout),
        60, 0.3, "the junk to reach bad/",
    )
    assert listing[0]["reason"]
    # The daemon still takes mail.
    message = EmailMessage()
    message["From"] = "a@sct.example.gov.vn"
    message["To"] = "vanthu@localhost"
    message["Subject"] = "Thông báo lịch họp giao ban"
    message.set_content("Lịch họp.")
    with smtplib.SMTP("127.0.0.1", running_gateway.port, timeout=30) as client:
        client.send_message(message)
    wait_for(lambda: search_json(running_gateway.config_path, "giao ban")["hits"], 60, 0.3, "the next message")
