"""OCR of scanned pages with Tesseract kept loaded (tesserocr): render with pypdfium2, clean with OpenCV, read words."""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import logging
import os
from dataclasses import dataclass, field

from gateway.core.errors import ExtractionError
from gateway.core.text import nfc
from gateway.understand.layout import NO_TURN, PageText, Segment, Turn

log = logging.getLogger(__name__)

DPI = 300
MAX_PIXELS = 40_000_000  # an A4 page at 300 dpi is 8.7 million
_SKEW_ANGLES = tuple(a / 2 for a in range(-8, 9))  # -4° … 4° in half degrees


@dataclass(frozen=True)
class OcrPage:
    """The words OCR read in one region of one page, as segments in page pixels."""

    page_index: int
    region: str  # "top", "page"
    page: PageText
    seconds: float
    skew: float = 0.0
    words: tuple[Segment, ...] = ()  # every word with its box, for reading handwritten digits again
    image: object = field(default=None, repr=False, compare=False)  # the cleaned image (PIL), region only
    red: tuple[str, ...] = ()  # the text of red stamps on the region (read apart: the red channel hides them)


TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata")


def tessdata_folder() -> str | None:
    """The folder of the traineddata files holding vie: $TESSDATA_PREFIX when set (as for tesseract itself),
    else Debian's; None when it is not there."""
    prefix = (os.environ.get("TESSDATA_PREFIX") or "").rstrip("/")
    for folder in (prefix,) if prefix else TESSDATA_DIRS:
        if folder and os.path.isfile(os.path.join(folder, "vie.traineddata")):
            return folder
    return None


@functools.lru_cache(maxsize=1)
def available() -> bool:
    """True when tesserocr imports and the Vietnamese traineddata is installed (asked once per process)."""
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return False
    return tessdata_folder() is not None


class Engine:
    """Tesseract loaded once per process (tesserocr): Vietnamese words, and digits alone for handwriting.

    Loading the models costs as much as reading a page header, so the worker's reading child keeps them
    for every document it reads; a lock keeps two threads off one API object.
    """

    def __init__(self, tessdata: str) -> None:
        import threading

        os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # threads cost more than they give on 2 cores
        import tesserocr

        self._tesserocr = tesserocr
        self._lock = threading.Lock()
        self._words = tesserocr.PyTessBaseAPI(path=tessdata, lang="vie", psm=tesserocr.PSM.AUTO)
        self._words.SetVariable("tessedit_do_invert", "0")  # no white-on-black text in ND30; 15 % faster
        self._digits = tesserocr.PyTessBaseAPI(path=tessdata, lang="eng", psm=tesserocr.PSM.SINGLE_LINE)
        self._digits.SetVariable("tessedit_char_whitelist", "0123456789")

    @staticmethod
    def _set(api, image, dpi: int) -> None:
        gray = image.convert("L")
        api.SetImageBytes(gray.tobytes(), gray.width, gray.height, 1, gray.width)
        api.SetSourceResolution(dpi)

    def tsv(self, image, dpi: int = DPI, sparse: bool = False) -> str:
        """Tesseract's TSV (level, …, conf, text) of the words on ``image``, page segmentation automatic (or
        sparse: every bit of text wherever it stands, which finds a line the page layout took for noise)."""
        with self._lock:
            if sparse:
                self._words.SetPageSegMode(self._tesserocr.PSM.SPARSE_TEXT)
            try:
                self._set(self._words, image, dpi)
                return self._words.GetTSVText(0) or ""
            finally:
                self._words.SetPageSegMode(self._tesserocr.PSM.AUTO)

    def line(self, image, dpi: int = DPI) -> str:
        """The text of ``image`` read as one line."""
        with self._lock:
            self._words.SetPageSegMode(self._tesserocr.PSM.SINGLE_LINE)
            try:
                self._set(self._words, image, dpi)
                return self._words.GetUTF8Text() or ""
            finally:
                self._words.SetPageSegMode(self._tesserocr.PSM.AUTO)

    def digits(self, image, single_word: bool = False) -> str:
        """The digits on ``image`` read as a line (or as one word)."""
        mode = self._tesserocr.PSM.SINGLE_WORD if single_word else self._tesserocr.PSM.SINGLE_LINE
        with self._lock:
            self._digits.SetPageSegMode(mode)
            self._set(self._digits, image, DPI)
            return "".join(c for c in (self._digits.GetUTF8Text() or "") if c.isdigit())


