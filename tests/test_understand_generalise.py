"""The failure classes found on documents nobody tuned for, each on a document made here: DOCX header tables,
trích yếu that run on or wrap, parent organs, handwritten days against the signature, red stamps, seals,
typewritten pages, and confidences that drop when a check fails."""

from __future__ import annotations

import io

import pytest
from docgen import make_official_pdf, make_pdf, scan_of, scanned_with

from gateway.core.config import Config
from gateway.core.values import FieldValue, SignatureReport
from gateway.understand import confidence, ocr, patterns
from gateway.understand.fields import _DAY_LIKELY, _DAY_READINGS, _day_from_signature, _day_vote, _likely_days
from gateway.understand.single import understand_file

CONFIG = Config()
needs_ocr = pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr-vie is not installed")


def word_document(left: list[str], right: list[str], after: list[tuple[str, bool]], signer: list[str],
                  recipients: list[str]) -> bytes:
    """A .docx as Word makes them: header table (agency | Quốc hiệu), centred paragraphs, signer table."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = docx.Document()

    def fill(cell, lines):
        cell.paragraphs[0].text = lines[0]
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        for line in lines[1:]:
            cell.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER

    header = document.add_table(rows=1, cols=2)
    fill(header.cell(0, 0), left)
    fill(header.cell(0, 1), right)
    for text, centred in after:
        paragraph = document.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.JUSTIFY
    table = document.add_table(rows=1, cols=2)
    fill(table.cell(0, 0), ["Nơi nhận:", *[f"- {r};" for r in recipients]])
    fill(table.cell(0, 1), signer)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


MOTTO = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Hà Nội, ngày 05 tháng 3 năm 2024"]


def test_docx_cong_van_header_table_ends_the_trich_yeu_at_its_cell() -> None:
    docx = word_document(
        ["BỘ TÀI CHÍNH", "Số: 1234/BTC-NSNN", "V/v hướng dẫn xây dựng dự toán", "ngân sách nhà nước năm 2025"],
        MOTTO, [("Kính gửi: Ủy ban nhân dân các tỉnh, thành phố.", False), ("Nội dung hướng dẫn.", False)],
        ["KT. BỘ TRƯỞNG", "THỨ TRƯỞNG", "", "", "Võ Thành Hưng"], ["Như trên", "VPUB: CVP, PCVP", "Lưu: VT, NSNN"])
    _, meta = understand_file(docx, "cv.docx", CONFIG)
    assert meta.get("subject") == "hướng dẫn xây dựng dự toán ngân sách nhà nước năm 2025"
    assert meta.get("code_number") == "1234" and meta.get("code_notation") == "BTC-NSNN"
    assert meta.get("issued_date") == "2024-03-05" and meta.get("organ_name") == "BỘ TÀI CHÍNH"
    assert meta.get("signer_position") == "KT. BỘ TRƯỞNG / THỨ TRƯỞNG"  # no Nơi nhận entry in it
    assert meta.get("signer_name") == "Võ Thành Hưng"


@pytest.mark.parametrize(("title", "follow"), [
    ("QUYẾT ĐỊNH", ["BỘ TRƯỞNG BỘ TÀI CHÍNH", "Căn cứ Luật Ngân sách nhà nước;"]),
    ("NGHỊ QUYẾT", ["HỘI ĐỒNG NHÂN DÂN TỈNH QUẢNG NAM", "KHÓA X, KỲ HỌP THỨ 7"]),
    ("QUYẾT ĐỊNH", ["Điều 1. Phê duyệt kế hoạch kèm theo Quyết định này."]),
    ("GIẤY MỜI", ["Sở Tài chính trân trọng kính mời: Lãnh đạo các sở, ban, ngành."]),
    ("QUY CHẾ", ["CHƯƠNG I", "QUY ĐỊNH CHUNG"]),
])
def test_docx_trich_yeu_stops_at_what_follows_it(title: str, follow: list[str]) -> None:
    subject = "Về việc phê duyệt kế hoạch chuyển đổi số năm 2024"
    code = {"QUYẾT ĐỊNH": "QĐ", "NGHỊ QUYẾT": "NQ", "GIẤY MỜI": "GM", "QUY CHẾ": "QC"}[title]
    docx = word_document(["BỘ TÀI CHÍNH", f"Số: 15/{code}-BTC"],
                         MOTTO, [(title, True), (subject, True)] + [(line, line.isupper()) for line in follow],
                         ["BỘ TRƯỞNG", "", "Lê Văn Cường"], ["Lưu: VT"])
    _, meta = understand_file(docx, "vb.docx", CONFIG)
    assert meta.get("subject") == subject


def test_pdf_vv_wrapped_on_three_lines_of_the_left_column_and_a_year_alone() -> None:
    pdf = make_official_pdf(organ=("UBND TỈNH BẮC GIANG", "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ", "HỘI"), number="45",
                            notation="SLĐTBXH-VP", place="Bắc Giang", day="09", month="10", year="2023",
                            vv=("V/v đôn đốc thực hiện chính sách", "hỗ trợ người có công trên địa", "bàn tỉnh năm",
                                "2023"),
                            addressees=("Sở Tài chính",), signer=("GIÁM ĐỐC",), signer_name="Đỗ Thị Hạnh")
    _, meta = understand_file(pdf, "cv.pdf", CONFIG)
    assert meta.get("subject") == "đôn đốc thực hiện chính sách hỗ trợ người có công trên địa bàn tỉnh năm 2023"
    assert meta.get("organ_name") == "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI"  # "HỘI" continues the name
    assert meta.get("organ_parent") == "UBND TỈNH BẮC GIANG"


def test_pdf_vv_wrapped_on_six_lines_keeps_its_last_word() -> None:
    pdf = make_official_pdf(organ=("BỘ Y TẾ", "CỤC QUẢN LÝ DƯỢC"), number="06", notation="QLD-TCHC",
                            place="Hà Nội", day="23", month="5", year="2021",
                            vv=("V/v phê duyệt Chương trình mục", "tiêu quốc gia xây dựng nông",
                                "thôn mới cho các xã đặc biệt", "khó khăn và mua sắm tập trung",
                                "thiết bị y tế của các sở, ban,", "ngành"),
                            addressees=("Sở Tài chính",), signer=("CỤC TRƯỞNG",), signer_name="Đỗ Thị Hạnh")
    _, meta = understand_file(pdf, "cv.pdf", CONFIG)
    assert meta.get("subject") == ("phê duyệt Chương trình mục tiêu quốc gia xây dựng nông thôn mới cho các xã đặc "
                                   "biệt khó khăn và mua sắm tập trung thiết bị y tế của các sở, ban, ngành")


def test_issuing_organ_is_the_lower_line_under_a_parent() -> None:
    pdf = make_official_pdf(organ=("TẬP ĐOÀN ĐIỆN LỰC VIỆT NAM", "TỔNG CÔNG TY ĐIỆN LỰC MIỀN NAM"), number="07",
                            notation="EVNSPC-KD", place="Hồ Chí Minh", day="12", month="5", year="2024",
                            vv=("V/v lịch tạm ngừng cung cấp điện",), signer=("TỔNG GIÁM ĐỐC",),
                            signer_name="Nguyễn Văn Hợp")
    _, meta = understand_file(pdf, "cv.pdf", CONFIG)
    assert meta.get("organ_name") == "TỔNG CÔNG TY ĐIỆN LỰC MIỀN NAM"
    assert meta.get("organ_parent") == "TẬP ĐOÀN ĐIỆN LỰC VIỆT NAM"


def test_handwritten_day_reading_that_fits_the_signature_is_taken() -> None:
    fields = {"issued_date": FieldValue("2025-03-04", 0.55, "ocr"), _DAY_READINGS: FieldValue("04,20", 0.0, "ocr")}
    report = SignatureReport("Sig1", "Ủy ban nhân dân tỉnh", "", "CA", "2025-03-21T09:10:00+07:00", True, True,
                             False, True, "untrusted-root", "")
    notes: list[str] = []
    _day_from_signature(fields, [report], "", notes)
    assert fields["issued_date"].value == "2025-03-20" and _DAY_READINGS not in fields
    fields = {"issued_date": FieldValue("2025-03-19", 0.55, "ocr"), _DAY_READINGS: FieldValue("19,13", 0.0, "ocr")}
    _day_from_signature(fields, [report], "", notes)
    assert fields["issued_date"].value == "2025-03-19"  # the first reading fits: it stands


def test_a_day_the_recognizer_alone_read_gives_way_to_its_likely_reading_the_signature_agrees_with() -> None:
    """A small "06" read "05" by the recognizer alone (Tesseract's box read nothing, the page's line junk), its
    "06" likely too: the document signed on the 6th, two sources agree on 06 and none on 05."""
    from gateway.understand import digits

    hand = digits.Reading("05", 0.59, ((0.97, 0, 0, 0, 0, 0, 0, 0, 0.03, 0), (0, 0, 0, 0, 0, 0.6, 0.34, 0, 0.06, 0)))
    assert _likely_days("05", "", (), hand) == ["05", "06"]
    assert _likely_days("05", "", ("05",), hand) == [] and _likely_days("05", "5", (), hand) == []  # agreed
    report = SignatureReport("Sig1", "Sở Nội vụ", "", "CA", "2021-07-06T08:57:00+07:00", True, True,
                             False, True, "untrusted-root", "")
    fields = {"issued_date": FieldValue("2021-07-05", 0.55, "ocr"), _DAY_LIKELY: FieldValue("05,06", 0.0, "ocr")}
    assert _day_from_signature(fields, [report], "", []) is True  # chosen: its doubt shows in the evidence
    assert fields["issued_date"].value == "2021-07-06" and _DAY_LIKELY not in fields
    fields = {"issued_date": FieldValue("2021-07-05", 0.55, "ocr"), _DAY_LIKELY: FieldValue("05,08", 0.0, "ocr")}
    assert _day_from_signature(fields, [report], "", []) is False
    assert fields["issued_date"].value == "2021-07-05"  # no likely reading is the signature's day: it stands


def test_tesseracts_day_the_recognizer_read_otherwise_gives_way_to_the_recognizers_reading_the_signature_agrees_with(
) -> None:
    """Tesseract's box read "15", the recognizer "25" (unsure): they disagree, and the document was signed on the
    25th, so two sources that do not share their errors agree on 25."""
    from gateway.understand import digits

    hand = digits.Reading("25", 0.43, ((0, 0, 0.55, 0, 0, 0, 0, 0, 0.45, 0), (0, 0, 0, 0, 0, 1.0, 0, 0, 0, 0)))
    assert _likely_days("15", "", ("15",), hand) == ["15", "25"]
    assert _likely_days("15", "15", ("15",), hand) == []  # the page and the box agree: no signature overrules them
    seconding = digits.Reading("12", 0.46, ((0, 1.0, 0, 0, 0, 0, 0, 0, 0, 0), (0, 0.3, 0.6, 0, 0, 0, 0, 0, 0.1, 0)))
    assert _likely_days("11", "11", (), seconding) == []  # the page's 11 the recognizer found nearly as likely
    report = SignatureReport("Sig1", "Cục Xúc tiến thương mại", "", "CA", "2025-07-25T12:25:00+07:00", True, True,
                             False, True, "untrusted-root", "")
    fields = {"issued_date": FieldValue("2025-07-15", 0.55, "ocr"), _DAY_LIKELY: FieldValue("15,25", 0.0, "ocr")}
    assert _day_from_signature(fields, [report], "", []) is True  # chosen: its doubt shows in the evidence
    assert fields["issued_date"].value == "2025-07-25"


def test_a_days_likely_readings_are_weighed_among_the_readings_that_are_days() -> None:
    """A small "03" the recognizer alone read "02", its first digit likelier an 8 or a 6 than a 0: among the
    readings that are days, 03 holds a third, so the signature on the 3rd settles it (no "82" is a day)."""
    from gateway.understand import digits

    hand = digits.Reading("02", 0.33, ((0.2, 0, 0, 0, 0, 0, 0.26, 0, 0.45, 0.09), (0, 0, 0.66, 0.32, 0, 0, 0, 0, 0.02, 0)))
    assert _likely_days("02", "", (), hand) == ["02", "03"]
    report = SignatureReport("Sig1", "Ủy ban nhân dân tỉnh", "", "CA", "2019-03-03T07:46:00+07:00", True, True,
                             False, True, "untrusted-root", "")
    fields = {"issued_date": FieldValue("2019-03-02", 0.55, "ocr"), _DAY_LIKELY: FieldValue("02,03", 0.0, "ocr")}
    assert _day_from_signature(fields, [report], "", []) is True
    assert fields["issued_date"].value == "2019-03-03"


def test_a_day_the_recognizer_read_as_one_digit_may_be_the_signatures_day_that_holds_it() -> None:
    """A faint "10" the recognizer alone read as one sure "1" (its 0 lost): ND30 writes a day with two digits, so the
    signature on the 10th, whose day holds the 1, settles it; a signature on the 8th does not."""
    from gateway.understand import digits

    hand = digits.Reading("1", 0.8, ((0, 0.8, 0.03, 0, 0, 0, 0, 0.1, 0.04, 0),))
    assert "10" in _likely_days("01", "", (), hand) and "08" not in _likely_days("01", "", (), hand)
    report = SignatureReport("Sig1", "Hội đồng nhân dân tỉnh", "", "CA", "2024-04-10T13:19:00+07:00", True, True,
                             False, True, "untrusted-root", "")
    fields = {"issued_date": FieldValue("2024-04-01", 0.55, "ocr"),
              _DAY_LIKELY: FieldValue(",".join(_likely_days("01", "", (), hand)), 0.0, "ocr")}
    assert _day_from_signature(fields, [report], "", []) is True
    assert fields["issued_date"].value == "2024-04-10"


def test_a_recognizers_one_digit_day_that_tesseracts_two_digits_hold_has_no_vote() -> None:
    """A small "26" the recognizer read as one sure "2" (its 6 run into the print) and Tesseract's box as "26": the
    day has two digits, so the box's reading stands, not "02"."""
    from gateway.understand import digits

    hand = digits.Reading("2", 0.9, ((0, 0.05, 0.9, 0, 0, 0, 0, 0, 0.05, 0),))
    assert _day_vote("", ("26",), hand) == "26"
    assert _day_vote("", ("13",), hand) == "02"  # the box holds no 2: the recognizer's reading stands
    assert _day_vote("", (), hand) == "02"


