"""Per-field exact-match accuracy and time per document of the field reader over a labelled set.

Usage: .venv/bin/python bench/fields.py DIR   (DIR holds labels.jsonl and the files it names, as vn-real does)
Also times page-1 OCR of the first scanned document against bare `tesseract -l vie` on the same image.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.core.config import Config  # noqa: E402
from gateway.core.text import exact_key  # noqa: E402
from gateway.understand.single import understand_file  # noqa: E402

# label key → how to read the same thing from DocumentMeta
FIELDS = {
    "so_ky_hieu": lambda m: f"{m.get('code_number')}/{m.get('code_notation')}",
    "ngay_ban_hanh": lambda m: m.get("issued_date"),
    "dia_danh": lambda m: m.get("place"),
    "co_quan_ban_hanh": lambda m: m.get("organ_name"),
    "loai_van_ban": lambda m: m.get("type_name"),
    "trich_yeu": lambda m: m.get("subject"),
    "nguoi_ky": lambda m: m.get("signer_name"),
    "chuc_vu": lambda m: m.get("signer_position"),
    "kinh_gui": lambda m: [x for x in m.get("addressees").split("; ") if x],
}


def _key(value) -> str:
    if isinstance(value, list):
        return "|".join(_key(v) for v in value)
    return " ".join(exact_key(str(value or "")).split())


def main(directory: str) -> None:
    root = Path(directory)
    labels = [json.loads(line) for line in (root / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line]
    config = Config()
    hits = {name: 0 for name in FIELDS}
    total_seconds = 0.0
    misses: list[str] = []
    for label in labels:
        path = root / label["file"]
        started = time.perf_counter()
        _, meta = understand_file(path.read_bytes(), path.name, config)
        seconds = time.perf_counter() - started
        total_seconds += seconds
        for name, read in FIELDS.items():
            want, got = label.get(name) or "", read(meta)
            if name == "kinh_gui":
                want = want or []
            if _key(want) == _key(got):
                hits[name] += 1
            else:
                misses.append(f"  {label['id']} {name}: want {want!r} got {got!r}")
        print(f"{label['id']}: {seconds:5.2f} s", flush=True)
    print(f"\n{'field':<18}{'accuracy':>10}")
    for name in FIELDS:
        print(f"{name:<18}{hits[name] / len(labels):>9.0%}  ({hits[name]}/{len(labels)})")
    print(f"time per document: {total_seconds / len(labels):.2f} s ({len(labels)} documents)")
    print("misses:\n" + "\n".join(misses))
    scanned = next((root / l["file"] for l in labels if not l.get("text_layer")), None)
    if scanned:
        _ocr_speed(scanned, config)


def _ocr_speed(path: Path, config: Config) -> None:
    """Our page-1 header OCR (render, clean, OCR, parse) against bare tesseract on the same rendered page."""
    import pypdfium2 as pdfium

    from gateway.understand import ocr
    from gateway.understand.layout import doc_text
    from gateway.understand.patterns import parse

    pdf = pdfium.PdfDocument(path.read_bytes())
    image = ocr.render(pdf, 0, config.understand.ocr_dpi)
    with tempfile.NamedTemporaryFile(suffix=".png") as handle:
        image.save(handle.name)
        started = time.perf_counter()
        subprocess.run(["tesseract", handle.name, "-", "-l", "vie"], capture_output=True, check=True)
        bare = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run(["tesseract", handle.name, "-", "-l", "vie"], capture_output=True, check=True,
                       env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        bare_one = time.perf_counter() - started
    started = time.perf_counter()
    top = ocr.ocr_region(pdf, 0, 0.45, config.understand.ocr_dpi)
    parse(doc_text([top.page]), "ocr")
    ours = time.perf_counter() - started
    print(f"page-1 OCR of {path.name}: ours (render + clean-up + top 45 % + fields) {ours:.2f} s; "
          f"bare `tesseract -l vie` on the whole page {bare:.2f} s (OMP_THREAD_LIMIT=1: {bare_one:.2f} s); "
          f"ratio {ours / bare:.2f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
