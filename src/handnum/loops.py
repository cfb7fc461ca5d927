"""Loops drawn round numbers (a circle, a box by hand): found among the marks, and peeled off the
digits that touch them from inside, so those keep their strokes (`segment.find_candidates` asks).

A loop is a thin mark whose box holds the centre of a clearly smaller mark and that encloses an
inside; where ruled lines were taken out with its flat top, the loop as drawn before that counts.
Work is done in a window round the loops, never over the whole page.
"""
from __future__ import annotations

import cv2
import numpy as np

from .labelling import ink_pixels

HOLLOW = 0.25  # a loop round other marks encloses at least this share of its box


def loops_as_drawn(drawn: tuple[np.ndarray, np.ndarray], labels: np.ndarray, boxes: np.ndarray,
                   min_height: int, line_aspect: float) -> np.ndarray:
    """Per component of `labels` (boxes `boxes`), whether it is a piece of a thin loop round other
    marks as drawn (`drawn`: labels and stats of the ink before the rules went), not much bigger
    than the piece: a loop whose flat top and bottom went with the rules falls in halves, each
    joined to the digits it touches, and neither holds another mark's centre. Bool array over
    `boxes`."""
    as_drawn, stats = drawn
    x, y, w, h, area = (stats[1:, k] for k in range(5))
    solid = ((h >= min_height) | (w >= min_height)) & ~(w > line_aspect * h)
    # thin, though the digits touching it fill a little more of its box than a loop alone (0.2)
    loop = enclosures(np.stack([x, y, x + w, y + h], axis=1), solid, area < 0.3 * w * h)
    if as_drawn is labels:  # no rules went: each piece is its own component as drawn
        k = np.arange(len(boxes))
    else:
        ys, xs = ink_pixels(labels)
        owner = np.zeros(len(boxes) + 1, np.int64)  # the component as drawn each piece is part of
        owner[labels[ys, xs]] = as_drawn[ys, xs] - 1
        k = owner[1:]
    pieces = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return loop[k] & (w[k] * h[k] <= 4 * pieces)


def peel_rings(mask: np.ndarray, wall: np.ndarray, own: np.ndarray, pen: float, win: tuple) -> np.ndarray:
    """`mask` without the loops' own ink `own`, except what lies well inside the area their closed
    walls `wall` enclose (more than a stroke width from its edge, as the crow flies: a square
    reached ~1.4 times as far at a slant and ate the 0 and 7 at the tips of a tight ellipse; all
    from `loop_walls`, over the window `win` of the page): digits written touching a circle drawn
    round them keep nearly all their strokes."""
    inner = cv2.distanceTransform(enclosed_by(wall), cv2.DIST_L2, 3) > pen + 1
    out = mask.copy()
    out[win] &= 1 - (own & (1 - inner.astype(np.uint8)))
    return out