def test_unsure_handwritten_day_readings_choose_by_the_signature_before_its_own_day() -> None:
    # No reading of the handwritten day was sure enough to stand (the date is blank): the likeliest reading
    # that dates the document within ten days before its signature is taken, not the signature's own day.
    report = SignatureReport("Sig1", "Tổng công ty", "", "CA", "2022-01-05T09:10:00+07:00", True, True,
                             False, True, "untrusted-root", "")
    line = "Hải Phòng, ngày °: tháng 01 năm 2022"
    fields = {_DAY_READINGS: FieldValue("09,04,01", 0.0, "ocr")}
    assert _day_from_signature(fields, [report], line, []) is True  # chosen: no two readings agreed on it
    assert fields["issued_date"].value == "2022-01-04" and _DAY_READINGS not in fields
    fields = {_DAY_READINGS: FieldValue("01,05,04", 0.0, "ocr")}  # one reading is the signature's day: it agrees
    assert _day_from_signature(fields, [report], line, []) is True
    assert fields["issued_date"].value == "2022-01-05"
    fields = {_DAY_READINGS: FieldValue("18,28", 0.0, "ocr")}  # none fits: the signature's day, as before
    assert _day_from_signature(fields, [report], line, []) is False
    assert fields["issued_date"].value == "2022-01-05" and fields["issued_date"].source == "signature"


