"""The issuing organ and the trích yếu read from scans: doubled vowels, a level word ending a place's name, a
typewriter's "l" read "t", made on lines and words written here."""

from __future__ import annotations

import dataclasses

from gateway.core.values import FieldValue
from gateway.understand import layout, patterns, syllables, tones
from gateway.understand.fields import _respelled, _retoned_joins


def test_a_vowel_read_twice_is_read_once_when_that_makes_a_known_syllable() -> None:
    assert syllables.undouble_line("TỔỐNG CÔNG TY ĐIỆN LỰC MIÊ ỀN NAM") == "TỔNG CÔNG TY ĐIỆN LỰC MIỀN NAM"
    assert syllables.undouble_line("ỦY BAN NHÂN DÂN HUYỆN BA TƠ") == "ỦY BAN NHÂN DÂN HUYỆN BA TƠ"
    assert syllables.undouble("XOONG") == "XOONG"  # no known syllable without the second O: left as read
    assert syllables.undouble_line("HUYỆN HÒA AN") == "HUYỆN HÒA AN"  # two known syllables are two words


def test_a_level_word_at_the_end_of_a_place_name_keeps_its_own_tone() -> None:
    assert patterns.respell("ỦY BAN NHÂN DÂN HUYỆN SƠN TỊNH") == "ỦY BAN NHÂN DÂN HUYỆN SƠN TỊNH"
    assert patterns.respell("ỦY BAN NHÂN DÂN TỊNH YÊN BÁI") == "ỦY BAN NHÂN DÂN TỈNH YÊN BÁI"
    joined = _retoned_joins({"organ_name": FieldValue("SỞ Y TẾ TĨNH QUẢNG NGÃI", 0.7, "ocr")})
    assert joined["organ_name"].value == "SỞ Y TẾ TỈNH QUẢNG NGÃI"  # the name after it came from the next line


def test_a_typewriters_l_read_as_t_is_put_back_in_a_known_phrase() -> None:
    assert tones.retone("kiểm tra việc quản tý, sử dụng tài sản") == "kiểm tra việc quản lý, sử dụng tài sản"
    assert tones.retone("môi trường tàng nghề") == "môi trường làng nghề"
    assert tones.retone("Kết tuận của Chủ tịch") == "Kết luận của Chủ tịch"
    assert tones.retone("tổ chức thực hiện") == "tổ chức thực hiện"  # a "t" the phrase has stays
    assert tones.retone("tý lệ") == "tý lệ"  # no known phrase: nothing is changed


def test_a_doubled_vowel_no_longer_hides_the_issuing_organ_under_its_parent() -> None:
    ocr_lines = patterns.DocText(("TẬP ĐOÀN ĐIỆN LỰC VIỆT NAM", "TỔỐNG CÔNG TY ĐIỆN LỰC MIỀN NAM", "",
                                  "Số: 12/EVNSPC-KD", "V/v cấp điện mùa khô năm 2025"))
    parsed = patterns.parse(_respelled(ocr_lines), "ocr", 0.7)
    assert parsed.fields["organ_name"].value == "TỔNG CÔNG TY ĐIỆN LỰC MIỀN NAM"
    assert parsed.fields["organ_parent"].value == "TẬP ĐOÀN ĐIỆN LỰC VIỆT NAM"


def _page(*rows: tuple[str, float, float, float]) -> layout.PageText:
    """An A4 page in pixels at 200 dpi, one segment per (text, x0, x1, top)."""
    return layout.PageText(1654, 2339, tuple(layout.Segment(t, x0, x1, top, top + 40, 90.0) for t, x0, x1, top in rows))


