"""Số đến in order of receipt (ND30 Điều 22.2): a slow scan received first keeps number 1 while fast DOCX mails
received after it are read and registered before it, with several workers, on SQLite and PostgreSQL, and across
kill -9 of the worker reading the scan and of the whole daemon."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

import psycopg
import pytest
from burst import send
from conftest import wait_for
from docgen import make_docx, make_message, make_official_pdf, scan_of

FAST = 8  # DOCX mails sent right after the scan


def _scan() -> bytes:
    """Three scanned pages: OCR makes this the slowest message to read by far."""
    pages = [make_official_pdf(organ=("UBND TỈNH QUẢNG NGÃI", "SỞ TÀI CHÍNH"), number=str(40 + k),
                               notation="STC-QLNS", place="Quảng Ngãi", day="20", month="11", year="2026",
                               vv=("V/v quyết toán ngân sách",), signer=("GIÁM ĐỐC",), signer_name="Lê Văn Hùng")
             for k in range(3)]
    return scan_of(*pages, speckle=2000)


def _messages() -> list[bytes]:
    scan = make_message("Quyết toán ngân sách (bản quét)", "Kính gửi.",
                        [("quyet-toan.pdf", _scan(), "application/pdf")], message_id="order-0@stc.example.gov.vn")
    fast = [make_message(f"Công văn số {k}", "Kính gửi.",
                         [(f"cv{k}.docx", make_docx([f"Công văn số {k} về việc báo cáo tháng"]),
                           "application/vnd.openxmlformats-officedocument.wordprocessingml.document")],
                         message_id=f"order-{k}@stc.example.gov.vn")
            for k in range(1, FAST + 1)]
    return [scan, *fast]


class Register:
    """What the test reads back: (order sent, số đến) per registered document, waiting ones with None."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.url = database_url
        self.path = data_dir / "register.sqlite3"

    def rows(self) -> list[tuple[int, int | None]]:
        query = "SELECT m.message_id_header, d.arrival_number FROM documents d JOIN messages m ON m.id = d.message_id"
        if self.url:
            with psycopg.connect(self.url.replace("+psycopg", "")) as conn:
                found = conn.execute(query).fetchall()
        elif self.path.exists():
            with sqlite3.connect(self.path, timeout=30) as conn:
                found = conn.execute(query).fetchall()
        else:
            return []
        return sorted((int(message_id.split("-")[1].split("@")[0]), number) for message_id, number in found)

    def waiting(self) -> int:
        return sum(1 for _, number in self.rows() if number is None)


def _worker_reading(spool: Path) -> int | None:
    """The pid of the worker that has claimed the scan (the oldest spool file), if one has."""
    names = sorted(os.listdir(spool / "claimed")) if (spool / "claimed").is_dir() else []
    if not names:
        return None
    parts = names[0].split(".")
    return int(parts[2]) if len(parts) == 4 else None


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request):
    if request.param == "sqlite":
        return ""
    return request.getfixturevalue("postgres_url")


@pytest.mark.parametrize("crash", ["none", "worker", "daemon"])
def test_numbers_follow_the_order_of_receipt(gateway_factory, tmp_path, database, crash) -> None:
    gateway = gateway_factory(database_url=database, workers=3)
    gateway.start()
    register = Register(database, tmp_path / "data")
    spool = tmp_path / "data" / "spool"
    scan, *fast = _messages()
    send(gateway.port, scan)
    # Sent once a worker has taken the scan, so that other workers read them (a worker claims what waits).
    wait_for(lambda: _worker_reading(spool), 60, 0.02, "a worker to take the scan")
    for raw in fast:  # one after another: each 250 comes before the next message is sent
        send(gateway.port, raw)
    # The DOCX mails are read long before the scan: registered, they wait for its number.
    wait_for(lambda: register.waiting() >= FAST // 2, 120, 0.1, "fast documents waiting behind the scan")
    if crash == "worker":
        victim = wait_for(lambda: _worker_reading(spool), 30, 0.05, "the worker reading the scan")
        os.kill(victim, signal.SIGKILL)
    elif crash == "daemon":
        gateway.kill9()
        gateway.start()
    wait_for(lambda: len(register.rows()) == FAST + 1 and register.waiting() == 0, 240, 0.2,
             "every document registered and numbered")
    rows = register.rows()
    assert rows == [(k, k + 1) for k in range(FAST + 1)], f"numbers out of the order of receipt: {rows}"
    assert gateway.stop() == 0, gateway.log_text()[-3000:]
