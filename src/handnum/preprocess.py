"""Light and binarisation: turn a photo into an ink map (ink bright, paper 0) and a binary mask.

Uneven light and shadows are removed by dividing by an estimate of the paper's brightness
(a morphological closing wipes out the thin dark strokes and leaves the paper), so the
threshold is the same everywhere on the page.
"""
from __future__ import annotations

import cv2
import numpy as np


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
    from it (brighter or darker) is the ink.
    """
    small = gray[::4, ::4] if gray.size > 1_000_000 else gray
    p2, p50, p98 = np.percentile(small, (2, 50, 98))
    return (p98 - p50) > 1.5 * (p50 - p2) and p50 < 160


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
    ink = (bg - gray.astype(np.float32)) / np.maximum(bg, 32.0)
    return np.clip(ink, 0.0, 1.0)


def binarize(ink: np.ndarray, floor: float = 0.18) -> tuple[np.ndarray, float]:
    """Binary mask of ink pixels and the threshold used (Otsu on the ink map, never below `floor`)."""
    u8 = (ink * 255).astype(np.uint8)
    otsu, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    t = max(floor, otsu / 255.0 * 0.6)
    return (ink > t).astype(np.uint8), t