def test_the_unit_ocr_ran_into_the_tieu_ngu_or_into_its_rule_stays_in_the_left_column() -> None:
    page = _page(("SỞ Y TẾ TỈNH THÁI BÌNH", 240, 660, 160), ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 740, 1440, 160),
                 ("BAN QUẢN LÝ DỰ ÁN ĐẦU TƯ XÂY DỰNG Độc lập -", 240, 1070, 205), ("Tự do -", 1080, 1180, 205),
                 ("Hạnh phúc", 1200, 1350, 205), ("Số: 43/GM-BQLDA", 250, 600, 300),
                 ("Thái Bình, ngày 20 tháng 01 năm 2017", 800, 1400, 300))
    parsed = patterns.parse(layout.doc_text([page]), "ocr", 0.7)
    assert parsed.fields["organ_name"].value == "BAN QUẢN LÝ DỰ ÁN ĐẦU TƯ XÂY DỰNG"
    assert parsed.fields["organ_parent"].value == "SỞ Y TẾ TỈNH THÁI BÌNH"
    page = _page(("ỦY BAN NHÂN DÂN TỈNH", 280, 680, 160), ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 780, 1480, 160),
                 ("VĨNH LONG", 390, 570, 205), ("Độc lập - Tự do - Hạnh phúc", 900, 1350, 210),
                 ("SỞ TÀI NGUYÊN VÀ MÔI" + "." * 40, 280, 1210, 250), ("TRƯỜNG", 405, 550, 300),
                 ("Số: 24/QĐ-STNMT", 330, 620, 390))
    parsed = patterns.parse(layout.doc_text([page]), "ocr", 0.7)
    assert parsed.fields["organ_name"].value == "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG"


def test_organ_lines_end_at_a_garbled_so_line_and_a_phrase_line_continues_the_name() -> None:
    lines = ["HỘI ĐỒNG NHÂN DÂN", "TỈNH PHÚ YÊN", "", "“.\" /ÑQ-HĐND"]
    assert patterns.split_organ(patterns._organ_lines(lines)) == ("", "HỘI ĐỒNG NHÂN DÂN TỈNH PHÚ YÊN")
    lines = ["TẬP ĐOÀN BƯU CHÍNH VIỄN", "THÔNG VIỆT NAM", "TỔNG CÔNG TY DỊCH VỤ", "VIỄN THÔNG"]
    assert patterns.split_organ(lines) == ("TẬP ĐOÀN BƯU CHÍNH VIỄN THÔNG VIỆT NAM", "TỔNG CÔNG TY DỊCH VỤ VIỄN THÔNG")
    lines = ["ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI", "VĂN PHÒNG"]  # a phrase spelled as a head word starts the body
    assert patterns.split_organ(lines) == ("ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI", "VĂN PHÒNG")


def test_an_agency_line_ocr_read_badly_is_read_again_alone_and_taken_when_it_reads_as_syllables(monkeypatch) -> None:
    from gateway.understand import fields

    page = _page(("ỦY BAN NHÂN DÂN TỈNH", 280, 680, 160), ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 780, 1480, 160),
                 ("ĐIỆN BIÊN", 390, 570, 205), ("Độc lập - Tự do - Hạnh phúc", 900, 1350, 210),
                 ("SỞXÂYDỤNG O.O.", 330, 700, 250), ("Số: ##ø? /SXD-VX", 330, 620, 330),
                 ("Điện Biên, ngày“", 700, 1000, 330))
    page = layout.PageText(page.width, page.height, tuple(  # the số's line and the date beside it are no agency's
        dataclasses.replace(s, confidence=12.0) if s.text.startswith(("SỞX", "Số", "Điện Biên,")) else s
        for s in page.segments))
    asked = []

    def line(pdf, index, box, dpi, **options):
        asked.append(box)
        return "SỞ XÂY DỰNG ÿtØirav"  # the rule under the line read as letters: left out

    monkeypatch.setattr(fields.ocr, "read_line", line)
    again = fields._organ_reread(None, page, 300)
    assert len(asked) == 1 and asked[0][2] < 900 / page.width  # the box ends before the Tiêu ngữ beside it
    assert patterns.parse(layout.doc_text([again]), "ocr", 0.7).fields["organ_name"].value == "SỞ XÂY DỰNG"
    monkeypatch.setattr(fields.ocr, "read_line", lambda *a, **k: "S0 X4Y")
    assert fields._organ_reread(None, page, 300) == page  # a reading no better than the first is not taken


