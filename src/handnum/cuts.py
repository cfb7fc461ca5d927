"""Cut paths through a wide mark that may hold several digits run together (`touching` chooses
among the pieces between them).

Cuts start at the minima of the mark's vertical ink projection. A cut is either a vertical line
(for a row of digits, whose loops reach under their neighbours) or a seam: the top-to-bottom path
through the least ink within a band around its start, found for every seam of a page at once by
dynamic programming.
"""
from __future__ import annotations

import cv2
import numpy as np

SEAM_HEIGHT = 40     # seams are found on a copy of the candidate scaled to this height


def cut_paths(masks: list[np.ndarray], straight: list[bool]) -> list[list[np.ndarray]]:
    """For each candidate mask (h, w) its cuts, each a float array of x per row (between pixel
    columns): the left border, the right border, then one cut per seam centre, left to right:
    a vertical line where `straight`, else the seam found from it (all seams of the page at once)."""
    smalls, centres = [], []
    for mask in masks:
        h, w = mask.shape
        small = cv2.resize(mask.astype(np.float32), (max(4, round(w * SEAM_HEIGHT / h)), SEAM_HEIGHT),
                           interpolation=cv2.INTER_AREA)
        guess = max(2, round(w / (0.6 * h)))  # digits it may hold
        smalls.append(small)
        centres.append(seam_centres(small, min(14, 2 * guess + 2)))
    found = seams(smalls, [[] if st else cs for cs, st in zip(centres, straight)])
    out = []
    for mask, cs, st, paths in zip(masks, centres, straight, found):
        h, w = mask.shape
        if st:
            inner = [np.full(h, np.round((x + 0.5) * h / SEAM_HEIGHT)) for x in cs]
        else:
            rows = np.linspace(0, SEAM_HEIGHT - 1, h)  # back to the candidate's rows and columns
            inner = [np.clip(np.round(np.interp(rows, np.arange(SEAM_HEIGHT), p) * h / SEAM_HEIGHT), 0, w)
                     for p in paths]
        out.append([np.zeros(h), np.full(h, w + 1.0)] + inner)
    return out


def seam_centres(small: np.ndarray, max_cuts: int) -> list[int]:
    """Columns of a candidate (scaled to SEAM_HEIGHT rows) where cuts are made: the minima of
    its vertical ink projection, at least a quarter height apart, not near the ends."""
    sw = small.shape[1]
    profile = np.convolve(small.sum(0), np.ones(3) / 3, mode="same")
    margin = max(2, int(0.2 * SEAM_HEIGHT))
    spacing = max(2, int(0.25 * SEAM_HEIGHT))
    centres: list[int] = []
    free = np.ones(sw, bool)  # not within `spacing` of a centre taken
    for x in np.argsort(profile[margin:sw - margin], kind="stable") + margin:
        if free[x]:
            centres.append(int(x))
            free[max(0, x - spacing + 1):x + spacing] = False
        if len(centres) >= max_cuts:
            break
    return sorted(centres)


def seams(smalls: list[np.ndarray], centres: list[list[int]], band: float = 0.15) -> list[np.ndarray]:
    """Least-ink top-to-bottom paths through candidates scaled to SEAM_HEIGHT rows, one per centre,
    each within `band` heights of its centre and moving at most one column per row. All
    candidates at once (dynamic programming, vectorised over every path of the page).
    Returns per candidate an (S, SEAM_HEIGHT) array of x positions (between pixel columns)."""
    b = max(2, int(band * SEAM_HEIGHT))
    offsets = np.arange(-b, b + 1)
    cols, costs = [], []
    for small, cs in zip(smalls, centres):
        w = small.shape[1]
        c = np.asarray(cs, np.int64).reshape(-1, 1) + offsets[None, :]           # (S, B)
        inside = (c >= 0) & (c < w)
        cost = np.where(inside[:, None, :], small[:, np.clip(c, 0, w - 1)].transpose(1, 0, 2) * 10, np.inf)
        cols.append(c)
        costs.append(cost + 0.01 * np.abs(offsets))                                 # (S, h, B)
    if not sum(len(c) for c in cols):
        return [np.zeros((0, SEAM_HEIGHT)) for _ in smalls]
    idx = _least_paths(np.concatenate(costs))
    paths = np.take_along_axis(np.concatenate(cols), idx, 1) + 0.5  # the cut runs between pixel columns
    return np.split(paths, np.cumsum([len(c) for c in cols])[:-1])


def _least_paths(cost: np.ndarray) -> np.ndarray:
    """For costs (S, h, B): per path the band positions (S, h) of the cheapest top-to-bottom walk
    that moves at most one position per row (ties go left)."""
    n, h, nb = cost.shape
    acc = cost[:, 0].copy()
    back = np.zeros((n, h, nb), np.int8)
    pad = np.full((n, nb + 2), np.inf)
    for y in range(1, h):
        pad[:, 1:-1] = acc
        left, right = pad[:, :-2], pad[:, 2:]
        step = np.where(acc < left, 0, -1).astype(np.int8)
        best = np.minimum(acc, left)
        take = right < best
        step[take] = 1
        acc = np.where(take, right, best) + cost[:, y]
        back[:, y] = step
    idx = np.zeros((n, h), np.int64)
    idx[:, -1] = acc.argmin(1)
    s = np.arange(n)
    for y in range(h - 1, 0, -1):
        idx[:, y - 1] = idx[:, y] + back[s, y, idx[:, y]]
    return idx
