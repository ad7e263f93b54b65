"""A handwritten-digit recognizer for the small boxes where the số and the day are written after printing.

Tesseract reads print; a hand's digits it often misreads or loses. Here the box is thresholded on its own
(and the hand's group of pieces again on its own columns), cut into connected components (pieces that overlap
in x are one digit), and read the way that makes the likeliest digits: each piece alone, neighbours joined into
one digit (a stroke's gap) or a piece wider than a digit cut at its thinnest columns (touching digits). Each
piece is classified by a small convolutional network trained on real handwriting (MNIST and the UCI digits,
scripts/train_digits.py), never on the document generator's fonts: once as its thresholded ink and once as its
grey, the two readings joined (a small or pale hand that thresholds into blobs keeps its strokes in the grey).
Two networks trained apart read each piece and their probabilities are averaged (an ensemble: a hand one of them
misreads the other seldom misreads the same way). Inference is numpy only: the weights
(gateway/understand/digits.npz and digits-b.npz) are loaded once.

A reading carries the probability of each of its digits: the product is its confidence, and the
alternatives (the second-best class at each place) are kept so that the checks (the signature's day, the
printed month) can choose among them.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REJECT = 10  # the class of "not a digit"
_WEIGHTS = Path(__file__).with_name("digits.npz")
# The ensemble: each network's weights file and the share of its probabilities. The second, wider network was
# trained apart (another seed, all of MNIST, scripts/train_digits.py): where one misreads a hand the two seldom
# agree on the same wrong digit. The first keeps the larger share: it reads a small blurred hand's grey better.
_NETWORKS: tuple[tuple[Path, float], ...] = ((_WEIGHTS, 0.7), (_WEIGHTS.with_name("digits-b.npz"), 0.3))


@dataclass(frozen=True)
class Reading:
    text: str  # the digits, best first
    confidence: float  # the product of the digits' probabilities
    places: tuple[tuple[float, ...], ...] = ()  # per digit, the probabilities of 0–9

    def alternatives(self, limit: int = 8, per_place: int = 2) -> list[tuple[str, float]]:
        """Readings in order of probability (each place's ``per_place`` likeliest digits), the best first."""
        if not self.places:
            return []
        options = []
        for probs in self.places:
            top = sorted(range(10), key=lambda d: -probs[d])[:per_place]
            options.append([(str(d), probs[d]) for d in top])
        out = []
        for combo in itertools.product(*options):
            out.append(("".join(c for c, _ in combo), float(np.prod([p for _, p in combo]))))
        out.sort(key=lambda x: -x[1])
        return out[:limit]


def normalise(binary: np.ndarray) -> np.ndarray | None:
    """Ink (non-zero) of one digit → 28×28 floats in [0, 1]: cropped, fitted into 20×20 keeping its shape, centred
    by its mass (the MNIST convention, so training and reading see the same thing)."""
    import cv2

    ys, xs = np.nonzero(binary)
    if len(ys) < 3:
        return None
    crop = binary[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32)
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    small = np.clip(small / 255.0, 0, 1)
    out = np.zeros((28, 28), np.float32)
    total = small.sum()
    if total <= 0:
        return None
    cy = (small.sum(axis=1) * np.arange(nh)).sum() / total
    cx = (small.sum(axis=0) * np.arange(nw)).sum() / total
    top = round(14 - cy)
    left = round(14 - cx)
    top = min(max(top, 0), 28 - nh)
    left = min(max(left, 0), 28 - nw)
    out[top:top + nh, left:left + nw] = small
    return out


@functools.cache
def _weights(path: Path) -> dict[str, np.ndarray]:
    """One network's weights, as float32 arrays by their layer's name."""
    with np.load(path) as data:
        return {k: data[k].astype(np.float32) for k in data.files}


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Valid convolution: x (n, c, h, w), w (o, c, k, k) → (n, o, h-k+1, w-k+1)."""
    k = w.shape[2]
    n, c, h, width = x.shape
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # n, c, H, W, k, k
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n, h - k + 1, width - k + 1, c * k * k)
    out = cols @ w.reshape(len(w), -1).T + b  # n, H, W, o
    return out.transpose(0, 3, 1, 2)


def _pool(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    return x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def classify(samples: np.ndarray) -> np.ndarray:
    """(n, 28, 28) normalised digits → (n, 11) probabilities (0–9, then "not a digit"): the ensemble's networks'
    probabilities, each by its share."""
    return sum(share * _network(_weights(path), samples) for path, share in _NETWORKS)


def _network(p: dict[str, np.ndarray], samples: np.ndarray) -> np.ndarray:
    """One network's (n, 11) probabilities of (n, 28, 28) normalised digits."""
    x = samples[:, None].astype(np.float32)
    x = _pool(np.maximum(_conv(x, p["0_weight"], p["0_bias"]), 0))
    x = _pool(np.maximum(_conv(x, p["3_weight"], p["3_bias"]), 0))
    x = x.reshape(len(x), -1)
    x = np.maximum(x @ p["7_weight"].T + p["7_bias"], 0)
    logits = x @ p["10_weight"].T + p["10_bias"]
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def grey(gray: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A piece's ink in grey (0 the paper, 255 its darkest ink) within a pixel of its thresholded ink ``mask``: a
    small or pale hand's strokes that the threshold runs into one blob keep their shape in the grey, as MNIST's
    do. ``gray`` is the piece's columns of the box (dark ink on light paper), as tall as the box."""
    import cv2

    paper = float(np.median(gray))
    ink = np.clip(paper - gray.astype(np.float32), 0, None)
    ink[cv2.dilate(mask, np.ones((3, 3), np.uint8)) == 0] = 0
    darkest = float(np.percentile(ink[mask > 0], 95)) if (mask > 0).any() else 0.0
    if darkest <= 0:
        return mask
    return np.clip(ink * (255 / darkest), 0, 255)


def ink(gray: np.ndarray, start: int = 0, end: int = 0) -> np.ndarray | None:
    """The box's ink as 255 on 0 (Otsu on the box alone, from ``start`` on and before ``end`` when given: a pen
    paler than print still shows, and the print left or right of the box does not set the threshold), or None
    when the box holds no contrast."""
    import cv2

    box = gray[:, start:] if 0 < start < gray.shape[1] - 8 else gray
    if 8 < end - max(start, 0) and end < gray.shape[1]:
        box = box[:, :end - (gray.shape[1] - box.shape[1])]
    if box.size == 0 or int(box.max()) - int(box.min()) < 40:
        return None
    level, _ = cv2.threshold(np.ascontiguousarray(box), 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _, binary = cv2.threshold(gray, level, 255, cv2.THRESH_BINARY_INV)
    return _pinholes_filled(binary)


_PINHOLE = 0.025  # a hole in the ink reaching at most this share of the box's height from its edge is a pinhole


def _pinholes_filled(binary: np.ndarray) -> np.ndarray:
    """The ink with its pinholes filled: paper enclosed by ink no wider than a few pixels at the reading scale
    (a hollow or grainy stroke's centre, a JPEG speck in a bold stroke) is not a digit's loop, which is wider."""
    import cv2

    paper = (binary == 0).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    if count <= 2:
        return binary
    height, width = binary.shape
    wide = np.zeros(count, bool)  # the paper's parts that reach further than a pinhole from the ink
    wide[labels[cv2.distanceTransform(paper, cv2.DIST_L2, 3) > _PINHOLE * height]] = True
    x, y, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    pinhole = (x > 0) & (y > 0) & (x + w < width) & (y + h < height) & ~wide
    pinhole[0] = False
    if not pinhole.any():
        return binary
    return np.where(pinhole[labels], np.uint8(255), binary).astype(np.uint8)


_TOUCHING = 0.15  # a piece starting this share of the box's height before the print after it is a digit touching it
_EDGE = 0.3  # a piece the box's top or bottom edge cuts that lies within this share of its height is print


def _pieces(binary: np.ndarray, start: int = 0, end: int = 0) -> list[tuple[int, int, np.ndarray]]:
    """The box's digit-sized pieces left to right as (x0, x1, their ink): components that overlap in x
    joined, specks and rules dropped; components whose middle lies before ``start`` (or from ``end`` on, when
    given) are print, left out before the sizes that tell a speck are measured (a bold "y" would make a 7's bar
    one)."""
    import cv2

    height = binary.shape[0]
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    ids = [i for i in range(1, count) if _within(stats[i][0], stats[i][0] + stats[i][2], start, end, height)]
    keep = []
    tall = max((int(stats[i][3]) for i in ids if stats[i][2] < 2.5 * stats[i][3]), default=0)
    big = max((int(stats[i][4]) for i in ids), default=0)
    for i in ids:
        x, y, w, h, area = stats[i]
        if (h < 0.4 * tall and area < 0.12 * big) or area < 6:
            continue  # a speck, a dot of a dotted line, a tone mark
        if (y == 0 and y + h < _EDGE * height) or (y + h == height and y > (1 - _EDGE) * height):
            continue  # the line above's descenders or the line below's marks, cut by the box's edge
        if w > 2.5 * h and h < 0.3 * height:
            continue  # an underline
        keep.append([x, x + w, [i]])
    keep.sort(key=lambda k: k[0])
    tallest = max((stats[ids[0]][3] for _, _, ids in keep), default=0)
    merged: list[list] = []
    for piece in keep:
        if merged:
            last = merged[-1]
            overlap = min(last[1], piece[1]) - max(last[0], piece[0])
            # a piece under or over another is part of its digit (a 5's flag, a broken stroke) unless both are
            # of a digit's height: a slanted hand's neighbours overlap too
            short = min(_height(stats, last[2]), _height(stats, piece[2])) < 0.6 * tallest
            narrow = max(last[1], piece[1]) - min(last[0], piece[0]) < 0.85 * tallest  # together one digit's width
            if overlap > 0.5 * min(last[1] - last[0], piece[1] - piece[0]) and (short or narrow or overlap > 0.85 * min(
                    last[1] - last[0], piece[1] - piece[0])):
                last[1] = max(last[1], piece[1])
                last[2] += piece[2]
                continue
        merged.append(piece)
    out = []
    for x0, x1, ids in merged:
        mask = np.isin(labels[:, x0:x1], ids).astype(np.uint8) * 255
        out.append((x0, x1, mask))
    return out


def _within(x0: float, x1: float, start: int, end: int, height: int) -> bool:
    """True when a piece from ``x0`` to ``x1`` is handwriting, not print, by where the print's estimated ends lie
    (``end`` 0: none on the right): its middle after ``start``, and before ``end`` or its start well before it
    (a last digit touching the ký hiệu's slash is one piece with it, whose middle the slash moves right)."""
    middle = (x0 + x1) / 2
    return middle >= start and (not end or middle < end or x0 < end - _TOUCHING * height)


def _height(stats: np.ndarray, ids: list[int]) -> int:
    return int(max(stats[i][1] + stats[i][3] for i in ids) - min(stats[i][1] for i in ids))


def _cuts(mask: np.ndarray, shade: np.ndarray, parts: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The piece (its ink and its grey) cut into ``parts`` at its ink's thinnest columns near the even cuts."""
    ys, xs = np.nonzero(mask)
    mask = mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    shade = shade[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    w = mask.shape[1]
    column = (mask > 0).sum(axis=0).astype(np.float32)
    cuts = [0]
    for k in range(1, parts):
        centre = w * k / parts
        lo, hi = int(max(cuts[-1] + 2, centre - w / (3 * parts))), int(min(w - 2, centre + w / (3 * parts)))
        if hi <= lo:
            return []
        cuts.append(lo + int(np.argmin(column[lo:hi])))
    cuts.append(w)
    return [(mask[:, a:b], shade[:, a:b]) for a, b in itertools.pairwise(cuts)]


def _probabilities(parts: list[tuple[np.ndarray, np.ndarray]], slant: float = 0.0) -> np.ndarray:
    """Each part's class probabilities from its thresholded ink's and its grey's (a large clear hand reads best from
    its ink, a small or pale one, whose strokes the threshold runs together, from its grey): their geometric mean,
    which a class both readings find likely leads, without a sureness that neither reading had. Each part is first
    sheared upright by the hand's ``slant``."""
    empty = np.zeros((28, 28), np.float32)
    parts = [_upright(mask, shade, slant) for mask, shade in parts]
    inks = [normalise(mask) for mask, _ in parts]
    shades = [normalise(shade) for _, shade in parts]
    both = classify(np.stack([x if x is not None else empty for x in inks + shades]))
    joint = np.sqrt(both[:len(parts)] * both[len(parts):])
    return joint / joint.sum(axis=1, keepdims=True)


_STEEPEST = 1.0  # a slant sheared upright at most this far (x per y): a hand leans less than 45°
_LEARNED_LEAN = 0.1  # the lean (x per y) left unsheared: MNIST's hands lean this much, the network reads it


def _slant(pieces: list[tuple[int, int, np.ndarray]]) -> float:
    """How far the hand leans (x per y, right positive) beyond what the network learned, from its pieces' second
    moments pooled, each piece about its own middle: one digit's diagonal (a 2's, a 7's) would mislead, the
    hand's lean is shared by all its digits."""
    across, down = 0.0, 0.0
    for _, _, mask in pieces:
        ys, xs = np.nonzero(mask)
        dy, dx = ys - ys.mean(), xs - xs.mean()
        across += float((dy * dx).sum())
        down += float((dy * dy).sum())
    lean = float(np.clip(across / max(down, 1e-6), -_STEEPEST, _STEEPEST))
    return float(np.sign(lean)) * max(abs(lean) - _LEARNED_LEAN, 0.0)


def _upright(mask: np.ndarray, shade: np.ndarray, slant: float) -> tuple[np.ndarray, np.ndarray]:
    """A piece's ink and grey sheared by ``slant`` (x per y) towards upright (the network learned upright digits: a
    slanted 8 reads as a 1, a leaning 0 as a 6); ``mask`` and ``shade`` are as tall as the box."""
    import cv2

    ys, _ = np.nonzero(mask)
    if len(ys) < 3 or slant == 0.0:
        return mask, shade
    height, width = mask.shape
    pad = int(abs(slant) * height) + 2
    middle = float(ys.mean())
    shear = np.float32([[1, -slant, pad + slant * middle], [0, 1, 0]])
    size = (width + 2 * pad, height)
    return (cv2.warpAffine(mask, shear, size, flags=cv2.INTER_NEAREST),
            cv2.warpAffine(shade.astype(np.float32), shear, size, flags=cv2.INTER_LINEAR))


JOIN = 0.5  # the prior of reading pieces that do not touch as one digit (a stroke's gap, a 5's bar)
CUT = 0.5  # … and of cutting a piece into digits, per cut (two digits that touch)
_WIDEST = 1.1  # pieces joined into one digit span at most this many times the group's height


def _segments(gray: np.ndarray, pieces: list[tuple[int, int, np.ndarray]],
              height: int) -> list[tuple[int, int, float, list[tuple[np.ndarray, np.ndarray]]]]:
    """The ways to read runs of pieces as digits, as (first piece, after the last, prior, parts): each piece alone,
    two or three pieces joined into one digit when together no wider than a digit, and a piece wider than a digit
    cut in two or three."""
    out = []
    for i, (x0, x1, mask) in enumerate(pieces):
        shade = grey(gray[:, x0:x1], mask)
        out.append((i, i + 1, 1.0, [(mask, shade)]))
        ratio = (x1 - x0) / max(height, 1)
        for parts, wide in ((2, 0.85), (3, 1.5)):
            cut = _cuts(mask, shade, parts) if ratio > wide else []
            if cut:
                out.append((i, i + 1, CUT ** (parts - 1), cut))
        for j in range(i + 2, min(len(pieces), i + 3) + 1):
            right = max(p[1] for p in pieces[i:j])
            if right - x0 > _WIDEST * height:
                break
            joined = np.zeros((gray.shape[0], right - x0), np.uint8)
            for a, b, m in pieces[i:j]:
                joined[:, a - x0:b - x0] |= m
            out.append((i, j, JOIN ** (j - i - 1), [(joined, grey(gray[:, x0:right], joined))]))
    return out


def _segmented(gray: np.ndarray, pieces: list[tuple[int, int, np.ndarray]], height: int,
               most: int) -> list[np.ndarray]:
    """The pieces read as digits the way whose digits are likeliest together (segmentation by recognition): each
    way's score is the product of its digits' probabilities and its joins' and cuts' priors, and it holds at most
    ``most`` digits. Returns each digit's class probabilities, less print at the edges (a piece
    first or last that reads as no digit: a colon, a slash)."""
    segments = _segments(gray, pieces, height)
    probs = _probabilities([part for *_, parts in segments for part in parts], _slant(pieces))
    starting: list[list[tuple[int, float, np.ndarray]]] = [[] for _ in pieces]  # the ways from each piece on
    at = 0
    for i, j, prior, parts in segments:
        rows = probs[at:at + len(parts)]
        at += len(parts)
        score = np.log(prior) + float(np.log(np.maximum(rows[:, :10].max(axis=1), 1e-9)).sum())
        starting[i].append((j, score, rows))
    # best[i][count]: the best way to read the first i pieces as ``count`` digits
    best: list[dict[int, tuple[float, list]]] = [{0: (0.0, [])}] + [{} for _ in pieces]
    for i in range(len(pieces)):
        for count, (score, path) in best[i].items():
            for j, gain, rows in starting[i]:
                total, digits_read = score + gain, count + len(rows)
                if digits_read <= most and (digits_read not in best[j] or total > best[j][digits_read][0]):
                    best[j][digits_read] = (total, path + [(i, j, rows)])
    if not best[-1]:
        return []
    _, path = max(best[-1].values(), key=lambda v: v[0])
    places = []
    for a, j, rows in path:
        for row in rows:
            if row[REJECT] > 0.6 and (a == 0 or j == len(pieces)):
                continue  # print at the box's edge: a colon, a slash
            places.append(row)
    return places


_TALL = 100  # the height a box is read at, at least: a line of print at 300 dpi, with the space over and under it


def _larger(gray: np.ndarray, scale: float) -> np.ndarray:
    """The box enlarged smoothly, so that the threshold and the cuts between digits fall between pixels: strokes a
    pixel apart at 150 dpi that the threshold would join stay apart in the grey between them."""
    import cv2

    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def _tallest(pieces: list[tuple[int, int, np.ndarray]]) -> int:
    """The height of the tallest piece's ink: a digit's height in the hand that wrote them."""
    return max(int(np.ptp(np.nonzero(mask)[0])) + 1 for _, _, mask in pieces)


def _on_its_own(gray: np.ndarray, pieces: list[tuple[int, int, np.ndarray]],
                height: int) -> list[tuple[int, int, np.ndarray]]:
    """The group's pieces again from a threshold of its own columns: a pale pen beside black print (the ký hiệu's
    slash, "Số:") falls under the box's threshold in fragments, a 6 in three pieces, a 9 in dots."""
    a = max(0, min(p[0] for p in pieces) - height // 3)
    b = min(gray.shape[1], max(p[1] for p in pieces) + height // 3)
    binary = ink(gray[:, a:b])
    if binary is None:
        return pieces
    again = [(x0 + a, x1 + a, mask) for x0, x1, mask in _pieces(binary) if x0 > 0 and x1 < b - a]
    return again or pieces


def read(gray: np.ndarray, most: int = 6, first: bool = True, start: int = 0, end: int = 0) -> Reading:
    """The digits handwritten in a grey box (a numpy array, dark ink on light paper): at most ``most`` of them,
    the first group of pieces (``first``: the số, whose box the ký hiệu's slash ends) or the largest (a day
    between "ngày" and "tháng").

    ``start`` is where the print before the box ("Số:", "ngày") is thought to end when ``gray`` was cut wider
    on the left: a piece whose middle lies before it is print, one it cuts but mostly after it is handwriting.
    ``end`` likewise is where the print after the box (the ký hiệu's slash) is thought to start when ``gray`` was
    cut wider on the right: a last digit written touching the slash is one piece with it, kept whole (and cut
    from it by the segmentation) rather than dropped as print the crop's edge cuts."""
    if gray.shape[0] < _TALL:  # a small box (a 150 dpi scan's): its strokes are a pixel or two wide
        scale = _TALL / gray.shape[0]
        gray, start, end = _larger(gray, scale), int(start * scale), int(end * scale)
    binary = ink(gray, start, end)
    if binary is None:
        return Reading("", 0.0)
    pieces = _pieces(binary, start, end)
    width = binary.shape[1]
    # The box is bounded by print ("ngày" and "tháng", "Số:" and the ký hiệu's slash): a piece the crop's edge
    # cuts is print, and so is one whose middle lies before the print's estimated end or after its next start.
    pieces = [p for p in pieces if p[0] > 0 and p[1] < width and _within(p[0], p[1], start, end, binary.shape[0])]
    if not pieces:
        return Reading("", 0.0)
    height = _tallest(pieces)
    # A hand writes a number's digits together: a gap wider than a digit is tall parts them from print.
    groups = [[pieces[0]]]
    for piece in pieces[1:]:
        if piece[0] - groups[-1][-1][1] > 1.1 * height:
            groups.append([])
        groups[-1].append(piece)
    if not first:
        groups = [max(groups, key=lambda g: (len(g), sum(int(m.sum()) for _, _, m in g)))]
    for pieces in groups:  # the số: the first group that holds a digit (not "Số:"'s colon alone)
        height = _tallest(pieces)
        pieces = _on_its_own(gray, pieces, height)
        height = _tallest(pieces)
        if len(pieces) > most + 3:
            return Reading("", 0.0)
        places = _segmented(gray, pieces, height, most + 2)
        if places:
            break
    if not places or len(places) > most + 2:
        return Reading("", 0.0)
    if len(places) > most:  # print at the box's edges read as digits: the likeliest run of ``most`` stands
        start = max(range(len(places) - most + 1),
                    key=lambda at: float(np.prod([row[:10].max() for row in places[at:at + most]])))
        places = places[start:start + most]
    places_arr = np.stack(places)
    digit = places_arr[:, :10]
    text = "".join(str(int(d)) for d in digit.argmax(axis=1))
    confidence = float(np.prod(digit.max(axis=1)))
    return Reading(text, confidence, tuple(tuple(float(v) for v in row) for row in digit))