def test_confidence_drops_when_a_check_fails() -> None:
    # A handwritten day has no second reading of its own (again:none): only readings seen right with that
    # very evidence lift it to the top band.
    table = {"issued_date": {"ocr|hand|sig:same|mail:none|again:none": (80, 79),
                             "ocr|hand|sig:after|mail:none|again:none": (40, 6),
                             "text|print|sig:none|mail:none": (400, 400)},
             "code_number": {"ocr|print|fn:agree|again:none": (50, 50), "ocr|print|fn:differ|again:none": (50, 20)}}
    fields = {"issued_date": FieldValue("2025-03-22", 0.5, "ocr"), "code_number": FieldValue("12", 0.5, "ocr")}
    signed = confidence.Checks(signed_on=__import__("datetime").date(2025, 3, 21), filename=("13", "TB"),
                               handwritten=frozenset({"issued_date"}))
    found = confidence.evidence(fields, signed)
    assert found["issued_date"].startswith("ocr|hand|sig:after") and "fn:differ" in found["code_number"]
    low = confidence.calibrated(fields, found, table)
    same = confidence.Checks(signed_on=__import__("datetime").date(2025, 3, 22), filename=("12", "TB"),
                             handwritten=frozenset({"issued_date"}))
    high = confidence.calibrated(fields, confidence.evidence(fields, same), table)
    assert low["issued_date"].confidence < 0.4 < 0.9 < high["issued_date"].confidence
    assert low["code_number"].confidence < 0.6 < 0.9 < high["code_number"].confidence


