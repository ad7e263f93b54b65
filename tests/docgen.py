"""Generators of test inputs (PDF, DOCX, ZIP, e-mail) so the suite needs no files from outside the repo."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

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


def make_message(
    subject: str,
    body: str,
    attachments: list[tuple[str, bytes, str]] | None = None,
    sender: str = "Văn thư Sở <vanthu@so.example.test>",
    to: str = "gateway@example.test",
    message_id: str | None = None,
) -> bytes:
    """A MIME message (CRLF line ends, policy.SMTP) with a text body and (filename, bytes, mimetype) files.

    ``message_id`` None makes one up; "" leaves the Message-ID header out.
    """
    msg = EmailMessage(policy=policy.SMTP)
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
