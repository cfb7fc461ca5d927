"""`handnum.read` end to end: synthetic pages built here, the example sheet, the seed photo, and fuzzing."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handnum
from handnum.errors import ImageError
from handnum.evaluate import load_truth, score_page

from .conftest import EXAMPLES, paper, paste_digit


def pick(mnist_test, label: int, k: int = 3) -> np.ndarray:
    return mnist_test.test_images[np.nonzero(mnist_test.test_labels == label)[0][k]]


def test_synthetic_page_lines_numbers_and_boxes(mnist_test):
    """Two lines, three numbers, digits of two sizes: every digit found, boxes tight, grouping right."""
    page = paper(400, 900)
    boxes, x = [], 40
    for label in (3, 1, 4):                       # "314" at 60 px
        boxes.append(paste_digit(page, pick(mnist_test, label), x, 60, 60))
        x = boxes[-1][2] + 8
    x += 90
    for label in (2, 7):                          # "27", a wide gap away
        boxes.append(paste_digit(page, pick(mnist_test, label), x, 62, 60))
        x = boxes[-1][2] + 8
    x = 60
    for label in (0, 5, 8, 6):                    # "0586" at 120 px, second line
        boxes.append(paste_digit(page, pick(mnist_test, label), x, 220, 120))
        x = boxes[-1][2] + 15
    result = handnum.read(page)
    assert [ln.text for ln in result.lines] == ["314 27", "0586"]
    for d, truth in zip(result.digits, boxes):
        assert all(abs(a - b) <= 3 for a, b in zip(d.box, truth)), (d.box, truth)
    assert result.rejected == [] and (result.width, result.height) == (900, 400)


def test_digits_of_any_size(mnist_test):
    for height in (14, 40, 300, 760):
        page = paper(800, 800)
        paste_digit(page, pick(mnist_test, 7), 20, 20, height)
        assert [d.digit for d in handnum.read(page).digits] == [7], height


def test_blank_page_is_empty_not_an_error():
    result = handnum.read(paper(300, 400))
    assert result.lines == [] and result.to_dict()["lines"] == []


def test_example_sheet_reads_nearly_everything():
    truth = load_truth(EXAMPLES / "truth.json")["sheet.jpg"]
    page = handnum.read(EXAMPLES / "sheet.jpg")
    score = score_page("sheet.jpg", truth, [ln.text for ln in page.lines])
    assert score.edits <= 0.05 * score.digits
    assert 0 < page.elapsed_ms < 5000
    json.dumps(page.to_dict())


def test_seed_photo_reads_exactly(sheets_dir):
    page = handnum.read(sheets_dir / "seed_test_2.png")
    assert [ln.text for ln in page.lines] == ["0 1 2 3 4 5 6 7 8 9", "0 1 3 7 4 8 6 9 5 2"]
    assert len(page.digits) == 20


def test_annotate_draws_green_boxes(mnist_test):
    page = paper(200, 300)
    paste_digit(page, pick(mnist_test, 4), 100, 50, 80)
    result = handnum.read(page)
    drawn = result.annotate()
    assert drawn.shape == page.shape and not np.array_equal(drawn, page)
    green = (drawn[:, :, 1] > 150) & (drawn[:, :, 0] < 80) & (drawn[:, :, 2] < 80)
    x0, y0, x1, y1 = result.digits[0].box
    assert green[y0:y1, x0].mean() > 0.9  # the box's left edge


def test_unknown_option_is_a_clear_error():
    with pytest.raises(TypeError, match="unknown option"):
        handnum.read(paper(10, 10), colour="blue")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 120), st.integers(1, 120), st.sampled_from([1, 3, 4]), st.integers(0, 2 ** 32 - 1))
def test_random_arrays_never_crash(h, w, channels, seed):
    rng = np.random.default_rng(seed)
    shape = (h, w) if channels == 1 else (h, w, channels)
    page = handnum.read(rng.integers(0, 256, shape, dtype=np.uint8))
    assert page.width == w and page.height == h


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(data):
    try:
        handnum.read(data)
    except ImageError:
        pass


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 400))
def test_damaged_png_never_crashes(seed, cut):
    img = np.random.default_rng(seed).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    data = bytearray(cv2.imencode(".png", img)[1].tobytes())
    data[min(cut, len(data) - 1)] ^= 0x5A
    try:
        handnum.read(bytes(data[: len(data) - cut]))
    except ImageError:
        pass
