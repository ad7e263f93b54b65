"""The streams of a .docx in reading order: the header table's two columns, centred title block, signer table.

Word puts ND30's two-column header (agency | Quốc hiệu) and the signer block (Nơi nhận | chức vụ, họ tên)
in tables, so the paragraph order is not the reading order; this reads the tables as the columns they are.
"""

from __future__ import annotations

import io
import logging

from gateway.core.text import fold, nfc
from gateway.understand.patterns import DocText

log = logging.getLogger(__name__)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MOTTO = ("cong hoa xa hoi", "doc lap")
_HEADER_BLOCKS = 6  # the header table is among the first blocks of the body


def docx_text(payload: bytes) -> DocText | None:
    """The DocText of a Word document, or None when it cannot be opened (the plain text then stands)."""
    try:
        import docx

        body = docx.Document(io.BytesIO(payload)).element.body
    except Exception as err:  # noqa: BLE001 - python-docx raises many types on damaged packages
        log.debug("docx layout not read: %s: %s", type(err).__name__, err)
        return None
    lines: list[str] = []
    header_left: list[str] = []
    header_right: list[str] = []
    tail_left: list[str] = []
    tail_right: list[str] = []
    center: list[str] = []
    tabbed = True  # the header typed with tabs goes on while its paragraphs carry tabs
    for position, child in enumerate(body.iterchildren()):
        if child.tag == f"{_W}p":
            paragraph = _paragraph(child)
            lines += paragraph or [""]
            if position < _HEADER_BLOCKS and tabbed and any("\t" in line for line in paragraph):
                _tabbed(paragraph, header_left, header_right)
            elif header_left:
                tabbed = False
            if paragraph and _centred(child):
                center += paragraph
            elif not center or center[-1]:
                center.append("")
        elif child.tag == f"{_W}tbl":
            columns = _columns(child)
            for column in columns:
                lines += column + [""]
            if len(columns) == 2:
                left, right = columns
                if position < _HEADER_BLOCKS and not header_left and _has_motto(right):
                    header_left, header_right = left, right
                    tabbed = False
                elif left and fold(next((x for x in left if x.strip()), "")).startswith("noi nhan"):
                    tail_left, tail_right = left, right
            if not center or center[-1]:
                center.append("")
    return DocText(tuple(nfc(x) for x in lines), tuple(nfc(x) for x in header_left),
                   tuple(nfc(x) for x in header_right), tuple(nfc(x) for x in tail_left),
                   tuple(nfc(x) for x in tail_right), tuple(nfc(x) for x in center))


def _tabbed(paragraph: list[str], left: list[str], right: list[str]) -> None:
    """A header typed as "AGENCY<tab>CỘNG HÒA …" lines: the parts before and after the tabs."""
    for line in paragraph:
        before, _, after = line.partition("\t")
        left.append(before.strip())
        right.append(after.strip("\t ").strip())


def _has_motto(lines: list[str]) -> bool:
    return any(fold(line).strip().startswith(_MOTTO) for line in lines)


def _columns(table) -> list[list[str]]:
    """The table's text column by column (each cell's paragraphs, row after row); merged cells once."""
    columns: list[list[str]] = []
    for row in table.iterchildren(f"{_W}tr"):
        for index, cell in enumerate(row.iterchildren(f"{_W}tc")):
            while len(columns) <= index:
                columns.append([])
            for block in cell.iterchildren():
                if block.tag == f"{_W}p":
                    columns[index] += _paragraph(block) or [""]
                elif block.tag == f"{_W}tbl":
                    for inner in _columns(block):
                        columns[index] += inner
    return columns


def _centred(paragraph) -> bool:
    jc = paragraph.find(f"{_W}pPr/{_W}jc")
    return jc is not None and jc.get(f"{_W}val") == "center"


def _paragraph(paragraph) -> list[str]:
    """The lines of one w:p (split at its line breaks), tabs kept."""
    pieces: list[str] = []
    for node in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if node.tag == f"{_W}t":
            pieces.append(node.text or "")
        elif node.tag == f"{_W}tab":
            if node.getparent().tag == f"{_W}r":
                pieces.append("\t")
        elif node.get(f"{_W}type") != "page":
            pieces.append("\n")
    text = "".join(pieces)
    return [line for line in text.split("\n")] if text.strip() else []
