"""Generators of test inputs (PDF, DOCX, ZIP, e-mail) so the suite needs no files from outside the repo."""

from __future__ import annotations

import base64
import datetime as dt
import io
import zipfile
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from gateway.edxml import NAMESPACE

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def make_pdf(pages: list[str]) -> bytes:
    """A PDF with one page per string, text embedded with DejaVu Sans so Vietnamese round-trips."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", DEJAVU)
    pdf.set_font("DejaVu", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None, header: str | None = None) -> bytes:
    """A .docx with the paragraphs, then a table (rows of cell strings), and an optional page header."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=max(len(row) for row in table))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    if header is not None:
        document.sections[0].header.paragraphs[0].text = header
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_zip(members: dict[str, bytes]) -> bytes:
    """A deflated ZIP archive holding the members (names may contain "/" and non-ASCII characters)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


TRUSTED_MTA = "mx.sct.example.gov.vn"  # the authserv-id of the front MTA in tests that model one
AUTHENTICATED = {"Authentication-Results": f"{TRUSTED_MTA}; dkim=pass header.d=hanoi.gov.vn; spf=pass"}


def make_message(
    subject: str,
    body: str,
    attachments: list[tuple[str, bytes, str]] | None = None,
    sender: str = "Văn thư Sở <vanthu@so.example.test>",
    to: str = "gateway@example.test",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A MIME message (CRLF line ends, policy.SMTP) with a text body and (filename, bytes, mimetype) files.

    ``message_id`` None makes one up; "" leaves the Message-ID header out. ``headers`` come first (as an MTA
    that added them, e.g. Authentication-Results).
    """
    msg = EmailMessage(policy=policy.SMTP)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime(2025, 3, 3, 8, 15, tzinfo=dt.timezone(dt.timedelta(hours=7))))
    if message_id is None:
        msg["Message-ID"] = make_msgid(domain="so.example.test")
    elif message_id:  # "" leaves the header out
        msg["Message-ID"] = message_id
    msg.set_content(body)
    for filename, data, mimetype in attachments or []:
        maintype, _, subtype = mimetype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return msg.as_bytes(policy=policy.SMTP)


