"""What the judge sees of a mark: the mark itself, its line around it at the mark's own scale, and
its size against the page's other marks. Shared by training and reading, numpy and OpenCV only.

Both crops are ink maps in [0, 1] (ink bright), normalised by the paper and ink levels of the
context window, so a faint mark beside dark ones stays faint.
"""
from __future__ import annotations

import numpy as np

from .. import preprocess

MARK = 32                 # the mark: a square window 1.3× its longer side, as MARK×MARK
CONTEXT = (32, 128)       # its line: 3× its height tall, 12× its height wide, as 32×128
SCALARS = 4               # log height / page median, log width / height, digit confidence, log height / page size
VERSION = "judge-inputs-v1"


def inputs(gray: np.ndarray, boxes: np.ndarray, confidence: np.ndarray):
    """Judge inputs for marks at `boxes` (N, 4: x0, y0, x1, y1) on the grey page `gray` (uint8).

    Returns marks (N, 1, 32, 32), context (N, 1, 32, 128) float32 in [0, 1] and scalars (N, 4) float32.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    n = len(boxes)
    marks = np.zeros((n, 1, MARK, MARK), np.float32)
    context = np.zeros((n, 1) + CONTEXT, np.float32)
    w = np.maximum(1.0, boxes[:, 2] - boxes[:, 0])
    h = np.maximum(1.0, boxes[:, 3] - boxes[:, 1])
    pyramid = [gray]  # halved copies: a large mark's windows are cut from one where it is still ≥ 2× MARK
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        side, cx, cy = 1.3 * max(w[i], h[i]), (x0 + x1) / 2, (y0 + y1) / 2
        ctx = preprocess.pyramid_window(pyramid, cx, cy, 12 * h[i], 3 * h[i], CONTEXT, side).astype(np.float32)
        own = preprocess.pyramid_window(pyramid, cx, cy, side, side, (MARK, MARK), side).astype(np.float32)
        paper = np.percentile(ctx, 80)
        dark = min(float(own.min()), float(ctx.min()))
        span = max(25.0, paper - dark)
        context[i, 0] = np.clip((paper - ctx) / span, 0, 1)
        marks[i, 0] = np.clip((paper - own) / span, 0, 1)
    median = np.median(h) if n else 1.0
    page = np.sqrt(gray.shape[0] * gray.shape[1])
    scalars = np.stack([np.log(h / median), np.log(w / h), np.asarray(confidence, np.float64).reshape(-1),
                        np.log(h / page) + 3.0], axis=1).astype(np.float32) if n else np.zeros((0, SCALARS), np.float32)
    return marks, context, scalars
