"""OCR repairs that rest on general knowledge: tones of known phrases and names, the name line read closer,
a handwritten day half read settled by the first signature."""

from __future__ import annotations

import dataclasses

import pytest
from docgen import make_official_pdf, make_pdf, scan_of

from gateway.core.config import Config
from gateway.core.text import fold
from gateway.core.values import FieldValue, SignatureReport
from gateway.understand import ocr, tones, vocab
from gateway.understand.fields import _day_from_signature, _day_units, _latest_day
from gateway.understand.single import understand_file


@pytest.mark.parametrize(("read", "meant"), [
    ("Tỉnh hình, kết quả thực hiện", "Tình hình, kết quả thực hiện"),
    ("đăng ký bô sung nội dung", "đăng ký bổ sung nội dung"),
    ("triển khai thực hiện mỡ rộng nộp thuế", "triển khai thực hiện mở rộng nộp thuế"),
    ("Bộ Nội vụ, Tô phó Tô công tác cải cách", "Bộ Nội vụ, Tổ phó Tổ công tác cải cách"),
    ("BÁO CÁO TỈNH HÌNH", "BÁO CÁO TÌNH HÌNH"),  # capitals stay capitals
    ("trên địa bàn tỉnh Quảng Ngãi", "trên địa bàn tỉnh Quảng Ngãi"),  # "tỉnh" alone is not a phrase
    ("bô, sung", "bô, sung"),  # punctuation between the words: not the phrase
    ("tình\nhình", "tình\nhình"),
])
def test_retone_fixes_marks_of_known_phrases_only(read: str, meant: str) -> None:
    assert tones.retone(read) == meant


def test_retone_never_changes_a_letter() -> None:
    text = ("Về viẹc tăng cuờng công tac thi hanh án hành chinh; Tỉnh hình kêt quả; bo sung, sủa đổi; "
            "HỘI ĐỒNG NHÂN DẪN tinh; 12/2025; Phùng Tô Long")
    assert fold(tones.retone(text)) == fold(text)
    assert len(tones.retone(text)) == len(text)


def test_phrase_list_has_one_spelling_per_folded_form() -> None:
    assert len(tones._phrases()) > 200
    assert all(len(p.split()) >= 2 for p in vocab.PHRASES)


def test_retone_name_puts_back_the_commonest_known_name_and_leaves_known_names() -> None:
    assert tones.retone_name("Trần Hoàng Tuần") == "Trần Hoàng Tuấn"
    assert tones.retone_name("Trần Phước Hiển") == "Trần Phước Hiển"  # a name too: cannot be told apart
    assert tones.retone_name("Phùng Tô Long") == "Phùng Tô Long"
    assert tones.retone_name("Lê Xyz") == "Lê Xyz"  # unknown and no tone variant known: as read


def test_read_line_reads_one_line_of_a_page_closer() -> None:
    import pypdfium2 as pdfium

    name = "Trần Phước Hiền"
    pdf_bytes = make_official_pdf(organ=("SỞ NỘI VỤ",), number="3", notation="SNV-VP", place="Huế", day="02",
                                  month="01", year="2025", vv=("V/v thử",), signer=("GIÁM ĐỐC",), signer_name=name)
    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        page = pdf[0]
        width, height = page.get_size()
        text = page.get_textpage()
        at = text.get_text_range().index(name)
        boxes = [text.get_charbox(i) for i in range(at, at + len(name))]
        left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
        right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
        box = ((left - 8) / width, 1 - (top + 5) / height, (right + 8) / width, 1 - (bottom - 5) / height)
        assert ocr.read_line(pdf, 0, box, 300) == name
        assert ocr.read_line(pdf, 0, (0.5, 0.99, 0.5, 1.0), 300) == ""  # an empty box reads nothing
    finally:
        pdf.close()


