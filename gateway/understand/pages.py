"""The full text of a scanned PDF's pages that have no text layer, read a few pages at a time by OCR."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.understand import ocr
from gateway.understand.layout import doc_text, page_text


@dataclass(frozen=True)
class PagesRead:
    """What one chunk of background OCR read: the text, how many pages it OCRed, and where the next chunk starts."""

    text: str
    pages_read: int
    next_page: int
    total_pages: int

    @property
    def finished(self) -> bool:
        return self.next_page >= self.total_pages


def scanned_pages_text(payload: bytes, start: int, count: int, dpi: int, seconds: float = 1.0) -> PagesRead:
    """OCR up to ``count`` pages without a text layer, from page index ``start`` on, stopping after the page
    that takes the time past ``seconds`` (at least one page is read); pages joined by form feeds."""
    import time

    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(payload)
    texts: list[str] = []
    index = start
    deadline = time.monotonic() + seconds
    try:
        total = len(pdf)
        while index < total and len(texts) < count and (not texts or time.monotonic() < deadline):
            if not page_text(pdf, index).has_text:
                seen = ocr.ocr_region(pdf, index, 1.0, dpi)
                texts.append("\n".join(line for line in doc_text([seen.page]).lines if line))
            index += 1
    finally:
        pdf.close()
    return PagesRead("\n\f\n".join(texts).strip(), len(texts), index, total)
