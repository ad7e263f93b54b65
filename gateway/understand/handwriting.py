"""The số and the day that are written by hand after printing, read again as digits from their own boxes:
by Tesseract (digits only) and by the handwritten-digit recognizer (gateway/understand/digits.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.core.text import fold
from gateway.understand import digits, ocr, patterns
from gateway.understand.layout import Segment, same_line, words_after

_SO = re.compile(r"s\S{0,2}|o:")  # the folded "Số" word, with what OCR glued to it ("so:"), or lost ("ố:")
_YEAR_SLASH = re.compile(r"/\s*(?:19|20)\d\d\s*/\s*[^\W\d_]")
_LETTER_SLASH = re.compile(r"/\s*[^\W\d_]")  # a slash before letters (a handwritten 7 or 1 may read as one too)
# the slash before a ký hiệu's groups ("/QĐ-STC", "/2017/NĐ-CP", "/TB - UBND")
_KY_HIEU_SLASH = re.compile(r"/\s*(?:(?:19|20)\d\d\s*/\s*)?[^\W\d_]+\s?[-–]")
# a ký hiệu's groups opening a word whose slash OCR lost ("QĐ-BXD" of "/QĐ-BXD")
_KY_HIEU_GROUPS = re.compile(r"[^\W\d_]{1,8}\s?[-–][^\W\d_]")
_SLASH_PER_HEIGHT = 0.45  # a printed slash is 0.28 em wide, and a capital's word box about 0.65 em tall
_SO_PER_HEIGHT = 1.7  # the printed "Số:" is 1.6 times as wide as its word box is tall (its marks in the height)
_SO_GLUED = re.compile(r"s\S?:(?=\S)")  # "Só:84": the colon ends the word's "Số:"
_NONE = digits.Reading("", 0.0)
_PAST_SLASH = 0.6  # the số's crop reaches this many box heights past the slash: a digit touching it stays whole


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


def read_month_box(page: ocr.OcrPage) -> tuple[tuple[str, ...], digits.Reading]:
    """The month box of the page-1 header ("tháng __ năm"), left blank in the print and written by hand, read by
    Tesseract (each reading of 1–12) and by the recognizer."""
    if page.image is None or not page.words:
        return (), _NONE
    words = sorted(page.words, key=lambda w: ((w.top + w.bottom) / 2, w.x0))
    return _month(words, page, _so_line(words, page))


def _recognized(page: ocr.OcrPage, box: tuple[float, float, float, float], most: int = 6,
                first: bool = True, reach: float = 0.0) -> digits.Reading:
    """The recognizer's reading of ``box``; ``reach``: how far past its right edge (in box heights) the crop goes,
    so that a last digit written touching the print after the box is read whole rather than cut."""
    import numpy as np

    # Cut half a line wider on the left, where the box starts at an estimate of where "Số:" or "ngày" ends: a
    # digit the estimate cuts is read whole, and the print before it is told apart by where its middle lies.
    left = max(0.0, box[0] - 0.25 * (box[3] - box[1]))
    right = box[2] + reach * (box[3] - box[1])
    crop = ocr.box_crop(page.image, (left, box[1], right, box[3]))
    if crop is None:
        return _NONE
    end = int(box[2]) - int(left) if reach else 0
    return digits.read(np.asarray(crop.convert("L")), most, first, int(box[0]) - int(left), end)


def _digits(page: ocr.OcrPage, box: tuple[float, float, float, float]) -> str:
    """Digits in the box, read as a line and, when that gives one digit, as a single word.

    ND30 writes numbers and days under 10 with a leading 0, so one digit alone may mean one was lost: such a
    reading only confirms another (fields._vote), it never stands alone.
    """
    text = ocr.read_digits(page.image, box)
    if len(text) == 1:
        text = ocr.read_digits(page.image, box, psm="8") or text
    return text


_NGAY_PER_THANG = 0.87  # "ngày" / "tháng" in Times and in Arial (1.94 / 2.22 em, 2.17 / 2.50 em)


def _box(left: float, right: float, anchor: Segment, words: list[Segment] = ()) -> tuple[float, float, float, float]:
    """The box of the handwriting between ``left`` and ``right`` on ``anchor``'s line: more than half a line over
    the print (a hand rises above it) and less under, but not into a line of print above or below
    (LibreOffice's narrow line spacing puts the agency's last line within reach, and its letters read as digits)."""
    height = anchor.bottom - anchor.top
    top, bottom = anchor.top - 0.6 * height, anchor.bottom + 0.4 * height
    for word in words:
        if word.x1 <= left or word.x0 >= right or sum(c.isalpha() for c in word.text) < 2:
            continue  # beside the box, or no print word (handwriting read as a word of its own)
        if word.bottom <= anchor.top + 0.2 * height and word.top < anchor.top - 0.5 * height:
            top = max(top, word.bottom + 1)
        elif word.top >= anchor.bottom - 0.2 * height and word.bottom > anchor.bottom + 0.5 * height:
            bottom = min(bottom, word.top - 1)
    return left, top, right, bottom


def _number(words: list[Segment], page: ocr.OcrPage) -> tuple[str, digits.Reading]:
    for word in [*_anchors(words, page), *_lost_labels(words, page)]:
        line = words_after(words, word)[:5]
        # the slash before the ký hiệu's letters: a handwritten 7 or 1 is often read as a slash too ("/4")
        # … and first the slash before a ký hiệu's hyphenated groups ("/QĐ-STC"): a handwritten 6805 read "é/ØØ5"
        # has a slash before a letter too
        slash = next((w for w in line if _KY_HIEU_SLASH.search(w.text)), None)
        slash = slash or next((w for w in line if _LETTER_SLASH.search(w.text)), None)
        slash = slash or next((w for w in line if "/" in w.text), None)
        if slash is not None:
            cut = _slash_at(slash, page)
        else:
            cut = _before_groups(line)
        # the số's slash stands under the agency, in the page's left half (an agency's "SỞ …" line folds to "Số"
        # too, and the Quốc hiệu or a seal beside it can read with a slash: "“220/1")
        if cut is None or cut > page.page.width / 2:
            continue
        # a "Số:" word wider than the printed word took the handwriting after it in ("Số:5" read "Số:")
        box = _box(min(word.x1, word.x0 + _SO_PER_HEIGHT * (word.bottom - word.top)) + 2, cut, word, words)
        read = _digits(page, box)
        hand = _a_number(_recognized(page, box, reach=_PAST_SLASH))
        if 1 <= len(read) <= 6 or hand.text:
            return (read if len(read) <= 6 else ""), hand
    return "", _NONE


def _slash_at(slash: Segment, page: ocr.OcrPage) -> float:
    """Where the ký hiệu's slash starts in the word that holds it: by its place among the word's letters, or, when
    OCR glued the handwriting before it into the word ("##/BQLDA-QLĐT": the hand's digits are wider than print's
    letters, and the share of letters places the slash inside them), where the print's glyphs show it."""
    # "/2017/NĐ-CP": the year of a legal document's ký hiệu starts with the first slash
    year = _YEAR_SLASH.search(slash.text)
    letters = year or _KY_HIEU_SLASH.search(slash.text) or _LETTER_SLASH.search(slash.text)
    at = letters.start() if letters else slash.text.index("/")
    measured = _printed_slash(page, slash, len(slash.text) - at) if at and not year and page.image is not None else None
    return measured if measured is not None else slash.x_at(at)


