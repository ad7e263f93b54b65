"""Failure classes of scans and signed files, each on a document or lines made here: look-alike digits in the
số, file names that are no code, specks between the lines of a signer's title."""

from __future__ import annotations

from docgen import make_official_pdf
from gateway.core.config import Config
from gateway.understand import patterns
from gateway.understand.single import understand_file

CONFIG = Config()


def test_look_alike_letters_in_the_number_box_are_read_as_digits() -> None:
    assert patterns.read_code(["Số: I1 /TB-UBND"]) == ("11", "TB-UBND")
    assert patterns.read_code(["Số: 2O/QĐ-UBND"]) == ("20", "QĐ-UBND")
    assert patterns.read_code(["Số: Il /TB-UBND"]) == ("", "TB-UBND")  # no digit at all: left blank


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
