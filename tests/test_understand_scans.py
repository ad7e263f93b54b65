"""Failure classes of scans and signed files, each on a document or lines made here: look-alike digits in the
số, file names that are no code, specks between the lines of a signer's title."""

from __future__ import annotations

import pytest
from docgen import make_official_pdf, stamped_scan

from gateway.core.config import Config
from gateway.understand import ocr, patterns
from gateway.understand.single import understand_file

CONFIG = Config()
needs_ocr = pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr-vie is not installed")


def test_look_alike_letters_in_the_number_box_are_read_as_digits() -> None:
    assert patterns.read_code(["Số: I1 /TB-UBND"]) == ("11", "TB-UBND")
    assert patterns.read_code(["Số: 2O/QĐ-UBND"]) == ("20", "QĐ-UBND")
    assert patterns.read_code(["Số: Il /TB-UBND"]) == ("", "TB-UBND")  # no digit at all: left blank


def test_a_ky_hieu_marred_by_the_handwriting_or_a_speck_is_still_read() -> None:
    # the handwriting over the slash read as letters, a tilde on the N, a speck before the letters
    assert patterns.read_code(["Số: 35 /ÑQ-HĐND_ Hà Tĩnh, ngày 02 tháng 01 năm 2023"]) == ("35", "NQ-HĐND")
    assert patterns.read_code(["Số: Z⁄ /@GM-UBND Long An, ngày 01 tháng 11 năm 2015"]) == ("", "GM-UBND")
    assert patterns.read_code(["Số: /⁄Z /CĐ-STC Đắk Lắk, ngày 02 tháng 11 năm 2025"]) == ("", "CĐ-STC")
    # a capital Đ read as the look-alike Eth beside itself; "Số:" read without its S or as another word
    assert patterns.read_code(["Số: 05/QĐÐ-SKHCN Cao Bằng, ngày 15 tháng 12 năm 2016"]) == ("05", "QĐ-SKHCN")
    assert patterns.read_code(["Số: 8340/HĐÐĐND-KHTC Cà Mau"]) == ("8340", "HĐND-KHTC")
    assert patterns.read_code(["ố: 17 /QĐ-UBND Đồng Tháp, ngày 21 tháng 10 năm 2018"]) == ("17", "QĐ-UBND")
    assert patterns.read_code(["sẽ; J7 /KH-BV Thái Bình, ngày 25 tháng 3 năm 2021"]) == ("", "KH-BV")
    # only the "Số:" line of the header: a number cited in the body is no document's own
    assert patterns.read_code(["Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020"]) is None
    assert patterns.read_code(["B0: 21/7: HC :LE Tây Ninh, ngày 02 tháng 6 năm 2019"]) is None


def test_a_bare_number_in_the_file_name_is_no_so() -> None:
    pdf = make_official_pdf(organ=("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI"), number="  ", notation="TB-UBND",
                            place="Quảng Ngãi", day="08", month="01", year="2025", title="THÔNG BÁO",
                            subject=("Kết luận của Chủ tịch tại cuộc họp",), signer=("CHỦ TỊCH",),
                            signer_name="Nguyễn Văn An")
    _, meta = understand_file(pdf, "05.signed_20250517_044750.pdf", CONFIG)
    assert not meta.get("code_number")
    _, meta = understand_file(pdf, "11 TB.signed_20250517_044750.pdf", CONFIG)
    assert meta.get("code_number") == "11"  # a number with the type's code beside it is the số
    assert meta.fields["code_number"].source == "filename"


def test_specks_of_the_signature_between_title_lines_keep_the_authority_line() -> None:
    lines = ["2", "", "KT. CHỦ TỊCH", "ˆ bó", "PHÓ CHỦ TỊCH", "", "—=——", "Trần Hoàng Tuấn"]
    assert patterns.read_signer(lines) == ("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH", "Trần Hoàng Tuấn")