def _printed_slash(page: ocr.OcrPage, word: Segment, printed: int) -> float | None:
    """Where the print's slash starts in ``word``, whose last ``printed`` characters are the slash and the ký hiệu:
    its glyphs walked from the word's right end stand on one baseline (or hang from one cap line) at a letter's
    height, or are its hyphen, up to a slanted stroke as tall as a capital, the slash. None when the walk meets
    anything else first (a digit written touching the slash) or counts not about as many glyphs as characters."""
    import cv2
    import numpy as np

    height = word.bottom - word.top
    crop = ocr.box_crop(page.image, (word.x0, word.top - 0.3 * height, word.x1 + 2, word.bottom + 0.3 * height))
    if crop is None:
        return None
    gray = np.asarray(crop.convert("L"))
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    glyphs = sorted((i for i in range(1, count) if stats[i][4] >= 8), key=lambda i: -(stats[i][0] + stats[i][2]))
    if len(glyphs) < 3:
        return None
    base = float(np.median([stats[i][1] + stats[i][3] for i in glyphs[:3]]))  # the last letters: print
    cap = float(np.median([stats[i][3] for i in glyphs[:3]]))
    for walked, i in enumerate(glyphs, start=1):
        x, y, w, h, _ = stats[i]
        if h >= 0.85 * cap and w <= 0.6 * cap and _slant(labels[y:y + h, x:x + w] == i) > 0.45 * w:
            return word.x0 + x if 0.6 * printed <= walked <= 1.3 * printed else None
        letter = (abs(y + h - base) <= 0.15 * cap or abs(y - (base - cap)) <= 0.15 * cap) and 0.45 * cap <= h <= 1.35 * cap
        hyphen = h < 0.3 * cap and w > h and base - 0.7 * cap < y + h < base
        if not (letter or hyphen):
            return None
    return None


