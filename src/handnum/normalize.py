"""MNIST-style normalisation of one candidate: tight crop, stroke width, fit 20×20, pad 28×28, centre of mass.

Input is an *ink map*: float32 in [0, 1], ink bright, paper 0 (see `preprocess.ink_map`).
MNIST digits fill a 20×20 box inside 28×28 with strokes about 2–3 px wide; a thin pen
stroke on a large digit would shrink to a hair, so strokes are thickened first to the
same share of the digit's size.
"""
from __future__ import annotations

import cv2
import numpy as np

PREPROCESSING = "mnist-com-v1"  # bump when this stage changes; checked against the model card
SIZE, BOX = 28, 20
STROKE_SHARE = 0.11  # MNIST stroke width / digit height (≈ 2.2 px of 20)
_ROWS, _COLS = np.indices((SIZE, SIZE))  # each pixel's row and column, for the centre of mass


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask, ≈ 2·area / perimeter (exact for long thin strokes)."""
    mask = mask.astype(np.uint8)
    area = float(cv2.countNonZero(mask))
    if area == 0:
        return 0.0
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * area / max(perimeter, 1.0)


def normalize(ink: np.ndarray, threshold: float = 0.2, thicken: bool = True) -> np.ndarray:
    """Turn an ink crop (H, W) float in [0, 1] into a 28×28 float32 MNIST-style image.

    Returns zeros for a crop without ink. `threshold` decides which pixels count as ink
    for the tight crop and the stroke-width estimate.
    """
    return center_of_mass(fit(ink, threshold, thicken))


def fit(ink: np.ndarray, threshold: float = 0.2, thicken: bool = True) -> np.ndarray:
    """`normalize` without the last step, the centring: many crops are fitted one by one and
    then centred at once by `center_of_mass`, which is faster."""
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2:
        raise ValueError(f"ink must be a 2-D array, got shape {ink.shape}")
    mask = ink > threshold
    x0, y0, w, h = cv2.boundingRect(mask.view(np.uint8))  # the box of the ink pixels
    if w == 0:
        return np.zeros((SIZE, SIZE), np.float32)
    crop, mask = ink[y0:y0 + h, x0:x0 + w], mask[y0:y0 + h, x0:x0 + w]
    if thicken:
        target = STROKE_SHARE * max(h, w)
        grow = int(round(target - stroke_width(mask)))
        if grow >= 1:
            k = np.ones((grow + 1, grow + 1), np.uint8)  # square: separable, fast on big crops
            crop = cv2.dilate(cv2.copyMakeBorder(crop, grow, grow, grow, grow, cv2.BORDER_CONSTANT, value=0), k)
            h, w = crop.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(crop, (nw, nh), interpolation=interp)
    small = np.clip(small / max(float(small.max()), 1e-6), 0, 1)  # full contrast like MNIST
    out = np.zeros((SIZE, SIZE), np.float32)
    oy, ox = (SIZE - nh) // 2, (SIZE - nw) // 2
    out[oy:oy + nh, ox:ox + nw] = small
    return out


def center_of_mass(imgs: np.ndarray) -> np.ndarray:
    """Shift 28×28 images, (28, 28) or (N, 28, 28), so that each one's centre of mass lies at
    the centre, as MNIST was made. The centres of all are found at once; blank images stay."""
    out = np.array(imgs, np.float32)
    batch = out.reshape(-1, SIZE, SIZE)
    total = batch.sum((1, 2))
    rows, cols = (_ROWS * batch).sum((1, 2)), (_COLS * batch).sum((1, 2))
    for img, t, r, c in zip(batch, total, rows, cols):
        if t > 0:
            dy, dx = (SIZE - 1) / 2 - r / t, (SIZE - 1) / 2 - c / t
            m = np.float32([[1, 0, dx], [0, 1, dy]])
            img[:] = cv2.warpAffine(img, m, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderValue=0)
    return out


def own_ink(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The ink of a crop under `mask` (grown by a pixel to keep the strokes' soft edges), zero elsewhere:
    a candidate's own strokes without its neighbours'."""
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return np.where(grown, ink, 0)


def candidate_images(ink: np.ndarray, labels: np.ndarray, boxes: np.ndarray, groups: list[list[int]],
                     thicken: bool = True) -> np.ndarray:
    """(N, 28, 28) float32: each candidate's own ink (its components only), normalised."""
    out = np.zeros((len(boxes), SIZE, SIZE), np.float32)
    for i, ((x0, y0, x1, y1), group) in enumerate(zip(boxes, groups)):
        out[i] = fit(own_ink(ink[y0:y1, x0:x1], members(labels[y0:y1, x0:x1], group)), thicken=thicken)
    return center_of_mass(out)


def members(labels: np.ndarray, group: list[int]) -> np.ndarray:
    """Which pixels of `labels` carry one of the labels `group`, (H, W) bool: `np.isin`, faster
    for the few labels of a candidate (a mark merged from many pieces: `np.isin` itself)."""
    if len(group) > 8:
        return np.isin(labels, group)
    out = np.zeros(labels.shape, bool)
    for label in group:
        out |= labels == label
    return out
