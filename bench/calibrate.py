"""Counts, per field and evidence, how many readings of a development set were right: the confidence table.

Usage: .venv/bin/python bench/calibrate.py RECORDS.jsonl [RECORDS.jsonl …]
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


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
