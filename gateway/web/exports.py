"""The register of a date range as the printable sổ (DOCX and PDF, A4 landscape), a spreadsheet (XLSX) and CSV.

The printed sổ follows ND30 Phụ lục IV: ten columns, trích yếu the widest; the header rows repeat on every page,
a row never breaks across pages, and every page carries the agency's name and its number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from gateway.core.errors import GatewayError
from gateway.register.views import RegisterRow
from gateway.web import labels

# Columns of the sổ đăng ký văn bản đến (Nghị định 30/2020, Phụ lục IV) as printed, with their widths in cm on
# A4 landscape between a 2.5 cm binding margin and a 1.5 cm one (25.7 cm): dates fit on one line at 10 pt.
COLUMNS = (
    "Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu văn bản", "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung văn bản", "Đơn vị hoặc người nhận", "Ngày chuyển", "Ký nhận", "Ghi chú",
)
WIDTHS_CM = (2.1, 1.3, 3.3, 2.6, 2.1, 6.9, 2.6, 2.1, 1.4, 1.3)
CENTRED = {0, 1, 4, 7}  # dates and numbers
ROLE_MARKS = {"lead": "(chủ trì) ", "inform": "(để biết) "}  # before a unit's name; phối hợp goes unmarked
PAGE_CM = (29.7, 21.0)
MARGINS_CM = {"left": 2.5, "right": 1.5, "top": 1.8, "bottom": 1.5}
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
# Unicode serif fonts with Vietnamese: Liberation Serif has Times New Roman's metrics (what ND30 prescribes),
# so the PDF breaks lines where Word would.
FONTS = (
    ("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
     "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf"),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"),
)

assert abs(sum(WIDTHS_CM) - (PAGE_CM[0] - MARGINS_CM["left"] - MARGINS_CM["right"])) < 1e-6


class ExportError(GatewayError):
    """An export asked for an unknown format, or the machine lacks what it needs to make it."""


@dataclass(frozen=True)
class Book:
    """What the printed sổ says about itself: its name, the agency's and the period it covers."""

    title: str
    agency: str
    date_from: dt.date
    date_to: dt.date
    timezone: str = "Asia/Ho_Chi_Minh"

    @property
    def period(self) -> str:
        return f"Từ ngày {labels.date(self.date_from)} đến ngày {labels.date(self.date_to)}"



# A document that left the register's work keeps its line and số đến; the note says why (ND30 Điều 18.4.b, 21).
STATUS_NOTES = {"returned": "Đã trả lại nơi gửi", "recalled": "Đã thu hồi"}


def row_cells(row: RegisterRow, timezone: str = "Asia/Ho_Chi_Minh") -> list[str]:
    """The printed cells of one register line (Ký nhận is left for the receiving unit's signature)."""
    title = " ".join(p for p in (row.type_name, row.subject) if p)
    note = "; ".join(p for p in (row.description, "Mật" if row.secret else "", STATUS_NOTES.get(row.status, "")) if p)
    handed = [a.assigned_at for a in row.assignments if a.assigned_at is not None]
    handed_on = min(handed).astimezone(ZoneInfo(timezone)).date() if handed else None
    units = "; ".join(ROLE_MARKS.get(a.role, "") + (a.unit_name or a.unit_code) for a in row.assignments)
    return [labels.date(row.arrival_date), str(row.arrival_number or ""), row.organ_name or row.sender, row.code,
            labels.date(row.issued_date), title, units, labels.date(handed_on), "", note]


