"""Touching digits: propose cuts through a wide candidate, let the classifier pick the best split.

Recognition-driven segmentation. Cuts start near the minima of the vertical ink projection;
every run of pieces between two cuts is a proposal; all proposals of a page are classified in
one batch, after the candidates' own batch; dynamic programming over the cuts then keeps the
split whose pieces the classifier is most sure are digits. Keeping the candidate whole is one
of the choices, so a confident wide digit (a broad 0, a 4) stays whole, while a wide mark the
model calls "not a digit" is split.

Neighbouring digits of a number often overlap (a loop reaching under the next digit): there a
cut that winds through the least ink ("seam") wanders into loops and cuts digits apart, while a
straight cut keeps each digit nearly whole (on the generated touching pages, digits cut straight
at the middle of their overlap are read right 98 % of the time). So marks that look like a row
of digits (`digit_like`: as tall as the page's digits, not among letters, not a number with a
circle around it) are cut straight; other marks
(a word, a scribble, a digit touching a frame) keep seams, which leave their pieces looking
like what they are. A digit-like split with a sure digit but also a weak piece is then refined
once (`_refinements`): the cuts beside the weak piece are moved a little either way and the weak
piece is cut in two, in a second batch, and the split is chosen again.

A piece cut out of a row carries bits of its neighbours, which the main model never learnt to
ignore. So a mark that looks like several digits run together (`_crowded`: wide, of the page's
digit height) whose split is not all sure digits is split a second time with the piece model
(`Model.piece_model`: trained on such pieces, on pieces across two digits and on pieces of
scribbles); its split replaces the first where it scores higher, or where the first left a piece
"not a digit". The main model keeps its split where it reads it better (a 0 of an odd shape).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .cuts import cut_paths
from .model import NOT_A_DIGIT, Model
from .normalize import center_of_mass, fit, members, own_ink
from .segment import Components
from .sizes import digit_scale, line_scale

SPLIT_HEIGHT = 48    # wide candidates are split on a copy at most this tall (fast, and enough for 28×28)
PIECE_PENALTY = 0.1  # log-probability cost per extra piece: prefer fewer pieces on a tie
JUNK_PENALTY = 2.0   # cost of a piece the model calls "not a digit" (a dash stuck to a digit)
SURE = 0.9           # a piece read as a digit this surely needs no second look
JUNK_RATIO = 0.55    # a digit-like "not a digit" this wide for its height may be a 1 touching a digit
MOVE_STEP, MOVE_REACH = 0.1, 0.1  # refinement: a cut is moved by these steps up to this far (heights)
SPLIT_STEP, SPLIT_MARGIN = 0.3, 0.25  # ... and a weak piece is cut every step, this far from its ends
SPLIT_LOW = 0.4     # marks under this share of the page's digit height are never split (a run of
                    # digits that small is rare; a letter of small print split reads as 1s and 7s)
SPLIT_BESIDE = 0.8  # ... and so are marks under this share of the sure digits beside them (a row of
# touching digits is as tall as the digits of its line; a "#", a letter, a bit of a scribble are lower)
SPLIT_HIGH = 3.0    # ... and marks over this many times the page's digit height (a doodle, not touching digits)
SMALL_PRINT = 0.6   # wide marks among letters under this share of the page's digit height: small print, not split
CROWD_ASPECT, CROWD_HEIGHT = 1.2, 0.6  # marks this wide for their height, this tall for the page: a second look

Pieces = dict  # (cut, cut) -> (mask (h, w) bool, class probabilities (11,)) of the ink between them


@dataclass
class Candidate:
    """A wide candidate being split: its own ink and mask, scaled down by `scale`; its cuts (x per
    row: the left border first, the right border second, then the others in the order found);
    its classified pieces."""

    crop: np.ndarray
    mask: np.ndarray
    scale: float
    cuts: list[np.ndarray]
    pieces: Pieces = field(default_factory=dict)
    x: list[float] = field(init=False)  # each cut's median x, the borders at -inf and inf
    span: list[tuple[float, float]] = field(init=False)  # each cut's least and greatest x
    colsum: np.ndarray = field(init=False)  # ink per column of the mask
    ink: int = field(init=False)            # ... and in all

    def __post_init__(self):
        cuts, self.cuts, self.x, self.span = self.cuts, [], [], []
        for cut in cuts:
            self.add_cut(cut)
        self.x[:2] = [-np.inf, np.inf]
        self.colsum = self.mask.sum(0)
        self.ink = int(self.colsum.sum())

    def add_cut(self, cut: np.ndarray) -> int:
        """Add a cut; returns its index."""
        lo, hi = float(cut.min()), float(cut.max())
        self.cuts.append(cut)
        self.x.append(lo if lo == hi else float(np.median(cut)))
        self.span.append((lo, hi))
        return len(self.cuts) - 1

    def order(self) -> list[int]:
        """The cuts left to right, the borders at the ends."""
        return sorted(range(len(self.x)), key=self.x.__getitem__)


def split_touching(ink: np.ndarray, comps: Components, whole: np.ndarray, model: Model,
                   scale: float | None = None, beside: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Classify the split proposals of wide candidates that are not clearly one digit (one batch,
    one more for refinements, one with the piece model for a second look) and replace each such
    candidate by its best split. `whole` (N, 11) holds the candidates' own probabilities; `scale`
    and `beside` the page's digit height and that of the sure digits beside each candidate
    (`sizes.digit_scale`, `sizes.line_scale` of these candidates; computed here when not
    given); which are tried: `_to_try`. Returns boxes (M, 4) and class probabilities (M, 11)."""
    if beside is None:
        scale, beside = digit_scale(comps.boxes, whole), line_scale(comps.boxes, whole)
    tried, narrow, like = _to_try(comps.boxes, whole, scale, beside)
    if not tried:
        return comps.boxes, whole
    crops = [_small_crop(ink, comps.labels, comps.boxes[i], comps.groups[i]) for i in tried]
    cuts = cut_paths([c[1] for c in crops], [bool(like[i]) for i in tried])
    cands = {i: Candidate(*crop, c) for i, crop, c in zip(tried, crops, cuts)}
    cache, images, first = {}, {}, {i: pieces(c) for i, c in cands.items()}
    _classify(cands, first, model, cache, images)
    paths = {i: _best(c, whole[i]) for i, c in cands.items()}
    weak = {i: p for i, p in paths.items() if like[i] and _worth_refining([cands[i].pieces[ij][1] for ij in p])}
    if weak:
        _classify(cands, _refinements(cands, weak), model, cache, images)
        paths.update({i: _best(cands[i], whole[i]) for i in weak})
    for i in narrow:  # a narrow mark is split only into sure digits
        if not _all_sure(cands[i], paths[i]):
            paths[i] = []
    crowded, second = _crowded(comps.boxes, scale), model.piece_model()
    again = {i: Candidate(*crops[k], cuts[k]) for k, i in enumerate(tried) if second is not model
             and crowded[i] and not (paths[i] and _all_sure(cands[i], paths[i]))}
    if again:  # the same pieces as the first pass, read by the piece model
        _classify(again, {i: first[i] for i in again}, second, {}, images)
        _look_again(again, cands, paths, whole)
    out_boxes, out_probs = [], []
    for i, box in enumerate(comps.boxes):
        path = paths.get(i, [])
        if not path:
            out_boxes.append(box)
            out_probs.append(whole[i])
        for ij in path:
            mask, probs = cands[i].pieces[ij]
            out_boxes.append(_piece_box(box, cands[i].scale, mask))
            out_probs.append(probs)
    return np.array(out_boxes, np.int64).reshape(-1, 4), np.array(out_probs, np.float32).reshape(-1, whole.shape[1])


