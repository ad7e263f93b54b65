"""ND30 fields read from the lines of a document (text layer, OCR or plain text): the shared core of every source."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from gateway.core.text import exact_key, fold
from gateway.core.values import FieldValue
from gateway.understand import syllables, vocab


@dataclass(frozen=True)
class DocText:
    """The lines of one document, plus the column streams when positions were known.

    ``header_left``/``header_right`` are the two columns of the page-1 header (agency | Quốc hiệu);
    ``tail_left``/``tail_right`` the two columns of the signature zone (Nơi nhận | signer) of the last
    page(s). They are empty when the text had no positions (DOCX, DOC, TXT): the parser then works on
    ``lines`` alone. An empty string in a stream marks a vertical gap (a new block).
    """

    lines: tuple[str, ...]
    header_left: tuple[str, ...] = ()
    header_right: tuple[str, ...] = ()
    tail_left: tuple[str, ...] = ()
    tail_right: tuple[str, ...] = ()
    center: tuple[str, ...] = ()  # page 1's centred runs (type name, trích yếu), without stamps beside them


@dataclass(frozen=True)
class Parsed:
    """What the parser read: fields (Phụ lục VI keys) and the urgency and secrecy levels."""

    fields: dict[str, FieldValue] = field(default_factory=dict)
    urgency: int = 0
    secrecy: int = 0
    repaired: frozenset[str] = frozenset()  # fields whose OCR reading was put right by what else the page says


_CODE = re.compile(
    r"(?<![^\W\d_])S(?:[ốoóôồổở0ỐOÓÔ]|[^\W\d_]{1,2}(?=\s*[:;.,]?\s*\S{0,6}\s*/))\s*(?:h[iị]ệu)?\s*[:;.,]?\s*(?P<num>[^\s/|]{1,6})?[\s.…_]*[/|]\s*"
    r"(?P<year>(?:19|20)\d\d\s*/\s*)?"
    r"(?P<groups>[A-Za-zĐđ][A-Za-zĐđ0-9&]*(?:(?:\s?[-–]\s?|\.(?=[A-ZĐ]{2}))[A-Za-zĐđ0-9&]+)*)"
)
_LOOSE_CODE = re.compile(r"(?<![\w/])(?P<num>\d{1,6})\s*/\s*(?P<year>(?:19|20)\d\d\s*/\s*)?"
                         r"(?P<groups>[A-ZĐ][A-Za-zĐđ0-9&]*(?:-[A-Za-zĐđ0-9&]+)+)")
# A typewriter's 0 reads as 6, 8 or 9, or as two of those ("năm 2962", "năm 20902"): such a year is matched
# here, brought to four digits by _four_digit_year and put right by fields._future_years, which sees it lies
# after the mail.
_DATE = re.compile(r"ngay\s*(?P<d>\d{1,2}(?!\d))?[^\n]{0,8}?thang\s*(?P<m>\d{1,2})[^\d]{0,4}?nam\s*"
                   r"(?P<y>(?:19|2[0689])\d{2,3})")
_TYPED_ZERO = "689"  # what OCR reads a typewriter's 0 as
_PLACE_TAIL = re.compile(r"([^\W\d_][\w .'’-]*?)\s*,?\s*$")
_VV = re.compile(r"^\s*v\s*/\s*v\s*[:.]?\s*")
_KINH_GUI = re.compile(r"^\s*kinh\s*gui\s*[:;.]?\s*")
_NOI_NHAN = re.compile(r"^\s*noi\s*nhan\s*[:;.]?\s*")
_SUBJECT_STOPS = ("can cu", "kinh gui", "thuc hien", "theo de nghi", "xet de nghi", "ngay ", "noi nhan")
_RULE = re.compile(r"^[\s\-_–—=.*~]{3,}$")
_NOT_LETTER_ENDS = re.compile(r"^[\W\d_]+(?=[^\W\d_])|(?<=[^\W\d_.])[\W\d_]+$")
_NAME_WORD = re.compile(r"^[A-ZĐÀ-Ỹ][a-zđà-ỹ]+$")


def parse(doc: DocText, source: str, confidence: float = 0.95) -> Parsed:
    """Every field this text shows, each with ``source`` and a confidence scaled from ``confidence``."""
    fields: dict[str, FieldValue] = {}

    def put(key: str, value: str, weight: float = 1.0) -> None:  # an empty value puts nothing
        value = " ".join(value.split())
        if value and key not in fields:
            fields[key] = FieldValue(value, round(confidence * weight, 2), source)

    lines = list(doc.lines)
    head = lines[:60]
    header = list(doc.header_left) + list(doc.header_right) if doc.header_left or doc.header_right else head
    left_head = list(doc.header_left) + head
    code = read_code(left_head, slashless=False)
    by_type_code = code is None and (code := read_code(left_head)) is not None  # its slash lost: read by its code
    if code:
        number, notation = code
        put("code_number", number, 1.0)
        put("code_notation", notation, 1.0)
    (when, date_repaired), place = _date_place(list(doc.header_right) + head)
    put("place", place)
    put("issued_date", when)
    organ_lines = _organ_lines(doc.header_left or head)
    parent, organ = split_organ(organ_lines)
    put("organ_name", organ, 0.95)
    put("organ_parent", parent, 0.9)
    type_name, type_code, title_at = read_type(head, fields.get("code_notation"))
    repaired: set[str] = {"issued_date"} if date_repaired and source == "ocr" else set()
    if code and source == "ocr" and (_dot_for_hyphen(code[1], left_head) or _word_cut_off(code[1], left_head)
                                     or by_type_code):
        repaired.add("code_notation")
    notation_read = fields.get("code_notation")
    if source == "ocr" and notation_read is not None:
        fixed = repair_notation(notation_read.value, type_code if title_at is not None else "", (organ, parent))
        if fixed != notation_read.value:
            fields["code_notation"] = FieldValue(fixed, notation_read.confidence, notation_read.source)
            repaired.add("code_notation")
    subject = ""
    if type_name == "Công văn" or title_at is None:
        subject = read_vv(list(doc.header_left) + [""] + head)
    if not subject and title_at is not None:
        subject = _block_after(head, title_at)
        centred = [line.strip() for line in doc.center]
        title = title_text(head[title_at])
        if title in centred:  # the same block read from the centred runs only: a ĐẾN stamp beside it stays out
            subject = _block_after(centred, centred.index(title)) or subject
    if type_name:
        put("type_name", type_name, 1.0 if title_at is not None else 0.9)
        put("type_code", type_code)
    elif subject:
        put("type_name", "Công văn", 0.8)  # a V/v without a type line is the công văn layout
    put("subject", subject, 0.9)
    put("addressees", "; ".join(read_list(lines, _KINH_GUI, inline_single=True)), 0.9)
    put("to_places", "; ".join(read_list(list(doc.tail_left) + [""] + lines, _NOI_NHAN, inline_single=False)), 0.9)
    signer = read_signer(doc.tail_right) or read_signer(lines)
    if signer:
        put("signer_position", signer[0], 0.9)
        put("signer_name", signer[1], 0.9)
    urgency, secrecy = read_marks(header + head[:25])
    urgency = max(urgency, read_marks_in_header(header + head[:title_at if title_at is not None else 12]))
    return Parsed(fields, urgency, secrecy, frozenset(repaired))


def read_code(lines: list[str], slashless: bool = True) -> tuple[str, str] | None:
    """(số, ký hiệu) from the "Số: 12/UBND-KT" line; the number is "" when it was left blank for handwriting.
    ``slashless``: last, a line whose ký hiệu OCR read without its slash (_slashless_code)."""
    lines = [_ETH_RUN.sub("Đ", line) for line in lines]
    for line in lines:
        match = _CODE.search(line)
        if match:
            notation = _notation(match.group("year"), _unglued(match.group("groups"), line, match.end()))
            marred = _marred_code(line) if notation and "-" not in notation else None
            if marred:  # "Số: /ZZ⁄ /TB-UBND": the handwritten number read as letters after a slash of its own
                return marred
            if notation:
                return _digits_of((match.group("num") or "").strip()), notation
    return (next(filter(None, map(_marred_code, lines)), None) or next(filter(None, map(_glued_code, lines)), None)
            or (next(filter(None, map(_slashless_code, lines)), None) if slashless else None))


# A "Số:" line whose ký hiệu OCR marred where the handwriting or a speck touched it ("Số: 35 /ÑQ-HĐND",
# "Số: Z⁄ /@GM-UBND", "Số: /⁄Z /CĐ-STC"): the last slash before a hyphenated ký hiệu, up to two specks after it.
_SO_LINE = re.compile(r"^\s*(?:[^\W\d_]{1,3}|[^\w\s])\s*[:;]")  # "Số:", "sẽ;", "ố:" (the S lost), "ho:", "`:"
# A "Số:" label the handwriting or a speck marred past reading, its colon lost ("AT /ÑQ-HĐND", "AT 44 /NQ-HĐND"):
# a short run opens the line, then at most the number's run and the slash, which _MARRED_TAIL wants followed by
# a hyphenated ký hiệu.
_LABEL_LOST = re.compile(r"^\s*[^\s/|]{1,3}\s+(?=(?:[^\s/|]{1,6}\s*)?/)")
# OCR reads a capital Đ as the look-alike Eth (Ð, no Vietnamese letter), often beside the Đ it also read:
# "QĐÐ-SKHCN", "HĐÐĐND"
_ETH_RUN = re.compile(r"[ĐÐ]*Ð[ĐÐ]*")
# a ký hiệu opens with a capital: small letters before its capitals ("/đÑQ-UBND") are a speck or a stroke of the
# handwriting OCR read as a letter
_SPECK_LETTERS = re.compile(r"^[a-zđ]{1,2}(?=[A-ZĐ]{2})")
_MARRED_TAIL = re.compile(r"[/|⁄ƒ][^\w\s/|]{0,2}\s*(?P<groups>[^\W\d_](?:[^\W_]|&)*(?:\s?[-–]\s?(?:[^\W_]|&)+)+)")


def _marred_code(line: str) -> tuple[str, str] | None:
    """(số, ký hiệu) from a "Số:" line the strict pattern could not read: a ký hiệu is capitals without marks
    but Đ (NĐ 30, Phụ lục I), so a mark on one of its letters is OCR's (Ñ → N) and specks before it are dropped;
    the number is what stands before that slash, when it reads as digits (else the handwriting box's)."""
    head = _SO_LINE.match(line) or _LABEL_LOST.match(line)
    if head is None:
        return None
    tails = [m for m in _MARRED_TAIL.finditer(line, head.end()) if "ngày" not in line[head.end():m.start()]]
    if not tails:
        return None
    tail = tails[-1]
    groups = "".join(c for c in unicodedata.normalize("NFD", tail.group("groups")) if not unicodedata.combining(c))
    groups = _SPECK_LETTERS.sub("", unicodedata.normalize("NFC", groups))
    if not (groups[:1].isupper() and re.fullmatch(r"[A-Za-zĐđ0-9&]+(?:\s?[-–]\s?[A-Za-zĐđ0-9&]+)+", groups)):
        return None
    notation = _notation(None, _unglued(groups, line, tail.end()))
    before = line[head.end():tail.start()].split()
    return (_digits_of(before[-1]) if before else ""), notation


# A "Số:" line whose slash OCR lost between the number and the ký hiệu ("Số: 04UBND-NV", "Số: 01GM-TCT"), or
# its hyphens too ("Số390TBBTP": capitals only, which the title's code may cut apart, see repair_notation).
_GLUED = re.compile(r"^\s*S[ốoóôồổở0ỐOÓÔ]\s*[:;.,]?\s*(?P<num>\d{1,6})"
                    r"(?P<groups>[A-ZĐ][A-Za-zĐđ0-9&]*(?:-[A-Za-zĐđ0-9&]+)+|[A-ZĐ]{3,}(?![^\W\d_]))")


def _glued_code(line: str) -> tuple[str, str] | None:
    """(số, ký hiệu) from a "Số:" line whose printed number runs into the ký hiệu without its slash."""
    match = _GLUED.match(line)
    if match is None:
        return None
    return match.group("num"), _notation(None, _unglued(match.group("groups"), line, match.end()))


# A "Số:" label ("Số." with the colon's top dot lost), then the line's last run: a ký hiệu's groups after no
# capital (the slash lost into the handwriting touching it: "#Z“Z-7NQ-UBND", or read as nothing: "§@?® QĐ-BXD")
_SLASHLESS_LABEL = re.compile(r"^\s*[^\W\d_]{1,3}\s*[:;.]")
_SLASHLESS_TAIL = re.compile(r"(?<![A-ZĐ])(?P<code>[A-ZĐ][A-Za-zĐ]*)(?P<groups>(?:[-–][A-ZĐ][A-Za-zĐ0-9&]*)+)[.,;]?\s*$")


def _slashless_code(line: str) -> tuple[str, str] | None:
    """("", ký hiệu) from a "Số:" line OCR read without the ký hiệu's slash, when its first group is a type's
    Phụ lục III code ("NQ-UBND", "QĐ-BXD"): no other group opens a ký hiệu, so the junk before it is the
    handwriting's, and the number is the handwriting box's. A công văn's ký hiệu ("SYT-KHTC") has no type code,
    and a run of capitals before the code ("BQLDA-…") is a group of its own: neither is read so."""
    head = _SLASHLESS_LABEL.match(line)
    if head is None or "/" in line or "ngày" in line.lower():
        return None
    tail = _SLASHLESS_TAIL.search(line, head.end())
    if tail is None or tail.group("code") not in vocab.TYPE_BY_CODE:
        return None
    return "", _notation(None, tail.group("code") + tail.group("groups"))


_NEXT_CELL_WORD = re.compile(r"(?:\s[-–]\s?|[-–]\s)(?P<word>[A-ZĐ][^\W\d_]+)$")


_WORD_START = re.compile(r"(?<=[A-Za-z])[A-ZĐ][a-z]*$")
# A capital with two small letters or more after a group's capitals is the next cell's word ("SXD-VXLong An",
# "UBND-KTKon Tum"): the small letters ND30's groups keep are one (TTr, TTg, GDTrH).
_CELL_WORD = r"[A-ZĐ][a-z]{2,}"
_GLUED_WORD = re.compile(r"(?<=[A-ZĐ0-9&])" + _CELL_WORD + "$")


def _unglued(groups: str, line: str, end: int) -> str:
    """A ký hiệu's groups without the capital that starts the next cell's word glued on after them ("GM-XTTMHà
    Nội, ngày …": the H is Hà's), seen by the small letter at ``end`` of ``line`` or by the word's own small
    letters ("SXD-VXLong An"); or without the next cell's word OCR joined on by a spaced dash ("QĐ-BXD - Hà
    Nội"): a ký hiệu's groups are capitals, not a name."""
    joined = _NEXT_CELL_WORD.search(groups)
    if joined and joined.group("word")[1:].islower():
        return groups[:joined.start()]
    word = _WORD_START.search(groups)  # "STC-TTrQuảng Nam": the next word's letters before its first mark
    if word and line[end:end + 1].islower():
        return groups[:word.start()]
    word = _GLUED_WORD.search(groups)
    return groups[:word.start()] if word else groups


def _dot_for_hyphen(notation: str, lines: list[str]) -> bool:
    """True when the page printed ``notation`` only with a dot where its hyphen is ("TB.CCTL")."""
    dotted = notation.replace("-", ".")
    return dotted != notation and not any(notation in line for line in lines) and any(dotted in line for line in lines)


def _word_cut_off(notation: str, lines: list[str]) -> bool:
    """True when the page printed ``notation`` only with a word glued on after it ("SXD-VXLong An")."""
    glued = re.compile(re.escape(notation) + _CELL_WORD)
    alone = re.compile(re.escape(notation) + r"(?![^\W_])")
    return any(glued.search(line) for line in lines) and not any(alone.search(line) for line in lines)


# Letters OCR reads for digits of a printed number ("I1" for "11", "2O" for "20").
_DIGIT_LOOKALIKES = str.maketrans({"I": "1", "l": "1", "|": "1", "i": "1", "O": "0", "o": "0", "D": "0"})


def _digits_of(token: str) -> str:
    """The number in the số box: digits, with look-alike letters read as the digits they stand beside."""
    if token.isdigit():
        return token
    mapped = token.translate(_DIGIT_LOOKALIKES)
    return mapped if mapped.isdigit() and any(c.isdigit() for c in token) else ""


def read_loose_code(text: str) -> tuple[str, str] | None:
    """(số, ký hiệu) written anywhere as "123/UBND-KT" (e-mail subjects, file names)."""
    match = _LOOSE_CODE.search(text)
    if not match:
        return None
    return match.group("num"), _notation(match.group("year"), match.group("groups"))


def _notation(year: str | None, groups: str) -> str:
    parts = [p for p in re.split(r"\s?[-–]\s?|\.", groups.strip()) if p]  # "TB.CCTL": OCR read the hyphen as a dot
    if not parts:
        return ""
    first = vocab.TYPE_BY_CODE.get(parts[0]) or vocab.TYPE_BY_CODE.get(parts[0].upper())
    if first and len(parts) > 1:
        parts[0] = first[1]
    else:
        parts[0] = parts[0].upper()
    parts[1:] = [p if p in vocab.MIXED_CASE_GROUPS else p.upper() for p in parts[1:]]  # "UBND-TTr", "QĐ-TTg"
    prefix = re.sub(r"\s", "", year) if year else ""
    return prefix + "-".join(parts)


def type_of_notation(notation: str) -> tuple[str, str] | None:
    """(tên loại, code) when the first group of the ký hiệu is a Phụ lục III code; None for công văn."""
    groups = notation.split("/")[-1].split("-")
    if len(groups) < 2:
        return None
    return vocab.TYPE_BY_CODE.get(groups[0])


def repair_notation(notation: str, title_code: str, organs: tuple[str, ...]) -> str:
    """The ký hiệu with the groups OCR misread by one letter put right by what else the page prints: the type's
    group by the code of the tên loại in the title, an agency's group by the initials of the agency's name
    (with "TIR-QLD" under "TỜ TRÌNH" → "TTr-QLD", "NQ-SKHDT" under "SỞ KẾ HOẠCH VÀ ĐẦU TƯ" → "NQ-SKHĐT")."""
    year, _, tail = notation.rpartition("/")
    groups = tail.split("-")
    if title_code:
        groups = _with_type_group(groups, title_code)
    typed = len(groups) > 1 and groups[0] in vocab.TYPE_BY_CODE
    abbreviations = [a for organ in organs for a in _abbreviations(organ)]
    for index in range(1 if typed else 0, len(groups)):
        groups[index] = _agency_group(groups[index], organs, abbreviations)
    return (year + "/" if year else "") + "-".join(groups)


def _with_type_group(groups: list[str], title_code: str) -> list[str]:
    """``groups`` with the first put right to ``title_code`` when it is one letter off it (or the hyphen after it
    was lost: "KHSNV" → "KH", "SNV"); as they were when the first group is the code or far from it."""
    first = groups[0]
    if first == title_code:
        return groups
    # one letter off the code, or off the code without its small letter, which OCR loses ("TI" for "TTr")
    bare = "".join(filter(str.isupper, title_code))
    if len(groups) > 1 and (_one_edit(first.upper(), title_code.upper()) or bare != title_code
                            and (first.upper() == bare or _one_edit(first.upper(), bare))):
        return [title_code, *groups[1:]]
    rest = first[len(title_code):]
    if len(groups) == 1 and first.upper().startswith(title_code.upper()) and len(rest) >= 2 and rest.isalpha():
        return [title_code, rest]
    return groups


def _agency_group(group: str, organs: tuple[str, ...], abbreviations: list[str]) -> str:
    """``group`` as the one agency abbreviation it is one OCR slip off ("STTTI" → "STTTT", "SVHTTTDL" →
    "SVHTTDL"), when its letters are not in order among the initials of an agency's name already, and no name
    was read cut short (its initials then lack a letter the ký hiệu rightly has)."""
    if len(group) < 3 or any(within(group, initials(organ, keep_and=True)) for organ in organs if organ):
        return group
    if any(cut_short(organ) for organ in organs if organ):
        return group
    near = {a for a in abbreviations if _ocr_slip(group.upper(), a)}
    return near.pop() if len(near) == 1 else group


# Capitals OCR takes for one another in a ký hiệu (an agency may abbreviate as it likes: any other letter is its).
_LOOK_ALIKE = ("ITLJ1", "DĐOQ0")
_STROKES = "IL1J|"  # a serif or a speck beside a letter, read as a letter of its own


def _ocr_slip(read: str, meant: str) -> bool:
    """True when ``read`` is ``meant`` with one slip OCR makes: a look-alike capital ("STTTI"), a letter doubled
    ("SVHTTTDL"), a stroke read as a letter of its own ("QLTIHADS")."""
    if len(read) == len(meant):
        slips = [(a, b) for a, b in zip(read, meant) if a != b]
        return len(slips) == 1 and any(slips[0][0] in s and slips[0][1] in s for s in _LOOK_ALIKE)
    return len(read) == len(meant) + 1 and any(
        (read[i] == read[i - 1] or read[i] in _STROKES) and read[:i] + read[i + 1:] == meant for i in range(1, len(read)))


_FIELD_WORDS = tuple(fold(field).replace(",", " ").split() for field in vocab.LEXICON)


def cut_short(organ: str) -> bool:
    """True when an agency's name ends in the first words of a longer known field or place: OCR lost its last
    words ("SỞ THÔNG TIN VÀ TRUYỀN" of "… TRUYỀN THÔNG", its last line lost under a rule or a speck)."""
    words = fold(organ).replace(",", " ").split()
    # two words at least: one alone may be any field's first ("… ĐẦU TƯ" and "Tư pháp")
    return any(words[-cut:] == field[:cut]
               for field in _FIELD_WORDS for cut in range(2, min(len(field), len(words) + 1)))


_AND = "va"  # folded "và": no letter in an agency's abbreviation ("SỞ KẾ HOẠCH VÀ ĐẦU TƯ" → SKHĐT)


def initials(organ: str, keep_and: bool = False) -> str:
    """The first letters of the words of an agency's name, capital, unmarked but Đ: "SỞ Y TẾ" → "SYT"."""
    words = re.findall(r"[^\W\d_]+", organ)
    return "".join("Đ" if w[0] in "Đđ" else fold(w[0]).upper() for w in words if keep_and or fold(w) != _AND)


def _abbreviations(organ: str) -> list[str]:
    """What an agency's name is abbreviated to: its initials, those of the words before its level and place
    ("ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH" → "UBNDTNĐ", "UBND") and those after its head word ("CỤC QUẢN LÝ DƯỢC" →
    "QLD")."""
    if not organ:
        return []
    name = " ".join(organ.split())
    spelled = exact_key(name) + " "  # as long as ``name``: NFC letters, marks kept ("quản" is no "quận")
    cut = min((spelled.find(f" {level} ") for level in _LEVELS_SPELLED if f" {level} " in spelled), default=0)
    head = max((len(h) for h in vocab.ORGAN_HEADS if fold(name).startswith(h + " ")), default=0)
    forms = (initials(name), initials(name[:cut]) if cut else initials(name[head:]))
    return [a for a in dict.fromkeys(forms) if len(a) >= 3]


_LEVELS_SPELLED = tuple(exact_key(level) for level in vocab.LEVEL_NAMES)


def within(group: str, initials: str) -> bool:
    """True when the letters of ``group`` stand in order among ``initials`` (an agency's, see initials()), or the
    digits of one number among another's ("32" in "323")."""
    remaining = iter(initials)
    return all(c in remaining for c in group.upper())


def read_date_place(lines: list[str]) -> tuple[str, str]:
    """(ISO date or "", địa danh or "") from "Quảng Ngãi, ngày 06 tháng 01 năm 2025"."""
    (when, _), place = _date_place(lines)
    return when, place


def _date_place(lines: list[str]) -> tuple[tuple[str, bool], str]:
    """((ISO date or "", whether a typed 0 was put back in its day or month), địa danh or "").

    When no line reads as a whole date (the day and the month handwritten and misread) the place is still
    taken from a "Quảng Ngãi, ngày …" line.
    """
    lines = list(lines)
    folds = [fold(line) for line in lines]  # each line folded once: a space between two lines folds to itself
    # A date line wrapped in a narrow column ("Khánh Hòa, ngày 20 tháng 02" / "năm 2017"): each line is
    # also tried joined with the next.
    candidates = [pair for one, after, folded, folded_after in zip(lines, lines[1:] + [""], folds, folds[1:] + [""])
                  for pair in ((one, folded), (f"{one} {after}", f"{folded} {folded_after}"))]
    for line, folded in candidates:
        match = _DATE.search(folded)
        if not match or in_prose(line, folded, match.start()):
            continue
        place = _place_before(line, folded, match.start())
        day, month, year = match.group("d"), match.group("m"), _four_digit_year(match.group("y"))
        if not day:
            return ("", False), place
        when, repaired = _typed_date(day, month, year)
        return (when, repaired or year != match.group("y")[:4]), place
    for line, folded in zip(lines, folds):
        match = _PLACE_DATE.search(folded)
        if match:
            place = _place_before(line, folded, match.start())
            if place:
                return ("", False), place
    return ("", False), ""


def _four_digit_year(year: str) -> str:
    """A year read with five digits: one typed 0 read as two look-alikes ("20902") made one again."""
    if len(year) == 4 or year[0] != "2":  # a 19xx year was read well: a fifth digit is a speck after it
        return year[:4]
    for at in range(1, 4):
        if year[at] in "0" + _TYPED_ZERO and year[at + 1] in _TYPED_ZERO:
            return year[:at + 1] + year[at + 2:]
    return year[:4]


def _typed_date(day: str, month: str, year: str) -> tuple[str, bool]:
    """(ISO date or "", repaired): a day or month no calendar has ("39", "16") with its 6, 8 or 9 put back as
    the typed 0 OCR took for it."""
    for at, (d, m) in enumerate(((day, month), (_typed_zeros(day), month), (day, _typed_zeros(month)),
                                 (_typed_zeros(day), _typed_zeros(month)))):
        try:
            return dt.date(int(year), int(m), int(d)).isoformat(), at > 0
        except ValueError:
            continue
    return "", False


def _typed_zeros(number: str) -> str:
    """A day or month with each 6, 8 and 9 read as 0 (what a typewriter's 0 looks like to OCR)."""
    return number.translate(str.maketrans(_TYPED_ZERO, "000"))


_PLACE_DATE = re.compile(r",\s*ngay\b")
_WORD_BEFORE = re.compile(r"([^\W\d_]+)\s*$")


def in_prose(line: str, folded: str, start: int) -> bool:
    """True when the date at ``start`` of ``line`` follows a word of a sentence ("báo cáo trước ngày 15 tháng 1",
    "Luật … địa phương ngày 19 tháng 6"): the header's date follows its place and a comma, or opens its line."""
    if len(line) != len(folded):
        return False
    word = _WORD_BEFORE.search(line[:start])
    return word is not None and word.group(1)[0].islower()


def _place_before(line: str, folded: str, start: int) -> str:
    """The địa danh: the run of capitalised words before the date that starts at ``start``."""
    before = line[:start] if len(folded) == len(line) else ""
    tail = _PLACE_TAIL.search(before.replace("…", " "))
    if not tail:
        return ""
    words = tail.group(1).replace(",", " ").split()
    kept: list[str] = []
    for word in reversed(words):  # the place is the run of capitalised words before the comma
        glued = re.search(r"[A-Za-zĐ0-9]([A-ZĐ][^\W\d_A-ZĐ]+)$", word) if "/" in word or "-" in word else None
        if glued and glued.group(1)[1:].islower():  # "38/GM-XTTMHà": the cells of a header table run together
            kept.insert(0, glued.group(1))
            break
        # A ký hiệu the OCR line ran into ("TTr-STC"): capitals joined by a hyphen are no place.
        if not word[:1].isupper() or "/" in word or "-" in word and sum(c.isupper() for c in word) >= 3:
            break
        kept.insert(0, word)
    place = " ".join(kept[-4:])
    return "" if fold(place) in ("so", "ngay") else place


def read_month(lines: list[str]) -> tuple[int, int] | None:
    """(year, month) of the printed date even when its day was left blank."""
    for line in lines:
        folded = fold(line)
        match = _DATE.search(folded)
        if match and in_prose(line, folded, match.start()):
            continue
        year = _four_digit_year(match.group("y")) if match else ""
        if match and year[:2] in ("19", "20") and 1 <= int(match.group("m")) <= 12:  # no typed 0 misread in it
            return int(year), int(match.group("m"))
    return None


_BLANK_MONTH = re.compile(r"ngay[^\n]{0,12}?thang[^\n]{0,10}?nam\s*(?P<y>(?:19|20)\d{2})(?!\d)")


def read_year(lines: list[str]) -> int | None:
    """The printed year of a date line whose month OCR could not read ("ngày 05 tháng ,/ năm 2024": the month
    written by hand into a blank)."""
    for line in lines:
        folded = fold(line)
        match = _BLANK_MONTH.search(folded)
        if match and not in_prose(line, folded, match.start()):
            return int(match.group("y"))
    return None


def _strip_motto(line: str) -> str:
    folded = fold(line)
    if len(folded) != len(line):
        return line
    line = _without_motto(line, " ")
    folded = fold(line)
    # OCR and plain text glue the Quốc hiệu column to the agency line; cut from "CỘNG HÒA" / "Độc lập" on.
    for start in ("cong hoa", "doc lap"):
        at = folded.find(start)
        if at > 0:
            line = line[:at]
            folded = folded[:at]
    return line.strip()


def _organ_lines(lines: list[str]) -> list[str]:
    """The capitalised lines above the "Số:" line, without the Quốc hiệu and Tiêu ngữ."""
    found: list[str] = []
    for raw in lines:
        # the số line: "Số:", or "Số05KHBNV" with its colon and slash lost; no agency's name has a slash (the
        # số line OCR garbled: "“." /ÑQ-HĐND")
        if (_CODE.search(raw) or _DATE.search(fold(raw)) or re.match(r"\s*so\s*([:;]|\d)", fold(raw))
                or "/" in raw):
            break
        if not raw.strip():
            if found:
                continue
            continue
        line = _NOT_LETTER_ENDS.sub("", _strip_motto(without_marks(raw))).strip(" -_–—=*:")
        if not line or _RULE.match(line):
            continue
        letters = [c for c in line if c.isalpha()]
        if len(letters) < 2:
            continue
        if sum(c.isupper() for c in letters) < 0.8 * len(letters):
            if found:
                break
            continue
        if fold(line) in vocab.TYPE_BY_FOLDED:
            break
        found.append(_said_once(line))
        if len(found) == 4:
            break
    return found


def without_marks(line: str) -> str:
    """``line`` without the letters that have no case: a circumflex OCR read from a rule's end ("TỔNG CÔNG TY
    ĐIỆN LỰC ˆ", "DỰNGˆ") is a modifier letter, and every letter of Vietnamese has a capital."""
    return " ".join("".join(c for c in line if not c.isalpha() or c.isupper() or c.islower()).split())


def _said_once(line: str) -> str:
    """``line`` with a run of two or more words that OCR read twice over, back to back, read once ("CHI CỤC
    KIỂM LÂM CHI CỤC KIỂM LÂM": a line read as two overlapping rows); no agency's name says a run twice."""
    words = line.split()
    folded = [fold(w) for w in words]
    for size in range(len(words) // 2, 1, -1):
        for start in range(len(words) - 2 * size + 1):
            if folded[start:start + size] == folded[start + size:start + 2 * size]:
                return _said_once(" ".join(words[:start + size] + words[start + 2 * size:]))
    return line


def split_organ(lines: list[str]) -> tuple[str, str]:
    """(cơ quan chủ quản, cơ quan ban hành): the issuing body starts at the last line that names a body."""
    if not lines:
        return "", ""
    start = 0
    for index in range(1, len(lines)):
        folded = fold(lines[index])
        before = fold(lines[index - 1]).rstrip()
        # "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ" / "HỘI": a one-word line, or a line after "VÀ", "-" or ",",
        # continues the name above even when it reads like a head word.
        continues = (len(folded.split()) < 2 or before.endswith((" va", "-", ",", " và"))
                     or _phrase_no_head(folded))
        if _starts_organ(folded) and not folded.startswith(vocab.NAME_CONTINUATIONS) and not continues:
            start = index
    return " ".join(lines[:start]), " ".join(lines[start:])


_PHRASE_BY_FOLD = {" ".join(fold(p).split()): p for p in vocab.PHRASES}
_HEADS_SPELLED = tuple(exact_key(h) for h in vocab.ORGAN_HEAD_NAMES)


def _phrase_no_head(folded: str) -> bool:
    """True for a line that is one known phrase not spelled as a body's head word: "VIỄN THÔNG" (folded like
    "VIỆN") ends "TỔNG CÔNG TY DỊCH VỤ" above it; "VĂN PHÒNG" starts a body."""
    phrase = _PHRASE_BY_FOLD.get(" ".join(folded.split()))
    return phrase is not None and not any(exact_key(phrase) == head or exact_key(phrase).startswith(head + " ")
                                          for head in _HEADS_SPELLED)


def head_spelled(organ: str) -> str:
    """An organ's name in capitals whose first words fold to a body's head word, with the head's spelling ("SƠ
    TÀI CHÍNH" → "SỞ TÀI CHÍNH"): where a head is expected, OCR's tone on it is no other word's."""
    folded = fold(organ)
    if not organ.isupper() or len(folded) != len(organ):
        return organ
    head = max((h for h in vocab.ORGAN_HEAD_NAMES if folded.startswith(fold(h) + " ")), key=len, default="")
    return head.upper() + organ[len(head):] if head else organ


def _starts_organ(folded: str) -> bool:
    """True when the line opens with the head word of a body that issues documents ("SỞ", "TỔNG CÔNG TY")."""
    return any(folded == head or folded.startswith(head + " ") for head in vocab.ORGAN_HEADS)


_EDGE_SPECKS = re.compile(r"^[^\w(]+|[^\w)]+$")


def title_text(line: str) -> str:
    """A title line without the specks OCR read as punctuation at its ends (": BÁO CÁO": dust or a seal's edge
    beside the centred type name)."""
    return _EDGE_SPECKS.sub("", line.strip())


def read_type(lines: list[str], notation: FieldValue | None) -> tuple[str, str, int | None]:
    """(tên loại, code, index of the title line or None) from the capitalised title or else the ký hiệu."""
    for index, line in enumerate(lines):
        text = title_text(line)
        letters = list(filter(str.isalpha, text))
        if not letters or sum(map(str.isupper, letters)) < 0.8 * len(letters):
            continue
        known = vocab.TYPE_BY_FOLDED.get(" ".join(fold(text).split()))
        if known:
            return known[0], known[1], index
    by_code = type_of_notation(notation.value) if notation else None
    if by_code:
        return by_code[0], by_code[1], None
    return "", "", None


VV_LINES = 6  # lines that may continue a V/v: ô 5's narrow column wraps a long trích yếu into six or seven


def read_vv(lines: list[str]) -> str:
    """The công văn trích yếu: the text after "V/v" and the lines that continue it."""
    for index, line in enumerate(lines):
        folded = fold(line)
        match = _VV.match(folded)
        if not match:
            continue
        pieces = [line[match.end():] if len(folded) == len(line) else line[match.end():]]
        for follow in lines[index + 1: index + 1 + VV_LINES]:
            if not follow.strip() or _stops_subject(follow) or _heading(follow):
                break
            pieces.append(follow)
        return " ".join(" ".join(pieces).split()).rstrip(".;")
    return ""


def _stops_subject(line: str) -> bool:
    """True for a line that cannot continue a trích yếu: what follows it on the page (a date, a stamp, the
    Quốc hiệu, "Kính gửi", "Căn cứ", "Điều 1.", a heading, a sentence that opens a list with ":")."""
    folded = fold(line).strip()
    stamp = line.strip().isupper() and read_marks([line]) != (0, 0)  # "KHẨN", not "khăn" ending a wrap
    return (folded.startswith(_SUBJECT_STOPS) or stamp or bool(_RULE.match(line))
            or bool(_DATE.search(folded)) or bool(_CODE.search(line)) or folded.startswith("so:")
            or folded.startswith(vocab.NATIONAL_MOTTO) or folded.startswith(("cong hoa xa hoi", "doc lap"))
            or bool(_ARTICLE.match(folded)) or folded.rstrip().endswith(":") or "tran trong kinh moi" in folded)


_ARTICLE = re.compile(r"^(dieu|chuong|muc|phan)\s+([0-9]+|[ivxlc]+)\b")


def _heading(line: str) -> bool:
    """A line in capitals ("BỘ TRƯỞNG BỘ TÀI CHÍNH", "KHÓA X, KỲ HỌP THỨ 7"): a trích yếu is in lower case."""
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _block_after(lines: list[str], title_at: int) -> str:
    """The trích yếu under the type name: the lines up to the next gap, rule or "Căn cứ"."""
    pieces: list[str] = []
    for line in lines[title_at + 1: title_at + 6]:
        if not line.strip():
            if pieces:
                break
            continue
        if _stops_subject(line) or (pieces and (_garbled(line) or _heading(line))):
            break
        pieces.append(line.strip())
    return clean_subject(" ".join(pieces))


_VE_VIEC = re.compile(r"v[eêa]\s*vi[eê]c\b")  # folded "và việc": OCR took the ề for à
_STAMP_WORDS = re.compile(r"\b(so|ngay|chuyen|luu ho so so)\s*:")


def clean_subject(text: str) -> str:
    """A trích yếu without the scan's litter: junk before "Về việc" (spelled right) and after a stamp's words."""
    text = " ".join(text.split())
    folded = fold(text)
    if len(folded) == len(text):
        match = _VE_VIEC.search(folded)
        if match and match.start() < 40:
            text, folded = "Về việc " + text[match.end():].lstrip(), "ve viec " + folded[match.end():].lstrip()
        stamp = _STAMP_WORDS.search(folded)
        if stamp and stamp.start() > 10:
            text = text[:stamp.start()]
    text = _LEAD_JUNK.sub("", text.strip())
    text = _TRAIL_JUNK.sub("", text)
    words = text.split()
    while len(words) > 3 and (not any(c.isalnum() for c in words[-1])
                               or (words[-1].isupper() and len(words[-1]) <= 2)):  # a stamp's litter at the end
        words.pop()
    return _TRAIL_JUNK.sub("", " ".join(words))


_LEAD_JUNK = re.compile(r"^[\W\d_]+(?=[^\W\d_])")
_TRAIL_JUNK = re.compile(r"[\s.;,:_|~\-–—]+$")


def _garbled(line: str) -> bool:
    """A line that is mostly not words: scan litter, a stamp, a signature."""
    words = line.split()
    good = sum(1 for w in words if sum(c.isalpha() for c in w) >= max(1, len(w) - 1)
               or re.fullmatch(r"\d{1,4}([/.-]\d{1,4})*[,.;]?", w))  # "năm 2030", "2021-2025"
    return not words or good < 0.6 * len(words)


def read_list(lines: list[str], label: re.Pattern, inline_single: bool) -> list[str]:
    """The entries of a "Kính gửi:" or "Nơi nhận:" block: the text on the label's line or the "- …;" lines."""
    for index, line in enumerate(lines):
        folded = fold(line)
        match = label.match(folded)
        if not match:
            continue
        rest = line[match.end():].strip() if len(folded) == len(line) else ""
        items: list[str] = []
        if rest and not rest.startswith(("-", "+", "•")) and inline_single:
            return [_list_item(rest)]
        if rest:
            items.append(_list_item(rest))
        for follow in lines[index + 1: index + 25]:
            stripped = follow.strip()
            if not stripped:
                if items:
                    continue
                continue
            if not stripped.startswith(("-", "+", "•", "–")):
                if items and not stripped[:1].isupper() and len(items[-1]) > 0 and not items[-1].endswith(";"):
                    items[-1] = _list_item(items[-1] + " " + stripped)
                    continue
                break
            items.append(_list_item(stripped))
        return [item for item in items if sum(c.isalpha() for c in item) >= 2]
    return []


def _list_item(text: str) -> str:
    """One addressee: without its bullet, what trails its last word (";", ".") and a scan's speck after it."""
    words = text.strip().lstrip("-+•–").split()
    while len(words) > 1 and not any(c.isalnum() and unicodedata.category(c) != "Lm" for c in words[-1]):
        words.pop()  # "ˆ" (a modifier letter), "~", "|": litter OCR put after the entry
    return _TRAIL_JUNK.sub("", " ".join(words))


def read_signer(lines: list[str] | tuple[str, ...]) -> tuple[str, str] | None:
    """(chức vụ with "/" between its lines, họ tên) from the last signer block: capitals above a name."""
    lines = [_NOT_LETTER_ENDS.sub("", line) for line in lines]
    for index in range(len(lines) - 1, 0, -1):
        name = lines[index]
        if not _is_name(name):
            continue
        position: list[str] = []
        seen = 0  # lines with words between the name and the title; the seal's specks do not count
        for above in range(index - 1, -1, -1):
            line = _title_part(lines[above].strip(" .,:;"))
            if not line:
                if position:
                    break  # the title is one block right above the signature
                continue
            if _is_position(line):
                position.insert(0, _authority(_known_title(line)))
                if len(position) == 4:
                    break
            elif not re.search(r"[^\W\d_]{3}", line):
                continue  # specks of the seal or the signature ("ˆ bó") between the lines of the title
            elif position or len(line) > 60:
                break
            seen += 1
            if seen == 8:
                break
        authority = [i for i, line in enumerate(position) if _has_authority(line)]
        if authority:
            position = position[authority[0]:]
        position = position[-3:]
        if position:
            return " / ".join(position), respell_name(name)
    return None


_SURNAME_BY_FOLD = {fold(name): name for name in vocab.SURNAMES}
# Offices of a signer's title line (ND30 and the organs' statutes); a line one letter off one of them is it.
_TITLES = ("CHỦ TỊCH", "GIÁM ĐỐC", "BỘ TRƯỞNG", "THỨ TRƯỞNG", "CHÁNH VĂN PHÒNG", "TỔNG GIÁM ĐỐC", "CỤC TRƯỞNG",
           "TỔNG CỤC TRƯỞNG", "CHI CỤC TRƯỞNG", "VỤ TRƯỞNG", "TRƯỞNG BAN", "TRƯỞNG PHÒNG", "HIỆU TRƯỞNG",
           "VIỆN TRƯỞNG", "CHÁNH THANH TRA", "KẾ TOÁN TRƯỞNG", "TỔNG THƯ KÝ", "BÍ THƯ", "ỦY VIÊN")
_TITLE_BY_FOLD = {fold(t): t for office in _TITLES for t in (office, "PHÓ " + office)}


def _known_title(line: str) -> str:
    """``line`` as the office it is one letter off ("PHÓ CHỦ TỊC", "CHỤƯ TỊCH" → "CHỦ TỊCH"), its authority
    prefix kept; as it was when it is an office already or near none or several."""
    match = re.match(r"^(TM|KT|TL|TUQ|Q)(?:\s*[.,]\s*|\s+)(?=\S)", line)
    prefix, office = (line[:match.end()], line[match.end():]) if match else ("", line)
    folded = " ".join(re.findall(r"[a-z]+", fold(office)))
    if len(folded) < 6 or folded in _TITLE_BY_FOLD:
        return line
    near = one_letter_off(folded, _TITLE_BY_FOLD)
    return prefix + near if near else line


def one_letter_off(folded: str, table: dict[str, str]) -> str:
    """The value of the one key of ``table`` that ``folded`` is one letter off, or "" when none or several are."""
    near = [value for key, value in table.items() if _one_edit(folded, key)]
    return near[0] if len(near) == 1 else ""


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one letter put in, left out or changed."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def _title_part(line: str) -> str:
    """``line`` without the specks OCR read in the seal beside a capital title ("ri CHỦ TỊCH" → "CHỦ TỊCH"):
    words at either end with a small letter, a digit or no letter, when capital words stay between them."""
    words = line.split()
    capital = [i for i, word in enumerate(words) if not _speck(word)]
    if len(capital) < 2 or len(capital) == len(words):
        return line
    kept = words[capital[0]:capital[-1] + 1]
    return " ".join(kept) if not any(_speck(w) for w in kept) else line


def _speck(word: str) -> bool:
    """True for a word with no letter, or with a small letter or a digit in it: no word of a capital title."""
    return not any(c.isalpha() for c in word) or any(c.islower() or c.isdigit() for c in word)


def respell_name(name: str) -> str:
    """A person's name with the family name in its one spelling ("Nguyên Hoàng Giang" → "Nguyễn Hoàng Giang")."""
    words = name.split()
    if words and fold(words[0]) in _SURNAME_BY_FOLD:
        words[0] = _SURNAME_BY_FOLD[fold(words[0])]
    return " ".join(words)


def _is_name(line: str) -> bool:
    words = line.split()
    return 2 <= len(words) <= 5 and all(_NAME_WORD.match(w) for w in words) and fold(line) not in (
        vocab.TYPE_BY_FOLDED) and fold(words[0]) not in _AGENCY_FIRST


# First words of an agency or place in title case ("Sở Công Thương", "Ủy Ban Nhân Dân"), none a family name.
_AGENCY_FIRST = frozenset(("so", "bo", "cuc", "uy", "ban", "phong", "vien", "hoi", "tong", "chi", "huyen", "tinh",
                           "toa", "kho", "nha", "tap", "trung", "cong"))


def _is_position(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    if len(letters) < 3 or any(c.isdigit() for c in line):
        return False
    if sum(c.isupper() for c in letters) < 0.9 * len(letters):
        return False
    folded = fold(line)
    if ":" in line or line.lstrip().startswith(("-", "+", "•")):
        return False  # a Nơi nhận entry ("- VPUB: CVP, PCVP;"), not a title
    words = set(re.findall(r"[a-z]+", folded))
    if any(motto in folded for motto in ("xa hoi chu nghia", "doc lap", "tu do")):
        return False  # the Quốc hiệu of a page's header, no title
    return (not folded.startswith(("noi nhan", "kinh gui")) and folded not in (m for m, _ in vocab.SECRECY_MARKS)
            and " ".join(folded.split()) not in vocab.TYPE_BY_FOLDED and bool(words & vocab.OFFICE_WORDS))


def _has_authority(line: str) -> bool:
    return line.startswith(vocab.AUTHORITY_PREFIXES)


def _authority(line: str) -> str:
    """The prefix written as ND30 spells it: "KT CHỦ TỊCH" (OCR lost the dot) → "KT. CHỦ TỊCH"."""
    match = re.match(r"^(TM|KT|TL|TUQ|Q)(?:\s*[.,]\s*|\s+)(?=\S)", line)
    if match:
        return f"{match.group(1)}. {line[match.end():]}"
    return line


def read_marks(lines: list[str]) -> tuple[int, int]:
    """(urgency, secrecy) from stamp lines that hold only the mark ("KHẨN", "TỐI MẬT"). ND30 prints the marks in
    capitals: a line all in small letters is prose wrapped alone ("khó khăn" → "khăn"), no mark."""
    urgency = secrecy = 0
    for line in lines:
        if line.strip().islower():
            continue
        marks = _marks_of(" ".join(re.sub(r"[^\w ]", " ", fold(line)).split()))
        urgency, secrecy = max(urgency, marks[0]), max(secrecy, marks[1])
    return urgency, secrecy


def _marks_of(folded: str) -> tuple[int, int]:
    """(urgency, secrecy) of one folded line that holds only the mark."""
    urgency = secrecy = 0
    for mark, level in vocab.URGENCY_MARKS:
        if folded == mark or folded in (f"do khan {mark}", f"muc do khan {mark}"):
            urgency = max(urgency, level)
    for mark, level in vocab.SECRECY_MARKS:
        if folded == mark or folded == f"do mat {mark}":
            secrecy = max(secrecy, level)
    return urgency, secrecy


def read_marks_in_header(lines: list[str]) -> int:
    """The urgency of a mark stamped beside other print of the header and read into its line ("Số: 31/SXD-QLN
    | THƯỢNG KHẨNQuảng Ngãi, …", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM HỎA TỐC"): a run of capital words, apart
    from the Quốc hiệu, that is the mark and nothing more ("KHẨN CẤP" of an agency's name is no mark)."""
    urgency = 0
    marks = dict(vocab.URGENCY_MARKS)
    for line in lines:
        for run in _capital_runs(_without_motto(line)):
            urgency = max(urgency, marks.get(fold(run), 0))
    return urgency


def _without_motto(line: str, mark: str = "|") -> str:
    """``line`` with the Quốc hiệu and Tiêu ngữ blanked out where they stand in it, each starting with ``mark``
    (by default a "|", so that a run of capitals ends there)."""
    folded = fold(line)
    if len(folded) != len(line):
        return line
    for motto in vocab.NATIONAL_MOTTO:
        at = folded.find(motto)
        if at >= 0:
            line = line[:at] + mark.ljust(len(motto)) + line[at + len(motto):]
            folded = fold(line)
    return line


def _capital_runs(line: str) -> list[str]:
    """The runs of words in capitals on ``line``, a word glued to the next by OCR cut apart first ("KHẨNQuảng")."""
    runs: list[list[str]] = [[]]
    for word in line.split():
        word = word.strip(".,;:!\"'")
        glued = next((i for i in range(1, len(word) - 1)
                      if word[i - 1].isupper() and word[i].isupper() and word[i + 1].islower()), 0)
        for part in (word[:glued], word[glued:]) if glued else (word,):
            if part.isalpha() and part.isupper() and len(part) >= 2:  # not "31/SXD-QLN", "|", a frame's "I"
                runs[-1].append(part)
            elif runs[-1]:
                runs.append([])
    return [" ".join(run) for run in runs if run]


def read_stamp_marks(texts: list[str]) -> tuple[int, int]:
    """(urgency, secrecy) from the texts of stamps found by their colour: specks read from a frame's sides at
    either end left out ("Ï THƯỢNG KHẨN |"), and a mark of two words with one letter misread where print crossed
    it ("ĐOA TỐC") still taken, as only a stamp's own text is read here."""
    two_words = {mark: mark for mark, _ in vocab.URGENCY_MARKS if " " in mark}
    levels = dict(vocab.URGENCY_MARKS)
    urgency, secrecy = read_marks(texts)
    for text in texts:
        words = re.sub(r"[^\w ]", " ", fold(text)).split()
        while words and len(words[0]) < 2:
            words.pop(0)
        while words and len(words[-1]) < 2:
            words.pop()
        folded = " ".join(words)
        marks = _marks_of(folded)
        urgency = max(urgency, levels.get(one_letter_off(folded, two_words), 0), marks[0])
        secrecy = max(secrecy, marks[1])
    return urgency, secrecy


_LEXICON = sorted(((fold(w), w) for w in vocab.LEXICON), key=lambda p: -len(p[0]))
_LEXICON_RE = re.compile(r"(?<!\w)(" + "|".join(re.escape(f) for f, _ in _LEXICON) + r")(?!\w)")
_LEXICON_BY_FOLD = dict(_LEXICON)
_LEVELS = frozenset(w.strip() for w in vocab.NAME_CONTINUATIONS)  # "tinh", "huyen", "thi xa" …
_NEXT_WORD = re.compile(r"\s*([^\W\d_]+)")


def _names_after(rest: str, upper: bool) -> bool:
    """True when a place's name follows a level word: a next word on the line, in capitals after capitals."""
    match = _NEXT_WORD.match(rest)
    return match is not None and (match.group(1).isupper() or not upper)


_QUARTER = re.compile(r"(?<![^\W\d_])([Qq][Uu][ÝýYy])\s+(?![\d|]+\b)([IlT1|]{1,5}V?)(?![^\W_])")
_ONE_IN_WORD = re.compile(r"(?<![\w])([^\W\d_]*)1([^\W\d_]*)(?![\w])")


def typed_lookalikes(line: str) -> str:
    """An OCR line of typewritten prose with look-alikes put back: a quarter's numeral ("quý TII" → "quý III")
    and a 1 inside a word that is one syllable with an i or an l in its place ("gia1" → "giai", "1ưu" → "lưu")."""
    return _ONE_IN_WORD.sub(_one_as_letter, _QUARTER.sub(_quarter_numeral, line))


def _quarter_numeral(match: re.Match) -> str:
    """A quarter is I to IV: strokes OCR read as T, l, 1 or | (or an extra stroke) are its I's, three at most."""
    strokes, five = match.group(2).rstrip("Vv"), match.group(2)[len(match.group(2).rstrip("Vv")):]
    return f"{match.group(1)} {'I' * min(len(strokes), 1 if five else 3)}{five.upper()}"


def _one_as_letter(match: re.Match) -> str:
    """A 1 among letters read as the i or l that makes the word one syllable; as read when both or neither do."""
    before, after = match.group(1), match.group(2)
    if len(before + after) < 2 or (before + after)[:1].isupper():  # "1a" is a clause; capitals are a code's
        return match.group()
    words = [before + letter + after for letter in "il" if syllables.is_syllable(fold(before + letter + after))]
    return words[0] if len(words) == 1 else match.group()


def respell(text: str) -> str:
    """OCR text with known agency and place words in their correct spelling ("NHÂN DẪN" → "NHÂN DÂN")."""
    folded = fold(text)
    if len(folded) != len(text):
        return text
    out, last = [], 0
    for match in _LEXICON_RE.finditer(folded):
        original = text[match.start():match.end()]
        right = _LEXICON_BY_FOLD[match.group(1)]
        if original.isupper():
            right = right.upper()
        elif original[:1].islower():
            continue  # lower-case runs are ordinary prose; only names are respelled
        if match.group(1) in _LEVELS and not _names_after(text[match.end():], original.isupper()):
            continue  # "HUYỆN SƠN TỊNH": a level word names the place after it; at the end it is the name's own
        out.append(text[last:match.start()])
        out.append(right if len(right) == len(original) else original)
        last = match.end()
    out.append(text[last:])
    return "".join(out)
