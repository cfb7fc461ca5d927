"""Segmentation on synthetic masks with exact answers: counts, boxes, pieces merged, specks and lines set aside."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from handnum.segment import find_candidates, hysteresis, labelled_hysteresis, merge_pieces, rule_fringes


def test_candidates_and_boxes():
    mask = np.zeros((200, 400), np.uint8)
    cv2.rectangle(mask, (20, 30), (59, 99), 1, 4)      # a "0", 40×70
    cv2.rectangle(mask, (118, 28), (122, 101), 1, -1)   # a "1"
    cv2.circle(mask, (250, 60), 2, 1, -1)               # a speck
    cv2.line(mask, (20, 150), (380, 152), 1, 3)         # a ruled line
    c = find_candidates(mask)
    boxes = sorted(map(tuple, c.boxes.tolist()))
    assert boxes == [(18, 28, 62, 102), (118, 28, 123, 102)]
    assert len(c.dropped) == 1 and c.dropped[0][1] == "line" and c.dropped[0][0][2] - c.dropped[0][0][0] > 300


def test_detached_top_of_a_five_is_merged():
    mask = np.zeros((200, 200), np.uint8)
    cv2.line(mask, (60, 40), (110, 40), 1, 4)                       # the flag, drawn apart
    cv2.ellipse(mask, (80, 110), (30, 40), 0, -120, 200, 1, 4)      # the body
    c = find_candidates(mask)
    assert len(c.boxes) == 1 and len(c.groups[0]) == 2


def test_a_flag_reaching_past_the_body_is_merged_but_a_dash_below_a_digit_is_not():
    body, flag = [100, 60, 140, 110], [125, 45, 165, 51]  # the flag overlaps a third of its width
    assert merge_pieces(np.array([body, flag])) == [[0, 1]]
    dash = [125, 118, 165, 124]  # as far out, but below the digit: a dash of the next line
    assert sorted(map(sorted, merge_pieces(np.array([body, dash])))) == [[0], [1]]


def test_a_digit_broken_in_three_pieces_merges_where_digits_are_that_tall():
    pieces = np.array([[143, 970, 163, 989], [133, 992, 164, 1021], [133, 1021, 155, 1040]])  # a faint 3
    assert len(merge_pieces(pieces)) > 1  # no piece is tall: alone they cannot tell it from a column
    assert merge_pieces(pieces, typical=70) == [[0, 1, 2]]
    assert len(merge_pieces(pieces, typical=30)) > 1  # a column of small marks still does not chain


def test_two_whole_digits_stacked_do_not_merge():
    boxes = np.array([[10, 10, 40, 60], [12, 70, 42, 120]])
    assert sorted(map(sorted, merge_pieces(boxes))) == [[0], [1]]


def test_a_line_of_small_digits_just_above_a_big_one_does_not_merge_with_it():
    big = [73, 221, 125, 291]                                                   # an "8", 70 px
    small = [[84, 182, 90, 204], [94, 181, 109, 204], [112, 182, 132, 204]]     # "153" above it, 17 px apart
    groups = merge_pieces(np.array([big] + small), typical=48)
    assert sorted(map(sorted, groups)) == [[0], [1], [2], [3]]


def test_hysteresis_keeps_a_faint_bridge():
    ink = np.zeros((50, 100), np.float32)
    ink[20:25, 10:40] = 0.9
    ink[20:25, 40:50] = 0.3   # faint part of the stroke
    ink[20:25, 50:90] = 0.9
    ink[40:42, 60:62] = 0.3   # faint noise, not connected
    out = hysteresis(ink, 0.5, 0.25)
    assert cv2.connectedComponents(out)[0] == 2 and out[40, 60] == 0


@pytest.mark.parametrize("seed", range(6))
def test_labelled_hysteresis_labels_as_opencv_does(seed):
    # the marks come labelled from the faint ink's components: the same labels, boxes, areas and
    # centres (the paper's included) as labelling the mask again
    rng = np.random.default_rng(seed)
    ink = cv2.GaussianBlur(rng.random((120, 160)).astype(np.float32), (0, 0), 2.5)
    ink = (ink - ink.min()) / (ink.max() - ink.min())
    mask, (n, labels, stats, centres) = labelled_hysteresis(ink, 0.75, 0.55)
    assert (mask == hysteresis(ink, 0.75, 0.55)).all()
    n2, labels2, stats2, centres2 = cv2.connectedComponentsWithStats(mask, connectivity=8)
    assert n == n2 > 1 and (labels == labels2).all() and (stats == stats2).all() and np.allclose(centres, centres2)


def test_a_circle_around_a_number_is_an_enclosure():
    mask = np.zeros((200, 300), np.uint8)
    cv2.rectangle(mask, (100, 70), (120, 120), 1, 4)   # two digits
    cv2.rectangle(mask, (130, 70), (150, 120), 1, 4)
    cv2.ellipse(mask, (125, 95), (60, 50), 0, 0, 360, 1, 3)  # the circle around them
    c = find_candidates(mask)
    assert len(c.boxes) == 2 and [why for _, why in c.dropped] == ["enclosure"]


def test_marks_at_the_edge_of_the_page_are_set_aside():
    from handnum.segment import drop_at_edge

    mask = np.zeros((200, 300), np.uint8)
    cv2.rectangle(mask, (100, 50), (139, 119), 1, 4)   # a "0" well inside
    cv2.line(mask, (0, 20), (6, 180), 1, 4)            # a page edge at the picture's border
    cv2.line(mask, (250, 60), (262, 150), 1, 3)        # a stroke reaching the sheet's edge
    region = np.ones_like(mask)
    region[:, 260:] = 0                                # the sheet ends at x = 260
    c = drop_at_edge(find_candidates(mask), region)
    assert c.boxes.tolist() == [[98, 48, 142, 122]]
    assert sorted(why for _, why in c.dropped) == ["edge", "edge"]


def test_a_digit_merged_with_a_cut_off_stroke_above_it_is_kept():
    from handnum.segment import drop_at_edge

    mask = np.zeros((200, 300), np.uint8)
    cv2.line(mask, (120, 0), (121, 14), 1, 3)            # the foot of a stroke of a line cut off by the frame
    cv2.rectangle(mask, (105, 25), (140, 85), 1, 4)      # a "0" just below it
    c = find_candidates(mask)
    assert len(c.boxes) == 1 and len(c.groups[0]) == 2  # merged as a piece of the 0
    c = drop_at_edge(c, np.ones_like(mask))
    assert c.boxes.tolist() == [[103, 23, 143, 88]] and [why for _, why in c.dropped] == ["edge"]


def test_specks_do_not_chain_a_column_of_digits_into_one():
    mask = np.zeros((300, 120), np.uint8)
    cv2.line(mask, (60, 20), (60, 80), 1, 4)            # a "1"
    cv2.rectangle(mask, (40, 110), (80, 170), 1, 4)     # a "0" below it, a clear gap apart
    for y in (88, 96, 103):                             # specks of dirt in the gap
        cv2.circle(mask, (60, y), 1, 1, -1)
    c = find_candidates(mask)
    one, zero = sorted(c.boxes.tolist(), key=lambda b: b[1])
    assert len(c.boxes) == 2 and one[3] <= 84 and zero[1] >= 84


def test_a_loop_round_a_number_is_peeled_off_the_digits_touching_it():
    mask = np.zeros((200, 300), np.uint8)
    cv2.ellipse(mask, (150, 100), (120, 70), 0, 0, 360, 1, 4)        # the loop
    cv2.line(mask, (100, 36), (96, 120), 1, 6)                        # a "1" touching it from inside
    cv2.circle(mask, (170, 100), 25, 1, 5)                            # a "0" inside, apart from it
    c = find_candidates(mask)
    assert [why for _, why in c.dropped].count("enclosure") == 1
    boxes = sorted(c.boxes.tolist())
    assert len(boxes) == 2 and 40 <= boxes[0][1] <= 50 and boxes[0][3] >= 120  # the 1, without the loop
    assert abs(boxes[1][0] - 142) <= 2 and abs(boxes[1][2] - 199) <= 2   # the 0, whole


def test_a_loop_opened_by_rule_removal_still_encloses_its_digits():
    loop = np.zeros((220, 300), np.uint8)
    cv2.ellipse(loop, (150, 110), (120, 80), 0, 0, 360, 1, 3)
    digits = np.zeros_like(loop)
    cv2.rectangle(digits, (60, 70), (95, 150), 1, 3)           # a "0" joined to the loop by a stroke ...
    cv2.line(digits, (60, 110), (35, 110), 1, 3)
    cv2.rectangle(digits, (130, 70), (165, 150), 1, 3)         # ... and two more clear of it
    cv2.rectangle(digits, (190, 70), (225, 150), 1, 3)
    removed = loop.copy()
    removed[:, :110], removed[:, 190:], removed[40:] = 0, 0, 0  # a bit of its top went with a ruled line
    mask = ((loop & (1 - removed)) | digits).astype(np.uint8)
    assert len(find_candidates(mask).boxes) == 1                # open, nothing to close it: no loop
    c = find_candidates(mask, drawn=mask | removed)
    assert sorted(map(tuple, c.boxes.tolist()))[0][2:] == (98, 153) and len(c.boxes) == 3


def test_a_loop_split_in_two_by_rule_removal_still_encloses_its_digits():
    loop = np.zeros((200, 420), np.uint8)
    cv2.ellipse(loop, (210, 100), (170, 60), 0, 0, 360, 1, 3)
    digits = np.zeros_like(loop)
    cv2.rectangle(digits, (68, 66), (100, 120), 1, 3)          # a "0" touching the loop from inside ...
    for x in (150, 230, 300):
        cv2.rectangle(digits, (x, 75), (x + 30, 125), 1, 3)   # ... and more digits clear of it
    removed = loop.copy()
    removed[:, :150], removed[:, 270:], removed[60:140] = 0, 0, 0  # flat top and bottom gone with a rule
    mask = ((loop & (1 - removed)) | digits).astype(np.uint8)
    c = find_candidates(mask, drawn=mask | removed)
    boxes = sorted(map(tuple, c.boxes.tolist()))
    assert len(boxes) == 4 and boxes[0][:2] == (66, 64)        # the "0" kept, the halves of the loop gone


def test_digits_run_together_round_a_neighbour_are_no_loop():
    # a thin "48" joined to a dash, whose box holds the centre of the "1" after it: no inside
    mask = np.zeros((120, 260), np.uint8)
    cv2.line(mask, (20, 100), (40, 20), 1, 2)                 # 4 ...
    cv2.line(mask, (20, 100), (60, 100), 1, 2)
    cv2.line(mask, (50, 40), (50, 110), 1, 2)
    cv2.ellipse(mask, (80, 50), (12, 14), 0, 0, 360, 1, 2)   # ... 8 ...
    cv2.ellipse(mask, (80, 85), (14, 18), 0, 0, 360, 1, 2)
    cv2.line(mask, (60, 100), (68, 90), 1, 2)
    cv2.line(mask, (80, 104), (170, 104), 1, 2)               # ... a long stroke under the 1
    cv2.line(mask, (150, 28), (150, 96), 1, 3)               # 1, a little shorter
    c = find_candidates(mask)
    assert len(c.boxes) == 2 and not c.dropped               # nothing taken for a loop and dropped


def test_a_tight_loop_split_by_rule_removal_is_peeled_off_the_digits_at_its_ends():
    # a number in a tight ellipse: its flat top and bottom went with a rule, each half is joined to
    # the digit at its end and holds no other mark's centre, yet the whole, as drawn, does
    loop = np.zeros((120, 360), np.uint8)
    cv2.ellipse(loop, (180, 60), (160, 42), 0, 0, 360, 1, 4)
    digits = np.zeros_like(loop)
    cv2.ellipse(digits, (56, 60), (12, 20), 0, 0, 360, 1, 5)   # a "0" touching the left end
    for x in (130, 175, 220):                                   # digits clear of the loop
        cv2.rectangle(digits, (x, 40), (x + 25, 80), 1, 5)
    cv2.line(digits, (290, 40), (318, 40), 1, 5)                # a "7" touching the right end
    cv2.line(digits, (318, 40), (300, 82), 1, 5)
    removed = loop.copy()
    removed[:, :120], removed[:, 240:], removed[30:90] = 0, 0, 0
    mask = ((loop & (1 - removed)) | digits).astype(np.uint8)
    c = find_candidates(mask, drawn=mask | removed)
    boxes = sorted(c.boxes.tolist())
    assert [why for _, why in c.dropped] == ["enclosure", "enclosure"] and len(boxes) == 5
    zero, seven = boxes[0], boxes[-1]                           # drawn: [41, 37, 72, 84], [287, 37, 322, 86]
    assert zero[0] >= 40 and zero[1] <= 38 and zero[3] >= 83    # the loop gone, the 0 whole
    assert seven[2] <= 323 and seven[3] >= 84                   # the 7 keeps its foot by the loop


def test_the_pale_edge_of_a_printed_line_is_a_fringe_but_a_one_written_over_it_is_not():
    rules, ink = np.zeros((200, 300), np.uint8), np.zeros((200, 300), np.float32)
    rules[50:52, :] = 1               # a printed rule...
    rules[50:150, 150:152] = 1        # ... and a wall below it
    ink[rules > 0] = 0.5
    mask = np.zeros_like(rules)       # what is left once the lines are taken out:
    mask[49, 20:60] = 1               # a pale row along the rule's top edge
    mask[60:100, 152] = 1             # a pale column along the wall
    mask[60:100, 149:150] = 1         # a dark "1" written over the wall (its pixels beside it)
    mask[120:150, 200:204] = 1        # a digit's stroke touching the rule from below ...
    mask[52:120, 202:204] = 1         # ... reaching far from it
    ink[mask > 0] = 0.3
    ink[60:100, 149] = 0.9
    boxes = np.array([[20, 49, 60, 50], [152, 60, 153, 100], [149, 60, 150, 100], [200, 52, 204, 150]])
    assert rule_fringes(boxes, mask, rules, ink).tolist() == [True, True, False, False]
    assert not rule_fringes(boxes, mask, np.zeros_like(rules), ink).any()