def _to_try(boxes: np.ndarray, whole: np.ndarray, scale: float | None,
            beside: np.ndarray) -> tuple[list[int], set[int], np.ndarray]:
    """The candidates to split (`needs_split`, and digit-like "not a digit" marks at least
    JUNK_RATIO as wide as tall: a 1 touching a digit makes a narrow pair), those of them that
    are narrow, and `digit_like` over all. Marks lower than SPLIT_LOW of the page's digits or
    SPLIT_BESIDE of those beside them (bits of lines, dashes, words beside bigger digits, a "#")
    are left alone, and so are marks over SPLIT_HIGH times the page's digits (touching digits are
    as tall as digits; a spiral drawn in a box is cut into 1s and 9s) and marks among letters
    under 0.6 of the page's digit height: words in small print (a form's labels), whose pieces
    only pass for digits."""
    low = np.fmax(SPLIT_LOW * (scale or 0), np.nan_to_num(SPLIT_BESIDE * beside))
    high = SPLIT_HIGH * scale if scale else np.inf
    tall = [i for i, box in enumerate(boxes) if low[i] <= box[3] - box[1] <= high]
    wide = [i for i in tall if needs_split(boxes[i], whole[i])]
    narrow = [i for i in tall if whole[i].argmax() == NOT_A_DIGIT and i not in wide
              and needs_split(boxes[i], whole[i], JUNK_RATIO)]
    letters = among_letters(boxes, whole, wide + narrow)
    like = digit_like(boxes, letters, scale, beside)
    narrow = [i for i in narrow if like[i]]
    small_print = letters & (boxes[:, 3] - boxes[:, 1] < SMALL_PRINT * (scale or 0))
    wide = [i for i in wide if not small_print[i]]
    return sorted(wide + narrow), set(narrow), like