def test_an_agency_line_read_as_junk_with_digits_is_read_again(monkeypatch) -> None:
    """The bold line with its rule under it came out as junk holding digits ("SOI VTẾ D7122 1903007"): without it
    the cơ quan chủ quản above would be taken for the issuing organ."""
    from gateway.understand import fields

    page = _page(("ỦY BAN NHÂN DÂN TỈNH HẬU", 260, 740, 157), ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 805, 1500, 159),
                 ("GIANG", 447, 552, 210), ("SOI VTẾ D7122 1903007 A0 xa", 436, 1239, 243),
                 ("Số: 8023/TB-SYT", 358, 643, 342))
    page = layout.PageText(page.width, page.height, tuple(
        dataclasses.replace(s, confidence=0.0) if s.text.startswith("SOI") else s for s in page.segments))
    assert patterns.parse(layout.doc_text([page]), "ocr", 0.7).fields["organ_name"].value != "SỞ Y TẾ"
    monkeypatch.setattr(fields.ocr, "read_line", lambda *a, **k: "SỞ Y TẾ")
    again = fields._organ_reread(None, page, 300)
    assert patterns.parse(layout.doc_text([again]), "ocr", 0.7).fields["organ_name"].value == "SỞ Y TẾ"


def test_central_highland_names_ocr_glued_are_cut_and_a_head_word_gets_its_spelling() -> None:
    assert syllables.unglue("ỦY BAN NHÂN DÂN TỈNH ĐẮKLẮK") == "ỦY BAN NHÂN DÂN TỈNH ĐẮK LẮK"
    assert patterns.head_spelled("SƠ TÀI CHÍNH") == "SỞ TÀI CHÍNH"
    assert patterns.head_spelled("SỐ") == "SỐ"  # nothing after it: no organ's name


def test_a_plan_year_of_a_trich_yeu_read_with_a_9_for_its_0_is_read_again() -> None:
    import datetime as dt

    from gateway.understand.fields import _future_years

    fields = {"subject": FieldValue("Kiện toàn công tác tuyển dụng đến năm 2930, tầm nhìn 2050", 0.6, "ocr")}
    _future_years(fields, dt.date(2025, 1, 1), [])
    assert fields["subject"].value == "Kiện toàn công tác tuyển dụng đến năm 2030, tầm nhìn 2050"


def test_a_wide_run_centred_right_and_two_bad_pieces_of_one_row_are_read_again_once(monkeypatch) -> None:
    from gateway.understand import fields

    page = _page(("TẬP ĐOÀN ĐIỆN LỰC VIỆT NAM", 240, 700, 160), ("Độc lập - Tự do - Hạnh phúc", 200, 1500, 120),
                 ("BỆNNHTIẨA—", 240, 500, 205), ("VIỆNXZ", 520, 700, 210), ("Số: 12/BV-KH", 250, 600, 300))
    page = layout.PageText(page.width, page.height, tuple(
        dataclasses.replace(s, confidence=20.0) if s.text.startswith(("BỆ", "VIỆNX")) else s for s in page.segments))
    asked = []

    def line(pdf, index, box, dpi, **options):
        asked.append(box)
        return "BỆNH VIỆN ĐIỆN LỰC"

    monkeypatch.setattr(fields.ocr, "read_line", line)
    again = fields._organ_reread(None, page, 300)
    assert len(asked) == 1
    assert patterns.parse(layout.doc_text([again]), "ocr", 0.7).fields["organ_name"].value == "BỆNH VIỆN ĐIỆN LỰC"


def test_an_organ_line_read_twice_over_is_said_once_and_a_glued_so_line_ends_the_organ() -> None:
    lines = ["SỞ NÔNG NGHIỆP VÀ PTNT TỈNH ĐIỆN BIÊN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
             "CHI CỤC KIỂM LÂM CHI CỤC KIỂM LÂM Độc lập - Tự do - Hạnh phúc", "Số: 582/QĐ-CCKL"]
    assert patterns.split_organ(patterns._organ_lines(lines))[1] == "CHI CỤC KIỂM LÂM"
    lines = ["BỘ NỘI VỤ CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "— Độc lập - Tự do - Hạnh phúc", "Số05KHBNV  —————-",
             "Hà Nội, ngày 05 tháng 9 năm 2017"]
    assert patterns.split_organ(patterns._organ_lines(lines)) == ("", "BỘ NỘI VỤ")
    assert patterns._said_once("BAN BAN QUẢN LÝ") == "BAN BAN QUẢN LÝ"  # one word twice is no run read again


