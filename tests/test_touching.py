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


def test_a_lone_mark_under_split_low_is_not_split():
    # an "m" of a printed hint, alone (no letters beside it), 0.35 of the page's 80 px digits
    boxes = np.array([[10, 10, 50, 38], [100, 100, 230, 180]])
    whole = probs(10, 10)
    tried, _, _ = _to_try(boxes, whole, 80.0, np.full(len(boxes), np.nan))
    assert tried == [1]
    tried, _, _ = _to_try(np.array([[10, 10, 80, 44], [100, 100, 230, 180]]), whole, 80.0,
                          np.full(2, np.nan))
    assert tried == [0, 1]  # at 0.43 of it: maybe a line of small touching digits


def test_a_mark_well_lower_than_the_digits_beside_it_is_not_split():
    """A "#" at 0.7 of the height of the digits of its line (its halves read as "77") is left
    whole; two touching digits as tall as their line are tried."""
    boxes = np.array([[0, 5, 25, 30],       # "#", 25 px beside 35 px digits
                      [100, 0, 145, 34]])   # two touching digits, 34 px
    whole = probs(10, 10)
    tried, _, _ = _to_try(boxes, whole, 35.0, np.array([35.0, 35.0]))
    assert tried == [1]


def test_only_rows_of_digits_at_the_page_height_get_a_second_look():
    from handnum.touching import _crowded

    boxes = np.array([[0, 0, 130, 80],     # three digits run together, 80 px: a row
                      [0, 0, 70, 80],      # one wide digit, a capital M: not
                      [0, 0, 100, 40]])    # a printed word at half the page's digit height: not
    assert _crowded(boxes, 80.0).tolist() == [True, False, False]
    assert _crowded(boxes, None).tolist() == [True, False, True]  # no digit height known


class Fixed:
    """A stand-in model: every piece gets the same probabilities."""

    def __init__(self, cls: int, p: float):
        self.row = np.full(11, (1 - p) / 10, np.float32)
        self.row[cls] = p

    def __call__(self, batch):
        return np.tile(self.row, (len(batch), 1))


def test_the_piece_model_split_replaces_a_worse_or_junk_one():
    from handnum.touching import Candidate, _best, _classify, _look_again, pieces

    mask = np.zeros((40, 80), bool)
    mask[5:35, 5:30] = mask[5:35, 45:75] = True  # two blobs: one cut between them
    cuts = [np.zeros(40), np.full(40, 80.0), np.full(40, 38.0)]

    def candidate(model):
        c = Candidate(mask.astype(np.float32), mask, 1.0, cuts)
        _classify({0: c}, {0: pieces(c)}, model, {}, {})
        return c

    whole = np.zeros((1, 11), np.float32)
    whole[0, 10] = 1.0  # the mark itself: "not a digit"
    for first, second, replaced in ((Fixed(10, 0.9), Fixed(4, 0.95), True),   # first split all junk
                                    (Fixed(7, 0.6), Fixed(4, 0.95), True),    # second one surer
                                    (Fixed(7, 0.8), Fixed(4, 0.6), False)):   # first one surer: kept
        c = candidate(first)
        cands, paths = {0: c}, {0: _best(c, whole[0])}
        _look_again({0: candidate(second)}, cands, paths, whole)
        assert len(paths[0]) == 2
        assert (cands[0] is not c) == replaced


def test_a_mark_far_taller_than_the_page_digits_is_not_split():
    # a spiral drawn in a fingerprint box, 4 times the page's 80 px digits and wide: its turns
    # would pass for 1s and 9s; a row of touching digits at the page's height is split
    boxes = np.array([[10, 10, 260, 330], [300, 100, 430, 180]])
    tried, _, _ = _to_try(boxes, probs(10, 10), 80.0, np.full(2, np.nan))
    assert tried == [1]
    tried, _, _ = _to_try(boxes, probs(10, 10), None, np.full(2, np.nan))
    assert tried == [0, 1]  # no page scale: nothing to compare with
