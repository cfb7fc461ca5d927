"""Hand-drawn marks that are not digits, as alpha in [0, 1]: crosses, ticks, strokes, maths signs,
arrows, circles, scribbles. Drawn as jittered polylines, so no two are alike."""
from __future__ import annotations

import cv2
import numpy as np

MARKS = ("cross", "tick", "plus", "minus", "equals", "slash", "arrow", "scribble", "dot", "bracket", "times",
         "check_box", "star")


def _shape(rng: np.random.Generator, kind: str) -> list[np.ndarray]:
    """Polylines of a mark in a unit square (x right, y down)."""
    j = lambda n=1: rng.normal(0, 0.05, (n, 2))  # noqa: E731  jitter of each point
    p = lambda *pts: np.array(pts, float) + j(len(pts))  # noqa: E731
    if kind in ("cross", "times"):
        s = 0.5 if kind == "times" else 1.0
        return [p((0.5 - s / 2, 0.5 - s / 2), (0.5 + s / 2, 0.5 + s / 2)), p((0.5 + s / 2, 0.5 - s / 2), (0.5 - s / 2, 0.5 + s / 2))]
    if kind == "tick":
        return [p((0.0, 0.55), (0.3, 1.0), (1.0, 0.0))]
    if kind == "plus":
        return [p((0.0, 0.5), (1.0, 0.5)), p((0.5, 0.0), (0.5, 1.0))]
    if kind == "minus":
        return [p((0.0, 0.5), (1.0, 0.5))]
    if kind == "equals":
        return [p((0.0, 0.35), (1.0, 0.35)), p((0.0, 0.65), (1.0, 0.65))]
    if kind == "slash":
        return [p((0.8, 0.0), (0.2, 1.0))]
    if kind == "arrow":
        return [p((0.0, 0.5), (1.0, 0.5)), p((0.7, 0.25), (1.0, 0.5), (0.7, 0.75))]
    if kind == "scribble":
        n = int(rng.integers(4, 9))
        return [np.column_stack([np.linspace(0, 1, n), rng.uniform(0, 1, n)])]
    if kind == "dot":
        return [p((0.45, 0.45), (0.55, 0.55))]
    if kind == "bracket":
        t = np.linspace(-1, 1, 9)
        return [np.column_stack([0.5 - 0.35 * (1 - t ** 2) + 0.3, 0.5 + 0.5 * t])]
    if kind == "check_box":
        return [p((0, 0), (1, 0), (1, 1), (0, 1), (0, 0)), p((0.2, 0.5), (0.4, 0.8), (0.9, 0.1))]
    if kind == "star":
        a = np.linspace(0, 4 * np.pi, 6) + rng.uniform(0, 1)
        return [np.column_stack([0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a)])]
    raise ValueError(f"unknown mark {kind!r}")


def mark(rng: np.random.Generator, kind: str, width: int, height: int, pen: float) -> np.ndarray:
    """A `kind` mark about `width`×`height` px drawn with a pen `pen` px wide (alpha, not cropped)."""
    k = 4  # drawn 4× larger, then shrunk: smooth edges
    w, h, t = max(2, width) * k, max(2, height) * k, max(1, round(pen * k))
    canvas = np.zeros((h + 2 * t, w + 2 * t), np.uint8)
    for line in _shape(rng, kind):
        pts = np.round(np.clip(line, -0.05, 1.05) * [w, h] + t).astype(np.int32)
        cv2.polylines(canvas, [pts], False, 255, t, cv2.LINE_AA)
    return cv2.resize(canvas, (canvas.shape[1] // k, canvas.shape[0] // k), interpolation=cv2.INTER_AREA) / 255.0


def ring(width: int, height: int, pen: float, rng: np.random.Generator) -> np.ndarray:
    """A hand-drawn loop around a `width`×`height` box (the box at its centre)."""
    t = max(1, round(pen))
    canvas = np.zeros((height + 4 * t, width + 4 * t), np.uint8)
    c = (canvas.shape[1] // 2, canvas.shape[0] // 2)
    start = rng.uniform(0, 360)
    cv2.ellipse(canvas, c, (width // 2 + t, height // 2 + t), rng.uniform(-8, 8), start, start + rng.uniform(330, 380),
                255, t, cv2.LINE_AA)
    return canvas / 255.0
