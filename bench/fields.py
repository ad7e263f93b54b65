"""Per-field accuracy, a reliability table of the confidences, and seconds per document, over a labelled set.

Usage: .venv/bin/python bench/fields.py DIR [--misses] [--records FILE] [--ocr-speed]
DIR holds labels.jsonl and the files it names (vn-real, or a set made by bench/docset.py). --misses prints
each wrong field (use it on development sets only: a held-out set is looked at through its figures);
--records writes one JSON line per field (value, wanted value, source, confidence, evidence, right or
wrong) for bench/calibrate.py; --ocr-speed also times page-1 OCR of the first scan against bare `tesseract`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from gateway.core.config import Config  # noqa: E402
from gateway.core.text import exact_key  # noqa: E402
from gateway.core.values import FieldValue  # noqa: E402
from gateway.understand.single import read_file  # noqa: E402


def _both(meta, first: str, second: str) -> FieldValue | None:
    a, b = meta.fields.get(first), meta.fields.get(second)
    if a is None or b is None:
        return None
    return FieldValue(f"{a.value}/{b.value}", a.confidence * b.confidence, a.source if a.source == b.source
                      else f"{a.source}+{b.source}")


# label key → the reader's value (a FieldValue, or None when it read nothing)
FIELDS = {
    "so_ky_hieu": lambda m: _both(m, "code_number", "code_notation"),
    "ngay_ban_hanh": lambda m: m.fields.get("issued_date"),
    "dia_danh": lambda m: m.fields.get("place"),
    "co_quan_ban_hanh": lambda m: m.fields.get("organ_name"),
    "loai_van_ban": lambda m: m.fields.get("type_name"),
    "trich_yeu": lambda m: m.fields.get("subject"),
    "nguoi_ky": lambda m: m.fields.get("signer_name"),
    "chuc_vu": lambda m: m.fields.get("signer_position"),
    "kinh_gui": lambda m: m.fields.get("addressees"),
}
GOALS = {"so_ky_hieu": 0.98, "ngay_ban_hanh": 0.98, "co_quan_ban_hanh": 0.95, "trich_yeu": 0.90, "nguoi_ky": 0.90}


def _key(value) -> str:
    if isinstance(value, list):
        return "|".join(_key(v) for v in value)
    return " ".join(exact_key(str(value or "")).split())


def _wanted(label: dict, name: str):
    want = label.get(name) or ""
    if name == "kinh_gui":
        return want or []
    return want


def _read(value: FieldValue | None, name: str):
    if value is None:
        return [] if name == "kinh_gui" else ""
    return [x for x in value.value.split("; ") if x] if name == "kinh_gui" else value.value


# reader field → the label key it is checked against, for bench/calibrate.py
PARTS = {"code_number": "so", "code_notation": "ky_hieu", "issued_date": "ngay_ban_hanh", "place": "dia_danh",
         "organ_name": "co_quan_ban_hanh", "type_name": "loai_van_ban", "subject": "trich_yeu",
         "signer_name": "nguoi_ky", "signer_position": "chuc_vu", "addressees": "kinh_gui"}


def _record(out, label: dict, group: str, meta, found: dict[str, str]) -> None:
    """One line per field the reader filled: its evidence, what it read against what was wanted, and whether it was right."""
    for key, name in PARTS.items():
        value = meta.fields.get(key)
        if value is None:
            continue
        want, read = _wanted(label, name), _read(value, name)
        out.write(json.dumps({"id": label["id"], "group": group, "field": key, "evidence": found.get(key, ""),
                              "confidence": value.confidence, "right": _key(want) == _key(read),
                              "value": read, "want": want, "source": value.source}, ensure_ascii=False) + "\n")


def _group(label: dict) -> str:
    if "kind" in label:
        return label["kind"]
    return "born-digital" if label.get("text_layer") else "scan"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--records")
    parser.add_argument("--ocr-speed", action="store_true")
    args = parser.parse_args()
    root = Path(args.directory)
    labels = [json.loads(line) for line in (root / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line]
    config = Config()
    hits: dict[str, int] = defaultdict(int)
    group_hits: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    seconds: dict[str, list[float]] = defaultdict(list)
    cpu_seconds: dict[str, list[float]] = defaultdict(list)  # one core's time, whatever else runs
    bands: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    born_digital = [0, 0]  # fields of born-digital documents: at ≥ 0.9, all
    misses: list[str] = []
    records = open(args.records, "w", encoding="utf-8") if args.records else None
    for label in labels:
        path = root / label["file"]
        payload = path.read_bytes()
        started, cpu = time.perf_counter(), time.process_time()
        _, meta, found = read_file(payload, path.name, config)
        spent, cpu = time.perf_counter() - started, time.process_time() - cpu
        group = _group(label)
        seconds[group].append(spent)
        cpu_seconds[group].append(cpu)
        if not label.get("text_layer"):
            seconds[f"scan, {label.get('pages') or '?'} p"].append(spent)
            cpu_seconds[f"scan, {label.get('pages') or '?'} p"].append(cpu)
        if records is not None:
            _record(records, label, group, meta, found)
        urgency_name = ("", "Khẩn", "Thượng khẩn", "Hỏa tốc")[meta.urgency]
        urgency_right = _key(label.get("do_khan") or "") == _key(urgency_name)
        hits["do_khan"] += urgency_right
        group_hits[(group, "do_khan")][0] += urgency_right
        group_hits[(group, "do_khan")][1] += 1
        if not urgency_right:
            misses.append(f"  {label['id']} [{group}] do_khan: want {label.get('do_khan')!r} got {urgency_name!r}")
        for name, read in FIELDS.items():
            value = read(meta)
            want, got = _wanted(label, name), _read(value, name)
            right = _key(want) == _key(got)
            hits[name] += right
            group_hits[(group, name)][0] += right
            group_hits[(group, name)][1] += 1
            if not right:
                misses.append(f"  {label['id']} [{group}] {name}: want {want!r} got {got!r}"
                              f"{f' [{value.source} {value.confidence:.2f}]' if value else ''}")
            if value is not None:
                band = min(int(value.confidence * 10), 9)
                bands[band][0] += 1
                bands[band][1] += right
                if label.get("born_digital", label.get("text_layer")):
                    born_digital[0] += value.confidence >= 0.9
            if label.get("born_digital", label.get("text_layer")):
                born_digital[1] += 1
        print(f"{label['id']}: {spent:5.2f} s", flush=True)
    if records is not None:
        records.close()
    count = len(labels)
    groups = sorted({g for g, _ in group_hits})
    print(f"\n{'field':<18}{'all':>8}" + "".join(f"{g[:12]:>14}" for g in groups) + "   goal")
    for name in [*FIELDS, "do_khan"]:
        row = f"{name:<18}{hits[name] / count:>7.1%} "
        for g in groups:
            right, total = group_hits[(g, name)]
            row += f"{right / total:>8.1%} ({total:>3})" if total else f"{'':>14}"
        goal = GOALS.get(name)
        print(row + (f"   ≥ {goal:.0%}" if goal else ""))
    print("\nreliability (fields the reader filled, by confidence band)")
    print(f"{'band':<12}{'fields':>8}{'right':>8}{'observed':>10}")
    for band in range(10):
        total, right = bands[band]
        if total:
            print(f"{band / 10:.1f}–{(band + 1) / 10:.1f}{'':<5}{total:>8}{right:>8}{right / total:>10.1%}")
    top_total, top_right = bands[9]
    print(f"at ≥ 0.9: {top_total - top_right} wrong of {top_total} "
          f"({(top_total - top_right) / top_total if top_total else 0:.2%}; goal ≤ 0.5 %)")
    if born_digital[1]:
        print(f"born-digital fields at ≥ 0.9: {born_digital[0]} of {born_digital[1]} "
              f"({born_digital[0] / born_digital[1]:.1%}; goal ≥ 80 %)")
    print("\nseconds per document (wall; CPU of this process)")
    for group, spent in sorted(seconds.items()):
        cpu = cpu_seconds[group]
        print(f"  {group:<16}{sum(spent) / len(spent):6.2f} s; CPU {sum(cpu) / len(cpu):5.2f} s  ({len(spent)} documents, "
              f"slowest {max(spent):.2f} s)")
    if args.misses:
        print("misses:\n" + "\n".join(misses))
    scanned = next((root / label["file"] for label in labels if not label.get("text_layer")), None)
    if scanned and args.ocr_speed:
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
    top = ocr.ocr_region(pdf, 0, 0.45, config.understand.ocr_dpi)
    parse(doc_text([top.page]), "ocr")
    ours = time.perf_counter() - started
    print(f"page-1 OCR of {path.name}: ours (render + clean-up + top 45 % + fields) {ours:.2f} s; "
          f"bare `tesseract -l vie` on the whole page {bare:.2f} s")


if __name__ == "__main__":
    main()
