"""OCR of scanned PDF pages with Debian's tesseract (vie): render with pypdfium2, clean up, read words with boxes."""

from __future__ import annotations

import csv
import functools
import io
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass, field

from gateway.core.errors import ExtractionError
from gateway.core.text import nfc
from gateway.understand.layout import PageText, Segment

log = logging.getLogger(__name__)

DPI = 300
MAX_PIXELS = 40_000_000  # an A4 page at 300 dpi is 8.7 million
TIMEOUT_SECONDS = 60
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


@functools.lru_cache(maxsize=1)
def available() -> bool:
    """True when the tesseract binary and its Vietnamese data are installed (asked once per process)."""
    return shutil.which("tesseract") is not None and _has_vie()


def _has_vie() -> bool:
    try:
        done = subprocess.run(["tesseract", "--list-langs"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"vie" in done.stdout.split()


def render(pdf, index: int, dpi: int = DPI):
    """Page ``index`` of an open pypdfium2 document as a grayscale PIL image, with form fields and stamps drawn.

    The grey is the red channel: the red seal stamped over the signer's title turns pale and stops hiding
    the black print under it.
    """
    page = pdf[index]
    try:
        image = page.render(scale=_scale(*page.get_size(), dpi), may_draw_forms=True)
        return image.to_pil().convert("RGB").getchannel("R")
    finally:
        page.close()


def _scale(width: float, height: float, dpi: int) -> float:
    """pdfium's render scale for a page of ``width`` × ``height`` points at ``dpi``, capped at MAX_PIXELS.

    A page declared metres wide (a "bomb" PDF) would need gigabytes at 300 dpi: the pixel count is capped.
    """
    return min(dpi / 72, 0.999 * (MAX_PIXELS / max(width * height, 1.0)) ** 0.5)  # 0.999: pdfium rounds up


def clean(image):
    """Despeckled, contrast stretched, straightened (±4°) and thresholded to black on white for tesseract."""
    from PIL import Image, ImageFilter, ImageOps

    image = image.convert("L").filter(ImageFilter.MedianFilter(3))  # scanner dust reads as letters otherwise
    image = ImageOps.autocontrast(image, cutoff=0)  # a cut-off would blacken a nearly blank page's grey
    skew = estimate_skew(image)
    if skew:
        image = image.rotate(skew, resample=Image.BILINEAR, expand=False, fillcolor=255)
    # Otsu alone fails on a nearly blank page (it splits paper from grey dust, not ink from paper).
    threshold = min(max(_otsu(image.histogram()), 90), 170)
    return image.point(lambda v: 255 if v > threshold else 0).convert("L"), skew


def estimate_skew(image) -> float:
    """The rotation (degrees) that makes the text rows sharpest: the variance of the row darkness peaks."""
    from PIL import Image

    small = image.resize((max(1, image.width // 4), max(1, image.height // 4)))
    small = small.point(lambda v: 0 if v < 160 else 255)
    best, best_score = 0.0, -1.0
    for angle in _SKEW_ANGLES:
        turned = small.rotate(angle, resample=Image.NEAREST, fillcolor=255) if angle else small
        column = turned.resize((1, turned.height), Image.BOX)
        profile = list(column.get_flattened_data() if hasattr(column, "get_flattened_data") else column.getdata())
        mean = sum(profile) / len(profile)
        score = sum((p - mean) ** 2 for p in profile)
        if score > best_score * 1.02:  # prefer 0° unless another angle is clearly better
            best, best_score = angle, score
    return best


def _otsu(histogram: list[int]) -> int:
    total = sum(histogram)
    weighted = sum(i * h for i, h in enumerate(histogram))
    background = weight = 0.0
    best, best_var = 128, -1.0
    for level, count in enumerate(histogram):
        weight += count
        if weight == 0 or weight == total:
            continue
        background += level * count
        mean_b = background / weight
        mean_f = (weighted - background) / (total - weight)
        between = weight * (total - weight) * (mean_b - mean_f) ** 2
        if between > best_var:
            best, best_var = level, between
    return best


def read_words(image, offset_y: int = 0, full_size: tuple[int, int] | None = None) -> PageText:
    """Tesseract's words (TSV) grouped into its lines, as a PageText in the full page's pixel coordinates."""
    return _read(image, offset_y, full_size)[0]


def _read(image, offset_y: int = 0, full_size: tuple[int, int] | None = None) -> tuple[PageText, list[Segment]]:
    png = _png(image)
    try:
        done = _tesseract(png, "-l", "vie", "--psm", "3", "tsv")
    except FileNotFoundError as err:
        raise ExtractionError(f"tesseract is not installed: no {err.filename or 'tesseract'} on PATH (Debian packages "
                              "tesseract-ocr, tesseract-ocr-vie)") from err
    except subprocess.TimeoutExpired as err:
        raise ExtractionError(f"tesseract took longer than {TIMEOUT_SECONDS} s") from err
    if done.returncode != 0:
        raise ExtractionError(f"tesseract failed: {done.stderr.decode('utf-8', 'replace').strip()[-200:]}")
    width, height = full_size or image.size
    tsv = done.stdout.decode("utf-8", "replace")
    segments, words = _segments(tsv, offset_y)
    return PageText(width, height, tuple(segments)), words


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _tesseract(png: bytes, *options: str) -> subprocess.CompletedProcess:
    """Tesseract run on the ``png`` image (on stdin) with ``options``, its output captured; errors are raised."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # threads cost more than they give on 2 cores
    return subprocess.run(["tesseract", "stdin", "stdout", *options], input=png, capture_output=True,
                          timeout=TIMEOUT_SECONDS, env=env, check=False)


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


def read_line(pdf, index: int, box: tuple[float, float, float, float], dpi: int = DPI) -> str:
    """One line of text in ``box`` (fractions of the page: left, top, right, bottom), rendered alone at ``dpi``.

    A page read at a lower resolution gets the tones of a short line wrong where this closer look, as a
    single line (--psm 7), gets them right; only the box is rendered, so it costs a fifth of a page.
    """
    page = pdf[index]
    try:
        width, height = page.get_size()
        left, top, right, bottom = (min(max(v, 0.0), 1.0) for v in box)
        scale = _scale(width, height, dpi)
        if (right - left) * width * scale < 8 or (bottom - top) * height * scale < 8:
            return ""  # pdfium refuses a crop without pixels, and tesseract reads nothing in a speck
        crop = (left * width, (1 - bottom) * height, (1 - right) * width, top * height)
        image = page.render(scale=scale, crop=crop, may_draw_forms=True).to_pil().convert("RGB").getchannel("R")
    finally:
        page.close()
    cleaned, _ = clean(image)
    png = _png(cleaned)
    try:
        done = _tesseract(png, "-l", "vie", "--psm", "7")
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return nfc(" ".join(done.stdout.decode("utf-8", "replace").split()))


def read_digits(image, box: tuple[float, float, float, float], psm: str = "7") -> str:
    """The digits in one small box of a cleaned page image: a handwritten số or day, read as one line of digits."""
    x0, top, x1, bottom = (int(v) for v in box)
    if x1 - x0 < 8 or bottom - top < 8:
        return ""
    crop = image.crop((max(0, x0), max(0, top), min(image.width, x1), min(image.height, bottom)))
    png = _png(crop)
    try:
        done = _tesseract(png, "-l", "eng", "--psm", psm, "-c", "tessedit_char_whitelist=0123456789")
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return "".join(c for c in done.stdout.decode("ascii", "ignore") if c.isdigit())


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
    return Segment(text, x0, x1, top, bottom)


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


def ocr_region(pdf, index: int, share: float = 1.0, dpi: int = DPI) -> OcrPage:
    """OCR the top ``share`` of page ``index`` (1.0 = the whole page)."""
    import time

    started = time.perf_counter()
    image = render(pdf, index, dpi)
    full = image.size
    if share < 1.0:
        image = image.crop((0, 0, image.width, int(image.height * share)))
    cleaned, skew = clean(image)
    page, words = _read(cleaned, 0, full)
    seconds = time.perf_counter() - started
    log.debug("OCR page %d (%s of it): %d segments in %.2f s, skew %.1f°", index + 1, share, len(page.segments),
              seconds, skew)
    return OcrPage(index, "top" if share < 1.0 else "page", page, seconds, skew, tuple(words), cleaned)
