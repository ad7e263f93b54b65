"""The người ký and chức vụ of scans: the signer's page chosen by its structure, titles read beside a seal's
specks, and pages that only look like the start of an attached document."""

from __future__ import annotations

import pytest
from docgen import make_official_pdf, make_pdf, scan_of, scanned_with

from gateway.core.config import Config
from gateway.core.values import FieldValue
from gateway.understand import ocr, patterns
from gateway.understand.fields import (
    _all_known,
    _block_page,
    _known_name,
    _opens_document,
    _reread_name,
    _respelled_name_words,
    _signer_from_certificate,
    _surnamed,
)
from gateway.understand.layout import PageText, Segment
from gateway.understand.single import understand_file
from gateway.understand.stamps import Stamp

CONFIG = Config()
needs_ocr = pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr-vie is not installed")


def _page(*lines: str) -> PageText:
    """A page of OCR lines, one under another from the top, across the page."""
    return PageText(1000, 1400, tuple(Segment(text, 100, 900, 40 + 30 * i, 60 + 30 * i)
                                      for i, text in enumerate(lines)))


def test_a_title_is_read_beside_the_seals_specks() -> None:
    lines = ["ri KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC o", "Z©", "q3", "", "Lạ) hÌ", "® b", "v.v", "vvY", "", "Lê Văn Tâm"]
    assert patterns.read_signer(lines) == ("KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC", "Lê Văn Tâm")
    # the specks are dropped at the title's ends only: a line that is no capital title stays none
    assert patterns.read_signer(["Các đơn vị thực hiện", "", "Lê Văn Tâm"]) is None


