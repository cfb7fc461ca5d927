"""Ruled lines that are not straight: a notebook page photographed curled or at an angle.

`preprocess.find_rules` finds rules as long *straight* runs of ink. On a curled page a rule
bends: its straight runs are short where it slopes, it is not found there, and digits written
on it merge with it into one long flat mark (lost as a "line"). Here such a rule is found as a
long chain of vertically thin ink and taken out along its own smoothed course, so the strokes
of digits that cross or touch it stay.
"""
from __future__ import annotations

import cv2
import numpy as np

from .labelling import components

THIN = 6        # at most this many px of ink in a column: a rule's cross-section, not a pen stroke
SMOOTH = 31     # columns over which a rule's course is smoothed (digits touching it do not bend it)
SPREAD = 0.15   # a rule spans at most this share of its length in height (plus THIN)
SOLID = 0.8     # a rule has ink in at least this share of the columns it spans
BENT = 1.5      # a rule whose course leaves a straight line by this many half-thicknesses bends
ARC = 0.03      # ... by at most this share of its length (more: the arc of a loop drawn round a number)
FOUND = 0.5     # a straight chain with rules found in this share of its columns is `find_rules`' own


def curved_rules(mask: np.ndarray, rules: np.ndarray) -> np.ndarray:
    """Pixels of ruled lines of `mask` that `rules` (the straight ones found already) miss:
    chains of vertically thin ink (runs of at most THIN px down a column) at least a fifth of the
    page wide, at most SPREAD of their length high and thin on average, that bend or were not
    found (sloping, their straight runs too short); a straight chain found already is left to
    `rules` (a form's box lines keep their edges). Of each, the pixels within its thickness of
    its smoothed course (`_along`). Returns a uint8 mask, without the pixels of `rules`."""
    w = mask.shape[1]
    thin = mask & (1 - cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((THIN + 1, 1), np.uint8)))
    # a pen stroke crossing the line is no thin ink: join the line's pieces across such gaps
    joined = cv2.dilate(thin, np.ones((1, 2 * THIN + 1), np.uint8))
    n, labels, stats, _ = components(joined)
    cw, ch = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    area = np.bincount(labels[thin > 0], minlength=n)
    long = (cw >= max(40, w // 5)) & (ch <= SPREAD * cw + THIN) & (area <= 0.75 * THIN * cw)
    long[0] = False
    out = np.zeros_like(mask)
    for k in np.flatnonzero(long):
        x, y = stats[k, cv2.CC_STAT_LEFT], stats[k, cv2.CC_STAT_TOP]
        box = slice(y, y + ch[k]), slice(x, x + cw[k])
        own = (labels[box] == k) & (thin[box] > 0)
        line, bent = _along(own)
        if bent or (rules[box] > 0).any(0)[own.any(0)].mean() < FOUND:
            out[box] |= line.astype(np.uint8)
    return out & (1 - rules)


def _along(own: np.ndarray) -> tuple[np.ndarray, bool]:
    """The pixels of a chain of thin ink (`own`, over its box) within its thickness of its course,
    and whether the course bends (leaves a straight line by over BENT half-thicknesses). The
    course: per column the middle of its ink, smoothed by a running median over SMOOTH columns
    (a digit's stroke touching the line pulls single columns only); columns without ink take
    their neighbours'. Nothing for a chain with ink in under SOLID of its columns, nor for one
    bent by more than ARC of its length."""
    rows = np.arange(own.shape[0])[:, None]
    count = own.sum(0)
    has = count > 0
    if has.mean() < SOLID:  # gaps: the tops of a row of digits, chained across the gaps between them
        return np.zeros_like(own), False
    middle = np.where(has, (own * rows).sum(0) / np.maximum(count, 1), np.nan)
    cols = np.arange(own.shape[1])
    middle = np.interp(cols, cols[has], middle[has])
    pad = SMOOTH // 2
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(middle, pad, mode="edge"), SMOOTH)
    course = np.median(windows, axis=1)
    half = float(np.median(count[has])) / 2 + 1
    off = np.abs(course - np.polyval(np.polyfit(cols, course, 1), cols)).max()
    if off > ARC * len(cols):  # a paper's rule bends gently
        return np.zeros_like(own), False
    return own & (np.abs(rows - course[None, :]) <= half), bool(off > BENT * half)
