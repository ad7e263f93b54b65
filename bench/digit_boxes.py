"""The handwritten-digit recognizer measured on its own: on the số, day and month boxes the reader cuts from a
labelled set's scans, and on digits drawn in handwriting fonts.

Usage:
  .venv/bin/python bench/digit_boxes.py dump DIR BOXES.npz [--misses --records FILE]   # bench/fields.py on DIR,
                                  # keeping every box of a scan the reader gave digits.read, with the label's value
  .venv/bin/python bench/digit_boxes.py score BOXES.npz [--misses]   # read the kept boxes again (the code as it is
                                                            # now) and count those read as the label has it
  .venv/bin/python bench/digit_boxes.py fonts FONT.ttf ... [--count 200] [--seed 1]   # two-digit numbers drawn in
                                                            # each font on a scan's paper, read as a day box is

``dump`` runs the whole reader once (the slow part: OCR); ``score`` reruns only the recognizer and the reader's
own choice of a số, day or month among its readings (handwriting._a_number, _a_day, _a_month), so a change to
gateway/understand/digits.py is measured in seconds. A box is right when that choice is the label's value (a số
as written, a day or month as a number). Fonts for ``fonts`` must be none that bench/docscan.py draws with.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from gateway.understand import digits, handwriting  # noqa: E402

CHOOSERS = {"so": handwriting._a_number, "day": handwriting._a_day, "month": handwriting._a_month}


def _truth(label: dict, kind: str) -> str:
    """The label's số (as written), day or month (as a number), or "" when it has none."""
    if kind == "so":
        return str(label.get("so") or "")
    date = str(label.get("ngay_ban_hanh") or "")
    if len(date) != 10:
        return ""
    return str(int(date[8:10] if kind == "day" else date[5:7]))


def _recording(calls: list[dict]):
    """Wrap digits.read and the reader's choosers so that each box read is kept in ``calls`` with its kind."""
    reading = digits.read

    def read(gray, most=6, first=True, start=0, end=0):
        calls.append({"gray": np.array(gray), "most": most, "first": first, "start": start, "end": end})
        return reading(gray, most, first, start, end)

    def tagging(kind, choose):
        def chosen(hand):
            if calls and "kind" not in calls[-1]:
                calls[-1]["kind"] = kind
            return choose(hand)
        return chosen

    digits.read = read
    for kind, choose in CHOOSERS.items():
        setattr(handwriting, f"_a_{'number' if kind == 'so' else kind}", tagging(kind, choose))