def _slant(mask) -> float:
    """How far right the top third of a glyph's ink lies of its bottom third's (a slash leans right)."""
    import numpy as np

    ys, xs = np.nonzero(mask)
    third = (ys.max() - ys.min() + 1) / 3
    return float(xs[ys < ys.min() + third].mean() - xs[ys > ys.max() - third].mean())


def _before_groups(line: list[Segment]) -> float | None:
    """Where the slash OCR lost starts: a slash's width before the first word of the line that opens with a ký
    hiệu's groups ("QĐ-BXD"), as OCR measured that word; None when no word does."""
    code = next((w for w in line if _KY_HIEU_GROUPS.match(w.text.strip())), None)
    return None if code is None else code.x0 - _SLASH_PER_HEIGHT * (code.bottom - code.top)


def _so_line(words: list[Segment], page: ocr.OcrPage) -> Segment | None:
    """The "Số:" word of the header (left half, a slash after it: not "SÓC" of an organ's name), whose line the
    date shares or is just below."""
    return next((w for w in _anchors(words, page)
                 if any(_slash_in_left_half(after, page) for after in words_after(words, w)[:5])), None)


def _slash_in_left_half(word: Segment, page: ocr.OcrPage) -> bool:
    """True when ``word`` holds a slash that lies in the page's left half, under the agency, as the số's does."""
    at = word.text.find("/")
    return at >= 0 and word.x_at(at) < page.page.width / 2


def _anchors(words: list[Segment], page: ocr.OcrPage):
    """The "Số:" words of the page's left half that start their line, top first (a body's "Nghị định số
    87/2017/NĐ-CP" has words before it)."""
    for word in words:
        anchor = _so_word(word)
        if anchor is None or anchor.x0 > page.page.width / 2:
            continue
        if any(w is not word and same_line(anchor, w) and w.x1 <= anchor.x0 + 2 for w in words):
            continue
        yield anchor


_LABEL_WIDTH = 1.25  # "Số:" is 1.33 em wide in Times, 1.5 in Arial; a slash and capitals stand about 1 em tall


