"""Generates a labelled set of ND30 documents (DOCX, LibreOffice PDFs, fpdf2 PDFs, signed scans, typewritten scans).

Usage: .venv/bin/python bench/docset.py OUT --seed N --count N [--heldout] [--kinds scan-lo,scan-fpdf]
Writes OUT/labels.jsonl (the fields of bench/fields.py, as in vn-real) and the files under OUT/files/.
The same seed gives the same set; --heldout also draws the layouts, hands and wordings reserved for it;
--kinds keeps only the documents of those kinds (each the same as in the whole set), to iterate on a part.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docrender  # noqa: E402
import docscan  # noqa: E402
import docspec  # noqa: E402

KINDS = (("docx", 28), ("pdf-lo", 22), ("pdf-fpdf", 18), ("scan-lo", 12), ("scan-fpdf", 14), ("typewriter", 6))
BORN_DIGITAL = ("docx", "pdf-lo", "pdf-fpdf")


def slug(text: str) -> str:
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def file_name(rng: random.Random, doc: docspec.Doc, ext: str) -> str:
    """A name as documents arrive with: number and type, a web slug, an archive code, or nothing useful."""
    roll = rng.random()
    stamp = f"{doc.date:%Y%m%d}_{rng.randint(80000, 175959):06d}"
    if roll < 0.25:
        return f"{doc.number}-{doc.notation}.{ext}"
    if roll < 0.45:
        return f"{doc.number} {doc.type_code or doc.organ.code[:2]}.signed_{stamp}.{ext}"
    if roll < 0.6:
        return f"{(doc.type_code or 'cv').lower()}-{doc.number}-{slug(doc.subject)[:50]}-e.{ext}"
    if roll < 0.72:
        return f"H{rng.randint(10, 60)}.{doc.date.year}.{rng.randint(100, 999)}.{slug(doc.type_code or 'CV').upper()}.{ext}"
    if roll < 0.8:
        return f"{rng.choice(('congvan', 'vanban', 'Scan', 'IMG'))}{rng.choice(('', '_' + str(rng.randint(1, 9999))))}.{ext}"
    if roll < 0.9:  # the sender's own sequence number, no số: "05.signed_….pdf", "12.pdf"
        sequence = f"{rng.randint(1, 60):02d}"
        return rng.choice((f"{sequence}.signed_{stamp}.{ext}", f"{sequence}.{ext}"))
    return f"{slug(doc.subject)[:40]}.{ext}"


def label(doc: docspec.Doc, ident: str, path: str, kind: str, tags: list[str], pages: int | None) -> dict:
    return {
        "id": ident, "file": path, "kind": kind, "born_digital": kind in BORN_DIGITAL,
        "text_layer": kind in BORN_DIGITAL, "pages": pages,
        "so_ky_hieu": f"{doc.number}/{doc.notation}", "so": doc.number, "ky_hieu": doc.notation,
        "ngay_ban_hanh": doc.date.isoformat(), "dia_danh": doc.place,
        "co_quan_ban_hanh": " ".join(doc.organ.lines),
        "co_quan_chu_quan": " ".join(doc.organ.parent) or None,
        "loai_van_ban": doc.type_name, "trich_yeu": doc.subject,
        "do_khan": docrender.URGENCY[doc.urgency].capitalize() or None, "do_mat": None,
        "nguoi_ky": doc.signer_name, "chuc_vu": " / ".join(doc.signer_position),
        "kinh_gui": list(doc.addressees), "tags": tags,
    }


def old_style(rng: random.Random, doc: docspec.Doc) -> docspec.Doc:
    """A 1990s document: older year, "UB" for the people's committee, one-digit days, no urgency stamp."""
    year = rng.randint(1992, 2004)
    date = doc.date.replace(year=year) if not (doc.date.month == 2 and doc.date.day == 29) else dt.date(year, 2, 28)
    notation = doc.notation.replace("UBND", "UB")
    number = doc.number.lstrip("0") or "1"
    return dataclasses.replace(doc, date=date, notation=notation, number=number, urgency=0)


