"""Form fields: which marks sit in neighbouring boxes of one field (digits written one per box
join as one number whatever their gaps).

Works on an (N, 4) box array and a uint8 mask of the page's box walls (`preprocess.find_rules`).
"""
from __future__ import annotations

import numpy as np

from .segment import find_root  # union-find over marks


ALIKE = 0.6  # two marks are characters of one row when they overlap vertically by this share of the taller
CLOSE = 0.5  # ... and digits of one number in one cell when no wall and at most this many heights part them
TABLE = 0.5  # a row of boxes is a table when at least this share of its marks share a cell with another


def walled(boxes: np.ndarray, walls: np.ndarray) -> np.ndarray:
    """(N, N) bool: marks a and b (a left of b, overlapping vertically) sit in neighbouring boxes of
    a form field, or neighbouring squares of squared paper written one digit per square: exactly
    one wall stands in the gap between them (two: an empty box between, another number), none
    runs through either mark (a digit written freely over squared paper often straddles a line;
    a stroke of a letter that looks like a wall does not count), and the row of boxes is no table
    (`_table_rows`). Marks with no wall between them but one within a height left of a and right
    of b share one box: one field."""
    n = len(boxes)
    out = np.zeros((n, n), bool)
    x0, y0, x1, y1 = boxes.T.tolist()  # plain ints: a loop over pairs
    pairs = _side_by_side(boxes, np.array([_crossed(walls, bx) for bx in boxes], bool))
    between = [_walls_in(walls, max(y0[a], y0[b]), min(y1[a], y1[b]), x1[a], x0[b]) for a, b in pairs]
    table = _table_rows(boxes, pairs, between)
    for (a, b), w in zip(pairs, between):
        top, bottom, r = max(y0[a], y0[b]), min(y1[a], y1[b]), min(y1[a] - y0[a], y1[b] - y0[b])
        if (w == 1 and not table[a]) or (w == 0 and _walls_in(walls, top, bottom, x0[a] - r, x0[a])
                                         and _walls_in(walls, top, bottom, x1[b], x1[b] + r)):
            out[a, b] = out[b, a] = True
    return out


def _table_rows(boxes: np.ndarray, pairs: list[tuple[int, int]], between: list[int]) -> np.ndarray:
    """Per mark, whether its row of boxes (marks alike, one wall apart) is a row of a table: there
    most cells hold a number of several digits (a mark with another alike close beside it and no
    wall between), in a field of one-character boxes most hold one mark (a digit in pieces in one)."""
    x0, y0, x1, y1 = boxes.T.tolist()
    n = len(boxes)
    shared, row = np.zeros(n, bool), list(range(n))
    for (a, b), w in zip(pairs, between):
        taller = max(y1[a] - y0[a], y1[b] - y0[b])
        if min(y1[a], y1[b]) - max(y0[a], y0[b]) < ALIKE * taller:
            continue
        if w == 0 and x0[b] - x1[a] <= CLOSE * taller:
            shared[[a, b]] = True
        elif w == 1:
            row[find_root(row, a)] = find_root(row, b)
    rows = np.array([find_root(row, i) for i in range(n)], np.int64)
    share = np.bincount(rows, shared, n) / np.maximum(np.bincount(rows, None, n), 1)
    return share[rows] >= TABLE


def _side_by_side(boxes: np.ndarray, inside: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (a, b) of marks with b right of a and overlapping it vertically, neither `inside`
    (crossed by a line), b before the first mark in x order too far right of a (over 1.5 of the
    taller one's height past a's right end)."""
    n, order = len(boxes), np.argsort(boxes[:, 0])
    x0, y0, x1, y1 = (boxes[order, k] for k in range(4))
    h = y1 - y0
    stop = np.searchsorted(x0, x1 + 1.5 * h, side="right")  # no mark before it is too far
    starts, ends, hs = x0.tolist(), x1.tolist(), h.tolist()
    for i in range(n):  # the first one too far lies there or, past marks tall enough, beyond
        while stop[i] < n and starts[stop[i]] - ends[i] <= 1.5 * max(hs[i], hs[stop[i]]):
            stop[i] += 1
    count = stop - np.arange(n) - 1
    a = np.repeat(np.arange(n), count)
    b = a + 1 + np.arange(len(a)) - np.repeat(np.cumsum(count) - count, count)  # the marks up to its stop
    ok = (x0[b] > x1[a]) & (np.minimum(y1[a], y1[b]) > np.maximum(y0[a], y0[b])) & ~inside[order[a]] & ~inside[order[b]]
    return list(zip(order[a[ok]].tolist(), order[b[ok]].tolist()))


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
    cols = walls[y0:y1, x0:x1].any(0).tobytes()  # a byte 0 or 1 per column
    return cols.count(b"\x00\x01") + (cols[:1] == b"\x01")  # runs' first columns
