"""Failure classes of the số và ký hiệu on scans: ký hiệu groups OCR misread by a letter, put right by the title
and the agency's name the page prints, and what a repair leaves as evidence; "Số:" lines whose slash or label OCR
lost; file names that are a trích yếu, not a ký hiệu."""

from __future__ import annotations

from gateway.core.values import FieldValue
from gateway.understand import confidence, patterns

HEADER = ("BỘ Y TẾ CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "CỤC QUẢN LÝ DƯỢC Độc lập - Tự do - Hạnh phúc")


def _notation(code_line: str, title: str, header: tuple[str, ...] = HEADER, source: str = "ocr") -> str:
    lines = (*header, code_line, "", title, "Về việc giao chỉ tiêu năm 2024", "", "Kính gửi: Sở Y tế")
    return patterns.parse(patterns.DocText(lines), source).fields["code_notation"].value


def test_a_type_group_one_letter_off_the_titles_code_takes_the_code() -> None:
    assert _notation("Số: 06/TIr-QLD Hà Nội, ngày 02 tháng 4 năm 2024", "TỜ TRÌNH") == "TTr-QLD"
    assert _notation("Số: 06/QD-QLD Hà Nội, ngày 02 tháng 4 năm 2024", "QUYẾT ĐỊNH") == "QĐ-QLD"
    assert _notation("Số: 06/KHQLD Hà Nội, ngày 02 tháng 4 năm 2024", "KẾ HOẠCH") == "KH-QLD"  # the hyphen lost
    assert _notation("Số: 06/TI-QLD Hà Nội, ngày 02 tháng 4 năm 2024", "TỜ TRÌNH") == "TTr-QLD"  # the small r lost
    # far from the title's code, or the title's code already: as read
    assert _notation("Số: 06/BC-QLD Hà Nội, ngày 02 tháng 4 năm 2024", "KẾ HOẠCH") == "BC-QLD"
    assert _notation("Số: 06/TTr-QLD Hà Nội, ngày 02 tháng 4 năm 2024", "TỜ TRÌNH") == "TTr-QLD"
    # a born-digital text layer is what was typed: nothing is put right
    assert _notation("Số: 06/TIr-QLD Hà Nội, ngày 02 tháng 4 năm 2024", "TỜ TRÌNH", source="text") == "TIR-QLD"


def test_a_later_group_keeps_the_small_letters_nd30_writes() -> None:
    assert patterns.read_code(["Số: 12/UBND-TTr"]) == ("12", "UBND-TTr")  # the unit Thanh tra
    assert patterns.read_code(["Số: 12/QĐ-TTg"]) == ("12", "QĐ-TTg")  # the Prime Minister
    assert patterns.read_code(["Số: 12/ubnd-vp"]) == ("12", "UBND-VP")  # what ND30 writes in capitals is capitals


def test_an_agency_group_one_letter_off_the_agencys_initials_takes_them() -> None:
    header = ("ỦY BAN NHÂN DÂN TỈNH SƠN LA CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
              "SỞ KẾ HOẠCH VÀ ĐẦU TƯ Độc lập - Tự do - Hạnh phúc")
    line = "Số: 01/NQ-{} Sơn La, ngày 23 tháng 3 năm 2022"
    assert _notation(line.format("SKHDT"), "NGHỊ QUYẾT", header) == "NQ-SKHĐT"  # Đ read as D
    assert _notation(line.format("SKHĐI"), "NGHỊ QUYẾT", header) == "NQ-SKHĐT"  # T read as I
    assert _notation(line.format("SKKHĐT"), "NGHỊ QUYẾT", header) == "NQ-SKHĐT"  # a letter doubled
    assert _notation(line.format("UBNO"), "NGHỊ QUYẾT", header) == "NQ-UBND"  # the parent's, without its place
    # letters in order among the initials, or far from every abbreviation: as read (no code nobody printed)
    assert _notation(line.format("SKH"), "NGHỊ QUYẾT", header) == "NQ-SKH"
    assert _notation(line.format("KTTH"), "NGHỊ QUYẾT", header) == "NQ-KTTH"
    # one letter off but no slip of OCR's: an agency may abbreviate as it likes ("CCTL" for a CHI CỤC KIỂM LÂM)
    forest = ("SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN", "CHI CỤC KIỂM LÂM Độc lập - Tự do - Hạnh phúc")
    assert _notation("Số: 688/BB-CCTL Khánh Hòa, ngày 19 tháng 8 năm 2017", "BIÊN BẢN", forest) == "BB-CCTL"
    enforcement = ("BỘ TƯ PHÁP CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                   "CỤC QUẢN LÝ THI HÀNH ÁN DÂN SỰ Độc lập - Tự do - Hạnh phúc")
    assert _notation("Số: 07/QLTIHADS-KT Hà Nội, ngày 28 tháng 7 năm 2019", "", enforcement) == "QLTHADS-KT"
    culture = ("SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",)
    assert _notation("Số: 12/SVHTTTDL-VP Huế, ngày 02 tháng 4 năm 2024", "", culture) == "SVHTTDL-VP"


def test_a_repaired_ky_hieu_says_so_in_its_evidence() -> None:
    fields = {"code_notation": FieldValue("TTr-QLD", 0.95, "ocr"), "type_name": FieldValue("Tờ trình", 0.95, "ocr")}
    plain = confidence.evidence(fields, confidence.Checks())["code_notation"]
    fixed = confidence.evidence(fields, confidence.Checks(second_reading={"code_notation": "repaired"}))
    assert "fix:repaired" not in plain and "fix:repaired" in fixed["code_notation"]
    table = {"code_notation": {"ocr|type:agree|shape:ok|fn:none|ocr:lo": (900, 899)}}
    assert confidence.calibrated(fields, fixed, table)["code_notation"].confidence < 0.9


def test_a_so_line_whose_slash_or_label_ocr_lost_is_still_read() -> None:
    assert patterns.read_code(["Số: 04UBND-NV_ Bình Định, ngày 07 tháng 4 năm 2017"]) == ("04", "UBND-NV")
    assert patterns.read_code(["Số: 01GM-TCT Hà Nội, ngày 18 tháng 7 năm 2019"]) == ("01", "GM-TCT")
    assert patterns.read_code(["ho: /GM-SVHTTDL,"]) == ("", "GM-SVHTTDL")  # "Số" read as another short word
    # the hyphen lost too: the title's code cuts the capitals apart
    header = ("BỘ TƯ PHÁP CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "-==~= Độc lập - Tự do - Hạnh phúc")
    assert patterns.read_code(["Số390TBBTP — — — ———"]) == ("390", "TBBTP")
    assert _notation("Số390TBBTP — — — ———", "THÔNG BÁO", header) == "TB-BTP"
    assert patterns.read_code(["Số 12Hà Nội, ngày 02 tháng 4 năm 2024"]) is None
    # a number with no "Số:" before it, or a word and no ký hiệu after it, is no số
    assert patterns.read_code(["Điều 04UBND-NV của quy chế"]) is None
    assert patterns.read_code(["Tel: 0236/3822 từ thứ hai"]) is None


def test_a_file_name_made_of_the_trich_yeus_words_gives_no_ky_hieu() -> None:
    from gateway.understand.fields import _filename_code

    assert _filename_code("cv-07-bo-sung-kinh-phi-cho-khieu-nai-cua-cong-dan-den-nam-2030.pdf") == ("07", "BO")
    assert _filename_code("12-BC-UBND-VP-TH.pdf") == ("12", "BC-UBND-VP-TH")
    assert _filename_code("2352 ( 07-CT-UBND).signed_20250517_044750.pdf") == ("07", "CT-UBND")
    # a web slug that names the type's code before the number: the code checks the ký hiệu read
    assert _filename_code("ttr-778-ve-viec-don-doc-thuc-hien-phong-chay-chua-chay.pdf") == ("778", "TTR")
    assert _filename_code("qd-12-ve-viec-giao-chi-tieu-ke-hoach-nam-2024.pdf") == ("12", "QĐ")
    # … and its number fills a handwritten số the box could not read
    from gateway.understand.fields import _check_number

    fields = {"code_notation": FieldValue("TTr-UBND", 0.7, "ocr")}
    _check_number(fields, _filename_code("ttr-778-ve-viec-don-doc-thuc-hien-phong-chay.pdf"), [])
    assert fields["code_number"].value == "778"


def test_a_so_line_the_pages_reading_lost_is_read_again_beside_the_date() -> None:
    import dataclasses

    import pypdfium2 as pdfium
    from docgen import make_official_pdf, scan_of

    from gateway.understand import fields, ocr
    from gateway.understand.layout import doc_text

    pdf = make_official_pdf(organ=("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI"), number="27", notation="UBND-KT",
                            place="Quảng Ngãi", day="16", month="04", year="2024", vv=("V/v kế hoạch năm",),
                            signer=("CHỦ TỊCH",), signer_name="Nguyễn Văn An")
    document = pdfium.PdfDocument(scan_of(pdf, angle=0.3, dpi=250))
    page = ocr.ocr_region(document, 0, fields.HEADER_SHARE, 300).page
    # the page's reading without its "Số:" line, as when OCR ran it into specks
    lost = dataclasses.replace(page, segments=tuple(s for s in page.segments if "UBND-KT" not in s.text
                                                    and not s.text.startswith("Số")))
    text = doc_text([lost])
    parsed = patterns.parse(text, "ocr")
    assert "code_notation" not in parsed.fields
    again = fields._so_line_again(document, lost, text, parsed, 300)
    assert again.fields["code_notation"].value == "UBND-KT" and again.fields["code_number"].value == "27"
    assert "code_notation" in again.repaired
    document.close()


def test_a_so_line_whose_label_the_handwriting_marred_past_reading_is_still_read() -> None:
    # "Số:" read as a short run without its colon: the slash and the hyphenated ký hiệu after it still say it
    assert patterns.read_code(["AT /ÑQ-HĐND Lâm Đồng, ngày z2 tháng 11 năm 2018"]) == ("", "NQ-HĐND")
    assert patterns.read_code(["AT 44 /NQ-HĐND Lâm Đồng, ngày 02 tháng 11 năm 2018"]) == ("44", "NQ-HĐND")
    # words before the slash, a table's bar, or a V/v are no số line
    assert patterns.read_code(["Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020"]) is None
    assert patterns.read_code(["TT Ký hiệu /QĐ-UBND"]) is None
    assert patterns.read_code(["1 | QĐ-UBND | Đã thực hiện"]) is None
    assert patterns.read_code(["V/v kế hoạch năm 2024"]) is None


def _scanned_header_with(organ: str, number: str, notation: str, run_with: str, garble):
    """A made document scanned at 250 dpi, its header OCR'd, and that reading with the run holding ``run_with``
    read as ``garble`` makes of it: (the scan, the marred page)."""
    import dataclasses

    import pypdfium2 as pdfium
    from docgen import make_official_pdf, scan_of

    from gateway.understand import fields, ocr

    pdf = make_official_pdf(organ=(organ,), number=number, notation=notation,
                            place="Hà Nội", day="16", month="04", year="2024", vv=("V/v kế hoạch năm",),
                            signer=("BỘ TRƯỞNG",), signer_name="Nguyễn Văn An")
    document = pdfium.PdfDocument(scan_of(pdf, angle=0.3, dpi=250))
    page = ocr.ocr_region(document, 0, fields.HEADER_SHARE, 300).page
    run = next(s for s in page.segments if run_with in s.text)
    garbled = dataclasses.replace(run, text=garble(run.text))
    return document, dataclasses.replace(page, segments=tuple(garbled if s is run else s for s in page.segments))


def test_a_ky_hieu_ocr_ran_into_one_group_is_read_again_closer() -> None:
    from gateway.understand import fields
    from gateway.understand.layout import doc_text

    # the page's reading with the ký hiệu's letters run together, Đ read as p and its hyphen lost
    document, marred = _scanned_header_with("BỘ GIÁO DỤC VÀ ĐÀO TẠO", "09", "BGDĐT-QLĐT", "QL",
                                            lambda text: text[:text.index("/") + 1] + "pGDpppQLpT")
    parsed = patterns.parse(doc_text([marred]), "ocr")
    assert parsed.fields["code_notation"].value == "PGDPPPQLPT"
    again = fields._ky_hieu_again(document, marred, parsed, 300)
    assert again.fields["code_notation"].value == "BGDĐT-QLĐT" and "code_notation" in again.repaired
    document.close()


def test_a_so_line_lo_scans_mar_keeps_its_ky_hieu_and_leaves_the_next_cell_out() -> None:
    # the handwritten number read as letters with a slash of its own, or as a hooked f for the slash
    assert patterns.read_code(["Số: /ZZ⁄  /TB-UBND Hải Dương, ngày 04 tháng 5 năm 2023"]) == ("", "TB-UBND")
    assert patterns.read_code(["Số: /.Z.ƒTB-UBND Đắk Lắk, ngày “⁄ tháng 02 năm 2017"]) == ("", "TB-UBND")
    # the place of the date's cell joined on by a spaced dash is no group of the ký hiệu
    assert patterns.read_code(["Số: 2đ? -_/QĐ-BXD - Hà Nội, ngày 2o - tháng 10 năm 2023"]) == ("", "QĐ-BXD")
    assert patterns.read_code(["Số: 38/GM-XTTMHà Nội, ngày 02 tháng 4 năm 2024"]) == ("38", "GM-XTTM")
    assert patterns.read_code(["Số: 3936/STC-TTrQuảng Nam, ngày 29 tháng 11 năm 2020"]) == ("3936", "STC-TTr")
    assert patterns.read_date_place(["Số: 3936/STC-TTrQuảng Nam, ngày 29 tháng 11 năm 2020"]) == ("2020-11-29",
                                                                                             "Quảng Nam")
    # the hyphen read as a dot: read as the hyphen, and marked repaired
    header = ("SỞ NÔNG NGHIỆP VÀ PTNT CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "CHI CỤC KIỂM LÂM Độc lập - Tự do - Hạnh phúc")
    parsed = patterns.parse(patterns.DocText((*header, "Sẽ Ê1®-:/TB.CCTL", "", "THÔNG BÁO")), "ocr")
    assert parsed.fields["code_notation"].value == "TB-CCTL" and "code_notation" in parsed.repaired
    plain = patterns.parse(patterns.DocText((*header, "Số: 12/TB-CCTL Lai Châu, ngày 02 tháng 4 năm 2024")), "ocr")
    assert "code_notation" not in plain.repaired
    # "Số" lost to a speck before its colon
    assert patterns.read_code(["`: 2 ÝX:/EI-BNV. Q2 Y..' CO TS. sỉ."]) == ("", "EI-BNV")
    assert patterns.read_code([": xem 12/QĐ-UBND"]) is None
    # a ký hiệu without a hyphen and no other on its line is read as before
    assert patterns.read_code(["Số: 12/UBND Hà Nội, ngày 02 tháng 4 năm 2024"]) == ("12", "UBND")


def test_a_place_glued_after_the_ky_hieu_is_left_out_and_marked() -> None:
    """A LibreOffice header's two cells run together ("4980/SXD-VXLong An, ngày"): a capital with two small
    letters or more after a group's capitals is the next cell's word (ND30's groups keep one small letter: TTr,
    TTg); the ký hiệu read without it is marked repaired."""
    assert patterns.read_code(["Số: 4980/SXD-VXLong An, ngày 03 tháng 5 năm 2021"]) == ("4980", "SXD-VX")
    assert patterns.read_code(["Số: 09/UBND-KTKon Tum, ngày 02 tháng 4 năm 2024"]) == ("09", "UBND-KT")
    assert patterns.read_code(["Số: 12/UBND-TTr"]) == ("12", "UBND-TTr")
    assert patterns.read_code(["Số: 12/SGDĐT-GDTrH"])[1].upper() == "SGDĐT-GDTRH"
    lines = ("SỞ XÂY DỰNG CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 4980/SXD-VXLong An, ngày 03 tháng 5 năm 2021",
             "V/v chấn chỉnh công tác tiếp công dân")
    parsed = patterns.parse(patterns.DocText(lines), "ocr", 0.7)
    assert parsed.fields["code_notation"].value == "SXD-VX" and "code_notation" in parsed.repaired
    plain = patterns.parse(patterns.DocText(lines[:1] + ("Số: 4980/SXD-VX Long An, ngày 03 tháng 5 năm 2021",)), "ocr")
    assert "code_notation" not in plain.repaired


def test_an_agency_group_is_not_cut_to_an_agency_name_read_cut_short() -> None:
    # OCR lost the name's last word ("… TRUYỀN" of "… TRUYỀN THÔNG"): its initials lack a letter the ký hiệu has
    assert patterns.cut_short("SỞ THÔNG TIN VÀ TRUYỀN") and patterns.cut_short("SỞ GIAO THÔNG")
    assert not patterns.cut_short("SỞ THÔNG TIN VÀ TRUYỀN THÔNG") and not patterns.cut_short("SỞ KẾ HOẠCH VÀ ĐẦU TƯ")
    assert patterns.repair_notation("BB-STTTT", "BB", ("SỞ THÔNG TIN VÀ TRUYỀN", "UBND TỈNH CÀ MAU")) == "BB-STTTT"
    # the whole name still puts a slip right
    assert patterns.repair_notation("BB-STTTI", "BB", ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "")) == "BB-STTTT"


def test_a_so_line_read_into_one_group_is_read_again_alone_on_its_row() -> None:
    from gateway.understand import fields
    from gateway.understand.layout import doc_text

    # the page's reading ran the Số line into the row beside it: its colon and the ký hiệu's groups lost
    document, marred = _scanned_header_with("BỘ TÀI CHÍNH", "323", "BTC-KHTC", "KHTC",
                                            lambda text: "SỐ 22/HTC)SKH TC L2 22066012092 SẺ 21021")
    text = doc_text([marred])
    parsed = patterns.parse(text, "ocr")
    assert parsed.fields["code_notation"].value == "HTC"
    again = fields._so_line_again(document, marred, text, parsed, 300, grouped=True)
    assert again.fields["code_notation"].value == "BTC-KHTC" and again.fields["code_number"].value == "323"
    assert "code_notation" in again.repaired
    document.close()


def test_a_ky_hieu_whose_slash_ocr_lost_into_the_handwriting_is_read_by_its_type_code() -> None:
    """The handwriting touching the ký hiệu's slash, OCR read the two as junk ("#Z“Z-7NQ-UBND"), or the slash as
    nothing ("Số. §@?® QĐ-BXD"): a group that is a type's Phụ lục III code opens the ký hiệu, and the number is the
    handwriting box's. Read so, the ký hiệu is marked repaired (no slash confirmed where it starts). A công văn's
    slashless ký hiệu has no type code to start it, and capitals run before a code are a group of their own."""
    assert patterns.read_code(["Số: #Z“Z-7NQ-UBND"]) == ("", "NQ-UBND")
    assert patterns.read_code(["Số. §@?® QĐ-BXD"]) == ("", "QĐ-BXD")
    assert patterns.read_code(["Số: 12 SYT-KHTC"]) is None
    assert patterns.read_code(["Số: ## BQLDA-QLĐT"]) is None  # not "DA-QLĐT"
    assert patterns.read_code(["Độc lập - Tự do - Hạnh phúc"]) is None
    parsed = patterns.parse(patterns.DocText(("ỦY BAN NHÂN DÂN", "TỈNH SÓC TRĂNG", "Số: #Z“Z-7NQ-UBND",
                                              "Sóc Trăng, ngày 09 tháng 4 năm 2020", "NGHỊ QUYẾT")), "ocr", 0.7)
    assert parsed.fields["code_notation"].value == "NQ-UBND" and "code_notation" in parsed.repaired
    parsed = patterns.parse(patterns.DocText(("ỦY BAN NHÂN DÂN", "Số: 12/NQ-UBND", "NGHỊ QUYẾT")), "ocr", 0.7)
    assert "code_notation" not in parsed.repaired


def test_small_letters_ocr_read_before_the_ky_hieus_capitals_are_dropped() -> None:
    """A stroke of the handwriting or a speck after the slash read as a small letter ("/đÑQ-UBND"): a ký hiệu opens
    with a capital, so it is not the ký hiệu's first letter, and the groups after it are read."""
    assert patterns.read_code(["Số: ©5 /đÑQ-UBND Hòa Bình, ngày 05 tháng 8 năm 2016"]) == ("", "NQ-UBND")
    assert patterns.read_code(["Số: 12/TCT-TTr"]) == ("12", "TCT-TTr")
