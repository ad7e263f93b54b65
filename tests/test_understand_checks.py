"""Checks that speak against a scanned field whose value no ND30 document would show: each drops the field's
confidence below 0.9, where a văn thư looks at it, and the right value keeps its confidence."""

from __future__ import annotations

from gateway.core.values import FieldValue
from gateway.understand import confidence
from gateway.understand.layout import Segment

HIGH = 0.9


def _confidences(fields: dict[str, FieldValue]) -> dict[str, float]:
    # every word read sharp: what lowers the confidence is the check, not OCR's doubt
    words = tuple(Segment(w, 0, 1, 0, 1, 96.0) for value in fields.values() for w in value.value.split())
    found = confidence.evidence(fields, confidence.Checks(ocr_words=words))
    return {key: value.confidence for key, value in confidence.calibrated(fields, found).items() if key in found}


def _ocr(**values: str) -> dict[str, FieldValue]:
    return {key: FieldValue(value, 0.95, "ocr") for key, value in values.items()}


def test_a_position_with_a_word_that_is_no_syllable_is_doubted() -> None:
    glued = _confidences(_ocr(signer_position="KT. TỔNG CỤC TRƯỞNG / PHÓ TỔNG-CỤC TRƯỞNG"))
    right = _confidences(_ocr(signer_position="KT. TỔNG CỤC TRƯỞNG / PHÓ TỔNG CỤC TRƯỞNG"))
    assert glued["signer_position"] < HIGH <= right["signer_position"]


def test_a_name_ending_in_a_middle_name_or_with_an_odd_word_is_doubted() -> None:
    assert _confidences(_ocr(signer_name="Vũ Quang Văn"))["signer_name"] < HIGH
    assert _confidences(_ocr(signer_name="Vũ Quang Ng0c"))["signer_name"] < HIGH
    assert _confidences(_ocr(signer_name="Vũ Quang Vân"))["signer_name"] >= HIGH
    assert _confidences(_ocr(signer_name="Đinh ọng Thắng"))["signer_name"] < HIGH  # a word that lost its start
    assert _confidences(_ocr(signer_name="Đinh Trọng Thắng"))["signer_name"] >= HIGH
    assert _confidences(_ocr(signer_name="Văn Nghĩa"))["signer_name"] < HIGH  # "Hà Văn Nghĩa" lost its family name
    assert _confidences(_ocr(signer_name="Hà Văn Nghĩa"))["signer_name"] >= HIGH


def test_an_organ_ending_in_a_level_without_its_name_is_doubted() -> None:
    parent = {"organ_parent": FieldValue("SỞ Y TẾ HÀ NAM", 0.95, "ocr")}
    cut = _confidences(_ocr(organ_name="BỆNH VIỆN ĐA KHOA TỈNH", code_notation="HD-BV") | parent)
    whole = _confidences(_ocr(organ_name="BỆNH VIỆN ĐA KHOA TỈNH HÀ NAM", code_notation="HD-BV") | parent)
    assert cut["organ_name"] < HIGH <= whole["organ_name"]


def test_a_subject_cut_short_is_doubted() -> None:
    whole = "Chấn chỉnh công tác cải cách hành chính theo Nghị định số 179 của Chính phủ"
    assert _confidences(_ocr(subject=whole))["subject"] >= HIGH
    assert _confidences(_ocr(subject="Chấn chỉnh công tác cải cách hành chính theo Nghị định"))["subject"] < HIGH
    assert _confidences(_ocr(subject="Chấn chỉnh công tác cải cách hành chính của"))["subject"] < HIGH
    assert _confidences(_ocr(subject="Về việc điều chỉnh chế độ báo cáo định kỳ quý I năm 2024"))["subject"] >= HIGH
    # many agencies write a quarter in digits: no reason to doubt it
    assert _confidences(_ocr(subject="Về việc điều chỉnh chế độ báo cáo định kỳ quý 1 năm 2024"))["subject"] >= HIGH


def test_a_deputy_line_that_is_not_the_deputy_of_the_office_is_doubted() -> None:
    assert _confidences(_ocr(signer_position="KT. CHỦ TỊCH / PHÓ TỊCH"))["signer_position"] < HIGH
    assert _confidences(_ocr(signer_position="KT. GIÁM ĐỐC"))["signer_position"] < HIGH
    for right in ("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH", "KT. BỘ TRƯỞNG / THỨ TRƯỞNG"):
        assert _confidences(_ocr(signer_position=right))["signer_position"] >= HIGH
    three = _ocr(signer_position="TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH")
    assert "deputy:odd" not in confidence.evidence(three, confidence.Checks())["signer_position"]