def _lost_labels(words: list[Segment], page: ocr.OcrPage):
    """Where "Số:" ends on the ký hiệu's line when OCR read the label as no "Số:" (glued to the handwriting,
    "SốC3", or marred into junk): the line opens with it, so it ends about 1.25 of the ký hiệu's height after
    the line's first word starts. Yielded as that word cut there, on the ký hiệu's print line, top first."""
    middle = page.page.width / 2
    for code in words:
        if code.x0 > middle or not _KY_HIEU_SLASH.match(code.text.lstrip()):
            continue
        before = [w for w in words if w is not code and same_line(code, w) and w.x0 < code.x0 - 2]
        if not before or len(before) > 3:  # the label and the number, read as a word or two: not a line of prose
            continue
        first = min(before, key=lambda w: w.x0)
        height = code.bottom - code.top
        end = first.x0 + _LABEL_WIDTH * height
        if end < code.x0 - height and _SO.fullmatch(fold(first.text)) is None:  # room for a number after it
            yield Segment(first.text, first.x0, end, code.top, code.bottom, first.confidence)


def _so_word(word: Segment) -> Segment | None:
    """The "Số:" word, or the part of one that ends in its colon ("Só:84": the handwriting read into it)."""
    folded = fold(word.text)
    if _SO.fullmatch(folded):
        return word
    glued = _SO_GLUED.match(folded)
    if glued is None:
        return None
    x1 = word.x_at(glued.end(), len(folded))
    return Segment(word.text[:glued.end()], word.x0, x1, word.top, word.bottom, word.confidence)


def _day(words: list[Segment], page: ocr.OcrPage,
         so: Segment | None = None) -> tuple[tuple[str, ...], digits.Reading]:
    for word in words:
        word = _from_ngay(word)
        if word is None or word.x1 < page.page.width / 3:
            continue
        if _below_so_line(word, so) or _after_prose(words, word):
            continue  # a date in the body ("Căn cứ Luật … ngày 19 tháng 6 năm 2015")
        # Tesseract often takes the handwritten day into the "ngày" word: its box is then wider than the
        # word itself, and the digits sit in the extra width. The printed "ngày" is as wide as 0.87 of the
        # printed "tháng" on its line (the same font); without a clean "tháng", about twice its height.
        folded = fold(word.text)
        month = None
        if "thang" in folded:  # "ngày24tháng" read as one word
            end = word.x_at(folded.index("thang"), len(folded))
        else:
            month = next((w for w in words_after(words, word)[:4] if "thang" in fold(w.text)), None)
            if month is None:
                continue
            at = fold(month.text).index("thang")  # "04tháng" when the digits were glued to it
            end = month.x_at(at)
        if (month is not None and fold(month.text).strip(",.") == "thang"
                and month.x1 - month.x0 < 3.5 * (month.bottom - month.top)):  # not a box across "tháng 01 năm"
            start = min(word.x1, word.x0 + _NGAY_PER_THANG * (month.x1 - month.x0))
        else:
            start = min(word.x1, word.x0 + 1.9 * (word.bottom - word.top))
        box = _box(start + 2, end - 2, word, words)
        readings: list[str] = []
        for single, tighter in ((False, 0.0), (True, 0.0), (False, 0.15), (True, 0.15)):
            height = box[3] - box[1]
            crop = (box[0], box[1] + tighter * height, box[2], box[3] - tighter * height)
            text = ocr.read_digits(page.image, crop, psm="8" if single else "7")
            if len(text) == 2 and 1 <= int(text) <= 31 and text not in readings:
                readings.append(text)
        hand = _a_day(_recognized(page, box, most=2, first=False))
        if readings or hand.text:
            return tuple(readings), hand
    return (), _NONE


def _after_prose(words: list[Segment], word: Segment) -> bool:
    """True when the word just left of ``word`` on its line is a word of a sentence (lower case, no comma after it:
    "báo cáo trước ngày 15"): a date in the body, not the header's, which follows its place and a comma."""
    before = [w for w in words if same_line(word, w) and w.x1 <= word.x0 + 2]
    if not before:
        return False
    text = max(before, key=lambda w: w.x1).text + " "
    return patterns.in_prose(text, fold(text), len(text))