def test_capitals_ocr_glued_together_are_cut_into_syllables() -> None:
    from gateway.understand.fields import _respelled
    from gateway.understand.syllables import unglue

    assert unglue("ỦY BAN NHÂN DÂN TỈNHLÀO") == "ỦY BAN NHÂN DÂN TỈNH LÀO"
    assert unglue("HUYỆN BATƠ") == "HUYỆN BA TƠ"
    assert unglue("Số: 06/HD-SLĐTBXH UBND EVNSPC") == "Số: 06/HD-SLĐTBXH UBND EVNSPC"  # ký hiệu stay whole
    ocr_lines = patterns.DocText(("UBND TỈNH LẠNG SƠN", "SỞTÀI CHÍNH", "", "Số: 09/TTr-STC",
                                  "V/v triển khai công tác năm 2024"))
    parsed = patterns.parse(_respelled(ocr_lines), "ocr", 0.7)
    assert parsed.fields["organ_name"].value == "SỞ TÀI CHÍNH"
    assert parsed.fields["organ_parent"].value == "UBND TỈNH LẠNG SƠN"


def test_a_phrase_broken_across_lines_gets_its_tones_back_once_joined() -> None:
    from gateway.core.values import FieldValue
    from gateway.understand.fields import _retoned_joins

    fields = {"subject": FieldValue("Về công tác tuyến dụng viên chức", 0.7, "ocr"),
              "organ_name": FieldValue("TỐNG CÔNG TY ĐIỆN LỰC MIỄN NAM", 0.7, "ocr")}
    fields = _retoned_joins(fields)
    assert fields["subject"].value == "Về công tác tuyển dụng viên chức"
    assert fields["organ_name"].value == "TỔNG CÔNG TY ĐIỆN LỰC MIỀN NAM"


def test_a_ky_hieu_run_into_the_date_line_is_no_place() -> None:
    assert patterns.read_date_place(["Số: 09/TTr-STC Lạng Sơn, ngày 12 tháng 3 năm 2024"]) == ("2024-03-12", "Lạng Sơn")
    assert patterns.read_date_place(["Phan Rang-Tháp Chàm, ngày 2 tháng 5 năm 2024"])[1] == "Phan Rang-Tháp Chàm"


def test_a_typewriters_zero_read_as_six_is_no_year_to_come() -> None:
    import datetime as dt

    from gateway.core.values import FieldValue
    from gateway.understand.fields import _future_years

    fields = {"issued_date": FieldValue("2063-09-18", 0.7, "ocr"),
              "subject": FieldValue("Kế hoạch đầu tư công giai đoạn 2621 - 2825", 0.7, "ocr"),
              "code_notation": FieldValue("QĐ-UB", 0.7, "ocr")}
    _future_years(fields, dt.date(2026, 1, 5), [])
    assert fields["issued_date"].value == "2003-09-18"
    assert fields["subject"].value == "Kế hoạch đầu tư công giai đoạn 2021 - 2025"
    fields = {"issued_date": FieldValue("2025-09-18", 0.95, "text")}
    _future_years(fields, dt.date(2025, 1, 5), [])
    assert fields["issued_date"].value == "2025-09-18"  # print is not read again


def test_a_typed_date_line_whose_year_lost_its_zeros_is_read_and_put_right() -> None:
    import datetime as dt

    from gateway.core.values import FieldValue
    from gateway.understand.fields import _future_years

    # a typewriter's 0 read as 9, 6 or 8: the line is still the date line, not a body date further down
    lines = ["Số: 11/CCKL-QLĐT Quảng Trị, ngày 22 tháng 3 năm 2962", "Căn cứ Luật ngày 19 tháng 6 năm 2015;"]
    assert patterns.read_date_place(lines) == ("2962-03-22", "Quảng Trị")
    assert patterns.read_date_place(["Quảng Ngãi, ngày 28 tháng 11 năm 2861"]) == ("2861-11-28", "Quảng Ngãi")
    fields = {"issued_date": FieldValue("2962-03-22", 0.7, "ocr")}
    assert _future_years(fields, dt.date(2026, 1, 5), []) is True  # the year is ours: its evidence says so
    assert fields["issued_date"].value == "2002-03-22"
    fields = {"issued_date": FieldValue("2002-03-22", 0.7, "ocr")}
    assert _future_years(fields, dt.date(2026, 1, 5), []) is False


