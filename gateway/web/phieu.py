"""The Phiếu giải quyết văn bản đến (ND30 Phụ lục IV) of one document, printable as DOCX and PDF (A4 portrait):
the document's header lines, then 1. the agency leader's direction as recorded, 2. the unit leader's and 3. the
handler's opinions left as dotted lines to be written by hand."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from gateway.register.records import DocumentRecord
from gateway.register.views import DirectionView
from gateway.web import labels
from gateway.web.exports import serif_fonts

TITLE = "PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN"
DOTS = "." * 140
MARGINS_MM = {"left": 30, "right": 15, "top": 20, "bottom": 20}  # ND30 Phụ lục I: A4, binding margin left


@dataclass(frozen=True)
class Slip:
    """What the phiếu says: the agency, the document and the direction in force (if any)."""

    agency: str
    arrival: str  # "12/2026", or "chờ số"
    arrived: str  # dd/mm/yyyy
    document: str  # tên loại, số và ký hiệu, ngày, cơ quan ban hành
    subject: str
    opinion: str = ""
    lead: str = ""
    cooperate: str = ""
    inform: str = ""
    due: str = ""
    directed_by: str = ""
    directed_on: str = ""  # "ngày 05 tháng 12 năm 2026"



def _long_day(value: dt.date | None) -> str:
    return f"ngày {value:%d} tháng {value:%m} năm {value:%Y}" if value else "ngày ..... tháng ..... năm ......."


def slip_of(record: DocumentRecord, direction: DirectionView | None, units: dict[str, str], agency: str,
            zone: dt.tzinfo) -> Slip:
    """The phiếu of a document; units named as the departments call them."""
    code = "/".join(p for p in (record.code_number, record.code_notation) if p)
    parts = [record.type_name or "Văn bản"]
    if code:
        parts.append(f"số {code}")
    if record.issued_date:
        parts.append(f"ngày {labels.date(record.issued_date)}")
    if record.organ_name:
        parts.append(f"của {record.organ_name}")
    slip = Slip(agency=agency, arrival=f"{record.arrival_number}/{record.year}" if record.arrival_number else "chờ số",
                arrived=labels.date(record.arrival_date), document=" ".join(parts), subject=record.subject)
    if direction is None:
        return slip

    def named(codes) -> str:
        return "; ".join(f"{units.get(c, c)} ({c})" for c in codes)

    return Slip(**{**slip.__dict__, "opinion": direction.opinion, "lead": named([direction.lead]),
                   "cooperate": named(direction.cooperate), "inform": named(direction.inform),
                   "due": labels.date(direction.due_date), "directed_by": direction.directed_by,
                   "directed_on": _long_day(direction.directed_at.astimezone(zone).date())})


def _lines(slip: Slip) -> list[tuple[str, str]]:
    """The phiếu as (style, text) lines: "agency", "title", "head", "bold", "text", "dots", "sign"."""
    lines = [("agency", slip.agency.upper()), ("title", TITLE),
             ("head", f"(Kèm theo {slip.document})"),
             ("text", f"Số đến: {slip.arrival}        Ngày đến: {slip.arrived}"),
             ("text", f"Trích yếu: {slip.subject}"),
             ("bold", "1. Ý kiến của lãnh đạo cơ quan, tổ chức:")]
    if slip.lead:
        if slip.opinion:
            lines.append(("text", slip.opinion))
        lines.append(("text", f"- Đơn vị, cá nhân chủ trì: {slip.lead}"))
        lines.append(("text", f"- Đơn vị, cá nhân phối hợp: {slip.cooperate or '–'}"))
        if slip.inform:
            lines.append(("text", f"- Để biết: {slip.inform}"))
        lines.append(("text", f"- Thời hạn giải quyết: {slip.due or '–'}"))
        lines.append(("sign", f"{slip.directed_on}\n{slip.directed_by}"))
    else:
        lines += [("dots", DOTS)] * 4 + [("sign", _long_day(None))]
    lines += [("bold", "2. Ý kiến của lãnh đạo đơn vị:")] + [("dots", DOTS)] * 3
    lines += [("text", "- Giao cho cá nhân: .................................   Thời hạn: ....................")]
    lines += [("sign", _long_day(None))]
    lines += [("bold", "3. Ý kiến đề xuất của người giải quyết:")] + [("dots", DOTS)] * 3
    lines += [("sign", _long_day(None))]
    return lines


def to_docx(slip: Slip) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side, size in MARGINS_MM.items():
        setattr(section, f"{side}_margin", Mm(size))
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    style.paragraph_format.space_after = Pt(3)
    for kind, text in _lines(slip):
        paragraph = doc.add_paragraph()
        run = paragraph.add_run(text[:90] if kind == "dots" else text)
        run.bold = kind in ("agency", "title", "bold")
        run.italic = kind in ("head", "sign")
        if kind == "title":
            run.font.size = Pt(14)
        if kind in ("title", "head"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if kind == "sign":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def to_pdf(slip: Slip) -> bytes:
    from fpdf import FPDF

    regular, bold = serif_fonts()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(MARGINS_MM["left"], MARGINS_MM["top"], MARGINS_MM["right"])
    pdf.set_auto_page_break(True, margin=MARGINS_MM["bottom"])
    pdf.add_font("Serif", "", regular)
    pdf.add_font("Serif", "B", bold)
    pdf.set_title(TITLE)
    pdf.set_creator("gateway")
    pdf.add_page()
    for kind, text in _lines(slip):
        pdf.set_font("Serif", "B" if kind in ("agency", "title", "bold") else "", 14 if kind == "title" else 13)
        if kind == "dots":
            pdf.set_font("Serif", "", 13)
            pdf.cell(0, 8, "." * int(pdf.epw / pdf.get_string_width(".")), new_x="LMARGIN", new_y="NEXT")
            continue
        align = "C" if kind in ("title", "head") else "R" if kind == "sign" else "L"
        if kind in ("bold", "title"):
            pdf.ln(2)
        pdf.multi_cell(0, 6.5, text, align=align, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
