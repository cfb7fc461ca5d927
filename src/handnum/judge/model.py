"""The learned judge at read time: `judge.onnx` + its card, checked on load, run with onnxruntime.

For each digit the reader found, it tells from the mark, its line and its size whether it is a
handwritten digit or printed text, a handwritten letter, a drawn mark, or none of these.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..model import checked_card, open_session, softmax
from . import features

KINDS = ("digit", "letter", "printed", "mark", "other")  # "other": specks, pieces of lines, texture
SHIPPED = Path(__file__).resolve().parent.parent / "models" / "judge.onnx"
REASONS = {"letter": "letter", "printed": "printed", "mark": "mark", "other": "not-a-digit"}


class Judge:
    """`judge(gray, boxes, confidence)` gives (N, len(KINDS)) probabilities."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else SHIPPED
        self.card = checked_card(self.path, "judge model")
        if self.card.get("inputs") != features.VERSION or tuple(self.card.get("classes", ())) != KINDS:
            raise ModelError(f"judge model {self.path} expects inputs {self.card.get('inputs')!r} and classes "
                             f"{self.card.get('classes')}; this handnum has {features.VERSION!r} and {list(KINDS)}")
        self.session = open_session(self.path, what="judge model")

    def __call__(self, gray: np.ndarray, boxes: np.ndarray, confidence: np.ndarray) -> np.ndarray:
        marks, context, scalars = features.inputs(gray, boxes, confidence)
        if not len(marks):
            return np.zeros((0, len(KINDS)), np.float32)
        out = []
        for i in range(0, len(marks), 256):
            feed = {"mark": marks[i:i + 256], "context": context[i:i + 256], "scalars": scalars[i:i + 256]}
            try:
                out.append(self.session.run(None, feed)[0])
            except Exception as e:
                raise ModelError(f"judge model {self.path} failed: {e}") from e
        return softmax(np.concatenate(out).astype(np.float64)).astype(np.float32)


@functools.lru_cache(maxsize=4)
def load_judge(path: str | None = None) -> Judge:
    """The judge at `path` (default: the shipped one), loaded once per process."""
    return Judge(path)


def verdicts(gray: np.ndarray, boxes: np.ndarray, confidence: np.ndarray, judge: Judge | None = None):
    """Per mark, None where the judge takes it for a handwritten digit, else the reason to set it aside
    (`REASONS`), with the judge's probability of that verdict."""
    probs = (judge or load_judge())(gray, boxes, confidence)
    kind = probs.argmax(1)
    return [None if k == 0 else REASONS[KINDS[k]] for k in kind], probs[np.arange(len(kind)), kind]