def loop_walls(mask: np.ndarray, labels: np.ndarray, rings: np.ndarray, boxes: np.ndarray,
               drawn: np.ndarray | None = None, as_drawn: tuple[np.ndarray, np.ndarray] | None = None,
               ) -> tuple[np.ndarray, np.ndarray, float, tuple[slice, slice]]:
    """The loops `rings` (label ids, boxes `boxes`) as walls, uint8 masks over a window of the
    page that holds them with a margin (what is done with them needs no full-page arrays):
    (wall, their own ink, pen width, window as slices). Small breaks are closed later
    (`enclosed_by`); here the parts taken out as ruled lines are put back (what `drawn`, the ink
    before that, has more: the flat top and bottom of a long ellipse), or the loop would enclose
    nothing: the loop as drawn (its other half included) where that is not much bigger than the
    loop's box, else the removed ink within that box (a form's boxes hang together with
    everything on them). `as_drawn`: labels and stats of `mask | drawn` (`find_candidates` labels
    them once), needed with `drawn`."""
    near = _window(boxes, 1, mask.shape)  # a ring of paper round the loops: the same distances
    own = np.isin(labels[near], rings).astype(np.uint8)
    pen = 2 * float(np.percentile(cv2.distanceTransform(own, cv2.DIST_L2, 3)[own > 0], 90))
    added = []  # per loop: the box of what its wall gets back, and the label of the loop as drawn there
    if drawn is not None:
        m = int(pen) + 2  # the flat top may lie a little above the rest of the loop
        as_drawn, stats = as_drawn
        for r, (x0, y0, x1, y1) in zip(rings, boxes):
            inside = labels[y0:y1, x0:x1] == r
            k = int(np.bincount(as_drawn[y0:y1, x0:x1][inside]).argmax())  # the loop as drawn
            dx, dy, dw, dh = stats[k, :4]
            if dw * dh <= 4 * (x1 - x0) * (y1 - y0):  # the loop's other half, not a form's grid of boxes
                added.append(((dx, dy, dx + dw, dy + dh), k))
            else:  # the ink that went with the rules
                added.append(((max(0, x0 - m), max(0, y0 - m), x1 + m, y1 + m), None))
    # closing small breaks reaches 2 px past a wall: a margin of 4 keeps paper all round the window
    win = _window(np.array([b for b, _ in added] + list(boxes)), 4, mask.shape)
    oy, ox = win[0].start, win[1].start
    own = np.isin(labels[win], rings).astype(np.uint8)
    wall, mask, drawn = own.copy(), mask[win], None if drawn is None else drawn[win]
    for (x0, y0, x1, y1), k in added:
        box = slice(y0 - oy, y1 - oy), slice(x0 - ox, x1 - ox)
        if k is not None:
            part = as_drawn[win][box] == k
            wall[box] |= part
            own[box] |= part & mask[box].astype(bool)
        else:
            wall[box] |= drawn[box] & (1 - mask[box])
    return wall, own, pen, win


def _window(boxes: np.ndarray, margin: int, shape: tuple) -> tuple[slice, slice]:
    """The slices of the page (`shape`) round all `boxes` [x0, y0, x1, y1], `margin` px wider."""
    (x0, y0), (x1, y1) = np.asarray(boxes)[:, :2].min(0), np.asarray(boxes)[:, 2:].max(0)
    return (slice(max(0, int(y0) - margin), min(shape[0], int(y1) + margin)),
            slice(max(0, int(x0) - margin), min(shape[1], int(x1) + margin)))


def enclosed_by(wall: np.ndarray) -> np.ndarray:
    """What walls (uint8) enclose, themselves included, small breaks closed: uint8 mask."""
    area = np.pad(cv2.morphologyEx(wall, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)), 1)
    cv2.floodFill(area, None, (0, 0), 2)  # the outside: neither a loop nor what it encloses
    return (area != 2).astype(np.uint8)[1:-1, 1:-1]


def hollow(walls: np.ndarray, boxes: np.ndarray, win: tuple[slice, slice]) -> np.ndarray:
    """Per box (on the page), the share of it that the `walls` (over the window `win` of the page,
    holding the boxes) enclose without being wall: a loop's inside."""
    inside = enclosed_by(walls) & (1 - walls)
    boxes = boxes - [win[1].start, win[0].start] * 2
    return np.array([inside[y0:y1, x0:x1].mean() if x1 > x0 and y1 > y0 else 0.0 for x0, y0, x1, y1 in boxes])


def enclosures(boxes: np.ndarray, solid: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Solid marks of `among` (bool over `boxes`: only thin ones can be loops, and testing only
    them saves a loop over every mark) whose box holds the centre of a clearly smaller solid mark
    (a circle or a box drawn around a number). Returns a bool array over `boxes`."""
    out = np.zeros(len(boxes), bool)
    idx = np.nonzero(solid)[0]
    if len(idx) < 2:
        return out
    b = boxes[idx]
    cx, cy, h = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, b[:, 3] - b[:, 1]
    for k in np.flatnonzero(among[idx]):
        x0, y0, x1, y1 = b[k]
        inside = (cx > x0) & (cx < x1) & (cy > y0) & (cy < y1) & (h < 0.8 * h[k]) & (h > 0.3 * h[k])
        inside[k] = False
        out[idx[k]] = inside.any()
    return out
