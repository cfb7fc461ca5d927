"""Touching digits: propose cut paths through a wide candidate, let the classifier pick the best split.

Recognition-driven segmentation: cut paths ("seams") run top to bottom through the least
ink near the minima of the vertical ink projection; every run of pieces between two seams
is a proposal; all proposals of a page are classified in one batch, after the candidates'
own batch; dynamic programming over the seams then keeps the split whose pieces the classifier is most
sure are digits. Keeping the candidate whole is one of the choices, so a confident wide digit
(a broad 0, a 4) stays whole, while a wide mark the model calls "not a digit" is split.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .model import NOT_A_DIGIT, Model
from .normalize import normalize, own_ink
from .segment import Components

SPLIT_HEIGHT = 48    # wide candidates are split on a copy at most this tall (fast, and enough for 28×28)
SEAM_HEIGHT = 40     # seams are found on a copy of the candidate scaled to this height
PIECE_PENALTY = 0.1  # log-probability cost per extra piece: prefer fewer pieces on a tie
JUNK_PENALTY = 2.0   # cost of a piece the model calls "not a digit" (a dash stuck to a digit)


@dataclass
class Proposal:
    """Pieces between seams `i` and `j` of candidate `cand`: `mask` is (h, w) bool on the candidate's
    (possibly scaled-down) crop."""

    cand: int
    i: int
    j: int
    mask: np.ndarray


def split_touching(ink: np.ndarray, comps: Components, whole: np.ndarray, model: Model,
                   min_height: float | np.ndarray = 0) -> tuple[np.ndarray, np.ndarray]:
    """Classify the split proposals of wide candidates that are not clearly one digit (one batch)
    and replace each such candidate by its best split. `whole` (N, 11) holds the candidates'
    own probabilities; candidates lower than `min_height` (one for all, or one per candidate:
    bits of lines, dashes, words beside bigger digits) are left alone.
    Returns boxes (M, 4) and class probabilities (M, 11)."""
    props, crops, n_cuts = [], {}, {}
    low = np.broadcast_to(np.asarray(min_height, np.float64), (len(comps.boxes),))
    for i, (box, group) in enumerate(zip(comps.boxes, comps.groups)):
        if box[3] - box[1] >= low[i] and needs_split(box, whole[i]):
            crops[i] = _small_crop(ink, comps.labels, box, group)
            found, n_cuts[i] = proposals(i, crops[i][1])
            props += found
    if not props:
        return comps.boxes, whole
    pieces = model(np.stack([normalize(own_ink(crops[p.cand][0], p.mask)) for p in props]))
    by_cand: dict[int, dict] = {}
    for k, p in enumerate(props):
        by_cand.setdefault(p.cand, {})[(p.i, p.j)] = k
    out_boxes, out_probs = [], []
    for i, box in enumerate(comps.boxes):
        found = by_cand.get(i, {})
        scores = {ij: (float(pieces[k][:NOT_A_DIGIT].max()), float(pieces[k][NOT_A_DIGIT])) for ij, k in found.items()}
        path = best_split(n_cuts[i], float(whole[i][:NOT_A_DIGIT].max()), scores) if found else []
        if not path:
            out_boxes.append(box)
            out_probs.append(whole[i])
        for ij in path:
            k = found[ij]
            out_boxes.append(_piece_box(box, crops[i][2], props[k].mask))
            out_probs.append(pieces[k])
    return np.array(out_boxes, np.int64).reshape(-1, 4), np.array(out_probs, np.float32).reshape(-1, whole.shape[1])


def _small_crop(ink: np.ndarray, labels: np.ndarray, box: np.ndarray, group: list[int]):
    """(ink, mask, scale) of one candidate's own ink, scaled down to at most SPLIT_HEIGHT rows."""
    x0, y0, x1, y1 = box
    own = np.isin(labels[y0:y1, x0:x1], group)
    crop = own_ink(ink[y0:y1, x0:x1], own)
    f = min(1.0, SPLIT_HEIGHT / (y1 - y0))
    if f < 1:
        size = (max(1, round((x1 - x0) * f)), max(1, round((y1 - y0) * f)))
        own = cv2.resize(own.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.2
        crop = cv2.resize(crop.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    return crop, own, f


def _piece_box(box: np.ndarray, scale: float, mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.array([box[0] + int(xs.min() / scale), box[1] + int(ys.min() / scale),
                     min(box[2], box[0] + int(np.ceil((xs.max() + 1) / scale))),
                     min(box[3], box[1] + int(np.ceil((ys.max() + 1) / scale)))])


def needs_split(box: np.ndarray, probs: np.ndarray, ratio: float = 0.8, sure: float = 0.9) -> bool:
    """A candidate wide enough to hold more than one digit and not clearly one digit already
    (very wide ones are always tried)."""
    aspect = (box[2] - box[0]) / max(1, box[3] - box[1])
    if not ratio <= aspect <= 6:  # wider still: a line or a word, not a row of touching digits
        return False
    return aspect > 1.3 or probs.argmax() == len(probs) - 1 or probs.max() < sure


def seams(mask: np.ndarray, max_cuts: int = 6) -> list[np.ndarray]:
    """Cut paths through a candidate mask (h, w): each an int array of x per row, left to right."""
    h, w = mask.shape
    scale = SEAM_HEIGHT / h
    sw = max(4, round(w * scale))
    small = cv2.resize(mask.astype(np.float32), (sw, SEAM_HEIGHT), interpolation=cv2.INTER_AREA)
    profile = np.convolve(small.sum(0), np.ones(3) / 3, mode="same")
    margin = max(2, int(0.2 * SEAM_HEIGHT))
    spacing = max(2, int(0.25 * SEAM_HEIGHT))
    order = np.argsort(profile[margin:sw - margin], kind="stable") + margin
    centres: list[int] = []
    for x in order:
        if all(abs(int(x) - c) >= spacing for c in centres):
            centres.append(int(x))
        if len(centres) >= max_cuts:
            break
    if not centres:
        return []
    paths = _seams(small, np.array(sorted(centres)), max(2, int(0.15 * SEAM_HEIGHT)))
    rows = np.linspace(0, SEAM_HEIGHT - 1, h)  # back to the candidate's rows
    return [np.clip(np.round(np.interp(rows, np.arange(SEAM_HEIGHT), p) / scale), 0, w).astype(np.int64)
            for p in paths]


def _seams(ink: np.ndarray, centres: np.ndarray, band: int) -> np.ndarray:
    """Least-ink top-to-bottom paths, one per centre, each within `band` columns of its centre and
    moving at most one column per row (dynamic programming, all paths at once). (S, h) x positions."""
    h, w = ink.shape
    offsets = np.arange(-band, band + 1)
    cols = centres[:, None] + offsets[None, :]                          # (S, B)
    valid = (cols >= 0) & (cols < w)
    cost = np.where(valid[:, None, :], ink[:, np.clip(cols, 0, w - 1)].transpose(1, 0, 2) * 10, np.inf)
    cost = cost + 0.01 * np.abs(offsets)[None, None, :]                  # (S, h, B)
    acc = cost[:, 0].copy()
    back = np.zeros(cost.shape, np.int8)
    inf = np.full((len(centres), 1), np.inf)
    for y in range(1, h):
        options = np.stack([np.concatenate([inf, acc[:, :-1]], 1), acc, np.concatenate([acc[:, 1:], inf], 1)])
        k = options.argmin(0)
        acc = np.take_along_axis(options, k[None], 0)[0] + cost[:, y]
        back[:, y] = k - 1
    idx = np.zeros((len(centres), h), np.int64)
    idx[:, -1] = acc.argmin(1)
    s = np.arange(len(centres))
    for y in range(h - 1, 0, -1):
        idx[:, y - 1] = idx[:, y] + back[s, y, idx[:, y]]
    return np.take_along_axis(cols, idx, 1) + 0.5  # the cut runs between pixel columns


def proposals(cand: int, mask: np.ndarray) -> tuple[list[Proposal], int]:
    """Every run of pieces between two cut paths (borders included) that could be one digit:
    not empty, not a sliver, not wider than 1.2 digit heights. Also returns the number of cuts
    (the right border is cut `n + 1`)."""
    h, w = mask.shape
    guess = max(2, round(w / (0.6 * h)))  # digits it may hold
    cuts = [np.zeros(h)] + [s.astype(np.float64) for s in seams(mask, min(8, guess + 2))] + [np.full(h, w + 1.0)]
    xs = np.arange(w)[None, :]
    out = []
    for i in range(len(cuts)):
        for j in range(i + 1, len(cuts)):
            if i == 0 and j == len(cuts) - 1:
                continue  # the whole candidate is classified anyway
            piece = mask & (xs >= cuts[i][:, None]) & (xs < cuts[j][:, None])
            cols = np.nonzero(piece.any(0))[0]
            if len(cols) and 0.12 * h <= cols[-1] - cols[0] + 1 <= 1.2 * h and piece.sum() >= 0.02 * mask.sum():
                out.append(Proposal(cand, i, j, piece))
    return out, len(cuts) - 2


def best_split(n_cuts: int, whole: float, pieces: dict[tuple[int, int], tuple[float, float]]) -> list[tuple[int, int]]:
    """The best path from border 0 to border `n_cuts + 1` through the cuts.

    `whole` is the digit probability of the unsplit candidate; `pieces[(i, j)]` is
    (best digit probability, not-a-digit probability) of the piece between cuts i and j.
    Returns the chosen (i, j) pairs, [] meaning "keep it whole".
    """
    end = n_cuts + 1
    best = np.full(end + 1, -np.inf)
    prev = [-1] * (end + 1)
    best[0] = 0.0
    for j in range(1, end + 1):
        for i in range(j):
            if (i, j) not in pieces or best[i] == -np.inf:
                continue
            digit, junk = pieces[(i, j)]
            score = max(np.log(max(digit, 1e-9)), np.log(max(junk, 1e-9)) - JUNK_PENALTY) - PIECE_PENALTY
            if best[i] + score > best[j]:
                best[j], prev[j] = best[i] + score, i
    if best[end] <= np.log(max(whole, 1e-9)):
        return []
    path, j = [], end
    while j > 0:
        i = prev[j]
        path.append((i, j))
        j = i
    return path[::-1]
