"""Positioned text of a page (PDF text layer or OCR words) split into rows and columns, as DocText streams."""

from __future__ import annotations

import ctypes
import re
import statistics
from dataclasses import dataclass, replace

from gateway.core.text import fold
from gateway.understand.patterns import DocText

HEADER_SHARE = 0.42  # the page-1 header (agency, Quốc hiệu, số, date, V/v) sits in the top 42 % of A4


@dataclass(frozen=True)
class Segment:
    """A run of text on one line, with its box in page units measured from the top-left corner."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    confidence: float = 100.0  # OCR's lowest word confidence in the run (0–100); 100 for a text layer

    def x_at(self, at: int, count: int | None = None) -> float:
        """Where the character at index ``at`` of the text starts, by its share of ``count`` characters (the text's
        own length by default): a box is given for the run, not for its letters."""
        return self.x0 + (self.x1 - self.x0) * at / max(len(self.text) if count is None else count, 1)


def same_line(a: Segment, b: Segment) -> bool:
    """True when ``b``'s middle lies within ``a``'s line (its height and 0.3 of it above and below)."""
    middle = (b.top + b.bottom) / 2
    return a.top - 0.3 * (a.bottom - a.top) <= middle <= a.bottom + 0.3 * (a.bottom - a.top)


def words_after(words, word: Segment) -> list[Segment]:
    """The words right of ``word`` on its line, left to right (handwriting sits higher and lower than print)."""
    # Right of the word's start, not of its end: a box that swallowed handwriting can overlap the next word.
    return sorted((w for w in words if w is not word and same_line(word, w) and w.x0 > word.x0 + 2),
                  key=lambda w: w.x0)


Turn = tuple[float, float, float]  # degrees, then the centre's x and y as shares of the page
NO_TURN: Turn = (0.0, 0.5, 0.5)  # a page read as drawn


@dataclass(frozen=True)
class PageText:
    """The segments of one page and the page's size."""

    width: float
    height: float
    segments: tuple[Segment, ...]
    # the turn (degrees; centre x, y as shares of the page) that straightened a skewed scan before OCR read it:
    # a box in these coordinates lies turned by as much on the page as drawn (see ocr.read_line)
    turn: Turn = NO_TURN

    @property
    def has_text(self) -> bool:
        return sum(len(s.text.strip()) for s in self.segments) >= 3


_WORD_OR_BREAK = re.compile(r"[^\s]+|[\r\n]")


def pdfium_page(page, textpage=None) -> PageText:
    """The text-layer segments of a pypdfium2 page: runs of words on one baseline without a wide gap.

    Built from the boxes of each word's first and last character rather than from pdfium's text
    rectangles, which split words where the font changes (gluing words together or tearing one apart);
    per word rather than per character because this runs for every page of every PDF that arrives.
    """
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    kept = textpage is not None  # the caller's, left open for it
    textpage = textpage or page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count)[:count] if count else ""
        segments: list[Segment] = []
        rect = pdfium_c.FS_RECTF()
        rect_ref, char_box, handle = ctypes.byref(rect), pdfium_c.FPDFText_GetLooseCharBox, textpage.raw
        words: list[str] = []
        x0 = x1 = y_top = y_bottom = 0.0
        for match in _WORD_OR_BREAK.finditer(text):
            start, end = match.span()
            word = text[start:end]
            if word == "\r" or word == "\n":
                if words:
                    _close(words, x0, x1, y_top, y_bottom, segments)
                    words = []
                continue
            char_box(handle, start, rect_ref)
            left, top, bottom = rect.left, height - rect.top, height - rect.bottom
            if end - start > 1:
                char_box(handle, end - 1, rect_ref)
                if height - rect.top < top:
                    top = height - rect.top
            right = rect.right
            if words:
                size = bottom - top if bottom - top > 1.0 else 1.0
                if abs(bottom - y_bottom) < 0.5 * size and -2 * size < left - x1 < 1.2 * size:
                    words.append(word)
                    if right > x1:
                        x1 = right
                    if top < y_top:
                        y_top = top
                    continue
                _close(words, x0, x1, y_top, y_bottom, segments)
            words, x0, x1, y_top, y_bottom = [word], left, right, top, bottom
        if words:
            _close(words, x0, x1, y_top, y_bottom, segments)
    finally:
        if not kept:
            textpage.close()
    return PageText(width, height, tuple(segments))


def end_pages(count: int, first: int, last: int) -> list[int]:
    """Indexes of the ``first`` and the ``last`` pages of a ``count``-page document, in order, each once."""
    return sorted(set(range(min(count, first))) | set(range(max(0, count - last), count)))