def dump(root: Path, out: Path, measure: list[str]) -> None:
    """Read every scan of ``root`` with the whole reader, as bench/fields.py does (its figures printed, and its
    options ``measure`` passed on), and keep the boxes the reader gave the recognizer."""
    import fields

    labels = [json.loads(line) for line in (root / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line]
    by_file = {((root / label["file"]).name, (root / label["file"]).stat().st_size): label for label in labels}
    calls: list[dict] = []
    _recording(calls)
    boxes, meta = [], []
    reading = fields.read_file

    def read_file(payload, filename, config):
        calls.clear()
        found = reading(payload, filename, config)
        label = by_file[(filename, len(payload))]
        if not label.get("text_layer"):
            boxes_kept = _kept(calls, label)
            boxes.extend(gray for gray, _ in boxes_kept)
            meta.extend(box for _, box in boxes_kept)
        return found

    fields.read_file = read_file
    sys.argv = ["fields.py", str(root), *measure]
    fields.main()
    np.savez_compressed(out, meta=json.dumps(meta, ensure_ascii=False), **{f"box{i}": b for i, b in enumerate(boxes)})
    print(f"wrote {len(boxes)} boxes to {out}")


def _kept(calls: list[dict], label: dict) -> list[tuple[np.ndarray, dict]]:
    """The distinct boxes of one document's recorded calls that the reader chose a số, day or month from."""
    seen, out = set(), []
    for call in calls:
        kind = call.get("kind")
        key = (kind, call["gray"].tobytes())
        if kind is None or key in seen:
            continue
        seen.add(key)
        out.append((call["gray"], {"id": label["id"], "kind": kind, "want": _truth(label, kind), "most": call["most"],
                                   "first": call["first"], "start": call["start"], "end": call["end"]}))
    return out


def _chosen(gray: np.ndarray, box: dict) -> str:
    """The reader's choice for one kept box, as the code reads it now."""
    hand = digits.read(gray, box["most"], box["first"], box["start"], box["end"])
    text = CHOOSERS[box["kind"]](hand).text
    return text if box["kind"] == "so" or not text else str(int(text))


def score(path: Path, misses: bool) -> None:
    """Count the kept boxes read as the label has them, by kind, and the seconds the recognizer spent."""
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        boxes = [data[f"box{i}"] for i in range(len(meta))]
    counts: dict[str, list[int]] = {}
    started = time.process_time()
    for gray, box in zip(boxes, meta):
        if not box["want"]:
            continue
        got = _chosen(gray, box)
        tally = counts.setdefault(box["kind"], [0, 0])
        tally[0] += got == box["want"]
        tally[1] += 1
        if misses and got != box["want"]:
            print(f"  {box['id']} {box['kind']}: want {box['want']!r} got {got!r}")
    spent = time.process_time() - started
    for kind, (right, total) in sorted(counts.items()):
        print(f"{kind:<6}{right:>5} of {total:<5}")
    print(f"all   {sum(r for r, _ in counts.values()):>5} of {sum(t for _, t in counts.values()):<5}"
          f"({spent:.2f} s CPU for {len(boxes)} boxes)")


def _drawn(font_path: str, text: str, rng: np.random.Generator) -> np.ndarray:
    """``text`` in the font, as a pen of some darkness and size on a scan's paper between bits of print's width."""
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    size = int(rng.integers(14, 44))
    font = ImageFont.truetype(font_path, size)
    x0, y0, x1, y1 = font.getbbox(text)
    margin = size
    image = Image.new("L", (x1 - x0 + 2 * margin, int(2.2 * size)), 255)
    ImageDraw.Draw(image).text((margin - x0, (image.height - (y1 - y0)) // 2 - y0), text, font=font, fill=0)
    ink = (255 - np.asarray(image, np.float32)) / 255
    h, w = ink.shape
    shear = rng.uniform(-0.25, 0.25)
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-6, 6), 1.0)
    turn[0, 1] += shear
    turn[0, 2] -= shear * h / 2
    ink = cv2.warpAffine(ink, turn, (w, h), flags=cv2.INTER_LINEAR)
    paper = rng.uniform(215, 250)
    pen = rng.uniform(0, paper - 60)
    box = paper - ink * (paper - pen)
    box = cv2.GaussianBlur(box, (0, 0), rng.uniform(0.3, 1.0)) + rng.normal(0, rng.uniform(1, 5), box.shape)
    box = box.clip(0, 255).astype(np.uint8)
    quality = int(rng.integers(40, 90))
    return cv2.imdecode(cv2.imencode(".jpg", box, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_GRAYSCALE)


def fonts(paths: list[str], count: int, seed: int) -> None:
    """Two-digit numbers drawn in each font, read as a day box is: digits right by place, and numbers right."""
    rng = np.random.default_rng(seed)
    all_digits, all_numbers = [0, 0], [0, 0]
    for path in paths:
        right, numbers = 0, 0
        for _ in range(count):
            text = f"{int(rng.integers(0, 100)):02d}"
            got = digits.read(_drawn(path, text, rng), most=2, first=False).text
            right += sum(a == b for a, b in zip(got, text)) if len(got) == len(text) else 0
            numbers += got == text
        print(f"{Path(path).name:<34}{right:>5} of {2 * count} digits, {numbers:>4} of {count} numbers")
        all_digits[0] += right
        all_digits[1] += 2 * count
        all_numbers[0] += numbers
        all_numbers[1] += count
    print(f"{'all':<34}{all_digits[0]:>5} of {all_digits[1]} digits, {all_numbers[0]:>4} of {all_numbers[1]} numbers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump")
    dumping.add_argument("directory", type=Path)
    dumping.add_argument("out", type=Path)
    dumping.add_argument("measure", nargs=argparse.REMAINDER, help="options for bench/fields.py (--records FILE)")
    scoring = commands.add_parser("score")
    scoring.add_argument("boxes", type=Path)
    scoring.add_argument("--misses", action="store_true")
    drawing = commands.add_parser("fonts")
    drawing.add_argument("fonts", nargs="+")
    drawing.add_argument("--count", type=int, default=200)
    drawing.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.directory, args.out, args.measure)
    elif args.command == "score":
        score(args.boxes, args.misses)
    else:
        fonts(args.fonts, args.count, args.seed)


if __name__ == "__main__":
    main()