def test_a_lower_case_body_line_starts_no_document() -> None:
    body = _page("chức, viên chức nhằm tăng cường pháp chế xã hội chủ nghĩa, bảo vệ quyền lợi", "của Nhà nước.")
    assert not _opens_document(body)
    assert _opens_document(_page("UBND TỈNH QUẢNG NGÃI CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "DỰ THẢO"))


def test_the_signers_block_page_is_the_one_with_the_noi_nhan() -> None:
    block = _page("Các đơn vị thực hiện./.", "Nơi nhận:", "- Như trên;")
    assert _block_page([(2, block), (3, _page())])[0] == 2  # a blank last page after the block
    assert _block_page([(2, _page("1. Nội dung phụ lục")), (3, _page("2. Nội dung"))])[0] == 3


@needs_ocr
def test_signer_before_a_page_whose_body_says_xa_hoi_chu_nghia_and_a_blank_page() -> None:
    first = make_official_pdf(organ=("UBND TỈNH QUẢNG NGÃI", "SỞ TƯ PHÁP"), number="07", notation="STP-PBGDPL",
                              place="Quảng Ngãi", day="20", month="03", year="2025", vv=("V/v phổ biến pháp luật",),
                              body="Sở Tư pháp đề nghị các cơ quan thực hiện các nội dung sau.", signer=(),
                              signer_name="")
    middle = make_pdf(["chức, viên chức và nhân dân nhằm góp phần tăng cường pháp chế xã hội chủ nghĩa, bảo vệ "
                       "lợi ích của Nhà nước, quyền và lợi ích hợp pháp của cơ quan, tổ chức, cá nhân.\n\n"
                       "Các đơn vị triển khai thực hiện nghiêm túc."])
    last = make_official_pdf(organ=(), number="", notation="", place="", day="", month="", year="",
                             body="Các đơn vị báo cáo kết quả./.", signer=("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
                             signer_name="Phạm Trường Thọ", recipients=("Như trên", "Lưu: VT"))
    last = _signer_part(last)
    _, meta = understand_file(scan_of(first, middle, last, make_pdf([""]), angle=0.3, speckle=4000), "07.pdf",
                              CONFIG)
    assert meta.get("signer_name") == "Phạm Trường Thọ"
    assert meta.get("signer_position") == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"


def _signer_part(pdf_bytes: bytes) -> bytes:
    """``pdf_bytes``' page without its header (the Quốc hiệu of a page that continues a document is not there)."""
    import io

    import pypdfium2 as pdfium
    from PIL import Image

    document = pdfium.PdfDocument(pdf_bytes)
    image = document[0].render(scale=200 / 72).to_pil().convert("RGB")
    document.close()
    page = Image.new("RGB", image.size, "white")
    page.paste(image.crop((0, int(image.height * 0.15), image.width, image.height)), (0, 0))
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=200)
    return out.getvalue()


def test_a_name_read_again_is_taken_with_a_known_family_name_and_the_same_given_name() -> None:
    assert _surnamed("` Miai Quang Van", ["Quang", "Vân"]) == "Mai Quang Vân"  # one letter off "Mai" alone
    assert _surnamed("Đoàn Công Thanh Tùng", ["Đoà", "Thanh", "Tùng"]) == "Đoàn Công Thanh Tùng"
    assert _surnamed("Và Việt Hạnh", ["Vã", "Việt", "Hạnh"]) == ""  # "Va" is one letter off several
    assert _surnamed("Mai Quang Huy", ["Quang", "Vân"]) == ""  # another given name: another person


def test_an_agencys_certificate_is_no_signer() -> None:
    fields: dict[str, FieldValue] = {}
    _signer_from_certificate(fields, [], [], (Stamp("Sở Tư Pháp", "2025-01-26T11:12:09+07:00"),))
    assert "signer_name" not in fields
    _signer_from_certificate(fields, [], [], (Stamp("Vũ Trọng Bình", "2025-01-26T11:12:09+07:00"),))
    assert fields["signer_name"] == FieldValue("Vũ Trọng Bình", 0.6, "signature")


def _ring_over_the_name(pdf_bytes: bytes, name: str, grey: int, dpi: int = 200) -> bytes:
    """The page scanned with a seal's ring drawn over the first letters of ``name`` (opaque, in ``grey``,
    as a grey scan shows a red seal)."""
    from PIL import ImageDraw

    def ring(image, x, y, size):
        draw = ImageDraw.Draw(image)
        for radius, width in ((4.2 * size, 5), (3.1 * size, 3)):  # the ring's right side crosses the first letters
            draw.ellipse((x - 2 * radius + 1.2 * size, y - radius, x + 1.2 * size, y + radius),
                         outline=(grey, grey, grey), width=width)

    return scanned_with(pdf_bytes, name, ring, dpi)


@needs_ocr
def test_a_family_name_under_a_seals_ring_is_read() -> None:
    pdf = make_official_pdf(organ=("UBND TỈNH PHÚ YÊN", "SỞ NỘI VỤ"), number="12", notation="SNV-TCBC",
                            place="Phú Yên", day="09", month="02", year="2025", vv=("V/v tuyển dụng",),
                            signer=("GIÁM ĐỐC",), signer_name="Mai Quang Vân", recipients=("Như trên", "Lưu: VT"))
    _, meta = understand_file(_ring_over_the_name(pdf, "Mai Quang Vân", 110), "scan.pdf", CONFIG)
    assert meta.get("signer_name") == "Mai Quang Vân"


def test_a_line_under_the_title_is_a_name_only_of_known_words() -> None:
    assert _known_name("duynh Vinh") == "Huỳnh Vinh"  # a capital read small, one letter off one family name
    assert _known_name("~ Trần Đức Hùng") == "Trần Đức Hùng"
    assert _known_name("Trã:: ức An") == ""  # litter is no name
    assert _known_name("Trần Xyz An") == ""  # a word that is no known name


def test_an_agency_or_the_quoc_hieu_is_no_signer() -> None:
    header = ["ỦY BAN NHÂN DÂN TỈNH THÁI BÌNH CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH",
              "Kính gửi:", "- Sở Công Thương;", "- Sở Nội vụ;"]
    assert patterns.read_signer(header) is None
    assert patterns.read_signer(["GIÁM ĐỐC", "", "Trương Văn Giang"]) == ("GIÁM ĐỐC", "Trương Văn Giang")


def test_a_name_with_a_word_that_is_no_known_name_is_doubtful() -> None:
    assert _all_known(["Đặng", "Đình", "Tấn", "Sơn"])
    assert not _all_known(["Đặng", "Đìnii", "Tấn", "Sơn"])  # read again: OCR's "ii" for "h"
    assert not _all_known(["Quang", "Vân"])  # no family name


def test_a_known_name_is_not_taken_back_for_marks_that_make_no_name(monkeypatch) -> None:
    import pypdfium2 as pdfium

    page = _page("GIÁM ĐỐC", "", "Đặng Thành Huy")
    pdf = pdfium.PdfDocument(scan_of(make_pdf(["GIÁM ĐỐC"]), dpi=300))
    for read, kept in (("Đặng Thânh Huy", "Đặng Thành Huy"), ("Đặng Thành Hủy", "Đặng Thành Huy")):
        monkeypatch.setattr(ocr, "read_line", lambda *args, read=read, **kwargs: read)
        fields = {"signer_name": FieldValue("Đặng Thành Huy", 0.63, "ocr")}
        _reread_name(pdf, fields, [(0, page)], {}, CONFIG.understand)
        assert fields["signer_name"].value == kept
    monkeypatch.setattr(ocr, "read_line", lambda *args, **kwargs: "Trần Phước Hiền")
    fields = {"signer_name": FieldValue("Trần Phước Hiển", 0.63, "ocr")}  # both known: the closer look wins
    _reread_name(pdf, fields, [(0, _page("GIÁM ĐỐC", "", "Trần Phước Hiển"))], {}, CONFIG.understand)
    assert fields["signer_name"].value == "Trần Phước Hiền"


def test_a_title_one_letter_off_an_office_is_that_office() -> None:
    signer = patterns.read_signer(["KT. CHỦ TỊCH", "PHÓ CHỦ TỊC", "", "Trần Phước Hiền"])
    assert signer == ("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH", "Trần Phước Hiền")
    assert patterns.read_signer(["CHỤƯ TỊCH", "", "Nguyễn Hoàng Giang"])[0] == "CHỦ TỊCH"
    assert patterns.read_signer(["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "", "Lê Văn Tâm"])[0] == (
        "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH")  # an organ's name is no office one letter off
    assert patterns._known_title("THỦ TRƯỞNG") == "THỦ TRƯỞNG"  # folds as THỨ TRƯỞNG: already an office


def test_the_line_under_a_title_without_a_name_is_read_again(monkeypatch) -> None:
    from gateway.understand.fields import _name_below_title

    right = [Segment(text, 650, 900, top, top + 25) for text, top in (
        ("KT. GIÁM ĐỐC", 600), ("PHÓ GIÁM ĐỐC", 630), ("CN -", 700), ("Trầr: ức Hùng", 800))]
    page = PageText(1000, 1400, (Segment("Nơi nhận:", 100, 300, 600, 625), *right))
    monkeypatch.setattr(ocr, "native_dpi", lambda pdf, index: 300)
    for read, name in (("~ Trần Đức Hùng", "Trần Đức Hùng"), ("Trã:: ức Hùng", None)):
        monkeypatch.setattr(ocr, "read_line", lambda *args, read=read, **kwargs: read)
        fields: dict[str, FieldValue] = {}
        _name_below_title(None, fields, 0, page, CONFIG.understand)
        assert (fields["signer_name"].value if name else "signer_name" not in fields) == (name or True)
        if name:
            assert fields["signer_position"].value == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"


def test_a_known_middle_name_is_no_slip_of_a_family_name() -> None:
    # the seal hid "Tô": "Trọng" is one letter off "Trương" but is the middle name read right
    assert _surnamed("Trọng Lan", ["Tê", "Trọng", "Lan"]) == ""
    assert _surnamed("Thị Quân", ["Tê", "Thị", "Quân"]) == ""  # not "Thái Quân"
    assert _surnamed("Miai Trọng Lan", ["Tê", "Trọng", "Lan"]) == "Mai Trọng Lan"  # a slip that is no name


def test_a_name_the_seals_second_reading_changed_says_so(monkeypatch) -> None:
    import pypdfium2 as pdfium

    from gateway.understand import confidence
    from gateway.understand.fields import _name_under_seal

    pdf = pdfium.PdfDocument(scan_of(make_pdf(["GIÁM ĐỐC"]), dpi=300))
    page = _page("GIÁM ĐỐC", "", "Quang Vân")
    monkeypatch.setattr(ocr, "read_line", lambda *args, **kwargs: "Mai Quang Vân")
    fields = {"signer_name": FieldValue("Quang Vân", 0.63, "ocr")}
    assert _name_under_seal(pdf, fields, [(0, page)], CONFIG.understand)
    assert fields["signer_name"].value == "Mai Quang Vân"
    checks = confidence.Checks(second_reading={"signer_name": "differ"})
    assert confidence.evidence(fields, checks)["signer_name"].split("|")[:4] == ["ocr", "nocert", "surname",
                                                                                "again:differ"]
    # no OCR word read "Vân" sharply, and "Văn" is a name too: name:tone
    assert confidence.evidence(fields, confidence.Checks())["signer_name"].split("|") == [
        "ocr", "nocert", "surname", "name:tone", "ocr:lo"]
    fields = {"signer_name": FieldValue("Mai Quang Vân", 0.63, "ocr")}  # known all through: not read again
    assert not _name_under_seal(pdf, fields, [(0, page)], CONFIG.understand)


def test_a_name_word_read_as_no_syllable_takes_the_one_known_name_a_letter_off() -> None:
    def respelled(name: str) -> tuple[str, bool]:
        fields = {"signer_name": FieldValue(name, 0.8, "ocr")}
        changed = _respelled_name_words(fields)
        return fields["signer_name"].value, changed

    assert respelled("Hà Thànn Sơn") == ("Hà Thành Sơn", True)  # a stroke of the seal in the h
    assert respelled("Vũ Km Tuấn") == ("Vũ Kim Tuấn", True)
    assert respelled("Đinh Trạag Đức Thành") == ("Đinh Trạag Đức Thành", False)  # two letters off: left as read
    assert respelled("Lò Văn Pản") == ("Lò Văn Pản", False)  # a syllable, if a rare name, is no slip
