"""Counts, per field and evidence, how many readings of a development set were right: the confidence table.

Usage: .venv/bin/python bench/calibrate.py RECORDS.jsonl [RECORDS.jsonl …]
       .venv/bin/python bench/calibrate.py --score RECORDS.jsonl   (reliability of the current table on them)
RECORDS come from `bench/fields.py DIR --records FILE` on development sets only (never the held-out one);
the counts are written to gateway/understand/calibration.json, which gateway/understand/confidence.py
turns into confidences. Nothing is fitted per document: a document only adds to the counts of its evidence.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

TABLE = Path(__file__).resolve().parents[1] / "gateway" / "understand" / "calibration.json"


def main(paths: list[str]) -> None:
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line:
                continue
            record = json.loads(line)
            if not record["evidence"]:
                continue
            cell = counts[record["field"]][record["evidence"]]
            cell[0] += 1
            cell[1] += bool(record["right"])
    table = {field: dict(sorted(rows.items())) for field, rows in sorted(counts.items())}
    TABLE.write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for field, rows in table.items():
        seen = sum(n for n, _ in rows.values())
        right = sum(k for _, k in rows.values())
        print(f"{field:<16}{len(rows):>4} kinds of evidence, {seen:>5} readings, {right / seen:.1%} right")
    print(f"written to {TABLE}")


def score(path: str) -> None:
    """The reliability table of the shipped confidences on records (a confidence is a function of evidence)."""
    sys.path.insert(0, str(TABLE.parents[2]))
    from gateway.understand.confidence import _table, estimate

    table = _table()
    bands: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    born_digital = [0, 0]  # fields of born-digital documents: at ≥ 0.9, all
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        counts = table.get(record["field"])
        value = estimate(counts, record["evidence"]) if counts and record["evidence"] else record["confidence"]
        band = min(int(value * 10), 9)
        bands[band][0] += 1
        bands[band][1] += bool(record["right"])
        if record["group"] in BORN_DIGITAL:
            born_digital[0] += value >= 0.9
            born_digital[1] += 1
    for band in sorted(bands):
        total, right = bands[band]
        print(f"{band / 10:.1f}–{(band + 1) / 10:.1f}  {total:>6} fields  {right / total:>7.1%} right")
    total, right = bands[9]
    print(f"at ≥ 0.9: {total - right} wrong of {total} ({(total - right) / max(total, 1):.2%}; goal ≤ 0.5 %)")
    if born_digital[1]:
        print(f"born-digital fields at ≥ 0.9: {born_digital[0]} of {born_digital[1]} "
              f"({born_digital[0] / born_digital[1]:.1%}; goal ≥ 80 %)")


BORN_DIGITAL = ("docx", "pdf-lo", "pdf-fpdf", "born-digital")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "--score":
        score(sys.argv[2])
    else:
        main(sys.argv[1:])
