"""The text layer of a PDF, read with pypdfium2 (fast) and pypdf as the fallback; OCR plugs in later."""

from __future__ import annotations

import logging

from gateway.core.config import LimitsConfig
from gateway.core.text import clean_text
from gateway.extract.reading import Reading, from_text

log = logging.getLogger(__name__)

_PASSWORD_HINTS = ("password", "security", "encrypt")


class _Encrypted(Exception):
    """The PDF needs a password (or a certificate) that we do not have."""


class OpenPdfs:
    """The PDFs of one message, each opened once with pypdfium2, and the text pages of their first and last pages
    (those the field reader reads too) loaded once: the text and then the fields are read from them in the same
    process. close() frees them all; a page in neither range is loaded and freed as before."""

    def __init__(self, first: int, last: int) -> None:
        self.first, self.last = first, last
        self._documents: dict[bytes, tuple[object, dict[int, tuple[object, object]]]] = {}

    def document(self, payload: bytes):
        """The open pypdfium2 document of ``payload`` (opened on first use; PdfiumError as PdfDocument raises)."""
        import pypdfium2 as pdfium

        if payload not in self._documents:
            self._documents[payload] = (pdfium.PdfDocument(payload), {})
        return self._documents[payload][0]

    def textpage(self, payload: bytes, index: int):
        """(page, text page) of page ``index``, kept open when it is one of the first or last pages, else None."""
        document = self.document(payload)
        pages = self._documents[payload][1]
        if self.first <= index < len(document) - self.last:
            return None
        if index not in pages:
            page = document[index]
            pages[index] = (page, page.get_textpage())
        return pages[index]

    def close(self) -> None:
        for document, pages in self._documents.values():
            for page, textpage in pages.values():
                textpage.close()
                page.close()
            document.close()
        self._documents.clear()


def read_pdf(payload: bytes, limits: LimitsConfig, pdfs: OpenPdfs | None = None) -> Reading:
    """Text of every page (up to limits.pdf_max_pages); "encrypted" when a user password is required.

    With ``pdfs`` the document and its end pages are taken from (and left open in) it."""
    try:
        pages, total = _pdfium_pages(payload, limits.pdf_max_pages, pdfs)
    except _Encrypted as err:
        return Reading("encrypted", detail=f"password required ({err})")
    except Exception as err:  # pdfium raises PdfiumError and a few others; pypdf gets a second chance
        log.debug("pdfium could not read the PDF (%s); trying pypdf", err)
        try:
            pages, total = _pypdf_pages(payload, limits.pdf_max_pages)
        except _Encrypted as err2:
            return Reading("encrypted", detail=f"password required ({err2})")
        except Exception as err2:  # pypdf raises many types on broken files
            return Reading("broken", detail=f"pdfium: {err}; pypdf: {err2.__class__.__name__}: {err2}")
    return _reading(pages, total, limits)


def _reading(pages: list[str], total: int, limits: LimitsConfig) -> Reading:
    text = "\n\f\n".join(pages).strip()
    missing = pages_without_text(pages)
    if total > len(pages):
        detail = f"pdf_max_pages ({limits.pdf_max_pages}): read {len(pages)} of {total} pages"
        return Reading("limit", text, detail, total)
    if not text.strip():
        return Reading("empty", "", f"no text layer on {len(missing)} of {total} pages (scanned?)", total)
    detail = f"no text layer on pages {_page_list(missing)}" if missing else ""
    return from_text(text, total, detail)


def pages_without_text(pages: list[str]) -> list[int]:
    """Indexes (from 0) of pages whose text layer is empty: these are the pages to OCR.

    OCR SEAM: a later issue renders exactly these pages (pypdfium2 ``page.render().to_pil()``), runs OCR
    on them and puts the result in place of the empty strings before ``_reading`` joins the pages.
    """
    return [index for index, text in enumerate(pages) if len(text.strip()) < 3]


def _page_list(indexes: list[int]) -> str:
    shown = ", ".join(str(i + 1) for i in indexes[:20])
    return shown + (" …" if len(indexes) > 20 else "")


def _clean(text: str) -> str:
    """A page's text: clean, and without form feeds (the pages themselves are joined by form feeds)."""
    return clean_text(text).replace("\f", "\n")


def _pdfium_pages(payload: bytes, max_pages: int, pdfs: OpenPdfs | None = None) -> tuple[list[str], int]:
    """Per-page text with pypdfium2; an empty user password is tried automatically by PDFium."""
    import pypdfium2 as pdfium

    try:
        document = pdfs.document(payload) if pdfs is not None else pdfium.PdfDocument(payload)
    except pdfium.PdfiumError as err:
        if any(hint in str(err).lower() for hint in _PASSWORD_HINTS):
            raise _Encrypted(str(err)) from err
        raise
    try:
        total = len(document)
        pages = [_pdfium_page_text(document, index, pdfs and pdfs.textpage(payload, index))
                 for index in range(min(total, max_pages))]
    finally:
        if pdfs is None:
            document.close()
    return pages, total


def _pdfium_page_text(document, index: int, kept=None) -> str:
    if kept is not None:  # (page, text page) kept open for the field reader
        return _clean(kept[1].get_text_range())
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            return _clean(textpage.get_text_range())
        finally:
            textpage.close()
    finally:
        page.close()


def _pypdf_pages(payload: bytes, max_pages: int) -> tuple[list[str], int]:
    """Per-page text with pypdf, decrypting with the empty password when the file is encrypted."""
    import io

    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(payload))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _Encrypted("the empty user password does not open it")
    except NotImplementedError as err:  # certificate (public-key) security handler
        raise _Encrypted(str(err)) from err
    total = len(reader.pages)
    pages = [_clean(reader.pages[index].extract_text() or "") for index in range(min(total, max_pages))]
    return pages, total
