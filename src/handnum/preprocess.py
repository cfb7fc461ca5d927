"""Light and binarisation: turn a photo into an ink map (ink bright, paper 0) and a binary mask.

Uneven light and shadows are removed by dividing by an estimate of the paper's brightness
(a morphological closing wipes out the thin dark strokes and leaves the paper), so the
threshold is the same everywhere on the page.
"""
from __future__ import annotations

import cv2
import numpy as np

from .labelling import components, ink_pixels


def to_gray(image: np.ndarray) -> np.ndarray:
    """Grayscale uint8 from gray, BGR or BGRA input."""
    if image.ndim == 2:
        gray = image
    elif image.shape[2] == 4:
        gray = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    else:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if gray.dtype != np.uint8:
        gray = cv2.normalize(gray, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    return gray


def is_dark_background(gray: np.ndarray) -> bool:
    """True when the picture is light ink on a dark background.

    Ink is the minority of pixels, so the median is the paper; the tail that reaches further
    from it (brighter or darker) is the ink. The tails are taken after the slow changes of light
    are taken away (the page minus its median over a third of its size): a bright patch on grey
    paper is a long bright tail of its own, longer than the faint pen beside it.
    """
    small = gray[::4, ::4] if gray.size > 1_000_000 else gray
    h, w = small.shape
    f = max(1, min(h, w) // 90)  # the light, from a copy of ~90 px on its short side
    tiny = cv2.resize(small, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    light = cv2.medianBlur(tiny, max(3, (min(tiny.shape) // 3) | 1))
    flat = small.astype(np.float32) - cv2.resize(light, (w, h), interpolation=cv2.INTER_LINEAR)
    p2, p50, p98 = np.percentile(flat, (2, 50, 98))
    return (p98 - p50) > 1.5 * (p50 - p2) and float(np.median(small)) < 160


def paper_level(gray: np.ndarray, stroke: int) -> np.ndarray:
    """Estimate the paper brightness at every pixel, ignoring strokes up to ~`stroke` px wide."""
    h, w = gray.shape
    f = max(1, stroke // 6)  # work on a small copy: light varies slowly
    small = cv2.resize(gray, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    k = max(3, (stroke // f) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    bg = cv2.blur(bg, (k, k))
    return cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)


def ink_map(gray: np.ndarray, polarity: str = "auto", stroke: int | None = None) -> np.ndarray:
    """Ink darkness relative to the local paper: float32 (H, W) in [0, 1], ink bright.

    `polarity` is "dark" (dark ink on light paper), "light" (light ink on dark) or "auto".
    `stroke` is the widest stroke to keep (default: 1/12 of the shorter side, at least 15 px).
    """
    if polarity not in ("auto", "dark", "light"):
        raise ValueError(f"polarity must be 'auto', 'dark' or 'light', got {polarity!r}")
    if polarity == "light" or (polarity == "auto" and is_dark_background(gray)):
        gray = 255 - gray
    if stroke is None:
        stroke = max(15, min(gray.shape) // 12)
    bg = paper_level(gray, stroke).astype(np.float32)
    # as numpy would, faster; np.maximum, as cv2.max takes a tiny image (1×1 up to 4×1) for a scalar
    ink = cv2.divide(cv2.subtract(bg, gray.astype(np.float32)), np.maximum(bg, np.float32(32)))
    return np.clip(ink, 0.0, 1.0, out=ink)


def binarize(ink: np.ndarray, floor: float = 0.18) -> tuple[np.ndarray, float]:
    """Binary mask of ink pixels and the threshold used (Otsu on the ink map, never below `floor`)."""
    u8 = (ink * 255).astype(np.uint8)
    otsu, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    t = max(floor, otsu / 255.0 * 0.6)
    return (ink > t).astype(np.uint8), t


def typical_height(mask: np.ndarray, stats: np.ndarray | None = None) -> float:
    """Median height of the marks that could be characters (not specks, not flat lines); 0 if none.
    `stats`: the mask's connected-component stats, if already at hand."""
    if stats is None:
        _, _, stats, _ = components(mask)
    w, h, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_AREA]
    chars = h[(h >= 8) & (w <= 3 * h) & (area >= 20)]
    return float(np.median(chars)) if len(chars) else 0.0


def find_rules(mask: np.ndarray, min_length: int | None = None,
               stats: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mask of printed rules and pen lines: long, thin, straight horizontal or vertical runs of ink.

    Page rules first (ruled and squared paper, margins, table lines): at least a fifth of the
    page long, dashed or slightly skewed pieces joined across gaps. Then, with the typical
    character height measured on what is left, shorter solid lines (underlines, strike-throughs,
    box edges) at least three characters long, and the walls of boxes between such lines.
    Only straight runs longer than a digit's strokes are returned, so a digit touching a rule
    keeps its strokes. `stats`: the mask's connected-component stats, if at hand. Returns
    (rules, walls), both uint8 masks.
    """
    h, w = mask.shape
    found = []
    for axis in (1, 0):  # 1: horizontal, 0: vertical
        span = w if axis == 1 else h
        length = min_length or max(40, span // 5)
        found.append(_lines(mask, axis, length, piece=max(12, length // 8), gap=max(12, length // 8), keep=length // 3))
    out, page_verticals = found[0] | found[1], found[1]
    box_walls = np.zeros_like(mask)
    if min_length:
        return out, box_walls
    rest, rest_stats = _without_rules(mask, out)  # digits stay whole: their strokes across the rules are bridged
    chars = typical_height(rest, stats if rest is mask else rest_stats)
    if chars:
        apart = rest & (1 - cv2.dilate(out, np.ones((3, 3), np.uint8))) if out.any() else rest  # off the rules
        for axis in (1, 0):
            n = int(3 * chars)
            if n < (w if axis == 1 else h) // 5:
                out |= _lines(apart, axis, max(40, n), piece=max(12, int(chars // 2)), gap=3, keep=int(1.5 * chars))
        if out.any():
            # walls of a form's boxes; the vertical lines of squared paper are walls of its squares
            box_walls = walls(mask & (1 - page_verticals), out, int(chars)) | page_verticals
    return out, box_walls


def walls(mask: np.ndarray, rules: np.ndarray, chars: int) -> np.ndarray:
    """Short vertical strokes that run from one horizontal rule to another: the walls between the
    boxes of a form (one digit per box). A "1" written in a box rarely touches both edges; a digit
    that touches a wall leaves it thin in at least a quarter of its rows, and only the wall's own
    columns are returned. A stroke that hangs from one rule only (the other edge of its box too
    faint to be found) is a wall when it is as thin as the rules on nearly all its rows (a pen
    stroke is wider) and at least 0.9 of the typical height of the walls found between two rules."""
    piece = max(8, chars // 2)
    runs = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((piece, 1), np.uint8))
    n, labels, stats, _ = components(runs)
    near = cv2.dilate(rules, np.ones((7, 3), np.uint8))  # rule pixels within 3 px
    line_width = 2 * float(np.median(cv2.distanceTransform(rules, cv2.DIST_L2, 3)[rules > 0])) + 2
    out = np.zeros_like(mask)
    hanging, heights = [], []
    for k in range(1, n):
        x, y, w, h = stats[k, :4]
        ends = int(near[y, x:x + w].any()) + int(near[y + h - 1, x:x + w].any())
        if not ends:
            continue
        own = labels[y:y + h, x:x + w] == k
        thin = own.sum(1) <= line_width  # rows as thin as the printed lines, not a pen stroke
        if ends == 1:
            if thin.mean() >= 0.9:
                hanging.append((x, y, h, own, thin))
            continue
        if thin.mean() >= 0.25:  # a digit touching the wall widens it only where it touches
            heights.append(h)
            _put(out, x, y, own, thin)
    if heights:
        for x, y, h, own, thin in hanging:
            if h >= 0.9 * np.median(heights):
                _put(out, x, y, own, thin)
    return out


def _put(out: np.ndarray, x: int, y: int, own: np.ndarray, thin: np.ndarray) -> None:
    """Add to `out` the columns of a wall `own` (a crop at x, y) that its `thin` rows hold."""
    cols = np.nonzero(own[thin].any(0))[0]
    a, b = cols.min(), cols.max() + 1
    out[y:y + own.shape[0], x + a:x + b] |= own[:, a:b].astype(np.uint8)


def _lines(mask: np.ndarray, axis: int, length: int, piece: int, gap: int, keep: int) -> np.ndarray:
    """Lines along `axis`: straight runs of at least `piece` px, joined across `gap` px, that add up
    to `length` px and are thin for their length (mean thickness). Returns only their straight
    runs of at least `keep` px, so the shorter strokes of a digit touching a line are kept."""
    kernel = np.ones((1, piece) if axis == 1 else (piece, 1), np.uint8)
    runs = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    x, y, w, h = cv2.boundingRect(runs)
    if w == 0:
        return np.zeros_like(mask)
    pad = gap + 2  # work only where runs are (most pages have few), joined pieces included
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(mask.shape[1], x + w + pad), min(mask.shape[0], y + h + pad)
    out = np.zeros_like(mask)
    # and band by band: runs in rows (columns, for vertical lines) far apart never join
    for a, b in _bands(runs[y0:y1, x0:x1].any(axis)):
        ys, xs = (slice(y0 + a, y0 + b), slice(x0, x1)) if axis == 1 else (slice(y0, y1), slice(x0 + a, x0 + b))
        out[ys, xs] |= _long_runs(mask[ys, xs], runs[ys, xs], axis, length, piece, gap, keep)
    return out


def _bands(present: np.ndarray, apart: int = 24, margin: int = 2) -> list[tuple[int, int]]:
    """Ranges of indices around the runs of True in `present`, with `margin` on each side; runs
    less than `apart` (at least 4: joined lines reach one index across) apart share a range."""
    idx = np.flatnonzero(present)
    if not len(idx):
        return []
    cut = np.flatnonzero(np.diff(idx) >= apart)
    starts, ends = np.r_[idx[0], idx[cut + 1]], np.r_[idx[cut], idx[-1]]
    return [(max(0, s - margin), min(len(present), e + margin + 1)) for s, e in zip(starts, ends)]


def _long_runs(mask: np.ndarray, runs: np.ndarray, axis: int, length: int, piece: int, gap: int,
               keep: int) -> np.ndarray:
    """`_lines` on a crop: `runs` are the straight runs of `mask` at least `piece` px long."""
    at = np.flatnonzero(runs.any(0 if axis == 1 else 1))  # where runs are, along the lines
    if not len(at):
        return np.zeros_like(mask)
    ends = np.flatnonzero(np.diff(at) > gap + 1)  # runs this far apart along the lines never join
    if (np.r_[at[ends], at[-1]] - np.r_[at[0], at[ends + 1]]).max() + 1 + gap < length:
        return np.zeros_like(mask)  # nothing spans a line's length (most bands of a page without rules)
    joined = cv2.dilate(runs, np.ones((3, gap) if axis == 1 else (gap, 3), np.uint8))
    n, labels, stats, _ = components(joined)
    extent = stats[:, cv2.CC_STAT_WIDTH if axis == 1 else cv2.CC_STAT_HEIGHT]
    area = np.bincount(labels[runs > 0], minlength=n)
    thin = area / np.maximum(extent, 1) <= np.maximum(6, extent / 25)  # a tall "1" is thicker
    long = (extent >= length) & thin
    long[0] = False
    if not long.any():
        return np.zeros_like(mask)
    k = max(piece, keep)
    straight = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, k) if axis == 1 else (k, 1), np.uint8))
    return straight & long[labels].astype(np.uint8)


def remove_rules(mask: np.ndarray, rules: np.ndarray, ink: np.ndarray | None = None,
                 darker: float = 0.15) -> np.ndarray:
    """`mask` without the rule pixels, except where a stroke crosses a rule: there ink above and
    below (or left and right) is bridged again, so digits keep their strokes. With the ink map,
    rule pixels clearly darker than the rules themselves (`darker` over the 90th percentile of
    the rules' ink: a pen stroke over faint printed lines) are kept as well."""
    return _without_rules(mask, rules, ink, darker)[0]


def _without_rules(mask: np.ndarray, rules: np.ndarray, ink: np.ndarray | None = None,
                   darker: float = 0.15) -> tuple[np.ndarray, np.ndarray | None]:
    """`remove_rules`, and the statistics of its marks (`components`) where they are at hand."""
    if not rules.any():
        return mask, None
    rest = mask & (1 - rules)
    if ink is not None:
        on_rule = rules > 0
        level = float(np.percentile(ink[on_rule], 90))
        rest |= (on_rule & (ink > level + darker)).astype(np.uint8) & mask
    depth = cv2.distanceTransform(rules, cv2.DIST_L2, 3)[rules > 0]
    t = int(2 * np.percentile(depth, 90)) + 3  # rule thickness with a margin
    bridge = cv2.morphologyEx(rest, cv2.MORPH_CLOSE, np.ones((t, 1), np.uint8))
    bridge |= cv2.morphologyEx(rest, cv2.MORPH_CLOSE, np.ones((1, t), np.uint8))
    return _unstack(rest, rest | (bridge & rules), rules)


def _unstack(rest: np.ndarray, bridged: np.ndarray, rules: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """`bridged` without the bridges across page rules (at least a fifth of the page wide) that
    joined two stacked marks, each at least 0.8 of the page's typical mark height (measured with
    the bridges: squared paper may cut every digit in half). A digit sitting on a ruled line and
    one of the next line hanging from it are two digits, not one stroke crossing the rule; a
    signature crossing the edge of its box is no ruled paper. Only marks that hold a bridge and
    are tall enough for two such marks are looked at, each in its own box: most pages have few.
    Also returns the statistics of `bridged`'s marks when it comes back unchanged, else None."""
    _, labels, stats, _ = components(bridged)
    chars = typical_height(bridged, stats)  # of whole marks: a rule through every digit leaves halves
    if not chars:
        return bridged, stats
    ys, xs = ink_pixels(bridged > rest)  # the bridges
    tall = stats[:, cv2.CC_STAT_HEIGHT] > 1.4 * chars  # two stacked marks' height
    stacked = []  # (mark, its box)
    for mark in np.unique(labels[ys, xs]):
        if not tall[mark]:
            continue
        x, y, w, h = stats[mark, :4]
        box = slice(y, y + h), slice(x, x + w)
        _, _, parts, _ = cv2.connectedComponentsWithStats(rest[box] & (labels[box] == mark), connectivity=8)
        big = parts[1:][parts[1:, cv2.CC_STAT_HEIGHT] >= 0.8 * chars]
        top, bottom = big[:, cv2.CC_STAT_TOP], big[:, cv2.CC_STAT_TOP] + big[:, cv2.CC_STAT_HEIGHT]
        overlap = np.minimum.outer(bottom, bottom) - np.maximum.outer(top, top)
        if len(big) >= 2 and (overlap < 0.2 * chars).any():  # one above the other, not side by side
            stacked.append((mark, box))
    if not stacked:
        return bridged, stats
    _, lines, lstats, _ = components(rules)
    long = lstats[:, cv2.CC_STAT_WIDTH] >= max(40, rules.shape[1] // 5)
    long[0] = False
    out = bridged.copy()
    for mark, box in stacked:
        bridges = (labels[box] == mark) & (bridged[box] > rest[box])
        out[box][bridges & long[lines[box]]] = 0
    return out, None


def window(img: np.ndarray, cx: float, cy: float, w: float, h: float, size: tuple[int, int],
           fill: float | None = None) -> np.ndarray:
    """The (w × h) window of `img` centred on (cx, cy), resized to `size` (rows, cols); beyond the
    image it holds `fill` (default: the paper, the crop's 90th percentile; 255 for a crop all outside)."""
    x0, y0 = int(round(cx - w / 2)), int(round(cy - h / 2))
    x1, y1 = x0 + max(1, int(round(w))), y0 + max(1, int(round(h)))
    H, W = img.shape
    crop = img[max(0, y0):min(H, y1), max(0, x0):min(W, x1)]
    if crop.size == 0:
        return np.full(size, 255 if fill is None else fill, img.dtype)
    pad = (max(0, -y0), max(0, y1 - H), max(0, -x0), max(0, x1 - W))
    if any(pad):
        value = float(np.percentile(crop, 90)) if fill is None else fill
        crop = cv2.copyMakeBorder(crop, *pad, cv2.BORDER_CONSTANT, value=int(value) if img.dtype == np.uint8 else value)
    interp = cv2.INTER_AREA if crop.shape[0] > size[0] else cv2.INTER_LINEAR
    return cv2.resize(crop, (size[1], size[0]), interpolation=interp)


def pyramid_window(pyramid: list[np.ndarray], cx: float, cy: float, w: float, h: float, size: tuple[int, int],
                   side: float, fill: float | None = None) -> np.ndarray:
    """`window` (centre and size in pyramid[0]'s pixels) cut from the halved copy where `side` px are
    still at least 2× `size`'s rows: a large window is not shrunk from the full page. `pyramid` starts as
    [image] and gains the halved copies it needs."""
    level = max(0, int(np.floor(np.log2(side / (2 * size[0]))))) if side > 4 * size[0] else 0
    while len(pyramid) <= level:
        pyramid.append(cv2.pyrDown(pyramid[-1]))
    k = 0.5 ** level
    return window(pyramid[level], cx * k, cy * k, w * k, h * k, size, fill)
