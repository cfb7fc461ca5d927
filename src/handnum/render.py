"""Draw a read page: a green box per digit with its value and confidence, a thinner box per number."""
from __future__ import annotations

import cv2
import numpy as np

GREEN = (0, 200, 0)
NUMBER = (0, 120, 0)
REJECTED = (0, 0, 220)


def annotate(image: np.ndarray, page, show_rejected: bool = False) -> np.ndarray:
    """A BGR copy of `image` with the page's digits and numbers drawn on it (boxes in image pixels)."""
    from .io import as_bgr

    out = as_bgr(image).copy()
    h, w = out.shape[:2]
    thick = max(1, round(min(h, w) / 400))
    if show_rejected:
        for r in page.rejected:
            cv2.rectangle(out, r.box[:2], (r.box[2] - 1, r.box[3] - 1), REJECTED, max(1, thick // 2))
    for number in page.numbers:
        x0, y0, x1, y1 = number.box
        pad = max(2, (y1 - y0) // 10)
        cv2.rectangle(out, (x0 - pad, y0 - pad), (x1 - 1 + pad, y1 - 1 + pad), NUMBER, max(1, thick // 2))
    for d in page.digits:
        x0, y0, x1, y1 = d.box
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), GREEN, thick)
        # the digit above its box, the confidence below it, each sized to the box's width
        _label(out, str(d.digit), x0, x1, y0 - 3, 0.4 * (y1 - y0), above=True, thick=thick)
        _label(out, f"{d.confidence * 100:.0f}%", x0, x1, y1 + 3, 0.25 * (y1 - y0), above=False,
               thick=max(1, thick // 2))
    return out


def _label(img: np.ndarray, text: str, x0: int, x1: int, y: int, max_h: float, above: bool, thick: int) -> None:
    """Centre `text` over [x0, x1), at most as wide as that and `max_h` tall, above or below `y`."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, thick)
    scale = float(np.clip(min((x1 - x0) / max(tw, 1), max_h / max(th, 1)), 0.3, 3.0))
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    ty = y if above else y + th
    ty = int(np.clip(ty, th + 1, img.shape[0] - 2))
    tx = int(np.clip((x0 + x1 - tw) // 2, 0, max(0, img.shape[1] - tw)))
    cv2.putText(img, text, (tx, ty), font, scale, GREEN, thick, cv2.LINE_AA)
