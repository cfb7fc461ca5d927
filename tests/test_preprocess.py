"""Light and binarisation: uneven light, both polarities, blank pages."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from handnum import preprocess


def strokes_page(h=300, w=600):
    page = np.full((h, w), 220, np.uint8)
    for i, x in enumerate(range(40, w - 60, 110)):
        cv2.line(page, (x, 80), (x + 30, 220), 60, 5)
    return page


def test_shadow_does_not_change_what_is_ink():
    page = strokes_page().astype(np.float32)
    shadow = np.linspace(1.0, 0.35, page.shape[1])[None, :]  # dark on the right
    shaded = (page * shadow).astype(np.uint8)
    mask_flat, _ = preprocess.binarize(preprocess.ink_map(strokes_page()))
    mask_shaded, _ = preprocess.binarize(preprocess.ink_map(shaded))
    n_flat = cv2.connectedComponents(mask_flat)[0]
    n_shaded = cv2.connectedComponents(mask_shaded)[0]
    assert n_flat == n_shaded == 6  # 5 strokes + background
    assert abs(int(mask_flat.sum()) - int(mask_shaded.sum())) < 0.15 * mask_flat.sum()


def test_light_ink_on_dark_is_detected():
    page = strokes_page()
    assert not preprocess.is_dark_background(page)
    assert preprocess.is_dark_background(255 - page)
    a = preprocess.binarize(preprocess.ink_map(page))[0]
    b = preprocess.binarize(preprocess.ink_map(255 - page))[0]
    assert abs(int(a.sum()) - int(b.sum())) < 0.1 * a.sum()


def test_faint_pen_on_grey_paper_with_a_bright_patch_is_dark_ink():
    """Grey paper (median under 160) lit brightly in one corner: the patch is a long bright tail,
    longer than the faint pen's dark one, yet it is light, not ink."""
    yy, xx = np.mgrid[:300, :600]
    paper = 130 + 110 * np.exp(-((xx - 80) ** 2 + (yy - 60) ** 2) / (2 * 90.0 ** 2))
    page = paper.astype(np.uint8)
    for y in (60, 160, 250):
        for x in range(200, 560, 40):
            cv2.line(page, (x, y - 35), (x + 15, y + 35), 95, 3)
    assert not preprocess.is_dark_background(page)
    assert preprocess.is_dark_background(255 - page)


def test_blank_page_has_no_ink():
    rng = np.random.default_rng(0)
    page = np.clip(rng.normal(200, 4, (200, 300)), 0, 255).astype(np.uint8)
    mask, _ = preprocess.binarize(preprocess.ink_map(page))
    assert mask.sum() < 20


def test_bad_polarity_is_rejected():
    with pytest.raises(ValueError, match="polarity"):
        preprocess.ink_map(np.zeros((10, 10), np.uint8), polarity="blue")


def test_a_wall_hanging_from_one_rule_is_a_wall_when_thin_and_box_high():
    mask, rules = np.zeros((200, 600), np.uint8), np.zeros((200, 600), np.uint8)
    rules[40:42, :480] = 1            # the top edge of a row of boxes...
    rules[100:102, :300] = 1          # ... whose bottom edge is found only up to x=300 (too faint beyond)
    mask |= rules
    for x in range(0, 301, 60):
        mask[40:102, x:x + 2] = 1     # walls from rule to rule
    mask[40:102, 360:362] = 1         # a wall hanging from the top rule, as high as the others
    mask[40:102, 400:407] = 1         # a pen stroke as long: wider than the printed lines
    mask[40:70, 440:442] = 1          # a thin stroke half as long: no wall
    found = preprocess.walls(mask, rules, 20)
    assert all(found[70, x] for x in range(0, 301, 60))
    assert found[70, 360]
    assert not found[70, 400:407].any() and not found[60, 440]
    alone = rules.copy()
    alone[40:102, 360:362] = 1        # no wall between two rules on the page: nothing to measure it by
    assert not preprocess.walls(alone, rules, 20).any()



@pytest.mark.parametrize("shape", [(1, 1), (2, 1), (4, 1), (1, 4), (3, 2)])
def test_ink_map_of_a_tiny_image_keeps_its_shape(shape):
    # OpenCV 5's Python binding takes an array of up to 4x1 for a scalar: cv2.max(bg, 32.0) grew it
    for value in (0, 255):
        ink = preprocess.ink_map(np.full(shape, value, np.uint8))
        assert ink.shape == shape and np.isfinite(ink).all()
