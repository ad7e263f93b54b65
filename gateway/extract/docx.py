"""The text of a .docx: headers, body paragraphs and tables (nested too) in document order, then footers."""

from __future__ import annotations

import io
import logging
import zipfile

from gateway.core.text import nfc
from gateway.extract.reading import Reading, from_text

log = logging.getLogger(__name__)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAX_XML = 200 * 1024 * 1024


def read_docx(payload: bytes) -> Reading:
    """All visible text of a Word 2007+ document; "broken" when neither python-docx nor the raw XML reads it."""
    try:
        import docx
        from docx.opc.exceptions import OpcError

        document = docx.Document(io.BytesIO(payload))
    except (OpcError, zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as err:
        # .docm/.dotx and packages with odd relationships: python-docx refuses them, the body XML is still there
        return _read_body_xml(payload, f"python-docx cannot open it: {err.__class__.__name__}: {err}")
    except Exception as err:  # lxml.etree.XMLSyntaxError and friends from a damaged package
        return Reading("broken", detail=f"python-docx failed: {err.__class__.__name__}: {err}")
    lines: list[str] = []
    try:
        _header_footer_lines(document, "header", lines)
        _block_lines(document.element.body, lines)
        _header_footer_lines(document, "footer", lines)
    except Exception as err:  # a malformed part deep inside; keep what was read
        log.debug("docx walk stopped: %s", err)
        return Reading("broken", "\n".join(lines), f"document structure damaged: {err.__class__.__name__}")
    return from_text(nfc("\n".join(line for line in lines if line.strip())))


def _read_body_xml(payload: bytes, why: str) -> Reading:
    """The body of word/document.xml read directly (no headers/footers), for packages python-docx refuses."""
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > _MAX_XML:
                return Reading("limit", detail=f"word/document.xml is {info.file_size} bytes")
            root = etree.fromstring(archive.read(info), parser=etree.XMLParser(resolve_entities=False, huge_tree=False))
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, etree.XMLSyntaxError) as err:
        return Reading("broken", detail=f"{why}; word/document.xml unreadable: {err.__class__.__name__}")
    body = root.find(f"{_W}body")
    if body is None:
        return Reading("broken", detail=f"{why}; no w:body")
    lines: list[str] = []
    _block_lines(body, lines)
    reading = from_text(nfc("\n".join(line for line in lines if line.strip())))
    return Reading(reading.status, reading.text, f"read without python-docx ({why})")


def _header_footer_lines(document, kind: str, lines: list[str]) -> None:
    """Text of every distinct header (or footer) of every section, first-page and even-page variants too."""
    seen: set[int] = set()
    for section in document.sections:
        for attr in (kind, f"first_page_{kind}", f"even_page_{kind}"):
            part = getattr(section, attr)
            if part.is_linked_to_previous:
                continue
            element = part._element
            if id(element) in seen:
                continue
            seen.add(id(element))
            _block_lines(element, lines)


def _block_lines(container, lines: list[str]) -> None:
    """Paragraphs and tables of a body, cell, header, footer or content control, in order."""
    for child in container.iterchildren():
        tag = child.tag
        if tag == f"{_W}p":
            lines.append(_paragraph_text(child))
        elif tag == f"{_W}tbl":
            _table_lines(child, lines)
        elif tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}txbxContent"):
            inner = child.find(f"{_W}sdtContent") if tag == f"{_W}sdt" else child
            if inner is not None:
                _block_lines(inner, lines)


def _table_lines(table, lines: list[str]) -> None:
    """Each cell's content on its own lines, row by row; cells merged across rows are read once."""
    for row in table.iterchildren(f"{_W}tr"):
        for cell in row.iterchildren(f"{_W}tc"):
            _block_lines(cell, lines)


def _paragraph_text(paragraph) -> str:
    """The text of one w:p, with tabs and line breaks; text in hyperlinks, fields and insertions included."""
    pieces: list[str] = []
    for node in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if node.tag == f"{_W}t":
            pieces.append(node.text or "")
        elif node.tag == f"{_W}tab":
            if node.getparent().tag == f"{_W}r":  # not the tab stops in w:pPr/w:tabs
                pieces.append("\t")
        else:
            pieces.append("\n")
    return "".join(pieces)