@functools.lru_cache(maxsize=1)
def engine() -> Engine:
    """This process's Tesseract (loaded on first use)."""
    folder = tessdata_folder()
    if folder is None:
        raise ExtractionError("tesseract's Vietnamese data is not installed (Debian package tesseract-ocr-vie)")
    try:
        return Engine(folder)
    except (ImportError, RuntimeError) as err:
        raise ExtractionError(f"tesseract cannot be loaded: {err}") from err


def render(pdf, index: int, dpi: int = DPI):
    """Page ``index`` of an open pypdfium2 document as a grayscale PIL image, with form fields and stamps drawn.

    The grey is the red channel: the red seal stamped over the signer's title turns pale and stops hiding
    the black print under it.
    """
    return red_channel(render_colour(pdf, index, dpi))


def render_colour(pdf, index: int, dpi: int = DPI):
    """Page ``index`` as an RGB PIL image at ``dpi`` (capped at MAX_PIXELS), form fields drawn."""
    page = pdf[index]
    try:
        image = page.render(scale=_scale(*page.get_size(), dpi), may_draw_forms=True)
        return image.to_pil().convert("RGB")
    finally:
        page.close()


def red_channel(image):
    """The grey of a colour page OCR reads best: its red channel, where red seals and stamps turn pale."""
    return image.getchannel("R") if image.mode == "RGB" else image.convert("L")


def _scale(width: float, height: float, dpi: int) -> float:
    """pdfium's render scale for a page of ``width`` × ``height`` points at ``dpi``, capped at MAX_PIXELS.

    A page declared metres wide (a "bomb" PDF) would need gigabytes at 300 dpi: the pixel count is capped.
    """
    return min(dpi / 72, 0.999 * (MAX_PIXELS / max(width * height, 1.0)) ** 0.5)  # 0.999: pdfium rounds up


def clean(image, pale_out: bool = False):
    """Despeckled, contrast stretched and straightened (±4°) grey for tesseract, which thresholds it itself.

    A threshold of our own cost letters: on blurred or JPEG-noised scans it broke the thin hyphen of a ký
    hiệu ("BCT-KTTH" read "BCTKTTH") and closed the narrow word gaps of a Times header ("SỞCÔNGTHƯƠNG");
    tesseract's recogniser reads the grey, and its own binarisation only finds the lines. ``pale_out``
    whitens what is paler than the print (a seal over the signer's name), keeping the grey of the print.
    """
    import cv2
    import numpy as np
    from PIL import Image

    gray = np.asarray(image.convert("L"))
    gray = cv2.medianBlur(gray, 3)  # scanner dust reads as letters otherwise
    low, high = int(gray.min()), int(gray.max())
    if high > low:  # no cut-off: it would blacken a nearly blank page's grey
        gray = cv2.convertScaleAbs(gray, alpha=255.0 / (high - low), beta=-low * 255.0 / (high - low))
    skew = estimate_skew(gray)
    if skew:
        height, width = gray.shape
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), skew, 1.0)
        gray = cv2.warpAffine(gray, turn, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)
    if pale_out:
        # Otsu alone fails on a nearly blank page (it splits paper from grey dust, not ink from paper).
        otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        gray = np.where(gray >= min(max(int(otsu), 90), 170), 255, gray).astype(np.uint8)
    return Image.fromarray(gray), skew


def without_body(image, dpi: int = DPI, keep_top: float = 0.25):
    """``image`` with the lines of body text whitened below its top ``keep_top``: a signer's page is read for
    its two columns (Nơi nhận, the signer's block), and recognising the body's lines cost two thirds of it.

    A body line is a row of words, joined across their gaps, that reaches well into both halves of the page
    and is no higher than a line; the columns never do (layout.column leaves such lines out of them). The top
    stays: an attached document's Quốc hiệu, centred, shows where it starts.
    """
    import cv2
    import numpy as np
    from PIL import Image

    gray = np.asarray(image.convert("L"))
    height, width = gray.shape
    ink = (gray < 128).astype(np.uint8)
    joined = cv2.dilate(ink, np.ones((1, max(3, int(dpi * 0.12))), np.uint8))  # word gaps, not column gaps
    count, labels, boxes, _ = cv2.connectedComponentsWithStats(joined)
    middle, reach = width / 2, width * 0.12
    # What may go in a body line's band: the line itself, and specks as small as a tone mark above or below
    # it; a line of another kind that comes close (a signer's title under the last body line) stays.
    goes = boxes[:, 3] < dpi * 0.06
    goes[0] = True
    band = np.zeros_like(gray, dtype=bool)
    for label, (x, y, w, h, _) in enumerate(boxes[1:count], start=1):
        if y > height * keep_top and h <= dpi * 0.3 and x < middle - reach and x + w > middle + reach:
            goes[label] = True
            band[max(0, y - int(0.4 * h)):y + h + int(0.3 * h) + 2, x:x + w] = True  # with the tones above, below
    out = np.where(band & goes[labels], 255, gray).astype(np.uint8)
    return Image.fromarray(out)


