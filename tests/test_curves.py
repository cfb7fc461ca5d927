"""Ruled lines that bend (a curled notebook page): found along their course, pen strokes kept."""
from __future__ import annotations

import cv2
import numpy as np

from handnum.curves import curved_rules


def _line(mask: np.ndarray, y0: int, sag: float, x0: int = 0, x1: int | None = None, step: int = 1) -> None:
    """Draw a 2 px line from x0 to x1 that bends down by `sag` px towards its right end."""
    x1 = mask.shape[1] if x1 is None else x1
    xs = np.arange(x0, x1, step)
    ys = y0 + sag * ((xs - x0) / (x1 - x0)) ** 2
    for a, b, ya, yb in zip(xs, xs[1:], ys, ys[1:]):
        if step == 1 or (a // step) % 2 == 0:
            cv2.line(mask, (int(a), int(ya)), (int(b), int(yb)), 1, 2)


def test_a_bent_rule_is_found_and_a_crossing_stroke_kept():
    mask = np.zeros((200, 1000), np.uint8)
    _line(mask, 60, 40)
    mask[40:130, 700:706] = 1                       # a pen stroke crossing the rule
    found = curved_rules(mask, np.zeros_like(mask))
    line = mask.copy()
    line[:, 700:706] = 0
    assert found[line > 0].mean() > 0.95            # the rule, nearly all of it
    assert not found[40:50, 700:706].any() and not found[110:130, 700:706].any()  # the stroke stays
    assert found[:, 700:706].sum() <= 6 * 4         # at most the rule's own thickness where it crosses


def test_straight_rules_found_already_and_digit_tops_are_left_alone():
    mask = np.zeros((200, 1000), np.uint8)
    mask[50:52, :] = 1                              # a straight rule, found by find_rules
    rules = mask.copy()
    for x in range(100, 900, 30):                   # the tops of a row of digits, 20 px each, bending
        y = int(120 + 30 * ((x - 100) / 800) ** 2)
        mask[y:y + 2, x:x + 20] = 1
    assert not curved_rules(mask, rules).any()


def test_a_sloping_straight_rule_the_straight_search_missed_is_found():
    mask = np.zeros((300, 1000), np.uint8)
    cv2.line(mask, (0, 50), (999, 130), 1, 2)       # slope 0.08: straight runs of a dozen px
    found = curved_rules(mask, np.zeros_like(mask))
    assert found[mask > 0].mean() > 0.95


def test_a_loop_drawn_round_a_number_is_no_rule():
    mask = np.zeros((300, 1000), np.uint8)
    cv2.ellipse(mask, (500, 150), (110, 28), 0, 0, 360, 1, 2)   # a tight ellipse round a number
    assert not curved_rules(mask, np.zeros_like(mask)).any()
