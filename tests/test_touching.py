"""Which marks the touching splitter tries (`touching._to_try`), on boxes and class probabilities."""
from __future__ import annotations

import numpy as np

from handnum.touching import _to_try


def probs(*classes: int) -> np.ndarray:
    out = np.zeros((len(classes), 11), np.float32)
    out[np.arange(len(classes)), classes] = 1.0
    return out


def test_a_word_in_small_print_is_not_split_but_a_row_of_digits_is():
    # a printed label: four letter-sized "not a digit" marks, one wide (letters run together) ...
    label = [[10, 10, 34, 50], [36, 10, 60, 50], [62, 10, 130, 50], [132, 10, 156, 50]]
    # ... and the same at the height of the page's handwritten digits (80 px): maybe touching digits
    row = [[10, 100, 50, 180], [55, 100, 95, 180], [100, 100, 230, 180], [235, 100, 275, 180]]
    boxes = np.array(label + row)
    whole = probs(10, 10, 10, 10, 10, 10, 10, 10)
    tried, narrow, _ = _to_try(boxes, whole, 80.0, np.full(len(boxes), np.nan))
    assert 2 not in tried and 6 in tried and not narrow
