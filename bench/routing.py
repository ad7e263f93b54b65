"""Routing speed: the shipped rules (rules/) evaluated over documents with ~50 KB of Vietnamese text.

Baseline, measured in the same run: folding the text once (what a single keyword rule on the text costs). The figure is documents per second and the ratio evaluation / baseline (1.0 = rules cost nothing).
Usage: .venv/bin/python bench/routing.py [N]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from gateway.routing.evaluate import evaluate
from gateway.routing.facts import Facts
from gateway.routing.rules import load_rules

REPO = Path(__file__).resolve().parent.parent
PARAGRAPH = ("Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư; "
             "Ủy ban nhân dân tỉnh đề nghị các sở, ban, ngành phối hợp triển khai thực hiện kế hoạch. ")
SUBJECTS = ["V/v bảo đảm cung cấp điện dịp Tết", "V/v giải quyết đơn khiếu nại", "V/v lập dự toán ngân sách",
            "Về việc phát triển cụm công nghiệp", "Thông báo kết luận cuộc họp"]


def documents(count: int) -> list[Facts]:
    text = PARAGRAPH * (50_000 // len(PARAGRAPH))
    return [Facts(sender=f"vanthu{n}@hanoi.gov.vn", organ_name="Ủy ban nhân dân tỉnh Hà Nam",
                  trich_yeu=SUBJECTS[n % len(SUBJECTS)], subject=f"Công văn {n}", text=text + str(n),
                  urgency=n % 4) for n in range(count)]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    ruleset = load_rules(REPO / "rules")
    docs = documents(count)
    start = time.perf_counter()
    for facts in documents(count):
        facts.folded["text"]  # noqa: B018 - the baseline: folding the text once, as a rule on the text does
    baseline = count / (time.perf_counter() - start)
    start = time.perf_counter()
    leads = [evaluate(ruleset, facts).lead for facts in docs]
    rate = count / (time.perf_counter() - start)
    print(f"routing: {count} documents, {len(ruleset.rules)} rules: {rate:,.0f} docs/s; baseline, folding the "
          f"50 KB text once: {baseline:,.0f} docs/s (ratio {rate / baseline:.1f}); leads {sorted(set(leads))}")


if __name__ == "__main__":
    main()
