"""Limits on reading attachments (time, memory, quarantine per config) and a bounded fuzz run over the parser."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from docgen import make_message, make_official_pdf, make_pdf, scan_of
from hostile_kit import mime_deep, pdf_decompression_bomb, pdf_pages, raw_mail, zip_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.core.config import LimitsConfig, UnderstandConfig, load_config
from gateway.core.errors import ParseError
from gateway.core.values import Envelope
from gateway.mail.parse import parse_message
from gateway.register.service import Register
from gateway.runtime.pipeline import process_one
from gateway.runtime.sandbox import IsolatedExtractor
from gateway.spool import Spool
from gateway.understand import ocr

PDF = "application/pdf"


def test_a_part_over_the_time_limit_is_marked_and_the_next_part_still_read():
    limits = LimitsConfig(pdf_max_pages=100_000, extract_timeout=0.2)
    raw = make_message("x", "y", [("slow.pdf", pdf_pages(100_000), PDF),
                                  ("fine.pdf", make_pdf(["Công văn đọc được"]), PDF)])
    extractor = IsolatedExtractor(limits)
    try:
        started = time.monotonic()
        texts = extractor.extract(parse_message(raw, limits)).texts
        assert time.monotonic() - started < 5
    finally:
        extractor.close()
    assert (texts[0].status, texts[0].detail) == ("limit", "not extracted: extract_timeout (0.2 s)")
    assert texts[1].status == "ok" and "Công văn đọc được" in texts[1].text


def test_one_request_reads_parts_and_fields_alike_and_a_part_over_the_time_limit_is_still_marked():
    """read() asks the child once for the texts and the fields; it gives what extract() then understand() give,
    and when a part runs over, the rest is read in a new child with each limit on its own part."""
    official = make_official_pdf(
        organ=("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI"), number="07", notation="CT-UBND", place="Quảng Ngãi",
        day="20", month="3", year="2018", title="CHỈ THỊ", subject=("Về việc tăng cường thi hành án",),
        signer=("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), signer_name="Phạm Trường Thọ", recipients=("Như trên",))
    # 100,000 pages take seconds to read (20,000 took 0.42 s on a quiet machine, inside the limit)
    limits = LimitsConfig(pdf_max_pages=1_000_000, extract_timeout=0.5)
    fine = parse_message(make_message("x", "y", [("chi-thi.pdf", official, PDF)]), limits)
    slow = parse_message(make_message("x", "y", [("slow.pdf", pdf_pages(100_000), PDF),
                                                 ("chi-thi.pdf", official, PDF)]), limits)
    extractor = IsolatedExtractor(limits)
    try:
        extracted, meta = extractor.read(fine, UnderstandConfig())
        assert extracted == extractor.extract(fine)
        assert meta == extractor.understand(extracted, UnderstandConfig())
        assert meta.fields["code_notation"].value == "CT-UBND"
        extracted, meta = extractor.read(slow, UnderstandConfig())
    finally:
        extractor.close()
    assert (extracted.texts[0].status, extracted.texts[0].detail) == ("limit", "not extracted: extract_timeout (0.5 s)")
    assert extracted.texts[1].status == "ok" and "CHỈ THỊ" in extracted.texts[1].text and meta is not None


def test_a_part_over_the_memory_limit_is_marked_and_the_worker_lives_on():
    limits = LimitsConfig(extract_memory=300 * 2**20)
    raw = make_message("x", "y", [("bomb.pdf", pdf_decompression_bomb(), PDF),
                                  ("fine.pdf", make_pdf(["Vẫn đọc được"]), PDF)])
    extractor = IsolatedExtractor(limits)
    try:
        texts = extractor.extract(parse_message(raw, limits)).texts
    finally:
        extractor.close()
    assert texts[0].status == "limit" and "extract_memory" in texts[0].detail
    assert texts[1].status == "ok" and "Vẫn đọc được" in texts[1].text


@pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr-vie is not installed")
def test_the_field_reader_runs_under_the_time_limit_too(tmp_path):
    """OCR and signature checks read hostile files as well: over the limit, the document is registered without
    fields and says why, and the worker goes on."""
    scan = scan_of(make_official_pdf(
        organ=("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI"), number="07", notation="CT-UBND", place="Quảng Ngãi",
        day="20", month="3", year="2018", title="CHỈ THỊ", subject=("Về việc tăng cường thi hành án",),
        signer=("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), signer_name="Phạm Trường Thọ", recipients=("Như trên",)))
    # the text layer is read in ~5 ms and the scan's fields in 0.35 s or more: a limit between the two
    config = load_config(None, {"paths.data_dir": str(tmp_path / "data"), "trust.other_action": "accept",
                                "limits.extract_timeout": 0.15})
    spool = Spool(config.spool_dir)
    spool.ensure()
    spool.put(make_message("Chỉ thị 07", "x", [("chi-thi.pdf", scan, PDF)]),
              Envelope(source="import", received_at=dt.datetime.now(dt.timezone.utc)))
    register = Register(config)
    register.upgrade()
    try:
        started = time.monotonic()
        outcome = process_one(spool.claim_next(), spool, register, config)
        assert time.monotonic() - started < 10
        record = register.get_document(outcome.registration.document_id)
    finally:
        register.close()
    assert record.code_notation == "" and record.subject == "Chỉ thị 07"  # the e-mail's subject stands in
    assert "fields not read: extract_timeout (0.15 s)" in record.field_sources["notes"]["value"]


def test_on_limit_quarantine_holds_the_message_back(tmp_path):
    config = load_config(None, {"paths.data_dir": str(tmp_path / "data"), "trust.other_action": "accept",
                                "limits.on_limit": "quarantine"})
    spool = Spool(config.spool_dir)
    spool.ensure()
    bomb = zip_bytes([("zeros.txt", b"\0" * (32 * 2**20))])
    spool.put(make_message("Có bom", "x", [("bomb.zip", bomb, "application/zip")]),
              Envelope(source="import", received_at=dt.datetime.now(dt.timezone.utc)))
    register = Register(config)
    register.upgrade()
    try:
        outcome = process_one(spool.claim_next(), spool, register, config)
    finally:
        register.close()
    assert outcome.quarantined and "zip_max_ratio" in outcome.error
    [entry] = spool.list("quarantine")
    assert "zip_max_ratio" in entry.reason


def _seeds() -> list[bytes]:
    head, body = mime_deep(5)
    return [
        make_message("Công văn số 1", "Nội dung.", [("a.pdf", make_pdf(["Trang"]), PDF),
                                                    ("b.zip", zip_bytes([("c.txt", b"x")]), "application/zip")]),
        raw_mail(head, body),
        raw_mail(b"Subject: =?utf-8?b?Q8O0bmcgdsSDbg==?=\r\nContent-Type: text/plain; charset=utf-8\r\n",
                 "Nội dung có dấu\r\n".encode()),
    ]


SEEDS = _seeds()


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(("flip", "insert", "delete", "dup")))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.sampled_from([b"\r\n", b"--", b"\x00", b"=?utf-8?q?=FF?=", b"boundary=",
                                                b"Content-Type: multipart/mixed; boundary=x\r\n", b"\xff\xfe",
                                                b":", b"\r\n\r\n", b"begin 644 x\r\n"]))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif op == "dup":
            data[at:at] = data[at:at + draw(st.integers(1, 256))]
    return bytes(data)


@settings(max_examples=150, deadline=3000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(mutated())
def test_parser_survives_mutated_messages_in_bounded_time(raw):
    started = time.monotonic()
    try:
        parsed = parse_message(raw, LimitsConfig())
    except ParseError:
        return
    assert time.monotonic() - started < 2
    for text in (parsed.subject, parsed.from_addr, parsed.body_text, *(p.filename for p in parsed.parts)):
        text.encode("utf-8")  # every decoded string is valid text
        assert "\x00" not in text
