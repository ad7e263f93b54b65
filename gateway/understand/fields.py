"""Reads the ND30 metadata of the incoming document from an extracted message.

Sources, most trusted first: an attached edXML package, the PDF/DOCX/DOC text (read by position on PDF
pages), OCR of scanned pages (page-1 header and the signer's page), the attachment's file name, the e-mail
subject. Each field keeps the source that decided it; where OCR and the file name disagree on the số, the
file name wins (the số is often handwritten after printing, and OCR misreads handwriting).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re

from gateway.core.config import UnderstandConfig
from gateway.core.text import exact_key, fold
from gateway.core.values import DocumentMeta, Extracted, FieldValue, SignatureReport
from gateway.edxml.parse import looks_like_edxml, parse_package
from gateway.extract import legacy
from gateway.understand import confidence, digits, layout, ocr, patterns, signatures, stamps, syllables, tones, vocab
from gateway.understand.docx_layout import docx_text
from gateway.understand.handwriting import Boxes, read_boxes, read_month_box
from gateway.understand.layout import PageText, Segment, doc_text, end_pages, page_text

log = logging.getLogger(__name__)

DOCUMENT_TYPES = ("pdf", "docx", "doc", "odt", "rtf", "text", "png", "jpeg", "tiff")
IMAGE_TYPES = ("png", "jpeg", "tiff")
# Subjects of forwarded or replied mail carry prefixes that are not part of the trích yếu.
_SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|tr|v/v)\s*:\s*)+", re.IGNORECASE)
_SIGNED_SUFFIX = re.compile(r"(\.signed)?([_ ]\d{8}[_ ]\d{6})?(\.signed)?\.\w{2,4}$", re.IGNORECASE)
_FILE_FULL_CODE = re.compile(r"(?P<num>\d{1,6})\s*[-/]\s*(?P<groups>[A-Za-zĐđ]{1,8}(?:-[A-Za-zĐđ0-9]{1,10})+)")
_FILE_PARENS = re.compile(r"\(([^)]*)\)")
_FILE_SHORT = re.compile(r"^\s*(?P<num>\d{1,6})(?:\s*[-_ .]?\s*(?P<code>[A-Za-zĐđ]{1,6}))?(?![A-Za-z0-9])")
OCR_CONFIDENCE = 0.7
MOST_GROUPS = 4  # groups a ký hiệu has at most (TYPE-ORG-UNIT-SUB)
HEADER_SHARE = 0.45  # the top of page 1 that holds its fields: organ, số, date, type, trích yếu, Kính gửi
FIRST_PAGES, LAST_PAGES = 2, 3  # the pages of a PDF whose text layer is read by position
_DAY_ONLY = "_day_only"  # a handwritten day whose month OCR could not read; settled by _day_from_signature
_DAY_READINGS = "_day_readings"  # every reading of a handwritten day, for _day_from_signature to choose from
_DAY_LIKELY = "_day_likely"  # the recognizer's likely readings of a day it alone read, for _day_from_signature
_NUMBER_READINGS = "_number_readings"  # every reading of a handwritten số, for _check_number to choose from


@dataclasses.dataclass(frozen=True)
class _Source:
    """One reading of the document: its parsed fields and where they came from."""

    parsed: patterns.Parsed
    ocr_text: str = ""
    seconds: float = 0.0
    words: tuple = ()  # OCR's words with their confidences
    hand: frozenset[str] = frozenset()  # fields read from the handwriting boxes
    second: tuple[tuple[str, str], ...] = ()  # (field, "agree"/"differ"/"none"): the box read again as digits


def understand(extracted: Extracted, config: UnderstandConfig | None = None, pdfs=None) -> DocumentMeta:
    """The document's fields as far as every source can tell, each with its confidence and source.

    ``pdfs`` (extract.pdf.OpenPdfs) holds the PDFs the extraction already opened, to read them from."""
    return read(extracted, config, pdfs)[0]


def read(extracted: Extracted, config: UnderstandConfig | None = None,
         pdfs=None) -> tuple[DocumentMeta, dict[str, str]]:
    """The document's fields, and the evidence (source and checks) each confidence was looked up by."""
    config = config or UnderstandConfig()
    message = extracted.message
    fields: dict[str, FieldValue] = {}
    notes: list[str] = []
    urgency = secrecy = 0

    edxml_parts = [p for p in message.parts if p.sniffed_type in ("xml", "text") and looks_like_edxml(p.payload)]
    for part in edxml_parts[:1]:
        package = parse_package(part.payload)
        if package.status != "ok":
            notes.append(f"edXML {part.filename or part.index}: {package.status}: {package.reason}")
            log.warning("message %s: edXML attachment not read: %s", message.message_id, package.reason)
            continue
        for key, value in package.fields.items():
            fields[key] = FieldValue(value, 1.0, "edxml")
        urgency = package.priority

    primary = next((p for p in message.parts if p.sniffed_type in DOCUMENT_TYPES and p not in edxml_parts
                    and p.sniffed_type not in ("text", *IMAGE_TYPES)), None)
    # A scan sent as an image counts only when attached (an inline image is a logo or a signature picture).
    primary = primary or next((p for p in message.parts if p.sniffed_type in IMAGE_TYPES
                               and p.disposition == "attachment"), None)
    reports: list[SignatureReport] = []
    trust = _trust_roots(config)
    for part in message.parts:
        if part.sniffed_type == "pdf":
            reports += [dataclasses.replace(r, part_index=part.index, filename=part.filename)
                        for r in signatures.check_pdf(part.payload, trust)]
    for member in extracted.texts:  # files inside archives and edXML packages carry their bytes
        if member.sniffed_type == "pdf" and member.payload:
            reports += [dataclasses.replace(r, filename=member.member_path)
                        for r in signatures.check_pdf(member.payload, trust)]
    ocr_text = ""
    document = None
    printed: tuple[stamps.Stamp, ...] = ()
    source = _Source(patterns.Parsed())
    from_name = None
    number_chosen = False
    if primary is not None:
        text_entry = next((t for t in extracted.texts if t.part_index == primary.index), None)
        document = (primary.payload, primary.sniffed_type, primary.filename, text_entry)
    else:  # an edXML package or an archive holding the document
        member = next((t for t in extracted.texts if t.payload and t.sniffed_type in DOCUMENT_TYPES), None)
        if member is not None:
            document = (member.payload, member.sniffed_type, member.filename, member)
    if document is not None:
        payload, kind, filename, text_entry = document
        printed = _stamps(payload) if kind == "pdf" else ()
        source = _read_document(payload, kind, text_entry.text if text_entry else "", config, pdfs)
        ocr_text = source.ocr_text
        for key, value in source.parsed.fields.items():
            fields.setdefault(key, value)
        urgency = max(urgency, source.parsed.urgency)
        secrecy = max(secrecy, source.parsed.secrecy)
        from_name = _filename_code(filename)
        read_number = fields.get("code_number")
        _check_number(fields, from_name, notes)
        number = fields.get("code_number")
        # another reading of the handwritten số, chosen because the file name has it: no reading agreed on it first
        number_chosen = (read_number is not None and number is not None and number.source == "ocr"
                         and number.value != read_number.value)
        pages = text_entry.page_count if text_entry else None
        if pages and "page_amount" not in fields:
            fields["page_amount"] = FieldValue(str(pages), 0.9, "text")
    _from_email(fields, message.subject, message.from_name, notes)
    latest = message.date.date() if isinstance(message.date, dt.datetime) else dt.date.today()
    year_repaired = _future_years(fields, latest, notes)
    before = fields.get("issued_date")
    chosen = _day_from_signature(fields, reports, ocr_text, notes, printed)
    second = dict(source.second)
    second.update((key, "repaired") for key in source.parsed.repaired)
    if year_repaired or second.get("issued_date") == "repaired":  # ours, not what OCR read: no reading agreed
        second["issued_date"] = "differ"
    after = fields.get("issued_date")
    if after is not None and after.source == "ocr" and (chosen or before is not None and after.value != before.value):
        # another reading of the box, chosen because it fits the signature: no reading agreed on it first
        second["issued_date"] = second["issued_date:hand"] = "differ"
    if number_chosen:
        second["code_number"] = second["code_number:hand"] = "differ"
    _signer_from_certificate(fields, reports, notes, printed)
    if reports:
        fields["signature_status"] = FieldValue(signatures.overall(reports), 1.0, "signature")
    checks = confidence.Checks(
        filename=from_name, signed_on=_first_signed(reports, printed),
        mailed_on=message.date.date() if isinstance(message.date, dt.datetime) else None,
        ocr_words=source.words, handwritten=source.hand, second_reading=second,
        certified_names=tuple(r.signer for r in reports) + tuple(s.signer for s in printed))
    found = confidence.evidence(fields, checks)
    fields = confidence.calibrated(fields, found)
    meta = DocumentMeta(fields=fields, urgency=urgency, secrecy=secrecy,
                        primary_part_index=primary.index if primary is not None else None,
                        signatures=tuple(reports), ocr_text=ocr_text, notes=tuple(notes))
    return meta, found


_YEAR = re.compile(r"(?<!\d)[12]\d{3}(?!\d)")
PLAN_YEARS = 50  # how far ahead of today a trích yếu's year may lie


def _year_read_again(year: str, latest: int) -> str:
    """A year OCR read after ``latest`` with its 0s taken for 6, 8 or 9 (a typewriter's 0): the latest
    year it can be with those put back as 0, or the year as read."""
    if int(year) <= latest:
        return year
    options = [year]
    for at in (1, 2):
        options += [o[:at] + "0" + o[at + 1:] for o in options if o[at] in "689"]
    fitting = [int(o) for o in options if 1945 <= int(o) <= latest]
    return str(max(fitting)) if fitting else year


def _future_years(fields: dict[str, FieldValue], latest: dt.date, notes: list[str]) -> bool:
    """OCR's date and trích yếu with years after the mail (or today) read again: no document is dated later.

    True when the date's year was put right.
    """
    repaired = False
    date = fields.get("issued_date")
    if date is not None and date.source == "ocr":
        year = _year_read_again(date.value[:4], latest.year)
        if year != date.value[:4]:
            try:
                again = dt.date.fromisoformat(year + date.value[4:])
            except ValueError:
                again = None
            if again is not None and again <= latest:
                notes.append(f"ngày ban hành: OCR read the year {date.value[:4]}, after {latest}: taken as {year}")
                fields["issued_date"] = dataclasses.replace(date, value=again.isoformat())
                repaired = True
    subject = fields.get("subject")
    if subject is not None and subject.source == "ocr":
        # a trích yếu names the years a plan reaches ("đến năm 2030", "tầm nhìn đến năm 2050"), not only past ones
        text = _YEAR.sub(lambda m: _year_read_again(m.group(), latest.year + PLAN_YEARS), subject.value)
        if text != subject.value:
            fields["subject"] = dataclasses.replace(subject, value=text)
    return repaired


