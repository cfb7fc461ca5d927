"""Hard pages, built in the test: words and symbols beside numbers, ruled and squared paper (also curled),
touching digits, circles and underlines, a sheet on a patterned cloth, turned pages, a form
with boxes, faint mirrored print from the back of the sheet."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

import handnum

from .conftest import paper, paste_digit


def digit(mnist_test, label: int, k: int = 3) -> np.ndarray:
    return mnist_test.test_images[np.nonzero(mnist_test.test_labels == label)[0][k]]


def write(page, mnist_test, text: str, x: int, y: int, height: int, gap: float = 0.15, k: int = 3) -> list:
    """Paste a number; returns the digit boxes. A negative `gap` makes neighbours overlap."""
    boxes = []
    for ch in text:
        boxes.append(paste_digit(page, digit(mnist_test, int(ch), k), x, y, height))
        x = boxes[-1][2] + int(gap * (boxes[-1][2] - boxes[-1][0]))
    return boxes


def texts(page) -> list[str]:
    return [ln.text for ln in page.lines]


def test_word_and_symbols_beside_a_number_are_not_digits(mnist_test):
    page = paper(220, 900)
    write(page, mnist_test, "314", 330, 60, 70)
    cv2.putText(page, "Total", (40, 125), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 2.2, (30, 30, 30), 4, cv2.LINE_AA)
    cv2.putText(page, "+ =", (640, 120), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (30, 30, 30), 5, cv2.LINE_AA)
    result = handnum.read(page)
    assert texts(result) == ["314"]
    assert any(r.box[2] < 320 for r in result.rejected), "the word should be listed as rejected"


def test_underline_and_circle_are_not_digits(mnist_test):
    page = paper(300, 800)
    boxes = write(page, mnist_test, "72", 100, 80, 80)
    cv2.line(page, (90, 170), (boxes[-1][2] + 10, 172), (30, 30, 30), 5)          # underline
    boxes = write(page, mnist_test, "58", 500, 80, 80)
    cv2.ellipse(page, (580, 120), (120, 85), 0, 0, 360, (30, 30, 30), 4)           # circled number
    result = handnum.read(page)
    assert texts(result) == ["72 58"]
    assert {r.reason for r in result.rejected} >= {"enclosure"}


def test_grid_crossing_digits_is_removed(mnist_test):
    page = paper(1100, 900)                       # squared paper: 5 mm squares, digits two squares tall
    write(page, mnist_test, "4096", 80, 100, 70)
    write(page, mnist_test, "271", 500, 230, 70)
    for x in range(0, 900, 36):
        cv2.line(page, (x, 0), (x, 1099), (200, 160, 120), 2)
    for y in range(0, 1100, 36):
        cv2.line(page, (0, y), (899, y), (200, 160, 120), 2)
    assert texts(handnum.read(page)) == ["4096", "271"]


def test_numbers_one_digit_per_square_stay_apart(mnist_test):
    page = paper(400, 900)                        # squared paper, one digit per square, as in a school book
    sq = 44
    for i, ch in enumerate("385"):
        paste_digit(page, digit(mnist_test, int(ch)), 2 * sq + i * sq + 6, 3 * sq + 5, 34)
    for i, ch in enumerate("61"):                 # one empty square after the first number
        paste_digit(page, digit(mnist_test, int(ch)), 6 * sq + i * sq + 6, 3 * sq + 5, 34)
    for x in range(0, 900, sq):
        cv2.line(page, (x, 0), (x, 399), (200, 160, 120), 2)
    for y in range(0, 400, sq):
        cv2.line(page, (0, y), (899, y), (200, 160, 120), 2)
    assert texts(handnum.read(page)) == ["385 61"]


def test_digits_of_two_lines_meeting_on_a_rule_stay_apart(mnist_test):
    page = paper(400, 900)
    for y in range(70, 400, 66):
        cv2.line(page, (0, y), (899, y), (190, 150, 120), 2)
    write(page, mnist_test, "385", 100, 136 - 60, 60, k=5)   # sits on the rule at y = 136
    write(page, mnist_test, "61", 104, 138, 60, k=5)          # the next line hangs from the same rule
    write(page, mnist_test, "72", 500, 138, 60, k=5)
    assert texts(handnum.read(page)) == ["385", "61 72"]


def test_ruled_lines_under_digits(mnist_test):
    page = paper(400, 900)
    for y in range(60, 400, 70):
        cv2.line(page, (0, y), (899, y + 4), (190, 150, 120), 2)
    write(page, mnist_test, "385", 100, 70, 60)     # sits on the rule at y≈130
    write(page, mnist_test, "61", 500, 70, 60)
    assert texts(handnum.read(page)) == ["385 61"]


def test_ruled_lines_of_a_curled_page(mnist_test):
    """A notebook page photographed curled: its rules bend down to the right, where their straight
    runs are too short to be found as rules; numbers sitting on them stay numbers."""
    page = paper(460, 1300)
    sag = lambda x: 60 * ((np.maximum(x, 300) - 300) / 1000.0) ** 2  # noqa: E731
    xs = np.arange(1300)
    for y0 in range(90, 460, 90):
        cv2.polylines(page, [np.stack([xs, y0 + sag(xs)], 1).astype(np.int32)], False, (190, 150, 120), 2)
    for text, x, row in (("625", 120, 1), ("3000", 640, 1), ("48", 560, 2), ("1000", 720, 3)):
        write(page, mnist_test, text, x, int(90 + 90 * row + sag(x + 80)) - 54, 54)
    assert texts(handnum.read(page)) == ["625 3000", "48", "1000"]


def test_a_one_touching_a_digit_is_split(mnist_test):
    # "1" and the next digit touching: together narrower than two digits, and "not a digit"
    for pair, k in (("16", 15), ("13", 7)):
        page = paper(120, 400)
        write(page, mnist_test, "35", 40, 40, 30)
        one = paste_digit(page, digit(mnist_test, int(pair[0]), k), 140, 40, 30)
        paste_digit(page, digit(mnist_test, int(pair[1]), k), one[2] - 1, 40, 30)
        write(page, mnist_test, "27", 260, 40, 30)
        assert texts(handnum.read(page)) == [f"35 {pair} 27"]


@pytest.mark.parametrize("judge, least", [(False, 16), (True, 12)])
def test_two_touching_zeros_are_split(mnist_test, judge, least):
    """Pairs of touching zeros (7 writers' zeros, overlapping by 5 to 20 % of their width) are read
    "00", two digits; a few hard pairs fail (in one, a 0's stub reads as a 2), so the test asks for
    most of them: without the judge 17 of 21 today. With it, 14: alone on a page, with nothing beside
    them, the judge takes some pairs for the "oo" of a word (a known gap, kept in sight here)."""
    read = []
    for k in range(3, 10):
        for gap in (-0.05, -0.12, -0.2):
            page = paper(250, 500)
            write(page, mnist_test, "00", 150, 60, 100, gap=gap, k=k)
            result = handnum.read(page, judge=judge)
            read.append(texts(result) == ["00"] and len(result.digits) == 2)
    assert sum(read) >= least, f"{sum(read)} of {len(read)} pairs read 00"


@pytest.mark.parametrize("k", range(3, 8))
def test_overlapping_digits_of_a_number_are_split(mnist_test, k):
    """The splitter (judge off: what it cuts, not what the judge then makes of it)."""
    page = paper(250, 700)                       # "1000" with each digit reaching 10 % under the next
    write(page, mnist_test, "1000", 100, 60, 90, gap=-0.1, k=k)
    assert texts(handnum.read(page, judge=False)) == ["1000"]


def test_overlapping_digits_with_the_judge(mnist_test):
    """With the judge, 2 of these 5 lone "1000"s are read whole today (it takes the others' touching
    zeros for the "looo" of a word); a floor, so that the gap does not widen unseen."""
    read = []
    for k in range(3, 8):
        page = paper(250, 700)
        write(page, mnist_test, "1000", 100, 60, 90, gap=-0.1, k=k)
        read.append(texts(handnum.read(page)) == ["1000"])
    assert sum(read) >= 2, read


def test_sheet_on_a_patterned_cloth(mnist_test):
    rng = np.random.default_rng(1)
    page = np.zeros((700, 900, 3), np.uint8)
    page[:] = (40, 40, 170)                                   # red cloth
    for _ in range(150):                                      # with a dark and light pattern
        c = (int(rng.integers(0, 900)), int(rng.integers(0, 700)))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        cv2.circle(page, c, int(rng.integers(5, 30)), colour, int(rng.integers(2, 6)))
    sheet = np.array([[230, 140], [690, 160], [670, 560], [210, 540]], np.int32)
    cv2.fillPoly(page, [sheet], (235, 235, 230))
    write(page, mnist_test, "917", 300, 250, 70)
    write(page, mnist_test, "26", 480, 380, 70)
    result = handnum.read(page)
    assert texts(result) == ["917", "26"]
    assert all(250 <= d.box[1] for d in result.digits)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_turned_pages_are_read_upright(mnist_test, k):
    page = paper(400, 900)
    truth = [write(page, mnist_test, "5302", 80, 80, 80), write(page, mnist_test, "47", 500, 220, 80)]
    turned = np.ascontiguousarray(np.rot90(page, k=k))
    result = handnum.read(turned)
    assert texts(result) == ["5302", "47"]
    assert result.rotation == (360 - 90 * k) % 360
    assert (result.width, result.height) == (turned.shape[1], turned.shape[0])
    # boxes are in the turned image's pixels: the first digit's box holds ink there
    x0, y0, x1, y1 = result.digits[0].box
    assert turned[y0:y1, x0:x1].min() < 100


def test_form_boxes_digits_beside_letters(mnist_test):
    page = paper(300, 1100)
    cell = 70
    for field, x0 in (("digits", 60), ("letters", 600)):
        for i in range(6):
            cv2.rectangle(page, (x0 + i * cell, 100), (x0 + (i + 1) * cell, 100 + cell + 20), (60, 60, 60), 2)
    for i, ch in enumerate("840176"):
        paste_digit(page, digit(mnist_test, int(ch)), 60 + i * cell + 18, 115, 60)
    for i, ch in enumerate("RAMHKP"):
        cv2.putText(page, ch, (600 + i * cell + 14, 175), cv2.FONT_HERSHEY_SIMPLEX, 1.9, (30, 30, 30), 4)
    result = handnum.read(page)
    assert texts(result) == ["840176"]


def test_printed_labels_do_not_turn_the_page(mnist_test):
    page = paper(480, 900)        # upside down, printed letters pass for digits ("u" n, "d" p, "o" 0)
    for y, label in ((50, "Phone number"), (240, "Issued date"), (440, "Citizenship")):
        cv2.putText(page, label, (40, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (40, 40, 40), 2, cv2.LINE_AA)
    write(page, mnist_test, "4096", 80, 80, 80)
    write(page, mnist_test, "7215", 80, 280, 80)
    result = handnum.read(page)
    assert result.rotation == 0 and texts(result) == ["4096", "7215"]


def test_faint_mirrored_print_from_the_back(mnist_test):
    page = paper(400, 900)
    back = np.full_like(page, 255)
    for i, y in enumerate(range(60, 400, 50)):
        cv2.putText(back, f"{1234 + 111 * i}  {9876 - 7 * i}  Nr {i}", (40, y), cv2.FONT_HERSHEY_SIMPLEX, 1.3,
                    (0, 0, 0), 3)
    back = back[:, ::-1]                                    # seen through the paper: mirrored
    page = np.minimum(page, (235 - (255 - back.astype(np.int16)) * 0.12).astype(np.uint8))  # faint
    write(page, mnist_test, "62", 200, 150, 90)
    write(page, mnist_test, "8", 600, 150, 90)
    assert texts(handnum.read(page)) == ["62 8"]