def test_a_word_read_twice_over_is_doubted() -> None:
    parent = {"organ_parent": FieldValue("ỦY BAN NHÂN DÂN TỈNH HÀ NAM", 0.95, "ocr")}
    twice = _confidences(_ocr(organ_name="SỞ THÔNG TIN VÀ TRUYỀN THÔNG THÔNG", code_notation="KH-STTTT") | parent)
    once = _confidences(_ocr(organ_name="SỞ THÔNG TIN VÀ TRUYỀN THÔNG", code_notation="KH-STTTT") | parent)
    assert twice["organ_name"] < HIGH <= once["organ_name"]
    assert _confidences(_ocr(signer_name="Võ Ngọc Ngọc Thịnh"))["signer_name"] >= HIGH  # a person may be named so


def test_a_period_with_one_year_or_a_subject_run_into_the_body_is_doubted() -> None:
    whole = "Giải quyết công tác cải cách hành chính giai đoạn 2021 - 2025"
    assert _confidences(_ocr(subject=whole))["subject"] >= HIGH
    assert _confidences(_ocr(subject="Giải quyết công tác cải cách hành chính giai đoạn 2021"))["subject"] < HIGH
    run_on = whole + " Các đơn vị chủ động rà soát, tổng hợp kết quả thực hiện"
    assert _confidences(_ocr(subject=run_on))["subject"] < HIGH
    # a place's name may start with such a word
    assert _confidences(_ocr(subject="Về việc mở rộng khu công nghiệp thị xã Từ Sơn"))["subject"] >= HIGH
    # and so may a law's ("Luật Các tổ chức tín dụng")
    assert _confidences(_ocr(subject="Về việc triển khai thi hành Luật Các tổ chức tín dụng năm 2024"))[
        "subject"] >= HIGH


def _signer_confidence(name: str, name_line: str, title_line: str = "CHỦ TỊCH") -> float:
    """The confidence of ``name`` read as the signer when OCR's line under the title read ``name_line``."""
    fields = _ocr(signer_name=name, signer_position=f"TM. ỦY BAN NHÂN DÂN / {title_line}")
    words = (Segment(title_line, 1100, 1300, 1060, 1100, 96.0), Segment(name_line, 1050, 1350, 1290, 1320, 96.0),
             *(Segment(w, 0, 1, 0, 1, 96.0) for w in name.split()))
    found = confidence.evidence(fields, confidence.Checks(ocr_words=words))
    return confidence.calibrated(fields, found)["signer_name"].confidence


def test_a_name_the_line_under_the_title_reads_otherwise_is_doubted() -> None:
    assert _signer_confidence("Tăng Khánh", "Đoàn Ti:anh Khánh") < HIGH  # the seal hid the first words
    assert _signer_confidence("Đoàn Thanh Khánh", "Đoàn Thanh Khánh") >= HIGH
    assert _signer_confidence("Đoàn Thanh Khánh", "ˆ bó Đoàn Thanh Khánh") >= HIGH  # the seal's specks before it
    assert _signer_confidence("Vũ Nam", "ỦY BAN NHÂN DÂN TỈNH HÀ NAM") >= HIGH  # the seal's ring, in capitals


def test_a_title_with_an_urgency_stamp_as_a_line_is_doubted() -> None:
    assert _confidences(_ocr(signer_position="TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH"))["signer_position"] >= HIGH
    assert _confidences(_ocr(signer_position="THƯỢNG KHẨN / CHỦ TỊCH"))["signer_position"] < HIGH
    text = {"signer_position": FieldValue("THƯỢNG KHẨN / GIÁM ĐỐC", 1.0, "text")}
    found = confidence.evidence(text, confidence.Checks())
    assert confidence.calibrated(text, found)["signer_position"].confidence < HIGH


def test_a_ky_hieu_with_the_place_glued_to_it_is_doubted() -> None:
    def notation(value: str, place: str) -> float:
        fields = {"code_notation": FieldValue(value, 1.0, "text"), "place": FieldValue(place, 1.0, "text"),
                  "type_name": FieldValue("Chương trình", 1.0, "text")}
        return confidence.calibrated(fields, confidence.evidence(fields, confidence.Checks()))["code_notation"].confidence

    assert notation("CTr-BQLDALONG", "Long An") < HIGH
    assert notation("CTr-BQLDA", "Long An") >= HIGH
    assert notation("CTr-BQLDA", "Đà Nẵng") >= HIGH  # "DA" is dự án's, not the place's


def test_a_name_off_the_centre_of_its_title_is_doubted() -> None:
    fields = _ocr(signer_name="Đinh Nga", signer_position="KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC")

    def confidence_at(x0: float, x1: float) -> float:
        words = (Segment("KT. GIÁM ĐỐC", 1411, 1755, 1553, 1598, 96.0),
                 Segment("PHÓ GIÁM ĐỐC", 1400, 1767, 1618, 1662, 96.0), Segment("Đính Nga", x0, x1, 1945, 1989, 96.0),
                 Segment("Đinh", 0, 1, 0, 1, 96.0), Segment("Nga", 0, 1, 0, 1, 96.0))
        found = confidence.evidence(fields, confidence.Checks(ocr_words=words))
        return confidence.calibrated(fields, found)["signer_name"].confidence

    assert confidence_at(1558, 1740) < HIGH  # "Trần Đình Nga" lost its first word under the seal
    assert confidence_at(1493, 1675) >= HIGH  # centred under the title: the whole name


