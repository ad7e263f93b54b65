"""Confidence as the chance a field is right: what was checked about it, looked up in a table counted on documents.

Each field gets an evidence string, its source and the outcome of the checks that concern it ("ocr|hand|
sig:after|mail:none": a day read from handwriting that falls after the signature). calibration.json holds,
per field and evidence, how many such readings the development set had and how many were right
(bench/calibrate.py counts them); the confidence is that share, drawn toward the share of the coarser
evidence (its first parts) when the count is small, so a rare combination borrows from its kind.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from gateway.core.text import exact_key, fold
from gateway.core.values import FieldValue
from gateway.understand import compounds, patterns, syllables, vocab
from gateway.understand.layout import Segment, words_after

TABLE = Path(__file__).with_name("calibration.json")
PRIOR_WEIGHT = 5.0  # readings a coarser share counts for when a finer one is estimated
DOUBT = 2.0  # standard deviations of the estimated share taken off it (a lower bound, not the mean)
FAILED_PRIOR = 0.8  # the most a failed check's level starts from (see estimate)
# Outcomes of checks that speak against a reading: a disagreeing second source or reading, no second
# reading of a scanned number or day, a handwritten-digit recognizer that reads it otherwise, a day after the
# signature or the mail, an organ or place not known, OCR's low character confidence, a shape a value of its
# kind does not have, a ký hiệu put right from what else the page says (no reading printed it so), a word that
# is no Vietnamese syllable ("TỔNG-CỤC"), a name or a subject cut short, a middle name in the given name's place,
# a word read twice over, a subject run into the body's first sentence, a line after "KT." that is not the deputy
# of its office, an urgency or secrecy stamp read as a line of the title, a syllable OCR read that stands in no word
# with its neighbours ("thụ tục"), a name's word that another known name spells with other marks and that OCR
# did not read so sharply ("Tân" for "Tấn").
FAILED = frozenset({"fn:differ", "abbr:differ", "type:differ", "code:differ", "again:differ", "again:none",
                    "hw:differ", "sig:after", "sig:long-before", "sig:bad", "mail:after", "unknown", "odd",
                    "odd-surname", "shape:odd", "ocr:lo", "len:short", "len:long", "fix:repaired", "word:odd", "cut",
                    "given:odd", "word:twice", "deputy:odd", "run-on", "stamp:odd", "word:unpaired",
                    "name:tone"})
_PLACES = frozenset(fold(p) for p in vocab.LEXICON)
# given and middle names, folded, that two known names share ("tan": Tân and Tấn; "thanh": Thanh and Thành)
_TWO_NAMES = frozenset(name for name, spellings in Counter(
    fold(name) for name in {exact_key(name) for name in vocab.GIVEN_NAMES}).items() if spellings > 1)


@dataclass(frozen=True)
class Checks:
    """What the fields can be checked against, besides each other."""

    filename: tuple[str, str] | None = None  # (số, ký hiệu or its first group) in the attachment's name
    signed_on: dt.date | None = None  # the day of the first digital signature (Việt Nam time)
    mailed_on: dt.date | None = None  # the e-mail's date
    ocr_words: tuple[Segment, ...] = ()  # words OCR read, with their confidences
    handwritten: frozenset[str] = frozenset()  # fields read from the handwriting boxes
    certified_names: tuple[str, ...] = ()  # persons' names in signing certificates and stamps
    second_reading: dict[str, str] = dataclasses.field(default_factory=dict)  # field → the box read again


def evidence(fields: dict[str, FieldValue], checks: Checks) -> dict[str, str]:
    """The evidence string of every field the table knows."""
    out: dict[str, str] = {}
    for key, value in fields.items():
        reader = _EVIDENCE.get(key)
        if reader is None:
            continue
        parts = [value.source] + reader(value, fields, checks)
        # A number or a date is no OCR word of its own (the word is "Số:12/UBND", the date three words):
        # its second reading tells more.
        if value.source == "ocr" and key not in checks.handwritten and key not in ("code_number", "issued_date"):
            parts.append(_ocr_bucket(value.value, checks.ocr_words))
        out[key] = "|".join(parts)
    return out


def calibrated(fields: dict[str, FieldValue], found: dict[str, str], table: dict | None = None) -> dict[str, FieldValue]:
    """``fields`` with the confidence of each field that has evidence taken from the table. A field from a
    source no labelled set measured for it (the e-mail's subject standing in for a trích yếu) is not raised
    above the reader's own estimate: the field's share of right readings from other sources says nothing of it."""
    table = _table() if table is None else table
    out = dict(fields)
    for key, text in found.items():
        counts = table.get(key)
        if not counts:
            continue
        share = round(estimate(counts, text), 3)
        source = text.split("|")[0]
        if not any(row == source or row.startswith(source + "|") for row in counts):
            share = min(share, out[key].confidence)
        out[key] = dataclasses.replace(out[key], confidence=share)
    return out


def estimate(counts: dict[str, tuple[int, int]], text: str, weight: float = PRIOR_WEIGHT,
             doubt: float = DOUBT, failed: float = FAILED_PRIOR) -> float:
    """The share of right readings for ``text``, each level drawn toward the coarser level above it, less
    ``doubt`` times its uncertainty: what a few hundred documents saw right is not yet right for sure.

    A level whose part is a failed check (FAILED) starts from at most ``failed``, not from its coarser
    level's share: sources that disagree or a check that fails lower the confidence until enough readings
    with that very outcome were seen right.
    """
    parts = text.split("|")
    share, seen = 0.5, 0
    for depth in range(0, len(parts) + 1):
        prefix = "|".join(parts[:depth])
        seen = right = 0
        for key, (n, k) in counts.items():
            if depth == 0 or key == prefix or key.startswith(prefix + "|"):
                seen, right = seen + n, right + k
        if depth and parts[depth - 1] in FAILED:
            share = min(share, failed)
        share = (right + weight * share) / (seen + weight)
    return max(0.0, share - doubt * (share * (1 - share) / (seen + weight + 1)) ** 0.5)


@functools.lru_cache(maxsize=1)
def _table() -> dict:
    try:
        data = json.loads(TABLE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return _tabled(data)


def _tabled(data: dict) -> dict:
    """Counts as calibration.json holds them, as the table ``estimate`` reads."""
    return {field: {key: (int(n), int(k)) for key, (n, k) in rows.items()} for field, rows in data.items()}


def _ocr_bucket(value: str, words: tuple[Segment, ...]) -> str:
    """"ocr:hi" when every word of the value was read with confidence ≥ 90, "mid" ≥ 70, else "lo"."""
    seen: dict[str, float] = {}
    for word in words:
        key = fold(word.text).strip(".,;:()")
        seen[key] = max(seen.get(key, 0.0), word.confidence)
    scores = [seen.get(fold(token).strip(".,;:()"), 0.0) for token in value.split()]
    lowest = min(scores) if scores else 0.0
    return "ocr:hi" if lowest >= 90 else "ocr:mid" if lowest >= 70 else "ocr:lo"


def _filename(field: FieldValue, checks: Checks, number: bool) -> str:
    if checks.filename is None:
        return "fn:none"
    if field.source == "filename":
        return "fn:self"  # a value the file name gave cannot be checked against it
    num, code = checks.filename
    if number:
        return "fn:agree" if num.lstrip("0") == field.value.lstrip("0") else "fn:differ"
    if not code:
        return "fn:none"
    if field.value.upper().split("-")[0].startswith(code.upper().split("-")[0]):
        return "fn:agree"
    if "-" not in code and code.upper() == "CV":  # "123 CV.pdf": a công văn, whose ký hiệu has no type's code
        return "fn:agree" if patterns.type_of_notation(field.value) is None else "fn:differ"
    return "fn:differ"


def _number(value: FieldValue, fields: dict[str, FieldValue], checks: Checks) -> list[str]:
    hand = "hand" if "code_number" in checks.handwritten else "print"
    return [hand, _filename(value, checks, True), *_again("code_number", value, checks)]


def _notation(value: FieldValue, fields: dict[str, FieldValue], checks: Checks) -> list[str]:
    by_code = patterns.type_of_notation(value.value)
    title = fields.get("type_name")
    if by_code is None:
        agreement = "type:cv" if title is None or title.value == "Công văn" else "type:differ"
    else:
        agreement = "type:agree" if title is not None and title.value == by_code[0] else "type:differ"
    shape = "shape:ok" if re.fullmatch(r"(\d{4}/)?[A-ZĐa-z&0-9]+(-[A-ZĐ&0-9]+)+", value.value) else "shape:odd"
    if _place_glued(value.value, fields.get("place")):
        shape = "shape:odd"
    # a group OCR misread, put right by the title or the agency's name: no reading printed it so
    repaired = ["fix:repaired"] if checks.second_reading.get("code_notation") == "repaired" else []
    return [agreement, shape, _filename(value, checks, False), *repaired]


def _place_glued(notation: str, place: FieldValue | None) -> bool:
    """True when the ký hiệu's last group ends in the first word of the place written after it on the Số line
    ("CTr-BQLDALONG" beside "Long An, ngày …"): the two were read as one word. A group is initials; a word of
    four letters or more is no abbreviation (a two-letter "ĐÀ" could be "DA", dự án)."""
    if place is None or not place.value.split():
        return False
    first = fold(place.value.split()[0]).upper()
    group = notation.split("-")[-1]
    return len(first) >= 4 and len(group) > len(first) and fold(group).upper().endswith(first)


def _date(value: FieldValue, fields: dict[str, FieldValue], checks: Checks) -> list[str]:
    hand = "hand" if "issued_date" in checks.handwritten else "print"
    try:
        day = dt.date.fromisoformat(value.value)
    except ValueError:
        return [hand, "sig:bad"]
    if checks.signed_on is None:
        signed = "sig:none"
    elif day > checks.signed_on:
        signed = "sig:after"  # a document is signed on or after its date
    elif day == checks.signed_on:
        signed = "sig:same"
    else:
        signed = "sig:before" if (checks.signed_on - day).days <= 10 else "sig:long-before"
    mailed = "mail:none" if checks.mailed_on is None else "mail:after" if day > checks.mailed_on else "mail:ok"
    faint = ["ocr:lo"] if value.source == "ocr" and _month_faint(day.month, checks.ocr_words) else []
    return [hand, signed, mailed, *_again("issued_date", value, checks), *faint]


def _month_faint(month: int, words: tuple[Segment, ...]) -> bool:
    """True when OCR read the month after "tháng" only faintly (below 70): no box reads a month again, so a month
    written by hand, or printed worn, that OCR misread has nothing else to speak against it."""
    single = [w for w in words if " " not in w.text.strip()]  # words, not the lines OCR also gave
    read = [after.confidence for label in single if fold(label.text).strip(" ,.") == "thang"
            for after in words_after(single, label)[:1] if re.sub(r"\D", "", after.text).lstrip("0") == str(month)]
    return bool(read) and max(read) < 70  # OCR's "ocr:lo", as _ocr_bucket counts it


def _again(key: str, value: FieldValue, checks: Checks) -> list[str]:
    """For a number or day OCR read: whether the digits-only reading of its box said the same, and whether the
    handwritten-digit recognizer did ("hw:", when it was asked)."""
    if value.source != "ocr":
        return []
    parts = [f"again:{checks.second_reading.get(key, 'none')}"]
    # Tesseract's two readings that agree on a value the box did not settle: print, which the recognizer of
    # handwriting has no say on
    if f"{key}:hand" in checks.second_reading and (key in checks.handwritten or parts[0] != "again:agree"):
        parts.append(f"hw:{checks.second_reading[f'{key}:hand']}")
    return parts


def _changed(key: str, checks: Checks) -> list[str]:
    """["again:differ"] when a second look or a repair put another value in place of the page's reading: no two
    readings agreed on it."""
    return ["again:differ"] if checks.second_reading.get(key) == "differ" else []


def _organ(value: FieldValue, fields: dict[str, FieldValue], checks: Checks) -> list[str]:
    folded = fold(value.value)
    known = patterns._starts_organ(folded) and value.value.upper() == value.value
    parts = ["known" if known else "unknown", "parent" if "organ_parent" in fields else "alone",
             _abbreviated(value.value, fields.get("code_notation"))]
    # a word put right by its spelling, or read in a box of our own
    return parts + _changed("organ_name", checks) + _levelled(value.value) + _twice(value.value)


def _levelled(organ: str) -> list[str]:
    """["cut"] for a name ending in a level with no name after it ("BỆNH VIỆN ĐA KHOA TỈNH"): the unit's place
    was lost (a line OCR did not read, a seal over it)."""
    return ["cut"] if organ.upper().endswith(tuple(" " + level for level in vocab.LEVEL_NAMES)) else []


def _odd_words(text: str) -> list[str]:
    """["word:odd"] when a word of a name or a position is no Vietnamese syllable ("TỔNG-CỤC", "Ng0c"): OCR
    glued, split or misread it, and no one wrote it so."""
    for word in text.split():
        if word in ("/", "-", "–") or word in vocab.AUTHORITY_PREFIXES:
            continue
        if not syllables.is_word(word):
            return ["word:odd"]
    return []


def _twice(text: str) -> list[str]:
    """["word:twice"] when a word follows itself ("… TRUYỀN THÔNG THÔNG"): OCR read it twice over (a line read
    again, a column's edge), and no agency or office is named so (a person may be: "Võ Ngọc Ngọc Thịnh")."""
    words = fold(text).replace(" / ", " ").split()
    return ["word:twice"] if any(a == b for a, b in zip(words, words[1:])) else []


def _deputy(lines: list[str]) -> list[str]:
    """["deputy:odd"] when a "KT." line is not followed by its deputy's office: ND30 signs "KT. CHỦ TỊCH / PHÓ
    CHỦ TỊCH" (and "KT. BỘ TRƯỞNG / THỨ TRƯỞNG"), so "PHÓ TỊCH" or a missing line lost a word or a line."""
    for index, line in enumerate(lines):
        if not line.startswith("KT."):
            continue
        office = " ".join(fold(line[3:]).split())
        deputy = " ".join(fold(lines[index + 1]).split()) if index + 1 < len(lines) else ""
        wanted = ("thu truong",) if office == "bo truong" else ("pho " + office,)
        if not any(deputy == w or deputy.startswith(w + " ") for w in wanted):
            return ["deputy:odd"]
    return []


def _abbreviated(organ: str, notation: FieldValue | None) -> str:
    """"abbr:agree" when a group of the ký hiệu is the organ's initials ("TTKSBT" for "TRUNG TÂM KIỂM SOÁT
    BỆNH TẬT", "UBND" for "ỦY BAN NHÂN DÂN TỈNH …"), "abbr:differ" when none is, "abbr:none" without one."""
    if notation is None:
        return "abbr:none"
    groups = [g for g in notation.value.split("/")[-1].split("-") if len(g) >= 2]
    if patterns.type_of_notation(notation.value):
        groups = groups[1:]  # the first group is the type's code
    words = fold(organ).upper().replace("-", " ").split()
    initials = fold(patterns.initials(organ, keep_and=True)).upper()
    if not groups or not initials:
        return "abbr:none"
    agree = any(patterns.within(fold(g).upper(), initials) or fold(g).upper() in words for g in groups)
    return "abbr:agree" if agree else "abbr:differ"


def _place(value: FieldValue, fields: dict[str, FieldValue], checks: Checks) -> list[str]:
    return ["known" if fold(value.value) in _PLACES else "unknown"]


def _type(value: FieldValue, fields: dict[str, FieldValue], checks: Checks) -> list[str]:
    notation = fields.get("code_notation")
    by_code = patterns.type_of_notation(notation.value) if notation else None
    if notation is None:
        return ["code:none"]
    if by_code is None:
        return ["code:cv" if value.value == "Công văn" else "code:differ"]
    return ["code:agree" if by_code[0] == value.value else "code:differ"]


def _subject(value: FieldValue, fields: dict[str, FieldValue], checks: Checks) -> list[str]:
    size = len(value.value)
    words = value.value.split()
    odd = sum(1 for w in words if not re.fullmatch(r"[\w,.;:()/%-]+", w) or (w.isupper() and len(w) > 1
                                                                                and not re.fullmatch(r"[IVXLC]+", w)))
    return ["len:short" if size < 25 else "len:long" if size > 220 else "len:ok", "odd" if odd else "clean",
            *_cut_subject(words), *(_run_on(words) or _prose_opener(words)), *_unpaired(value, value.value)]


def _unpaired(value: FieldValue, text: str) -> list[str]:
    """["word:unpaired"] when OCR read a syllable in ``text`` that no word has alone and that forms no word with the
    syllables beside it ("thụ tục" for "thủ tục"): each letter a syllable, the pair none. What a person typed is
    left alone."""
    return ["word:unpaired"] if value.source == "ocr" and compounds.unpaired(text) else []


def _cut_subject(words: list[str]) -> list[str]:
    """["cut"] for a subject that ends in a word asking for more ("… của", "… theo Nghị định" with no number):
    its last line was not read."""
    if not words:
        return []
    tail = " ".join(words[-3:]).lower()
    cited = any(tail.endswith(f"{before} {kind.lower()}")
                for kind in vocab.CITED_TYPES for before in ("theo", "tại", "của"))
    # "… theo Nghị định số": the number a cited document's "số" announces is on the line not read
    cited = cited or any(tail.endswith(f"{kind.lower()} số") for kind in vocab.CITED_TYPES)
    # a period is two years ("giai đoạn 2021 - 2025"): one year alone lost the end of the span
    half_period = " ".join(words[-3:-1]).lower() == "giai đoạn" and bool(re.fullmatch(r"\d{4}", words[-1]))
    return ["cut"] if words[-1].lower() in vocab.OPEN_ENDS or cited or half_period else []


def _run_on(words: list[str]) -> list[str]:
    """["run-on"] for a subject with a word that opens a sentence inside it ("… 2021 - 2025 Các đơn vị …"): a
    capital is a name's, and only a law's name starts so ("Luật Các tổ chức tín dụng"), so the body's first
    line was read into the subject."""
    opener = any(word[:1].isupper() and word.lower() in vocab.OPEN_ENDS and word.lower() not in vocab.NAME_OPENERS
                 and before.lower() != "luật" for before, word in zip(words, words[1:]))
    return ["run-on"] if opener else []


# open ends that also open a trích yếu ("Về việc …", "Cho phép thành lập …") or a place's name ("Từ Sơn")
_SUBJECT_OPENERS = frozenset({"về", "cho"}) | vocab.NAME_OPENERS


def _prose_opener(words: list[str]) -> list[str]:
    """["run-on"] for a subject that opens as a sentence of the body does ("Trong quá trình thực hiện, …"): a
    trích yếu opens with "Về" or with what the document does ("Ban hành", "Phê duyệt"), not with a preposition."""
    first = words[0] if words else ""
    return ["run-on"] if first[:1].isupper() and first.lower() in vocab.OPEN_ENDS - _SUBJECT_OPENERS else []


def _signer(value: FieldValue, fields: dict[str, FieldValue], checks: Checks) -> list[str]:
    words = value.value.split()
    certified = any(fold(name) == fold(value.value) for name in checks.certified_names)
    surname = bool(words) and fold(words[0]) in patterns._SURNAME_BY_FOLD
    parts = ["cert" if certified else "nocert", "surname" if surname else "odd-surname"]
    given = ["given:odd"] if len(words) >= 2 and words[-1] in vocab.MIDDLE_NAMES else []
    # and a scanned name starting with one lost its family name ("Văn Nghĩa" for "Hà Văn Nghĩa": a seal over it)
    given += ["cut"] if value.source == "ocr" and len(words) >= 2 and words[0] in vocab.MIDDLE_NAMES else []
    # a name a second look under a seal put in place of the first, or that a line under the title reads otherwise
    changed = _changed("signer_name", checks) or _read_otherwise(value, fields.get("signer_position"), checks.ocr_words)
    # a name's words start with capitals: a small first letter is a word OCR lost its start of ("Đinh ọng Thắng")
    odd = _odd_words(value.value) or (["word:odd"] if any(w[:1].islower() for w in words) else [])
    return parts + changed + odd + given + _tone_unsure(value, checks.ocr_words)


def _tone_unsure(name: FieldValue, words: tuple[Segment, ...]) -> list[str]:
    """["name:tone"] when a given or middle name OCR gave is one of two known names that differ only by their marks
    ("Tân", "Tấn"; "Tuân", "Tuấn") and no word OCR read sharply (≥ 90) is spelled so: its marks were put back by
    the commonest name, or read faintly, and a tone slip reads as a name all the same."""
    if name.source != "ocr":
        return []
    sharp = {exact_key(word.text.strip(".,;:()")) for word in words if word.confidence >= 90}
    for word in name.value.split()[1:]:
        if fold(word) in _TWO_NAMES and exact_key(word) not in sharp:
            return ["name:tone"]
    return []


def _read_otherwise(name: FieldValue, position: FieldValue | None, words: tuple[Segment, ...]) -> list[str]:
    """["again:differ"] when the name's own line under the signer's title says otherwise: it ends in the name's
    given name but a word before differs by more than one letter ("Đoàn Ti:anh Khánh" where "Tăng Khánh" was
    taken), or it is the name but stands off the title's centre by more than a quarter of its width ("Đính
    Nga" right of "PHÓ GIÁM ĐỐC": ND30 centres the name under the title, so a word was lost under the seal)."""
    if name.source != "ocr" or position is None:
        return []
    wanted = fold(name.value).split()
    lines = {fold(line).strip(" .,;:") for line in position.value.split(" / ")}
    titles = [w for w in words if fold(w.text).strip(" .,;:") in lines]
    if not titles:
        return []
    title = max(titles, key=lambda t: t.bottom)  # the office's line, right above the signature
    for line in words:
        tail = line.text.split()[-len(wanted):]
        if (len(tail) < len(wanted) or fold(tail[-1]).strip(" .,;:") != wanted[-1]
                or not all(word[:1].isupper() and not word.isupper() for word in tail)  # a seal's ring is capitals
                or not (line.top > title.bottom and line.x0 < title.x1 and line.x1 > title.x0)):
            continue
        read = [fold(word).strip(" .,;:") for word in tail]
        if any(a != b and not patterns._one_edit(a, b) for a, b in zip(read, wanted)):
            return ["again:differ"]
        text = fold(line.text).rstrip(" .,;:")
        x0 = line.x_at(text.rfind(" ".join(read)), len(text))  # the name's part
        if abs((x0 + line.x1) / 2 - (title.x0 + title.x1) / 2) > 0.25 * (line.x1 - x0):
            return ["again:differ"]
    return []


def _position(value: FieldValue, fields: dict[str, FieldValue], checks: Checks) -> list[str]:
    lines = value.value.split(" / ")
    authority = lines[0].startswith(vocab.AUTHORITY_PREFIXES)
    return ["authority" if authority else "plain", f"lines:{min(len(lines), 3)}", *_odd_words(value.value),
            *_deputy(lines), *_twice(value.value), *_stamp_line(lines),
            *_unpaired(value, value.value.lower())]  # an office is in capitals, and no name's


_MARKS = frozenset(mark for mark, _ in (*vocab.URGENCY_MARKS, *vocab.SECRECY_MARKS))  # folded


def _stamp_line(lines: list[str]) -> list[str]:
    """["stamp:odd"] when a line of the title is an urgency or secrecy mark ("THƯỢNG KHẨN / GIÁM ĐỐC"): the
    stamp stood beside the title, and no office is called so."""
    return ["stamp:odd"] if any(" ".join(fold(line).split()) in _MARKS for line in lines) else []


def _addressees(value: FieldValue, fields: dict[str, FieldValue], checks: Checks) -> list[str]:
    return ["one" if "; " not in value.value else "several"]


_EVIDENCE = {
    "code_number": _number, "code_notation": _notation, "issued_date": _date, "organ_name": _organ,
    "place": _place, "type_name": _type, "subject": _subject, "signer_name": _signer,
    "signer_position": _position, "addressees": _addressees,
}