def estimate_skew(gray) -> float:
    """The rotation (degrees) that makes the text rows sharpest: the variance of the row darkness peaks."""
    import cv2
    import numpy as np

    gray = np.asarray(gray) if not isinstance(gray, np.ndarray) else gray
    if gray.ndim != 2 or gray.shape[0] < 8 or gray.shape[1] < 8:
        return 0.0
    small = cv2.resize(gray, (max(1, gray.shape[1] // 4), max(1, gray.shape[0] // 4)), interpolation=cv2.INTER_AREA)
    ink = (small < 160).astype(np.float32)
    height, width = ink.shape
    best, best_score = 0.0, -1.0
    for angle in _SKEW_ANGLES:
        if angle:
            turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
            turned = cv2.warpAffine(ink, turn, (width, height), flags=cv2.INTER_NEAREST, borderValue=0)
        else:
            turned = ink
        score = float(turned.sum(axis=1).var())
        if score > best_score * 1.02:  # prefer 0° unless another angle is clearly better
            best, best_score = angle, score
    return best


def read_words(image, offset_y: int = 0, full_size: tuple[int, int] | None = None) -> PageText:
    """Tesseract's words (TSV) grouped into its lines, as a PageText in the full page's pixel coordinates."""
    return _read(image, offset_y, full_size)[0]


def _read(image, offset_y: int = 0, full_size: tuple[int, int] | None = None,
          dpi: int = DPI) -> tuple[PageText, list[Segment]]:
    try:
        tsv = engine().tsv(image, dpi)
    except RuntimeError as err:
        raise ExtractionError(f"tesseract failed: {err}") from err
    width, height = full_size or image.size
    segments, words = _segments(_TSV_HEADER + tsv, offset_y)
    return PageText(width, height, tuple(segments)), words


_TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"


def native_dpi(pdf, index: int) -> float | None:
    """The resolution of the scan on page ``index`` (its widest image), or None for a page without one."""
    import pypdfium2.raw as pdfium_c

    page = pdf[index]
    try:
        width = page.get_size()[0]
        best = None
        for image in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
            left, _, right, _ = image.get_bounds()
            if right - left > 0.5 * width:
                dpi = image.get_px_size()[0] / ((right - left) / 72)
                best = max(best or 0.0, dpi)
        return best
    finally:
        page.close()


def read_line(pdf, index: int, box: tuple[float, float, float, float], dpi: int = DPI, ink_only: bool = False,
              no_rule: bool = False, turn: Turn = NO_TURN) -> str:
    """One line of text in ``box`` (fractions of the page: left, top, right, bottom), rendered alone at ``dpi``.

    A page read at a lower resolution gets the tones of a short line wrong where this closer look, as a
    single line (--psm 7), gets them right; only the box is rendered, so it costs a fifth of a page.
    ``ink_only``: what is paler than print is whitened and only the darkest grey kept (a seal over the line,
    red or scanned in grey, goes; see sparse_region). ``no_rule``: a rule under the line goes (whiten_rule).
    ``turn``: the box was measured on the page straightened by that turn (PageText.turn); it is cut from the
    page turned so too.
    """
    page = pdf[index]
    try:
        width, height = page.get_size()
        scale = _scale(width, height, dpi)
        left, top, right, bottom = (min(max(v, 0.0), 1.0) for v in box)
        if (right - left) * width * scale < 8 or (bottom - top) * height * scale < 8:
            return ""  # pdfium refuses a crop without pixels, and tesseract reads nothing in a speck
        if turn[0]:
            image = _turned_box(page, (left, top, right, bottom), scale, turn)
        else:
            crop = (left * width, (1 - bottom) * height, (1 - right) * width, top * height)
            image = page.render(scale=scale, crop=crop, may_draw_forms=True).to_pil().convert("RGB").getchannel("R")
    finally:
        page.close()
    cleaned, _ = clean(image, pale_out=ink_only)
    if ink_only:
        cleaned = cleaned.point(lambda v: 0 if v < INK else 255)
    if no_rule:
        cleaned = whiten_rule(cleaned)
    try:
        return nfc(" ".join(engine().line(cleaned, dpi).split()))
    except (RuntimeError, ExtractionError):
        return ""


def _turned_box(page, box: tuple[float, float, float, float], scale: float, turn: Turn):
    """The grey of ``box`` (shares of the straightened page) cut from the page turned by ``turn`` as clean() turned
    it: on a scan skewed by 1°, a box of the straightened page's coordinates cut from the page as drawn lies a
    line off at its ends (the row above or below, the scanner's shadow, instead of the Số line)."""
    import cv2
    import numpy as np
    from PIL import Image

    width, height = page.get_size()
    pixels_w, pixels_h = width * scale, height * scale
    angle, centre_x, centre_y = turn
    straighten = cv2.getRotationMatrix2D((centre_x * pixels_w, centre_y * pixels_h), angle, 1.0)
    left, top, right, bottom = box[0] * pixels_w, box[1] * pixels_h, box[2] * pixels_w, box[3] * pixels_h
    corners = np.array([[left, top], [right, top], [left, bottom], [right, bottom]], dtype=np.float64)
    drawn = cv2.transform(corners[None], cv2.invertAffineTransform(straighten))[0]  # where they lie as drawn
    x0, y0 = (max(0.0, v - 2) for v in drawn.min(axis=0))
    x1, y1 = min(pixels_w, drawn[:, 0].max() + 2), min(pixels_h, drawn[:, 1].max() + 2)
    crop = (x0 / scale, height - y1 / scale, width - x1 / scale, y0 / scale)
    grey = np.asarray(page.render(scale=scale, crop=crop, may_draw_forms=True).to_pil().convert("RGB").getchannel("R"))
    # the same turn, about the same centre, in the cut's own coordinates
    moved = straighten.copy()
    moved[:, 2] += straighten[:, :2] @ np.array([x0, y0]) - np.array([x0, y0])
    turned = cv2.warpAffine(grey, moved, (grey.shape[1], grey.shape[0]), flags=cv2.INTER_LINEAR, borderValue=255)
    cut = turned[max(0, int(top - y0)):max(0, int(bottom - y0)), max(0, int(left - x0)):max(0, int(right - x0))]
    return Image.fromarray(np.ascontiguousarray(cut))


def whiten_rule(image):
    """A line's image with the flat marks below its letters whitened: the rule under ô 2's last line (a
    drawn line, or a row of hyphens "-------") that OCR reads as letters of the line or runs the line into.

    A mark goes when it starts below the middle of the line's letters, is flat (under a sixth of their
    height) and at least twice as wide as high: a dot under a letter (nặng, Ạ) is about as wide as high.
    """
    import cv2
    import numpy as np
    from PIL import Image

    gray = np.asarray(image.convert("L"))
    ink = (gray < 128).astype(np.uint8)
    count, labels, boxes, _ = cv2.connectedComponentsWithStats(ink)
    if count < 3:
        return image
    heights = boxes[1:, 3]
    tall = heights >= 0.5 * heights.max()
    letters = boxes[1:][tall]
    middle = float(np.median(letters[:, 1] + letters[:, 3] / 2))
    size = float(np.median(letters[:, 3]))
    goes = np.zeros(count, dtype=bool)
    for label, (x, y, w, h, _) in enumerate(boxes[1:count], start=1):
        goes[label] = y > middle and h < size / 6 and w >= 2 * h and w >= 3
    if not goes.any():
        return image
    return Image.fromarray(np.where(goes[labels], 255, gray).astype(np.uint8))


def box_crop(image, box: tuple[float, float, float, float]):
    """The part of a page image inside ``box`` (clipped to the page), or None when under 8 pixels either way."""
    x0, top, x1, bottom = (int(v) for v in box)
    x0, top, x1, bottom = max(0, x0), max(0, top), min(image.width, x1), min(image.height, bottom)
    if x1 - x0 < 8 or bottom - top < 8:
        return None
    return image.crop((x0, top, x1, bottom))


def row_words(page: OcrPage, box: tuple[float, float, float, float]) -> tuple[Segment, ...]:
    """Tesseract's words of one row of a read page, read again alone from its cleaned image (``box``: shares of
    the page), in the page's pixel coordinates: the page's own layout may have run the row into its neighbours."""
    if page.image is None:
        return ()
    width, height = page.page.width, page.page.height
    left, top = int(box[0] * width), int(box[1] * height)
    crop = box_crop(page.image, (left, top, box[2] * width, box[3] * height))
    if crop is None:
        return ()
    try:
        _, words = _read(crop, top, crop.size)
    except ExtractionError:
        return ()
    return tuple(dataclasses.replace(w, x0=w.x0 + left, x1=w.x1 + left) for w in words)


def unread_rows(page: OcrPage, box: tuple[float, float, float, float], most: int = 2) -> list[tuple[float, ...]]:
    """Rows of ink in ``box`` (shares of the page) that no word of the page's reading lies on, top first, as boxes
    of their own (shares, the row's ink and a third of its height over and under): Tesseract's layout drops a
    short line between blanks (a header's Số line under a long agency name) that read alone reads whole.
    A row is as tall as a line of print at most; rules and specks are lower than a letter."""
    import numpy as np

    if page.image is None:
        return []
    width, height = page.page.width, page.page.height
    left, top, right, bottom = int(box[0] * width), int(box[1] * height), int(box[2] * width), int(box[3] * height)
    gray = np.asarray(page.image.convert("L"))[top:bottom, left:right]
    if gray.size == 0:
        return []
    inked = (gray < 128).sum(axis=1) >= 3
    runs, start = [], None
    for y, on in enumerate([*inked, False]):
        if on and start is None:
            start = y
        elif not on and start is not None:
            runs.append((start + top, y + top))
            start = None
    letter, line = height * 0.006, height * 0.03  # at least a small letter's height, at most a line's with its marks
    rows = []
    for y0, y1 in runs:
        if not letter <= y1 - y0 <= line:
            continue
        if any(w.top < y1 and y0 < w.bottom and w.x0 < right and w.x1 > left for w in page.words):
            continue
        pad = (y1 - y0) / 3
        rows.append((box[0], (y0 - pad) / height, box[2], (y1 + pad) / height))
    return rows[:most]


def read_digits(image, box: tuple[float, float, float, float], psm: str = "7") -> str:
    """The digits in one small box of a cleaned page image: a handwritten số or day, read as one line of digits."""
    crop = box_crop(image, box)
    if crop is None:
        return ""
    try:
        return engine().digits(_ink(crop), single_word=psm == "8")
    except (RuntimeError, ExtractionError):
        return ""


def _ink(crop):
    """A small box thresholded on its own (Otsu): handwriting in blue or pencil is paler than the print the
    page's own threshold was set by."""
    import cv2
    import numpy as np
    from PIL import Image

    gray = np.asarray(crop.convert("L"))
    if gray.size == 0 or int(gray.max()) - int(gray.min()) < 30:
        return crop
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return Image.fromarray(binary)


def _segments(tsv: str, offset_y: int) -> tuple[list[Segment], list[Segment]]:
    lines: dict[tuple[str, str, str], list[dict]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        try:
            if float(row["conf"]) < 0:
                continue
        except (KeyError, ValueError):
            continue
        lines.setdefault((row["block_num"], row["par_num"], row["line_num"]), []).append(row)
    segments = []
    every_word = [_segment([w], offset_y) for words in lines.values() for w in words]
    for words in lines.values():
        words.sort(key=lambda w: int(w["left"]))
        current: list[dict] = []
        for word in words:
            if current:
                last = current[-1]
                gap = int(word["left"]) - int(last["left"]) - int(last["width"])
                if gap > 1.2 * max(int(last["height"]), 10):  # a column gap, not a word gap
                    segments.append(_segment(current, offset_y))
                    current = []
            current.append(word)
        if current:
            segments.append(_segment(current, offset_y))
    return segments, every_word


def _segment(words: list[dict], offset_y: int) -> Segment:
    text = nfc(" ".join(w["text"] for w in words))
    x0 = min(int(w["left"]) for w in words)
    x1 = max(int(w["left"]) + int(w["width"]) for w in words)
    top = min(int(w["top"]) for w in words) + offset_y
    bottom = max(int(w["top"]) + int(w["height"]) for w in words) + offset_y
    return Segment(text, x0, x1, top, bottom, min(float(w["conf"]) for w in words))


def ocr_image(payload: bytes) -> OcrPage:
    """OCR of a scan sent as an image (PNG, JPEG, TIFF: its first frame), whole, after the same clean-up."""
    import time

    from PIL import Image

    started = time.perf_counter()
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS * 4  # Pillow refuses larger images (decompression bombs) with an error
    with Image.open(io.BytesIO(payload)) as opened:
        image = opened.convert("RGB").getchannel("R")
    if image.width * image.height > MAX_PIXELS:
        ratio = 0.999 * (MAX_PIXELS / (image.width * image.height)) ** 0.5
        image = image.resize((int(image.width * ratio), int(image.height * ratio)))
    cleaned, skew = clean(image)
    page, words = _read(cleaned, 0, cleaned.size)
    return OcrPage(0, "page", page, time.perf_counter() - started, skew, tuple(words), cleaned)


def ocr_region(pdf, index: int, share: float = 1.0, dpi: int = DPI, pale_out: bool = False,
               skip_body: float | None = None) -> OcrPage:
    """OCR the top ``share`` of page ``index`` (1.0 = the whole page); ``pale_out`` as for clean();
    ``skip_body``: the body's lines across the page's middle below that share of its height are left unread
    (see without_body)."""
    import time

    started = time.perf_counter()
    colour = render_colour(pdf, index, dpi)
    full = colour.size
    if share < 1.0:
        colour = colour.crop((0, 0, colour.width, int(colour.height * share)))
    cleaned, skew = clean(red_channel(colour), pale_out)
    page, words = _read(cleaned if skip_body is None else without_body(cleaned, dpi, skip_body), 0, full, dpi)
    page = dataclasses.replace(page, turn=(skew, 0.5, colour.height / full[1] / 2))
    red = red_stamps(colour, dpi) if index == 0 else ()
    seconds = time.perf_counter() - started
    log.debug("OCR page %d (%s of it): %d segments in %.2f s, skew %.1f°", index + 1, share, len(page.segments),
              seconds, skew)
    return OcrPage(index, "top" if share < 1.0 else "page", page, seconds, skew, tuple(words), cleaned, red)


def red_stamps(colour, dpi: int = DPI) -> tuple[str, ...]:
    """The text of each red rectangle-shaped mark (HỎA TỐC, KHẨN …) on a colour page, each read as a line.

    The grey OCR reads is the red channel, where red ink turns white; the urgency stamps are red by ND30, so
    they are found by their colour and read alone, black on white. Round marks (seals) are left out.
    """
    import cv2
    import numpy as np
    from PIL import Image

    if colour.mode != "RGB":
        return ()
    rgb = np.asarray(colour).astype(np.int16)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    mask = ((red > 130) & (red - green > 60) & (red - blue > 50)).astype(np.uint8) * 255
    if mask.sum() < 255 * 50:
        return ()
    dark = np.maximum(np.maximum(red, green), blue) < 170
    # a printed stroke's width crossing a letter; a printed letter's height crossing the frame
    whole = _with_print_crossed(mask, dark, max(3, dpi // 12))
    mask = _with_print_crossed(mask, dark, max(3, dpi // 60))
    joined = cv2.dilate(whole, np.ones((max(3, dpi // 40), max(3, dpi // 20)), np.uint8))
    count, _, boxes, _ = cv2.connectedComponentsWithStats(joined)
    texts = []
    read: list[tuple[int, int, int, str]] = []
    for x, y, width, height, _ in boxes[1:count]:
        # A stamp is 20-40 mm wide and 8 mm high: wider than high, and at least 4 mm high.
        if height < dpi * 0.15 or width < 1.6 * height or width > dpi * 3:
            continue
        crop = 255 - _without_frame(mask[y:y + height, x:x + width], whole[y:y + height, x:x + width])
        padded = cv2.copyMakeBorder(crop, 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255)
        try:
            text = engine().line(Image.fromarray(padded), dpi)
        except (RuntimeError, ExtractionError):
            continue
        if text.strip():
            texts.append(nfc(" ".join(text.split())))
            read.append((int(x), int(y), int(y + height), texts[-1]))
    return tuple(texts + _rows_joined(read))


def _with_print_crossed(mask, dark, side: int):
    """The red mask with the dark pixels where black print crosses a red stroke (``side`` pixels at most): a
    stamp set over the Quốc hiệu or the số line turns dark where the two inks meet, and its letters would read
    with holes cut in them, or its frame fall apart in pieces."""
    import cv2
    import numpy as np

    upright = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((side, 1), np.uint8))
    across = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((1, side), np.uint8))
    return np.where(dark & ((upright > 0) | (across > 0)), 255, mask).astype(np.uint8)


def _without_frame(mask, whole):
    """A stamp's mask without its frame, when it has one: a rectangle whose top and bottom run straight across
    most of the box (in ``whole``, the mask whose strokes print crossed are joined again), no letter does. Its
    sides, which OCR reads as "I", "|" or "[" beside the mark, go with the blur at their edges; a stamp of
    letters alone keeps its letters' stems."""
    import cv2
    import numpy as np

    height, width = mask.shape
    # thickened first: a skewed scan's frame drifts a pixel or two along its length
    across = cv2.morphologyEx(cv2.dilate(whole, np.ones((5, 1), np.uint8)), cv2.MORPH_OPEN,
                              np.ones((1, max(3, int(0.8 * width))), np.uint8))
    rows = np.nonzero(across.any(axis=1))[0]
    if len(rows) == 0 or rows.min() > 0.3 * height or rows.max() < 0.7 * height:
        return mask  # no top and bottom: no frame
    upright = cv2.morphologyEx(cv2.dilate(whole, np.ones((1, 5), np.uint8)), cv2.MORPH_OPEN,
                               np.ones((max(3, int(0.6 * height)), 1), np.uint8))
    edge = max(3, int(0.1 * width))
    upright[:, edge:width - edge] = 0  # a frame's sides stand at the box's ends, a letter's stems inside it
    frame = cv2.dilate(upright | across, np.ones((5, 5), np.uint8))
    return np.where(frame > 0, 0, mask).astype(np.uint8)


def _rows_joined(read: list[tuple[int, int, int, str]]) -> list[str]:
    """The texts (x, top, bottom, text) read on one row, joined left to right, for rows of more than one: a
    stamp's words read apart ("THƯỢNG" and "KHẨN", the dilation leaving their gap open, or a word inside its
    frame) say together what each does not."""
    rows: list[list[tuple[int, int, int, str]]] = []
    for item in sorted(read):
        middle = (item[1] + item[2]) / 2
        row = next((r for r in rows if r[0][1] <= middle <= r[0][2]), None)
        if row is None:
            rows.append([item])
        else:
            row.append(item)
    return [" ".join(t for *_, t in row) for row in rows if len(row) > 1]


def sparse_region(pdf, index: int, box: tuple[float, float, float, float], dpi: int = DPI,
                  ink_only: bool = False, skip_body: bool = False) -> PageText:
    """The text in ``box`` (fractions: left, top, right, bottom) of page ``index``, read as sparse text.

    Tesseract's page layout drops a lone line in a wide blank (a signer's name under a seal, far below
    the title): read sparse, each bit of text is found where it stands. ``ink_only`` keeps only the darkest
    grey: a seal scanned in grey is lighter than the black print it covers, and goes. ``skip_body`` as for
    ocr_region.
    """
    image = red_channel(render_colour(pdf, index, dpi))
    width, height = image.size
    left, top, right, bottom = (int(box[0] * width), int(box[1] * height), int(box[2] * width), int(box[3] * height))
    cleaned, _ = clean(image.crop((left, top, right, bottom)), pale_out=True)
    if skip_body:
        cleaned = without_body(cleaned, dpi)
    if ink_only:
        cleaned = cleaned.point(lambda v: 0 if v < INK else 255)
    segments, _ = _segments(_TSV_HEADER + engine().tsv(cleaned, dpi, sparse=True), top)
    moved = tuple(Segment(s.text, s.x0 + left, s.x1 + left, s.top, s.bottom, s.confidence) for s in segments)
    return PageText(width, height, moved)


INK = 80  # grey below which a stretched scan is print, not a seal's or a stamp's paler ink