def _signer_page(scan_dpi: int) -> tuple[bytes, object]:
    """A two-page scan (signer on page 1, page 2 nearly blank, as real ones end) and page 1 OCRed at 200 dpi."""
    import pypdfium2 as pdfium

    first = make_official_pdf(organ=("UBND TỈNH QUẢNG NGÃI",), number="46", notation="TB-UBND", place="Quảng Ngãi",
                              day="24", month="01", year="2025", title="THÔNG BÁO",
                              subject=("Về việc thụ lý giải quyết khiếu nại lần hai",),
                              body="Nay thông báo để biết.", signer=("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
                              signer_name="Trần Phước Hiền", recipients=("Như trên", "Lưu: VT"))
    scan = scan_of(first, make_pdf(["2"]), dpi=scan_dpi)
    pdf = pdfium.PdfDocument(scan)
    return scan, (pdf, ocr.ocr_region(pdf, 0, 1.0, 200).page)


@pytest.mark.parametrize(("scan_dpi", "expected"), [(300, "Trần Phước Hiền"), (120, "Trần Phước Hiển")])
def test_the_name_line_is_read_again_only_from_a_scan_finer_than_the_first_reading(scan_dpi, expected) -> None:
    from gateway.core.config import UnderstandConfig
    from gateway.understand.fields import _reread_name

    scan, (pdf, page) = _signer_page(scan_dpi)
    try:
        assert abs(ocr.native_dpi(pdf, 0) - scan_dpi) < 2
        # What the 200-dpi reading of a real scan gave; the second look may change the marks only.
        fields = {"signer_name": FieldValue("Trần Phước Hiển", 0.63, "ocr")}
        _reread_name(pdf, fields, [(0, page)], {}, UnderstandConfig())
        assert fields["signer_name"] == FieldValue(expected, 0.63, "ocr")
        fields = {"signer_name": FieldValue("Trần Phước Hiển Long", 0.63, "ocr")}  # no line ends so: as read
        _reread_name(pdf, fields, [(0, page)], {}, UnderstandConfig())
        assert fields["signer_name"].value == "Trần Phước Hiển Long"
    finally:
        pdf.close()
    _, meta = understand_file(scan, "46 TB.pdf", Config())
    assert (meta.get("signer_name"), meta.fields["signer_name"].source) == ("Trần Phước Hiền", "ocr")
    assert meta.get("subject") == "Về việc thụ lý giải quyết khiếu nại lần hai"


def test_native_dpi_of_a_page_without_a_scan_is_none() -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(make_pdf(["Văn bản"]))
    try:
        assert ocr.native_dpi(pdf, 0) is None
    finally:
        pdf.close()


def _signed(when: str) -> SignatureReport:
    return SignatureReport("Sig1", "Ủy ban nhân dân tỉnh", "", "CA", when, True, True, False, True, "untrusted-root")


def test_day_units_and_latest_possible_day() -> None:
    assert _day_units(["Quảng Ngãi, ngày $4 tháng 01 năm 2025"]) == 4
    assert _day_units(["ngày &ô tháng 3 năm 2018", "ngày &0 tháng 3 năm 2018"]) == 0  # the first legible one
    assert _day_units(["Quảng Ngãi, ngày 24 tháng 01 năm 2025"]) is None  # read whole: nothing to settle
    assert _day_units(["ngày tháng 01 năm 2025"]) is None
    import datetime as dt

    assert _latest_day((2025, 1), 4, dt.date(2025, 1, 26)) == dt.date(2025, 1, 24)
    assert _latest_day((2025, 1), 7, dt.date(2025, 1, 26)) == dt.date(2025, 1, 17)
    assert _latest_day((2024, 12), 1, dt.date(2025, 1, 5)) == dt.date(2024, 12, 31)  # signed in the new year
    assert _latest_day((2025, 1), 0, dt.date(2025, 1, 5)) is None  # no day 00
    assert _latest_day((2024, 6), 4, dt.date(2025, 1, 5)) is None  # months before signing: not a guess


def test_a_half_read_handwritten_day_is_settled_by_the_first_signature() -> None:
    ocr_text = "ỦY BAN NHÂN DÂN\nSố: 4@ /TB-UBND Quảng Ngãi, ngày $4 tháng 01 năm 2025\nTHÔNG BÁO"
    # 04:12 UTC on the 26th is 11:12 on the 26th in Việt Nam; the later signature does not count.
    reports = [_signed("2025-01-27T07:10:01+00:00"), _signed("2025-01-26T04:12:15+00:00")]
    fields: dict[str, FieldValue] = {}
    notes: list[str] = []
    _day_from_signature(fields, reports, ocr_text, notes)
    assert fields["issued_date"] == FieldValue("2025-01-24", 0.45, "ocr") and "last digit (4)" in notes[0]
    # Without a legible last digit the signing day stands in, as before.
    fields, notes = {}, []
    _day_from_signature(fields, reports, ocr_text.replace("$4", "$"), notes)
    assert fields["issued_date"] == FieldValue("2025-01-26", 0.5, "signature")
    # A day OCR read whole is never second-guessed.
    fields = {"issued_date": FieldValue("2025-01-24", 0.63, "ocr")}
    _day_from_signature(fields, reports, ocr_text, [])
    assert fields["issued_date"].value == "2025-01-24"
    assert dataclasses.asdict(fields["issued_date"])["source"] == "ocr"


def test_stamp_text_is_parsed_with_its_time_in_vietnam_time() -> None:
    from gateway.understand.stamps import Stamp, parse

    text = ("Ký bởi: Ủy ban nhân dân tỉnh Quảng Ngãi\r\nCơ quan: Tỉnh Quảng Ngãi\r\nThời gian ký: 26/01/2025 11:12:09 "
            "TRUNG TÂM CÔNG BÁO\r\nNgười ký: Trần\r\nHoàng Tuấn\r\nThời gian ký:\r\n16.04.2020 07:37:07\r\n+07:00")
    assert parse(text) == (Stamp("Ủy ban nhân dân tỉnh Quảng Ngãi", "2025-01-26T11:12:09+07:00"),
                           Stamp("Trần Hoàng Tuấn", "2020-04-16T07:37:07+07:00"))
    assert parse("Nội dung văn bản không có dấu ký số.") == ()


def _signed_with_stamp(tmp_path, stamp_text: str, page: bytes) -> bytes:
    import io

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle
    from test_understand_sources import _ca_and_signer

    ca, key, cert = _ca_and_signer(tmp_path)
    signer = signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=(str(ca),))
    out = io.BytesIO()
    signers.PdfSigner(signers.PdfSignatureMetadata(field_name="Sig1"), signer=signer,
                      stamp_style=TextStampStyle(stamp_text=stamp_text),
                      new_field_spec=fields.SigFieldSpec("Sig1", box=(300, 700, 560, 800))).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(page)), output=out)
    return out.getvalue()


