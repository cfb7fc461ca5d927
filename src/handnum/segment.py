"""Candidates: connected ink components, faint gaps bridged, broken pieces merged, no fixed windows.

Works on the binary masks of `preprocess`; returns boxes as an (N, 4) int array
[x0, y0, x1, y1] (x1, y1 exclusive) and, per candidate, the component labels it is made of,
so `normalize` can cut out exactly that ink and nothing of its neighbours.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .labelling import components, ink_pixels

# pieces of one digit span at most this many times their tallest member's height (1.6 let a line
# of small digits written just above a big one join it as its "pieces")
UNION_TALL = 1.5
HOLLOW = 0.25  # a loop round other marks encloses at least this share of its box


@dataclass
class Components:
    """Labelled ink: `labels` (H, W) int32 with 0 = paper; `boxes` (N, 4) per candidate; `groups` their labels."""

    labels: np.ndarray
    boxes: np.ndarray
    groups: list[list[int]]
    dropped: list[tuple[np.ndarray, str]]  # marks judged by geometry alone: (box, "line" | "enclosure")


def hysteresis(ink: np.ndarray, high: float, low: float) -> np.ndarray:
    """Pixels above `low` that are connected to a pixel above `high`: keeps faint strokes that join ink."""
    return labelled_hysteresis(ink, high, low)[0]


def labelled_hysteresis(ink: np.ndarray, high: float, low: float) -> tuple[np.ndarray, tuple]:
    """`hysteresis` and its marks labelled: the mask's `cv2.connectedComponentsWithStats` (8-connected),
    without labelling it again (the marks kept are whole components of the faint ink, in order)."""
    weak = (ink > low).astype(np.uint8)
    n, labels, stats, centroids = components(weak)
    keep = np.zeros(n, bool)
    keep[labels[ink > high]] = True
    keep[0] = True  # the paper stays label 0 and takes in the marks dropped
    if keep.all():
        return weak, (n, labels, stats, centroids)
    new = np.cumsum(keep, dtype=np.int32) - 1  # old label -> new label, kept ones in their order
    new[~keep] = 0
    labels = np.take(new, labels)  # faster than new[labels]
    paper = ~keep
    paper[0] = True
    (x0, y0), (x1, y1) = stats[paper, :2].min(0), (stats[paper, :2] + stats[paper, 2:4]).max(0)
    area = stats[paper, 4]
    middle = (centroids[paper] * area[:, None]).sum(0) / max(1, area.sum())
    stats, centroids = stats[keep], centroids[keep]
    stats[0], centroids[0] = (x0, y0, x1 - x0, y1 - y0, area.sum()), middle
    return (labels > 0).astype(np.uint8), (int(keep.sum()), labels, stats, centroids)


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: list[int], span: dict, i: int, j: int, typical: float = 0.0) -> None:
    """Join the groups of i and j unless the joined group would grow much taller than its tallest
    member (specks must not chain two digits of a column into one candidate) and than the page's
    `typical` mark (a digit broken in three pieces has no tall member). `span[root]` holds
    (top, bottom, tallest member height) of each group."""
    a, b = _find(parent, i), _find(parent, j)
    if a == b:
        return
    top, bottom, tallest = min(span[a][0], span[b][0]), max(span[a][1], span[b][1]), max(span[a][2], span[b][2])
    if bottom - top > max(UNION_TALL * tallest, 1.2 * typical):
        return
    parent[a] = b
    span[b] = (top, bottom, tallest)


def merge_pieces(boxes: np.ndarray, max_gap: float = 0.3, piece: float = 0.75,
                 flag_overlap: float = 0.25, typical: float = 0.0) -> list[list[int]]:
    """Group component indices whose boxes are pieces of one digit (a detached top, a broken stroke).

    Two boxes merge when they overlap horizontally by at least half the narrower one (a flat
    piece at the top, the detached flag of a 5 reaching past its body: `flag_overlap`), the
    vertical gap is at most `max_gap` of the taller one, the shorter is at most `piece` of
    the taller's height (two whole digits never merge), and the union is not much taller (than
    the tallest piece, or than the page's `typical` mark height).
    """
    n = len(boxes)
    parent = list(range(n))
    span = {i: (int(boxes[i, 1]), int(boxes[i, 3]), int(boxes[i, 3] - boxes[i, 1])) for i in range(n)}
    order = np.argsort(boxes[:, 0])
    x0, y0, x1, y1 = (boxes[:, k] for k in range(4))
    w, h = x1 - x0, y1 - y0
    ends = np.searchsorted(x0[order], x1[order], side="left")  # the boxes left of each one's right end
    # every pair (i, j): j after i in x order and starting before i ends, in the order they are weighed
    count = np.maximum(0, ends - np.arange(n) - 1)
    first = np.repeat(np.arange(n), count)
    second = first + 1 + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    i, j = order[first], order[second]
    i_tall = h[i] >= h[j]
    ht, hs = np.where(i_tall, h[i], h[j]), np.where(i_tall, h[j], h[i])
    wt, ws = np.where(i_tall, w[i], w[j]), np.where(i_tall, w[j], w[i])
    top_short = np.where(i_tall, y1[j], y1[i]) <= np.where(i_tall, y0[i], y0[j]) + 0.3 * ht
    flag = (hs <= 0.35 * ht) & top_short  # the shorter is flat and at the top of the taller
    ov = np.minimum(x1[i], x1[j]) - np.maximum(x0[i], x0[j])
    gap = np.maximum(y0[i], y0[j]) - np.minimum(y1[i], y1[j])
    union_h = np.maximum(y1[i], y1[j]) - np.minimum(y0[i], y0[j])
    ok = (ov >= np.where(flag, flag_overlap, 0.5) * np.minimum(w[i], w[j])) & (gap <= max_gap * ht) \
        & (hs <= piece * ht) & (union_h <= np.maximum(UNION_TALL * ht, 1.2 * typical)) \
        & (ws <= 1.5 * wt)  # an underline below several digits is not a piece
    for a, b in zip(i[ok].tolist(), j[ok].tolist()):
        _union(parent, span, a, b, typical)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(_find(parent, i), []).append(i)
    return sorted(groups.values(), key=lambda g: min(boxes[k, 0] for k in g))


def find_candidates(mask: np.ndarray, min_height: int = 8, min_area: int = 12,
                    line_aspect: float = 6.0, peel: bool = True, drawn: np.ndarray | None = None,
                    labelled: tuple | None = None, drawn_labelled: tuple | None = None) -> Components:
    """Candidates of a binary ink mask (H, W) uint8.

    Specks smaller than `min_height` in both directions (or under `min_area` pixels) are dropped;
    flat strokes wider than `line_aspect` times their height (rules, underlines, dashes) are
    set aside as lines; thin loops around other marks (a circle round a number) as enclosures,
    peeled off the digits that touch them from inside (`peel_rings`); the rest are merged into
    candidates with `merge_pieces`. `drawn`: the ink before ruled lines were taken out (the flat
    top of a circle may have gone with them), used only to tell what a loop encloses. `labelled`,
    `drawn_labelled`: the `cv2.connectedComponentsWithStats` (8-connected) of the mask and of
    `drawn`, if at hand.
    """
    n, labels, stats, _ = labelled or components(mask)
    x, y, w, h, area = (stats[1:, k] for k in range(5))
    boxes = np.stack([x, y, x + w, y + h], axis=1).astype(np.int64)
    big_enough = ((h >= min_height) | (w >= min_height)) & (area >= min_area)
    flat = (w > line_aspect * h) & (w >= 2 * min_height)
    solid = big_enough & ~flat
    ring = enclosures(boxes, solid, area < 0.2 * w * h)  # a thin loop around other marks
    as_drawn = None  # labels and stats of the ink before the rules went, computed once
    if peel and drawn is not None:  # ... or a piece of one whose flat top went with the rules
        if not (drawn > mask).any():  # no rules went: the ink as it is
            as_drawn = labels, stats
        elif drawn_labelled is not None and not (mask > drawn).any():  # the mask is part of the ink as drawn
            as_drawn = drawn_labelled[1:3]
        else:
            as_drawn = components(mask | drawn)[1:3]
        ring |= loops_as_drawn(as_drawn, labels, boxes, min_height, line_aspect)
    if peel and ring.any():  # ... that is a loop: it holds an inside (digits run together do not)
        idx = np.nonzero(ring)[0]
        loops = loop_walls(mask, labels, idx + 1, boxes[idx], drawn, as_drawn)
        ring[idx] = hollow(loops[0], boxes[idx], loops[3]) >= HOLLOW
        if ring.any() and not ring[idx].all():  # the walls of the true loops alone
            loops = loop_walls(mask, labels, np.nonzero(ring)[0] + 1, boxes[ring], drawn, as_drawn)
    if peel and ring.any():  # look again without the loops, keeping the digits that touched them
        comps = find_candidates(peel_rings(mask, *loops), min_height, min_area, line_aspect, peel=False)
        comps.dropped += [(b, "enclosure") for b in boxes[ring]]
        return comps
    # specks and flat strokes may still be pieces of a digit (a dot, the flag of a 5): merge first
    pool = np.nonzero((area >= 3) & ~ring)[0]
    typical = float(np.median(h[solid])) if solid.any() else 0.0
    groups = merge_pieces(boxes[pool], typical=typical) if len(pool) else []
    dropped = [(boxes[i], "enclosure") for i in np.nonzero(ring)[0]]
    if not groups:
        return Components(labels, np.zeros((0, 4), np.int64), [], dropped)
    members = pool[np.concatenate(groups)]  # the groups' members one after another
    starts = np.cumsum([0] + [len(g) for g in groups[:-1]])
    union = np.hstack([np.minimum.reduceat(boxes[members, :2], starts), np.maximum.reduceat(boxes[members, 2:], starts)])
    kept = np.logical_or.reduceat(solid[members], starts)
    line = ~kept & np.logical_or.reduceat(flat[members], starts)  # a line alone: a rule, an underline, a dash
    out_groups = [[int(m) + 1 for m in pool[g]] for g, k in zip(groups, kept) if k]  # label ids are index + 1
    return Components(labels, union[kept], out_groups, [(b, "line") for b in union[line]] + dropped)


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


def drop_at_edge(comps: Components, region: np.ndarray, band: int = 3) -> Components:
    """Move the candidates whose ink reaches within `band` px of the edge of the readable
    `region` (uint8, 1 = paper; the picture's border counts as an edge) to `dropped` as "edge":
    a page edge, a shadow or a stroke cut off by the frame is never a readable digit."""
    if not len(comps.boxes):
        return comps
    kernel = np.ones((2 * band + 1, 2 * band + 1), np.uint8)
    inner = cv2.erode(region, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    hit = np.zeros(int(comps.labels.max()) + 1, bool)
    hit[np.unique(comps.labels[(inner == 0) & (comps.labels > 0)])] = True
    hit[0] = False
    boxes, groups, dropped = [], [], list(comps.dropped)
    for box, group in zip(comps.boxes, comps.groups):
        inner_part = [k for k in group if not hit[k]]
        if len(inner_part) == len(group):
            boxes.append(box)
            groups.append(group)
            continue
        dropped.append((box, "edge"))
        if inner_part:  # a piece merged with it off the edge (a stroke of a cut-off line above a digit)
            boxes.append(box_of(np.isin(comps.labels[box[1]:box[3], box[0]:box[2]], inner_part), *box[:2]))
            groups.append(inner_part)
    if len(dropped) == len(comps.dropped):
        return comps
    return Components(comps.labels, np.array(boxes, np.int64).reshape(-1, 4), groups, dropped)


def rule_fringes(boxes: np.ndarray, mask: np.ndarray, rules: np.ndarray, ink: np.ndarray,
                 reach: int = 2) -> np.ndarray:
    """Marks that are the pale edge of a printed line: all the ink of their box (`mask`, the rules
    taken out) lies within `reach` px of the `rules` (uint8: rules and box walls), and what is
    not on them is no darker than the rules' 90th percentile of `ink`. A blurred line leaves such
    a row or column beside the pixels found as the line, read as a "1" (the edge of a box wall)
    or a "7" (the top edge of an empty box and a bit of its wall); a digit touching or crossing a
    line reaches further, and a "1" written over one is darker. Returns a bool array over `boxes`."""
    out = np.zeros(len(boxes), bool)
    if not len(boxes) or not rules.any():
        return out
    near = cv2.dilate(rules, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0
    level = float(np.percentile(ink[rules > 0], 90))
    for i, (x0, y0, x1, y1) in enumerate(boxes.astype(int)):
        box = slice(y0, y1), slice(x0, x1)
        own, off = mask[box] > 0, (mask[box] > 0) & (rules[box] == 0)
        out[i] = own.any() and not (own & ~near[box]).any() and not (ink[box][off] > level).any()
    return out


def box_of(mask: np.ndarray, x0: int, y0: int) -> np.ndarray:
    """The box [x0, y0, x1, y1] of a crop's True pixels, in the pixels of the page the crop starts
    at (x0, y0) of."""
    ys, xs = np.nonzero(mask)
    return np.array([x0 + xs.min(), y0 + ys.min(), x0 + xs.max() + 1, y0 + ys.max() + 1], np.int64)