def test_a_typed_zero_read_as_6_8_or_9_in_the_day_or_month_slot_is_put_back_and_marked() -> None:
    # a day or month no calendar has ("39", "16") and a year read with five digits ("20902") are put right,
    # and parse marks the date repaired so its evidence keeps it below 0.9
    assert patterns.read_date_place(["Hòa Vang, ngày 39 tháng 5 năm 2003"]) == ("2003-05-30", "Hòa Vang")
    assert patterns.read_date_place(["Đà Nẵng, ngày 7 tháng 16 năm 2004"]) == ("2004-10-07", "Đà Nẵng")
    assert patterns.read_date_place(["Hà Nội, ngày 18 tháng 8 năm 20902"]) == ("2002-08-18", "Hà Nội")
    assert patterns.read_date_place(["Huế, ngày 5 tháng 3 năm 19962"]) == ("1996-03-05", "Huế")
    assert patterns.read_date_place(["Huế, ngày 31 tháng 6 năm 2024"]) == ("", "Huế")  # no 0 to put back
    text = patterns.DocText(("Số: 12/UB", "Hòa Vang, ngày 39 tháng 5 năm 2003"))
    assert "issued_date" in patterns.parse(text, "ocr").repaired
    assert "issued_date" not in patterns.parse(patterns.DocText(("Huế, ngày 3 tháng 5 năm 2003",)), "ocr").repaired
    assert patterns.read_month(["Huế, ngày    tháng 5 năm 20902"]) == (2002, 5)
    assert patterns.read_month(["Huế, ngày    tháng 5 năm 2962"]) is None  # its year is no year yet


def test_a_second_reading_of_the_number_and_day_boxes_is_evidence() -> None:
    from docgen import scan_of

    from gateway.understand.single import read_file

    pdf = make_official_pdf(organ=("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI"), number="27", notation="UBND-KT",
                            place="Quảng Ngãi", day="16", month="04", year="2024", vv=("V/v kế hoạch năm",),
                            signer=("CHỦ TỊCH",), signer_name="Nguyễn Văn An")
    _, meta, found = read_file(scan_of(pdf, angle=0.5, dpi=250), "congvan.pdf", CONFIG)
    assert meta.get("issued_date") == "2024-04-16" and meta.get("code_number") == "27"
    assert found["issued_date"].endswith("again:agree") and found["code_number"].endswith("again:agree")


def test_the_place_stands_when_the_handwritten_day_and_month_are_unreadable() -> None:
    assert patterns.read_date_place(["Số: Ø7 /CT-UBND Quảng Ngãi, ngày 2# thángớ† năm 2021"]) == ("", "Quảng Ngãi")
    assert patterns.clean_subject("và việc miễn nhiệm chức danh") == "Về việc miễn nhiệm chức danh"


def test_an_organ_the_ky_hieu_does_not_abbreviate_is_evidence_against_it() -> None:
    from gateway.core.values import FieldValue
    from gateway.understand import confidence

    notation = FieldValue("GM-XTTM", 0.95, "text")
    right = {"organ_name": FieldValue("CỤC XÚC TIẾN THƯƠNG MẠI", 0.95, "text"), "code_notation": notation}
    parent = {"organ_name": FieldValue("BỘ CÔNG THƯƠNG", 0.95, "text"), "code_notation": notation}
    assert confidence.evidence(right, confidence.Checks())["organ_name"].endswith("abbr:agree")
    assert confidence.evidence(parent, confidence.Checks())["organ_name"].endswith("abbr:differ")
    short = {"organ_name": FieldValue("UBND TỈNH SƠN LA", 0.95, "text"),
             "code_notation": FieldValue("UBND-KT", 0.95, "text")}
    assert confidence.evidence(short, confidence.Checks())["organ_name"].endswith("abbr:agree")


def test_a_speck_after_an_addressee_is_no_part_of_it() -> None:
    lines = ["Kính gửi:", "- Văn phòng Chính phủ ˆ", "- UBND các huyện (để biết);", "- Sở Tài chính."]
    assert patterns.read_list(lines, patterns._KINH_GUI, inline_single=True) == [
        "Văn phòng Chính phủ", "UBND các huyện (để biết)", "Sở Tài chính"]