def page_text(pdf, index: int, kept=None) -> PageText:
    """The text-layer segments of page ``index`` of an open pypdfium2 document (the page is closed after), or of
    ``kept``, a (page, text page) the caller keeps open."""
    if kept is not None:
        return pdfium_page(*kept)
    page = pdf[index]
    try:
        return pdfium_page(page)
    finally:
        page.close()


def flattened(pdf, index: int):
    """Page ``index`` of an open pypdfium2 document with its annotations' appearances (form fields, the stamps
    of signatures) made part of its content, freshly loaded: pdfium shows flattened content only in a page
    loaded after it. Only the document in memory changes, never the file; the caller closes the page."""
    import pypdfium2.raw as pdfium_c

    page = pdf[index]
    pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_NORMALDISPLAY)
    page.close()
    return pdf[index]


def flattened_text(pdf, index: int) -> PageText:
    """The text-layer segments of page ``index`` with the text its form fields and signature stamps print."""
    page = flattened(pdf, index)
    try:
        return pdfium_page(page)
    finally:
        page.close()


def _close(words: list[str], x0: float, x1: float, top: float, bottom: float, segments: list[Segment]) -> None:
    text = " ".join(words)
    if text:
        segments.append(Segment(text, x0, x1, top, bottom))


def rows(page: PageText, x_from: float = 0.0, x_to: float | None = None, y_from: float = 0.0,
         y_to: float | None = None, split_gap: float = 0.06) -> list[list[Segment]]:
    """Segments inside the box grouped into rows (top to bottom), each row's segments left to right.

    Two segments of one row further apart than ``split_gap`` × page width stay separate items of the row, so
    that callers can tell the columns apart.
    """
    x_to = page.width if x_to is None else x_to
    y_to = page.height if y_to is None else y_to
    inside = [s for s in page.segments if x_from <= (s.x0 + s.x1) / 2 <= x_to and y_from <= (s.top + s.bottom) / 2 <= y_to]
    inside.sort(key=lambda s: ((s.top + s.bottom) / 2, s.x0))
    grouped: list[list[Segment]] = []
    top = bottom = 0.0  # the extent of the last row so far
    for segment in inside:
        middle = (segment.top + segment.bottom) / 2
        if grouped and top - 1 <= middle <= bottom + 1:
            grouped[-1].append(segment)
            if segment.top < top:
                top = segment.top
            if segment.bottom > bottom:
                bottom = segment.bottom
            continue
        grouped.append([segment])
        top, bottom = segment.top, segment.bottom
    return [_merge_row(sorted(row, key=lambda s: s.x0), split_gap * page.width) for row in grouped]


def _merge_row(row: list[Segment], gap: float) -> list[Segment]:
    merged = [row[0]]
    for segment in row[1:]:
        last = merged[-1]
        if segment.x0 - last.x1 <= gap:
            merged[-1] = Segment(f"{last.text} {segment.text}", last.x0, max(last.x1, segment.x1),
                                 min(last.top, segment.top), max(last.bottom, segment.bottom))
        else:
            merged.append(segment)
    return merged


def lines_of(grouped: list[list[Segment]]) -> list[str]:
    """Rows as text lines, with "" where the vertical gap is much larger than the usual line spacing."""
    if not grouped:
        return []
    heights = [max(s.bottom for s in row) - min(s.top for s in row) for row in grouped]
    usual = statistics.median(heights) or 1.0
    out: list[str] = []
    previous_bottom = None
    for row in grouped:
        top = min(s.top for s in row)
        if previous_bottom is not None and top - previous_bottom > 0.9 * usual:
            out.append("")
        out.append(" ".join(s.text for s in row))
        previous_bottom = max(s.bottom for s in row)
    return out


def column(page: PageText, side: str, y_from: float, y_to: float,
           parts: list[Segment] | None = None) -> list[str]:
    """Lines of the left or right half of a band of the page, by where each segment's centre lies.

    Segments reaching well into both halves (body text, a centred title) belong to neither. ``parts``: the
    page's segments with the mottos cut apart (``apart(page)``), when the caller already has them.
    """
    middle = page.width / 2
    reach = page.width * 0.12
    chosen = [s for s in (apart(page) if parts is None else parts)
              if ((s.x0 + s.x1) / 2 < middle if side == "left" else (s.x0 + s.x1) / 2 >= middle)
              and not (s.x0 < middle - reach and s.x1 > middle + reach)]
    half = PageText(page.width, page.height, tuple(chosen))
    return lines_of(rows(half, y_from=y_from, y_to=y_to))


