"""Training samples for the piece model: digits cut out of rows of touching digits.

The splitter (`handnum.touching`) cuts a mark that holds several digits with straight cuts near
the middle of each overlap, so every piece it shows the model carries bits of its neighbours: the
end of a 0's loop, the foot of a 2. The main model never saw such pieces and often calls them
"not a digit" or a wrong digit. These samples are exactly such pieces: MNIST *training* digits
put side by side, neighbours overlapping by up to MAX_OVERLAP of their width (some written in one
stroke: the digit before ends where the next begins, `OCCLUDE`), cut straight near the middle of
each overlap and normalised as the splitter does; the label is the digit in the middle. Some are
zeros cut out of runs of zeros ("1000", "2500"), which writers set closer and in one stroke. Pieces
across two digits (the right half of one, the left half of the next) and pieces of scribbles are
"not a digit": the splitter weighs every way to cut, and a cut in the wrong place, or a scribble
split like any other wide mark, must not leave pieces that pass for digits.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..model import NOT_A_DIGIT
from ..normalize import normalize

MAX_OVERLAP = 0.35  # neighbours overlap by up to this share of the narrower one's width
JITTER = 0.12       # cuts land this far (share of the row's height) either side of the overlap's middle
HEIGHT = 40         # rows are drawn this tall, about as tall as the splitter's copies (SPLIT_HEIGHT)
OCCLUDE = 0.5       # share of neighbours written in one stroke with the digit before: its ink under
                    # this one is left out ("1000" written as 1CCO: each 0 open where the next begins)
RUN_OVERLAP, RUN_OCCLUDE = (0.1, 0.45), 0.8  # a run of zeros ("1000", "2500"): written closer, mostly
                    # in one stroke, so each 0 but the last is a C with the next one's left arc inside it


def _digit(rng: np.random.Generator, digits: np.ndarray, k: int | None = None) -> tuple[np.ndarray, int]:
    k = int(rng.integers(len(digits))) if k is None else k
    d = digits[k]
    ys, xs = np.nonzero(d > 40)
    return d[ys.min():ys.max() + 1, xs.min():xs.max() + 1], k


def row_piece(rng: np.random.Generator, digits: np.ndarray, ones: np.ndarray | None = None,
              mode: str = "digit", first: int | None = None, run: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """One piece: a digit with a neighbour on one or both sides, cut straight near the middle of
    each overlap, normalised (28×28 float32). Returns the piece and the index of the middle digit
    (-1 for a piece that is not a digit). A neighbour that is a 1 (`ones[k]`) gives the piece none
    of its ink. Other modes make pieces that are not digits: "straddle" cuts through the middle
    of the first two digits (the right half of one, the left half of the next), both at least half
    as wide as tall; "swallow" keeps the whole first digit, `first` (a 1), with the second: a
    piece holding a whole 1 beside a 0 must not read as "0", or the splitter swallows the 1.
    `run`: indices of zeros; all three digits are drawn from them and written as a run of zeros
    is, closer and mostly in one stroke (RUN_OVERLAP, RUN_OCCLUDE)."""
    if run is not None:
        parts = [_digit(rng, digits, int(rng.choice(run))) for _ in range(3)]
    else:
        parts = [_digit(rng, digits, first)] + [_digit(rng, digits) for _ in range(2)]
    overlap, occlude = ((-0.05, MAX_OVERLAP), OCCLUDE) if run is None else (RUN_OVERLAP, RUN_OCCLUDE)
    scale = HEIGHT / max(p.shape[0] for p, _ in parts)
    parts = [(cv2.resize(p, (max(1, round(p.shape[1] * scale)), max(1, round(p.shape[0] * scale))),
                         interpolation=cv2.INTER_LINEAR), k) for p, k in parts]
    width = sum(p.shape[1] for p, _ in parts) + 2 * HEIGHT
    canvas = np.zeros((HEIGHT + 8, width), np.uint8)
    x, spans = 4, []
    for n, (p, _) in enumerate(parts):
        if n:
            x -= int(rng.uniform(*overlap) * min(p.shape[1], parts[n - 1][0].shape[1]))
        spans.append((x, x + p.shape[1], 4 + int(rng.integers(0, HEIGHT - p.shape[0] + 1))))
        x += p.shape[1]
    # a digit at the start or the end of its number: no neighbour there
    ends = (rng.random(2) < 0.2) & [mode != "swallow", True]
    for n, ((p, _), (x0, x1, y)) in enumerate(zip(parts, spans)):
        if (n == 0 and ends[0]) or (n == 2 and ends[1]):
            continue
        region = canvas[y:y + p.shape[0], x0:x1]
        if n and rng.random() < occlude:  # written in one stroke: the digit before ends where this begins
            ink = p > 40
            left = np.where(ink.any(1), ink.argmax(1), p.shape[1])  # this digit's left edge, per row
            region[np.arange(p.shape[1])[None, :] >= left[:, None]] = 0
        np.maximum(region, p, out=region)
    (a0, a1, _), (b0, b1, _), (c0, c1, _) = spans
    if mode == "straddle":
        if min(a1 - a0, b1 - b0) < 0.5 * HEIGHT:
            return np.zeros((28, 28), np.float32), -1  # a 1 has no halves: skipped by `generate`
        lo, hi = int(a0 + rng.uniform(0.35, 0.65) * (a1 - a0)), int(b0 + rng.uniform(0.35, 0.65) * (b1 - b0))
        return normalize(canvas[:, lo:hi].astype(np.float32) / 255), -1
    if mode == "swallow":
        hi = int(np.clip((b1 + c0) / 2 + rng.normal(0, JITTER * HEIGHT), b1 - (b1 - b0) / 3, c0 + (c1 - c0) / 3))
        return normalize(canvas[:, :hi].astype(np.float32) / 255), -1
    third = (b1 - b0) / 3  # a cut keeps at least two thirds of the middle digit, at most a third of a neighbour
    jitter = JITTER * HEIGHT
    lo = 0 if ends[0] else int(np.clip((b0 + a1) / 2 + rng.normal(0, jitter), a1 - (a1 - a0) / 3, b0 + third))
    hi = width if ends[1] else int(np.clip((b1 + c0) / 2 + rng.normal(0, jitter), b1 - third, c0 + (c1 - c0) / 3))
    if ones is not None:
        lo = int(min(max(lo, a1), b0 + third)) if ones[parts[0][1]] and not ends[0] else lo
        hi = int(max(min(hi, c0), b1 - third)) if ones[parts[2][1]] and not ends[1] else hi
    return normalize(canvas[:, lo:hi].astype(np.float32) / 255), parts[1][1]


def scribble_piece(rng: np.random.Generator) -> np.ndarray:
    """A window of a wide pen scribble, normalised: what the splitter makes of a crossed-out word."""
    h = HEIGHT
    w = int(h * rng.uniform(1.5, 4.0))
    img = np.zeros((h, w), np.uint8)
    pen = max(2, int(round(h * rng.uniform(0.05, 0.14))))
    n = int(rng.integers(6, 16))
    pts = np.stack([rng.uniform(0, w, n), rng.uniform(0, h, n)], 1).astype(np.int32)
    cv2.polylines(img, [pts], False, 255, pen, cv2.LINE_AA)
    span = int(h * rng.uniform(0.4, 1.1))
    x0 = int(rng.integers(0, max(1, w - span)))
    return normalize(img[:, x0:x0 + span].astype(np.float32) / 255)


def half_zero(rng: np.random.Generator, digits: np.ndarray, k: int) -> np.ndarray:
    """The left or right part (0.4-0.6 of its width) of the zero `digits[k]` alone, normalised."""
    d, _ = _digit(rng, digits, k)
    cut = int(round(d.shape[1] * rng.uniform(0.4, 0.6)))
    part = d[:, :cut] if rng.random() < 0.5 else d[:, cut:]
    return normalize(part.astype(np.float32) / 255)


def generate(n: int, seed: int, digits: np.ndarray, labels: np.ndarray, scribbles: float = 0.15,
             straddles: float = 0.15, swallows: float = 0.04, zeros: float = 0.08,
             halves: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    """`n` pieces, (n, 28, 28) uint8 and their labels (n,); `scribbles` of them are scribble pieces,
    `straddles` pieces across two digits and `swallows` whole 1s with their neighbour (all "not a
    digit"); `zeros` zeros cut out of runs of zeros, and `halves` halves of a lone zero ("not a
    digit": a 0 open on one side because the next one covers it is a 0; a 0 cut in two is not, or
    two wide zeros touching read "000"). Reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    ones = labels == 1
    one_idx, zero_idx = np.flatnonzero(ones), np.flatnonzero(labels == 0)
    out, lab = np.zeros((n, 28, 28), np.uint8), np.zeros(n, np.uint8)
    i = 0
    while i < n:
        r = rng.random()
        if r < scribbles:
            img, label = scribble_piece(rng), NOT_A_DIGIT
        elif r < scribbles + straddles:
            img, label = row_piece(rng, digits, mode="straddle")[0], NOT_A_DIGIT
        elif r < scribbles + straddles + swallows and len(one_idx):
            img, label = row_piece(rng, digits, mode="swallow", first=int(rng.choice(one_idx)))[0], NOT_A_DIGIT
        elif r < scribbles + straddles + swallows + zeros and len(zero_idx):
            img, label = row_piece(rng, digits, run=zero_idx)[0], 0
        elif r < scribbles + straddles + swallows + zeros + halves and len(zero_idx):
            img, label = half_zero(rng, digits, int(rng.choice(zero_idx))), NOT_A_DIGIT
        else:
            img, k = row_piece(rng, digits, ones)
            label = int(labels[k])
        if img.max() > 0:
            out[i], lab[i] = (img * 255).astype(np.uint8), label
            i += 1
    return out, lab