def digit_like(boxes: np.ndarray, letters: np.ndarray, scale: float | None, beside: np.ndarray) -> np.ndarray:
    """Which marks look like part of a row of digits, (N,) bool: at least 0.7 of the page's digit
    height `scale` (small print beside handwriting is letters), at most 1.3 times the sure digits
    of their line, `beside` (taller: a circle or frame drawn round a number) and not among
    letters (`letters`, from `among_letters`)."""
    h = boxes[:, 3] - boxes[:, 1]
    out = h <= 1.3 * np.nan_to_num(beside, nan=np.inf)
    if scale is not None:
        out &= h >= 0.7 * scale
    return out & ~letters


def among_letters(boxes: np.ndarray, probs: np.ndarray, which: list[int], reach: float = 1.0,
                  share: float = 0.5) -> np.ndarray:
    """Which of the marks `which` have mostly single marks that are not digits as neighbours,
    (N,) bool: letters of a word ("Fax", "name"), where a wide mark is more likely letters than
    touching digits.
    Neighbours: marks on the same line (overlapping by half the lower one's height) at most
    `reach` heights away, at least 0.4 of the mark's height, narrower than 1.2 heights."""
    x0, y0, x1, y1 = boxes.T
    h = y1 - y0
    single = (x1 - x0) < 1.2 * np.maximum(h, 1)
    junk = probs.argmax(1) == NOT_A_DIGIT
    i = np.asarray(which, np.int64)[:, None]  # all at once: (marks looked at, all marks)
    overlap = np.minimum(y1, y1[i]) - np.maximum(y0, y0[i])
    gap = np.maximum(x0 - x1[i], x0[i] - x1)
    near = single & (overlap >= 0.5 * np.minimum(h, h[i])) & (gap <= reach * h[i]) & (h >= 0.4 * h[i])
    near[np.arange(len(i)), i[:, 0]] = False
    count = near.sum(1)
    out = np.zeros(len(boxes), bool)
    out[i[:, 0]] = (count > 0) & ((near & junk).sum(1) / np.maximum(count, 1) >= share)
    return out


def _sure(probs: np.ndarray) -> bool:
    """A piece read as a digit at least SURE."""
    return probs.argmax() != NOT_A_DIGIT and probs.max() >= SURE


def _all_sure(c: Candidate, path: list[tuple[int, int]]) -> bool:
    """Every piece of the split `path` of `c` a sure digit (True for no pieces)."""
    return all(_sure(c.pieces[ij][1]) for ij in path)


def _worth_refining(probs: list[np.ndarray]) -> bool:
    """A split (not the whole) with a sure digit and a weak piece: a row of digits read mostly
    right. A split without sure digits is more likely a scribble or a word, where a closer look
    only finds digits that are not there."""
    sure = [_sure(p) for p in probs]
    return any(sure) and not all(sure)


def _refinements(cands: dict[int, Candidate], paths: dict[int, list]) -> dict[int, dict]:
    """New straight cuts for weak splits, and the pieces to classify next ({cand: {(i, j): mask}}):
    each cut beside a weak piece moved a little either way (the pieces on both sides of it), and
    each weak piece cut in two."""
    wanted: dict[int, dict] = {}
    for i, path in paths.items():
        c = cands[i]
        h, w = c.mask.shape
        weak = [k for k, ij in enumerate(path) if not _sure(c.pieces[ij][1])]
        nodes = [path[0][0]] + [j for _, j in path]
        x = [0.0] + [c.x[a] for a in nodes[1:-1]] + [float(w)]
        plan = []  # (x of the new cut, the cuts left and right of it)
        for k in range(1, len(nodes) - 1):  # cut k lies between pieces k - 1 and k
            if k - 1 in weak or k in weak:
                for d in np.arange(MOVE_STEP, MOVE_REACH + 1e-9, MOVE_STEP) * h:
                    plan += [(v, nodes[k - 1], nodes[k + 1]) for v in (x[k] - d, x[k] + d)
                             if x[k - 1] + 0.1 * h < v < x[k + 1] - 0.1 * h]
        for k in weak:
            plan += [(v, nodes[k], nodes[k + 1])
                     for v in np.arange(x[k] + SPLIT_MARGIN * h, x[k + 1] - SPLIT_MARGIN * h + 1e-9, SPLIT_STEP * h)]
        wanted[i] = {}
        for v, a, b in plan:
            n = c.add_cut(np.full(h, float(np.round(v))))
            for ij in ((a, n), (n, b)):
                piece = _piece(c, *ij)
                if piece is not None:
                    wanted[i][ij] = piece
    return wanted


