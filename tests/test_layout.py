"""Grouping boxes into lines and numbers."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from handnum.layout import group_lines, split_numbers


def row(y, xs, h=40, w=25, slope=0.0):
    return [[x, int(y + slope * x), x + w, int(y + slope * x) + h] for x in xs]


def test_a_mark_joins_the_line_whose_newest_mark_is_near():
    # "041:8 ... 0 kg": the colon's lower dot starts a line of its own that the 8 follows; the g
    # overlaps the 1 far to the left as much as the k beside it, and goes with the k
    b = np.array([[30, 2, 91, 70], [97, 0, 146, 70], [153, 0, 193, 71], [201, 33, 206, 50], [201, 59, 206, 68],
                  [210, 7, 256, 73], [681, 1, 734, 72], [788, 7, 826, 57], [826, 20, 864, 71]])
    assert any(7 in line and 8 in line for line in group_lines(b))


def test_two_lines_in_reading_order():
    boxes = np.array(row(200, [10, 40, 70]) + row(100, [10, 40]))
    assert group_lines(boxes) == [[3, 4], [0, 1, 2]]


def test_skewed_line_stays_one_line():
    xs = list(range(0, 1000, 40))
    boxes = np.array(row(100, xs, slope=0.08) + row(200, xs, slope=0.08))  # ~4.6° skew, lines 100 px apart
    lines = group_lines(boxes)
    assert [len(ln) for ln in lines] == [len(xs), len(xs)]


def test_numbers_split_at_wide_gaps_scaled_by_height():
    for h in (20, 80):
        w, tight, wide = h // 2, h // 10, h
        xs, x = [], 0
        for gap in (tight, tight, wide, tight, wide):
            xs.append(x)
            x += w + gap
        xs.append(x)
        boxes = np.array(row(0, xs, h=h, w=w))
        assert split_numbers(boxes, list(range(6))) == [[0, 1, 2], [3, 4], [5]]


def test_the_air_beside_a_narrow_one_is_its_own():
    """A 1 is a narrow stroke in a digit-wide cell: "14" written with the 4 a normal step after
    the 1 leaves a box gap over 0.3 heights, but is one number; two wide digits that far apart
    are two, and without `narrow` (words, clusters) the 1 stands apart as before."""
    from handnum.layout import NARROW

    h = 100
    one, four = [0, 0, 8, h], [8 + 36, 0, 8 + 36 + 60, h]    # gap 36 > 0.3 h
    boxes = np.array([one, four, [200, 0, 260, h], [296, 0, 356, h]])  # then two wide digits, gap 36
    assert split_numbers(boxes, [0, 1, 2, 3], 0.3, None, NARROW) == [[0, 1], [2], [3]]
    assert split_numbers(boxes, [0, 1, 2, 3], 0.3) == [[0], [1], [2], [3]]


def test_loose_ink_in_a_gap_bridges_it_but_dust_and_dashes_do_not():
    """A digit broken into pieces, its flag read as no digit, leaves a gap of 0.6 heights in its
    number: the flag fills it. A speck of dust in the gap, a dash or a "+" standing free between
    two numbers, an underline below them and ink in a gap wider than a digit leave them apart."""
    h = 100
    boxes = np.array([[0, 0, 60, h], [120, 0, 180, h]])   # gap 60 = 0.6 h
    flag = [50, 5, 115, 20]                                # hangs over the left digit
    dust = [85, 40, 95, 50]
    dash = [75, 55, 105, 68]
    underline = [0, 110, 180, 118]
    split = lambda loose: split_numbers(boxes, [0, 1], 0.3, None, 0.0, np.array(loose).reshape(-1, 4))  # noqa: E731
    assert split([flag]) == [[0, 1]]
    plus = [77, 30, 103, 70]                               # 0.17 heights from both digits
    assert split([]) == split([dust]) == split([dash]) == split([underline]) == split([plus]) == [[0], [1]]
    far = np.array([[0, 0, 60, h], [240, 0, 300, h]])      # gap 180 = 1.8 h: more than a lost digit
    assert split_numbers(far, [0, 1], 0.3, None, 0.0, np.array([[55, 5, 245, 95]])) == [[0], [1]]


def test_a_close_gap_on_a_line_of_wide_spaces_is_inside_a_number():
    """On a line whose numbers stand two heights apart, "14" with a gap of 0.45 heights is one
    number; on a line of single digits 0.45 heights apart, and where the widest gap is under three
    times it, the digits stay apart."""
    from handnum.layout import rejoin_close

    h, w = 100, 60
    def line(*gaps):  # noqa: E306
        xs = np.cumsum([0] + [w + g for g in gaps])
        return np.array([[x, 0, x + w, h] for x in xs])
    wide = line(45, 200, 10)                     # "1 4  7 0": 0.45, 2.0, 0.1 heights
    assert rejoin_close(wide, [[0], [1], [2, 3]]) == [[0, 1], [2, 3]]
    even = line(45, 45, 45)                      # "1 2 3 4", evenly set
    assert rejoin_close(even, [[0], [1], [2], [3]]) == [[0], [1], [2], [3]]
    near = line(45, 100)                         # the widest gap (1.0) under 3 x 0.45
    assert rejoin_close(near, [[0], [1], [2]]) == [[0], [1], [2]]


def test_a_doubted_mark_inside_a_number_is_kept_but_not_one_beside_it():
    from handnum.layout import in_numbers

    # digits at 0, 30, [doubted at 60], 90 | gap | doubted alone at 300 | doubted then digit, far apart
    boxes = np.array(row(100, [0, 30, 60, 90, 300]) + row(300, [0, 200]))
    digit = np.array([1, 1, 0, 1, 0, 0, 1], bool)
    doubted = np.array([0, 0, 1, 0, 1, 1, 0], bool)
    kept = in_numbers(boxes, digit, doubted, gap=0.3)
    assert kept.tolist() == [False, False, True, False, False, False, False]
    # a chain of doubted marks beside one digit: only the one next to the digit
    boxes = np.array(row(100, [0, 30, 60]))
    kept = in_numbers(boxes, np.array([1, 0, 0], bool), np.array([0, 1, 1], bool), gap=0.3)
    assert kept.tolist() == [False, True, False]


def test_doubted_marks_need_a_digit_height_and_a_fair_digit_reading():
    from handnum.layout import doubted_in_numbers

    def probs(*rows):  # (digit, p(digit), p(not a digit))
        out = np.zeros((len(rows), 11))
        for k, (d, pd, pn) in enumerate(rows):
            out[k, d], out[k, 10] = pd, pn
        return out

    boxes = np.array(row(100, [0, 30, 60, 90]) + [[120, 120, 140, 135]] + row(100, [150]))  # a short dash at 120
    p = probs((4, 0.99, 0), (6, 0.3, 0.7), (3, 0.99, 0), (8, 0.005, 0.99), (1, 0.3, 0.7), (2, 0.99, 0))
    beside = np.full(len(boxes), 40.0)
    kept = doubted_in_numbers(boxes, p, np.zeros(len(boxes), bool), beside)
    assert kept.tolist() == [False, True, False, False, False, False]  # not the 0.5 % "8", not the dash
    excluded = np.array([0, 1, 0, 0, 0, 0], bool)  # e.g. in a word
    assert not doubted_in_numbers(boxes, p, excluded, beside).any()


def test_unsure_digits_inside_a_number_are_doubted_too():
    from handnum.layout import doubted_in_numbers

    p = np.zeros((5, 11))
    p[0, 2], p[0, 10] = 0.47, 0.4    # a "2" read at 0.47 before a sure 7: doubted, kept
    p[1, 7] = 1.0
    p[2, 0], p[2, 6] = 0.42, 0.3     # a "0" at 0.42, alone on its line: not kept
    p[3, 4], p[3, 9] = 0.45, 0.55    # sure enough ("9" at 0.55): nothing to doubt
    p[4, 1] = 1.0
    boxes = np.array(row(100, [0, 30]) + row(300, [0]) + row(500, [0, 30]))
    beside = np.full(len(boxes), 40.0)
    none = np.zeros(len(boxes), bool)
    assert doubted_in_numbers(boxes, p, none, beside, unsure=0.5).tolist() == [True, False, False, False, False]
    assert not doubted_in_numbers(boxes, p, none, beside).any()  # without `unsure`: only "not a digit"


def test_words_beside_numbers_need_two_letters_or_one_sure_one():
    from handnum.layout import in_words

    def probs(*rows):  # (digit, p(digit), p(not a digit)) per mark
        out = np.zeros((len(rows), 11))
        for k, (d, pd, pn) in enumerate(rows):
            out[k, d], out[k, 10] = pd, pn
        return out

    def word(boxes, *rows):
        return in_words(np.array(boxes), probs(*rows), gap=0.3).tolist()

    digit, letter, doubted = (9, 0.99, 0.01), (3, 0.001, 0.999), (6, 0.2, 0.8)
    tight = row(0, [0, 30])                                  # two marks, 5 px apart
    assert word(tight, letter, digit) == [True, True]       # "kg": its g reads as a sure 9
    assert word(tight, doubted, digit) == [False, False]    # an open 6 beside a digit: a number
    assert word([[0, 0, 50, 40], [55, 0, 80, 40]], letter, digit) == [False, False]  # two digits run together
    assert word(row(0, [0, 30, 60]), letter, digit, digit) == [False, False, False]   # one of three is no word
    assert word(row(0, [0, 30, 60]), letter, letter, digit) == [True, True, True]
    assert word(row(0, [0, 200]), letter, digit) == [False, False]  # far apart: a word, then a number
    # "Tel": T and l read as sure digits, the e between them a sure letter, short and as wide as tall
    tel = [[0, 0, 25, 40], [30, 12, 58, 40], [63, 0, 70, 40]]
    assert word(tel, digit, letter, digit) == [True] * 3
    assert word(tel, digit, doubted, digit) == [False] * 3  # a doubted mark: maybe a small digit
    tall_e = [[0, 0, 25, 40], [30, 9, 58, 40], [63, 0, 70, 40]]  # a font with a tall x-height: 0.78
    assert word(tall_e, digit, letter, digit) == [True] * 3
    # a hyphen before a number ("-1000"): a sure "not a digit" under HYPHEN of the digits' height is no letter
    dash_1000 = [[0, 19, 24, 40]] + row(-10, [26, 52, 78, 104], h=50)  # 21 px: sized, but a hyphen
    assert word(dash_1000, letter, digit, digit, digit, digit) == [False] * 5
    # the same short mark in a long number: more likely a blot on a digit than a word
    long = row(0, [0, 30]) + [[60, 12, 88, 40]] + row(0, [93, 123, 153])
    assert word(long, digit, digit, letter, digit, digit, digit) == [False] * 6
    # a printed label in small print ("Issued": I, s, s and a split u read as digits, e and d letters)
    label, marks = row(0, [0, 30, 60, 90, 120, 150, 180]), (digit,) * 5 + (letter, letter)
    assert word(label, *marks) == [False] * 7  # 2 letters of 7 are no word: the judge tells print
    # lowercase print: "gmail" (g, i, l tall; m and a on the baseline, 0.6 of them) with one sure letter
    gmail = [[0, 0, 20, 40], [25, 16, 45, 40], [50, 16, 70, 40], [75, 0, 82, 40], [87, 0, 94, 40]]
    assert word(gmail, letter, digit, digit, digit, digit) == [True] * 5
    assert word(gmail, digit, digit, digit, digit, digit) == [False] * 5  # no letter at all: no word
    # "Sum": S reads as a sure 5, u as a letter (not surely), m as a letter wider than 1.5 of its height
    sum_ = [[0, 0, 15, 18], [16, 5, 29, 18], [31, 5, 52, 18]]
    assert word(sum_, (5, 0.99, 0.01), (4, 0.085, 0.915), letter) == [True] * 3  # a short m is a letter
    assert word([[0, 0, 20, 18], [22, 0, 52, 18]], digit, letter) == [False] * 2  # a full-height blob is not
    # "8R1000": one tall letter (R) beside a number with small zeros is no lowercase pattern
    r1000 = [[0, 10, 25, 40], [30, 0, 60, 40]] + [[65 + 25 * k, 16, 85 + 25 * k, 40] for k in range(4)]
    assert word(r1000, digit, letter, digit, digit, digit, digit) == [False] * 6


def test_walled_joins_marks_in_neighbouring_boxes_only():
    from handnum.forms import walled

    walls = np.zeros((200, 600), np.uint8)
    for x in range(0, 600, 60):       # a form: box walls every 60 px, from y=40 to y=120
        walls[40:120, x:x + 2] = 1
    cell = lambda k: [60 * k + 15, 50, 60 * k + 45, 110]  # noqa: E731  a digit inside box k
    boxes = np.array([cell(0), cell(1), cell(3), cell(4), [325, 50, 375, 110]])  # the last overruns its wall
    j = walled(boxes, walls)
    assert j[0, 1] and j[1, 0]        # neighbouring boxes: one field
    assert not j[1, 2]                # an empty box between: another number
    assert j[2, 3] and j[3, 4]        # a digit overrunning the wall of its box is still in its field

    squares = np.zeros((400, 600), np.uint8)
    squares[:, 300:302] = 1           # squared paper: its lines run through the whole page
    squares[:, 360:362] = 1
    boxes = np.array([[262, 150, 292, 210], [325, 150, 375, 210]])
    assert not walled(boxes, squares)[0, 1]  # one line between, but another runs through the mark: written freely

    table = np.zeros((200, 600), np.uint8)
    for x in range(0, 600, 120):      # a table: cells 120 px wide, a two-digit number in each
        table[40:120, x:x + 2] = 1
    tens = np.array([[120 * k + dx, 50, 120 * k + dx + 30, 110] for k in (1, 2, 3) for dx in (25, 62)])
    j = walled(tens, table)
    assert not j[1, 2] and not j[3, 4]  # the 0 of "10" and the 1 of the next cell's "10": two numbers
    assert j[0, 1]                      # the digits of one cell stay one field

    box = np.zeros((200, 600), np.uint8)
    box[40:120, [100, 101, 260, 261]] = 1  # one wide box of a form from x=100 to x=260
    two = np.array([[130, 50, 165, 110], [185, 50, 220, 110]])  # two digits in it, a gap apart
    assert walled(two, box)[0, 1]     # no wall between, walls just outside both: one field
    assert not walled(two + [200, 0, 200, 0], box)[0, 1]  # beside the box, walls on neither side
    box[:, 260:262] = 0
    assert not walled(two, box)[0, 1]  # a wall on one side only: no box round them


def test_evenly_spaced_letters_are_a_word_but_numbers_beside_them_are_not():
    from handnum.layout import group_lines, in_words
    from handnum.words import spaced_words

    def probs(kinds):  # per mark: "L" a letter, a digit "0".."9" read surely
        out = np.zeros((len(kinds), 11))
        for k, c in enumerate(kinds):
            out[k, 10 if c == "L" else int(c)] = 0.999
        return out

    def spaced(boxes, kinds):
        b, p = np.array(boxes), probs(kinds)
        word = in_words(b, p, gap=0.3)
        return (word | spaced_words(b, p, word, group_lines(b), gap=0.3)).tolist()

    # "G O K A R N E" in capitals 40 px tall, 20 px apart (each its own cluster), the O a sure 0;
    # the ward number "2" in the next box, 90 px on
    gokarne = row(0, [50 * k for k in range(7)], w=30) + row(0, [390], w=30)
    assert spaced(gokarne, "L0LLLLL2") == [True] * 7 + [False]
    # a G in three pieces read "157" as the first letter of "G U R B I G"
    g = [[0, 0, 8, 30], [5, 0, 30, 40], [25, 10, 35, 40]]
    assert spaced(g + row(0, [55, 105, 155, 205, 255], w=30), "157LLLLL") == [True] * 8
    # the capital O before a word whose letters stand apart as much ("O KHALDHUN")
    o_word = row(0, [0], w=30) + row(0, [44 + 40 * k for k in range(8)], w=30)
    assert spaced(o_word, "0" + "L" * 8) == [True] * 9
    # "Total 123" and "Total 5": a printed word's letters nearly touch, the number stands off
    total = row(0, [0, 28, 56, 84, 112], w=25)
    assert spaced(total + row(0, [152, 180, 208], w=25), "LLLLL123") == [True] * 5 + [False] * 3
    assert spaced(total + row(0, [152], w=25), "LLLLL5") == [True] * 5 + [False]
    # a row of spaced digits has no letters; two letters and a digit are too few for a word
    assert not any(spaced(row(0, [50 * k for k in range(10)], w=30), "1326547098"))
    assert spaced(row(0, [0, 50, 100], w=30), "LL5") == [False, False, False]
    # a number at a gap wider than the letters' stays a number ("A B C D 7": 20 px, then 90 px)
    assert spaced(row(0, [0, 50, 100, 150, 270], w=30), "LLLL7") == [True] * 4 + [False]


def test_spaced_capitals_with_a_third_sure_letters_and_lowercase_at_seven_tenths():
    from handnum.layout import group_lines, in_words
    from handnum.words import spaced_words

    # "G U R A G A I N" written apart, no walls found: only G, U and A read as letters
    b = np.array(row(0, [50 * k for k in range(8)], w=30))
    p = np.zeros((8, 11))
    p[np.arange(8), [10, 10, 2, 10, 6, 7, 1, 1]] = 0.99
    assert spaced_words(b, p, np.zeros(8, bool), group_lines(b), gap=0.3).all()
    # "@gmail.com" in print: @ the tallest (35), g, i, l ascenders (31), m and a 0.68 of the @
    gmail = [[0, 0, 28, 35], [30, 4, 50, 35], [52, 11, 72, 35], [74, 11, 94, 35], [96, 4, 102, 35],
             [104, 4, 110, 35]]
    com = [[125, 11, 141, 35], [143, 11, 161, 35], [163, 11, 186, 35]]
    p = np.zeros((9, 11))
    p[np.arange(9), [10, 8, 7, 2, 1, 1, 0, 0, 7]] = 0.99
    b = np.array(gmail + com)
    word = in_words(b, p, gap=0.3)
    assert word.tolist() == [True] * 6 + [False] * 3  # the .com after the dot: the judge's to set aside


def _every_line_checked(boxes: np.ndarray, min_overlap: float = 0.4) -> list[list[int]]:
    """group_lines' rule, plainly: each mark weighs every line so far (no search by rows)."""
    from handnum.layout import NEAR, _merge_side_by_side
    h = boxes[:, 3] - boxes[:, 1]
    lines: list[list[int]] = []
    for i in np.argsort(boxes[:, 0], kind="stable"):
        best, key = -1, None
        for k, line in enumerate(lines):
            j = next((m for m in reversed(line[-4:]) if h[m] >= 0.5 * h[i]), line[-1])
            ov = (min(boxes[j, 3], boxes[i, 3]) - max(boxes[j, 1], boxes[i, 1])) / max(1, min(h[j], h[i]))
            near = boxes[i, 0] - boxes[line[-1], 2] <= NEAR * h[i]
            if ov >= min_overlap and (key is None or (near, ov) >= key):
                best, key = k, (near, ov)
        if best < 0:
            lines.append([])
        lines[best].append(int(i))
    lines = _merge_side_by_side(boxes, lines, min_overlap)
    return sorted(lines, key=lambda ln: float(np.median((boxes[ln, 1] + boxes[ln, 3]) / 2)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 600), st.integers(0, 400), st.integers(2, 60), st.integers(1, 90)),
                min_size=1, max_size=40))
def test_lines_are_those_of_checking_every_line(marks):
    # group_lines looks only at the lines that had a mark in the new mark's rows; the same lines
    # come out as when every line is weighed, for marks of any size and place
    boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in marks])
    assert group_lines(boxes) == _every_line_checked(boxes)


def test_median_is_numpys():
    from handnum.layout import median
    rng = np.random.default_rng(0)
    for n in range(1, 12):
        for v in (rng.integers(0, 300, n), rng.standard_normal(n) * 100):
            assert median(v) == np.median(v) and median(v.tolist()) == np.median(v)
