"""Read the text of every file part of a parsed message (archive members too) without ever raising."""

from __future__ import annotations

import dataclasses
import hashlib
import logging

from gateway.core.config import LimitsConfig
from gateway.core.text import clean_text
from gateway.core.values import Extracted, ExtractedText, ParsedMessage, Part
from gateway.extract.reading import Reading

# The readers are imported inside the functions below: gateway.mail imports gateway.core.text, so
# importing gateway.mail (via the archive reader) while this package loads would be circular.

log = logging.getLogger(__name__)

_UNSUPPORTED = {
    "png": "image (its text is read by OCR for the fields and the search index)",
    "jpeg": "image (its text is read by OCR for the fields and the search index)",
    "gif": "image",
    "tiff": "image (its text is read by OCR for the fields and the search index)",
    "xlsx": "spreadsheet",
    "pptx": "presentation",
    "odt": "OpenDocument text",
    "rtf": "RTF",
    "binary": "unknown binary format",
}


def extract_message(parsed: ParsedMessage, limits: LimitsConfig, pdfs=None) -> Extracted:
    """One ExtractedText per file part, plus one per archive member (recursively up to limits.max_depth).

    ``pdfs`` (extract.pdf.OpenPdfs) keeps the parts' PDFs open for the field reader that runs next."""
    texts: list[ExtractedText] = []
    for part in parsed.parts:
        texts.extend(_part_texts(part, limits, pdfs))
    return Extracted(message=parsed, texts=tuple(texts))


def limit_hits(extracted: Extracted) -> list[str]:
    """What went over a limit while the message was parsed and read (one line each): with limits.on_limit =
    "quarantine" such a message is held back rather than registered with parts missing."""
    hits = [d for d in extracted.message.defects if "-reached:" in d]
    return hits + [f"{t.member_path or t.filename or t.part_index}: {t.detail}" for t in extracted.texts
                   if t.status == "limit"]


def _part_texts(part: Part, limits: LimitsConfig, pdfs=None) -> list[ExtractedText]:
    path = part.filename or f"part-{part.index}"
    texts = read_file(part.payload, part.filename, path, 0, limits, sniffed=part.sniffed_type, sha256=part.sha256,
                      pdfs=pdfs)
    texts[0] = dataclasses.replace(texts[0], part_index=part.index)
    log.debug("part %d (%s, %s): %s %s", part.index, part.filename, part.sniffed_type, texts[0].status, texts[0].detail)
    return texts


def read_file(
    payload: bytes,
    filename: str,
    member_path: str,
    depth: int,
    limits: LimitsConfig,
    sniffed: str = "",
    sha256: str = "",
    pdfs=None,
) -> list[ExtractedText]:
    """The file's own ExtractedText first, then those of its archive members (recursively).

    ``member_path`` names the file inside the archives above it ("a.zip/x/y.pdf"); at depth 0 it is only the
    prefix for members and the file's own entry gets member_path "" and no payload copy.
    """
    kind = sniffed or _sniff(payload)
    members: list[ExtractedText] = []
    if len(payload) > limits.max_attachment_size:
        reading = Reading("limit", detail=f"max_attachment_size ({limits.max_attachment_size}): {len(payload)} bytes")
    elif kind == "zip":
        reading, members = _read_zip(payload, member_path, depth, limits)
    elif kind in ("xml", "text") and _is_edxml(payload):
        reading, members = _read_edxml(payload, member_path, depth, limits)
    else:
        reading = _read_safely(kind, payload, limits, pdfs)
    reading = _cap(reading, limits)
    own = ExtractedText(
        filename=filename,
        sniffed_type=kind,
        sha256=sha256 or hashlib.sha256(payload).hexdigest(),
        size=len(payload),
        status=reading.status,
        text=reading.text,
        detail=reading.detail,
        page_count=reading.page_count,
        member_path=member_path if depth else "",
        payload=payload if depth else b"",
    )
    return [own, *members]


def _sniff(payload: bytes) -> str:
    from gateway.mail.sniff import sniff_type

    return sniff_type(payload)


def _read_zip(payload: bytes, path: str, depth: int, limits: LimitsConfig) -> tuple[Reading, list[ExtractedText]]:
    if depth >= limits.max_depth:
        return Reading("limit", detail=f"max_depth ({limits.max_depth}): archive nested too deep"), []
    from gateway.extract.archive import read_archive

    def member(data: bytes, filename: str, member_path: str, member_depth: int) -> list[ExtractedText]:
        return read_file(data, filename, member_path, member_depth, limits)

    return read_archive(payload, path, depth, limits, member)


def _is_edxml(payload: bytes) -> bool:
    from gateway.edxml.parse import looks_like_edxml

    return looks_like_edxml(payload)


def _read_edxml(payload: bytes, path: str, depth: int, limits: LimitsConfig) -> tuple[Reading, list[ExtractedText]]:
    """An edXML package's text (its XML) and its attachments, found by ContentId, read like archive members."""
    from gateway.edxml.parse import parse_package

    reading = _read_safely("xml", payload, limits)
    if depth >= limits.max_depth:
        return reading, []
    package = parse_package(payload)
    if package.status != "ok":
        return Reading(reading.status, reading.text, package.reason, reading.page_count), []
    members: list[ExtractedText] = []
    prefix = path or "edxml"
    for number, attachment in enumerate(package.attachments[: limits.zip_max_members], start=1):
        name = attachment.name or attachment.content_id or f"attachment-{number}"
        members += read_file(attachment.payload, name, f"{prefix}/{name}", depth + 1, limits)
    return reading, members


def _read_safely(kind: str, payload: bytes, limits: LimitsConfig, pdfs=None) -> Reading:
    """Dispatch to the reader for ``kind``; any unexpected error becomes status "broken"."""
    try:
        return _dispatch(kind, payload, limits, pdfs)
    except Exception as err:  # a reader bug or a library surprise must not lose the message
        log.warning("reading a %s file failed: %s: %s", kind, err.__class__.__name__, err)
        return Reading("broken", detail=f"{err.__class__.__name__}: {err}")


def _dispatch(kind: str, payload: bytes, limits: LimitsConfig, pdfs=None) -> Reading:
    from gateway.extract import plain
    from gateway.extract.doc import read_doc
    from gateway.extract.docx import read_docx
    from gateway.extract.pdf import read_pdf

    if kind == "pdf":
        return read_pdf(payload, limits, pdfs)
    if kind == "docx":
        return read_docx(payload)
    if kind == "doc":
        return read_doc(payload)
    if kind in ("text", "html", "xml"):
        return {"text": plain.read_plain, "html": plain.read_html, "xml": plain.read_xml}[kind](payload)
    return Reading("unsupported", detail=_UNSUPPORTED.get(kind, kind))


def _cap(reading: Reading, limits: LimitsConfig) -> Reading:
    """Text in Unicode NFC (legacy TCVN3/VNI converted) and at most limits.text_max_chars long."""
    from gateway.extract.legacy import convert

    text, legacy = convert(reading.text)
    if legacy:
        note = f"converted from {legacy.upper()} to Unicode"
        reading = Reading(reading.status, text, f"{reading.detail}; {note}" if reading.detail else note,
                          reading.page_count)
    text = clean_text(reading.text)
    if len(text) <= limits.text_max_chars:
        return Reading(reading.status, text, reading.detail, reading.page_count)
    detail = f"text_max_chars ({limits.text_max_chars}): {len(text)} characters cut"
    return Reading("limit", text[: limits.text_max_chars], detail, reading.page_count)
