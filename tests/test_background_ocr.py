"""Background OCR never blocks intake: two mails carrying 250-page scans keep both workers' OCR busy, yet a mail
that comes after them is registered within seconds; the long scans are read a few pages at a time."""

from __future__ import annotations

import io
import sqlite3
import time
from pathlib import Path

import pytest
from burst import send
from conftest import wait_for
from docgen import make_docx, make_message

PAGES = 250


def _long_scan() -> bytes:
    """A 250-page image-only PDF (each page a small grey image with a few words), about 200 KB."""
    from PIL import Image, ImageDraw

    pages = []
    for number in range(PAGES):
        page = Image.new("L", (420, 594), 255)
        ImageDraw.Draw(page).text((40, 60 + number % 400), f"Trang {number + 1} phu luc", fill=0)
        pages.append(page)
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=50)
    return out.getvalue()


def _documents(database: Path) -> dict[str, int | None]:
    if not database.exists():
        return {}
    with sqlite3.connect(database, timeout=30) as conn:
        return dict(conn.execute("SELECT m.message_id_header, d.arrival_number FROM documents d "
                                 "JOIN messages m ON m.id = d.message_id").fetchall())


def _jobs(database: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(database, timeout=30) as conn:
        return conn.execute("SELECT state, pages_read FROM ocr_jobs ORDER BY id").fetchall()


def test_new_mail_is_registered_within_seconds_while_long_scans_are_ocred(gateway_factory, tmp_path) -> None:
    from gateway.understand import ocr

    if not ocr.available():
        pytest.skip("tesseract-ocr-vie is not installed")
    gateway = gateway_factory(workers=2)
    gateway.start()
    database = tmp_path / "data" / "register.sqlite3"
    scan = _long_scan()
    for k in (1, 2):
        send(gateway.port, make_message(f"Phụ lục {k} (bản quét)", "Kính gửi.", [(f"phu-luc-{k}.pdf", scan,
                                                                                   "application/pdf")],
                                        message_id=f"long-{k}@stc.example.gov.vn"))
    wait_for(lambda: len(_documents(database)) == 2, 300, 0.2, "both long scans registered")
    wait_for(lambda: any(pages > 0 for _, pages in _jobs(database)), 120, 0.2, "background OCR under way")
    docx = make_docx(["Công văn khẩn về việc báo cáo"])
    sent = time.monotonic()
    send(gateway.port, make_message("Công văn khẩn", "Kính gửi.", [("cv.docx", docx, "application/vnd."
                                    "openxmlformats-officedocument.wordprocessingml.document")],
                                    message_id="urgent@stc.example.gov.vn"))
    wait_for(lambda: _documents(database).get("urgent@stc.example.gov.vn") is not None, 60, 0.1,
             "the new mail registered and numbered")
    latency = time.monotonic() - sent
    jobs = _jobs(database)
    assert any(state != "done" for state, _ in jobs), f"the scans were read before the test could tell: {jobs}"
    assert latency < 10, f"a new mail waited {latency:.1f} s behind background OCR"
    assert _documents(database)["urgent@stc.example.gov.vn"] == 3
    print(f"intake latency behind two {PAGES}-page scans: {latency:.1f} s; OCR jobs {jobs}")
    assert gateway.stop() == 0, gateway.log_text()[-3000:]
