"""The register of a date range as the printable sổ (DOCX, landscape), a spreadsheet (XLSX) and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

from gateway.register.views import RegisterRow

# Columns of the sổ đăng ký văn bản đến (Nghị định 30/2020, Phụ lục IV) as printed.
COLUMNS = (
    "Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày tháng", "Tên loại và trích yếu nội dung",
    "Đơn vị hoặc người nhận", "Ký nhận", "Ghi chú",
)
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def row_cells(row: RegisterRow) -> list[str]:
    """The printed cells of one register line."""
    title = " ".join(p for p in (row.type_name, row.subject) if p)
    note = "; ".join(p for p in (row.description, "mật" if row.register_code.endswith("mat") else "") if p)
    return [_date(row.arrival_date), str(row.arrival_number or ""), row.organ_name or row.sender, row.code,
            _date(row.issued_date), title, row.units, "", note]


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
    for letter, width in zip("ABCDEFGHI", (12, 8, 28, 16, 12, 50, 24, 10, 16)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_docx(rows: list[RegisterRow], title: str, agency: str, date_from: dt.date, date_to: dt.date) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(11)
    if agency:
        doc.add_paragraph(agency.upper()).alignment = WD_ALIGN_PARAGRAPH.LEFT
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title.upper())
    run.bold = True
    run.font.size = Pt(14)
    period = doc.add_paragraph(f"Từ ngày {_date(date_from)} đến ngày {_date(date_to)}")
    period.alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = doc.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, COLUMNS):
        cell.text = ""
        run = cell.paragraphs[0].add_run(name)
        run.bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in rows:
        for cell, text in zip(table.add_row().cells, row_cells(row)):
            cell.text = text
    widths = (Cm(2.2), Cm(1.5), Cm(4.0), Cm(2.8), Cm(2.2), Cm(7.5), Cm(3.6), Cm(1.6), Cm(2.3))
    for table_row in table.rows:
        for cell, width in zip(table_row.cells, widths):
            cell.width = width
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