def _classify(cands: dict[int, Candidate], wanted: dict[int, dict], model: Model, cache: dict, images: dict) -> None:
    """Add the `wanted` pieces ({cand: {(i, j): mask}}) to their candidates, with their class
    probabilities. Pieces are keyed by candidate and mask: those not in `cache` are classified in
    one batch, their 28×28 images kept in `images` for another model."""
    keys = {i: {ij: (i, piece.tobytes()) for ij, piece in want.items()} for i, want in wanted.items()}
    masks = {keys[i][ij]: (cands[i].crop, piece) for i, want in wanted.items() for ij, piece in want.items()}
    new = [key for key in masks if key not in images]
    if new:
        images.update(zip(new, center_of_mass(np.stack([_piece_image(*masks[key]) for key in new]))))
    todo = [key for key in masks if key not in cache]
    if todo:
        cache.update(zip(todo, model(np.stack([images[key] for key in todo]))))
    for i, want in wanted.items():
        cands[i].pieces.update({ij: (piece, cache[keys[i][ij]]) for ij, piece in want.items()})


def _look_again(again: dict[int, Candidate], cands: dict[int, Candidate], paths: dict[int, list],
                whole: np.ndarray) -> None:
    """The split of the candidates `again` (fresh copies of crowded ones whose split is not all
    sure digits, their pieces read by the piece model) replaces the first one (in `cands` and
    `paths`) where it scores higher, or where the first left a piece "not a digit"."""
    for i, c in again.items():
        path = _best(c, whole[i])
        first = [cands[i].pieces[ij][1] for ij in paths[i]]
        before = sum(map(piece_score, first)) if first else digit_log(whole[i])
        if path and (sum(piece_score(c.pieces[ij][1]) for ij in path) > before
                     or any(p.argmax() == NOT_A_DIGIT for p in first)):
            cands[i], paths[i] = c, path


def _crowded(boxes: np.ndarray, scale: float | None) -> np.ndarray:
    """Which marks the piece model looks at, (N,) bool: at least CROWD_ASPECT times as wide as tall
    (several digits run together; one digit, one capital letter, a 1 touching a digit are
    narrower, and in those the piece model sees digits that are not there: a K is a 1 and a <)
    and at least CROWD_HEIGHT of the page's digit height (printed labels in small print)."""
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return (w >= CROWD_ASPECT * h) & (h >= CROWD_HEIGHT * (scale or 0))


def _piece_image(crop: np.ndarray, piece: np.ndarray) -> np.ndarray:
    """The piece's own ink, fitted to 28×28 but not centred (see `normalize.fit`); cut to the
    piece's box first, which is faster."""
    x, y, w, h = cv2.boundingRect(piece.view(np.uint8))  # the box of the piece's pixels
    y0, y1 = max(0, y - 1), y + h + 1  # a pixel of margin: own_ink grows the mask by one
    x0, x1 = max(0, x - 1), x + w + 1
    return fit(own_ink(crop[y0:y1, x0:x1], piece[y0:y1, x0:x1]))


def _best(c: Candidate, whole: np.ndarray) -> list[tuple[int, int]]:
    """The best split of one candidate (see `best_split`), [] to keep it whole."""
    scores = {ij: piece_score(p) for ij, (_, p) in c.pieces.items()}
    return best_split(c.order(), digit_log(whole), scores)


def digit_log(probs: np.ndarray) -> float:
    """Log of the best digit probability: the score of keeping a candidate whole."""
    return float(np.log(max(float(probs[:NOT_A_DIGIT].max()), 1e-9)))


def piece_score(probs: np.ndarray) -> float:
    """Log-score of one piece of a split: its best digit or, penalised, "not a digit"; less
    PIECE_PENALTY."""
    digit = digit_log(probs)
    junk = np.log(max(float(probs[NOT_A_DIGIT]), 1e-9)) - JUNK_PENALTY
    return max(digit, junk) - PIECE_PENALTY


