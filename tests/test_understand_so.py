"""The số of scans: the box the handwritten number is read in, placed between the print around it and not into
the lines above or below; the Số line read again on its own row when it stands above the date's."""

from __future__ import annotations

from docgen import draw_digits
from PIL import Image, ImageDraw, ImageFont

from gateway.understand import digits, ocr
from gateway.understand.layout import PageText, Segment

SERIF_BOLD = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf"


def _page(words: list[Segment], image) -> ocr.OcrPage:
    return ocr.OcrPage(0, "top", PageText(image.width, image.height, tuple(words)), 0.0, words=tuple(words),
                       image=image)


def test_the_so_box_stops_at_the_agencys_line_just_above_it() -> None:
    """LibreOffice's narrow line spacing puts the agency's last line (bold capitals) within the half line the box
    reaches over "Số:": its letters' feet must not be read as digits before the handwritten number."""
    from gateway.understand.handwriting import _number

    image = Image.new("RGB", (1240, 400), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    draw.text((60, 38), "TỈNH LẠNG SƠN", font=ImageFont.truetype(SERIF_BOLD, 44), fill=(20, 20, 20))
    draw.text((60, 100), "Số:", font=ImageFont.truetype(SERIF_BOLD.replace("-Bold", "-Regular"), 44), fill=(20, 20, 20))
    draw_digits(image, 160, 98, 38, "8219", pen=3, slant=0.1)
    words = [Segment("TỈNH", 60, 170, 40, 84), Segment("LẠNG", 185, 320, 40, 84), Segment("SƠN", 335, 440, 40, 84),
             Segment("Số:", 60, 125, 92, 146), Segment("/TB-HĐND", 400, 620, 92, 146)]
    page = _page(words, image)
    _, hand = _number(sorted(words, key=lambda w: ((w.top + w.bottom) / 2, w.x0)), page)
    assert hand.text == "8219"


def test_a_so_line_above_the_dates_row_is_read_again_on_its_own_row(monkeypatch) -> None:
    """The agency's name on fewer lines than the Quốc hiệu and Tiêu ngữ leaves "Số:" a line above the date: when
    the page's reading misread it ("SỐ: 02 NGHT"), its own row is read again, not only the date's, and what
    that gives is marked repaired."""
    from gateway.understand import fields, patterns

    so = Segment("SỐ: 02 NGHT", 539, 892, 380, 428)
    rule = Segment("-------------", 1683, 2100, 380, 420)
    date = Segment("Hà Nội, ngày 13 tháng 5 năm 2021", 1400, 2300, 440, 490)
    page = PageText(2480, 1500, (Segment("BỘ CÔNG THƯƠNG", 520, 900, 280, 330), so, rule, date))
    rows = []

    def read_line(pdf, index, box, dpi=300, **_):
        rows.append(box)
        middle = (so.top + so.bottom) / 2 / page.height
        return "Số: 02/NQ-BCT" if box[1] < middle < box[3] and box[2] * page.width > so.x1 else ""

    monkeypatch.setattr(ocr, "read_line", read_line)
    text = patterns.DocText(("BỘ CÔNG THƯƠNG", "SỐ: 02 NGHT", "Hà Nội, ngày 13 tháng 5 năm 2021", "NGHỊ QUYẾT"))
    parsed = patterns.parse(text, "ocr", 0.7)
    assert "code_notation" not in parsed.fields
    again = fields._so_line_again(None, page, text, parsed, 300)
    assert again.fields["code_number"].value == "02" and again.fields["code_notation"].value == "NQ-BCT"
    assert "code_notation" in again.repaired
    assert len(rows) == 4  # the date's row first, where ô 3 mostly stands (three ways), then the Số's own row


def test_the_so_box_is_placed_when_ocr_read_the_label_as_no_so() -> None:
    """OCR glued "Số:" to the handwritten number ("SốC3"): no "Số:" word anchors the box, so it starts where the
    label ends, about 1.25 of the ký hiệu's height after the line's first word, and ends at the ký hiệu's slash."""
    from gateway.understand.handwriting import _number

    image = Image.new("RGB", (1240, 400), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    regular = ImageFont.truetype(SERIF_BOLD.replace("-Bold", "-Regular"), 44)
    draw.text((60, 100), "Số:", font=regular, fill=(20, 20, 20))
    draw.text((400, 100), "/TB-UBND", font=regular, fill=(20, 20, 20))
    draw_digits(image, 175, 96, 38, "03", pen=3, slant=0.1)
    words = [Segment("SốC3", 60, 250, 92, 146), Segment("/TB-UBND", 400, 600, 100, 146)]
    number, hand = _number(words, _page(words, image))
    assert hand.text == "03"
    # a line of prose that cites a ký hiệu is no số line
    prose = [Segment("theo", 60, 140, 92, 146), Segment("văn", 150, 210, 92, 146), Segment("bản", 220, 290, 92, 146),
             Segment("số", 300, 340, 92, 146), Segment("/TB-UBND", 400, 600, 100, 146)]
    assert _number(prose, _page(prose, image)) == ("", _number([], _page([], image))[1])


def test_tesseracts_reading_of_the_box_agreeing_with_the_recognizers_second_reading_decides() -> None:
    """Two readers that agree decide, also when Tesseract read what the recognizer found nearly as likely as its
    first reading."""
    from gateway.understand.fields import _vote

    hand = digits.Reading("85", 0.51, ((0.0,) * 2 + (0.45,) + (0.0,) * 5 + (0.55, 0.0),
                                       (0.0,) * 5 + (0.92,) + (0.0,) * 4))
    assert _vote("", "25", hand) == "25"  # 85 or 25, and Tesseract read 25
    assert _vote("", "36", hand) == "85"  # 36 is none of its likely readings: the confident recognizer stands
    seven = (0.0,) * 7 + (1.0,) + (0.0,) * 2
    five_or_six = (0.0,) * 5 + (0.6, 0.38) + (0.0,) * 3
    five = (0.0,) * 5 + (0.8,) + (0.0,) * 4
    assert _vote("72", "765", digits.Reading("755", 0.48, (seven, five_or_six, five))) == "765"
    assert _vote("5", "", digits.Reading("5", 0.9)) == "5"


def test_a_second_reading_with_a_leading_zero_before_two_digits_does_not_agree_with_tesseracts_shorter_one() -> None:
    """Tesseract's box lost the first digit of a handwritten 247 ("47"), and the recognizer's second reading is
    "047": no hand writes a 0 before a number of two digits (ND30's 0 comes before numbers under 10 only), so
    the two do not agree and the confident recognizer's 247 stands."""
    from gateway.understand.fields import _vote

    two_or_zero = (0.28, 0.0, 0.64, 0.08) + (0.0,) * 6
    four, seven = (0.0,) * 4 + (0.99,) + (0.0,) * 5, (0.0,) * 7 + (0.99,) + (0.0,) * 2
    assert _vote("", "47", digits.Reading("247", 0.63, (two_or_zero, four, seven))) == "247"


def test_a_printed_number_tesseract_read_twice_with_a_digit_more_than_the_recognizer_stands() -> None:
    """The recognizer ran two printed digits into one piece ("32" for 323); Tesseract's page and box readings
    have the digit, and differ in one other at most."""
    from gateway.understand.fields import _vote

    assert _vote("323", "322", digits.Reading("32", 0.94)) == "323"
    assert _vote("323", "", digits.Reading("32", 0.94)) == "32"  # one reading alone is no count
    assert _vote("451", "781", digits.Reading("45", 0.94)) == "45"  # Tesseract's readings differ in two


def test_a_one_digit_reading_of_the_page_only_confirms_a_number() -> None:
    """ND30 numbers from 01: the page's "Số: 2" for a handwritten 06 lost a digit, as the box's one digit would
    have; the recognizer's two digits stand where nothing else has two."""
    from gateway.understand.fields import _vote

    assert _vote("2", "", digits.Reading("06", 0.46)) == "06"
    assert _vote("2", "", digits.Reading("06", 0.1)) == "2"  # a recognizer too unsure stands for nothing
    assert _vote("6", "", digits.Reading("06", 0.46)) == "06"


def test_the_so_box_is_placed_from_its_row_read_again_when_the_pages_words_lost_the_slash() -> None:
    import dataclasses

    import pypdfium2 as pdfium
    from docgen import make_official_pdf, scan_of

    from gateway.understand import fields
    from gateway.understand.handwriting import Boxes, read_boxes

    pdf = make_official_pdf(organ=("ỦY BAN NHÂN DÂN", "TỈNH VĨNH LONG"), number="27", notation="KH-STTTT",
                            place="Vĩnh Long", day="16", month="04", year="2024", vv=("V/v kế hoạch năm",),
                            signer=("GIÁM ĐỐC",), signer_name="Nguyễn Văn An")
    document = pdfium.PdfDocument(scan_of(pdf, angle=0.3, dpi=250))
    top = ocr.ocr_region(document, 0, fields.HEADER_SHARE, 300)
    # the page's words of the Số row read as junk without the slash ("Số 0d TRÌSII TP")
    row = next(w for w in top.words if "STTTT" in w.text)
    marred = dataclasses.replace(top, words=tuple(dataclasses.replace(w, text="TRÌSII") if w is row else w
                                                  for w in top.words if w.text != "27"))
    assert not read_boxes(marred).number
    assert fields._number_in_so_rows(marred, Boxes()).number == "27"
    document.close()


def test_tesseracts_box_reading_a_digit_short_of_one_likely_reading_of_the_recognizer_takes_it() -> None:
    from gateway.understand.fields import _vote

    one = (0.0, 0.93) + (0.0,) * 8
    six_or_zero = (0.14,) + (0.0,) * 5 + (0.8,) + (0.0,) * 3
    nine_or_four = (0.0,) * 4 + (0.26,) + (0.0,) * 4 + (0.72,)
    hand = digits.Reading("169", 0.43, (one, six_or_zero, nine_or_four))
    assert _vote("", "14", hand) == "164"  # 164 holds the box's 1 and 4; 169 does not
    assert _vote("", "16", hand) == "16"  # 169 and 164 both hold them: Tesseract's box as before
    assert _vote("", "57", hand) == "57"  # nothing likely holds them: Tesseract's box as before


def test_the_so_line_of_a_skewed_scan_is_read_again_in_the_page_turned_as_ocr_read_it() -> None:
    """A scan skewed by 2°: OCR reads the page straightened, so a Số line's box in its coordinates lies turned on
    the page as drawn, into the LibreOffice header's narrow line spacing (the line under it, a part of the
    Số cut off). The box is cut from the page turned as the reading's was, and reads the ký hiệu."""
    import pypdfium2 as pdfium
    from docgen import skewed_header_scan

    scan = skewed_header_scan([(260, 100, "BỘ CÔNG THƯƠNG", True), (200, 164, "Số: 7477/BCT-KT", False),
                               (100, 196, "V/v bổ sung kinh phí cho chính", False),
                               (700, 196, "Hà Nội, ngày 27 tháng 10 năm 2024", False),
                               (100, 228, "sách hỗ trợ người có công theo", False)], 2.0)
    pdf = pdfium.PdfDocument(scan)
    page = ocr.ocr_region(pdf, 0, 1.0, 300).page
    assert page.turn[0] == -2.0
    # the page's reading of the Số line run into the handwriting: only its row is there to read again
    page = PageText(page.width, page.height, tuple(
        Segment("Số 7ZÝ?7 BCTKT", s.x0, s.x1, s.top, s.bottom) if s.text.startswith("Số") else s for s in page.segments),
        page.turn)
    _read_again_gives("BCT-KT", page, ("BỘ CÔNG THƯƠNG", "Số 7ZÝ?7 BCTKT", "Hà Nội, ngày 27 tháng 10 năm 2024"),
                      pdf=pdf)


def test_a_so_row_read_without_its_ky_hieu_is_read_again_to_the_middle_of_the_page(monkeypatch) -> None:
    """The page's reading of a Số line above the date's row kept "Số: 5545" and lost the ký hiệu after it: the
    row is read again up to the middle of the page (ô 3's column), not three letters past what was read."""

    so = Segment("Số: 5545", 600, 980, 362, 420)
    date = Segment("Hà Nội, ngày 06 tháng 02 năm 2019", 1400, 2300, 440, 490)
    page = PageText(2480, 3508, (Segment("BỘ Y TẾ", 700, 900, 250, 300), so, date))

    def read_line(pdf, index, box, dpi=300, **_):
        middle = (so.top + so.bottom) / 2 / page.height
        return "Số: 5545 /BC-BYT" if box[1] < middle < box[3] and box[2] * page.width > 1180 else "Số' 5545 m,"

    monkeypatch.setattr(ocr, "read_line", read_line)
    _read_again_gives("BC-BYT", page, ("BỘ Y TẾ", "Số: 5545", "Hà Nội, ngày 06 tháng 02 năm 2019", "BÁO CÁO"))


def test_a_box_of_one_digit_does_not_cut_a_printed_number_the_page_read_whole() -> None:
    """A printed "Số: 9333/UBND-VX" in LibreOffice's bold Times, read whole by the page as one word with the ký
    hiệu: the box placed inside that word took its first digit only, for Tesseract and the recognizer alike.
    ND30 numbers from 01, so a number of one digit is one that lost digits: the page's reading stands."""
    from gateway.understand.fields import _vote

    assert _vote("9333", "9", digits.Reading("9", 0.9)) == "9333"
    assert _vote("9333", "", digits.Reading("9", 0.78)) == "9333"  # Tesseract's box read nothing
    assert _vote("93", "09", digits.Reading("9", 0.9)) == "09"  # two digits read in the box stand
    assert _vote("71", "9", digits.Reading("9", 0.9)) == "9"  # not the digits the page read


def test_a_so_line_the_pages_reading_lost_whole_is_found_by_its_ink_and_read_again(monkeypatch) -> None:
    """Tesseract's layout dropped the Số line, under a long agency name, whole: no word of the page lies on it.
    Its row of ink in the header's left half, with no word on it, is where the số and the ký hiệu are read again
    (a rule under the agency, lower than a letter, and the lines the page read are no such row)."""
    from gateway.understand import fields
    from gateway.understand.handwriting import Boxes

    regular = ImageFont.truetype(SERIF_BOLD.replace("-Bold", "-Regular"), 44)
    image = Image.new("RGB", (2480, 1100), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    draw.text((300, 240), "TỔNG CÔNG TY KHÍ VIỆT", font=ImageFont.truetype(SERIF_BOLD, 44), fill=(20, 20, 20))
    draw.text((500, 300), "NAM", font=ImageFont.truetype(SERIF_BOLD, 44), fill=(20, 20, 20))
    draw.text((480, 352), "-------", font=regular, fill=(20, 20, 20))
    draw.text((1400, 300), "Hồ Chí Minh, ngày 03 tháng 9 năm 2018", font=regular, fill=(20, 20, 20))
    draw.text((320, 420), "Số:", font=regular, fill=(20, 20, 20))
    draw_digits(image, 420, 416, 40, "95", pen=3, slant=0.1)
    draw.text((560, 420), "/CT-KVN", font=regular, fill=(20, 20, 20))
    words = [Segment("TỔNG", 300, 420, 245, 290), Segment("CÔNG", 435, 560, 245, 290),
             Segment("TY", 575, 630, 245, 290), Segment("KHÍ", 645, 720, 240, 290),
             Segment("VIỆT", 735, 840, 236, 290), Segment("NAM", 500, 600, 305, 350),
             Segment("Hồ Chí Minh, ngày 03 tháng 9 năm 2018", 1400, 2200, 300, 355)]
    top = ocr.OcrPage(0, "top", PageText(2480, 3508, tuple(words)), 0.0, words=tuple(words), image=image)
    rows = fields._lost_rows(top)
    assert len(rows) == 1 and rows[0][1] * 3508 < 430 < 460 < rows[0][3] * 3508
    assert fields._number_in_so_rows(top, Boxes()).hand_number.text == "95"

    monkeypatch.setattr(ocr, "read_line", lambda pdf, index, box, dpi=300, **_: (
        "Số: 9S /CT-KVN" if box[1] * 3508 < 440 < box[3] * 3508 else "NAM"))
    _read_again_gives("CT-KVN", top.page,
                      ("TỔNG CÔNG TY KHÍ VIỆT", "NAM", "Hồ Chí Minh, ngày 03 tháng 9 năm 2018", "CHỈ THỊ"), lost=rows)


def test_a_so_line_read_with_a_period_for_its_colon_and_no_slash_is_read_again(monkeypatch) -> None:
    """The page read the Số line "Số. §@?® UBND-VP": the colon's top dot and the ký hiệu's slash lost, the pale
    handwriting read as junk (a công văn's ký hiệu: no type's code says where it starts). It opens the số line all
    the same (its row holds a ký hiệu's groups), and its row is read again."""

    so = Segment("Số. §@?® UBND-VP", 467, 964, 381, 430)
    date = Segment("Hà Nội, ngày 10 tháng 4 năm 2022", 1287, 2100, 451, 503)
    page = PageText(2480, 3508, (Segment("BỘ XÂY DỰNG", 516, 890, 240, 294), so, date))
    monkeypatch.setattr(ocr, "read_line", lambda pdf, index, box, dpi=300, **_: (
        "Số: ‡%4? /UBND-VP" if box[1] * 3508 < 400 < box[3] * 3508 else "BỘ XÂY"))
    _read_again_gives("UBND-VP", page,
                      ("BỘ XÂY DỰNG", "Số. §@?® UBND-VP", "Hà Nội, ngày 10 tháng 4 năm 2022", "V/v báo cáo"))


def test_a_so_label_read_as_a_line_of_its_own_without_its_colon_opens_the_so_line(monkeypatch) -> None:
    """LibreOffice's Số line, the date's row above it: the page read "Số:" as a line of its own, "SG" (the colon
    lost, the ố misread), the raised handwriting as "1." and "/KH-CCTL" as ".JKHCCI.,". Its row is read again."""

    date = Segment("Yên Bái, ngày 11 tháng 12 năm 2018", 1263, 2123, 453, 506)
    so, hand, code = Segment("SG", 437, 507, 512, 555), Segment("1.", 583, 604, 507, 535), \
        Segment(".JKHCCI.,", 730, 996, 515, 555)
    page = PageText(2480, 3508, (Segment("CHI CỤC THỦY SẢN", 476, 957, 371, 424), date, so, hand, code))
    monkeypatch.setattr(ocr, "read_line", lambda pdf, index, box, dpi=300, **_: (
        "Số: 9# /KH-CCTL" if box[1] * 3508 < 535 < box[3] * 3508 else "Biệt —_—_——"))
    _read_again_gives("KH-CCTL", page,
                      ("CHI CỤC THỦY SẢN", "Yên Bái, ngày 11 tháng 12 năm 2018", "SG 1. .JKHCCI.,", "KẾ HOẠCH"))


def test_the_so_box_ends_at_the_printed_slash_of_a_word_ocr_glued_the_handwriting_into() -> None:
    """OCR read the handwritten 3261 and the printed "/BQLDA-QLĐT" as one word "##/BQLDA-QLĐT": the slash's place
    among the word's letters lies inside the handwriting (a hand's digits are wider than print's letters), and
    the box cut the last digits off. The print's glyphs, walked from the word's end, show where its slash is."""
    from gateway.understand.handwriting import _number

    regular = ImageFont.truetype(SERIF_BOLD.replace("-Bold", "-Regular"), 50)
    image = Image.new("RGB", (1240, 300), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    draw.text((80, 100), "Số:", font=regular, fill=(20, 20, 20))
    draw_digits(image, 180, 102, 40, "3261", pen=4, slant=0.15)
    draw.text((345, 100), "/BQLDA-QLĐT", font=regular, fill=(20, 20, 20))
    right = 345 + draw.textlength("/BQLDA-QLĐT", font=regular)
    words = [Segment("Số:", 80, 150, 108, 148), Segment("##/BQLDA-QLĐT", 180, right, 104, 150)]
    _, hand = _number(words, _page(words, image))
    assert hand.text == "3261"


def test_a_slash_past_the_middle_of_the_page_does_not_end_the_so_box_of_an_agencys_so() -> None:
    """The agency's "SỞ VĂN HÓA …" line folds to a "Số" word too, and a seal or the Quốc hiệu beside it can read
    with a slash ("“220/1"): the số's slash lies in the left column, so that line places no box, and the "Số:"
    line below is read."""
    from gateway.understand.handwriting import _number

    image = Image.new("RGB", (1240, 300), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    regular = ImageFont.truetype(SERIF_BOLD.replace("-Bold", "-Regular"), 40)
    draw.text((60, 40), "SỞ VĂN HÓA 0", font=ImageFont.truetype(SERIF_BOLD, 40), fill=(20, 20, 20))
    draw.text((615, 40), "220/1", font=regular, fill=(20, 20, 20))
    draw.text((60, 160), "Số:", font=regular, fill=(20, 20, 20))
    draw.text((400, 160), "/NQ-SVHTTDL", font=regular, fill=(20, 20, 20))
    draw_digits(image, 170, 152, 40, "706", pen=3, slant=0.1)
    words = [Segment("SỞ", 60, 120, 40, 82), Segment("VĂN", 135, 230, 40, 82), Segment("HÓA", 245, 340, 40, 82),
             Segment("“220/1", 600, 730, 36, 86),
             Segment("Số:", 60, 120, 154, 200), Segment("/NQ-SVHTTDL", 400, 660, 156, 200)]
    page = _page(words, image)
    number, hand = _number(sorted(words, key=lambda w: ((w.top + w.bottom) / 2, w.x0)), page)
    assert hand.text == "706"


def test_the_so_line_the_date_is_placed_by_is_not_an_agencys_so_line_with_a_slash_past_the_middle() -> None:
    """The số's line (a date more than three lines below it is the body's) is the "Số:" line, not the agency's
    "SỞ …" line beside which the Quốc hiệu or a seal read with a slash past the page's middle."""
    from gateway.understand.handwriting import _so_line

    image = Image.new("RGB", (1240, 300), (250, 250, 245))
    words = [Segment("SỞ", 60, 120, 40, 82), Segment("VĂN", 135, 230, 40, 82), Segment("HÓA", 245, 340, 40, 82),
             Segment("“220/1", 600, 730, 36, 86),
             Segment("Số:", 60, 120, 194, 240), Segment("/NQ-SVHTTDL", 400, 660, 196, 240),
             Segment("ngày", 900, 980, 194, 240)]
    page = _page(words, image)
    assert _so_line(sorted(words, key=lambda w: ((w.top + w.bottom) / 2, w.x0)), page).text == "Số:"


def _read_again_gives(wanted: str, page: PageText, lines: tuple[str, ...], pdf=None, **kwargs) -> None:
    """The page's ``lines`` give no ký hiệu, and its Số line read again gives ``wanted``, marked repaired."""
    from gateway.understand import fields, patterns

    text = patterns.DocText(lines)
    parsed = patterns.parse(text, "ocr", 0.7)
    assert "code_notation" not in parsed.fields
    again = fields._so_line_again(pdf, page, text, parsed, 300, **kwargs)
    assert again.fields["code_notation"].value == wanted and "code_notation" in again.repaired