def test_a_subject_with_a_syllable_in_no_word_is_doubted() -> None:
    misread = "Về việc đơn giản hóa thụ tục hành chính trong lĩnh vực đất đai"  # "thụ" stands only in words
    right = "Về việc đơn giản hóa thủ tục hành chính trong lĩnh vực đất đai"
    assert _confidences(_ocr(subject=misread))["subject"] < HIGH <= _confidences(_ocr(subject=right))["subject"]
    assert _confidences(_ocr(subject="Về việc thụ lý hồ sơ của Công ty Cổ phần Thụ Nhân"))["subject"] >= HIGH
    # a person's typing is what the document says, right or not
    typed = {"subject": FieldValue(misread, 1.0, "text")}
    assert "word:unpaired" not in confidence.evidence(typed, confidence.Checks())["subject"]


def test_a_title_line_that_is_a_syllable_of_no_word_is_doubted() -> None:
    assert _confidences(_ocr(signer_position="Q. GIÁM ĐỐC / THỰ"))["signer_position"] < HIGH  # a speck read "THỰ"
    assert _confidences(_ocr(signer_position="KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"))["signer_position"] >= HIGH
    assert _confidences(_ocr(signer_position="TL. GIÁM ĐỐC / CHÁNH VĂN PHÒNG"))["signer_position"] >= HIGH


def test_a_name_whose_marks_another_known_name_has_is_doubted_unless_read_so() -> None:
    def read_as(name: str, *read: str) -> float:
        fields = _ocr(signer_name=name)
        words = tuple(Segment(w, 0, 1, 0, 1, 96.0) for w in read)
        return confidence.calibrated(fields, confidence.evidence(fields, confidence.Checks(ocr_words=words)))[
            "signer_name"].confidence

    # OCR read "Tuần", no name: the commonest name put back is "Tuấn", but "Tuân" is a name too
    assert read_as("Huỳnh Minh Tuấn", "Huỳnh", "Minh", "Tuần") < HIGH
    assert read_as("Huỳnh Minh Tuấn", "Huỳnh", "Minh", "Tuấn") >= HIGH
    assert read_as("Huỳnh Minh Tuyết", "Huỳnh", "Minh", "Tuyết") >= HIGH  # one name is spelled so


def test_a_subject_that_opens_as_a_sentence_of_the_body_is_doubted() -> None:
    body = _confidences(_ocr(subject="Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các đơn vị phản ánh"))
    right = _confidences(_ocr(subject="Về việc đẩy mạnh kế hoạch đầu tư công năm 2024 và hồ sơ khen thưởng"))
    assert body["subject"] < HIGH <= right["subject"]


def test_a_subject_ending_in_a_cited_documents_so_is_doubted() -> None:
    cut = _confidences(_ocr(subject="giải quyết công tác cải cách hành chính theo Nghị định số"))
    right = _confidences(_ocr(subject="giải quyết công tác cải cách hành chính theo Nghị định số 82 của Chính phủ"))
    digital = _confidences(_ocr(subject="Về việc đẩy mạnh công tác chuyển đổi số"))  # "chuyển đổi số" is whole
    assert cut["subject"] < HIGH <= min(right["subject"], digital["subject"])


def test_a_date_whose_month_ocr_read_faintly_is_doubted() -> None:
    # "Hà Nội, ngày 18 tháng 4 năm 2024": the day's box read again agreed, the month had no second reading
    fields = _ocr(issued_date="2024-04-18")

    def month_read_at(sharpness: float) -> float:
        words = tuple(Segment(text, x, x + 40, 100, 120, conf) for text, x, conf in (
            ("ngày", 200, 96.0), ("18", 250, 96.0), ("tháng", 300, 96.0), ("4", 350, sharpness), ("năm", 400, 96.0)))
        checks = confidence.Checks(ocr_words=words, second_reading={"issued_date": "agree"})
        return confidence.calibrated(fields, confidence.evidence(fields, checks))["issued_date"].confidence

    assert month_read_at(61.0) < HIGH <= month_read_at(96.0)


def test_a_field_from_a_source_no_labelled_set_measured_keeps_its_own_lower_estimate() -> None:
    # The e-mail's subject stands in for a trích yếu nothing else gave: the share of right trích yếu read from
    # documents (0.9 and more) is no measure of it, so it stays where the reader put it, where a văn thư looks.
    fields = {"subject": FieldValue("Gửi báo cáo tháng", 0.3, "email"), "code_number": FieldValue("574", 0.8, "email"),
              "organ_name": FieldValue("UBND TỈNH QUẢNG NAM", 0.95, "text")}
    out = confidence.calibrated(fields, confidence.evidence(fields, confidence.Checks()))
    assert (out["subject"].confidence, out["code_number"].confidence) == (0.3, 0.8)
    assert out["organ_name"].confidence != 0.95  # a measured source is still taken from the table