def test_an_organ_word_that_is_no_syllable_is_put_right_by_a_known_field_and_says_so() -> None:
    from gateway.core.values import FieldValue
    from gateway.understand import confidence
    from gateway.understand.fields import _repair_organ

    for read, right in (("SỞ V TẾ", "SỞ Y TẾ"), ("UBND TỈNH QUẢNG NGAl", "UBND TỈNH QUẢNG NGÃI"),
                        ("SỞ GIAO THÔNG VẬN TẢl", "SỞ GIAO THÔNG VẬN TẢI")):
        fields = {"organ_name": FieldValue(read, 0.6, "ocr")}
        assert _repair_organ(fields) and fields["organ_name"].value == right
    for kept in ("SỞ Y TẾ", "SỞ NÔNG NGHIỆP VÀ PTNT", "UBND HUYỆN BÌNH DAl"):  # syllables, or no field near
        fields = {"organ_name": FieldValue(kept, 0.6, "ocr")}
        assert not _repair_organ(fields) and fields["organ_name"].value == kept
    fields = {"organ_name": FieldValue("SỞ Y TẾ", 0.6, "ocr")}
    found = confidence.evidence(fields, confidence.Checks(second_reading={"organ_name": "differ"}))
    assert "again:differ" in found["organ_name"].split("|")
    assert "again:differ" not in confidence.evidence(fields, confidence.Checks())["organ_name"].split("|")


def test_the_rule_under_an_agency_line_is_whitened_before_the_line_is_read_again() -> None:
    from PIL import Image, ImageDraw

    from gateway.understand import ocr

    image = Image.new("L", (400, 100), 255)
    draw = ImageDraw.Draw(image)
    for x in range(20, 300, 40):  # capitals 40 px high
        draw.rectangle((x, 20, x + 25, 60), fill=0)
    draw.rectangle((62, 66, 67, 71), fill=0)  # a dot under a letter (nặng): as wide as high, it stays
    for x in range(100, 220, 20):  # a rule of hyphens under the line: flat, it goes
        draw.rectangle((x, 80, x + 12, 83), fill=0)
    cleaned = ocr.whiten_rule(image)
    assert cleaned.getpixel((105, 81)) == 255
    assert cleaned.getpixel((64, 68)) == 0 and cleaned.getpixel((30, 40)) == 0
    plain = Image.new("L", (400, 100), 255)
    ImageDraw.Draw(plain).rectangle((20, 20, 45, 60), fill=0)
    assert ocr.whiten_rule(plain) is plain  # nothing under the line: the image as it was


def test_a_lone_modifier_mark_ocr_read_from_the_rule_is_no_word_of_the_organ() -> None:
    from gateway.understand import fields

    lines = ["TẬP ĐOÀN ĐIỆN LỰC VIỆT NAM", "TỔNG CÔNG TY ĐIỆN LỰC ˆ", "MIỀN NAM", "Số: 03/QĐ-EVNSPC"]
    assert patterns.split_organ(patterns._organ_lines(lines))[1] == "TỔNG CÔNG TY ĐIỆN LỰC MIỀN NAM"
    lines = ["BỘ XÂY DỰNG ˆ. ..", "Số: 31/HD-BXD"]
    assert patterns.split_organ(patterns._organ_lines(lines))[1] == "BỘ XÂY DỰNG"
    assert fields._without_litter("BỘ XÂY DỰNGˆ") == "BỘ XÂY DỰNG"  # glued to a word, it goes from a re-reading


def test_an_agency_line_garbled_to_look_like_the_so_line_is_read_again(monkeypatch) -> None:
    from gateway.understand import fields

    page = _page(("ỦY BAN NHÂN DÂN TỈNH", 280, 680, 160), ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 780, 1480, 160),
                 ("LẠNG SƠN", 390, 570, 205), ("S; PƯPHAP-.-......", 330, 1000, 250),
                 ("Số: 48", 330, 450, 330), ("/QĐ-STP", 500, 650, 330))
    page = layout.PageText(page.width, page.height, tuple(
        dataclasses.replace(s, confidence=0.0) if s.text.startswith("S;") else s for s in page.segments))
    monkeypatch.setattr(fields.ocr, "read_line", lambda *a, **k: "F- SỞ TƯ PHÁP")  # the shadow's litter goes
    again = fields._organ_reread(None, page, 300)
    assert patterns.parse(layout.doc_text([again]), "ocr", 0.7).fields["organ_name"].value == "SỞ TƯ PHÁP"


