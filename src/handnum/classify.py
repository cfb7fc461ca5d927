"""Classify single-digit images: the `handnum digit` path and `handnum.classify`.

A photo or crop of one digit (dark on light or light on dark) is turned into an ink map,
its digit is picked among the ink components (the largest mark; grid lines at the edges
are ignored), normalised MNIST-style and classified.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import io, preprocess, segment
from .model import CLASSES, NOT_A_DIGIT, Model, load_model
from .normalize import candidate_images


@dataclass
class Prediction:
    """The reading of one single-digit image: the most likely digit and its probability among the
    ten digits (the image is taken to hold a digit); `not_a_digit` says how unlike a digit it looks."""

    source: str
    digit: int
    confidence: float
    top3: list[tuple[int, float]] = field(default_factory=list)
    not_a_digit: float = 0.0

    def to_dict(self) -> dict:
        return {"source": self.source, "digit": self.digit, "confidence": round(self.confidence, 4),
                "top3": [[d, round(p, 4)] for d, p in self.top3], "not_a_digit": round(self.not_a_digit, 4)}


def digit_image(image: np.ndarray) -> np.ndarray:
    """(28, 28) float32 MNIST-style image of the main mark in a single-digit BGR/gray image."""
    gray = preprocess.to_gray(image)
    ink = preprocess.ink_map(gray, stroke=max(15, min(gray.shape) // 3))
    mask, t = preprocess.binarize(ink)
    if not mask.any():
        return np.zeros((28, 28), np.float32)
    mask = segment.hysteresis(ink, t, 0.6 * t)
    comps = segment.find_candidates(mask, min_height=max(3, min(gray.shape) // 10), min_area=4)
    if len(comps.boxes) == 0:
        return np.zeros((28, 28), np.float32)
    h, w = gray.shape
    counts = np.bincount(comps.labels.ravel())
    best, best_score = 0, -1.0
    for i, (box, group) in enumerate(zip(comps.boxes, comps.groups)):
        x0, y0, x1, y1 = box
        score = float(counts[group].sum())
        if x0 == 0 or y0 == 0 or x1 == w or y1 == h:  # touches the edge: likely a grid line or the frame
            score *= 0.2
        if score > best_score:
            best, best_score = i, score
    return candidate_images(ink, comps.labels, comps.boxes[best:best + 1], [comps.groups[best]])[0]


def predict(probs: np.ndarray, source: str) -> Prediction:
    """A Prediction from one row of class probabilities (11,)."""
    digits = probs[:NOT_A_DIGIT] / max(float(probs[:NOT_A_DIGIT].sum()), 1e-12)
    top = [int(k) for k in np.argsort(digits)[::-1][:3]]
    return Prediction(source, top[0], float(digits[top[0]]), [(k, float(digits[k])) for k in top],
                      float(probs[NOT_A_DIGIT]))


def classify(image: io.Source, model: Model | str | None = None, name: str | None = None) -> Prediction:
    """Read the single digit in `image` (path, encoded bytes or array)."""
    model = model if isinstance(model, Model) else load_model(model)
    with io.open_source(image, name=name) as pages:
        page = pages[0]  # of a PDF, only the first page is rendered
    probs = model(digit_image(page.image)[None])[0]
    return predict(probs, page.source)


__all__ = ["CLASSES", "Prediction", "classify", "digit_image", "predict"]
