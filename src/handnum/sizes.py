"""The page's digit height, and marks out of scale with it: specks, lines, letters small for
their line.

Handwritten digits of one page are about one height; what the model reads as a digit at a very
different height is something else. Works on an (N, 4) box array and (N, 11) class probabilities.
"""
from __future__ import annotations

import numpy as np

from .layout import SURE_JUNK, group_lines, median, split_numbers, sure_digits

SPECK = 0.3  # marks lower than this share of the page's digit height are specks, never digits
ONE_SPECK = 0.45  # ... and "1"s lower than this, unless other digits of their size stand beside them


def digit_scale(boxes: np.ndarray, probs: np.ndarray) -> float | None:
    """The page's digit height: the median height of its sure digits other than "1" (any upright
    stroke, a letter l, a bit of a printed line, is a sure "1": 1s say nothing about digit
    size) and not `beside_letters` (a form's printed labels, whose o, a and e read as sure 0s,
    6s and 2s, may outnumber its digits; the median then tips to print size when the photo
    changes a little); None with fewer than two."""
    if not len(boxes):
        return None
    ref = sure_digits(boxes, probs) & (probs.argmax(1) != 1)
    apart = ref & ~beside_letters(boxes, probs)
    ref = apart if apart.sum() >= 2 else ref
    return float(np.median(boxes[ref, 3] - boxes[ref, 1])) if ref.sum() >= 2 else None


def beside_letters(boxes: np.ndarray, probs: np.ndarray, gap: float = 0.3) -> np.ndarray:
    """Marks in a tight cluster (`split_numbers`) with two letter-sized marks (narrower than
    tall) the model is sure (>= SURE_JUNK) are not digits: a word, whatever its other letters
    read as (one such mark beside digits is as likely a blot or a broken-off stroke; a wider
    one, two digits run together). Bool over `boxes`."""
    out = np.zeros(len(boxes), bool)
    h, w = boxes[:, 3] - boxes[:, 1], boxes[:, 2] - boxes[:, 0]
    letter = (probs[:, -1] >= SURE_JUNK) & (w < h)
    for line in group_lines(boxes):
        for c in split_numbers(boxes, line, gap):
            if len(c) > 1:  # a lone mark has no two letters
                out[c] = (letter[c] & (h[c] >= 0.4 * median(h[c]))).sum() >= 2
    return out


def line_scale(boxes: np.ndarray, probs: np.ndarray, ones: bool = True) -> np.ndarray:
    """Per mark, the median height of the sure digits beside it (overlapping it vertically by at
    least half of its height: its line); NaN where there are none. A word or a dash beside a
    number is small for its line; a line of small digits is not. `ones=False`: sure "1"s do not
    count (any short upright stroke is a sure "1")."""
    ref = np.nonzero(sure_digits(boxes, probs) & (ones | (probs.argmax(1) != 1)))[0] if len(boxes) else []
    if not len(ref):
        return np.full(len(boxes), np.nan)
    ref = ref[np.argsort(boxes[ref, 3] - boxes[ref, 1], kind="stable")]  # by height: medians by rank
    y0, y1 = boxes[:, 1:2], boxes[:, 3:4]
    ry0, ry1 = boxes[ref, 1][None, :], boxes[ref, 3][None, :]
    beside = np.minimum(ry1, y1) - np.maximum(ry0, y0) >= 0.5 * (y1 - y0)   # (N, sure digits)
    beside &= ref[None, :] != np.arange(len(boxes))[:, None]
    seen = np.cumsum(beside, axis=1)  # per mark, how many of the sure digits beside it up to each height
    n = seen[:, -1:]
    lo, hi = (np.argmax(seen > m, axis=1) for m in ((n - 1) // 2, n // 2))  # its middle one or two
    heights = (ry1 - ry0)[0]
    return np.where(n[:, 0] > 0, (heights[lo] + heights[hi]) / 2, np.nan)


def out_of_scale(boxes: np.ndarray, probs: np.ndarray, scale: float | None,
                 beside: np.ndarray | None = None) -> list[str | None]:
    """Why each mark read as a digit is out of scale with the page's digits (`digit_scale`), or
    None: a mark under SPECK of it is a "speck" (a dot, a bit of a line) and a thin mark over 3
    times it a "line" (a page edge or a margin rule, not a "1"). Digits of one page may well
    differ in size by 3 times (a heading, a footnote), so the bounds are wide (a doodle far larger
    than the digits is the judge's to set aside); within one line (`beside`, from `line_scale`)
    they do not: a mark under half the height of the sure digits beside it is "small" (a letter
    of a word, a symbol). A "1" under ONE_SPECK of the page's
    digit height is a "speck" (a bit of a box wall, a scratch) unless digits other than 1s of
    about its height stand beside it."""
    if scale is None:
        return [None] * len(boxes)
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    short_ones = (probs.argmax(1) == 1) & (h < ONE_SPECK * scale)
    if short_ones.any():
        others = line_scale(boxes, probs, ones=False)
        short_ones &= ~(h >= 0.6 * others)  # NaN (no other digits beside) compares False
    beside = np.full(len(boxes), np.nan) if beside is None else beside  # NaN: no sure digits beside
    why = np.select([(h < SPECK * scale) | short_ones, h < 0.5 * beside,  # the first that holds
                     (h > 3 * scale) & (w < 0.3 * h)], ["speck", "small", "line"], "")
    return [str(y) if d and y else None for d, y in zip(probs.argmax(1) < probs.shape[1] - 1, why)]
