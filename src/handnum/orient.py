"""Orientation: a page photographed sideways or upside down is read the right way up.

A small learned model (`models/orient.onnx`, trained on generated pages by `handnum train-orient`)
looks at each candidate mark in two square windows of the ink, the mark itself and its
neighbourhood, and gives the odds of each turn of the page around it. Every mark votes —
handwritten digits and words, printed labels, rules — so a page of letters and a few digits is
turned by its letters too; a speck or a "0" gives even odds and so no vote. The page turns by the
sum of the marks' log-probabilities, with the prior that most pages are photographed upright.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .errors import ModelError
from .model import checked_card, open_session, softmax
from .preprocess import pyramid_window

TURNS = (0, 90, 180, 270)  # degrees counter-clockwise that make the page upright (np.rot90's k × 90)
WINDOW = 32                # each window as WINDOW × WINDOW
SIDES = (1.5, 5.0)         # the windows: 1.5× and 5× the mark's longer side, centred on it
MAX_MARKS = 400            # marks that vote, spread over the page: enough to be sure, and quick
UPRIGHT = 0.85             # prior: the share of pages photographed as they should be read
VERSION = "orient-inputs-v1"
SHIPPED = Path(__file__).resolve().parent / "models" / "orient.onnx"


def voters(boxes: np.ndarray) -> np.ndarray:
    """Indices of the marks that vote: all of them, or MAX_MARKS spread evenly over the list."""
    n = len(boxes)
    return np.arange(n) if n <= MAX_MARKS else np.unique(np.linspace(0, n - 1, MAX_MARKS).round().astype(int))


def windows(ink: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """The model's input for marks at `boxes` (N, 4: x0, y0, x1, y1) on the ink map `ink` (float,
    ink bright, paper 0): (N, len(SIDES), WINDOW, WINDOW) float32. The windows are square and centred,
    so turning the page turns each window the same way."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    out = np.zeros((len(boxes), len(SIDES), WINDOW, WINDOW), np.float32)
    pyramid = [ink.astype(np.float32)]  # halved copies: a large window is cut where it is ≤ 4× WINDOW
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        longer = max(1.0, x1 - x0, y1 - y0)
        for c, k in enumerate(SIDES):
            side = k * longer
            out[i, c] = pyramid_window(pyramid, (x0 + x1) / 2, (y0 + y1) / 2, side, side, (WINDOW, WINDOW), side,
                                       fill=0.0)
    peak = out.reshape(len(out), -1).max(1) if len(out) else np.zeros(0)
    return out / np.maximum(peak, 0.05)[:, None, None, None]  # faint or dark ink alike


class TurnModel:
    """`model(windows)` gives (N, 4) probabilities of the turns (TURNS) for `windows` from `windows`."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else SHIPPED
        self.card = checked_card(self.path, "orientation model")
        if self.card.get("inputs") != VERSION or tuple(self.card.get("classes", ())) != TURNS:
            raise ModelError(f"orientation model {self.path} expects inputs {self.card.get('inputs')!r} and "
                             f"classes {self.card.get('classes')}; this handnum has {VERSION!r} and {list(TURNS)}")
        self.session = open_session(self.path, what="orientation model")

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if not len(batch):
            return np.zeros((0, len(TURNS)), np.float32)
        try:
            logits = np.concatenate([self.session.run(None, {"windows": batch[i:i + 512]})[0]
                                     for i in range(0, len(batch), 512)])
        except Exception as e:
            raise ModelError(f"orientation model {self.path} failed: {e}") from e
        return softmax(logits.astype(np.float64))


@functools.lru_cache(maxsize=4)
def load_turn_model(path: str | None = None) -> TurnModel:
    """The orientation model at `path` (default: the shipped one), loaded once per process."""
    return TurnModel(path)


def votes(probs: np.ndarray) -> np.ndarray:
    """The page's log-odds of each turn (4,) from its marks' probabilities (N, 4), prior included."""
    prior = np.log([UPRIGHT] + [(1 - UPRIGHT) / 3] * 3)
    return prior + np.log(np.maximum(probs, 1e-6)).sum(0)


def page_turn(ink: np.ndarray, boxes: np.ndarray, model: TurnModel | None = None) -> int:
    """Degrees (0, 90, 180, 270; counter-clockwise) to turn the page so it reads upright, from its
    ink map and candidate marks."""
    boxes = np.asarray(boxes).reshape(-1, 4)
    if not len(boxes):
        return 0
    chosen = voters(boxes)
    probs = (model or load_turn_model())(windows(ink, boxes[chosen]))
    return TURNS[int(np.argmax(votes(probs)))]


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
