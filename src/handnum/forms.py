"""Form fields: which marks sit in neighbouring boxes of one field (digits written one per box
join as one number whatever their gaps), and slivers of box walls left behind as marks.

Works on an (N, 4) box array and a uint8 mask of the page's box walls (`preprocess.find_rules`).
"""
from __future__ import annotations

import numpy as np


def walled(boxes: np.ndarray, walls: np.ndarray) -> np.ndarray:
    """(N, N) bool: marks a and b (a left of b, overlapping vertically) sit in neighbouring boxes of
    a form field, or neighbouring squares of squared paper written one digit per square: exactly
    one wall stands in the gap between them (two: an empty box between, another number) and
    none runs through either mark (a digit written freely over squared paper often straddles a
    line; a stroke of a letter that looks like a wall does not count). Marks with no wall
    between them but one within a height left of a and right of b share one box: one field."""
    n = len(boxes)
    out = np.zeros((n, n), bool)
    order = np.argsort(boxes[:, 0])
    inside = np.array([_crossed(walls, b) for b in boxes], bool)
    h = boxes[:, 3] - boxes[:, 1]
    # past a's right end by 1.5 of the tallest height, every mark is too far: only those before count
    ends = np.searchsorted(boxes[order, 0], boxes[order, 2] + 1.5 * h.max(initial=0), side="right")
    for ia, a in enumerate(order):
        bs = order[ia + 1:ends[ia]]
        far = boxes[bs, 0] - boxes[a, 2] > 1.5 * np.maximum(h[a], h[bs])
        bs = bs[:int(np.argmax(far)) if far.any() else len(bs)]  # up to the first one too far right
        y0, y1 = np.maximum(boxes[a, 1], boxes[bs, 1]), np.minimum(boxes[a, 3], boxes[bs, 3])
        near = (boxes[bs, 0] > boxes[a, 2]) & (y1 > y0) & ~inside[bs] & ~inside[a]
        for b, top, bottom in zip(bs[near], y0[near], y1[near]):
            between, r = _walls_in(walls, top, bottom, boxes[a, 2], boxes[b, 0]), min(h[a], h[b])
            if between == 1 or (between == 0 and _walls_in(walls, top, bottom, boxes[a, 0] - r, boxes[a, 0])
                                 and _walls_in(walls, top, bottom, boxes[b, 2], boxes[b, 2] + r)):
                out[a, b] = out[b, a] = True
    return out


def wall_slivers(boxes: np.ndarray, walls: np.ndarray) -> np.ndarray:
    """Marks that are a sliver of a box wall left when the wall was taken out (a printed wall
    thicker than the part found, read as a "1"): at most a quarter of their height wide, with
    wall pixels in their own columns on at least 0.9 of their rows, the wall going on past them
    for half their height on one side only (to the box's corner; on both sides it is a line of
    squared paper with a "1" written over it, on neither the "1" itself taken for a wall).
    Returns a bool array over `boxes`."""
    out = np.zeros(len(boxes), bool)
    for i, (x0, y0, x1, y1) in enumerate(boxes.astype(int)):
        reach = (y1 - y0) // 2
        if y1 > y0 and x1 - x0 <= 0.25 * (y1 - y0) and walls[y0:y1, x0:x1].any(1).mean() >= 0.9:
            up = walls[max(0, y0 - reach):y0, x0:x1].any(1).mean() >= 0.9 if y0 > 0 else True
            down = walls[y1:y1 + reach, x0:x1].any(1).mean() >= 0.9 if y1 < len(walls) else True
            out[i] = up != down
    return out


def _crossed(walls: np.ndarray, box: np.ndarray) -> bool:
    """A line of squared paper runs through the mark: wall pixels at the same columns half the
    mark's height above and below it (the wall of a form's box, which a digit may overrun, ends
    at the box's edges)."""
    x0, y0, x1, y1 = (int(v) for v in box)
    reach = (y1 - y0) // 2
    if y0 - reach < 0 or y1 + reach >= len(walls):
        return False
    return bool((walls[y0 - reach, x0 + 2:x1 - 2] & walls[y1 + reach, x0 + 2:x1 - 2]).any())


def _walls_in(walls: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> int:
    """How many separate walls (runs of columns holding wall pixels) the region holds."""
    if x1 <= x0 or y1 <= y0:
        return 0
    cols = walls[y0:y1, x0:x1].any(0)
    return int(np.count_nonzero(cols[1:] > cols[:-1])) + (int(cols[0]) if len(cols) else 0)  # runs' first columns