def test_the_stamp_of_a_signature_field_is_read_from_its_appearance(tmp_path) -> None:
    from gateway.understand.stamps import Stamp, read_pdf

    # pyHanko's stamp font has no Vietnamese letters: the labels are matched folded, so this is the same text.
    signed = _signed_with_stamp(tmp_path, "Ky boi: Nguyen Van An\nThoi gian ky: 24/01/2025 14:23:43",
                                make_pdf(["Trang 1"]))
    assert read_pdf(signed) == (Stamp("Nguyen Van An", "2025-01-24T14:23:43+07:00"),)
    assert read_pdf(make_pdf(["Ký bởi: Nguyễn Văn An"])) == ()  # not signed: no stamp to read


def test_the_stamp_spells_the_ocr_signer_and_dates_a_signature_pyhanko_could_not_read() -> None:
    from gateway.understand.fields import _signer_from_certificate
    from gateway.understand.stamps import Stamp

    printed = (Stamp("Trần Phước Hiền", "2025-01-26T11:12:09+07:00"),)
    fields = {"signer_name": FieldValue("Trần Phước Hiển", 0.63, "ocr")}
    notes: list[str] = []
    _signer_from_certificate(fields, [], notes, printed)
    assert fields["signer_name"] == FieldValue("Trần Phước Hiền", 0.95, "signature") and notes
    fields = {"signer_name": FieldValue("Trần Văn Cao", 0.63, "ocr")}  # another person: the stamp does not decide
    _signer_from_certificate(fields, [], [], printed)
    assert fields["signer_name"].value == "Trần Văn Cao"
    fields = {}
    _day_from_signature(fields, [], "Quảng Ngãi, ngày $4 tháng 01 năm 2025", [], printed)
    assert fields["issued_date"].value == "2025-01-24"
