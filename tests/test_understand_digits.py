"""The handwritten-digit recognizer of the số and day boxes: digits drawn by a hand no model and no bench
generator has seen (pen strokes), a scan whose handwritten số Tesseract misreads, the vote between the page's
reading, Tesseract's box and the recognizer, and a reading nothing confirms kept out of the top band."""

from __future__ import annotations

import time

import numpy as np
import pytest
from docgen import draw_digits, make_official_pdf, scan_with_handwriting
from PIL import Image, ImageFilter

from gateway.core.config import Config
from gateway.core.values import FieldValue
from gateway.understand import confidence, digits, ocr
from gateway.understand.fields import _vote
from gateway.understand.single import read_file

CONFIG = Config()
needs_ocr = pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr-vie is not installed")


def _box(text: str, height: float = 40, pen: int = 3, slant: float = 0.2) -> np.ndarray:
    image = Image.new("RGB", (320, 100), (250, 250, 245))
    draw_digits(image, 20, 25, height, text, pen=pen, slant=slant)
    return np.asarray(image.filter(ImageFilter.GaussianBlur(0.5)).convert("L"))


def test_digits_drawn_by_an_unseen_hand_are_read() -> None:
    cases = [("16", 40, 3, 0.2), ("27", 34, 2, 0.0), ("0358", 44, 4, 0.3), ("9140", 38, 3, 0.1), ("05", 36, 2, 0.25)]
    started = time.process_time()
    for text, height, pen, slant in cases:
        reading = digits.read(_box(text, height, pen, slant))
        assert reading.text == text, (text, reading)
        assert 0.0 < reading.confidence <= 1.0 and len(reading.places) == len(text)
    assert (time.process_time() - started) / len(cases) < 0.05  # ~10 ms a box; a loose bound for slow CI


def test_a_blank_box_or_a_rule_reads_nothing() -> None:
    blank = np.full((60, 200), 245, np.uint8)
    assert digits.read(blank).text == ""
    ruled = blank.copy()
    ruled[45:47, 10:190] = 30  # the underline of a blank left for handwriting
    assert digits.read(ruled).text == ""


def test_alternatives_come_likeliest_first() -> None:
    reading = digits.Reading("17", 0.5, ((0.0, 0.9, 0.1) + (0.0,) * 7, (0.0,) * 7 + (0.6, 0.0, 0.4)))
    alternatives = reading.alternatives()
    assert alternatives[0][0] == "17" and {a for a, _ in alternatives} == {"17", "19", "27", "29"}
    assert [p for _, p in alternatives] == sorted((p for _, p in alternatives), reverse=True)


def test_the_vote_between_page_tesseract_and_recognizer() -> None:
    sure, unsure = digits.Reading("274", 0.8), digits.Reading("274", 0.2)
    assert _vote("2", "274", unsure) == "274"  # two agree: they decide, however unsure the recognizer
    assert _vote("12", "12", digits.Reading("17", 0.9)) == "12"  # page and box agree against it
    assert _vote("2", "", sure) == "274"  # nothing agrees: a confident recognizer over Tesseract's handwriting
    assert _vote("2", "", unsure) == "2"  # an unsure one does not decide
    assert _vote("", "", digits.Reading("6", 0.9), width=2) == "06"  # a day of one digit gets its 0
    assert _vote("", "", digits.Reading("18", 0.3), width=2) == "18"  # the only reading: taken, unsure
    assert _vote("", "", digits.Reading("18", 0.1), width=2) == ""  # … unless it is hardly one


@needs_ocr
def test_a_handwritten_number_tesseract_misreads_is_read_by_the_recognizer() -> None:
    """Tesseract reads the drawn 7 as a slash ("Số: 2 /4/UBND-KT") and the box as "2"; the recognizer reads 274
    and the day 16, which Tesseract's box reading confirms."""
    pdf = make_official_pdf(organ=("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI"), number=" " * 10, notation="UBND-KT",
                            place="Quảng Ngãi", day=" " * 6, month="04", year="2024", vv=("V/v kế hoạch năm",),
                            signer=("CHỦ TỊCH",), signer_name="Nguyễn Văn An")
    scan = scan_with_handwriting(pdf, number="274", day="16")
    _, meta, found = read_file(scan, "congvan.pdf", CONFIG)
    assert meta.get("code_number") == "274" and meta.get("issued_date") == "2024-04-16"
    assert found["code_number"].endswith("again:differ|hw:agree")  # Tesseract's box said otherwise
    assert found["issued_date"].endswith("again:agree|hw:agree")
    # nothing but the recognizer says 274 (no file name, no signature): it must not be sure of it
    assert meta.fields["code_number"].confidence < 0.9


def test_the_recognizers_agreement_says_how_sure_it_was() -> None:
    from gateway.understand.fields import _hand_agreement

    value = FieldValue("2024-04-16", 0.5, "ocr")
    assert _hand_agreement(value, digits.Reading("16", 0.9), date=True) == "agree"
    assert _hand_agreement(value, digits.Reading("16", 0.3), date=True) == "unsure"
    assert _hand_agreement(value, digits.Reading("18", 0.9), date=True) == "differ"
    assert _hand_agreement(value, digits.Reading("", 0.0), date=True) == "none"


def test_a_reading_the_recognizer_contradicts_is_kept_out_of_the_top_band() -> None:
    table = {"code_number": {"ocr|hand|fn:none|again:agree|hw:agree": (60, 60),
                             "ocr|hand|fn:none|again:agree|hw:none": (20, 19)}}
    fields = {"code_number": FieldValue("12", 0.5, "ocr")}
    checks = confidence.Checks(handwritten=frozenset({"code_number"}),
                               second_reading={"code_number": "agree", "code_number:hand": "differ"})
    found = confidence.evidence(fields, checks)
    assert found["code_number"] == "ocr|hand|fn:none|again:agree|hw:differ"
    assert confidence.calibrated(fields, found, table)["code_number"].confidence < 0.8
    agreed = confidence.Checks(handwritten=frozenset({"code_number"}),
                               second_reading={"code_number": "agree", "code_number:hand": "agree"})
    found = confidence.evidence(fields, agreed)
    assert confidence.calibrated(fields, found, table)["code_number"].confidence > 0.9