def test_a_signers_page_is_read_without_its_body_lines() -> None:
    """The body's lines run across the page's middle and are no field's: they are whitened before OCR (they
    cost two thirds of the signer page's reading); the two tail columns and the page's top stay."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from gateway.understand import ocr

    page = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 28)
    draw.text((500, 150), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=font, fill=0)  # a Quốc hiệu, centred
    for row in range(12):  # body text from margin to margin
        draw.text((230, 700 + 50 * row), "Đơn vị số 22 thuộc danh sách kèm theo - Đã thực hiện việc "
                  "rà soát và báo cáo", font=font, fill=0)
    draw.text((230, 1400), "Nơi nhận:", font=font, fill=0)
    draw.text((1000, 1400), "KT. CHỦ TỊCH", font=font, fill=0)
    draw.text((1000, 1650), "Nguyễn Văn An", font=font, fill=0)
    out = np.asarray(ocr.without_body(page, 200))
    assert out[700:1300].min() == 255  # the body is gone
    assert out[140:200].min() < 100 and out[1390:1440, 200:500].min() < 100  # the top and Nơi nhận stay
    assert out[1390:1440, 990:1400].min() < 100 and out[1640:1690].min() < 100  # the signer's block stays


def test_header_cells_run_together_in_a_text_layer_are_read_apart() -> None:
    """A LibreOffice PDF's two-column header comes out as one line per row: the agency runs into the Tiêu
    ngữ, the ký hiệu into the place ("38/GM-XTTMHà Nội"); each is read as its own cell."""
    from gateway.understand.layout import PageText, Segment, doc_text

    rows = [("BỘ CÔNG THƯƠNG", 85, 198, 57), ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 229, 479, 57),
            ("CỤC XÚC TIẾN THƯƠNG MẠI Độc lập - Tự do - Hạnh phúc", 85, 411, 73),
            ("Số: 38/GM-XTTMHà Nội, ngày 12 tháng 4 năm 2021", 85, 389, 91), ("GIẤY MỜI", 284, 353, 126)]
    page = PageText(595, 842, tuple(Segment(t, x0, x1, top, top + 14) for t, x0, x1, top in rows))
    parsed = patterns.parse(doc_text([page]), "text", 0.95)
    assert parsed.fields["organ_name"].value == "CỤC XÚC TIẾN THƯƠNG MẠI"
    assert parsed.fields["code_notation"].value == "GM-XTTM" and parsed.fields["place"].value == "Hà Nội"


def test_a_stamps_words_read_apart_are_read_together_too() -> None:
    """"THƯỢNG KHẨN" whose words the red mask left apart was read as two stamps, and taken for "KHẨN"."""
    from gateway.understand import ocr

    texts = ocr._rows_joined([(2044, 732, 791, "KHẨN"), (1763, 741, 802, "THƯỢNG"), (400, 1500, 1560, "MẬT")])
    assert texts == ["THƯỢNG KHẨN"] and patterns.read_marks(["KHẨN", "THƯỢNG", *texts]) == (2, 0)


def test_look_alikes_in_typewritten_prose_are_put_back() -> None:
    # a quarter is I to IV: the strokes OCR read as T, l or 1 (or one too many) are its I's
    assert patterns.typed_lookalikes("kiểm định chất lượng quý TII năm 2017") == "kiểm định chất lượng quý III năm 2017"
    assert patterns.typed_lookalikes("vị trí việc làm quý TTITI năm 2021") == "vị trí việc làm quý III năm 2021"
    assert patterns.typed_lookalikes("cao tốc quý II1I năm 2022") == "cao tốc quý III năm 2022"
    assert patterns.typed_lookalikes("Quý TV năm 2020") == "Quý IV năm 2020"
    assert patterns.typed_lookalikes("quý 1 năm 2024") == "quý 1 năm 2024"  # a quarter in digits stays
    # a 1 among letters is the one of i and l that makes a syllable
    assert patterns.typed_lookalikes("tài sản công gia1 đoạn 2021") == "tài sản công giai đoạn 2021"
    assert patterns.typed_lookalikes("văn thư, 1ưu trữ") == "văn thư, lưu trữ"
    for kept in ("Số: 11/UBND-KT", "Điều 1.", "khoản 1a", "Quy tắc", "TTr-1A"):
        assert patterns.typed_lookalikes(kept) == kept


def _urgent_letter() -> bytes:
    return make_official_pdf(organ=("UBND TỈNH QUẢNG NGÃI", "SỞ XÂY DỰNG"), number="31", notation="SXD-QLN",
                             place="Quảng Ngãi", day="09", month="02", year="2025", vv=("V/v nhà ở xã hội",),
                             signer=("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"), signer_name="Võ Văn Dũng",
                             recipients=("Như trên", "Lưu: VT"))


@needs_ocr
@pytest.mark.parametrize(("mark", "level", "grey"), [("THƯỢNG KHẨN", 2, False), ("KHẨN", 1, False),
                                                     ("HỎA TỐC", 3, True)])
def test_an_urgency_stamp_beside_the_so_line_is_read_and_leaves_the_header_whole(mark: str, level: int,
                                                                                  grey: bool) -> None:
    """A red stamp set in the gap between the số and the date line: its frame read as "Ï" or "|" beside the
    mark hid it in colour; in a grey scan it is read into the số line ("31/SXD-QLN HỎA TỐC Quảng Ngãi")."""
    _, meta = understand_file(stamped_scan(_urgent_letter(), mark, "Số:", 11.5, -0.7, grey), "scan.pdf", CONFIG)
    assert meta.urgency == level
    assert (meta.get("code_number"), meta.get("code_notation")) == ("31", "SXD-QLN")
    assert meta.get("issued_date") == "2025-02-09" and meta.get("organ_name") == "SỞ XÂY DỰNG"


@needs_ocr
@pytest.mark.parametrize("grey", [False, True])
def test_an_urgency_stamp_above_the_quoc_hieu_leaves_the_header_whole(grey: bool) -> None:
    _, meta = understand_file(stamped_scan(_urgent_letter(), "HỎA TỐC", "CỘNG HÒA", 8, -3.2, grey), "scan.pdf",
                              CONFIG)
    assert meta.urgency == 3
    assert (meta.get("code_number"), meta.get("code_notation")) == ("31", "SXD-QLN")
    assert meta.get("issued_date") == "2025-02-09" and meta.get("organ_name") == "SỞ XÂY DỰNG"


@needs_ocr
def test_an_urgency_stamp_over_the_quoc_hieu_is_read_through_the_print_it_crosses() -> None:
    """Where the stamp lies over the Quốc hiệu the two inks meet dark, cutting holes in its letters and its frame."""
    _, meta = understand_file(stamped_scan(_urgent_letter(), "KHẨN", "CỘNG HÒA", 6, -0.6), "scan.pdf", CONFIG)
    assert meta.urgency == 1
    assert (meta.get("code_number"), meta.get("issued_date")) == ("31", "2025-02-09")
    assert meta.get("organ_name") == "SỞ XÂY DỰNG"


def test_a_stamps_frame_and_one_misread_letter_do_not_hide_its_mark() -> None:
    assert patterns.read_stamp_marks(["Ï THƯỢNG KHẨN |"]) == (2, 0)
    assert patterns.read_stamp_marks(["i đóa TỐC |"]) == (3, 0)  # print crossed the H
    assert patterns.read_stamp_marks(["ĐẾN"]) == (0, 0) and patterns.read_stamp_marks(["[ KHAI"]) == (0, 0)


def test_an_urgency_mark_read_into_a_header_line_is_found_by_its_capitals() -> None:
    assert patterns.read_marks_in_header(["Số: 31/SXD-QLN | THƯỢNG KHẨNQuảng Ngãi, ngày 09 tháng 02"]) == 2
    assert patterns.read_marks_in_header(["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM HỎA TỐC"]) == 3
    # a word of an agency's name, or of prose, is no mark
    assert patterns.read_marks_in_header(["BAN CHỈ HUY ỨNG PHÓ KHẨN CẤP", "V/v triển khai khẩn các biện pháp"]) == 0


@needs_ocr
def test_a_stamp_of_letters_alone_keeps_its_letters_stems() -> None:
    """Only a rectangle's sides are a frame: the tall stems of a frameless stamp's letters are no frame to drop."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("RGB", (1700, 500), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 60)
    draw.text((1000, 200), "THƯỢNG", font=font, fill=(215, 30, 35))
    draw.text((1330, 200), "KHẨN", font=font, fill=(215, 30, 35))
    assert patterns.read_stamp_marks(list(ocr.red_stamps(page, 300))) == (2, 0)