def apart(page: PageText) -> list[Segment]:
    """The page's segments, each run of an agency into the Quốc hiệu or Tiêu ngữ cut in two (_motto_apart), and
    a line OCR ran on into the rule under it cut at the rule when it reached into both halves (without_rule)."""
    middle, reach = page.width / 2, page.width * 0.12
    return [without_rule(part) if part.x0 < middle - reach and part.x1 > middle + reach else part
            for whole in page.segments for part in _motto_apart(whole)]


_RULE_TAIL = re.compile(r"\s*[-_.…—–=~<>,·]{8,}[-_.…—–=~<>,·\s]*$")


def without_rule(segment: Segment) -> Segment:
    """A segment without the rule OCR read after its words as dots or dashes ("SỞ TÀI NGUYÊN VÀ MÔI……"), its box
    cut pro rata of the characters; as it was when it has no such tail or nothing but the tail."""
    match = _RULE_TAIL.search(segment.text)
    if match is None or sum(c.isalpha() for c in segment.text[:match.start()]) < 2:
        return segment
    cut = segment.x_at(match.start())
    return replace(segment, text=segment.text[:match.start()], x1=cut)


_MOTTO_START = re.compile(r"(?<= )Độc lập\b")


def _motto_apart(segment: Segment) -> tuple[Segment, ...]:
    """A segment that runs an agency's line into the Quốc hiệu or the Tiêu ngữ beside it, as two: the cells
    of a two-column header table come out of a PDF's text as one line ("CỤC XÚC TIẾN THƯƠNG MẠI Độc lập - Tự
    do - Hạnh phúc"), which reaches into both halves and would belong to neither column. The box is cut
    pro rata of the characters."""
    text = segment.text
    folded = fold(text)
    if len(folded) != len(text):
        return (segment,)
    at = min((i for i in (folded.find(m) for m in ("cong hoa xa hoi", "doc lap - tu do", "doc lap tu do")) if i > 0),
             default=-1)
    if at <= 0:  # the Tiêu ngữ's first words alone, after an agency in capitals: OCR cut it at its hyphens
        alone = _MOTTO_START.search(text)
        at = alone.start() if alone and text[:alone.start()].isupper() else -1
    if at <= 0 or not text[:at].strip():
        return (segment,)
    cut = segment.x_at(at, len(text))
    return (replace(segment, text=text[:at].rstrip(), x1=cut), replace(segment, text=text[at:], x0=cut))


def doc_text(pages: list[PageText], extra_lines: list[str] | None = None) -> DocText:
    """The DocText of a document: every page in reading order plus the header and signature columns.

    The signature zone is searched from the last page with text backwards (a document may end on a blank
    page, or carry an annex after the signature), taking the lower part of the first page with a signer.
    """
    lines: list[str] = []
    for page in pages:
        lines += lines_of(rows(page)) + [""]
    if extra_lines:
        lines += extra_lines
    header_left: list[str] = []
    header_right: list[str] = []
    cut: dict[int, list[Segment]] = {}  # each page's segments cut apart once, for all its columns

    def parts(index: int) -> list[Segment]:
        if index not in cut:
            cut[index] = apart(pages[index])
        return cut[index]

    if pages and pages[0].has_text:
        first = pages[0]
        header_left = column(first, "left", 0, first.height * HEADER_SHARE, parts(0))
        header_right = column(first, "right", 0, first.height * HEADER_SHARE, parts(0))
    tail_left: list[str] = []
    tail_right: list[str] = []
    for index in reversed([i for i, p in enumerate(pages) if p.has_text][-3:]):
        page = pages[index]
        tail_left = column(page, "left", 0, page.height, parts(index)) + tail_left
        tail_right = column(page, "right", 0, page.height, parts(index)) + tail_right
    center = centred(pages[0]) if pages and pages[0].has_text else []
    return DocText(tuple(lines), tuple(header_left), tuple(header_right), tuple(tail_left), tuple(tail_right),
                   tuple(center))


def centred(page: PageText) -> list[str]:
    """Lines of the runs centred on the page (within 10 % of the width), as the type name and trích yếu are."""
    middle, slack = page.width / 2, page.width * 0.12
    chosen = [[s for s in row if abs((s.x0 + s.x1) / 2 - middle) <= slack] for row in rows(page, split_gap=0.04)]
    return lines_of([row for row in chosen if row])
