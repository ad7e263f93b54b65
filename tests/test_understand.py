"""Field reading from generated ND30 documents: text layer by position, DOCX, OCR of scans, file names."""

from __future__ import annotations

import pytest
from docgen import make_docx, make_official_pdf, scan_of

from gateway.core.config import Config, UnderstandConfig
from gateway.understand import ocr
from gateway.understand.fields import _filename_code
from gateway.understand.single import understand_file
from gateway.understand.vocab import ADMINISTRATIVE_TYPES

CONFIG = Config()


def cong_van(**overrides) -> bytes:
    values = dict(
        organ=("UBND TỈNH QUẢNG NGÃI", "SỞ TÀI CHÍNH"), number="123", notation="STC-HCSN", place="Quảng Ngãi",
        day="06", month="01", year="2025", vv=("V/v góp ý dự thảo Quyết định", "về giá dịch vụ công"),
        addressees=("Sở Nội vụ", "Sở Tư pháp"), signer=("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
        signer_name="Nguyễn Văn An", recipients=("Như trên", "Lưu: VT, HCSN"),
    )
    values.update(overrides)
    return make_official_pdf(**values)


def field(meta, key: str) -> tuple[str, str]:
    value = meta.fields.get(key)
    return (value.value, value.source) if value else ("", "")


def test_cong_van_text_layer_two_column_header() -> None:
    _, meta = understand_file(cong_van(), "cv.pdf", CONFIG)
    assert field(meta, "code_number") == ("123", "text")
    assert meta.get("code_notation") == "STC-HCSN"
    assert meta.get("issued_date") == "2025-01-06"
    assert meta.get("place") == "Quảng Ngãi"
    assert meta.get("organ_parent") == "UBND TỈNH QUẢNG NGÃI"
    assert meta.get("organ_name") == "SỞ TÀI CHÍNH"
    assert meta.get("type_name") == "Công văn" and meta.get("type_code") == ""
    assert meta.get("subject") == "góp ý dự thảo Quyết định về giá dịch vụ công"
    assert meta.get("addressees") == "Sở Nội vụ; Sở Tư pháp"
    assert meta.get("to_places") == "Như trên; Lưu: VT, HCSN"
    assert meta.get("signer_position") == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"
    assert meta.get("signer_name") == "Nguyễn Văn An"
    assert meta.urgency == 0 and meta.secrecy == 0


@pytest.mark.parametrize(("stamp", "urgency", "secrecy"), [
    ("KHẨN", 1, 0), ("THƯỢNG KHẨN", 2, 0), ("HỎA TỐC", 3, 0), ("MẬT", 0, 1), ("TỐI MẬT", 0, 2),
    ("TUYỆT MẬT", 0, 3),
])
def test_urgency_and_secrecy_stamps(stamp: str, urgency: int, secrecy: int) -> None:
    _, meta = understand_file(cong_van(stamp=stamp), "cv.pdf", CONFIG)
    assert (meta.urgency, meta.secrecy) == (urgency, secrecy)
    assert meta.get("subject") == "góp ý dự thảo Quyết định về giá dịch vụ công"  # the stamp is not in it


def test_named_type_with_title_and_subject_and_tm_signer() -> None:
    pdf = make_official_pdf(
        organ=("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI"), number="01", notation="TTr-UBND", place="Quảng Ngãi",
        day="05", month="02", year="2025", title="TỜ TRÌNH",
        subject=("Về việc đề nghị giao dự toán năm 2025",), addressees=("Hội đồng nhân dân tỉnh",),
        received="ĐẾN Số: 41",
        signer=("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), signer_name="Trần Văn Bình", recipients=("Như trên",))
    _, meta = understand_file(pdf, "tt.pdf", CONFIG)
    assert meta.get("organ_name") == "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI" and meta.get("organ_parent") == ""
    assert (meta.get("type_name"), meta.get("type_code")) == ("Tờ trình", "TTr")
    assert meta.get("code_notation") == "TTr-UBND"
    assert meta.get("subject") == "Về việc đề nghị giao dự toán năm 2025"  # the ĐẾN stamp beside it left out
    assert meta.get("addressees") == "Hội đồng nhân dân tỉnh"
    assert meta.get("signer_position") == "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH"


def test_every_document_type_from_docx() -> None:
    for name, code in ADMINISTRATIVE_TYPES:
        if not code:
            continue
        docx = make_docx([
            "BỘ TÀI CHÍNH", f"Số: 05/{code}-BTC", "Hà Nội, ngày 29 tháng 6 năm 2019", name.upper(),
            "Về việc thử nghiệm", "", "Căn cứ Luật Ngân sách nhà nước;", "Nội dung.", "KT. BỘ TRƯỞNG",
            "THỨ TRƯỞNG", "Lê Văn Cường"])
        _, meta = understand_file(docx, "vb.docx", CONFIG)
        assert (meta.get("type_name"), meta.get("type_code")) == (name, code), name
        assert meta.get("code_notation") == f"{code}-BTC"
        assert meta.get("issued_date") == "2019-06-29"
        assert meta.get("subject") == "Về việc thử nghiệm"
        assert meta.get("signer_name") == "Lê Văn Cường"


def test_file_names_as_sent() -> None:
    assert _filename_code("2352 ( 07-CT-UBND).signed_20250221_092046.pdf") == ("07", "CT-UBND")
    assert _filename_code("04CT.signed_20250513_154052.pdf") == ("04", "CT")
    assert _filename_code("574 UB.signed_20250510_124908.pdf") == ("574", "UB")
    assert _filename_code("Gop y du thao.pdf") is None


@pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr-vie is not installed")
def test_scanned_page_is_read_by_ocr_and_the_file_name_decides_the_number() -> None:
    pdf = make_official_pdf(
        organ=("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI"), number="07", notation="CT-UBND", place="Quảng Ngãi",
        day="20", month="3", year="2018", title="CHỈ THỊ", subject=("Về việc tăng cường thi hành án",),
        signer=("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), signer_name="Phạm Trường Thọ", recipients=("Như trên",))
    scan = scan_of(pdf, angle=2.0)
    extracted, meta = understand_file(scan, "2352 ( 07-CT-UBND).signed_20250221_092046.pdf", CONFIG)
    assert extracted.texts[0].status == "empty"  # no text layer: only OCR could read it
    assert field(meta, "code_notation") == ("CT-UBND", "ocr")
    assert meta.get("code_number") == "07"
    assert (meta.get("type_name"), field(meta, "type_name")[1]) == ("Chỉ thị", "ocr")
    assert meta.get("issued_date") == "2018-03-20"
    assert "QUẢNG" in meta.get("organ_name")  # the 11-pt header under noise loses its first line at times
    assert meta.get("signer_name") == "Phạm Trường Thọ"
    assert "thi hành án" in meta.ocr_text
    _, without = understand_file(scan, "x.pdf", Config(understand=UnderstandConfig(ocr=False)))
    assert "code_notation" not in without.fields


def test_gateway_extract_prints_fields_with_sources(tmp_path) -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "123 CV.pdf"
    path.write_bytes(cong_van(stamp="HỎA TỐC"))
    gateway = str(Path(sys.executable).with_name("gateway"))
    done = subprocess.run([gateway, "--data-dir", str(tmp_path / "data"), "extract", str(path), "--json"],
                          capture_output=True, text=True, timeout=120, check=True)
    data = json.loads(done.stdout)
    notation = data["fields"]["code_notation"]
    assert (notation["value"], notation["source"]) == ("STC-HCSN", "text") and notation["confidence"] >= 0.9
    assert data["urgency_name"] == "Hỏa tốc" and data["signatures"] == []
    text = subprocess.run([gateway, "--data-dir", str(tmp_path / "data"), "extract", str(path)],
                          capture_output=True, text=True, timeout=120, check=True).stdout
    assert "Trích yếu             góp ý dự thảo Quyết định về giá dịch vụ công   [lớp chữ của tệp, " in text


def test_broken_and_encrypted_pdfs_give_a_status_not_a_crash() -> None:
    import io

    from pypdf import PdfReader, PdfWriter

    extracted, meta = understand_file(b"%PDF-1.4\n1 0 obj <</Type /Catalog>> garbage", "hong.pdf", CONFIG)
    assert extracted.texts[0].status == "broken" and "code_number" not in meta.fields
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(cong_van())))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    extracted, meta = understand_file(out.getvalue(), "mat-khau.pdf", CONFIG)
    assert extracted.texts[0].status == "encrypted" and "code_notation" not in meta.fields


@pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr-vie is not installed")
def test_signer_of_an_attached_draft_is_not_taken() -> None:
    main = make_official_pdf(
        organ=("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI"), number="22", notation="TTr-UBND", place="Quảng Ngãi",
        day="05", month="02", year="2025", title="TỜ TRÌNH", subject=("Về việc giao dự toán",),
        signer=("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), signer_name="Nguyễn Văn An", recipients=("Như trên",))
    draft = make_official_pdf(
        organ=("HỘI ĐỒNG NHÂN DÂN", "TỈNH QUẢNG NGÃI"), number="", notation="NQ-HĐND", place="Quảng Ngãi",
        day="", month="02", year="2025", title="NGHỊ QUYẾT", subject=("Về việc đổi tên cơ quan",),
        signer=("CHỦ TỊCH",), signer_name="Bùi Thị Vân", recipients=("Như trên",))
    _, meta = understand_file(scan_of(main, draft, angle=0.0, speckle=4000), "22 TTR.pdf", CONFIG)
    assert meta.get("signer_name") == "Nguyễn Văn An"
    assert meta.get("signer_position") == "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH"


def test_the_email_subject_settles_a_number_ocr_could_not_read() -> None:
    from docgen import make_message

    from gateway.extract import extract_message
    from gateway.mail.parse import parse_message
    from gateway.understand.fields import understand

    pdf = cong_van(number="", notation="UBND-KTTH")  # the số was left for handwriting
    raw = make_message("Gửi công văn số 574/UBND-KTTH", "Kính gửi.", attachments=[("cv.pdf", pdf, "application/pdf")])
    extracted = extract_message(parse_message(raw, CONFIG.limits), CONFIG.limits)
    meta = understand(extracted, UnderstandConfig(ocr=False))
    assert (meta.get("code_number"), meta.fields["code_number"].source) == ("574", "email")
    assert meta.get("code_notation") == "UBND-KTTH"


def test_a_page_metres_wide_is_rendered_within_the_pixel_cap() -> None:
    import io

    import pypdfium2 as pdfium
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=14400, height=14400)  # 200 × 200 inches: 3.7 gigapixels at 300 dpi
    out = io.BytesIO()
    writer.write(out)
    pdf = pdfium.PdfDocument(out.getvalue())
    image = ocr.render(pdf, 0, 300)
    assert image.width * image.height <= ocr.MAX_PIXELS
    pdf.close()


@pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr-vie is not installed")
def test_a_scan_sent_as_a_jpeg_is_read_by_ocr() -> None:
    import io

    import pypdfium2 as pdfium

    pdf = make_official_pdf(
        organ=("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI"), number="46", notation="TB-UBND", place="Quảng Ngãi",
        day="24", month="01", year="2025", title="THÔNG BÁO", subject=("Kết luận của Chủ tịch",),
        signer=("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), signer_name="Trần Phước Hiền", recipients=("Như trên",))
    document = pdfium.PdfDocument(scan_of(pdf, angle=-1.0, speckle=4000))
    out = io.BytesIO()
    document[0].render(scale=200 / 72).to_pil().save(out, format="JPEG", quality=85)
    document.close()
    _, meta = understand_file(out.getvalue(), "46 TB.jpg", CONFIG)
    assert field(meta, "code_notation") == ("TB-UBND", "ocr") and meta.get("code_number") == "46"
    assert meta.get("type_name") == "Thông báo" and meta.get("issued_date") == "2025-01-24"
    assert meta.get("signer_position") == "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