def _first_signed(reports: list[SignatureReport], printed: tuple[stamps.Stamp, ...]) -> dt.date | None:
    """The day (Việt Nam time) of the first signature, from the certificates or else from the printed stamps."""
    times = sorted(r.signing_time for r in reports if r.signing_time) or sorted(s.signed_at for s in printed
                                                                              if s.signed_at)
    if not times:
        return None
    return dt.datetime.fromisoformat(times[0]).astimezone(dt.timezone(dt.timedelta(hours=7))).date()


def _stamps(payload: bytes) -> tuple[stamps.Stamp, ...]:
    try:
        return stamps.read_pdf(payload)
    except Exception as err:  # noqa: BLE001 - a stamp is a cross-check; the fields stand without it
        log.warning("the signature stamps could not be read: %s: %s", type(err).__name__, err)
        return ()


def _signer_from_certificate(fields: dict[str, FieldValue], reports: list[SignatureReport], notes: list[str],
                             printed: tuple[stamps.Stamp, ...] = ()) -> None:
    """A person's signing certificate, or the "Ký bởi" of its stamp, spells the signer's name exactly: OCR's
    tones yield to it."""
    people = [r.signer for r in reports if patterns._is_name(r.signer)]
    people += [s.signer for s in printed if patterns._is_name(s.signer)]
    name = fields.get("signer_name")
    if name is not None and name.source in ("ocr", "text"):
        match = next((p for p in people if fold(p) == fold(name.value) and p != name.value), None)
        if match:
            notes.append(f"người ký: OCR read {name.value!r}, the signing certificate says {match!r}")
            fields["signer_name"] = FieldValue(match, 0.95, "signature")
    elif name is None:
        # an agency's certificate ("Sở Tư Pháp") looks like a name too: a person's starts with a family name
        persons = {p for p in people if fold(p.split()[0]) in patterns._SURNAME_BY_FOLD}
        if len(persons) == 1:
            fields["signer_name"] = FieldValue(persons.pop(), 0.6, "signature")


def _trust_roots(config: UnderstandConfig) -> list:
    if not config.trust_anchors:
        return []
    try:
        return signatures.load_trust_roots(config.trust_anchors)
    except (OSError, ValueError) as err:
        log.error("trust anchors cannot be read (%s): every signature will show untrusted-root", err)
        return []


def _read_document(payload: bytes, kind: str, text: str, config: UnderstandConfig, pdfs=None) -> _Source:
    """Fields from the PDF (text layer by position, else OCR) or from the plain text of other types."""
    if kind == "pdf" or kind in IMAGE_TYPES:
        try:
            return read_pdf(payload, config, pdfs) if kind == "pdf" else read_image(payload, config)
        except Exception as err:  # noqa: BLE001 - a reader surprise must leave the e-mail's fields standing
            log.warning("reading the fields of a %s failed: %s: %s", kind, type(err).__name__, err)
            return _Source(patterns.Parsed())
    layout = docx_text(payload) if kind == "docx" else None
    doc = layout if layout is not None and layout.lines else patterns.DocText(tuple(text.splitlines()))
    return _Source(patterns.parse(_unicode(doc), "text", 0.9))


def read_pdf(payload: bytes, config: UnderstandConfig, pdfs=None) -> _Source:
    """Text layer by position when page 1 has one; OCR of the page-1 header and the signer pages when not.

    A born-digital PDF whose số or day was stamped in at signing (a form field, not text) gets its header
    OCRed as well, with the stamps drawn, for those two fields.
    """
    import pypdfium2 as pdfium

    pdf = pdfs.document(payload) if pdfs is not None else pdfium.PdfDocument(payload)
    try:
        count = len(pdf)
        if count == 0:
            return _Source(patterns.Parsed())
        # The fields sit on the first pages (header, Kính gửi) and the last ones (signer, Nơi nhận): reading
        # the body's positions too cost 0.2 s for a 50-page PDF and told nothing more.
        pages = [page_text(pdf, i, pdfs and pdfs.textpage(payload, i)) for i in end_pages(count, FIRST_PAGES,
                                                                                         LAST_PAGES)]
        if pages[0].has_text:
            parsed = patterns.parse(_unicode(doc_text(pages)), "text", 0.95)
            if _blank_at_signing(payload, parsed):
                parsed = _stamped_in(payload, parsed, config)
            return _Source(parsed)
        if not config.ocr or not ocr.available():
            return _Source(patterns.Parsed())
        return _ocr_pdf(pdf, count, config)
    finally:
        if pdfs is None:
            pdf.close()


def read_image(payload: bytes, config: UnderstandConfig) -> _Source:
    """A scan sent as an image: OCR of the whole image, read like a one-page scanned PDF."""
    if not config.ocr or not ocr.available():
        return _Source(patterns.Parsed())
    page = ocr.ocr_image(payload)
    text = doc_text([page.page])
    respelled = _respelled(text)
    parsed = patterns.parse(respelled, "ocr", OCR_CONFIDENCE)
    fields = _retoned_name(_retoned_joins(dict(parsed.fields)))
    hand, second = _handwritten(fields, page, parsed)
    return _Source(dataclasses.replace(parsed, fields=fields), "\n".join(respelled.lines), page.seconds,
                   page.words, hand, second)


def _respelled(text: patterns.DocText) -> patterns.DocText:
    """OCR lines with glued capitals cut apart, look-alikes in words and quarters put back, agency and place names
    respelled, tones of known phrases put back."""
    return _each_line(text, _respelled_line)


def _each_line(text: patterns.DocText, change) -> patterns.DocText:
    """``text`` with ``change`` applied to every line of every stream."""
    return patterns.DocText(*(tuple(change(line) for line in stream) for stream in (
        text.lines, text.header_left, text.header_right, text.tail_left, text.tail_right, text.center)))