def make_official_pdf(*, organ: tuple[str, ...], number: str, notation: str, place: str, day: str, month: str,
                      year: str, title: str = "", subject: tuple[str, ...] = (), vv: tuple[str, ...] = (),
                      stamp: str = "", addressees: tuple[str, ...] = (), body: str = "Nội dung văn bản.",
                      signer: tuple[str, ...] = (), signer_name: str = "", recipients: tuple[str, ...] = (),
                      received: str = "") -> bytes:
    """An ND30-shaped PDF page: two-column header (agency | Quốc hiệu), số and date, V/v or title, body,
    Nơi nhận on the left and the signer block on the right at the same height. ``received`` is the text
    of a receiving agency's ĐẾN stamp put at the right margin beside the trích yếu."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", DEJAVU)
    pdf.add_font("DejaVu", "B", DEJAVU.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", size=11)
    left, right, y = 15, 100, 15
    for line in organ:
        pdf.set_xy(left, y)
        pdf.cell(80, 6, line, align="C")
        y += 6
    pdf.set_xy(right, 15)
    pdf.cell(95, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C")
    pdf.set_xy(right, 21)
    pdf.cell(95, 6, "Độc lập - Tự do - Hạnh phúc", align="C")
    y = max(y, 27) + 6
    pdf.set_xy(left, y)
    pdf.cell(80, 6, f"Số: {number}/{notation}", align="C")
    pdf.set_xy(right, y)
    pdf.cell(95, 6, f"{place}, ngày {day} tháng {month} năm {year}", align="C")
    y += 7
    for line in vv:
        pdf.set_xy(left, y)
        pdf.cell(80, 6, line, align="C")
        y += 6
    if stamp:
        pdf.set_xy(left, y + 2)
        pdf.cell(40, 7, stamp, border=1, align="C")
        y += 10
    y += 6
    if title:
        pdf.set_font("DejaVu", "B", 13)
        pdf.set_xy(15, y)
        pdf.cell(180, 7, title, align="C")
        y += 7
        pdf.set_font("DejaVu", size=11)
        if received:
            pdf.set_xy(168, y)
            pdf.cell(30, 6, received, border=1)
        for line in subject:
            pdf.set_xy(15, y)
            pdf.cell(180, 6, line, align="C")
            y += 6
    y += 6
    if addressees:
        pdf.set_xy(40, y)
        pdf.cell(130, 6, "Kính gửi: " + (addressees[0] if len(addressees) == 1 else ""))
        y += 6
        if len(addressees) > 1:
            for entry in addressees:
                pdf.set_xy(60, y)
                pdf.cell(130, 6, f"- {entry};")
                y += 6
    pdf.set_xy(15, y + 4)
    pdf.multi_cell(180, 6, body)
    y = pdf.get_y() + 10
    pdf.set_xy(left, y)
    pdf.cell(80, 6, "Nơi nhận:")
    for offset, entry in enumerate(recipients, start=1):
        pdf.set_xy(left, y + 5 * offset)
        pdf.cell(80, 5, f"- {entry};")
    for offset, line in enumerate(signer):
        pdf.set_xy(right + 10, y + 6 * offset)
        pdf.cell(85, 6, line, align="C")
    pdf.set_xy(right + 10, y + 6 * len(signer) + 25)
    pdf.cell(85, 6, signer_name, align="C")
    return bytes(pdf.output())


def scan_of(*pdfs: bytes, angle: float = 1.5, dpi: int = 200, seed: int = 4, speckle: int = 400) -> bytes:
    """The first page of each PDF as one scanned page: an image-only PDF, rotated a little, blurred, speckled."""
    import random

    import pypdfium2 as pdfium
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    images = []
    for pdf_bytes in pdfs:
        document = pdfium.PdfDocument(pdf_bytes)
        image = document[0].render(scale=dpi / 72).to_pil().convert("L")
        document.close()
        image = image.rotate(angle, resample=Image.BICUBIC, fillcolor=255).filter(ImageFilter.GaussianBlur(0.6))
        pixels = image.load()
        for _ in range(image.width * image.height // speckle):  # one speck per ``speckle`` pixels
            pixels[rng.randrange(image.width), rng.randrange(image.height)] = rng.choice((0, 90, 200))
        images.append(image.convert("RGB"))
    out = io.BytesIO()
    images[0].save(out, format="PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return out.getvalue()


def scanned_with(pdf_bytes: bytes, anchor: str, mark, dpi: int = 200) -> bytes:
    """Page 1 scanned in colour at ``dpi`` with ``mark(image, x, y, size)`` drawn on it, where (x, y) is the top
    left of the first ``anchor`` text in pixels and ``size`` its height: a seal, a ring, a scribble."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf_bytes)
    image = document[0].render(scale=dpi / 72).to_pil().convert("RGB")
    text = document[0].get_textpage()
    left, bottom, _, top = text.get_charbox(text.get_text_range().index(anchor))
    height = document[0].get_size()[1]
    document.close()
    image = mark(image, left * dpi / 72, (height - top) * dpi / 72, (top - bottom) * dpi / 72) or image
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=dpi)
    return out.getvalue()


