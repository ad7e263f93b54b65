"""The số and the day that are written by hand after printing, read again as digits from their own boxes."""

from __future__ import annotations

import re

from gateway.core.text import fold
from gateway.understand import ocr
from gateway.understand.layout import Segment

_SO = re.compile(r"s\S{0,2}")  # the folded "Số" word, with what OCR glued to it ("so:")


def handwritten(page: ocr.OcrPage) -> tuple[str, tuple[str, ...]]:
    """(số, the days it may be) read from the gaps after "Số:" and between "ngày" and "tháng" on the page-1
    header; the days are every two-digit reading of the box (as a line, as a word, tighter), first first."""
    if page.image is None or not page.words:
        return "", ()
    words = sorted(page.words, key=lambda w: ((w.top + w.bottom) / 2, w.x0))
    return _number(words, page), day_readings(words, page)


def _same_line(a: Segment, b: Segment) -> bool:
    middle = (b.top + b.bottom) / 2
    return a.top - 0.3 * (a.bottom - a.top) <= middle <= a.bottom + 0.3 * (a.bottom - a.top)


def _digits(page: ocr.OcrPage, box: tuple[float, float, float, float]) -> str:
    """Digits in the box, read as a line and, when that gives one digit, as a single word.

    ND30 writes numbers and days under 10 with a leading 0, so one digit means one was lost: such a
    reading is not used.
    """
    digits = ocr.read_digits(page.image, box)
    if len(digits) == 1:
        digits = ocr.read_digits(page.image, box, psm="8")
    return digits if len(digits) >= 2 else ""


def _after(words: list[Segment], word: Segment) -> list[Segment]:
    """The words right of ``word`` on its line, left to right (handwriting sits higher and lower than print)."""
    # Right of the word's start, not of its end: a box that swallowed handwriting can overlap the next word.
    return sorted((w for w in words if w is not word and _same_line(word, w) and w.x0 > word.x0 + 2),
                  key=lambda w: w.x0)


def _box(left: float, right: float, anchor: Segment) -> tuple[float, float, float, float]:
    height = anchor.bottom - anchor.top
    return left, anchor.top - 0.6 * height, right, anchor.bottom + 0.4 * height


def _number(words: list[Segment], page: ocr.OcrPage) -> str:
    for word in words:
        if not _SO.fullmatch(fold(word.text)) or word.x0 > page.page.width / 2:
            continue
        line = _after(words, word)[:5]
        slash = next((w for w in line if "/" in w.text), None)
        if slash is None:
            continue
        cut = slash.x0 + (slash.x1 - slash.x0) * slash.text.index("/") / max(len(slash.text), 1)
        digits = _digits(page, _box(word.x1 + 2, cut, word))
        if 2 <= len(digits) <= 6:
            return digits
    return ""


def day_readings(words: list[Segment], page: ocr.OcrPage) -> tuple[str, ...]:
    for word in words:
        if not fold(word.text).startswith("ngay") or word.x1 < page.page.width / 3:
            continue
        # Tesseract often takes the handwritten day into the "ngày" word: its box is then wider than the
        # word itself (about twice the line height), and the digits sit in the extra width.
        start = min(word.x1, word.x0 + 1.9 * (word.bottom - word.top))
        folded = fold(word.text)
        if "thang" in folded:  # "ngày24tháng" read as one word
            end = word.x0 + (word.x1 - word.x0) * folded.index("thang") / len(folded)
        else:
            month = next((w for w in _after(words, word)[:4] if "thang" in fold(w.text)), None)
            if month is None:
                continue
            at = fold(month.text).index("thang")  # "04tháng" when the digits were glued to it
            end = month.x0 + (month.x1 - month.x0) * at / len(month.text)
        box = _box(start + 2, end - 2, word)
        readings: list[str] = []
        for single, tighter in ((False, 0.0), (True, 0.0), (False, 0.15), (True, 0.15)):
            height = box[3] - box[1]
            crop = (box[0], box[1] + tighter * height, box[2], box[3] - tighter * height)
            digits = ocr.read_digits(page.image, crop, psm="8" if single else "7")
            if len(digits) == 2 and 1 <= int(digits) <= 31 and digits not in readings:
                readings.append(digits)
        if readings:
            return tuple(readings)
    return ()
