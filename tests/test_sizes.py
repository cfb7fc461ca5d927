"""The page's digit height and marks out of scale with it (`handnum.sizes`), on boxes and class probabilities."""
from __future__ import annotations

import numpy as np

from handnum.sizes import beside_letters, digit_scale, line_scale, out_of_scale


def test_marks_out_of_scale_with_the_page_digits():
    boxes = np.array([[0, 0, 30, 50], [40, 0, 70, 50], [80, 0, 110, 52],   # digits, 50 px
                      [120, 20, 126, 28],                                    # a speck
                      [140, 20, 180, 45],                                    # two small digits, flat
                      [200, 0, 210, 200]])                                   # a thin line, 4× as tall
    probs = np.zeros((6, 11), np.float32)
    probs[:, 7] = 0.99
    assert digit_scale(boxes, probs) == 50
    assert out_of_scale(boxes, probs, 50.0) == [None, None, None, "speck", None, "line"]
    assert out_of_scale(boxes, probs, None) == [None] * 6


def test_short_ones_do_not_set_the_scale_and_alone_are_specks():
    # three handwritten digits (60 px), five printed "l"s read as sure 1s (20 px), a bit of a box
    # wall read as "1" (20 px) alone, and a small "1" in a line of small digits (20 px)
    boxes = np.array([[0, 0, 30, 60], [40, 0, 70, 60], [80, 0, 110, 60]]
                     + [[200 + 10 * k, 100, 203 + 10 * k, 120] for k in range(5)]
                     + [[400, 300, 403, 320]]
                     + [[0, 500, 10, 520], [15, 500, 27, 520], [30, 500, 42, 520]])
    probs = np.zeros((len(boxes), 11), np.float32)
    probs[:, 1] = 0.99
    probs[[0, 1, 2, 10, 11], 1], probs[[0, 1, 2, 10, 11], 4] = 0, 0.99
    assert digit_scale(boxes, probs) == 60  # not 20: any short upright stroke is a sure "1"
    out = out_of_scale(boxes, probs, 60.0)
    assert out[:3] == [None] * 3 and out[3:9] == ["speck"] * 6  # printed l's and the wall bit
    assert out[9:] == [None] * 3                                  # the small line's "1" stays


def test_a_mark_small_for_its_line_is_not_a_digit():
    boxes = np.array([[0, 0, 30, 60], [40, 0, 70, 60],      # two digits, 60 px
                      [80, 35, 95, 58],                      # a letter of "km" beside them, 23 px
                      [0, 200, 12, 225], [20, 200, 32, 225]])  # a line of small digits below
    probs = np.zeros((5, 11), np.float32)
    probs[:, 7] = 0.99
    beside = line_scale(boxes, probs)
    assert beside[2] == 60 and beside[3] == 25 and beside[4] == 25
    assert out_of_scale(boxes, probs, 60.0, beside) == [None, None, "small", None, None]


def test_printed_labels_read_as_sure_digits_do_not_set_the_scale():
    # three handwritten digits (60 px) in boxes, apart; two printed labels (20 px, letters nearly
    # touching) whose o, a, e read as sure 0s, 6s and 2s: more of them than digits, but each label
    # has two letters narrower than tall the model is sure of
    digits = [[0, 0, 40, 60], [100, 0, 140, 60], [200, 0, 240, 60]]
    label = lambda y: [[12 * k, y, 12 * k + 10, y + 20] for k in range(6)]  # noqa: E731
    boxes = np.array(digits + label(200) + label(300))
    probs = np.zeros((len(boxes), 11))
    probs[:, 6] = 0.99
    probs[[3, 5, 9, 11], 6], probs[[3, 5, 9, 11], 10] = 0, 0.99  # two sure letters per label
    assert beside_letters(boxes, probs).tolist() == [False] * 3 + [True] * 12
    assert digit_scale(boxes, probs) == 60  # not 20
    # two digits run together read as "not a digit" (wider than tall) make no word of their number
    pairs = np.array([[0, 0, 40, 30], [42, 0, 62, 30], [64, 0, 104, 30], [106, 0, 126, 30]])
    p = np.zeros((4, 11))
    p[[1, 3], 3], p[[0, 2], 10] = 0.99, 0.99
    assert not beside_letters(pairs, p).any()
