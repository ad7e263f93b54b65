"""The số and the day that are written by hand after printing, read again as digits from their own boxes:
by Tesseract (digits only) and by the handwritten-digit recognizer (gateway/understand/digits.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.core.text import fold
from gateway.understand import digits, ocr
from gateway.understand.layout import Segment

_SO = re.compile(r"s\S{0,2}")  # the folded "Số" word, with what OCR glued to it ("so:")
_NONE = digits.Reading("", 0.0)


@dataclass(frozen=True)
class Boxes:
    """What the số and day boxes hold, read twice: Tesseract's readings and the recognizer's."""

    number: str = ""  # Tesseract's digits of the số box (one digit alone only confirms another reading)
    days: tuple[str, ...] = ()  # Tesseract's two-digit readings of the day box, first first
    hand_number: digits.Reading = _NONE  # the recognizer's reading of the số box
    hand_day: digits.Reading = _NONE  # the recognizer's reading of the day box


def read_boxes(page: ocr.OcrPage) -> Boxes:
    """The số and day boxes of the page-1 header ("Số: ___/", "ngày __ tháng") read by Tesseract and by the
    recognizer; the days are every two-digit reading of the box by Tesseract (as a line, as a word, tighter)."""
    if page.image is None or not page.words:
        return Boxes()
    words = sorted(page.words, key=lambda w: ((w.top + w.bottom) / 2, w.x0))
    number, hand_number = _number(words, page)
    days, hand_day = _day(words, page, _so_line(words, page))
    return Boxes(number, days, hand_number, hand_day)


def _recognized(page: ocr.OcrPage, box: tuple[float, float, float, float], most: int = 6,
                first: bool = True) -> digits.Reading:
    import numpy as np

    crop = ocr.box_crop(page.image, box)
    if crop is None:
        return _NONE
    return digits.read(np.asarray(crop.convert("L")), most, first)


def _same_line(a: Segment, b: Segment) -> bool:
    middle = (b.top + b.bottom) / 2
    return a.top - 0.3 * (a.bottom - a.top) <= middle <= a.bottom + 0.3 * (a.bottom - a.top)


def _digits(page: ocr.OcrPage, box: tuple[float, float, float, float]) -> str:
    """Digits in the box, read as a line and, when that gives one digit, as a single word.

    ND30 writes numbers and days under 10 with a leading 0, so one digit alone may mean one was lost: such a
    reading only confirms another (fields._vote), it never stands alone.
    """
    text = ocr.read_digits(page.image, box)
    if len(text) == 1:
        text = ocr.read_digits(page.image, box, psm="8") or text
    return text


def _after(words: list[Segment], word: Segment) -> list[Segment]:
    """The words right of ``word`` on its line, left to right (handwriting sits higher and lower than print)."""
    # Right of the word's start, not of its end: a box that swallowed handwriting can overlap the next word.
    return sorted((w for w in words if w is not word and _same_line(word, w) and w.x0 > word.x0 + 2),
                  key=lambda w: w.x0)


def _box(left: float, right: float, anchor: Segment) -> tuple[float, float, float, float]:
    height = anchor.bottom - anchor.top
    return left, anchor.top - 0.6 * height, right, anchor.bottom + 0.4 * height


def _number(words: list[Segment], page: ocr.OcrPage) -> tuple[str, digits.Reading]:
    for word in words:
        if not _SO.fullmatch(fold(word.text)) or word.x0 > page.page.width / 2:
            continue
        line = _after(words, word)[:5]
        # the slash before the ký hiệu's letters: a handwritten 7 or 1 is often read as a slash too ("/4")
        slash = next((w for w in line if re.search(r"/\s*[^\W\d_]", w.text)), None)
        slash = slash or next((w for w in line if "/" in w.text), None)
        if slash is None:
            continue
        letters = re.search(r"/\s*[^\W\d_]", slash.text)
        at = letters.start() if letters else slash.text.index("/")
        cut = slash.x0 + (slash.x1 - slash.x0) * at / max(len(slash.text), 1)
        box = _box(word.x1 + 2, cut, word)
        read = _digits(page, box)
        hand = _recognized(page, box)
        if not 1 <= len(hand.text) <= 6:
            hand = _NONE
        if 1 <= len(read) <= 6 or hand.text:
            return (read if len(read) <= 6 else ""), hand
    return "", _NONE


def _so_line(words: list[Segment], page: ocr.OcrPage) -> Segment | None:
    """The "Số:" word of the header (left half, a slash after it: not "SÓC" of an organ's name), whose line the
    date shares or is just below."""
    return next((w for w in words if _SO.fullmatch(fold(w.text)) and w.x0 <= page.page.width / 2
                 and any("/" in after.text for after in _after(words, w)[:5])), None)


def _day(words: list[Segment], page: ocr.OcrPage,
         so: Segment | None = None) -> tuple[tuple[str, ...], digits.Reading]:
    for word in words:
        if not fold(word.text).startswith("ngay") or word.x1 < page.page.width / 3:
            continue
        height = word.bottom - word.top
        if so is not None and (word.top + word.bottom) / 2 - (so.top + so.bottom) / 2 > 3 * height:
            continue  # a date in the body ("Căn cứ Luật … ngày 19 tháng 6 năm 2015"), below the số's line
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
            text = ocr.read_digits(page.image, crop, psm="8" if single else "7")
            if len(text) == 2 and 1 <= int(text) <= 31 and text not in readings:
                readings.append(text)
        hand = _recognized(page, box, most=2, first=False)
        if not (len(hand.text) in (1, 2) and 1 <= int(hand.text) <= 31):
            hand = _NONE
        if readings or hand.text:
            return tuple(readings), hand
    return (), _NONE