@needs_ocr
def test_the_frame_of_a_stamp_on_a_skewed_scan_is_still_a_frame() -> None:
    """A scan turned a little: the frame's top and bottom drift a pixel or two along their length, and were not
    found straight across; its sides were read beside the mark ("_ KHẨN có")."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    for angle in (0.6, 1.5):
        page = Image.new("RGB", (1700, 500), "white")
        draw = ImageDraw.Draw(page)
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 52)
        draw.rectangle((300, 200, 660, 290), outline=(215, 30, 35), width=4)
        draw.text((370, 212), "KHẨN", font=font, fill=(215, 30, 35))
        page = page.rotate(angle, resample=Image.BICUBIC, fillcolor="white").filter(ImageFilter.GaussianBlur(0.8))
        assert patterns.read_stamp_marks(list(ocr.red_stamps(page, 300))) == (1, 0), angle


def test_a_word_of_prose_wrapped_alone_is_no_urgency_mark() -> None:
    """"… cho các xã đặc biệt khó khăn" wrapped leaves "khăn" alone on a line: folded it is "khan", the mark KHẨN."""
    assert patterns.read_marks(["khăn"]) == (0, 0) and patterns.read_marks(["mật"]) == (0, 0)
    assert patterns.read_marks(["KHẨN"]) == (1, 0) and patterns.read_marks(["Khẩn"]) == (1, 0)
    assert patterns.read_stamp_marks(["THƯỢNG KHẨN"]) == (2, 0)


def test_a_date_in_a_sentence_of_the_body_is_not_the_documents_date() -> None:
    """The header's date line read as junk ("Thanh Hóa, dâg'9-HDI tháng 9"): the date of a sentence in the body
    ("báo cáo trước ngày 15 tháng 1 năm 2018") is no date of the document, nor its month the header's month."""
    lines = ["ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
             "Số: 12/KH-UBND Thanh Hóa, dâg'9-HDI tháng 9 năm 2018",
             "Các đơn vị chủ động rà soát, tổng hợp kết quả thực hiện phòng cháy, chữa cháy",
             "năm 2018, báo cáo trước ngày 15 tháng 1 năm 2018 để tổng hợp."]
    parsed = patterns.parse(patterns.DocText(tuple(lines)), "ocr", 0.7)
    assert "issued_date" not in parsed.fields
    assert patterns.read_month(lines) is None and patterns.read_year(lines) is None
    header = ["Số: 12/KH-UBND Thanh Hóa, ngày 05 tháng 9 năm 2018", *lines[2:]]
    assert patterns.parse(patterns.DocText(tuple(header)), "ocr", 0.7).fields["issued_date"].value == "2018-09-05"
    assert patterns.read_month(header) == (2018, 9)


def test_a_ngay_after_a_word_of_a_sentence_holds_no_handwritten_day() -> None:
    from gateway.understand.handwriting import _after_prose
    from gateway.understand.layout import Segment

    ngay = Segment("ngày", 500, 540, 100, 120, 95.0)
    assert _after_prose([Segment("trước", 440, 490, 101, 121, 95.0), ngay], ngay)
    assert not _after_prose([Segment("Hóa,", 440, 490, 101, 121, 95.0), ngay], ngay)  # the place, then the date
    assert not _after_prose([ngay], ngay)  # the line opens with it
