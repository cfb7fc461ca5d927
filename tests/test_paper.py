"""Finding the sheet on a background, and mapping boxes of a turned page back."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from handnum.orient import box_to_original
from handnum.paper import find_paper, paper_mask


def test_sheet_on_a_dark_desk_is_found():
    img = np.full((600, 800, 3), 40, np.uint8)
    img[::7] = 70  # a little texture
    quad = np.array([[200, 100], [650, 130], [620, 520], [180, 500]], np.int32)
    cv2.fillPoly(img, [quad], (235, 235, 235))
    poly = find_paper(img)
    assert poly is not None
    x0, y0 = poly.min(0)
    x1, y1 = poly.max(0)
    assert abs(x0 - 180) < 12 and abs(y0 - 100) < 12 and abs(x1 - 650) < 12 and abs(y1 - 520) < 12
    mask = paper_mask(img.shape, poly)
    assert mask[300, 400] == 1 and mask[50, 50] == 0 and mask[300, 185] == 0  # the edge is left out


def test_a_page_filled_with_paper_is_read_whole():
    img = np.full((500, 700, 3), 230, np.uint8)
    cv2.putText(img, "1234", (100, 300), cv2.FONT_HERSHEY_SIMPLEX, 4, (20, 20, 20), 8)
    assert find_paper(img) is None
    shaded = (img * np.linspace(0.5, 1.0, 700)[None, :, None]).astype(np.uint8)  # uneven light
    assert find_paper(shaded) is None


@pytest.mark.parametrize("light", [0.55, 0.8])
def test_a_page_half_in_shadow_is_read_whole(light):
    """A hard shadow across all but a corner of the page: the shaded part is the same paper, only darker."""
    img = np.full((500, 700, 3), (215, 232, 238), np.uint8)  # a warm white
    cv2.putText(img, "1234", (100, 300), cv2.FONT_HERSHEY_SIMPLEX, 4, (20, 20, 20), 8)
    yy, xx = np.mgrid[:500, :700]
    img = (img * np.where(xx + yy > 450, light, 1.0)[..., None]).astype(np.uint8)
    assert find_paper(img) is None


def test_a_sheet_on_a_wooden_desk_of_its_brightness_is_found():
    img = np.full((600, 800, 3), (60, 120, 170), np.uint8)  # light wood: brown, not grey
    quad = np.array([[200, 100], [650, 130], [620, 520], [180, 500]], np.int32)
    cv2.fillPoly(img, [quad], (235, 235, 235))
    assert find_paper(img) is not None


def test_a_bright_cloth_is_not_a_sheet():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (400, 600, 3), dtype=np.uint8)
    assert find_paper(img) is None


@given(st.integers(2, 50), st.integers(2, 50), st.data())
def test_turned_boxes_map_back(w, h, data):
    x0 = data.draw(st.integers(0, w - 1))
    x1 = data.draw(st.integers(x0 + 1, w))
    y0 = data.draw(st.integers(0, h - 1))
    y1 = data.draw(st.integers(y0 + 1, h))
    img = np.zeros((h, w), np.uint8)
    img[y0:y1, x0:x1] = 1
    for turn in (0, 90, 180, 270):
        turned = np.rot90(img, k=turn // 90)
        ys, xs = np.nonzero(turned)
        box = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        assert box_to_original(box, turn, w, h) == (x0, y0, x1, y1)
