"""Skew: angles found on ruled lines and on rows of digits, boxes mapped back, pages read straight."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import handnum
from handnum.deskew import box_back, skew_angle, straighten

from .conftest import paper
from .test_hard_pages import texts, write


def turned(img: np.ndarray, angle: float, border=0) -> np.ndarray:
    """`img` turned counter-clockwise by `angle` degrees about its centre, same size."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, m, (w, h), borderValue=border)


@pytest.mark.parametrize("angle", [0, 2, -7, 20, -40, 44])
def test_ruled_lines_give_the_skew(angle):
    mask = np.zeros((600, 900), np.uint8)
    for y in range(50, 600, 40):
        cv2.line(mask, (0, y), (899, y), 1, 2)
    assert skew_angle(turned(mask, angle)) == pytest.approx(-angle, abs=0.3)


def test_a_lone_digit_or_a_blank_page_is_not_turned():
    mask = np.zeros((300, 300), np.uint8)
    assert skew_angle(mask) == 0.0
    cv2.line(mask, (100, 100), (180, 100), 1, 6)  # a "7": its bar and a long diagonal
    cv2.line(mask, (180, 100), (110, 250), 1, 6)
    assert skew_angle(mask) == 0.0


def test_a_hard_shadow_across_a_level_page_does_not_tilt_it(mnist_test):
    """The edge of a shadow is one long straight line; the rows of digits do not follow it."""
    page = paper(700, 1000)
    for y in range(80, 640, 110):
        write(page, mnist_test, "4096", 60, y, 60)
        write(page, mnist_test, "275", 600, y, 60)
    yy, xx = np.mgrid[0:700, 0:1000]
    shade = np.where(yy - 0.75 * xx > -150, 0.6, 1.0)[..., None]  # everything below a 37° edge in shadow
    page = (page * shade).astype(np.uint8)
    band = (np.abs(yy - 0.75 * xx + 150) < 6).astype(np.uint8)  # the edge as the ink map sees it: a band
    assert skew_angle(band) != 0.0  # alone, the band is a tilted line ...
    mask = band.copy()
    for y in range(80, 640, 110):  # ... among level rows of marks, it tilts nothing
        for x in range(60, 900, 45):
            mask[y:y + 50, x:x + 28] |= 1
    assert skew_angle(mask) == 0.0
    assert handnum.read(page).skew == 0.0


def test_two_numbers_apart_are_not_a_slanted_row(mnist_test):
    """Two short numbers on different lines line up along a diagonal; that is no row."""
    page = paper(600, 900)
    write(page, mnist_test, "917", 200, 150, 70)
    write(page, mnist_test, "26", 420, 330, 70)
    assert texts(handnum.read(page)) == ["917", "26"]


@pytest.mark.parametrize("judge", [True, False])
@pytest.mark.parametrize("angle", [8, -25, 40])
def test_a_slanted_page_is_read_straight(mnist_test, angle, judge):
    """Read straight, with the judge (which looks at the page straightened, as at the level pages it
    learned from) and without it."""
    page = paper(700, 1100)
    write(page, mnist_test, "5302", 250, 250, 70)
    write(page, mnist_test, "47", 620, 250, 70)
    write(page, mnist_test, "861", 250, 400, 70)
    result = handnum.read(turned(page, angle, border=(235, 235, 235)), judge=judge)
    assert texts(result) == ["5302 47", "861"]
    assert result.skew == pytest.approx(-angle, abs=1.0)


@settings(max_examples=40, deadline=None)
@given(st.floats(-45, 45), st.integers(0, 150), st.integers(0, 150), st.integers(3, 60), st.integers(3, 60))
def test_boxes_map_back_around_the_same_ink(angle, x, y, w, h):
    img = np.zeros((240, 240), np.uint8)
    img[y:y + h, x:x + w] = 255
    out, back = straighten(img, angle)
    ys, xs = np.nonzero(out > 0)
    x0, y0, x1, y1 = box_back((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), back)
    assert x0 <= x + 1.5 and y0 <= y + 1.5 and x1 >= x + w - 1.5 and y1 >= y + h - 1.5
