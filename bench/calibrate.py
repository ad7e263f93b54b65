"""Counts, per field and evidence, how many readings of a development set were right: the confidence table.

Usage: .venv/bin/python bench/calibrate.py RECORDS.jsonl [RECORDS.jsonl …]
       .venv/bin/python bench/calibrate.py --score RECORDS.jsonl   (reliability of the current table on them)
       .venv/bin/python bench/calibrate.py --cross RECORDS.jsonl   (dev only: each half of the documents scored
                                                                    with the table counted on the other half)
RECORDS come from `bench/fields.py DIR --records FILE` on development sets only (never the held-out one);
the counts are written to gateway/understand/calibration.json, which gateway/understand/confidence.py
turns into confidences. Nothing is fitted per document: a document only adds to the counts of its evidence.
"""

from __future__ import annotations

import json
import sys
import zlib
from collections import defaultdict
from pathlib import Path

TABLE = Path(__file__).resolve().parents[1] / "gateway" / "understand" / "calibration.json"


def _records(paths: list[str]) -> list[dict]:
    return [json.loads(line) for path in paths for line in Path(path).read_text(encoding="utf-8").splitlines() if line]


def _count(records: list[dict]) -> dict[str, dict[str, list[int]]]:
    """Per field and evidence: [readings, right readings]."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for record in records:
        if not record["evidence"]:
            continue
        cell = counts[record["field"]][record["evidence"]]
        cell[0] += 1
        cell[1] += bool(record["right"])
    return {field: dict(sorted(rows.items())) for field, rows in sorted(counts.items())}


def main(paths: list[str]) -> None:
    table = _count(_records(paths))
    TABLE.write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for field, rows in table.items():
        seen = sum(n for n, _ in rows.values())
        right = sum(k for _, k in rows.values())
        print(f"{field:<16}{len(rows):>4} kinds of evidence, {seen:>5} readings, {right / seen:.1%} right")
    print(f"written to {TABLE}")


def score(path: str) -> None:
    """The reliability table of the shipped confidences on records (a confidence is a function of evidence)."""
    sys.path.insert(0, str(TABLE.parents[2]))
    from gateway.understand.confidence import _table

    _report(_records([path]), _table())


def cross(paths: list[str], verbose: bool = False) -> None:
    """Each half of the documents scored with the table of the other half: how the table does on documents it
    was not counted on, told from the development set alone (the held-out set stays out of this)."""
    records = _records(paths)
    halves = [[r for r in records if zlib.crc32(r["id"].encode()) % 2 == side] for side in (0, 1)]
    _report(halves[0] + halves[1], None, tables=[_count(halves[1]), _count(halves[0])], sides=halves,
            verbose=verbose)


def _report(records: list[dict], table: dict | None, tables: list | None = None, sides: list | None = None,
            verbose: bool = False) -> None:
    sys.path.insert(0, str(TABLE.parents[2]))
    from gateway.understand.confidence import _tabled, estimate

    side_of = {id(r): i for i, side in enumerate(sides or []) for r in side}
    bands: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    born_digital = [0, 0]  # fields of born-digital documents: at ≥ 0.9, all
    confident_wrong: list[str] = []
    for record in records:
        use = table if tables is None else _tabled(tables[side_of[id(record)]])
        counts = use.get(record["field"])
        value = estimate(counts, record["evidence"]) if counts and record["evidence"] else record["confidence"]
        band = min(int(value * 10), 9)
        bands[band][0] += 1
        bands[band][1] += bool(record["right"])
        if record["group"] in BORN_DIGITAL:
            born_digital[0] += value >= 0.9
            born_digital[1] += 1
        if value >= 0.9 and not record["right"]:
            confident_wrong.append(f"  {record['id']} [{record['group']}] {record['field']} {value:.3f} "
                                   f"{record['evidence']}")
    for band in sorted(bands):
        total, right = bands[band]
        print(f"{band / 10:.1f}–{(band + 1) / 10:.1f}  {total:>6} fields  {right / total:>7.1%} right")
    total, right = bands[9]
    print(f"at ≥ 0.9: {total - right} wrong of {total} ({(total - right) / max(total, 1):.2%}; goal ≤ 0.5 %)")
    if born_digital[1]:
        print(f"born-digital fields at ≥ 0.9: {born_digital[0]} of {born_digital[1]} "
              f"({born_digital[0] / born_digital[1]:.1%}; goal ≥ 80 %)")
    if verbose:
        print("wrong at ≥ 0.9:\n" + "\n".join(sorted(confident_wrong)))


BORN_DIGITAL = ("docx", "pdf-lo", "pdf-fpdf", "born-digital")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "--score":
        score(sys.argv[2])
    elif sys.argv[1] == "--cross":
        cross([a for a in sys.argv[2:] if a != "-v"], verbose="-v" in sys.argv)
    else:
        main(sys.argv[1:])
