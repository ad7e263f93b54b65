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
