"""Candidates: connected ink components, faint gaps bridged, broken pieces merged, no fixed windows.

Works on the binary masks of `preprocess`; returns boxes as an (N, 4) int array
[x0, y0, x1, y1] (x1, y1 exclusive) and, per candidate, the component labels it is made of,
so `normalize` can cut out exactly that ink and nothing of its neighbours.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .labelling import components
from .loops import HOLLOW, enclosures, hollow, loop_walls, loops_as_drawn, peel_rings

# pieces of one digit span at most this many times their tallest member's height (1.6 let a line
# of small digits written just above a big one join it as its "pieces")
UNION_TALL = 1.5


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


def find_root(parent: list[int], i: int) -> int:
    """The root of `i` in the union-find forest `parent` (paths halved on the way)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: list[int], span: dict, i: int, j: int, typical: float = 0.0) -> None:
    """Join the groups of i and j unless the joined group would grow much taller than its tallest
    member (specks must not chain two digits of a column into one candidate) and than the page's
    `typical` mark (a digit broken in three pieces has no tall member). `span[root]` holds
    (top, bottom, tallest member height) of each group."""
    a, b = find_root(parent, i), find_root(parent, j)
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
        groups.setdefault(find_root(parent, i), []).append(i)
    return sorted(groups.values(), key=lambda g: min(boxes[k, 0] for k in g))


def find_candidates(mask: np.ndarray, min_height: int = 8, min_area: int = 12,
                    line_aspect: float = 6.0, peel: bool = True, drawn: np.ndarray | None = None,
                    labelled: tuple | None = None, drawn_labelled: tuple | None = None) -> Components:
    """Candidates of a binary ink mask (H, W) uint8.

    Specks smaller than `min_height` in both directions (or under `min_area` pixels) are dropped;
    flat strokes wider than `line_aspect` times their height (rules, underlines, dashes) are
    set aside as lines; thin loops around other marks (a circle round a number) as enclosures,
    peeled off the digits that touch them from inside (`loops.py`); the rest are merged into
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
    union = np.hstack([np.minimum.reduceat(boxes[members, :2], starts),  # each group's box
                       np.maximum.reduceat(boxes[members, 2:], starts)])
    kept = np.logical_or.reduceat(solid[members], starts)
    line = ~kept & np.logical_or.reduceat(flat[members], starts)  # a line alone: a rule, an underline, a dash
    out_groups = [[int(m) + 1 for m in pool[g]] for g, k in zip(groups, kept) if k]  # label ids are index + 1
    return Components(labels, union[kept], out_groups, [(b, "line") for b in union[line]] + dropped)


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