def make_edxml(business: str = "Bussiness", namespace: str = NAMESPACE, doc_type: str = "0", about: str = "",
               reason: str = "", number: str = "2491", subject: str = "V/v kết nối phần mềm quản lý văn bản") -> bytes:
    """An edXML package (QCVN 102:2016) of a công văn with one PDF attachment; both TraceHeader spellings.
    ``doc_type`` 1, 2, 3 make it a recall, update or replacement of the document ``about`` (its DocumentId)."""
    pdf = base64.b64encode(b"%PDF-1.4 test").decode()
    extra = (f"<edXML:DocumentId>{about}</edXML:DocumentId>" if about else "") + \
        (f"<edXML:{business}DocReason>{reason}</edXML:{business}DocReason>" if reason else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML:edXML xmlns:edXML="{namespace}"><edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:MessageHeader>
<edXML:From><edXML:OrganId>000.00.11.H53</edXML:OrganId><edXML:OrganName>Sở Tài chính Tây Ninh</edXML:OrganName></edXML:From>
<edXML:Code><edXML:CodeNumber>{number}</edXML:CodeNumber><edXML:CodeNotation>STC-BCTC</edXML:CodeNotation></edXML:Code>
<edXML:PromulgationInfo><edXML:Place>Tây Ninh</edXML:Place><edXML:PromulgationDate>2019/01/16</edXML:PromulgationDate></edXML:PromulgationInfo>
<edXML:DocumentType><edXML:Type>1</edXML:Type><edXML:TypeName>Công văn</edXML:TypeName></edXML:DocumentType>
<edXML:Subject>{subject}</edXML:Subject>
<edXML:SignerInfo><edXML:Competence>KT. GIÁM ĐỐC</edXML:Competence><edXML:Position>PHÓ GIÁM ĐỐC</edXML:Position><edXML:FullName>Lê Thị Hoa</edXML:FullName></edXML:SignerInfo>
<edXML:DueDate>2019/01/30</edXML:DueDate>
<edXML:ToPlaces><edXML:Place>UBND các huyện</edXML:Place><edXML:Place>Lưu VT</edXML:Place></edXML:ToPlaces>
<edXML:OtherInfo><edXML:Priority>2</edXML:Priority><edXML:PageAmount>3</edXML:PageAmount></edXML:OtherInfo>
</edXML:MessageHeader><edXML:TraceHeaderList><edXML:{business}><edXML:{business}DocType>{doc_type}</edXML:{business}DocType>{extra}</edXML:{business}></edXML:TraceHeaderList></edXML:edXMLHeader>
<edXML:edXMLBody><edXML:edXMLManifest><edXML:Reference><edXML:ContentId>cid:a1</edXML:ContentId><edXML:AttachmentName>cv.pdf</edXML:AttachmentName></edXML:Reference></edXML:edXMLManifest></edXML:edXMLBody>
</edXML:edXMLEnvelope><AttachmentEncoded><Attachment><ContentId>a1</ContentId><ContentTransferEncoded>{pdf}</ContentTransferEncoded></Attachment></AttachmentEncoded></edXML:edXML>""".encode()


# Digits as a hand draws them: pen strokes in a unit box (x right, y down). No font: a hand no model and no
# generator of the bench has seen.
STROKES = {
    "0": [(0.5, 0.0), (0.15, 0.2), (0.08, 0.55), (0.25, 0.92), (0.55, 1.0), (0.85, 0.8), (0.92, 0.4),
          (0.75, 0.08), (0.5, 0.0)],
    "1": [(0.2, 0.3), (0.6, 0.0), (0.55, 1.0)],
    "2": [(0.1, 0.25), (0.35, 0.02), (0.7, 0.03), (0.88, 0.25), (0.78, 0.5), (0.1, 1.0), (0.92, 0.98)],
    "3": [(0.1, 0.1), (0.5, 0.0), (0.85, 0.15), (0.8, 0.35), (0.45, 0.48), (0.85, 0.6), (0.9, 0.85),
          (0.5, 1.0), (0.1, 0.9)],
    "4": [(0.65, 1.0), (0.65, 0.0), (0.05, 0.68), (0.95, 0.68)],
    "5": [(0.85, 0.0), (0.2, 0.0), (0.15, 0.45), (0.6, 0.38), (0.9, 0.6), (0.85, 0.9), (0.45, 1.0),
          (0.1, 0.9)],
    "6": [(0.75, 0.0), (0.3, 0.25), (0.1, 0.7), (0.3, 1.0), (0.75, 0.95), (0.85, 0.65), (0.5, 0.5),
          (0.15, 0.65)],
    "7": [(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)],
    "8": [(0.5, 0.5), (0.15, 0.25), (0.5, 0.0), (0.85, 0.25), (0.5, 0.5), (0.1, 0.75), (0.5, 1.0),
          (0.9, 0.75), (0.5, 0.5)],
    "9": [(0.85, 0.3), (0.5, 0.5), (0.15, 0.3), (0.45, 0.0), (0.85, 0.25), (0.8, 1.0)],
}


def draw_digits(image, left: float, top: float, height: float, text: str, pen: int = 3, slant: float = 0.2,
                ink=(20, 40, 160)) -> None:
    """``text`` drawn by pen strokes on a PIL image, each digit ``height`` tall and leant by ``slant``."""
    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    x = left
    for ch in text:
        width = 0.6 * height
        points = [(x + px * width + slant * (1 - py) * height, top + py * height) for px, py in STROKES[ch]]
        draw.line(points, fill=ink, width=pen, joint="curve")
        x += width + 0.35 * height


def scan_with_handwriting(pdf_bytes: bytes, number: str = "", day: str = "", dpi: int = 200, pen: int = 3,
                          slant: float = 0.2, month: str = "") -> bytes:
    """The PDF's first page as a scan with ``number`` written after "Số:", ``day`` after "ngày" and ``month``
    after "tháng", where the print left them blank (found by the page's own text)."""
    import pypdfium2 as pdfium
    from PIL import ImageFilter

    document = pdfium.PdfDocument(pdf_bytes)
    page = document[0]
    text_page = page.get_textpage()
    text = text_page.get_text_range()
    scale = dpi / 72
    image = page.render(scale=scale).to_pil().convert("RGB")
    height_pt = page.get_height()

    def box(index: int) -> tuple[float, float, float, float]:  # left, top, right, bottom in pixels
        x0, y0, x1, y1 = text_page.get_charbox(index)
        return x0 * scale, (height_pt - y1) * scale, x1 * scale, (height_pt - y0) * scale

    for anchor, digits in (("Số:", number), ("ngày", day), ("tháng", month)):
        if not digits:
            continue
        at = text.find(anchor)
        first = box(at)
        line = first[3] - first[1]
        start = box(at + len(anchor) - 1)[2] + 0.5 * line
        draw_digits(image, start, first[1] - 0.25 * line, 1.3 * line, digits, pen, slant)
    document.close()
    image = image.filter(ImageFilter.GaussianBlur(0.5))
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=dpi)
    return out.getvalue()


def stamped_scan(pdf_bytes: bytes, text: str, anchor: str, right: float, down: float, grey: bool = False,
                 dpi: int = 200) -> bytes:
    """Page 1 scanned with a red framed urgency stamp (``text``: "HỎA TỐC", "KHẨN") set ``right`` and ``down``
    line heights from the first ``anchor`` text, over whatever print is there; ``grey`` scans it in grey."""
    from PIL import Image, ImageChops, ImageDraw, ImageFont

    def stamp(image, x, y, size):
        layer = Image.new("RGB", image.size, "white")
        draw = ImageDraw.Draw(layer)
        font = ImageFont.truetype(DEJAVU.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"), int(1.3 * size))
        left, top = x + right * size, y + down * size
        width = draw.textlength(text, font=font) + size
        draw.rectangle((left, top, left + width, top + 2.4 * size), outline=(215, 30, 35), width=max(3, int(size / 6)))
        draw.text((left + size / 2, top + 0.35 * size), text, font=font, fill=(215, 30, 35))
        out = ImageChops.multiply(image, layer)  # ink over ink stays dark, as on paper
        return out.convert("L").convert("RGB") if grey else out

    return scanned_with(pdf_bytes, anchor, stamp, dpi)


SERIF = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
SERIF_BOLD = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf"


def skewed_header_scan(lines: list[tuple[int, int, str, bool]], angle: float) -> bytes:
    """A 150 dpi scan (PDF) of a header drawn as (x, y, text, bold) lines in 28 px Liberation Serif above a body
    of prose, turned by ``angle`` degrees as a page fed askew."""
    from PIL import Image, ImageDraw, ImageFont

    regular, bold = ImageFont.truetype(SERIF, 28), ImageFont.truetype(SERIF_BOLD, 28)
    image = Image.new("L", (1240, 900), 250)
    draw = ImageDraw.Draw(image)
    for x, y, text, heavy in lines:
        draw.text((x, y), text, font=bold if heavy else regular, fill=20)
    for y in range(320, 860, 40):
        draw.text((120, y), "Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh về đề án vị trí việc làm", font=regular,
                  fill=20)
    scan = io.BytesIO()
    image.rotate(angle, resample=Image.BICUBIC, fillcolor=250).save(scan, "PDF", resolution=150)
    return scan.getvalue()


def with_form_stamps(pdf_bytes: bytes, stamps: list[tuple[str, str, float]]) -> bytes:
    """The PDF with signature fields on page 1 whose appearances print text, as a văn thư's signing software
    stamps the số and the day into a born-digital document's blanks: each (text, anchor, gap) draws ``text``
    ``gap`` points right of the first ``anchor`` on the page, on its line. The page's own text is untouched."""
    import pypdfium2 as pdfium
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    document = pdfium.PdfDocument(pdf_bytes)
    textpage = document[0].get_textpage()
    places = []
    for text, anchor, gap in stamps:
        search = textpage.search(anchor)
        at = search.get_next()
        assert at is not None, anchor
        first, count = at
        right = textpage.get_charbox(first + count - 1)[2]
        _, bottom, _, top = textpage.get_charbox(first)
        places.append((text, right + gap, bottom - 3, top + 3))
    document.close()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    fields = ArrayObject()
    page = writer.pages[0]
    for index, (text, x, bottom, top) in enumerate(places, start=1):
        width, height = 6.5 * len(text) + 4, top - bottom
        appearance = DecodedStreamObject()
        appearance.set_data(f"BT /Helv 11 Tf 2 {height / 4:.1f} Td ({text}) Tj ET".encode())
        appearance.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
                           NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(width),
                                                             FloatObject(height)]),
                           NameObject("/Resources"): DictionaryObject({NameObject("/Font"): DictionaryObject(
                               {NameObject("/Helv"): font})})})
        widget = DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Sig"), NameObject("/T"): TextStringObject(f"Signature{index}"),
            NameObject("/F"): NumberObject(4), NameObject("/P"): page.indirect_reference,
            NameObject("/Rect"): ArrayObject([FloatObject(x), FloatObject(bottom), FloatObject(x + width),
                                              FloatObject(top)]),
            NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(appearance)})})
        reference = writer._add_object(widget)
        page.setdefault(NameObject("/Annots"), ArrayObject()).append(reference)
        fields.append(reference)
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): fields,
                                                                    NameObject("/SigFlags"): NumberObject(3)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
