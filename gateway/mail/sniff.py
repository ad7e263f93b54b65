"""Guess a file's type from its first bytes, never from its name or declared Content-Type."""

from __future__ import annotations

import io
import logging
import zipfile

log = logging.getLogger(__name__)

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SIMPLE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"{\\rtf", "rtf"),
    (OLE2_MAGIC, "doc"),
)
_OOXML_MAIN = (("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"), ("ppt/presentation.xml", "pptx"))
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def sniff_type(payload: bytes) -> str:
    """One of pdf, docx, xlsx, pptx, odt, doc, zip, xml, png, jpeg, gif, tiff, text, html, rtf, binary."""
    if not payload:
        return "binary"
    if b"%PDF-" in payload[:1024]:
        return "pdf"
    for magic, kind in _SIMPLE_MAGIC:
        if payload.startswith(magic):
            return kind
    if payload.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(payload)
    return _sniff_text(payload)


def _sniff_zip(payload: bytes) -> str:
    """Tell OOXML and ODF packages from plain ZIP archives by the members they hold."""
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            names = set(archive.namelist())
            for member, kind in _OOXML_MAIN:
                if member in names:
                    return kind
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                if archive.read("mimetype").strip() == b"application/vnd.oasis.opendocument.text":
                    return "odt"
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError, RuntimeError) as err:
        log.debug("zip sniff: %s", err)
    return "zip"


def _sniff_text(payload: bytes) -> str:
    """Text, HTML or XML when the head looks like characters; otherwise binary."""
    head = payload[:4096]
    if head.startswith(_BOMS[1:]):
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    elif head.startswith(_BOMS[0]):
        head = head[3:]
    if b"\x00" in head:
        return "binary"
    if not _mostly_printable(head):
        return "binary"
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered[:1024]:
        return "html"
    if lowered.startswith(b"<?xml") or (lowered.startswith(b"<") and lowered.rstrip().endswith(b">")):
        return "xml"
    return "text"


def _mostly_printable(head: bytes) -> bool:
    """Few control bytes apart from tab, CR, LF and FF: what text files look like in any 8-bit charset."""
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    return controls <= max(1, len(head) // 100)