def _retoned_joins(fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
    """Fields joined from several OCR lines, with the tones of the phrases that ran across a line put back (and
    the organ's level word, "TỈNH" / "QUẢNG NGÃI", once the name after it is on its line)."""
    for key in ("subject", "organ_name", "organ_parent", "addressees", "signer_position"):
        value = fields.get(key)
        if value is not None:
            text = patterns.head_spelled(patterns.respell(value.value)) if key.startswith("organ") else value.value
            fields[key] = dataclasses.replace(value, value=tones.retone(text))
    return fields


def _retoned_name(fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
    """The OCR signer's given names that are no known name, in the tone of the commonest one that is."""
    name = fields.get("signer_name")
    if name is not None:
        fields["signer_name"] = dataclasses.replace(name, value=tones.retone_name(name.value))
    return fields


def _blank_at_signing(payload: bytes, parsed: patterns.Parsed) -> bool:
    """True for a signed PDF whose text shows "Số: /KH" or "ngày  tháng" with the number or day left blank.

    Only then is the header OCRed with its form fields drawn: any other PDF without a số or a date is simply
    not an ND30 document, and must not cost an OCR.
    """
    if b"/ByteRange" not in payload and b"/AcroForm" not in payload:
        return False
    blank_number = "code_notation" in parsed.fields and "code_number" not in parsed.fields
    blank_day = "issued_date" not in parsed.fields and "place" in parsed.fields  # the date line was there
    return blank_number or blank_day


_STAMPED = ("code_number", "issued_date")


def _stamped_in(payload: bytes, parsed: patterns.Parsed, config: UnderstandConfig) -> patterns.Parsed:
    """The số and day a born-digital PDF got at signing, printed by a form field (the văn thư's signature stamps
    them into the blanks): the text the fields print, read in place on page 1; else OCR of the header with the
    fields drawn."""
    fields = dict(parsed.fields)
    printed = _form_text(payload)
    for key in _STAMPED:
        if key not in fields and key in printed.fields:
            fields[key] = printed.fields[key]
    if all(key in fields for key in _STAMPED) or not config.ocr or not ocr.available():
        return dataclasses.replace(parsed, fields=fields)
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(payload)
    try:
        pdf.init_forms()
        top = ocr.ocr_region(pdf, 0, 0.45, config.ocr_dpi)
    finally:
        pdf.close()
    seen = patterns.parse(doc_text([top.page]), "ocr", OCR_CONFIDENCE)
    for key in _STAMPED:
        if key not in fields and key in seen.fields:
            fields[key] = seen.fields[key]
    _handwritten(fields, top, seen, recognize=False)
    return dataclasses.replace(parsed, fields=fields)  # the stamped-in số and day are print, not handwriting


def _form_text(payload: bytes) -> patterns.Parsed:
    """Page 1's text with what its form fields print put in place: a field's text is the PDF's text, as exact as
    the page's own."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(payload)
    except pdfium.PdfiumError as err:
        log.debug("form fields not read: %s", err)
        return patterns.Parsed()
    try:
        return patterns.parse(_unicode(doc_text([layout.flattened_text(pdf, 0)])), "text", 0.95)
    except pdfium.PdfiumError as err:
        log.debug("form fields not read: %s", err)
        return patterns.Parsed()
    finally:
        pdf.close()


def _handwritten(fields: dict[str, FieldValue], top: ocr.OcrPage, seen: patterns.Parsed,
                 recognize: bool = True) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """Fill or settle the số and day from their boxes (handwriting, stamps); say of each how its readings agree.

    Three readings: the page's own OCR line, Tesseract's digits-only reading of the box, and the
    handwritten-digit recognizer's (``recognize``; not for a born-digital PDF's stamped-in print). Two that
    agree decide; when none agree, a confident recogniser's reading is taken over Tesseract's (Tesseract reads
    handwriting badly), and the disagreement shows in the evidence.
    ND30 writes days under 10 with a leading 0, so a one-digit day in the OCR text lost a digit: it is
    read again too, and the second reading is taken only when it holds the digit printed, as its tens or its
    units (a typewriter's "ngày 6" is a day of one digit, not a lost one).
    Returns the fields read from the boxes and, per field, "agree", "differ" or "none" (Tesseract's box
    reading against the value), and per field + ":hand" the recognizer's ("agree", "differ", "none").
    """
    lines = list(doc_text([top.page]).lines)
    short_day = fields.get("issued_date") is not None and fields["issued_date"].source == "ocr" and _one_digit_day(lines)
    boxes = read_boxes(top)
    if not boxes.number and not boxes.hand_number.text:
        boxes = _number_in_so_rows(top, boxes)
    number, days = boxes.number, boxes.days
    hand_number = boxes.hand_number if recognize else digits.Reading("", 0.0)
    hand_day = boxes.hand_day if recognize else digits.Reading("", 0.0)
    hand: set[str] = set()
    agreement: dict[str, str] = {}

    # the số
    page_number = fields.get("code_number")
    printed = page_number.value if page_number is not None and page_number.source == "ocr" else ""
    chosen = _vote(printed, number, hand_number)
    if chosen and chosen != printed:
        fields["code_number"] = FieldValue(chosen, 0.5, "ocr")
        if not printed or hand_number.text:
            hand.add("code_number")
    others = [text for text, p in hand_number.alternatives(20, per_place=3) if p >= HAND_FIT]
    readings = [r for r in dict.fromkeys([chosen, number if len(number) >= 2 else "", hand_number.text, *others]) if r]
    if len(readings) > 1:
        fields[_NUMBER_READINGS] = FieldValue(",".join(readings), 0.0, "ocr")  # settled by _check_number
    value = fields.get("code_number")
    agreement["code_number"] = _agreement(value, number)
    agreement["code_number:hand"] = _hand_agreement(value, hand_number)

    # the day
    current = fields.get("issued_date")
    printed_day = current.value[8:10] if current is not None and current.source == "ocr" else ""
    hand_days = [text.zfill(2) for text, p in hand_day.alternatives(4) if p >= 0.05 and 1 <= int(text) <= 31]
    # … and, last, every less likely day, likeliest first: the signature check takes the first that fits
    hand_days += [text.zfill(2) for text, p in hand_day.alternatives(100, per_place=10)
                  if p >= HAND_FIT and 1 <= int(text) <= 31]
    digit = str(int(current.value[8:10])) if short_day else ""
    if short_day and hand_day.text == digit and hand_day.confidence >= HAND_TRUST:
        # the page and the recognizer both read the one digit alone: a day of one digit (a typewriter's "ngày 2"),
        # whatever Tesseract's box adds to it ("20")
        days, hand_days = (), []
    elif short_day:  # only readings that hold the digit printed, as their tens or their units
        days = tuple(d for d in days if digit in d)
        hand_days = [d for d in hand_days if digit in d]
        if len(hand_day.text) < 2 or (digit not in hand_day.text and hand_day.confidence < HAND_TRUST):
            hand_day = digits.Reading("", 0.0)  # a confident reading of two digits stands: the one read was junk
        printed_day = ""
    day = _day_vote(printed_day, days, hand_day)
    readings = [d for d in dict.fromkeys([day, *days, *hand_days]) if d]
    if len(readings) > 1:
        fields[_DAY_READINGS] = FieldValue(",".join(readings), 0.0, "ocr")  # settled by _day_from_signature
    likely = _likely_days(day, printed_day, days, hand_day)
    if likely:
        fields[_DAY_LIKELY] = FieldValue(",".join(likely), 0.0, "ocr")  # settled by _day_from_signature
    month = patterns.read_month(lines) or _handwritten_month(top, lines)
    if day and not month and "issued_date" not in fields:
        fields[_DAY_ONLY] = FieldValue(day, 0.5, "ocr")  # the month comes from the signature, if it can
        hand.add("issued_date")
    if day and month and ("issued_date" not in fields or short_day or day != printed_day):
        try:
            when = dt.date(month[0], month[1], int(day)).isoformat()
        except ValueError:
            when = ""
        if when and (current is None or when != current.value):
            fields["issued_date"] = FieldValue(when, 0.55, "ocr")
            hand.add("issued_date")
    value = fields.get("issued_date")
    agreement["issued_date"] = _agreement(value, days[0] if days else "", date=True)
    agreement["issued_date:hand"] = _hand_agreement(value, hand_day, date=True)
    if "issued_date" in hand and agreement["issued_date"] == "none" and len(days) > 1:
        agreement["issued_date"] = "differ"  # Tesseract's readings of the box differ among themselves
    return frozenset(hand), tuple(agreement.items())


def _day_vote(printed: str, box: tuple[str, ...], hand: digits.Reading) -> str:
    """The day from the page's reading, Tesseract's box readings and the recognizer's (see _vote). A recognizer's
    one digit that Tesseract's two-digit reading of the box holds ("2" against "26") has no vote: ND30 writes a
    day with two digits, and a small hand's other digit was lost (run into the print, cut at the box's edge)."""
    if len(hand.text) == 1 and box and hand.text in box[0]:
        hand = digits.Reading("", 0.0)
    return _vote(printed, box[0] if box else "", hand, width=2)


def _likely_days(day: str, printed: str, box: tuple[str, ...], hand: digits.Reading) -> list[str]:
    """The recognizer's likely readings of the day (HAND_SECOND or more), when it alone read the ``day`` chosen:
    neither the page's reading nor Tesseract's box agreed with it. When the page's reading or Tesseract's alone
    gave the ``day`` and the recognizer read another, that day and the recognizer's. Empty otherwise."""
    if not day or not hand.text:
        return []
    recognized = hand.text.zfill(2)
    page_agrees = bool(printed) and printed.lstrip("0") == day.lstrip("0")
    if day != recognized:
        # … and the recognizer found the day nearly as likely: two readings agreed on it (see _vote)
        seconded = any(text.zfill(2) == day for text, p in hand.alternatives(4, 3)[1:] if p >= HAND_SECOND)
        alone = (page_agrees + (day in box)) == 1 and recognized not in box and not seconded
        return [day, recognized] if alone and hand.confidence >= HAND_SECOND else []
    if day in box or page_agrees:
        return []
    likely = [text for text, share in _day_shares(hand) if share >= HAND_SECOND]
    if len(hand.text) == 1:  # ND30 writes a day with two digits: one was lost, before or after the one read
        likely += [text for text in _days_holding(hand.text) if text not in likely]
    return likely if len(likely) > 1 else []


def _days_holding(digit: str) -> list[str]:
    """The days (01–31) whose two digits hold ``digit``."""
    return [f"{day:02d}" for day in range(1, 32) if digit in f"{day:02d}"]


def _day_shares(hand: digits.Reading) -> list[tuple[str, float]]:
    """The recognizer's readings that are days (01–31), each with its share of them all, likeliest first: a
    first digit it found likelier a 6 or an 8 than any a day starts with says nothing against the days."""
    days = [(text.zfill(2), p) for text, p in hand.alternatives(20, 3) if 1 <= int(text) <= 31]
    total = sum(p for _, p in days)
    return [(text, p / total) for text, p in days] if total > 0 else []


def _handwritten_month(top: ocr.OcrPage, lines: list[str]) -> tuple[int, int] | None:
    """(year, month) of a date line whose month was left blank in the print and written by hand: the printed
    year, and the month box's readings voted as the day's are (Tesseract's and the recognizer's)."""
    year = patterns.read_year(lines)
    if year is None:
        return None
    months, hand = read_month_box(top)
    chosen = _vote("", months[0] if months else "", hand, width=2)
    return (year, int(chosen)) if chosen.isdigit() and 1 <= int(chosen) <= 12 else None


def _number_in_so_rows(top: ocr.OcrPage, boxes: Boxes) -> Boxes:
    """``boxes`` with the số box placed from the words of a Số row read again alone (see _so_boxes), when the
    page's words gave it no place: its layout ran the row into junk without the slash ("Số 0d TRÌSII TP")."""
    for row in [*_so_boxes(top.page), *_lost_rows(top)]:
        again = read_boxes(dataclasses.replace(top, words=ocr.row_words(top, row)))
        if again.number or again.hand_number.text:
            return dataclasses.replace(boxes, number=again.number, hand_number=again.hand_number)
    return boxes


HAND_TRUST = 0.5  # the least confidence a recognizer's reading needs to stand alone against Tesseract's
HAND_ALONE = 0.2  # … and to stand where nothing else was read
HAND_OVER_DIGIT = 0.4  # … and to stand against the page's one digit of a số (a typed "5" of the 1990s is one)
HAND_FIT = 0.01  # the least probability of a recognizer's other reading that an outside check may choose
HAND_SECOND = 0.1  # … and of one that Tesseract's reading agreeing with may choose


def _vote(printed: str, box: str, hand: digits.Reading, width: int = 0) -> str:
    """The value of a số or day from the page's reading, Tesseract's box reading and the recognizer's: two
    that agree decide (Tesseract's reading and a likely other reading of the recognizer's too); else a
    confident recognizer; else the page's reading, else Tesseract's box."""
    recognized = hand.text.zfill(width) if hand.text else ""

    def same(a: str, b: str) -> bool:
        return bool(a) and bool(b) and a.lstrip("0") == b.lstrip("0")

    if same(recognized, printed):
        return printed if len(printed) >= len(recognized) else recognized
    if _first_digit_of(printed, [r for r in (recognized, box) if r]):
        return printed
    if same(recognized, box):
        return box if len(box) >= len(recognized) else recognized
    if same(printed, box):
        return printed
    if _digit_lost(recognized, printed, box):
        return printed  # the recognizer's pieces ran two digits into one (print at a low resolution)
    likely = [text.zfill(width) for text, p in hand.alternatives(4, 3)[1:] if p >= HAND_SECOND
              and (width or _written_number(text))]
    agreed = next((r for r in (printed, box) if len(r) >= 2 and any(same(r, other) for other in likely)), "")
    if agreed:
        return agreed  # Tesseract read what the recognizer found nearly as likely ("765" against "755" and "765")
    if recognized and (hand.confidence >= HAND_TRUST or (not printed and len(box) < 2
                                                         and hand.confidence >= HAND_ALONE)):
        return recognized  # confident, or the only reading there is (its doubt shows in the evidence)
    fuller = [text for text, p in hand.alternatives(4, 3) if p >= HAND_SECOND
              and len(box) >= 2 and _one_digit_more(box, text) and _written_number(text)]
    if not width and len(fuller) == 1:
        return fuller[0]  # Tesseract's box lost a digit of a likely reading ("14" of 164, read 169 or 164)
    # ND30 numbers from 01: a page's reading of one digit, as the box's, lost one; more digits fairly sure stand
    if (not width and len(printed) == 1 and len(box) < 2 and len(recognized) >= 2
            and hand.confidence >= HAND_OVER_DIGIT):
        return recognized
    return printed or (box if len(box) >= 2 else "")


def _written_number(text: str) -> bool:
    """True when ``text`` is a số as a hand writes it: ND30 puts a 0 before a number under 10 only ("05", not
    "047", whose 0 is a place the recognizer read that no shorter reading without it agrees with)."""
    return not (text.startswith("0") and len(text) > 2)


def _first_digit_of(printed: str, readings: list[str]) -> bool:
    """True when the box's ``readings`` are each one digit, the first of a longer number the page printed: ND30
    numbers from 01, so the box over a printed "9333/UBND-VX" read as one word took one digit of it."""
    return len(printed) >= 2 and bool(readings) and all(len(r) == 1 and printed.startswith(r) for r in readings)


def _digit_lost(recognized: str, printed: str, box: str) -> bool:
    """True when Tesseract's two readings have as many digits and differ in one at most, and the recognizer read
    one digit fewer, each of its digits in both in order ("32" against "323" and "322"): it lost one, they
    did not both add one."""
    if not recognized or len(printed) != len(box):
        return False
    return (sum(a != b for a, b in zip(printed, box)) <= 1 and _one_digit_more(recognized, printed)
            and _one_digit_more(recognized, box))


def _one_digit_more(short: str, long: str) -> bool:
    """True when ``long`` is ``short`` with one digit more somewhere ("164" of "14")."""
    return len(long) == len(short) + 1 and patterns.within(short, long)


def _hand_agreement(value: FieldValue | None, hand: digits.Reading, date: bool = False) -> str:
    """As _agreement for the recognizer's reading, "unsure" when it agrees below HAND_TRUST."""
    agreement = _agreement(value, hand.text, date)
    return "unsure" if agreement == "agree" and hand.confidence < HAND_TRUST else agreement


def _agreement(first: FieldValue | None, again: str, date: bool = False) -> str:
    """"agree" when the digits-only reading of the box says what the page's reading said, "differ" when not,
    "none" when either read nothing."""
    if first is None or first.source != "ocr" or not again:
        return "none"
    value = first.value[8:10] if date else first.value
    return "agree" if value.lstrip("0") == again.lstrip("0") else "differ"


def _one_digit_day(lines: list[str]) -> bool:
    for line in lines:
        match = patterns._DATE.search(fold(line))
        if match:
            return bool(match.group("d")) and len(match.group("d")) == 1
    return False


def _unicode(text: patterns.DocText) -> patterns.DocText:
    """The streams converted from TCVN3 or VNI when the page text is in one of them."""
    encoding = legacy.detect("\n".join(text.lines))
    if not encoding:
        return text
    return _each_line(text, lambda line: legacy.to_unicode(line, encoding))


def _ocr_pdf(pdf, count: int, config: UnderstandConfig) -> _Source:
    """OCR the regions that hold fields: the top of page 1, then pages from the end until a signer shows."""
    seconds = 0.0
    if count == 1:
        # the header's top (as of a longer document's page 1) and the signer's block; the body between is no field's
        first = ocr.ocr_region(pdf, 0, 1.0, _header_dpi(pdf, config), skip_body=HEADER_SHARE)
        seconds += first.seconds
        ocr_pages = [first.page]
        signer_pages = [(0, first.page)]
    else:
        top = ocr.ocr_region(pdf, 0, HEADER_SHARE, _header_dpi(pdf, config))
        seconds += top.seconds
        signer_pages, spent = _signer_pages(pdf, count, config)
        seconds += spent
        ocr_pages = [top.page] + [page for _, page in signer_pages]
    taller: list[str] = []  # agency lines read in a taller box than OCR's own: no two readings agreed on them
    try:
        ocr_pages[0] = _organ_reread(pdf, ocr_pages[0], config.ocr_dpi, taller=taller)
    except Exception as err:  # noqa: BLE001 - a second look at the agency's lines must not cost the document
        log.warning("reading the agency's lines again failed: %s: %s", type(err).__name__, err)
    text = doc_text(ocr_pages)
    respelled = _respelled(text)
    parsed = patterns.parse(respelled, "ocr", OCR_CONFIDENCE)
    if "code_notation" not in parsed.fields:
        try:
            parsed = _so_line_again(pdf, ocr_pages[0], respelled, parsed, config.ocr_dpi,
                                    lost=_lost_rows(top if count > 1 else first))
        except Exception as err:  # noqa: BLE001 - a second look at the số line must not cost the document
            log.warning("reading the số line again failed: %s: %s", type(err).__name__, err)
    elif "-" not in parsed.fields["code_notation"].value:
        try:
            parsed = (_so_line_again(pdf, ocr_pages[0], respelled, parsed, config.ocr_dpi, grouped=True)
                      or _ky_hieu_again(pdf, ocr_pages[0], parsed, config.ocr_dpi))
        except Exception as err:  # noqa: BLE001 - a second look at the ký hiệu must not cost the document
            log.warning("reading the ký hiệu again failed: %s: %s", type(err).__name__, err)
    header_page = top if count > 1 else first
    if header_page.red:  # a red stamp OCR could not see in the grey
        urgency, secrecy = patterns.read_stamp_marks(list(header_page.red))
        parsed = dataclasses.replace(parsed, urgency=max(parsed.urgency, urgency), secrecy=max(parsed.secrecy, secrecy))
    fields = dict(parsed.fields)
    organ_repaired = _repair_organ(fields) or _organ_holds(fields, taller)
    if "signer_name" not in fields and signer_pages:
        index, page = _block_page(signer_pages)
        again = _sparse_signer(pdf, fields, index, page, config, read_sparse=count == 1)
        signer_pages = [(i, again if i == index else p) for i, p in signer_pages]
        if "signer_name" not in fields:
            _name_below_title(pdf, fields, index, again, config)
    repaired = _name_under_seal(pdf, fields, signer_pages, config)
    _reread_name(pdf, fields, signer_pages, {0: _header_dpi(pdf, config)} if count == 1 else {}, config)
    fields = _retoned_name(_retoned_joins(fields))
    repaired = _respelled_name_words(fields) or repaired
    header = top if count > 1 else first
    hand, second = _handwritten(fields, header, parsed)
    if repaired:  # the name is the seal's second reading, not the page's: no two readings agreed on it
        second += (("signer_name", "differ"),)
    if organ_repaired:  # a word put in by its spelling or read in a box of our own, not by what OCR read
        second += (("organ_name", "differ"),)
    parsed = dataclasses.replace(parsed, fields=fields)
    words = header.words + tuple(w for _, page in signer_pages for w in page.segments)
    return _Source(parsed, "\n".join(respelled.lines), seconds, words, hand, second)


ORGAN_ZONE = 0.18  # the top of page 1 that holds the agency's lines (ô 2), above the số
SO_ZONE = (0.04, 0.3)  # the top and bottom of the page's band (shares of its height) where the Số line stands
ORGAN_REREAD = 50  # OCR's word confidence under which a line of ô 2 is read again alone
_LETTERS = re.compile(r"[^\W\d_]+")
_SO = re.compile(r"\s*s\S?\s*[:;.]")  # "Số:", as OCR reads it ("So:", "Sô;", "Số." with the colon's top dot lost)
_GROUPS = re.compile(r"[A-ZĐ]{1,8}[-–][A-ZĐ]{2}")  # a ký hiệu's groups ("QĐ-BXD")
_SO_UNCOLONED = re.compile(r"\s*so\s+[^\s]*[\d/]")  # "SỐ 22/HTC": the colon lost, a number or slash next
_SO_ALONE = re.compile(r"\s*s\S\s*")  # "Số:" read as a line of its own with its colon lost and its ố misread ("SG")


def _organ_reread(pdf, page: PageText, dpi: int, most: int = 4, taller: list[str] | None = None) -> PageText:
    """Page 1 with the agency's lines OCR read badly read again, each alone as one line of the left column.

    The issuing organ's line is bold (LibreOffice's Times bold has narrow gaps) with a rule under it: in the
    page's reading it comes out glued, doubled or run into the rule ("SỞXÂYDỤNG O.O.", "số vn —grre"); alone
    it mostly reads right. A reading is taken when more of its words are Vietnamese syllables; about 0.03 s a
    line. The readings taken from the taller box go into ``taller``.
    """
    middle = page.width / 2
    wanted = _badly_read_agency_lines(page, most)
    if not wanted:
        return page
    segments = list(page.segments)
    # the right column, with the Tiêu ngữ an agency's line ran into cut apart from it
    motto = [s for s in layout.apart(page) if (s.x0 + s.x1) / 2 > middle and s.top < page.height * ORGAN_ZONE]
    for segment in wanted:
        if segment not in segments:
            continue  # read already with the row it shares
        right = _left_of_motto(segment, motto, middle)
        row = [s for s in wanted if s in segments and s.x0 < right
               and segment.top <= (s.top + s.bottom) / 2 <= segment.bottom]
        if segment not in row:
            continue
        again, tall = _agency_row_again(pdf, page, row, segment, right, dpi)
        if again and taller is not None and tall:
            taller.append(again)
        if again:
            at = segments.index(row[0])
            segments = [s for s in segments if s not in row]
            segments.insert(at, dataclasses.replace(row[0], text=again, x0=min(s.x0 for s in row),
                                                    x1=min(max(s.x1 for s in row), right)))
    return dataclasses.replace(page, segments=tuple(segments))


def _badly_read_agency_lines(page: PageText, most: int) -> list[Segment]:
    """The left column's lines above the số (ô 2) that OCR read with little confidence, at most ``most``."""
    middle = page.width / 2
    # ô 2 ends at the số's line (the date beside it is no agency's)
    below = [s.top for s in page.segments if s.x0 < middle and ("/" in s.text or _so_line(page, s))]
    bottom = min([page.height * ORGAN_ZONE, *below])
    return [s for s in page.segments if s.bottom <= bottom + 2 and s.x0 < middle * 0.8
            and s.confidence < ORGAN_REREAD and "/" not in s.text
            and sum(c.isalpha() for c in s.text) >= 3][:most]


def _left_of_motto(segment: Segment, motto: list[Segment], middle: float) -> float:
    """Where the agency line's row must stop: a little left of the right column's first run beside it."""
    height = segment.bottom - segment.top
    after = [s for s in motto if s.x0 > segment.x0 + 2 * height]  # a wide run centred right may start left
    beside = [s.x0 for s in after if s.top < segment.bottom and segment.top < s.bottom]
    return min(beside or [s.x0 for s in after] or [middle]) - 4


def _agency_row_again(pdf, page: PageText, row: list[Segment], segment: Segment, right: float,
                      dpi: int) -> tuple[str, bool]:
    """The row read again alone in a few boxes, its best reading ("" when none beats the page's) and whether
    that reading came from the taller box."""
    middle = page.width / 2
    height = segment.bottom - segment.top
    # the page's reading without the Tiêu ngữ it ran into: a reading again must not have fewer syllables
    # (those are words the box or the litter's trimming lost: "BỘ XÂY DỰNG ˆ" → "BỌ XAY"), and the taller
    # box's not fewer words either (a line's last letters it cut: "… BỆNH TẬT" → "… BỆNH TẬ")
    first = patterns._strip_motto(patterns.without_marks(" ".join(s.text for s in row)))
    again, share, count, words = "", _syllable_share(first), _syllable_count(first), len(first.split())
    tall_reading = ""
    # Tesseract reads some lines better in a box of another width, and a line whose segment lost its tone
    # marks (or ran into the rule under it) in a taller one that stops at the lines above and below
    column = [s for s in page.segments if s.x0 < middle and s not in row]
    above = max([s.bottom for s in column if s.bottom <= segment.top + 0.2 * height], default=0.0)
    below = min([s.top for s in column if s.top >= segment.bottom - 0.2 * height], default=page.height)
    tall = (max(segment.top - 0.4 * height, above + 1), min(segment.bottom + 0.3 * height, below - 1))
    boxes = [(segment.top - 0.15 * height, segment.bottom + 0.05 * height, edge)
             for edge in dict.fromkeys((right, min(right, middle)))] + [(*tall, min(right, middle))]
    for top, bottom, edge in boxes:
        box = (0.02, top / page.height, edge / page.width, bottom / page.height)
        try:
            reading = _without_litter(ocr.read_line(pdf, 0, box, dpi, no_rule=True, turn=page.turn))
        except Exception as err:  # noqa: BLE001 - the first reading stands
            log.debug("reading an agency line again failed: %s", err)
            break
        if (_syllable_share(reading) > share and _syllable_count(reading) >= count
                and (top != tall[0] or len(reading.split()) >= words)):
            again, share, count, words = (reading, _syllable_share(reading), _syllable_count(reading),
                                          len(reading.split()))
            tall_reading = reading if top == tall[0] else tall_reading
        if share == 1.0:
            break
    return again, bool(again) and again == tall_reading


def _organ_holds(fields: dict[str, FieldValue], lines: list[str]) -> bool:
    """True when the issuing organ holds one of ``lines`` (as folded words)."""
    organ = fields.get("organ_name")
    folded = f" {' '.join(fold(organ.value).split())} " if organ is not None else ""
    return any(f" {' '.join(fold(line).split())} " in folded for line in lines if line.strip())


def _so_line(page: PageText, segment) -> bool:
    """True when ``segment`` opens the số line: "Số:" with a number or a ký hiệu in its row (its slash, or in the
    left half its groups: "QĐ-BXD" with the slash lost). An agency's line "SỞ TƯ PHÁP" garbled to "S; PƯPHAP"
    opens like "Số:" but nothing in its row has a digit or a slash."""
    folded = fold(segment.text)
    if not (_SO.match(folded) or _SO_UNCOLONED.match(folded) or _SO_ALONE.fullmatch(folded)):
        return False
    row = [s for s in page.segments if s.top < segment.bottom and segment.top < s.bottom]
    return (any(c.isdigit() or c == "/" for s in row for c in s.text)
            or any(_GROUPS.search(s.text) for s in row if s.x0 < page.width / 2))


_ORGAN_FIELDS = {" ".join(fold(p).split()): p.upper() for p in vocab.LEXICON}


def _repair_organ(fields: dict[str, FieldValue]) -> bool:
    """The issuing organ OCR read with a word that is no syllable ("SỞ V TẾ") put right when the words after
    its head word (and after a level word: TỈNH, HUYỆN …) are one letter off one known field or place only
    ("SỞ Y TẾ", "UBND TỈNH QUẢNG NGÃl"). True when the organ changed."""
    organ = fields.get("organ_name")
    letters = [c for c in organ.value if c.isalpha()] if organ is not None else []
    # a name in capitals, where OCR may have read a capital I as a small l
    if organ is None or organ.source != "ocr" or sum(c.isupper() for c in letters) < 0.8 * len(letters):
        return False
    words = organ.value.split()
    if _syllable_count(organ.value) == len(words):
        return False
    folded = fold(organ.value)
    head = max((h for h in vocab.ORGAN_HEADS if folded.startswith(h + " ")), key=len, default="")
    if not head:
        return False
    kept = len(head.split())
    rest = " ".join(fold(" ".join(words[kept:])).split())
    level = next((v.strip() for v in vocab.NAME_CONTINUATIONS if rest.startswith(v)), "")
    if level:
        kept, rest = kept + len(level.split()), rest[len(level) + 1:]
    near = patterns.one_letter_off(rest, _ORGAN_FIELDS) if rest not in _ORGAN_FIELDS else ""
    if not near:
        return False
    fields["organ_name"] = dataclasses.replace(organ, value=" ".join(words[:kept] + [near]))
    return True


def _so_line_again(pdf, page: PageText, text: patterns.DocText, parsed: patterns.Parsed,
                   dpi: int, grouped: bool = False, lost: list[tuple[float, ...]] = ()) -> patterns.Parsed | None:
    """``parsed`` with the số và ký hiệu of the "Số:" line read again alone, when the page's reading gave none
    (``grouped``: gave a ký hiệu of one group, which no ký hiệu is; then only a reading with its groups is taken,
    and None says there was none).

    The số (ô 3) shares its row with the date (ô 4), or stands a little above it: the left part of the date's
    row is read as one line, then the row of a "Số:" the page shows elsewhere in its left half, where the
    page's reading had run it into specks or the handwriting or misread its letters ("SỐ: 02 NGHT" for "Số:
    02/NQ-BCT"). Last, the ``lost`` rows: the left half's rows of ink the page's reading has no word on. About
    0.05 s a line, on few pages. A ký hiệu read so is marked repaired: no first reading printed it.
    """
    for box in [*_so_boxes(page), *lost]:
        line, code = _first_code(_line_readings(pdf, box, dpi, page.turn), grouped)
        if code is None:
            continue
        again = patterns.parse(dataclasses.replace(text, header_left=(line, "", *text.header_left)), "ocr",
                               OCR_CONFIDENCE)
        return _with_code(parsed, {key: again.fields[key] for key in ("code_number", "code_notation")
                                   if key in again.fields})
    return None if grouped else parsed


def _line_readings(pdf, box: tuple[float, float, float, float], dpi: int,
                   turn: layout.Turn = layout.NO_TURN):
    """The line in ``box`` read as one line, then, lazily, as Tesseract may read it otherwise: the box a little
    tighter over and under (the rule above the row, the next row's tops), and closer (KY_HIEU_DPI). Tesseract
    reads a line of print one way in a box and as junk in one a few pixels taller."""
    yield _respelled_line(ocr.read_line(pdf, 0, box, dpi, turn=turn))
    left, top, right, bottom = box
    trim = 0.1 * (bottom - top)
    yield _respelled_line(ocr.read_line(pdf, 0, (left, top + trim, right, bottom - trim), dpi, turn=turn))
    yield _respelled_line(ocr.read_line(pdf, 0, box, max(dpi, KY_HIEU_DPI), turn=turn))


def _first_code(lines, grouped: bool = False) -> tuple[str, tuple[str, str] | None]:
    """The first of ``lines`` that reads as a số và ký hiệu (``grouped``: with its groups), and what it reads."""
    for line in lines:
        code = patterns.read_code([line])
        if code is not None and not (grouped and "-" not in code[1]):
            return line, code
    return "", None


def _so_boxes(page: PageText) -> list[tuple[float, float, float, float]]:
    """Where the Số line may be read again (shares of the page: left, top, right, bottom): the left part of the
    date's row, and the row of a "Số:" of the left half off that row, up to what the row holds right of it."""
    boxes = []
    date = next((s for s in page.segments if s.x0 > page.width * 0.4 and _DATE_WORDS.search(fold(s.text))), None)
    if date is not None:
        top, bottom = _row_of(date, page)
        boxes.append((0.02, top, (date.x0 - 0.5 * (date.bottom - date.top)) / page.width, bottom))
    so = next((s for s in page.segments if s.x0 < page.width / 2 and _so_line(page, s)
               and (date is None or not date.top < (s.top + s.bottom) / 2 < date.bottom)), None)
    if so is not None:
        height = so.bottom - so.top
        top, bottom = _row_of(so, page)
        beside = [s.x0 for s in page.segments if s.x0 > max(so.x1, page.width * 0.4)
                  and s.top < so.bottom and so.top < s.bottom]
        # nothing read beside it: the ký hiệu OCR lost may reach to the middle of the page, where ô 3's column ends
        alone = min(max(so.x1 + 3 * height, page.width / 2), page.width * 0.6)
        right = min(beside, default=alone) - 0.5 * height
        boxes.append((0.02, top, right / page.width, bottom))
    return boxes


def _lost_rows(top: ocr.OcrPage) -> list[tuple[float, ...]]:
    """The rows of the header's left half (ô 2 and ô 3) that the page's reading lost whole, as boxes to read again:
    Tesseract's layout drops a short line between blanks, as a Số line under a long agency name or with pale
    handwriting in it."""
    return ocr.unread_rows(top, (0.02, SO_ZONE[0], 0.5, SO_ZONE[1]))


def _row_of(segment: Segment, page: PageText) -> tuple[float, float]:
    """The top and bottom of ``segment``'s line as shares of the page, with a third of its height over and under:
    the box a line is read again in."""
    height = segment.bottom - segment.top
    return (segment.top - 0.3 * height) / page.height, (segment.bottom + 0.3 * height) / page.height


def _with_code(parsed: patterns.Parsed, found: dict[str, FieldValue]) -> patterns.Parsed:
    """``parsed`` with the số or ký hiệu a second look ``found``, marked repaired: no first reading printed it."""
    return dataclasses.replace(parsed, fields={**parsed.fields, **found}, repaired=parsed.repaired | {"code_notation"})


_DATE_WORDS = re.compile(r"\bthang\b.*\bnam\b")  # folded "tháng … năm": the date's line
KY_HIEU_DPI = 400  # a ký hiệu whose letters OCR ran together at the page's resolution, read closer


def _ky_hieu_again(pdf, page: PageText, parsed: patterns.Parsed, dpi: int) -> patterns.Parsed:
    """``parsed`` with a ký hiệu of one group read again alone, closer: a ký hiệu has two groups at least (type or
    agency, then agency or unit; NĐ 30, Phụ lục I), so one group is OCR's letters run together ("pGDpppQLpT" for
    "BGDĐT-QLĐT"). The run that holds it is read as one line at KY_HIEU_DPI; what it gives is taken when it has
    the groups, and is marked repaired. About 0.1 s, on few pages."""
    notation = parsed.fields["code_notation"]
    run = next((s for s in page.segments if "/" in s.text and notation.value in _capitals_of(s.text)), None)
    if run is None:
        return parsed
    height = run.bottom - run.top
    top, bottom = _row_of(run, page)
    box = ((run.x0 - height) / page.width, top, (run.x1 + height) / page.width, bottom)
    line = _respelled_line(ocr.read_line(pdf, 0, box, max(dpi, KY_HIEU_DPI), turn=page.turn))
    slash = line.find("/")
    code = patterns.read_code(["Số: " + line[slash:]]) if slash >= 0 else None
    if code is None or "-" not in code[1]:
        return parsed
    return _with_code(parsed, {"code_notation": dataclasses.replace(notation, value=code[1])})


def _capitals_of(text: str) -> str:
    """The letters of ``text`` in capitals, without what is no letter of a ký hiệu: "/pGDpppQLpT —" → "PGDPPPQLPT"."""
    return re.sub(r"[^A-ZĐ0-9&]", "", text.upper())


def _without_litter(line: str) -> str:
    """A line read again without the words before its first and after its last that are neither syllables nor
    glued syllables (the rule under it read as letters: "CÔNG TY ĐIỆN LỰC TRÀ ÿtØirav"; a scanner's shadow
    at the left edge: "—m LÀO CAI", "F- CHI CỤC KIỂM LÂM")."""
    words = patterns.without_marks(line).split()
    while words and not _worded(words[-1]):
        words.pop()
    while words and not _worded(words[0]):
        words.pop(0)
    return " ".join(words)


def _worded(word: str) -> bool:
    """True for a word of letters that is a syllable or syllables glued."""
    return bool(_LETTERS.fullmatch(word)) and (syllables.is_syllable(fold(word)) or len(syllables.split(word)) > 1)


def _syllable_share(text: str) -> float:
    """The share of the words of ``text`` that are Vietnamese syllables (litter and glued words are not)."""
    words = text.split()
    return _syllable_count(text) / len(words) if words else 0.0


def _syllable_count(text: str) -> int:
    """How many words of ``text`` are Vietnamese syllables."""
    return sum(1 for w in text.split() if syllables.is_word(w))


def _with_sparse_right(pdf, index: int, page: PageText, dpi: int) -> PageText:
    """The page read again as sparse text when that shows a signer the first reading lost (Tesseract's
    layout drops a lone name line in a wide blank); the page as it was otherwise."""
    try:
        half = ocr.sparse_region(pdf, index, (0.0, 0.0, 1.0, 1.0), dpi, skip_body=True)
    except Exception as err:  # noqa: BLE001 - the first reading stands
        log.debug("sparse reading of page %d failed: %s", index + 1, err)
        return page
    text = doc_text([half])
    return half if patterns.read_signer(text.tail_right) or patterns.read_signer(text.lines) else page


def _sparse_signer(pdf, fields: dict[str, FieldValue], index: int, page: PageText, config: UnderstandConfig,
                   read_sparse: bool) -> PageText:
    """The signer block read again when no name was found: the page as sparse text with the paler seal
    whitened (unless it was read so already), then as sparse black ink only (a seal scanned in grey is as
    dark as print to the first). What the new reading finds where the first found nothing joins the first
    (the title read under the seal, the name read in ink only). Returns the page as joined when a signer
    showed, else as it was."""
    for ink_only in (False, True) if read_sparse else (True,):
        try:
            again = ocr.sparse_region(pdf, index, (0.0, 0.0, 1.0, 1.0), signer_dpi(config), ink_only=ink_only,
                                      skip_body=True)
        except Exception as err:  # noqa: BLE001 - the first reading stands
            log.debug("sparse reading of the signer failed: %s", err)
            return page
        joined = _joined(page, again)
        text = doc_text([joined])
        signer = (patterns.read_signer([_respelled_line(line) for line in text.tail_right])
                  or patterns.read_signer([_respelled_line(line) for line in text.lines]))
        if signer:
            fields["signer_position"] = FieldValue(signer[0], round(OCR_CONFIDENCE * 0.9, 2), "ocr")
            fields["signer_name"] = FieldValue(signer[1], round(OCR_CONFIDENCE * 0.9, 2), "ocr")
            return joined
        page = joined
    return page


def _name_below_title(pdf, fields: dict[str, FieldValue], index: int, page: PageText,
                      config: UnderstandConfig) -> None:
    """The name of a signer's block whose title shows but whose name OCR read as litter (a seal's ring over
    it): the lines below the title in its column, lowest first, read again alone in black ink. Taken only as
    a name of known words: a known family name, then known middle and given names."""
    right = PageText(page.width, page.height, tuple(s for s in page.segments if s.x0 >= 0.4 * page.width))
    rows = _rows(right)
    titles = [r for r in rows if patterns._is_position(patterns._title_part(
        patterns._NOT_LETTER_ENDS.sub("", r.text).strip(" .,:;")))]
    if not titles:
        return
    title = titles[-1]
    height = title.bottom - title.top
    below = [r for r in rows if title.bottom < r.top <= title.bottom + 9 * height
             and sum(c.isalpha() for c in r.text) >= 3]
    dpi = int(min(config.ocr_dpi, max(ocr.native_dpi(pdf, index) or 0, signer_dpi(config))))
    for row in reversed(below[-2:]):
        box = (max(row.x0 - 3 * height, 0.4 * page.width) / page.width, (row.top - 0.6 * height) / page.height,
               (row.x1 + 2 * height) / page.width, (row.bottom + 0.6 * height) / page.height)
        try:
            line = ocr.read_line(pdf, index, box, dpi, ink_only=True)
        except Exception as err:  # noqa: BLE001 - no name stands
            log.debug("reading the line under the signer's title failed: %s", err)
            return
        name = _known_name(line)
        if name:
            above = [_respelled_line(r.text) for r in rows if r.top <= title.bottom]
            signer = patterns.read_signer(above + [name])
            if signer:
                fields.setdefault("signer_position", FieldValue(signer[0], round(OCR_CONFIDENCE * 0.9, 2), "ocr"))
            fields["signer_name"] = FieldValue(name, round(OCR_CONFIDENCE * 0.9, 2), "ocr")
            return


_GIVEN_FOLDED = frozenset(fold(name) for name in vocab.GIVEN_NAMES)
_GIVEN_EXACT = frozenset(exact_key(name) for name in vocab.GIVEN_NAMES)


def _known_name(line: str) -> str:
    """The name at the end of ``line`` made of known words only: a family name (or one letter off a single
    one), then one to three known middle and given names; "" when there is none."""
    # OCR writes a capital under a seal's ring small ("nuỳnh vinh"): the words are put in title case
    run = _name_tail([patterns._NOT_LETTER_ENDS.sub("", w).capitalize() for w in line.split()], 4)
    for start in range(len(run) - 1):
        surname = _surname_near(run[start])
        rest = run[start + 1:]
        if surname and all(fold(word) in _GIVEN_FOLDED for word in rest):
            return " ".join([surname] + rest)
    return ""


def _joined(first: PageText, again: PageText) -> PageText:
    """``first`` with the segments of ``again`` (the same page read otherwise) that lie where it read nothing,
    and with a person's name of ``again`` in place of the litter ``first`` read where it stands."""
    xs, ys = first.width / again.width, first.height / again.height
    moved = [dataclasses.replace(s, x0=int(s.x0 * xs), x1=int(s.x1 * xs), top=int(s.top * ys),
                                 bottom=int(s.bottom * ys)) for s in again.segments]

    def overlaps(a, b) -> bool:
        return a.x0 < b.x1 and b.x0 < a.x1 and a.top < b.bottom and b.top < a.bottom

    kept = list(first.segments)
    for segment in moved:
        hit = [s for s in kept if overlaps(s, segment)]
        if not hit:
            kept.append(segment)
        elif patterns._is_name(patterns._NOT_LETTER_ENDS.sub("", segment.text.strip())) and not any(
                patterns._is_name(patterns._NOT_LETTER_ENDS.sub("", s.text.strip())) for s in hit):
            kept = [s for s in kept if s not in hit] + [segment]
    return dataclasses.replace(first, segments=tuple(sorted(kept, key=lambda s: (s.top, s.x0))))


def _respelled_line(line: str) -> str:
    return tones.retone(patterns.respell(patterns.typed_lookalikes(syllables.unglue(syllables.undouble_line(line)))))


def _header_dpi(pdf, config: UnderstandConfig) -> int:
    """The resolution page 1 is read at: the configured one, but no finer than a third over the scan's own
    (a 150-dpi scan drawn at 300 dpi shows nothing more, and tesseract's time grows with the pixels)."""
    native = ocr.native_dpi(pdf, 0)
    return config.ocr_dpi if not native else int(min(config.ocr_dpi, max(200, native * 1.34)))


def signer_dpi(config: UnderstandConfig) -> int:
    """The resolution of the signer pages: 300 dpi read the signer blocks of the real set no better, 50 % slower."""
    return min(config.ocr_dpi, 200)


def _signer_pages(pdf, count: int, config: UnderstandConfig) -> tuple[list[tuple[int, PageText]], float]:
    """The last pages of the document itself (index, text), read until its signer block shows.

    Pages are read from the end. A page that opens with a Quốc hiệu starts an attached document (a draft
    Nghị quyết, an annex with its own header): its signer is not this document's, so the search goes on
    before it. The few pages before the page where a signer was found are checked for such a header too.
    """
    dpi = signer_dpi(config)
    seconds = 0.0
    tail: list[PageText] = []
    indices: list[int] = []
    index, read = count - 1, 0
    budget = config.ocr_max_signer_pages + 2
    while index >= 0 and read < budget:
        # the signer's page: a seal on it; its body is no field's
        page = ocr.ocr_region(pdf, index, 1.0, dpi, pale_out=True, skip_body=0.25)
        seconds += page.seconds
        read += 1
        if index > 0 and _opens_document(page.page):
            tail, indices, index = [], [], index - 1
            continue
        text = doc_text([page.page] + tail)
        block = _titled(text) or _addressed(page.page)
        if not (patterns.read_signer(text.tail_right) or patterns.read_signer(text.lines)) and block:
            page = dataclasses.replace(page, page=_with_sparse_right(pdf, index, page.page, dpi))
        tail.insert(0, page.page)
        indices.insert(0, index)
        text = doc_text(tail)
        # A page with the Nơi nhận holds the signer's block beside it, read or not (a seal can hide it all):
        # an earlier page's text has no signer of this document to give.
        if patterns.read_signer(text.tail_right) or patterns.read_signer(text.lines) or _addressed(page.page):
            annex = None
            for before in range(index - 1, max(0, index - 3), -1):
                head = ocr.ocr_region(pdf, before, 0.3, dpi)
                seconds += head.seconds
                if _opens_document(head.page):
                    annex = before
                    break
            if annex is None:
                break
            tail, indices, index = [], [], annex - 1
            continue
        index -= 1
    return list(zip(indices, tail)), seconds


def _reread_name(pdf, fields: dict[str, FieldValue], pages: list[tuple[int, PageText]], read_dpi: dict[int, int],
                 config: UnderstandConfig) -> None:
    """The signer's name line read again alone at the header's resolution; taken when only its marks differ.

    The signer pages are read at 200 dpi, where "Hiền" comes out "Hiển" and "Tuấn" "Tuần"; one line rendered
    at 300 dpi and read as a line costs about 0.2 s and reads the marks right. The folded name must stay
    the same, so the second reading can fix marks only, never put another name in; and a word that is a
    known name stays unless the second reading's is one too ("Thành" is not taken back as "Thânh").
    """
    name = fields.get("signer_name")
    if name is None or name.source != "ocr":
        return
    wanted = fold(name.value)
    for index, page in reversed(pages):
        for segment in page.segments:
            folded = fold(segment.text.rstrip())
            at = folded.rfind(wanted)
            if at >= 0 and not folded[at + len(wanted):].strip(" .,;:-_|'\"~"):
                # Only a scan finer than the first reading has more to show: upsampling a coarse scan only
                # makes tesseract guess again (a 120-dpi scan read again at 300 turned "Hiền" into "Hiển").
                dpi = int(min(config.ocr_dpi, ocr.native_dpi(pdf, index) or 0))
                if dpi <= read_dpi.get(index, signer_dpi(config)) * 1.1:
                    return
                height = segment.bottom - segment.top
                # The name may share the OCR line with the Nơi nhận column: its part of the box, pro rata.
                x0 = segment.x_at(at, len(folded))
                box = ((x0 - height) / page.width, (segment.top - 0.6 * height) / page.height,
                       (segment.x1 + height) / page.width, (segment.bottom + 0.6 * height) / page.height)
                try:
                    line = ocr.read_line(pdf, index, box, dpi)
                except Exception as err:  # noqa: BLE001 - the first reading stands
                    log.debug("re-reading the signer's name failed: %s", err)
                    return
                again = patterns.respell_name(" ".join(patterns._NOT_LETTER_ENDS.sub("", line).split()))
                if fold(again) == wanted and patterns._is_name(again) and again != name.value and not any(
                        exact_key(old) in _GIVEN_EXACT and exact_key(new) not in _GIVEN_EXACT
                        for old, new in zip(name.value.split()[1:], again.split()[1:])):
                    fields["signer_name"] = dataclasses.replace(name, value=again)
                return


def _name_under_seal(pdf, fields: dict[str, FieldValue], pages: list[tuple[int, PageText]],
                     config: UnderstandConfig) -> bool:
    """A name with a word OCR knows as no name, read again with the line widened to the left and the seal
    whitened: the seal is stamped over the left of the signature and the name, and its ring cuts or hides
    the first letters ("Quang Vân" for "Mai Quang Vân", "Tê Việt Trí" for "Tô Việt Trí", "Quanp").

    The new reading is taken when it starts with a known family name (or one letter off a single one) and
    ends with the same given name, and, where the first reading's family name was known, when all its words
    are known names; the words both readings share keep the first reading's tones. True when the name
    changed (its evidence says so: the two readings disagreed)."""
    name = fields.get("signer_name")
    if name is None or name.source != "ocr" or _all_known(name.value.split()):
        return False
    wanted = fold(name.value)
    for index, page in reversed(pages):
        row = next((r for r in _rows(page) if fold(r.text).rstrip(" .,;:-_|'\"~").endswith(wanted)), None)
        if row is None:
            continue
        height = row.bottom - row.top
        box = (max(row.x0 - 5 * height, 0.4 * page.width) / page.width, (row.top - 0.6 * height) / page.height,
               (row.x1 + height) / page.width, (row.bottom + 0.6 * height) / page.height)
        dpi = int(min(config.ocr_dpi, max(ocr.native_dpi(pdf, index) or 0, signer_dpi(config))))
        for ink_only in (True, False):  # black ink alone reads a name under a seal best
            try:
                line = ocr.read_line(pdf, index, box, dpi, ink_only=ink_only)
            except Exception as err:  # noqa: BLE001 - the first reading stands
                log.debug("re-reading the signer's name under the seal failed: %s", err)
                return False
            again = _surnamed(line, name.value.split())
            # a name with a known family name changes only for one of known words all through
            if again and (fold(name.value.split()[0]) not in patterns._SURNAME_BY_FOLD or _all_known(again.split())):
                fields["signer_name"] = dataclasses.replace(name, value=again)
                return again != name.value
        return False
    return False


def _respelled_name_words(fields: dict[str, FieldValue]) -> bool:
    """The signer's middle and given names that OCR read as no syllable put right when one letter off exactly
    one known name ("Hà Thànn Sơn" → "Hà Thành Sơn", "Vũ Km Tuấn" → "Vũ Kim Tuấn": a stroke of the seal or the
    signature in a letter). A syllable stays as read: a rarer name is no slip. True when the name changed."""
    name = fields.get("signer_name")
    if name is None or name.source != "ocr":
        return False
    words = name.value.split()
    for index, word in enumerate(words[1:], start=1):
        if syllables.is_word(word):
            continue
        near = {exact_key(known): known for known in vocab.GIVEN_NAMES if patterns._one_edit(word.lower(), known.lower())}
        if len(near) == 1:
            words[index] = next(iter(near.values()))
    if words == name.value.split():
        return False
    fields["signer_name"] = dataclasses.replace(name, value=" ".join(words))
    return True


def _all_known(words: list[str]) -> bool:
    """True for a name of a known family name and known middle and given names."""
    return fold(words[0]) in patterns._SURNAME_BY_FOLD and all(fold(w) in _GIVEN_FOLDED for w in words[1:])


def _rows(page: PageText) -> list[Segment]:
    """The page's rows, each joined into one segment left to right: a seal between two words of a name makes
    OCR read them as two segments."""
    return [row[0] for row in layout.rows(page, split_gap=1.0)]


def _surnamed(line: str, first: list[str]) -> str:
    """The name at the end of ``line`` that starts with a known family name (or with a word one letter off
    a single one) and ends with the given name of ``first`` (the first reading's words), or ""."""
    run = _name_tail([patterns._NOT_LETTER_ENDS.sub("", w) for w in line.split()], 5)
    if len(run) < 2 or fold(run[-1]) != fold(first[-1]):
        return ""
    for start in range(len(run) - 1):
        surname = _surname_near(run[start])
        if surname:
            name = [surname] + run[start + 1:]
            shared = 0  # the words at the end both readings have: the first reading's tones
            while shared < min(len(name) - 1, len(first)) and fold(name[-1 - shared]) == fold(first[-1 - shared]):
                name[-1 - shared] = first[-1 - shared]
                shared += 1
            return " ".join(name)
    return ""


def _name_tail(words: list[str], most: int) -> list[str]:
    """The last words of ``words`` shaped like the words of a name (a capital, then small letters), at most ``most``."""
    run: list[str] = []
    for word in reversed(words):
        if not patterns._NAME_WORD.match(word) or len(run) == most:
            break
        run.insert(0, word)
    return run


def _surname_near(word: str) -> str:
    """The known family name ``word`` spells, or is one letter off (OCR's "Miai" for "Mai"; of three letters
    or more, and only when one name is that near), or ""."""
    folded = fold(word)
    if folded in patterns._SURNAME_BY_FOLD:
        return patterns._SURNAME_BY_FOLD[folded]
    # a known middle or given name is that name, read right ("Trọng" is not a slip of "Trương"): the family
    # name before it was lost under the seal
    if len(folded) < 3 or folded in _GIVEN_FOLDED:
        return ""
    return patterns.one_letter_off(folded, patterns._SURNAME_BY_FOLD)


def _titled(text: patterns.DocText) -> bool:
    """True when a signer's title shows (a name may have been lost under it); an annex's table page has none,
    and reading it again as sparse text cost a second per page for nothing."""
    lines = [patterns._NOT_LETTER_ENDS.sub("", line).strip(" .,:;") for line in (*text.tail_right, *text.lines)]
    return any(patterns._is_position(line) for line in lines)


def _addressed(page: PageText) -> bool:
    """True when the page shows the Nơi nhận label: the signer's block stands beside it (ND30)."""
    return any(patterns._NOI_NHAN.match(fold(s.text)) for s in page.segments)


def _block_page(pages: list[tuple[int, PageText]]) -> tuple[int, PageText]:
    """The page of ``pages`` (index, text) that holds the signer's block: the one with its title or the
    Nơi nhận, else the last (a blank page or an annex may follow the block)."""
    return next((p for p in pages if _addressed(p[1]) or _titled(doc_text([p[1]]))), pages[-1])


def _opens_document(page: PageText) -> bool:
    """True when the page's first lines carry the Quốc hiệu or the Tiêu ngữ: a document starts on it.

    The Quốc hiệu is in capitals: a body line that runs on from the page before ("… pháp chế xã hội chủ
    nghĩa, …") says the same words in lower case, and its page starts no document."""
    top = [s for s in page.segments if s.top < page.height * 0.25]
    capitals = fold(" ".join(s.text for s in top if _capitals(s.text)))
    text = fold(" ".join(s.text for s in top))
    return "xa hoi chu nghia" in capitals or "tu do - hanh phuc" in text or "tu do hanh phuc" in text


def _capitals(text: str) -> bool:
    """True when most of the letters of ``text`` are capitals (OCR lowers a few of a capital line)."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) >= 0.7 * len(letters)


def _filename_code(filename: str) -> tuple[str, str] | None:
    """(số, ký hiệu or its first group) as file names carry them: "2352 ( 07-CT-UBND).signed_….pdf" → 07, CT-UBND."""
    stem = _SIGNED_SUFFIX.sub("", filename or "")
    inner = _FILE_PARENS.search(stem)
    for candidate in ([inner.group(1)] if inner else []) + [stem]:
        match = _FILE_FULL_CODE.search(candidate)
        if match and match.group("groups").count("-") >= MOST_GROUPS:
            # more groups than a ký hiệu has (TYPE-ORG-UNIT-SUB) are a trích yếu's words ("cv-07-bo-sung-kinh-phi"):
            # the number and no ký hiệu but the type's code before it ("ttr-778-ve-viec-…") or the first group,
            # which checks one and never stands for one
            typed = _slug_type(candidate[:match.start()])
            return match.group("num"), typed or match.group("groups").split("-")[0].upper()
        if match:
            return match.group("num"), patterns._notation(None, match.group("groups"))
    match = _FILE_SHORT.match(stem)
    if match:
        return match.group("num"), (match.group("code") or "")
    return None


def _slug_type(before: str) -> str:
    """The Phụ lục III type code a web slug names just before its number ("ttr-" of "ttr-778-ve-viec-…"), or ""."""
    word = re.search(r"(?:^|[-_ ])([A-Za-zĐđ]{2,4})[-_ ]$", before)
    if word is None:
        return ""
    return next((code for code in vocab.TYPE_BY_CODE if code == code.upper() and fold(code) == fold(word.group(1))), "")


def _check_number(fields: dict[str, FieldValue], from_name: tuple[str, str] | None, notes: list[str]) -> None:
    """Cross-check the số with the file name; the file name decides when it names the same ký hiệu."""
    readings = fields.pop(_NUMBER_READINGS, None)
    if from_name is None:
        return
    number, code = from_name
    notation = fields.get("code_notation")
    current = fields.get("code_number")
    # (a bare number, "24.signed_….pdf", is as often the sender's own sequence number: it chooses nothing)
    if (current is not None and current.source == "ocr" and readings is not None and code
            and current.value.lstrip("0") != number.lstrip("0")
            and number.lstrip("0") in {r.lstrip("0") for r in readings.value.split(",")}):
        # Another reading of the handwritten số is the file name's: the two sources agree on it. It is
        # still a reading no two readings of the box agreed on (read() marks it so).
        notes.append(f"handwritten số read as {current.value}; its other reading {number} is the file name's")
        fields["code_number"] = FieldValue(number, current.confidence, "ocr")
        return
    agrees = bool(code) and notation is not None and _same_prefix(code, notation.value)
    if current is not None and current.source in ("edxml", "text"):
        if current.value != number and agrees:
            notes.append(f"file name says số {number}, the document says {current.value}")
        return
    if current is not None and current.value.lstrip("0") == number.lstrip("0"):
        fields["code_number"] = FieldValue(number if len(number) >= len(current.value) else current.value,
                                           0.95, current.source)
        return
    if agrees or (notation is None and code):
        if current is not None:
            notes.append(f"OCR read số {current.value}, the file name says {number}: the file name decided")
        fields["code_number"] = FieldValue(number, 0.8 if agrees else 0.5, "filename")
        if notation is None and code:
            full = code if "-" in code else ""
            if full:
                fields["code_notation"] = FieldValue(full, 0.6, "filename")
            known = patterns.type_of_notation(code if "-" in code else f"{code}-X")
            if known and "type_name" not in fields:
                fields["type_name"] = FieldValue(known[0], 0.6, "filename")
                fields["type_code"] = FieldValue(known[1], 0.6, "filename")
    # A bare number ("05.signed_….pdf") with no ký hiệu beside it is as often a sequence number of the
    # sender's as the số: it checks a reading, and never stands for one.


def _same_prefix(code: str, notation: str) -> bool:
    """"CT" or "CT-UBND" from a file name against the ký hiệu "CT-UBND"; "UB" against "UBND-KTTH"."""
    code, notation = code.upper(), notation.upper()
    if "-" in code:
        return code == notation
    return notation.split("-")[0].startswith(code)


def _from_email(fields: dict[str, FieldValue], subject: str, from_name: str, notes: list[str]) -> None:
    """The e-mail's subject and sender as the last resort; a "574/UBND-KTTH" in the subject also checks OCR's số."""
    subject = _SUBJECT_PREFIX.sub("", subject).strip()
    if subject:
        fields.setdefault("subject", FieldValue(subject, 0.3, "email"))
        code = patterns.read_loose_code(subject)
        notation = fields.get("code_notation")
        number = fields.get("code_number")
        if code and notation is None:
            fields["code_notation"] = FieldValue(code[1], 0.5, "email")
            fields.setdefault("code_number", FieldValue(code[0], 0.5, "email"))
        elif code and code[1] == notation.value and (number is None or number.source == "ocr"):
            if number is not None and number.value != code[0]:
                notes.append(f"OCR read số {number.value}, the e-mail subject says {code[0]}: the subject decided")
            if number is None or number.value != code[0]:
                fields["code_number"] = FieldValue(code[0], 0.8, "email")
    if from_name:
        fields.setdefault("organ_name", FieldValue(from_name, 0.1, "email"))


def _day_from_signature(fields: dict[str, FieldValue], reports: list[SignatureReport], ocr_text: str,
                        notes: list[str], printed: tuple[stamps.Stamp, ...] = ()) -> bool:
    """A printed date whose day was handwritten: take the day of the first signature in the same month.

    A day read from handwriting that falls after the first signature cannot be right (a document is dated
    before or when it is signed): the signature's day replaces it. True when a reading of the handwritten day
    no other reading agreed on was taken because it fits the signature.
    """
    day_only = fields.pop(_DAY_ONLY, None)
    readings = fields.pop(_DAY_READINGS, None)
    likely = fields.pop(_DAY_LIKELY, None)
    times = sorted(r.signing_time for r in reports if r.signing_time)
    # A signature pyHanko could not read still shows its time on its stamp.
    times = times or sorted(s.signed_at for s in printed if s.signed_at)
    if not times:
        return False
    first = dt.datetime.fromisoformat(times[0]).astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    if day_only is not None and "issued_date" not in fields:
        day = int(day_only.value)
        month_start = first.replace(day=1)
        candidate = month_start.replace(day=day) if day <= first.day else None
        if candidate is not None:
            fields["issued_date"] = FieldValue(candidate.isoformat(), 0.45, "ocr")
            notes.append("ngày ban hành: the handwritten day with the month and year of the first signature")
            return False
    current = fields.get("issued_date")
    if current is not None and current.source == "ocr" and likely is not None and _signed_on_a_likely_day(
            dt.date.fromisoformat(current.value), likely.value.split(","), first):
        # A document is most often signed on its date: the signature agrees with a likely reading of the
        # recognizer's where nothing agreed with its likeliest
        notes.append(f"handwritten day read as {current.value[8:]} alone; its likely reading {first.day} is the "
                     f"first signature's day ({first})")
        fields["issued_date"] = dataclasses.replace(current, value=first.isoformat())
        return True
    if current is not None and current.source == "ocr" and readings is not None:
        # A document is signed on its date or within days after it: of the readings of the handwritten day,
        # the first that fits is taken ("20" read "04" first and "20" second, signed on the 21st).
        read = dt.date.fromisoformat(current.value)
        other = _first_fitting(readings.value.split(","), (read.year, read.month), first)
        if not 0 <= (first - read).days <= SIGNED_WITHIN and other is not None:
            notes.append(f"handwritten day read as {read.day} does not fit the signature ({first}); "
                         f"its other reading {other.day} does")
            fields["issued_date"] = dataclasses.replace(current, value=other.isoformat())
            return False
    if current is not None and current.source == "ocr":
        if dt.date.fromisoformat(current.value) > first:
            notes.append(f"handwritten day read as {current.value} is after the first signature ({first}): "
                         "the signature's day decided")
            fields["issued_date"] = FieldValue(first.isoformat(), 0.4, "signature")
        return False
    if current is not None:
        return False
    month = patterns.read_month(ocr_text.splitlines()) if ocr_text else None
    fitting = _fitting_day(readings, month, first) if readings is not None and month else None
    if fitting is not None:
        # no reading of the handwritten day was sure enough to stand; the likeliest that fits the signature does
        fields["issued_date"] = FieldValue(fitting.isoformat(), 0.45, "ocr")
        notes.append(f"ngày ban hành: the likeliest reading of the handwritten day that fits the first signature "
                     f"({first})")
        return True
    units = _day_units(ocr_text.splitlines()) if ocr_text and month else None
    guess = _latest_day(month, units, first) if units is not None else None
    if guess is not None:
        fields["issued_date"] = FieldValue(guess.isoformat(), 0.45, "ocr")
        notes.append(f"ngày ban hành: only the handwritten day's last digit ({units}) was legible; the latest "
                     f"such day of the printed month not after the first signature ({first}) was taken")
        return False
    if month is None or (first.year, first.month) == month:
        fields["issued_date"] = FieldValue(first.isoformat(), 0.5 if month else 0.3, "signature")
        notes.append("ngày ban hành taken from the first signature's time (the printed day was unreadable)")
    return False


def _signed_on_a_likely_day(read: dt.date, likely: list[str], first: dt.date) -> bool:
    """True when the day ``read`` is not the first signature's but in its month, and the signature's day is one of
    the ``likely`` readings of the handwritten day."""
    return read != first and (read.year, read.month) == (first.year, first.month) and any(
        text.isdigit() and int(text) == first.day for text in likely)


def _fitting_day(readings: FieldValue, month: tuple[int, int], first: dt.date) -> dt.date | None:
    """The first of the handwritten day's readings (likeliest first) that dates the printed month's document on
    or within SIGNED_WITHIN days before its first signature, or None; the signature's own day when one reading
    is it (a document is most often signed on its date: the two then agree)."""
    days = readings.value.split(",")
    if (first.year, first.month) == month and any(text.isdigit() and int(text) == first.day for text in days):
        return first
    return _first_fitting(days, month, first)


SIGNED_WITHIN = 10  # days: a document is signed on its date or within days after it


def _first_fitting(days: list[str], month: tuple[int, int], first: dt.date) -> dt.date | None:
    """The first of ``days`` (readings of a handwritten day, likeliest first) that dates a document of ``month``
    on or within SIGNED_WITHIN days before its first signature ``first``, or None."""
    for text in days:
        try:
            day = dt.date(month[0], month[1], int(text))
        except ValueError:
            continue
        if 0 <= (first - day).days <= SIGNED_WITHIN:
            return day
    return None


_GARBLED_DAY = re.compile(r"ngay\s*(?P<token>[^\s\d]{1,2}(?P<units>\d))\s*thang")


def _day_units(lines: list[str]) -> int | None:
    """The last digit of a handwritten day OCR read half ("ngày $4 tháng"): the tens are often lost, not the units."""
    for line in lines:
        match = _GARBLED_DAY.search(fold(line))
        if match:
            return int(match.group("units"))
    return None


def _latest_day(month: tuple[int, int], units: int, first: dt.date, weeks: int = 5) -> dt.date | None:
    """The latest day of the printed month ending in ``units`` that is not after the first signature.

    A document is dated on or shortly before the day it is signed, so of the (at most four) days that end in
    the digit the latest one that is possible is the likeliest; none within ``weeks`` of the signature → None.
    """
    year, number = month
    for day in (d for d in range(31, 0, -1) if d % 10 == units):
        try:
            candidate = dt.date(year, number, day)
        except ValueError:
            continue
        if candidate <= first:
            return candidate if (first - candidate).days <= 7 * weeks else None
    return None
