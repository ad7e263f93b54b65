"""ND30 documents (bench/docspec.py values) written as DOCX (python-docx) or drawn as PDF (fpdf2), many layouts.

A layout is a dict of choices the caller draws; the number and the day can be left blank in print (to be
handwritten on the scan), the urgency stamp is red and set apart, the header is a table or tab-separated.
"""

from __future__ import annotations

import io
import random

from docspec import Doc

SERIF = "/usr/share/fonts/truetype/liberation2/LiberationSerif-{}.ttf"
MONO = "/usr/share/fonts/truetype/liberation2/LiberationMono-{}.ttf"
URGENCY = ("", "KHẨN", "THƯỢNG KHẨN", "HỎA TỐC")
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
OLD_MOTTO = ("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


def date_text(doc: Doc, blank_day: bool, old: bool = False) -> str:
    """ND30's "Place, ngày 05 tháng 3 năm 2025" (a blank for a day to be handwritten)."""
    d = doc.date
    if old:
        day, month = str(d.day), str(d.month)
    else:
        day = f"{d.day:02d}"
        month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    day = " " * 10 if blank_day else day
    return f"{doc.place}, ngày {day} tháng {month} năm {d.year}"


def number_text(doc: Doc, blank_number: bool) -> str:
    return f"Số: {' ' * 14 if blank_number else doc.number}/{doc.notation}"


def wrap(text: str, width: int) -> list[str]:
    """Words of ``text`` in lines of at most ``width`` characters."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def subject_lines(doc: Doc, layout: dict) -> list[str]:
    """The trích yếu as printed, line by line ("V/v " in front for a công văn)."""
    if doc.type_name == "Công văn":
        return wrap("V/v " + doc.subject, layout.get("vv_width", 38))
    return wrap(doc.subject, layout.get("subject_width", 70))


# --- DOCX -----------------------------------------------------------------------------------------------

def to_docx(doc: Doc, layout: dict) -> bytes:
    """The document as Word writes it: header as a table (or tab-separated), title, body, signer table."""
    import docx
    from docx.enum.section import WD_SECTION  # noqa: F401
    from docx.enum.table import WD_TABLE_ALIGNMENT  # noqa: F401
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm, Pt, RGBColor

    document = docx.Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    style = document.styles["Normal"]
    style.font.name = layout.get("font", "Times New Roman")
    style.font.size = Pt(layout.get("size", 13))
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(0)
    centre, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY

    def para(container, text="", bold=False, italic=False, align=centre, size=None, colour=None, breaks=False):
        p = container.add_paragraph()
        p.alignment = align
        pieces = text.split("\n") if breaks else [text]
        for i, piece in enumerate(pieces):
            run = p.add_run(piece)
            run.bold, run.italic = bold, italic
            if size:
                run.font.size = Pt(size)
            if colour:
                run.font.color.rgb = RGBColor(*colour)
            if i < len(pieces) - 1:
                run.add_break(WD_BREAK.LINE)
        return p

    def first_para(cell, *args, **kwargs):
        p = cell.paragraphs[0]
        p._element.getparent().remove(p._element)
        return para(cell, *args, **kwargs)

    left = [(line, False) for line in doc.organ.parent] + [(line, True) for line in doc.organ.lines]
    number = number_text(doc, layout.get("blank_number", False))
    date = date_text(doc, layout.get("blank_day", False))
    vv = subject_lines(doc, layout) if doc.type_name == "Công văn" else []
    header = layout.get("docx_header", "table1")
    if header == "tabs":
        right = [MOTTO[0], MOTTO[1]]
        for i in range(max(len(left), 2)):
            text = (left[i][0] if i < len(left) else "") + "\t" + (right[i] if i < len(right) else "")
            para(document, text, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT, size=12)
        para(document, number + "\t" + date, align=WD_ALIGN_PARAGRAPH.LEFT)
        if vv:
            para(document, "\n".join(vv), align=WD_ALIGN_PARAGRAPH.LEFT, size=12, breaks=True)
    else:
        rows = 1 if header == "table1" else 3
        table = document.add_table(rows=rows, cols=2)
        table.autofit = False
        table.columns[0].width, table.columns[1].width = Cm(6.5), Cm(10)
        for row in table.rows:
            row.cells[0].width, row.cells[1].width = Cm(6.5), Cm(10)
        lcell, rcell = table.cell(0, 0), table.cell(0, 1)
        first = True
        for text, bold in left:
            (first_para if first else para)(lcell, text, bold=bold, size=12)
            first = False
        para(lcell, "-------", size=12)
        first_para(rcell, MOTTO[0], bold=True, size=12)
        para(rcell, MOTTO[1], bold=True, size=13)
        para(rcell, "---------------", size=12)
        if header == "table1":
            para(lcell, number)
            if vv:
                para(lcell, "\n".join(vv), size=12, breaks=layout.get("vv_breaks", True)) if layout.get(
                    "vv_one_para", True) else [para(lcell, line, size=12) for line in vv]
            para(rcell, date, italic=True)
        else:
            first_para(table.cell(1, 0), number)
            first_para(table.cell(1, 1), date, italic=True)
            first_para(table.cell(2, 0), "\n".join(vv), size=12, breaks=True)
    if doc.urgency and layout.get("stamp", True):
        para(document, "")
        stamp = document.add_table(rows=1, cols=1)
        stamp.style = "Table Grid"
        stamp.autofit = False
        stamp.rows[0].cells[0].width = Cm(4)
        first_para(stamp.cell(0, 0), URGENCY[doc.urgency], bold=True, colour=(220, 20, 20), size=14)
    para(document, "")
    if doc.type_name != "Công văn":
        para(document, doc.type_name.upper(), bold=True, size=14)
        lines = subject_lines(doc, layout)
        how = layout.get("subject_paras", "one")
        if how == "one":
            para(document, doc.subject, bold=True, size=14)
        elif how == "breaks":
            para(document, "\n".join(lines), bold=True, size=14, breaks=True)
        else:
            for line in lines:
                para(document, line, bold=True, size=14)
        para(document, "----------", size=12)
        for line in doc.preamble:
            para(document, line, bold=True)
        if doc.preamble:
            para(document, "")
    if doc.addressees:
        if len(doc.addressees) == 1:
            para(document, f"Kính gửi: {doc.addressees[0]}.")
        else:
            para(document, "Kính gửi:")
            for entry in doc.addressees:
                para(document, f"- {entry};")
        para(document, "")
    for text in doc.body:
        p = para(document, text, align=justify)
        p.paragraph_format.first_line_indent = Cm(1)
        p.paragraph_format.space_after = Pt(6)
    if layout.get("attachment_rows"):
        para(document, "Danh sách kèm theo:", align=WD_ALIGN_PARAGRAPH.LEFT, bold=True)
        grid = document.add_table(rows=layout["attachment_rows"], cols=3)
        grid.style = "Table Grid"
        for r in range(layout["attachment_rows"]):
            for c, value in enumerate((str(r + 1), f"Đơn vị số {r + 1} thuộc danh sách", "Đã thực hiện")):
                first_para(grid.cell(r, c), value, size=12, align=WD_ALIGN_PARAGRAPH.LEFT)
    para(document, "")
    signature = document.add_table(rows=1, cols=2)
    signature.autofit = False
    signature.columns[0].width, signature.columns[1].width = Cm(8), Cm(8.5)
    signature.rows[0].cells[0].width, signature.rows[0].cells[1].width = Cm(8), Cm(8.5)
    ncell, scell = signature.cell(0, 0), signature.cell(0, 1)
    first_para(ncell, "Nơi nhận:", bold=True, italic=True, size=12, align=WD_ALIGN_PARAGRAPH.LEFT)
    for entry in doc.recipients:
        para(ncell, f"- {entry};", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    first = True
    for line in doc.signer_position:
        (first_para if first else para)(scell, line, bold=True)
        first = False
    for _ in range(4):
        para(scell, "")
    para(scell, doc.signer_name, bold=True)
    for page in range(doc.annex_pages):
        p = para(document, "")
        p.runs[0].add_break(WD_BREAK.PAGE) if p.runs else p.add_run().add_break(WD_BREAK.PAGE)
        para(document, "PHỤ LỤC" if page == 0 else "PHỤ LỤC (tiếp theo)", bold=True)
        para(document, f"(Kèm theo {doc.type_name} số {doc.number}/{doc.notation})", italic=True)
        for r in range(18):
            para(document, f"{r + 1}. Nội dung chi tiết thứ {r + 1} của phụ lục, danh mục các đơn vị thực hiện.",
                 align=WD_ALIGN_PARAGRAPH.LEFT)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- PDF drawn directly ---------------------------------------------------------------------------------

def to_pdf(doc: Doc, layout: dict, typewriter: bool = False) -> bytes:
    """The document drawn with fpdf2: header columns, wrapped V/v, title, body, signer block, red stamp."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    face = MONO if typewriter else SERIF
    pdf.add_font("F", "", face.format("Regular"))
    pdf.add_font("F", "B", face.format("Bold"))
    pdf.add_font("F", "I", face.format("Italic"))
    pdf.add_font("F", "BI", face.format("BoldItalic"))
    size = 11 if typewriter else layout.get("size", 13)
    line_h = size * 0.48
    pdf.add_page()
    left_x, left_w, right_x, right_w = 20, 75, 95, 105
    y = 15

    def text(x, w, yy, value, style="", sz=None, align="C", colour=(0, 0, 0)):
        pdf.set_font("F", style, sz or size)
        pdf.set_text_color(*colour)
        pdf.set_xy(x, yy)
        pdf.cell(w, line_h, value, align=align)
        pdf.set_text_color(0, 0, 0)

    organ_lines = [(line, "") for line in doc.organ.parent]
    for line in doc.organ.lines:
        organ_lines += [(part, "" if typewriter else "B") for part in wrap(line, 32 if size >= 13 else 36)]
    for line, style in organ_lines:
        text(left_x, left_w, y, line, style, size - 1)
        y += line_h
    pdf.line(left_x + 25, y + 1, left_x + 50, y + 1)
    motto = OLD_MOTTO if typewriter else MOTTO
    text(right_x, right_w, 15, motto[0], "" if typewriter else "B", size - 1)
    text(right_x, right_w, 15 + line_h, motto[1], "" if typewriter else "B", size)
    pdf.line(right_x + 30, 15 + 2 * line_h + 1, right_x + 75, 15 + 2 * line_h + 1)
    y = max(y, 15 + 2 * line_h) + line_h * 0.8
    text(left_x, left_w, y, number_text(doc, layout.get("blank_number", False)), sz=size)
    text(right_x, right_w, y, date_text(doc, layout.get("blank_day", False), old=typewriter), "" if typewriter else "I")
    y += line_h * 1.2
    if doc.type_name == "Công văn":
        for line in subject_lines(doc, {**layout, "vv_width": layout.get("vv_width", 36)}):
            text(left_x, left_w, y, line, sz=size - 1)
            y += line_h
    if doc.urgency and layout.get("stamp", True):
        where = layout.get("stamp_at", "left")
        label = URGENCY[doc.urgency]
        pdf.set_draw_color(220, 20, 20)
        pdf.set_line_width(0.5)
        stamp_w = 12 + 4.2 * len(label)
        sx, sy = (left_x + 10, y + 3) if where == "left" else (150, 4) if where == "top" else (140, y + 2)
        pdf.rect(sx, sy, stamp_w, 9)
        text(sx, stamp_w, sy + (9 - line_h) / 2, label, "B", 14, colour=(220, 20, 20))
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(0.2)
        y += 12 if where in ("left", "right") else 0
    y += line_h
    if doc.type_name != "Công văn":
        text(20, 180, y, doc.type_name.upper(), "B", size + 1)
        y += line_h * 1.1
        for line in subject_lines(doc, layout):
            text(20, 180, y, line, "B", size)
            y += line_h
        pdf.line(90, y + 1, 120, y + 1)
        y += line_h
        for line in doc.preamble:
            text(20, 180, y, line, "B", size)
            y += line_h
        y += line_h * 0.5
    pdf.set_font("F", "", size)
    if doc.addressees:
        if len(doc.addressees) == 1:
            text(45, 140, y, f"Kính gửi: {doc.addressees[0]}.", align="L")
            y += line_h
        else:
            text(45, 30, y, "Kính gửi:", align="L")
            for entry in doc.addressees:
                text(70, 120, y, f"- {entry};", align="L")
                y += line_h
        y += line_h * 0.5
    pdf.set_font("F", "", size)
    for paragraph in doc.body:
        pdf.set_xy(20, y)
        pdf.multi_cell(175, line_h * 1.15, "      " + paragraph, align="J")
        y = pdf.get_y() + 1.5
        if y > 250:
            pdf.add_page()
            y = 20
    for r in range(layout.get("attachment_rows", 0)):
        if y > 270:
            pdf.add_page()
            y = 20
        text(20, 15, y, str(r + 1), align="L")
        text(35, 150, y, f"Đơn vị số {r + 1} thuộc danh sách kèm theo - Đã thực hiện", align="L")
        y += line_h
    block = len(doc.signer_position) * line_h + 30
    if y + block > 285:
        pdf.add_page()
        y = 20
    y += line_h
    signer_y = y
    text(20, 80, y, "Nơi nhận:", "BI", size - 1, align="L")
    for i, entry in enumerate(doc.recipients, start=1):
        text(20, 80, y + i * line_h * 0.9, f"- {entry};", sz=size - 2, align="L")
    for i, line in enumerate(doc.signer_position):
        text(105, 95, signer_y + i * line_h, line, "B")
    name_y = signer_y + len(doc.signer_position) * line_h + 22
    text(105, 95, name_y, doc.signer_name, "B")
    for page in range(doc.annex_pages):
        pdf.add_page()
        text(20, 175, 20, "PHỤ LỤC" if page == 0 else "PHỤ LỤC (tiếp theo)", "B")
        text(20, 175, 20 + line_h, f"(Kèm theo {doc.type_name} số {doc.number}/{doc.notation})", "I")
        for r in range(20):
            text(20, 175, 35 + r * line_h * 1.3,
                 f"{r + 1}. Nội dung chi tiết thứ {r + 1} của phụ lục, danh mục các đơn vị thực hiện.", align="L")
    return bytes(pdf.output())


def layout_for(rng: random.Random, doc: Doc, heldout: bool) -> dict:
    """A random layout; some choices (three-row header table, stamp at the top) only in the held-out split."""
    headers = ["table1", "table2", "tabs"] + (["table3"] if heldout else [])
    header = rng.choice(headers)
    if header == "table3":
        header = "table2"
    return {
        "docx_header": header,
        "size": rng.choice((13, 13, 14)),
        "subject_width": rng.choice((55, 65, 75)),
        "vv_width": rng.choice((30, 34, 38)),
        "subject_paras": rng.choice(("one", "breaks", "lines")),
        "vv_one_para": rng.random() < 0.7,
        "stamp_at": rng.choice(("left", "right") + (("top",) if heldout else ())),
        "attachment_rows": rng.choice((0, 0, 0, 0, 30, 45)),
    }