def test_a_taller_box_is_read_for_a_line_still_unread_and_taken_only_word_for_word(monkeypatch) -> None:
    from gateway.understand import fields

    page = _page(("SỞ Y TẾ TỈNH THÁI BÌNH", 240, 660, 160), ("TRUNG TÂM KIẾỂM SOÁT BÊNH TẬT", 240, 700, 205),
                 ("Số: 12/QĐ-TTKSBT", 250, 600, 300))
    page = layout.PageText(page.width, page.height, tuple(
        dataclasses.replace(s, confidence=30.0) if s.text.startswith("TRUNG") else s for s in page.segments))
    asked = []

    def line(pdf, index, box, dpi, **options):
        asked.append(box)
        return "TRUNG TÂM KIẾM SOÁT BỆNH" if len(asked) == 2 else "TRUNG TÂM KIẾỂM SOÁT BỆNH TẬT"

    monkeypatch.setattr(fields.ocr, "read_line", line)
    again = fields._organ_reread(None, page, 300)
    assert len(asked) == 2 and asked[1][3] > asked[0][3]  # the second reaches lower (its top stops at the line above)
    assert "TRUNG TÂM KIẾỂM SOÁT BÊNH TẬT" in layout.doc_text([again]).lines[1]  # a word lost: not taken
    asked.clear()
    monkeypatch.setattr(fields.ocr, "read_line", lambda *a, **k: asked.append(a) or (
        "TRUNG TÂM KIẾỂM SOÁT BỆNH TẬT" if len(asked) == 1 else "TRUNG TÂM KIỂM SOÁT BỆNH TẬT"))
    taller: list[str] = []
    again = fields._organ_reread(None, page, 300, taller=taller)
    assert layout.doc_text([again]).lines[1] == "TRUNG TÂM KIỂM SOÁT BỆNH TẬT"
    assert taller == ["TRUNG TÂM KIỂM SOÁT BỆNH TẬT"]  # read in a box of our own: the organ says again:differ
    organ = {"organ_name": FieldValue("TRUNG TÂM KIỂM SOÁT BỆNH TẬT", 0.7, "ocr")}
    assert fields._organ_holds(organ, taller) and not fields._organ_holds(organ, ["SỞ Y TẾ"])


def test_an_agency_line_of_a_skewed_scan_is_read_again_in_the_page_turned_as_ocr_read_it() -> None:
    """A scan skewed by 1.5° whose agency line the page's reading ran together: OCR reads the page straightened, so
    the line's box in its coordinates lies turned on the page as drawn, into the lines above and below at its
    left end (the header's narrow line spacing). The box is cut from the page turned as the reading's was."""
    import pypdfium2 as pdfium
    from docgen import skewed_header_scan

    from gateway.understand import fields, ocr

    scan = skewed_header_scan([(120, 60, "UBND TỈNH QUẢNG NAM", False),
                               (660, 60, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True),
                               (90, 92, "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", True), (760, 92, "Độc lập - Tự do - Hạnh phúc", True),
                               (200, 124, "Số: 7477/STNMT-KT", False),
                               (700, 150, "Quảng Nam, ngày 27 tháng 10 năm 2024", False)], 1.5)
    pdf = pdfium.PdfDocument(scan)
    page = ocr.ocr_region(pdf, 0, 1.0, 300).page
    assert page.turn[0] == -1.5
    line = next(s for s in page.segments if "TRƯỜNG" in s.text)
    garbled = dataclasses.replace(line, text="SỞTÀI NGUYÊNVÀ MÔITRƯỜNG", confidence=30.0)
    page = dataclasses.replace(page, segments=tuple(garbled if s is line else s for s in page.segments))
    again, _ = fields._agency_row_again(pdf, page, [garbled], garbled, page.width / 2, 300)
    assert again == "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG"
