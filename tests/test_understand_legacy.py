"""TCVN3 (ABC) and VNI text found and converted to Unicode in TXT, DOCX and PDF, and read for fields."""

from __future__ import annotations

from docgen import make_docx, make_pdf

from gateway.core.config import Config
from gateway.extract.legacy import convert, detect
from gateway.understand.single import understand_file

UNICODE = "Cộng hòa xã hội chủ nghĩa Việt Nam. Độc lập - Tự do - Hạnh phúc. Ủy ban nhân dân tỉnh Quảng Ngãi"
TCVN3 = "Céng hßa x· héi chñ nghÜa ViÖt Nam. §éc lËp - Tù do - H¹nh phóc. ñy ban nh©n d©n tØnh Qu¶ng Ng·i"
VNI = "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam. Ñoäc laäp - Töï do - Haïnh phuùc. UÛy ban nhaân daân tænh Quaûng Ngaõi"


def test_tcvn3_and_vni_become_unicode() -> None:
    assert convert(TCVN3) == (UNICODE.replace("Ủy", "ủy"), "tcvn3")  # TCVN3 has no capital Ủ: caps came from the font
    assert convert(VNI) == (UNICODE, "vni")
    assert detect(UNICODE) == ""
    assert detect("Grüße aus München, Señor Müller, schöne Größe über alles, für Öl und Bär.") == ""


def test_legacy_text_in_files_is_converted_and_read() -> None:
    lines = ["UBND TØNH QU¶NG NG·I", "Së Tµi chÝnh", "Sè: 12/STC-VP", "Qu¶ng Ng·i, ngµy 05 th¸ng 3 n¨m 2020",
             "V/v b¸o c¸o quyÕt to¸n ng©n s¸ch", "KÝnh göi: Së Néi vô", "Néi dung."]
    txt = "\n".join(lines).encode("latin-1")
    extracted, meta = understand_file(txt, "cv.txt", Config())
    assert "TCVN3" in extracted.texts[0].detail
    assert "Quảng Ngãi, ngày 05 tháng 3 năm 2020" in extracted.texts[0].text
    docx_extracted, docx_meta = understand_file(make_docx(lines), "cv.docx", Config())
    assert "báo cáo quyết toán ngân sách" in docx_extracted.texts[0].text
    assert docx_meta.get("code_notation") == "STC-VP"
    vni_extracted, _ = understand_file(make_pdf([VNI]), "vni.pdf", Config())
    assert UNICODE in " ".join(vni_extracted.texts[0].text.split())
    _, pdf_meta = understand_file(make_pdf(["\n".join(lines)]), "tcvn3.pdf", Config())
    assert pdf_meta.get("subject") == "báo cáo quyết toán ngân sách"  # the field reader converts too
    assert pdf_meta.get("place") == "Quảng Ngãi"
