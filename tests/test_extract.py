"""Tests of gateway.extract on generated PDF, DOCX, DOC, ZIP and text attachments."""

from __future__ import annotations

import dataclasses
import io
import shutil
import unicodedata
import zipfile

import pytest
from docgen import make_docx, make_message, make_pdf, make_zip

from gateway.core.config import LimitsConfig
from gateway.extract import extract_message, read_file
from gateway.extract import pdf as pdf_module
from gateway.extract.archive import member_name
from gateway.extract.doc import read_doc
from gateway.extract.docx import read_docx
from gateway.extract.pdf import pages_without_text, read_pdf
from gateway.mail.parse import parse_message

LIMITS = LimitsConfig()
VI = "Quyết định số 12/QĐ-UBND về việc giao chỉ tiêu"
PDF_MIME = "application/pdf"


def extract(attachments, limits: LimitsConfig = LIMITS):
    raw = make_message("Công văn", "Kính gửi", attachments)
    return extract_message(parse_message(raw, limits), limits)


def by_path(extracted):
    return {(t.member_path or t.filename): t for t in extracted.texts}


def test_pdf_vietnamese_round_trip():
    (text,) = extract([("qd.pdf", make_pdf([VI, "Trang hai"]), PDF_MIME)]).texts
    assert text.status == "ok" and text.page_count == 2 and text.part_index == 0
    assert VI in text.text and "Trang hai" in text.text
    assert unicodedata.is_normalized("NFC", text.text)
    assert text.sha256 and text.size > 0 and text.payload == b""


def test_pdf_without_text_layer_is_empty():
    reading = read_pdf(make_pdf(["", ""]), LIMITS)
    assert reading.status == "empty" and reading.page_count == 2 and "no text layer" in reading.detail


def test_pages_without_text_is_the_ocr_seam():
    assert pages_without_text(["abc def", "", " \n", "x y z"]) == [1, 2]


def test_pdf_max_pages_limit():
    reading = read_pdf(make_pdf(["một", "hai", "ba"]), dataclasses.replace(LIMITS, pdf_max_pages=2))
    assert reading.status == "limit" and "pdf_max_pages" in reading.detail
    assert "hai" in reading.text and "ba" not in reading.text.split()


def encrypted_pdf(user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([VI]))))
    writer.encrypt(user_password=user_password, owner_password="chủ sở hữu")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_pdf():
    (text,) = extract([("mat.pdf", encrypted_pdf("secret"), PDF_MIME)]).texts
    assert text.status == "encrypted" and text.text == ""


def test_encrypted_pdf_with_empty_user_password_is_read():
    reading = read_pdf(encrypted_pdf(""), LIMITS)
    assert reading.status == "ok" and VI in reading.text


def test_pypdf_fallback_when_pdfium_fails(monkeypatch):
    def fail(payload, max_pages):
        raise RuntimeError("pdfium says no")

    monkeypatch.setattr(pdf_module, "_pdfium_pages", fail)
    reading = read_pdf(make_pdf([VI]), LIMITS)
    assert reading.status == "ok" and "Quyết định" in reading.text


def test_broken_pdf():
    (text,) = extract([("hong.pdf", b"%PDF-1.4\nthis is not really a pdf", PDF_MIME)]).texts
    assert text.status == "broken" and text.detail