def test_a_failed_check_seen_seldom_keeps_a_reading_out_of_the_top_band() -> None:
    """A check that fails starts from doubt, not from its source's record: three OCR'd organs the ký hiệu
    does not abbreviate, all three right, do not make a fourth one sure."""
    table = {"organ_name": {"ocr|known|alone|abbr:agree|ocr:hi": (300, 297), "ocr|known|alone|abbr:differ|ocr:hi":
                            (3, 3)}}
    sure = confidence.estimate(table["organ_name"], "ocr|known|alone|abbr:agree|ocr:hi")
    doubted = confidence.estimate(table["organ_name"], "ocr|known|alone|abbr:differ|ocr:hi")
    assert doubted < 0.9 < sure


def test_the_shipped_table_puts_a_clean_born_digital_document_in_the_top_band() -> None:
    pdf = make_official_pdf(organ=("UBND TỈNH QUẢNG NGÃI", "SỞ TÀI CHÍNH"), number="123", notation="STC-HCSN",
                            place="Quảng Ngãi", day="06", month="01", year="2025", vv=("V/v góp ý dự thảo",),
                            addressees=("Sở Nội vụ",), signer=("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
                            signer_name="Nguyễn Văn An")
    _, meta = understand_file(pdf, "123-STC-HCSN.pdf", CONFIG)
    for key in ("code_number", "code_notation", "issued_date", "organ_name", "signer_name"):
        assert meta.fields[key].confidence >= 0.9, key


@needs_ocr
def test_red_urgency_stamp_set_apart_is_read_by_its_colour() -> None:
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("RGB", (1700, 700), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 48)
    draw.text((100, 80), "ỦY BAN NHÂN DÂN TỈNH QUẢNG NAM", font=font, fill="black")
    draw.rectangle((1200, 300, 1560, 390), outline=(225, 25, 30), width=5)
    draw.text((1235, 318), "HỎA TỐC", font=font, fill=(225, 25, 30))
    draw.ellipse((200, 400, 500, 690), outline=(225, 25, 30), width=6)  # a seal: round, not a stamp
    texts = ocr.red_stamps(page, 200)
    from gateway.understand.patterns import read_marks

    assert read_marks(list(texts)) == (3, 0)
    assert ocr.red_stamps(page.convert("L").convert("RGB"), 200) == ()  # no red: nothing to read apart


def _sealed(pdf_bytes: bytes, dpi: int = 200) -> bytes:
    """The page scanned in colour with a red seal stamped over the left of the signer's title and name."""
    from PIL import Image, ImageChops, ImageDraw

    def seal(image, x, y, _size):
        stamp = Image.new("RGB", image.size, "white")
        draw = ImageDraw.Draw(stamp)
        draw.ellipse((x - 120, y - 40, x + 160, y + 240), outline=(220, 30, 40), width=7)
        draw.ellipse((x - 70, y + 10, x + 110, y + 190), outline=(220, 30, 40), width=3)
        return ImageChops.multiply(image, stamp)  # ink over ink stays dark, as on paper

    return scanned_with(pdf_bytes, "GIÁM ĐỐC", seal, dpi)


@needs_ocr
def test_signer_under_a_red_seal_is_read() -> None:
    pdf = make_official_pdf(organ=("UBND TỈNH QUẢNG NGÃI", "SỞ XÂY DỰNG"), number="31", notation="SXD-QLN",
                            place="Quảng Ngãi", day="09", month="02", year="2025", vv=("V/v nhà ở xã hội",),
                            signer=("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"), signer_name="Võ Văn Dũng",
                            recipients=("Như trên", "Lưu: VT"))
    _, meta = understand_file(_sealed(pdf), "scan.pdf", CONFIG)
    assert meta.get("signer_name") == "Võ Văn Dũng"
    assert meta.get("signer_position") == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"


@needs_ocr
def test_signer_on_a_page_after_an_attachment() -> None:
    first = make_official_pdf(organ=("UBND TỈNH QUẢNG NGÃI", "SỞ XÂY DỰNG"), number="32", notation="SXD-QLN",
                              place="Quảng Ngãi", day="09", month="02", year="2025", vv=("V/v danh sách",),
                              body="Danh sách kèm theo như sau.", signer=(), signer_name="")
    table = make_pdf(["\n".join(f"{i}. Công trình số {i} cần kiểm tra" for i in range(1, 25))])
    last = make_pdf(["Các đơn vị thực hiện.\n\nKT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC\n\n\nTrần Thị Thu Hà"])
    _, meta = understand_file(scan_of(first, table, last, angle=0.4, speckle=4000), "32.pdf", CONFIG)
    assert meta.get("signer_name") == "Trần Thị Thu Hà"


@needs_ocr
def test_typewritten_page_gives_its_date_and_trich_yeu() -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("Mono", "", "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf")
    pdf.set_font("Mono", size=11)
    pdf.add_page()
    rows = [("UỶ BAN NHÂN DÂN", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"), ("TỈNH QUẢNG NGÃI", "Độc lập - Tự do - Hạnh phúc"),
            ("", ""), ("Số: 215/QĐ-UB", "Quảng Ngãi, ngày 5 tháng 3 năm 1996")]
    for index, (left, right) in enumerate(rows):
        pdf.set_xy(15, 20 + 6 * index)
        pdf.cell(80, 6, left, align="C")
        pdf.set_xy(100, 20 + 6 * index)
        pdf.cell(100, 6, right, align="C")
    for index, line in enumerate(("QUYẾT ĐỊNH", "Về việc thành lập Hội đồng thi đua khen thưởng",
                                  "", "Căn cứ Luật Tổ chức Hội đồng nhân dân và Ủy ban nhân dân;")):
        pdf.set_xy(15, 55 + 6 * index)
        pdf.cell(180, 6, line, align="C" if index < 2 else "L")
    _, meta = understand_file(scan_of(bytes(pdf.output()), angle=0.8, speckle=900), "vb.pdf", CONFIG)
    assert meta.get("issued_date") == "1996-03-05"
    subject = meta.get("subject")  # a typewriter's letters are OCR's hardest: a letter may be off
    assert subject.startswith("Về việc thành") and subject.endswith("Hội đồng thi đua khen thưởng")
    assert meta.get("code_notation") == "QĐ-UB"


def test_a_title_ocr_read_with_a_speck_before_it_still_opens_its_trich_yeu() -> None:
    # Dust or a seal's edge left of the centred type name reads as punctuation (": BÁO CÁO"), and a piece of the
    # next line's capital as a line of its own: the title is still the title, and its trích yếu the block under it.
    head = ("SỞ NÔNG NGHIỆP VÀ PTNT", "CHI CỤC KIỂM LÂM", "Số: 74/BC-CCKL Quảng Nam, ngày 12 tháng 12 năm 2016", "",
            ": BÁO CÁO", "Ề", "Về việc phê duyệt công tác tuyển dụng viên chức theo",
            "Nghị định số 64/2016/NĐ-CP của Chính phủ", "", "Kính gửi: Sở Kế hoạch và Đầu tư.")
    centred = ("", "BÁO CÁO", "Về việc phê duyệt công tác tuyển dụng viên chức theo",
               "Nghị định số 64/2016/NĐ-CP của Chính phủ", "", "Kính gửi: Sở Kế hoạch và Đầu tư.")
    fields = patterns.parse(patterns.DocText(head, center=centred), "ocr").fields
    assert fields["type_name"].value == "Báo cáo"
    assert fields["subject"].value == ("Về việc phê duyệt công tác tuyển dụng viên chức theo Nghị định số "
                                       "64/2016/NĐ-CP của Chính phủ")
