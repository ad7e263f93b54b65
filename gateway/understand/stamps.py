"""The visible signature stamps of a signed PDF ("Ký bởi: … Cơ quan: … Thời gian ký: …"), read from its text."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from gateway.core.text import fold, nfc
from gateway.understand.layout import end_pages, flattened

log = logging.getLogger(__name__)

# Folded labels; fold keeps the length of NFC text, so spans index the original.
_SIGNER = re.compile(r"(?:ky boi|nguoi ky)\s*:\s*(?P<who>.+?)\s*(?=co quan\s*:|thoi gian ky\s*:|email\s*:|$)",
                     re.DOTALL)
_TIME = re.compile(r"thoi gian ky\s*:\s*(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>(?:19|20)\d\d)"
                   r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?")
_VIETNAM = dt.timezone(dt.timedelta(hours=7))
_PAGES = 2  # stamps sit on the first and the last pages


@dataclass(frozen=True)
class Stamp:
    """One signature stamp as printed: who signed and when (Việt Nam time unless the stamp says otherwise)."""

    signer: str
    signed_at: str  # ISO 8601 with offset, or ""


def parse(text: str) -> tuple[Stamp, ...]:
    """Every stamp in ``text``: a "Ký bởi:"/"Người ký:" with the "Thời gian ký:" that follows it."""
    text = nfc(text).replace("\r\n", "\n")
    folded = fold(text)
    if len(folded) != len(text):
        return ()
    stamps = []
    for match in _SIGNER.finditer(folded):
        who = " ".join(text[match.start("who"):match.end("who")].split())
        when = _TIME.search(folded, match.end())
        signed_at = ""
        if when:
            try:
                signed_at = dt.datetime(int(when["y"]), int(when["m"]), int(when["d"]), int(when["H"] or 0),
                                        int(when["M"] or 0), int(when["S"] or 0), tzinfo=_VIETNAM).isoformat()
            except ValueError:
                signed_at = ""
        if who:
            stamps.append(Stamp(who, signed_at))
    return tuple(stamps)


def read_pdf(payload: bytes) -> tuple[Stamp, ...]:
    """The stamps drawn on the first and last pages, their widget appearances flattened into the page text.

    A signed scan has no other text: its stamp lives in the signature field's appearance, which a text
    page does not show until pdfium flattens it (in memory only; the file is not touched).
    """
    if b"/ByteRange" not in payload:
        return ()
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(payload)
    except pdfium.PdfiumError as err:
        log.debug("stamps not read: %s", err)
        return ()
    try:
        return parse("\n".join(_flattened_texts(pdf)))
    except pdfium.PdfiumError as err:  # a page pdfium cannot load: the fields reader reports the file
        log.debug("stamps not read: %s", err)
        return ()
    finally:
        pdf.close()


def _flattened_texts(pdf) -> list[str]:
    count = len(pdf)
    texts = []
    for index in end_pages(count, _PAGES, _PAGES):
        page = flattened(pdf, index)
        try:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
        finally:
            page.close()
    return texts
