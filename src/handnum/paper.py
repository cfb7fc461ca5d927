"""Find the sheet: where paper lies on a contrasting background (a desk, a cloth, a table), read
only inside it, so background patterns never become digits.

Paper is bright and unsaturated; the sheet is the largest such region when it covers a fair
part of the picture but not all of it and its outline is convex. A scan or a photo filled
with paper gives None and is read whole.
"""
from __future__ import annotations

import cv2
import numpy as np

WORK = 400  # the search runs on a copy this many pixels on its long side
SHADE = 0.5  # a shadow or vignette keeps at least this share of the light (desks under paper: below 0.5 ...)
SAME_COLOUR = 0.05  # ... or of another colour: chromaticities (b, g, r)/(b+g+r) this far apart, summed


def find_paper(image: np.ndarray, min_share: float = 0.12, max_share: float = 0.92) -> np.ndarray | None:
    """The sheet's outline as an (N, 2) int32 polygon in image pixels, or None when the picture
    is all paper (or no sheet stands out)."""
    h, w = image.shape[:2]
    scale = WORK / max(h, w)
    small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_NEAREST)
    if small.ndim == 2:
        small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    score = np.clip(hsv[:, :, 2].astype(np.int16) - hsv[:, :, 1], 0, 255).astype(np.uint8)
    score = cv2.medianBlur(score, 5)
    otsu, _ = cv2.threshold(score, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    level = float(np.percentile(score, 92))  # the paper, if a sheet covers at least ~10 %
    bright = (score > max(otsu, 0.75 * level)).astype(np.uint8)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))  # ink on the paper
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if n < 2:
        return None
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, bw, bh, area = stats[k]
    sh, sw = bright.shape
    share = area / (sh * sw)
    e = 3  # px of the small copy
    touches = int(x <= e) + int(y <= e) + int(x + bw >= sw - e) + int(y + bh >= sh - e)
    if not min_share <= share <= max_share or touches >= 3:
        return None
    inside, outside = score[labels == k], score[labels != k]
    if len(outside) == 0 or float(np.median(inside)) - float(np.median(outside)) < 40:
        return None  # not a sheet standing out from its background
    if in_shade(small, labels == k):
        return None  # the same paper, in shadow
    contours, _ = cv2.findContours((labels == k).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.convexHull(max(contours, key=cv2.contourArea))
    if area / max(cv2.contourArea(hull), 1.0) < 0.85:
        return None  # ragged: not a sheet
    return np.round(hull.reshape(-1, 2) / scale).astype(np.int32)


def in_shade(image: np.ndarray, lit: np.ndarray) -> bool:
    """True when what lies outside `lit` (bool mask of the BGR `image`) is the same paper in shade:
    a shadow or a vignette darkens the paper but keeps its colour; a desk, a cloth or a table under
    a sheet is much darker or of another colour."""
    k = np.ones((5, 5), np.uint8)  # away from the edge, where the two blur together
    inside = cv2.erode(lit.astype(np.uint8), k) > 0
    outside = cv2.erode((~lit).astype(np.uint8), k) > 0
    if not inside.any() or not outside.any():
        return False
    a = np.median(image[inside], 0).astype(np.float64) + 1
    b = np.median(image[outside], 0).astype(np.float64) + 1
    return b.sum() >= SHADE * a.sum() and float(np.abs(a / a.sum() - b / b.sum()).sum()) < SAME_COLOUR


def paper_mask(shape: tuple[int, int], polygon: np.ndarray, margin: float = 0.02) -> np.ndarray:
    """uint8 mask of the sheet (1 inside), shrunk by `margin` of the page size to drop its edge."""
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(mask, [polygon.astype(np.int32)], 1)
    k = max(3, int(margin * max(shape[:2])) | 1)
    return cv2.erode(mask, np.ones((k, k), np.uint8))
