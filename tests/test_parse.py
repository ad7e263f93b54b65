"""Tests of gateway.mail.parse (and sniff/names) on generated well-formed and malformed messages."""

from __future__ import annotations

import base64
import datetime as dt
import os
import unicodedata

import pytest
from docgen import make_docx, make_message, make_pdf, make_zip

from gateway.core.config import LimitsConfig
from gateway.core.errors import ParseError
from gateway.core.text import TONE_MARKS
from gateway.mail.names import sanitise_filename
from gateway.mail.parse import parse_message
from gateway.mail.sniff import sniff_type

LIMITS = LimitsConfig()
SUBJECT = "Quyết định số 12/QĐ-UBND về việc giao chỉ tiêu"


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("ascii")


def to_cp1258(text: str) -> bytes:
    """Encode as windows-1258 does: base letters precomposed where the code page has them, tones combining."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in decomposed if c in TONE_MARKS)
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
            out += (base + tones).encode("cp1258")
    return bytes(out)


def is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def test_generated_message_round_trips_vietnamese():
    pdf = make_pdf([SUBJECT])
    attachments = [("Quyết định số 5.pdf", pdf, "application/pdf")]
    raw = make_message("Công văn số 12/UBND-VP", "Kính gửi: Sở Nội vụ", attachments, message_id="<abc.1@so.test>")
    msg = parse_message(raw, LIMITS)
    assert msg.subject == "Công văn số 12/UBND-VP"
    assert msg.from_name == "Văn thư Sở"
    assert msg.from_addr == "vanthu@so.example.test"
    assert msg.to_addrs == ("gateway@example.test",)
    assert msg.message_id == "abc.1@so.test"
    assert msg.date == dt.datetime(2025, 3, 3, 1, 15, tzinfo=dt.timezone.utc)
    assert msg.body_text == "Kính gửi: Sở Nội vụ"
    (part,) = msg.parts
    assert part.filename == "Quyết định số 5.pdf"
    assert part.payload == pdf
    assert part.sniffed_type == "pdf" and part.declared_type == "application/pdf"
    assert part.disposition == "attachment" and part.index == 0 and len(part.sha256) == 64
    assert ("Subject", "Công văn số 12/UBND-VP") in msg.headers


def test_missing_message_id_and_date():
    raw = crlf("From: A <A@Example.TEST>\nSubject: x\n\nbody\n")
    msg = parse_message(raw, LIMITS)
    assert msg.message_id == "" and msg.date is None and msg.from_addr == "a@example.test"


def test_unreadable_date_is_none():
    raw = crlf("From: a@b.c\nDate: yesterday-ish\nSubject: x\n\nbody\n")
    assert parse_message(raw, LIMITS).date is None


def test_missing_close_boundary():
    raw = crlf(
        "From: a@b.c\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n"
        "--XX\nContent-Type: text/plain\n\nhello\n--XX\nContent-Type: application/pdf\n"
        "Content-Disposition: attachment; filename=a.pdf\nContent-Transfer-Encoding: base64\n\n"
        + base64.b64encode(b"%PDF-1.4 junk").decode() + "\n"
    )
    msg = parse_message(raw, LIMITS)
    assert msg.body_text == "hello"
    assert msg.parts[0].filename == "a.pdf" and msg.parts[0].sniffed_type == "pdf"
    assert "CloseBoundaryNotFoundDefect" in msg.defects


def test_multipart_without_boundary_parameter():
    raw = crlf("From: a@b.c\nSubject: x\nContent-Type: multipart/mixed\n\nsome text\n")
    msg = parse_message(raw, LIMITS)
    assert "NoBoundaryInMultipartDefect" in msg.defects
    assert "some text" in msg.body_text


def test_unknown_charset_falls_back():
    raw = (
        "From: a@b.c\r\nSubject: =?x-unknown?Q?Th=C3=B4ng_b=C3=A1o?=\r\n"
        "Content-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + "Thông báo họp".encode("utf-8") + b"\r\n"
    msg = parse_message(raw, LIMITS)
    assert msg.subject == "Thông báo"
    assert msg.body_text == "Thông báo họp"
    assert "charset-unknown:x-unknown" in msg.defects


def test_windows_1258_subject_and_body_become_nfc():
    body = "Kính gửi: Sở Nội vụ. Văn bản được mã hoá bằng bảng mã Windows-1258."
    encoded = to_cp1258(body)
    subject_bytes = to_cp1258("Báo cáo quý I")
    assert not is_nfc(encoded.decode("cp1258"))  # the trap: a plain decode gives decomposed text
    raw = (
        b"From: a@b.c\r\nSubject: =?windows-1258?B?" + base64.b64encode(subject_bytes) + b"?=\r\n"
        b"Content-Type: text/plain; charset=windows-1258\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + encoded + b"\r\n"
    )
    msg = parse_message(raw, LIMITS)
    assert msg.subject == "Báo cáo quý I" and is_nfc(msg.subject)
    assert msg.body_text == body and is_nfc(msg.body_text)


def test_raw_8bit_utf8_headers_and_filename():
    raw = (
        "From: Phòng Hành chính <HC@so.example.test>\r\nSubject: Giấy mời họp ngày 15/3\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
        "--b1\r\nContent-Type: text/plain\r\n\r\nKính gửi\r\n"
        "--b1\r\nContent-Type: application/octet-stream; name=\"Phụ lục II.docx\"\r\n"
        "Content-Disposition: inline; filename=\"Phụ lục II.docx\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode("utf-8") + base64.encodebytes(make_docx(["x"])).replace(b"\n", b"\r\n") + b"--b1--\r\n"
    msg = parse_message(raw, LIMITS)
    assert msg.subject == "Giấy mời họp ngày 15/3"
    assert msg.from_name == "Phòng Hành chính" and msg.from_addr == "hc@so.example.test"
    assert msg.body_text == "Kính gửi"
    assert msg.parts[0].filename == "Phụ lục II.docx"
    assert msg.parts[0].sniffed_type == "docx" and msg.parts[0].disposition == "inline"


def test_rfc2231_continuation_splitting_a_utf8_sequence():
    name = "Quyết định về việc giao.pdf"
    quoted = "".join(ch if ch.isascii() and ch.isalnum() else "".join(f"%{b:02X}" for b in ch.encode()) for ch in name)
    cut = quoted.index("%E1") + 3  # after the first of the three bytes of "ế"
    seg0, seg1 = quoted[:cut], quoted[cut:]
    raw = crlf(
        "From: a@b.c\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: text/plain\n\nbody\n--b\nContent-Type: application/pdf\n"
        f"Content-Disposition: attachment;\n filename*0*=utf-8''{seg0};\n filename*1*={seg1}\n"
        "Content-Transfer-Encoding: base64\n\n" + base64.b64encode(b"%PDF-1.4\n").decode() + "\n--b--\n"
    )
    msg = parse_message(raw, LIMITS)
    assert msg.parts[0].filename == name


def test_rfc2047_encoded_filename_outlook_style():
    raw = crlf(
        "From: a@b.c\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: application/pdf; name=\"=?UTF-8?B?" + base64.b64encode("Tờ trình.pdf".encode()).decode()
        + "?=\"\nContent-Disposition: attachment\nContent-Transfer-Encoding: base64\n\n"
        + base64.b64encode(b"%PDF-1.4\n").decode() + "\n--b--\n"
    )
    assert parse_message(raw, LIMITS).parts[0].filename == "Tờ trình.pdf"


def test_8bit_body_without_charset_is_utf8():
    raw = b"From: a@b.c\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\n" + "Kính gửi ...".encode() + b"\r\n"
    msg = parse_message(raw, LIMITS)
    assert msg.body_text == "Kính gửi ..."
    assert any(d.startswith("charset-guessed") for d in msg.defects)


def test_html_only_body_is_converted():
    html = "<html><head><style>p{}</style></head><body><p>Kính&nbsp;gửi</p><div>Sở Nội vụ</div></body></html>"
    raw = b"From: a@b.c\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html.encode()
    msg = parse_message(raw, LIMITS)
    assert msg.body_text.split() == ["Kính", "gửi", "Sở", "Nội", "vụ"]
    assert "Kính gửi" in msg.body_text.splitlines() and "p{}" not in msg.body_text


def test_plain_alternative_wins_over_html():
    raw = crlf(
        "From: a@b.c\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b\n\n"
        "--b\nContent-Type: text/plain\n\nplain text\n--b\nContent-Type: text/html\n\n<p>html text</p>\n--b--\n"
    )
    assert parse_message(raw, LIMITS).body_text == "plain text"


def test_message_rfc822_attachment_with_pdf():
    pdf = make_pdf([SUBJECT])
    inner = make_message("Tờ trình số 3", "inner body", [("to-trinh.pdf", pdf, "application/pdf")],
                         message_id="<inner@x.test>")
    outer = crlf(
        "From: a@b.c\nSubject: Fwd\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=outer\n\n"
        "--outer\nContent-Type: text/plain\n\nsee attached\n--outer\nContent-Type: message/rfc822\n"
        "Content-Disposition: attachment\n\n"
    ) + inner + b"\r\n--outer--\r\n"
    msg = parse_message(outer, LIMITS)
    assert msg.body_text == "see attached"
    pdfs = [p for p in msg.parts if p.sniffed_type == "pdf"]
    assert len(pdfs) == 1 and pdfs[0].payload == pdf and pdfs[0].filename == "to-trinh.pdf"
    assert pdfs[0].nested_in == "inner@x.test"
    texts = [p for p in msg.parts if p.declared_type == "text/plain"]
    assert texts and texts[0].payload.strip() == b"inner body"


def nested(depth: int) -> bytes:
    head = "From: a@b.c\nSubject: deep\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b0\n\n"
    lines = [head]
    for level in range(depth):
        lines.append(f"--b{level}\nContent-Type: multipart/mixed; boundary=b{level + 1}\n\n")
    lines.append(f"--b{depth}\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=deep.pdf\n\n")
    lines.append("%PDF-1.4\n")
    for level in range(depth, -1, -1):
        lines.append(f"--b{level}--\n")
    return crlf("".join(lines))


def test_200_level_nesting_is_cut_at_max_depth():
    msg = parse_message(nested(200), LIMITS)
    assert msg.parts == ()
    assert any(d.startswith("max_depth") for d in msg.defects)


def test_nesting_within_max_depth_is_walked():
    msg = parse_message(nested(5), LIMITS)
    assert [p.filename for p in msg.parts] == ["deep.pdf"]


def test_10000_parts_are_capped():
    pieces = ["From: a@b.c\nSubject: many\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=m\n\n"]
    part = "--m\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=f{0}.bin\n\nx{0}\n"
    pieces += [part.format(i) for i in range(10_000)]
    pieces.append("--m--\n")
    msg = parse_message(crlf("".join(pieces)), LIMITS)
    assert len(msg.parts) < LIMITS.max_parts
    assert any(d.startswith("max_parts") for d in msg.defects)


def test_empty_parts_are_tolerated():
    raw = crlf(
        "From: a@b.c\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\n\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=empty.pdf\n\n"
        "--b\nContent-Type: multipart/mixed; boundary=c\n\n--c--\n--b--\n"
    )
    msg = parse_message(raw, LIMITS)
    assert [p.filename for p in msg.parts] == ["empty.pdf"] and msg.parts[0].size == 0


def test_empty_input_raises():
    with pytest.raises(ParseError):
        parse_message(b"", LIMITS)
    with pytest.raises(ParseError):
        parse_message(b"\r\n \r\n", LIMITS)


def test_binary_junk_raises():
    with pytest.raises(ParseError):
        parse_message(os.urandom(4096).replace(b":", b"") + b"\x00\xff", LIMITS)
    with pytest.raises(ParseError):
        parse_message(make_pdf(["x"]), LIMITS)


def test_text_without_headers_raises():
    with pytest.raises(ParseError):
        parse_message(b"Hello there\nthis is not a mail\n", LIMITS)


def test_bom_and_obsolete_header_syntax_are_repaired():
    msg = parse_message(b"\xef\xbb\xbfFrom  : a@b.c\r\nSubject  : hello\r\n\r\nbody\r\n", LIMITS)
    assert msg.subject == "hello" and msg.from_addr == "a@b.c"


def test_control_characters_removed_from_headers():
    raw = b"From: a@b.c\r\nSubject: bad\x01\x1b name\x7f\r\n\r\nbody\r\n"
    assert parse_message(raw, LIMITS).subject == "bad name"


def test_swaks_at_filename_and_text_attachment():
    raw = make_message("s", "b", [("@sample.pdf", b"%PDF-1.4\n", "application/pdf"),
                                  ("ghi-chu.txt", "Ghi chú".encode(), "text/plain")])
    msg = parse_message(raw, LIMITS)
    assert [p.filename for p in msg.parts] == ["sample.pdf", "ghi-chu.txt"]
    assert msg.parts[1].sniffed_type == "text" and msg.body_text == "b"


def test_pathological_address_list_does_not_crash():
    to = "x <x@y.z>,\r\n " + "\r\n ".join(["=?utf-8?Q?date=3E2017?="] * 3000)
    raw = f"From: a@b.c\r\nTo: {to}\r\nSubject: s\r\n\r\nbody\r\n".encode()
    msg = parse_message(raw, LIMITS)
    assert "x@y.z" in msg.to_addrs


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "doc"),
        (b"\x89PNG\r\n\x1a\n....", "png"),
        (b"\xff\xd8\xff\xe0", "jpeg"),
        (b"GIF89a", "gif"),
        (b"II*\x00", "tiff"),
        (b"{\\rtf1\\ansi", "rtf"),
        (b"<?xml version='1.0'?><a/>", "xml"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "html"),
        ("Tiếng Việt thuần".encode(), "text"),
        (b"\x00\x01\x02\x03binary\x00", "binary"),
        (b"", "binary"),
    ],
)
def test_sniff_magic(payload, kind):
    assert sniff_type(payload) == kind


def test_sniff_zip_family():
    assert sniff_type(make_docx(["x"])) == "docx"
    assert sniff_type(make_zip({"a.txt": b"x"})) == "zip"
    assert sniff_type(make_zip({"xl/workbook.xml": b"<x/>"})) == "xlsx"
    assert sniff_type(make_zip({"ppt/presentation.xml": b"<x/>"})) == "pptx"
    assert sniff_type(make_zip({"mimetype": b"application/vnd.oasis.opendocument.text"})) == "odt"
    assert sniff_type(b"PK\x03\x04 truncated") == "zip"


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("", ""),
        ("@sample.pdf", "sample.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\Quyết định.docx", "Quyết định.docx"),
        ("..", ""),
        (".hidden", "hidden"),
        ("a\x00b\x1f.pdf", "ab.pdf"),
        ("evil\u202efdp.exe", "evilfdp.exe"),
        (unicodedata.normalize("NFD", "Tờ trình.pdf"), "Tờ trình.pdf"),
    ],
)
def test_sanitise_filename(name, clean):
    assert sanitise_filename(name) == clean


def test_sanitise_filename_length_keeps_extension():
    long = "Quyết định " * 40 + ".pdf"
    clean = sanitise_filename(long)
    assert len(clean) <= 200 and clean.endswith(".pdf") and is_nfc(clean)


def test_mutated_messages_never_raise_anything_but_parse_error():
    import random

    from gateway.extract import extract_message

    rng = random.Random(20250303)
    seed = make_message(SUBJECT, "Kính gửi", [("Quyết định.pdf", make_pdf([SUBJECT]), "application/pdf"),
                                              ("hs.zip", make_zip({"a.txt": b"x"}), "application/zip")])
    for _ in range(150):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 20)):
            at = rng.randrange(len(data))
            data[at : at + rng.randint(1, 40)] = bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
        if rng.random() < 0.3:
            data = data[: rng.randrange(len(data))]
        try:
            msg = parse_message(bytes(data), LIMITS)
        except ParseError:
            continue
        extract_message(msg, LIMITS)


def test_folded_quoted_boundary_still_splits_the_multipart() -> None:
    raw = (
        b'From: a@example.test\r\nMime-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="foo\r\n bar"\r\n\r\n'
        b"prologue\r\n--foo bar\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        b"--foo bar\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n"
        b"%PDF-1.4\r\n--foo bar--\r\n"
    )
    msg = parse_message(raw, LimitsConfig())
    assert msg.body_text == "hello"
    assert [p.filename for p in msg.parts] == ["a.pdf"]
