"""Orientation: a page photographed sideways or upside down is read the right way up.

Candidates are classified once upright; their 28×28 images are then turned by 90°, 180°
and 270° (turning a normalised digit equals normalising the turned digit) and classified in
one more batch. Digits written the right way up are the ones the model is most sure of, and
upright digits are taller than wide, so the page turn that makes the most marks sure digits
wins, and only by a clear margin over reading it as it is (in count and in mean confidence):
letters turned upside down can pass for digits, so a page of printed labels and a few
handwritten digits must not be turned on a slight lead. Thin marks, specks and marks under half
the height of the page's tallest (printed labels beside handwritten digits) do not vote.
"""
from __future__ import annotations

import numpy as np

from .model import CLASSES, NOT_A_DIGIT, Model

MARGIN = 0.0     # mean log-probability (of the most digit-like half) a turn must not lose
SURE_GAIN = 1.25  # and it must make this many times more marks sure digits (≥ 0.9)


def page_turn(images: np.ndarray, upright: np.ndarray, boxes: np.ndarray, model: Model) -> int:
    """Degrees (0, 90, 180, 270; counter-clockwise) to turn the page so its digits stand upright.

    `images` (N, 28, 28) are the candidates as they stand, `upright` their probabilities (N, 11),
    `boxes` (N, 4) their boxes (for the shape cue).
    """
    size = boxes[:, 2:] - boxes[:, :2]
    big, small = size.max(1), size.min(1)
    if len(images):  # thin strokes ("1", bits of lines) and specks say nothing about the turn
        telling = (small >= 0.3 * big) & (big >= 0.5 * np.percentile(big, 75)) \
            & (size[:, 1] >= 0.5 * np.percentile(size[:, 1], 90))  # nor small print beside handwriting
        images, upright, boxes = images[telling], upright[telling], boxes[telling]
    if len(images) < 3:
        return 0  # too few marks
    unsure = upright[:, :NOT_A_DIGIT].max(1) < 0.9
    need = SURE_GAIN * int((~unsure).sum()) + 1  # the sure digits a turn must make to win
    if need > len(images):
        return 0  # so many sure digits as it stands that no turn could win
    tall = float(np.median((boxes[:, 3] - boxes[:, 1]) / np.maximum(boxes[:, 2] - boxes[:, 0], 1)))
    turns = (180,) if tall >= 1.0 else (90, 180, 270)
    turned = np.stack([np.rot90(images, k=t // 90, axes=(1, 2)) for t in turns])  # (turns, N, 28, 28)
    probs = np.stack([upright] * (len(turns) + 1))  # as it stands, then per turn
    probs[1:, unsure] = _read(turned[:, unsure], model)  # the marks not sure as they stand first
    if ((probs[1:, unsure, :NOT_A_DIGIT].max(2) >= 0.9).sum(1) + len(images) - unsure.sum() < need).all():
        return 0  # too few of those turn into sure digits to win, even if the sure ones stayed sure
    probs[1:, ~unsure] = _read(turned[:, ~unsure], model)
    digit_p = probs[:, :, :NOT_A_DIGIT].max(2)
    sure = (digit_p >= 0.9).sum(1)  # marks read as digits with confidence, per turn
    scores = np.log(np.maximum(digit_p, 1e-6))
    keep = np.argsort(scores.max(0))[::-1][: max(3, len(images) // 2)]  # the most digit-like marks
    mean = scores[:, keep].mean(1)
    best = int(np.argmax(sure + 0.01 * mean))
    if best == 0 or mean[best] - mean[0] < MARGIN or sure[best] < SURE_GAIN * sure[0] + 1:
        return 0
    return turns[best - 1]


def _read(turned: np.ndarray, model: Model) -> np.ndarray:
    """Class probabilities (turns, N, 11) of turned images (turns, N, 28, 28), in one batch."""
    return model(turned.reshape(-1, *turned.shape[2:])).reshape(len(turned), -1, len(CLASSES))


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