def _formula_safe(cell: str) -> str:
    # A cell starting with = + - @ would run as a formula when the file is opened in a spreadsheet.
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def to_csv(rows: list[RegisterRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_formula_safe(c) for c in row_cells(row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def to_xlsx(rows: list[RegisterRow], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "So den"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(list(COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for row in rows:
        cells = row_cells(row)
        cells[1] = row.arrival_number  # a number, so it sorts as one
        sheet.append([_formula_safe(c) if isinstance(c, str) else c for c in cells])
    for letter, width in zip("ABCDEFGHIJ", WIDTHS_CM):
        sheet.column_dimensions[letter].width = width * 5  # about five characters per cm
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- DOCX ------------------------------------------------------------------------------------------------------


def to_docx(rows: list[RegisterRow], book: Book) -> bytes:
    """The printable sổ as a Word document that LibreOffice and Word lay out alike."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(PAGE_CM[0]), Cm(PAGE_CM[1])
    for side, size in MARGINS_CM.items():
        setattr(section, f"{side}_margin", Cm(size))
    section.header_distance = section.footer_distance = Cm(0.8)
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(10)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(0)
    _running_lines(section, book)
    _title_block(doc, book, rows)

    table = doc.add_table(rows=2, cols=len(COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fixed_layout(table, WIDTHS_CM)
    for index, (head, number) in enumerate(zip(table.rows[0].cells, table.rows[1].cells)):
        _cell_text(head, COLUMNS[index], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        _cell_text(number, f"({index + 1})", align=WD_ALIGN_PARAGRAPH.CENTER, italic=True)
    for header_row in table.rows[:2]:
        _row_flags(header_row, header=True)
    for row in rows:
        cells = table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, row_cells(row, book.timezone))):
            _cell_text(cell, text, align=WD_ALIGN_PARAGRAPH.CENTER if index in CENTRED else None)
        _row_flags(table.rows[-1], header=False)
    for table_row in table.rows:
        for cell, width in zip(table_row.cells, WIDTHS_CM):
            cell.width = Cm(width)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _title_block(doc, book: Book, rows: list[RegisterRow]) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    if book.agency:
        agency = doc.add_paragraph()
        run = agency.add_run(book.agency.upper())
        run.bold = True
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_before = Pt(6)
    run = heading.add_run(book.title.upper())
    run.bold = True
    run.font.size = Pt(14)
    lines = [book.period]
    numbers = sorted(r.arrival_number for r in rows if not r.secret)
    if numbers:
        lines.append(f"Từ số {numbers[0]} đến số {numbers[-1]}")
    for line in lines:
        paragraph = doc.add_paragraph(line)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.paragraphs[-1].paragraph_format.space_after = Pt(8)


def _running_lines(section, book: Book) -> None:
    """The agency and the sổ's name at the top of every page; "Trang N/M" at the bottom."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    header = section.header.paragraphs[0]
    header.text = " · ".join(p for p in (book.agency, book.title, book.period) if p)
    header.runs[0].font.size = Pt(9)
    header.runs[0].italic = True
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Trang ").font.size = Pt(9)
    _field(footer, "PAGE")
    footer.add_run("/").font.size = Pt(9)
    _field(footer, "NUMPAGES")


def _field(paragraph, code: str) -> None:
    """A Word field (page number, page count) that Word and LibreOffice fill in when they lay the pages out."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run = paragraph.add_run()
    run.font.size = Pt(9)
    for kind, text in (("begin", None), (None, f" {code} "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText" if text.startswith(" ") else "w:t")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def _fixed_layout(table, widths_cm: tuple[float, ...]) -> None:
    """Column widths the renderers obey: a fixed layout, the table's width and its grid in twentieths of a point,
    and narrow cell margins (elements in the order the schema wants them: Word refuses others)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    twips = [round(w / 2.54 * 1440) for w in widths_cm]
    table.autofit = False  # w:tblLayout fixed
    properties = table._tbl.tblPr
    layout = properties.get_or_add_tblLayout()
    width = properties.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        properties.append(width)
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(sum(twips)))
    for column, size in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), twips):
        column.set(qn("w:w"), str(size))
    margins = OxmlElement("w:tblCellMar")
    for side, size in (("top", 30), ("left", 70), ("bottom", 30), ("right", 70)):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(size))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    layout.addnext(margins)


def _row_flags(row, header: bool) -> None:
    """Never split a row across pages; repeat the header rows at the top of every page."""
    from docx.oxml import OxmlElement

    properties = row._tr.get_or_add_trPr()
    keep = OxmlElement("w:cantSplit")
    properties.append(keep)
    if header:
        repeat = OxmlElement("w:tblHeader")
        properties.append(repeat)


def _cell_text(cell, text: str, bold: bool = False, italic: bool = False, align=None) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    run.italic = italic
    if align is not None:
        paragraph.alignment = align


# -- PDF -------------------------------------------------------------------------------------------------------


def serif_fonts() -> tuple[str, str]:
    for regular, bold in FONTS:
        if Path(regular).is_file() and Path(bold).is_file():
            return regular, bold
    raise ExportError("Máy chủ thiếu phông chữ Unicode để in sổ ra PDF: cài gói fonts-liberation2 "
                      "(hoặc fonts-dejavu-core).")


def to_pdf(rows: list[RegisterRow], book: Book) -> bytes:
    """The printable sổ as a PDF laid out like the DOCX (same columns, widths and margins)."""
    from fpdf import FPDF
    from fpdf.enums import TableCellFillMode, VAlign

    regular, bold = serif_fonts()

    class Sheets(FPDF):
        def header(self) -> None:
            self.set_font("Serif", size=9)
            self.set_text_color(60)
            self.cell(0, 5, " · ".join(p for p in (book.agency, book.title, book.period) if p),
                      new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0)
            self.ln(1)

        def footer(self) -> None:
            self.set_y(-MARGINS_CM["bottom"] * 10 + 3)
            self.set_font("Serif", size=9)
            self.cell(0, 5, f"Trang {self.page_no()}/{{nb}}", align="C")

    pdf = Sheets(orientation="L", unit="mm", format="A4")
    pdf.set_margins(MARGINS_CM["left"] * 10, MARGINS_CM["top"] * 10, MARGINS_CM["right"] * 10)
    pdf.set_auto_page_break(True, margin=MARGINS_CM["bottom"] * 10 + 2)
    pdf.add_font("Serif", "", regular)
    pdf.add_font("Serif", "B", bold)
    pdf.set_title(book.title)
    pdf.set_creator("gateway")
    pdf.add_page()
    if book.agency:
        pdf.set_font("Serif", "B", 11)
        pdf.cell(0, 6, book.agency.upper(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "B", 14)
    pdf.cell(0, 8, book.title.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", size=10)
    pdf.cell(0, 5, book.period, align="C", new_x="LMARGIN", new_y="NEXT")
    numbers = sorted(r.arrival_number for r in rows if not r.secret)
    if numbers:
        pdf.cell(0, 5, f"Từ số {numbers[0]} đến số {numbers[-1]}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Serif", size=10)
    with pdf.table(col_widths=tuple(w * 10 for w in WIDTHS_CM), width=sum(WIDTHS_CM) * 10, num_heading_rows=2,
                   line_height=4.3, padding=1.0, v_align=VAlign.T, text_align="LEFT",
                   headings_style=_heading_style(), cell_fill_mode=TableCellFillMode.NONE,
                   first_row_as_headings=True) as table:
        head = table.row()
        for name in COLUMNS:
            head.cell(name, align="C")
        numbering = table.row()
        for index in range(len(COLUMNS)):
            numbering.cell(f"({index + 1})", align="C")
        for row in rows:
            line = table.row()
            for index, text in enumerate(row_cells(row, book.timezone)):
                line.cell(text, align="C" if index in CENTRED else "L")
    return bytes(pdf.output())


def _heading_style():
    from fpdf.fonts import FontFace

    return FontFace(family="Serif", emphasis="BOLD", size_pt=10)
