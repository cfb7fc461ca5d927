"""Skew: a page photographed at an angle (up to ±45°) is straightened before segmentation.

Two cues. Rows of digits: a digit's nearest neighbour sits beside it in its row, so the
directions to nearest neighbours agree on the row direction (when most of them do). Ruled
lines: projected onto the page's true vertical axis, long straight lines pile up in sharp
peaks (the projection profile, sum of squared bin counts, is much sharper than at 0°); they
win when present. Either estimate is refined on the profile in 0.2° steps, and kept only where the
profile is sharper turned than as the page stands (the edge of a hard shadow across a level page is
a long line too, but the page's rows do not follow it). Small skews
(under 1° for lines, 3° for rows of digits) are left alone. Straightening turns the ink map; boxes found on the turned copy are
mapped back with `box_back`.
"""
from __future__ import annotations

import cv2
import numpy as np

MAX_ANGLE = 45.0   # degrees searched either way
MIN_ANGLE = 1.0      # smaller skews of ruled lines are left alone (rules must be level to be removed)
MIN_ROW_ANGLE = 3.0  # rows of digits alone: line grouping follows a slope this small anyway
WORK = 600         # the search runs on ink pixels of a copy this many pixels on its long side
SAMPLE = 5_000     # at most this many ink pixels take part
MIN_MARKS = 4      # fewer marks than this make no rows
MAX_MARKS = 400    # the largest this many marks vote on the row direction


def _sharpness(xs: np.ndarray, ys: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Sharpness of the projection profile of points (xs, ys) for each angle (degrees)."""
    t = np.deg2rad(angles)[:, None]
    rows = (ys[None, :] * np.cos(t) - xs[None, :] * np.sin(t)).astype(np.float32)  # y on the turned page
    rows = (rows - rows.min(1, keepdims=True) + 0.5).astype(np.int64)
    span = int(rows.max()) + 1
    offsets = (np.arange(len(angles)) * span)[:, None]
    counts = np.bincount((rows + offsets).ravel(), minlength=span * len(angles)).reshape(len(angles), span)
    return (counts.astype(np.float64) ** 2).sum(1)


def skew_angle(mask: np.ndarray) -> float:
    """Degrees to turn `mask` (uint8 ink mask) by (counter-clockwise, as `straighten` and
    cv2 count them) so its rows lie level; 0.0 when it looks straight or holds too little ink."""
    h, w = mask.shape
    f = min(1.0, WORK / max(h, w))
    small = mask
    if f < 1:  # any ink in a small pixel counts, so thin rules survive the shrinking
        small = (cv2.resize(mask * 255, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA) > 40)
        small = small.astype(np.uint8)
    rows, least = line_angle(small), MIN_ANGLE
    if rows is None:  # no long lines: rows of digits, which the reader follows up to a few degrees
        n, _, stats, centres = cv2.connectedComponentsWithStats(small, connectivity=8)
        rows, least = neighbour_angle(stats[1:], centres[1:]), MIN_ROW_ANGLE
    if rows is None:
        return 0.0
    ys, xs = np.nonzero(small)
    if len(xs) > SAMPLE:
        step = len(xs) / SAMPLE  # an even spread over the page, no randomness
        pick = (np.arange(SAMPLE) * step).astype(np.int64)
        xs, ys = xs[pick], ys[pick]
    fine = np.arange(rows - 1.6, rows + 1.61, 0.2)
    sharp = _sharpness(xs.astype(np.float64), ys.astype(np.float64), np.append(fine, 0.0))
    best = int(np.argmax(sharp[:-1]))
    if sharp[best] <= sharp[-1]:  # the ink lines up no better turned (a shadow's edge, one long stroke): level
        return 0.0
    angle = round(float(fine[best]), 1)
    return 0.0 if abs(angle) < least else angle


def line_angle(small: np.ndarray, agree: float = 0.5) -> float | None:
    """The direction (degrees) of the long straight lines of `small` (rules, margins, box edges;
    vertical ones count turned by 90°), from a Hough transform: lines at least a quarter of the
    page long. None unless lines holding at least `agree` of the votes agree (±1.5°)."""
    top = small.copy()
    top[1:] &= 1 - small[:-1]  # only the top edge of each stroke votes: fewer votes, same lines
    found = cv2.HoughLines(top, 1, np.pi / 180, max(small.shape) // 4)
    if found is None or len(found) == 0:  # OpenCV 4 says None, OpenCV 5 an empty array
        return None
    found = found[:40, 0]  # strongest first: (rho, theta)
    a = np.degrees(found[:, 1]) - 90  # a level line has its normal at 90°
    a = np.where(a < -45, a + 90, np.where(a > 45, a - 90, a))  # vertical lines: the turn that makes them upright
    votes = np.linspace(1.0, 0.5, len(a))  # rank as a stand-in for the vote count
    support = np.array([votes[np.abs(a - x) <= 1.5].sum() for x in a])
    best = int(np.argmax(support))
    if support[best] < agree * votes.sum():
        return None
    near = np.abs(a - a[best]) <= 1.5
    return float(np.average(a[near], weights=votes[near]))


def neighbour_angle(stats: np.ndarray, centres: np.ndarray, agree: float = 0.4) -> float | None:
    """The direction (degrees, within ±MAX_ANGLE) from character-sized marks to their nearest
    neighbours, when at least `agree` of them point the same way (±3°): digits of a row sit
    closer to each other than to the rows above and below. None when no such row direction."""
    area, bw, bh = stats[:, cv2.CC_STAT_AREA], stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    size = np.maximum(bw, bh)
    ok = (area >= 6) & (bh >= 3)
    if ok.sum() < MIN_MARKS:
        return None
    ok &= size <= 3 * np.median(size[ok])  # not lines
    idx = np.nonzero(ok)[0]
    idx = idx[np.argsort(area[idx])[::-1][:MAX_MARKS]]
    c, s = centres[idx], size[idx].astype(np.float64)
    d = c[None, :, :] - c[:, None, :]
    dist = np.hypot(d[..., 0], d[..., 1])
    np.fill_diagonal(dist, np.inf)
    j = dist.argmin(1)
    near = dist[np.arange(len(c)), j] <= 1.5 * np.maximum(s, s[j])
    if near.sum() < MIN_MARKS - 1:
        return None
    v = d[np.arange(len(c)), j][near]
    v[v[:, 0] < 0] *= -1  # a pair's direction, left to right
    angles = np.degrees(np.arctan2(v[:, 1], v[:, 0]))
    within = np.abs(angles[:, None] - angles[None, :]) <= 3
    votes = within.sum(1) * (np.abs(angles) <= MAX_ANGLE)
    best = int(np.argmax(votes))
    if votes[best] < max(3, agree * len(angles)):
        return None
    return float(np.median(angles[within[best]]))


def straighten(image: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """`image` turned counter-clockwise by `angle` degrees on a canvas large enough to hold all of it (new
    pixels 0). Returns the turned image and the 2×3 matrix that maps turned pixels back."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)  # cv2: positive angle turns counter-clockwise
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(np.ceil(w * cos + h * sin)), int(np.ceil(w * sin + h * cos))
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    turned = cv2.warpAffine(image, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return turned, cv2.invertAffineTransform(m)


def box_back(box, back: np.ndarray) -> tuple[float, float, float, float]:
    """The box (x0, y0, x1, y1) of the turned image as a box around the same region of the original."""
    x0, y0, x1, y1 = (float(v) for v in box)
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]])
    pts = corners @ back.T
    return (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())