def _pages(payload: bytes) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(payload)
    try:
        return len(pdf)
    finally:
        pdf.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--heldout", action="store_true")
    parser.add_argument("--kinds", help="comma-separated kinds to keep: " + ",".join(k for k, _ in KINDS))
    args = parser.parse_args()
    keep = set(args.kinds.split(",")) if args.kinds else {k for k, _ in KINDS}
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    (out / "files").mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix="docset-"))
    signer = docscan.Signer(work / "keys")
    plans = []
    for index in range(args.count):
        rng = random.Random(f"{args.seed}-{index}")
        doc = docspec.document(rng, args.heldout)
        kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        layout = docrender.layout_for(rng, doc, args.heldout)
        tags = [kind, layout["docx_header"] if kind in ("docx", "pdf-lo", "scan-lo") else "drawn"]
        if rng.random() < 0.15:
            doc = dataclasses.replace(doc, annex_pages=rng.randint(1, 2))
            tags.append("annex")
        if layout["attachment_rows"]:
            tags.append("attachment-table")
        if kind == "typewriter":
            doc = old_style(rng, doc)
        hand_number = kind.startswith("scan") and rng.random() < 0.45
        hand_day = kind.startswith("scan") and rng.random() < 0.45
        layout.update(blank_number=hand_number, blank_day=hand_day)
        tags += (["hand-number"] if hand_number else []) + (["hand-day"] if hand_day else [])
        if doc.urgency:
            tags.append("urgency")
        if doc.organ.parent:
            tags.append("parent-organ")
        if kind in keep:
            plans.append((index, rng, doc, kind, layout, tags))

    lo_inputs = work / "lo"
    lo_inputs.mkdir()
    for index, rng, doc, kind, layout, tags in plans:
        if kind in ("docx", "pdf-lo", "scan-lo"):
            (lo_inputs / f"{index:05d}.docx").write_bytes(docrender.to_docx(doc, layout))
    lo_pdfs = work / "lo-pdf"
    lo_kinds = {index: kind for index, _, _, kind, _, _ in plans}
    wanted = sorted(p for p in lo_inputs.glob("*.docx") if lo_kinds[int(p.stem)] in ("pdf-lo", "scan-lo"))
    for start in range(0, len(wanted), 40):  # one LibreOffice start per 40 files
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{work}/lo-profile",
                        "--convert-to", "pdf", "--outdir", str(lo_pdfs), *map(str, wanted[start:start + 40])],
                       check=True, capture_output=True, timeout=1200)

    labels = []
    for index, rng, doc, kind, layout, tags in plans:
        ident = f"{'h' if args.heldout else 'd'}{args.seed}-{index:04d}"
        if kind == "docx":
            payload, ext = (lo_inputs / f"{index:05d}.docx").read_bytes(), "docx"
        elif kind == "pdf-lo":
            payload, ext = (lo_pdfs / f"{index:05d}.pdf").read_bytes(), "pdf"
        elif kind == "pdf-fpdf":
            payload, ext = docrender.to_pdf(doc, layout), "pdf"
        else:
            printed = ((lo_pdfs / f"{index:05d}.pdf").read_bytes() if kind == "scan-lo"
                       else docrender.to_pdf(doc, layout, typewriter=kind == "typewriter"))
            style = docscan.style_for(rng, args.heldout, typewriter=kind == "typewriter")
            tags += [f"dpi{style.dpi}"] + (["seal"] if style.seal else []) + ([style.copier] if style.copier else [])
            tags += (["bleed"] if style.bleed else []) + (["thick-pen"] if style.pen > 1 else [])
            payload = docscan.scan(printed, rng, style,
                                   number=doc.number if layout["blank_number"] else "",
                                   day=f"{doc.date.day:02d}" if layout["blank_day"] else "",
                                   name=doc.signer_name, organ=" ".join(doc.organ.lines))
            if kind != "typewriter" and rng.random() < 0.7:
                lag = rng.choice((0, 0, 0, 1, 1, 2, 3, 6))
                when = dt.datetime.combine(doc.date + dt.timedelta(days=lag),
                                           dt.time(rng.randint(7, 17), rng.randint(0, 59)), docscan.VIETNAM)
                who = doc.signer_name if rng.random() < 0.25 else " ".join(doc.organ.lines).title()
                payload = signer.sign(payload, who, when)
                tags.append("signed")
            ext = "pdf"
        name = file_name(rng, doc, ext)
        path = f"files/{index:04d}/{name}"
        (out / path).parent.mkdir(parents=True)
        (out / path).write_bytes(payload)
        labels.append(label(doc, ident, path, kind, tags, _pages(payload) if ext == "pdf" else None))
    (out / "labels.jsonl").write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in labels),
                                      encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    print(f"{len(labels)} documents in {out}")


if __name__ == "__main__":
    main()