def _small_crop(ink: np.ndarray, labels: np.ndarray, box: np.ndarray, group: list[int]):
    """(ink, mask, scale) of one candidate's own ink, scaled down to at most SPLIT_HEIGHT rows."""
    x0, y0, x1, y1 = box
    own = members(labels[y0:y1, x0:x1], group)
    crop = own_ink(ink[y0:y1, x0:x1], own)
    f = min(1.0, SPLIT_HEIGHT / (y1 - y0))
    if f < 1:
        size = (max(1, round((x1 - x0) * f)), max(1, round((y1 - y0) * f)))
        own = cv2.resize(own.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.2
        crop = cv2.resize(crop.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    return crop, own, f


def _piece_box(box: np.ndarray, scale: float, mask: np.ndarray) -> np.ndarray:
    x, y, w, h = cv2.boundingRect(mask.view(np.uint8))  # the box of the piece's pixels
    return np.array([box[0] + int(x / scale), box[1] + int(y / scale),
                     min(box[2], box[0] + int(np.ceil((x + w) / scale))),
                     min(box[3], box[1] + int(np.ceil((y + h) / scale)))])


def needs_split(box: np.ndarray, probs: np.ndarray, ratio: float = 0.8, sure: float = 0.9) -> bool:
    """A candidate wide enough to hold more than one digit and not clearly one digit already
    (very wide ones are always tried)."""
    aspect = (box[2] - box[0]) / max(1, box[3] - box[1])
    if not ratio <= aspect <= 6:  # wider still: a line or a word, not a row of touching digits
        return False
    return aspect > 1.3 or probs.argmax() == len(probs) - 1 or probs.max() < sure


def pieces(c: Candidate) -> dict[tuple[int, int], np.ndarray]:
    """Every run of pieces between two cuts of `c` (see `cut_paths`) that could be one digit (see
    `_piece`); the whole candidate is not one of them."""
    order = [0] + list(range(2, len(c.cuts))) + [1]  # cut_paths gives the inner cuts left to right
    out = {}
    for a, i in enumerate(order):
        for j in order[a + 1:]:
            if (i, j) != (0, 1):
                piece = _piece(c, i, j)
                if piece is not None:
                    out[(i, j)] = piece
    return out


def _piece(c: Candidate, i: int, j: int) -> np.ndarray | None:
    """The ink between cuts i and j of `c`, if it could be one digit: not a sliver, not wider
    than 1.2 digit heights, not a crumb (under 2 % of the candidate's ink)."""
    h, w = c.mask.shape
    (lo, left_max), (right_min, hi) = c.span[i], c.span[j]
    if hi - lo < 0.12 * h:
        return None
    a, b = min(max(int(np.ceil(lo)), 0), w), min(max(int(np.ceil(hi)), 0), w)
    if lo == left_max and right_min == hi:  # straight cuts: a slice of columns
        part, ink = c.mask[:, a:b], c.colsum[a:b]
    else:
        xs = np.arange(a, b)[None, :]
        part = c.mask[:, a:b] & (xs >= c.cuts[i][:, None]) & (xs < c.cuts[j][:, None])
        ink = part.sum(0)
    cols = np.flatnonzero(ink)
    if not len(cols) or not 0.12 * h <= cols[-1] - cols[0] + 1 <= 1.2 * h or ink.sum() < 0.02 * c.ink:
        return None
    piece = np.zeros_like(c.mask)
    piece[:, a:b] = part
    return piece


def best_split(order: list[int], whole: float, pieces: dict[tuple[int, int], float]) -> list[tuple[int, int]]:
    """The best path through the cuts `order` (left to right: the left border first, the right
    border last), by dynamic programming.

    `whole` is the log digit probability of the unsplit candidate; `pieces[(i, j)]` the
    log-score of the piece between cuts i and j (see `piece_score`). Returns the chosen (i, j)
    pairs, [] meaning "keep it whole".
    """
    best = {order[0]: 0.0}
    prev: dict[int, int] = {}
    for n, j in enumerate(order[1:], 1):
        for i in order[:n]:
            if (i, j) in pieces and i in best and best[i] + pieces[(i, j)] > best.get(j, -np.inf):
                best[j], prev[j] = best[i] + pieces[(i, j)], i
    end = order[-1]
    if best.get(end, -np.inf) <= whole:
        return []
    path, j = [], end
    while j != order[0]:
        path.append((prev[j], j))
        j = prev[j]
    return path[::-1]
