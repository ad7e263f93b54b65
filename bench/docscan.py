"""Printed PDFs turned into signed scans: handwritten số and day, red seal and blue signature, skew, blur, JPEG.

Where the handwriting goes is found in the printed PDF's own text ("Số:" … "/", "ngày" … "tháng"), so the
same code serves PDFs drawn by fpdf2 and PDFs made by LibreOffice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import math
import random
from dataclasses import dataclass

HANDS = (
    "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
    "/usr/share/fonts/truetype/fifthhorseman/dkgIt.ttf",
    "/usr/share/fonts/truetype/breip/Breip.ttf",
    "/usr/share/fonts/truetype/femkeklaver/femkeklaver.ttf",
    "/usr/share/fonts/truetype/rufscript/Rufscript010.ttf",
    "/usr/share/fonts/opentype/kaushanscript/KaushanScript-Regular.otf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf",
)
HELDOUT_HANDS = ("/usr/share/fonts/truetype/fifthhorseman/dkgBI.ttf", "/usr/share/fonts/truetype/breip/breipfont.ttf")
VIETNAM = dt.timezone(dt.timedelta(hours=7))


@dataclass(frozen=True)
class ScanStyle:
    """How one document is scanned."""

    dpi: int
    skew: float
    blur: float
    noise: float
    jpeg: int
    grey: bool
    hand: str
    seal: bool
    typewriter: bool = False
    pen: int = 1  # stroke width of the handwriting, in pixels at 200 dpi (felt pens write 3)
    slant: float = 0.0  # the hand's lean, as a shear
    copier: str = ""  # "", "faded" (toner running out), "dark" (a photocopy's thick strokes), "shadow"
    bleed: bool = False  # the back page showing through


def style_for(rng: random.Random, heldout: bool, typewriter: bool = False) -> ScanStyle:
    hands = HANDS + (HELDOUT_HANDS if heldout else ())
    style = ScanStyle(dpi=rng.choice((150, 200, 200, 250, 300, 300, 400)), skew=rng.uniform(-2.0, 2.0),
                      blur=rng.choice((0.0, 0.4, 0.7, 1.0)), noise=rng.choice((0.0, 4.0, 8.0, 14.0)),
                      jpeg=rng.choice((30, 50, 70, 85)), grey=rng.random() < 0.35, hand=rng.choice(hands),
                      seal=rng.random() < 0.85, typewriter=typewriter)
    # Drawn after the first choices, so that a seed's earlier draws stay what they were.
    copiers = ("", "", "", "faded", "dark", "shadow") + (("faded", "dark") if heldout else ())
    return dataclasses.replace(style, pen=rng.choice((1, 1, 2, 3)), slant=rng.uniform(-0.25, 0.35),
                               copier=rng.choice(copiers), bleed=rng.random() < 0.15)


def _boxes(pdf, index: int, scale: float):
    """(text, char boxes in pixels from the top-left) of page ``index``."""
    page = pdf[index]
    height = page.get_size()[1]
    textpage = page.get_textpage()
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count)[:count] if count else ""
    boxes = []
    for i in range(len(text)):
        left, bottom, right, top = textpage.get_charbox(i)
        boxes.append((left * scale, (height - top) * scale, right * scale, (height - bottom) * scale))
    textpage.close()
    page.close()
    return text, boxes


def _write(image, rng: random.Random, xy: tuple[float, float], digits: str, font_path: str, height: float,
           pen: int = 1, slant: float = 0.0) -> None:
    """Digits written by hand at ``xy`` (left, baseline-ish top): each one sized, turned, leant, drawn with a
    pen of its width and placed a little apart."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    ink = rng.choice(((20, 30, 150), (25, 25, 40), (10, 60, 170)))
    x, y = xy
    for ch in digits:
        size = int(height * rng.uniform(1.0, 1.35))
        font = ImageFont.truetype(font_path, size)
        glyph = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(glyph).text((size // 2, size // 3), ch, font=font, fill=255)
        glyph = glyph.rotate(rng.uniform(-12, 12), resample=Image.BICUBIC)
        if slant:
            glyph = glyph.transform(glyph.size, Image.AFFINE, (1, slant, -slant * glyph.height / 2, 0, 1, 0),
                                    resample=Image.BICUBIC)
        width = max(1, round(pen * height / 40))  # height is the print's line, ~40 px at 200 dpi
        if width > 1:
            glyph = glyph.filter(ImageFilter.MaxFilter(width | 1))
        box = glyph.getbbox()
        if not box:
            continue
        glyph = glyph.crop(box)
        top = int(y + rng.uniform(-0.35, 0.1) * height)
        image.paste(Image.new("RGB", glyph.size, ink), (int(x), top), glyph)
        x += glyph.width + rng.uniform(0.05, 0.3) * height


def _find(text: str, word: str, start: int = 0) -> int:
    return text.find(word, start)


def handwrite(image, rng: random.Random, text: str, boxes, number: str, day: str, hand: str, pen: int = 1,
              slant: float = 0.0) -> None:
    """Write ``number`` after "Số:" and ``day`` after "ngày" on the image, where print left them blank."""
    if number:
        at = _find(text, "Số:")
        slash = _find(text, "/", at) if at >= 0 else -1
        if at >= 0 and slash > at:
            left = boxes[at + 2][2] + 3
            right = boxes[slash][0]
            height = boxes[at][3] - boxes[at][1]
            width = max(right - left, height)
            _write(image, rng, (left + rng.uniform(0.1, 0.25) * width, boxes[at][1]), number, hand, height, pen,
                   slant)
    if day:
        at = _find(text, "ngày")
        month = _find(text, "tháng", at) if at >= 0 else -1
        if at >= 0 and month > at:
            left = boxes[at + 3][2] + 2
            height = boxes[at][3] - boxes[at][1]
            _write(image, rng, (left + rng.uniform(0.4, 0.8) * height, boxes[at][1]), day, hand, height, pen, slant)


def seal_and_signature(image, rng: random.Random, text: str, boxes, name: str, organ: str, seal: bool) -> None:
    """A blue signature between the title and the name; a red round seal over its left third (and the title)."""
    from PIL import ImageDraw, ImageFont

    at = text.rfind(name) if name else -1
    if at < 0:
        return
    x0, y0 = boxes[at][0], boxes[at][1]
    x1 = boxes[at + len(name) - 1][2]
    height = boxes[at][3] - boxes[at][1]
    draw = ImageDraw.Draw(image)
    cx, cy = (x0 + x1) / 2, y0 - 3.5 * height
    points = []
    for i in range(14):
        points.append((cx - 4 * height + i * 0.6 * height + rng.uniform(-0.3, 0.3) * height,
                       cy + rng.uniform(-1.3, 1.3) * height))
    draw.line(points, fill=(20, 40, 160), width=max(2, int(height / 8)), joint="curve")
    if not seal:
        return
    radius = rng.uniform(3.2, 4.2) * height
    sx, sy = cx - rng.uniform(1.5, 3.5) * height, cy + rng.uniform(-1.0, 1.5) * height
    red = (rng.randint(200, 235), rng.randint(20, 60), rng.randint(30, 60))
    line = max(2, int(height / 7))
    draw.ellipse((sx - radius, sy - radius, sx + radius, sy + radius), outline=red, width=line)
    inner = radius * 0.72
    draw.ellipse((sx - inner, sy - inner, sx + inner, sy + inner), outline=red, width=max(1, line // 2))
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", max(8, int(height * 0.55)))
    letters = organ[:34]
    for i, ch in enumerate(letters):
        angle = math.pi + i * (math.pi * 1.6 / max(len(letters), 1)) - 0.3
        draw.text((sx + 0.86 * radius * math.cos(angle) - height * 0.2,
                   sy + 0.86 * radius * math.sin(angle) - height * 0.3), ch, font=font, fill=red)
    draw.regular_polygon((sx, sy, inner * 0.35), 5, fill=red)


def degrade(image, rng: random.Random, style: ScanStyle):
    """Paper, skew, blur, noise and grey of a scanner."""
    import numpy as np
    from PIL import Image, ImageFilter

    if style.typewriter:
        arr = np.asarray(image).astype(np.float32)
        arr = arr * np.array([0.96, 0.93, 0.82]) + np.array([8, 10, 20])  # yellowed paper
        image = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    image = _copier(image, rng, style)
    image = image.rotate(style.skew, resample=Image.BICUBIC, fillcolor=(250, 250, 248), expand=False)
    if style.blur:
        image = image.filter(ImageFilter.GaussianBlur(style.blur * style.dpi / 200))
    if style.noise:
        arr = np.asarray(image).astype(np.int16)
        noise = np.random.default_rng(rng.randrange(2**32)).normal(0, style.noise, arr.shape[:2])[..., None]
        image = Image.fromarray(np.clip(arr + noise, 0, 255).astype(np.uint8))
    if style.grey:
        image = image.convert("L").convert("RGB")
    return image


def _copier(image, rng: random.Random, style: ScanStyle):
    """What the paper went through before the scanner: faded toner, a photocopy's thick dark strokes, the
    shadow of a book's binding, the back page showing through."""
    import numpy as np
    from PIL import Image, ImageFilter

    if style.copier == "dark":
        image = image.filter(ImageFilter.MinFilter(3 if style.dpi >= 250 else 1 + 2 * (rng.random() < 0.5)))
    arr = np.asarray(image).astype(np.float32)
    if style.copier == "faded":  # ink lightens towards one side, as toner runs out
        ramp = np.linspace(rng.uniform(0.15, 0.35), rng.uniform(0.45, 0.6), arr.shape[1])[None, :, None]
        arr = arr + (255 - arr) * ramp
    if style.copier == "shadow":
        width = int(arr.shape[1] * rng.uniform(0.05, 0.12))
        shade = np.ones(arr.shape[1], np.float32)
        shade[:width] = np.linspace(0.45, 1.0, width)
        arr = arr * (shade[None, :, None] if rng.random() < 0.5 else shade[::-1][None, :, None])
    if style.bleed:
        back = np.asarray(image.transpose(Image.FLIP_LEFT_RIGHT).filter(ImageFilter.GaussianBlur(2))).astype(np.float32)
        arr = np.minimum(arr, 255 - (255 - back) * rng.uniform(0.12, 0.22))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def scan(pdf_bytes: bytes, rng: random.Random, style: ScanStyle, *, number: str = "", day: str = "",
         name: str = "", organ: str = "") -> bytes:
    """An image-only PDF of the printed PDF as a signed paper copy scanned at ``style.dpi``."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_bytes)
    scale = style.dpi / 72
    pages = []
    for index in range(len(pdf)):
        image = pdf[index].render(scale=scale).to_pil().convert("RGB")
        text, boxes = _boxes(pdf, index, scale)
        if index == 0:
            handwrite(image, rng, text, boxes, number, day, style.hand, style.pen, style.slant)
        if name and name in text:
            seal_and_signature(image, rng, text, boxes, name, organ, style.seal)
        pages.append(degrade(image, rng, style))
    pdf.close()
    out = io.BytesIO()
    pages[0].save(out, format="PDF", resolution=style.dpi, save_all=True, append_images=pages[1:],
                  quality=style.jpeg)
    return out.getvalue()


class Signer:
    """A made-up CA and signing keys, for signatures whose time is the day a document was signed."""

    def __init__(self, directory) -> None:
        from pathlib import Path

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        start, end = dt.datetime(2010, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2040, 1, 1, tzinfo=dt.timezone.utc)
        self._ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA thử nghiệm")])
        self._ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
                    .public_key(self._ca_key.public_key()).serial_number(1).not_valid_before(start)
                    .not_valid_after(end).add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                    .sign(self._ca_key, hashes.SHA256()))
        (self.directory / "ca.pem").write_bytes(self._ca.public_bytes(serialization.Encoding.PEM))
        self._signers: dict[str, object] = {}
        self._x509, self._hashes, self._ser, self._ec, self._oid = x509, hashes, serialization, ec, NameOID
        self._window = (start, end)

    def _signer(self, common_name: str):
        from pyhanko.sign import signers

        if common_name in self._signers:
            return self._signers[common_name]
        x509, key = self._x509, self._ec.generate_private_key(self._ec.SECP256R1())
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(self._oid.COMMON_NAME, common_name)]))
                .issuer_name(self._ca.subject).public_key(key.public_key()).serial_number(len(self._signers) + 2)
                .not_valid_before(self._window[0]).not_valid_after(self._window[1])
                .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), True)
                .sign(self._ca_key, self._hashes.SHA256()))
        index = len(self._signers)
        key_file, cert_file = self.directory / f"k{index}.pem", self.directory / f"c{index}.pem"
        key_file.write_bytes(key.private_bytes(self._ser.Encoding.PEM, self._ser.PrivateFormat.PKCS8,
                                               self._ser.NoEncryption()))
        cert_file.write_bytes(cert.public_bytes(self._ser.Encoding.PEM))
        signer = signers.SimpleSigner.load(str(key_file), str(cert_file),
                                           ca_chain_files=(str(self.directory / "ca.pem"),))
        self._signers[common_name] = signer
        return signer

    def sign(self, pdf_bytes: bytes, common_name: str, when: dt.datetime) -> bytes:
        """``pdf_bytes`` signed by ``common_name`` with ``when`` as the signing time."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers
        from pyhanko.sign.signers import pdf_signer

        out = io.BytesIO()
        with _clock(pdf_signer, when):
            signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False),
                             signers.PdfSignatureMetadata(field_name="Sig1"), signer=self._signer(common_name),
                             output=out)
        return out.getvalue()


@contextlib.contextmanager
def _clock(module, when: dt.datetime):
    """pyHanko's clock set to ``when`` (it takes the signing time from datetime.now)."""
    real = module.datetime

    class Frozen(real):  # type: ignore[misc, valid-type]
        @classmethod
        def now(cls, tz=None):
            return when.astimezone(tz) if tz else when

    module.datetime = Frozen
    try:
        yield
    finally:
        module.datetime = real
