"""A second look at candidates merged from pieces: the model judges what geometry joined.

`segment.merge_pieces` joins the pieces of a broken digit by their boxes alone, so it also joins
a digit to an underline drawn close below it, or to a bit of a circle left after the circle was
peeled off. Such a candidate reads "not a digit" as a whole. Here its main piece (the most ink)
is read alone; where that is a sure digit, the candidate becomes that piece and the other pieces
are set aside (`line` for a flat one, else `speck`).
"""
from __future__ import annotations

import numpy as np

from .model import NOT_A_DIGIT, Model
from .normalize import candidate_images
from .segment import Components, box_of

SURE = 0.9   # the main piece alone must read as a digit at least this surely,
SHARE = 0.6  # ... hold at least this share of the candidate's ink
TALL = 0.6, 3.0  # ... and be this tall for the page's digit height (not small print, not a drawing)
FLAT = 6.0  # a set-aside piece this many times as wide as tall is a line


def shed_extras(ink: np.ndarray, comps: Components, whole: np.ndarray, model: Model,
                scale: float | None = None) -> tuple[Components, np.ndarray]:
    """Candidates of several pieces that read "not a digit" whose main piece reads as a sure digit
    alone are replaced by that piece (one more batch, only for such candidates). The main piece
    holds most of their ink, the others reach beyond its box (bits inside it may be its own: a
    broken 1 touching a 3 reads as a sure 3 without them, and is left to the splitter), and it is
    near the page's digit height (`scale`, if known: small print and drawings are left alone).
    Returns the components and their class probabilities, updated."""
    tried, mains, boxes = [], [], []
    for i, group in enumerate(comps.groups):
        if len(group) < 2 or whole[i].argmax() != NOT_A_DIGIT:
            continue
        x0, y0, x1, y1 = comps.boxes[i]
        crop = comps.labels[y0:y1, x0:x1]
        label, count = np.unique(crop, return_counts=True)  # the pixels of every label in the box, at once
        in_box = dict(zip(label.tolist(), count.tolist()))
        ink_of = {k: in_box.get(k, 0) for k in group}
        main = max(group, key=ink_of.__getitem__)
        box = box_of(crop == main, x0, y0)
        tall = (box[3] - box[1]) / scale if scale else 1.0
        beyond = np.abs(box - comps.boxes[i]).max() >= 0.1 * (box[3] - box[1])  # not bits within it
        if ink_of[main] < SHARE * sum(ink_of.values()) or not TALL[0] <= tall <= TALL[1] or not beyond:
            continue
        tried.append(i)
        mains.append(main)
        boxes.append(box)
    if not tried:
        return comps, whole
    alone = candidate_images(ink, comps.labels, np.array(boxes), [[m] for m in mains])
    probs = model(alone)
    sure = probs[:, :NOT_A_DIGIT].max(1) >= SURE
    if not sure.any():
        return comps, whole
    out_boxes, groups, dropped = comps.boxes.copy(), list(comps.groups), list(comps.dropped)
    whole = whole.copy()
    for k in np.nonzero(sure)[0]:
        i = tried[k]
        out_boxes[i], groups[i], whole[i] = boxes[k], [mains[k]], probs[k]
        x0, y0, x1, y1 = comps.boxes[i]
        crop = comps.labels[y0:y1, x0:x1]
        for b in (box_of(crop == p, x0, y0) for p in comps.groups[i] if p != mains[k]):
            w, h = b[2] - b[0], b[3] - b[1]
            dropped.append((b, "line" if w > FLAT * h else "speck"))
    return Components(comps.labels, out_boxes, groups, dropped), whole

