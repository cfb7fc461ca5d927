"""Score models and readings: MNIST test accuracy, and sheet reading against a truth file.

Sheet scores: digit error rate = edit distance between the page's digits in reading order
and the true digits, over the number of true digits; number precision/recall/F1 over the
multiset of number strings per page; pages read exactly (same lines, same numbers).
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import mnist
from .errors import DataError
from .model import NOT_A_DIGIT, Model


def mnist_accuracy(model: Model, data: str | None = None, download: bool = False) -> dict:
    """Accuracy of `model` on the MNIST test set over the ten digit classes, per class, and how
    many test digits it would call "not a digit"."""
    test = mnist.load(data, download=download)
    images, labels = test.test_images.astype(np.float32) / 255, test.test_labels.astype(np.int64)
    probs = np.concatenate([model(images[i:i + 1000]) for i in range(0, len(images), 1000)])
    pred = probs[:, :NOT_A_DIGIT].argmax(1)
    per_class = [round(float((pred[labels == c] == c).mean()), 4) for c in range(10)]
    return {"accuracy": round(float((pred == labels).mean()), 4), "per_class": per_class, "n": int(len(labels)),
            "rejected_as_not_a_digit": int((probs.argmax(1) == NOT_A_DIGIT).sum())}


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@dataclass
class PageScore:
    name: str
    true_lines: list[str]
    read_lines: list[str]
    digits: int = 0
    edits: int = 0
    numbers_true: int = 0
    numbers_read: int = 0
    numbers_matched: int = 0
    error: str | None = None

    @property
    def exact(self) -> bool:
        return self.error is None and _norm(self.read_lines) == _norm(self.true_lines)


@dataclass
class Score:
    pages: list[PageScore] = field(default_factory=list)

    def summary(self) -> dict:
        digits = sum(p.digits for p in self.pages)
        edits = sum(p.edits for p in self.pages)
        t = sum(p.numbers_true for p in self.pages)
        r = sum(p.numbers_read for p in self.pages)
        m = sum(p.numbers_matched for p in self.pages)
        precision, recall = m / r if r else 0.0, m / t if t else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"pages": len(self.pages), "digits": digits, "digit_error_rate": round(edits / max(digits, 1), 4),
                "number_precision": round(precision, 4), "number_recall": round(recall, 4),
                "number_f1": round(f1, 4), "pages_exact": sum(p.exact for p in self.pages),
                "errors": sum(p.error is not None for p in self.pages)}


def _norm(lines: list[str]) -> list[str]:
    return [" ".join(line.split()) for line in lines if line.strip()]


def score_page(name: str, true_lines: list[str], read_lines: list[str], error: str | None = None) -> PageScore:
    """Compare one page's reading with its truth."""
    t, r = _norm(true_lines), _norm(read_lines)
    true_digits, read_digits = "".join(t).replace(" ", ""), "".join(r).replace(" ", "")
    tn, rn = Counter(" ".join(t).split()), Counter(" ".join(r).split())
    return PageScore(name, t, r, len(true_digits), edit_distance(read_digits, true_digits),
                     sum(tn.values()), sum(rn.values()), sum((tn & rn).values()), error)


def load_truth(path: str | Path) -> dict[str, list[str]]:
    """Truth file: {"file.png": {"lines": ["12 345", ...], ...}, ...} → {file: lines}."""
    try:
        raw = json.loads(Path(path).read_text())
        return {name: list(entry["lines"]) for name, entry in raw.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise DataError(f"{path}: not a truth file ({e})") from e