def test_docx_paragraphs_table_header():
    payload = make_docx(
        ["Kính gửi: Sở Nội vụ", "Nội dung công văn"],
        table=[["UBND TỈNH QUẢNG NGÃI", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"], ["Số: 12/QĐ-UBND", "Độc lập"]],
        header="Tiêu đề trang",
    )
    reading = read_docx(payload)
    assert reading.status == "ok"
    lines = reading.text.split("\n")
    assert lines[0] == "Tiêu đề trang"
    for expected in ("Kính gửi: Sở Nội vụ", "UBND TỈNH QUẢNG NGÃI", "Số: 12/QĐ-UBND", "Độc lập"):
        assert expected in lines
    assert lines.index("Nội dung công văn") < lines.index("UBND TỈNH QUẢNG NGÃI")


def test_docx_nested_table():
    import docx

    document = docx.Document()
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "ngoài"
    inner = outer.cell(0, 1).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "bảng lồng"
    out = io.BytesIO()
    document.save(out)
    reading = read_docx(out.getvalue())
    assert "ngoài" in reading.text and "bảng lồng" in reading.text


def test_broken_docx():
    damaged = make_zip({"word/document.xml": b"<not-xml", "[Content_Types].xml": b"<x/>"})
    (text,) = extract([("hong.docx", damaged, "application/octet-stream")]).texts
    assert text.sniffed_type == "docx" and text.status == "broken"


@pytest.mark.skipif(not (shutil.which("antiword") or shutil.which("catdoc")), reason="antiword/catdoc not installed")
def test_damaged_word_file_is_broken():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000 + "WordDocument".encode("utf-16-le") + b"\x00" * 1000
    (text,) = extract([("cu.doc", ole, "application/msword")]).texts
    assert text.sniffed_type == "doc" and text.status == "broken" and text.detail


def test_ole_file_that_is_not_word_is_unsupported():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000 + "Workbook".encode("utf-16-le") + b"\x00" * 1000
    (text,) = extract([("bang.xls", ole, "application/vnd.ms-excel")]).texts
    assert text.status == "unsupported" and "WordDocument" in text.detail


def test_doc_without_converters_is_unsupported(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    reading = read_doc(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le") + b"\x00" * 100)
    assert reading.status == "unsupported" and "antiword" in reading.detail


def test_encrypted_ooxml_in_ole_is_encrypted():
    payload = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100
    assert read_doc(payload).status == "encrypted"


def test_zip_with_nested_zip():
    inner = make_zip({"sub/Tờ trình.pdf": make_pdf(["Tờ trình số 5"])})
    outer = make_zip({"hồ sơ/Quyết định.docx": make_docx([VI]), "trong.zip": inner, "../../evil.txt": b"evil"})
    texts = by_path(extract([("ho-so.zip", outer, "application/zip")]))
    top = texts["ho-so.zip"]
    assert top.status == "ok" and top.part_index == 0 and top.member_path == ""
    docx_member = texts["ho-so.zip/hồ sơ/Quyết định.docx"]
    assert docx_member.status == "ok" and VI in docx_member.text and docx_member.part_index is None
    assert docx_member.filename == "Quyết định.docx" and docx_member.payload.startswith(b"PK")
    nested = texts["ho-so.zip/trong.zip/sub/Tờ trình.pdf"]
    assert nested.status == "ok" and "Tờ trình số 5" in nested.text and nested.page_count == 1
    assert texts["ho-so.zip/evil.txt"].text == "evil"


def test_zip_depth_limit():
    payload = make_zip({"a.txt": b"leaf"})
    for level in range(4):
        payload = make_zip({f"l{level}.zip": payload})
    limits = dataclasses.replace(LIMITS, max_depth=2)
    texts = extract([("deep.zip", payload, "application/zip")], limits).texts
    assert any(t.status == "limit" and "max_depth" in t.detail for t in texts)
    assert not any(t.text == "leaf" for t in texts)


def test_zip_bomb_member_exceeds_ratio():
    payload = make_zip({"bom.txt": b"\0" * 5_000_000, "ok.txt": "bình thường".encode()})
    texts = by_path(extract([("bom.zip", payload, "application/zip")]))
    assert texts["bom.zip/bom.txt"].status == "limit" and "zip_max_ratio" in texts["bom.zip/bom.txt"].detail
    assert texts["bom.zip/ok.txt"].text == "bình thường"


def test_zip_member_lying_about_its_size_is_stopped():
    buffer = io.BytesIO(make_zip({"bom.txt": b"A" * 2_000_000}))
    data = bytearray(buffer.getvalue())
    # Patch the central directory's uncompressed size down to 10 bytes, so only the read bound catches it.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    texts = read_file(bytes(data), "lie.zip", "lie.zip", 0, LIMITS)
    assert texts[1].status in ("limit", "broken")  # zipfile stops at the declared size, then the CRC fails
    assert texts[1].text == ""


def test_zip_too_many_members():
    payload = make_zip({f"f{i}.txt": f"tệp {i}".encode() for i in range(30)})
    limits = dataclasses.replace(LIMITS, zip_max_members=10)
    texts = extract([("nhieu.zip", payload, "application/zip")], limits).texts
    assert texts[0].status == "limit" and "zip_max_members" in texts[0].detail
    assert len(texts) == 1 + 10


def test_zip_total_size_limit():
    payload = make_zip({f"f{i}.txt": bytes(range(256)) * 40 for i in range(5)})
    limits = dataclasses.replace(LIMITS, zip_max_total_size=25_000)
    texts = extract([("lon.zip", payload, "application/zip")], limits).texts
    assert any(t.status == "limit" and "zip_max_total_size" in t.detail for t in texts)


def test_zip_encrypted_member():
    payload = bytearray(make_zip({"mat.txt": b"secret"}))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = payload.find(signature)
        payload[at + offset] |= 0x1
    texts = extract([("mat.zip", bytes(payload), "application/zip")]).texts
    assert texts[1].status == "encrypted"


def test_broken_zip():
    (text,) = extract([("hong.zip", b"PK\x03\x04" + b"\x00" * 50, "application/zip")]).texts
    assert text.sniffed_type == "zip" and text.status == "broken"


def test_member_names_without_utf8_flag_are_repaired():
    info = zipfile.ZipInfo("Tờ trình.txt".encode().decode("cp437"))  # how zipfile shows such a name
    assert member_name(info) == "Tờ trình.txt"
    flagged = zipfile.ZipInfo("Tờ trình.txt")
    flagged.flag_bits |= 0x800
    assert member_name(flagged) == "Tờ trình.txt"


def test_text_html_xml_attachments():
    html = "<html><body><h1>Thông báo</h1><p>Họp lúc 8h</p><script>x()</script></body></html>".encode()
    xml = '<?xml version="1.0" encoding="utf-8"?><edXML><Subject>Về việc &amp; giao</Subject></edXML>'.encode()
    texts = extract(
        [("a.txt", "Ghi chú: tiếng Việt".encode(), "text/plain"), ("b.html", html, "text/html"),
         ("c.xml", xml, "application/xml"), ("d.txt", b"caf\xe9 cr\xe8me", "text/plain")]
    ).texts
    assert [t.status for t in texts] == ["ok"] * 4
    assert texts[0].text == "Ghi chú: tiếng Việt"
    assert "Thông báo" in texts[1].text and "x()" not in texts[1].text
    assert "Về việc & giao" in texts[2].text
    assert texts[3].text == "café crème"


def test_unsupported_and_empty():
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 30
    texts = extract([("anh.png", png, "image/png"), ("trong.txt", b"   \n", "text/plain")]).texts
    assert texts[0].status == "unsupported" and texts[0].detail
    assert texts[1].status == "empty"


def test_attachment_size_limit():
    limits = dataclasses.replace(LIMITS, max_attachment_size=100)
    (text,) = extract([("to.pdf", make_pdf([VI]), PDF_MIME)], limits).texts
    assert text.status == "limit" and "max_attachment_size" in text.detail


def test_text_max_chars_cap():
    limits = dataclasses.replace(LIMITS, text_max_chars=10)
    (text,) = extract([("dai.txt", ("Tiếng Việt " * 50).encode(), "text/plain")], limits).texts
    assert text.status == "limit" and len(text.text) == 10 and "text_max_chars" in text.detail


def test_extract_never_raises_on_junk():
    junk = [("x.pdf", b"%PDF-", PDF_MIME), ("y.docx", make_zip({"word/document.xml": b""}), "application/zip"),
            ("z.bin", bytes(range(256)) * 10, "application/octet-stream")]
    texts = extract(junk).texts
    assert len(texts) == 3 and all(t.status in ("broken", "empty", "unsupported") for t in texts)


def test_docm_content_type_read_from_raw_xml():
    source = zipfile.ZipFile(io.BytesIO(make_docx([VI])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"document.main+xml", b"document.macroEnabled.main+xml")
            target.writestr(info, data)
    reading = read_docx(out.getvalue())
    assert reading.status == "ok" and VI in reading.text and "without python-docx" in reading.detail


def test_pdfs_opened_once_for_the_text_and_the_fields_read_the_same():
    """The reading child opens each PDF once (OpenPdfs) for the text and then the fields: nothing read changes."""
    from gateway.core.config import UnderstandConfig
    from gateway.extract.pdf import OpenPdfs
    from gateway.understand.fields import FIRST_PAGES, LAST_PAGES, understand

    raw = make_message("Công văn", "x", [("a.pdf", make_pdf(["Số: 12/UBND-KT", "Trang hai"]), "application/pdf"),
                                         ("b.pdf", make_pdf([f"Trang {n}" for n in range(9)]), "application/pdf")])
    parsed = parse_message(raw, LIMITS)
    apart = extract_message(parsed, LIMITS)
    pdfs = OpenPdfs(FIRST_PAGES, LAST_PAGES)
    try:
        shared = extract_message(parsed, LIMITS, pdfs)
        assert shared == apart and "Trang 8" in shared.texts[1].text
        assert understand(shared, UnderstandConfig(), pdfs) == understand(apart, UnderstandConfig())
    finally:
        pdfs.close()
