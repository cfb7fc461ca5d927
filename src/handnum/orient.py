"""Orientation: a page photographed sideways or upside down is read the right way up.

Candidates are classified once upright; their 28×28 images are then turned by 90°, 180°
and 270° (turning a normalised digit equals normalising the turned digit) and classified in
one more batch. Digits written the right way up are the ones the model is most sure of, and
upright digits are taller than wide, so the page turn with the best mean confidence wins,
and only by a clear margin over reading it as it is.
"""
from __future__ import annotations

import numpy as np

from .model import NOT_A_DIGIT, Model

MARGIN = 0.1  # mean log-probability a turn must gain over 0° to be taken


def page_turn(images: np.ndarray, upright: np.ndarray, boxes: np.ndarray, model: Model) -> int:
    """Degrees (0, 90, 180, 270; counter-clockwise) to turn the page so its digits stand upright.

    `images` (N, 28, 28) are the candidates as they stand, `upright` their probabilities (N, 11),
    `boxes` (N, 4) their boxes (for the shape cue).
    """
    if len(images) < 3:
        return 0
    tall = float(np.median((boxes[:, 3] - boxes[:, 1]) / np.maximum(boxes[:, 2] - boxes[:, 0], 1)))
    turns = (180,) if tall >= 1.0 else (90, 180, 270)
    batch = np.concatenate([np.rot90(images, k=t // 90, axes=(1, 2)) for t in turns])
    probs = np.concatenate([upright, model(np.ascontiguousarray(batch))])
    scores = np.log(np.maximum(probs[:, :NOT_A_DIGIT].max(1), 1e-6)).reshape(len(turns) + 1, -1)
    keep = np.argsort(scores.max(0))[::-1][: max(3, len(images) // 2)]  # the most digit-like marks
    mean = scores[:, keep].mean(1)
    best = int(np.argmax(mean))
    if best == 0 or mean[best] - mean[0] < MARGIN:
        return 0
    return turns[best - 1]


def box_to_original(box, turn: int, width: int, height: int) -> tuple[int, int, int, int]:
    """Map a box of the page turned by `turn` degrees (np.rot90, counter-clockwise) back to the
    original image of `width` × `height` pixels."""
    x0, y0, x1, y1 = box
    if turn == 90:   # turned (x, y) = (y, W - x): original x = W - turned y
        return (width - y1, x0, width - y0, x1)
    if turn == 180:
        return (width - x1, height - y1, width - x0, height - y0)
    if turn == 270:  # turned (x, y) = (H - y, x)
        return (y0, height - x1, y1, height - x0)
    return (x0, y0, x1, y1)