def _below_so_line(word: Segment, so: Segment | None) -> bool:
    """True when ``word`` stands more than three of its lines below the số's line: in the body, not the header."""
    return so is not None and (word.top + word.bottom) / 2 - (so.top + so.bottom) / 2 > 3 * (word.bottom - word.top)


_THANG_PER_HEIGHT = 2.4  # "tháng" is 2.2 em wide in Times, 2.5 in Arial; its word box about 1 em tall


def _month(words: list[Segment], page: ocr.OcrPage,
           so: Segment | None = None) -> tuple[tuple[str, ...], digits.Reading]:
    """As _day, for the month between "tháng" and "năm" of the header's date line."""
    for word in words:
        folded = fold(word.text)
        at = folded.find("thang")
        if at < 0 or word.x1 < page.page.width / 3:
            continue
        if _below_so_line(word, so):
            continue  # a date in the body
        height = word.bottom - word.top
        year = next((w for w in words_after(words, word)[:4] if "nam" in fold(w.text)), None)
        if year is None:
            continue
        x0 = word.x_at(at, len(folded))
        # Tesseract often takes the handwritten month into the "tháng" word: the digits sit past the word's width
        start = min(word.x1, x0 + _THANG_PER_HEIGHT * height)
        end = year.x_at(fold(year.text).index("nam"))
        box = _box(start + 2, end - 2, word, words)
        readings = [text for text in (ocr.read_digits(page.image, box, psm=psm) for psm in ("7", "8"))
                    if text.isdigit() and 1 <= int(text) <= 12]
        hand = _a_month(_recognized(page, box, most=2, first=False))
        return tuple(dict.fromkeys(readings)), hand
    return (), _NONE


def _from_ngay(word: Segment) -> Segment | None:
    """The word as from its "ngày" on ("Bình,ngày2o": the place read into one word with it), or None."""
    folded = fold(word.text)
    at = folded.find("ngay")
    if at < 0 or (at > 0 and folded[at - 1] not in ",."):
        return None
    if at == 0:
        return word
    x0 = word.x_at(at, len(folded))
    return Segment(word.text[at:], x0, word.x1, word.top, word.bottom, word.confidence)


def _a_number(hand: digits.Reading) -> digits.Reading:
    """The recognizer's likeliest reading of the số that can be one (1–6 digits, not all zeros: a số counts from
    01), as _a_day."""
    if 1 <= len(hand.text) <= 6 and hand.text.strip("0"):
        return hand
    if not 1 <= len(hand.text) <= 6:
        return _NONE
    numbers = [(text, p) for text, p in hand.alternatives(20, per_place=3) if text.strip("0")]
    total = sum(p for _, p in numbers)
    if not numbers or total <= 0:
        return _NONE
    return digits.Reading(numbers[0][0], numbers[0][1] / total, hand.places)


def _a_month(hand: digits.Reading) -> digits.Reading:
    """The recognizer's likeliest reading that is a month (1–12), as _a_day."""
    return _likeliest_within(hand, 12)


def _a_day(hand: digits.Reading) -> digits.Reading:
    """The recognizer's likeliest reading that is a day (1–31; "91" for a 31 whose 3 looked like a 9 is not).
    One that is not its likeliest reading gets as its confidence its share of all the readings that are days."""
    return _likeliest_within(hand, 31)


def _likeliest_within(hand: digits.Reading, last: int) -> digits.Reading:
    """The recognizer's likeliest reading from 1 to ``last``; one that is not its likeliest reading gets as its
    confidence its share of all the readings in that range."""
    if len(hand.text) in (1, 2) and 1 <= int(hand.text) <= last:
        return hand
    fitting = [(text, p) for text, p in hand.alternatives(100, per_place=10) if 1 <= int(text) <= last]
    total = sum(p for _, p in fitting)
    if not fitting or total <= 0:
        return _NONE
    return digits.Reading(fitting[0][0], fitting[0][1] / total, hand.places)
