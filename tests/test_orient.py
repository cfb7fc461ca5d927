"""Page turn: square windows of each mark, a learned vote per mark, the page's sum with an upright prior."""
import json
import shutil

import cv2
import numpy as np
import pytest

from handnum.errors import ModelError
from handnum.orient import SHIPPED, TURNS, UPRIGHT, TurnModel, box_to_original, page_turn, voters, windows, votes


def _page():
    """An ink map (ink bright) with a row of three marks and a lone fainter one, and their boxes."""
    img = np.zeros((200, 300), np.uint8)
    for x in (40, 80, 120):
        cv2.putText(img, "7", (x, 100), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 230, 3)
    cv2.putText(img, "L", (220, 170), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 128, 2)
    n, _, stats, _ = cv2.connectedComponentsWithStats((img > 0).astype(np.uint8))
    boxes = np.array([[x, y, x + w, y + h] for x, y, w, h, _ in stats[1:]])
    return img.astype(np.float32) / 255, boxes


def test_turning_the_page_turns_each_window_the_same_way():
    ink, boxes = _page()
    upright = windows(ink, boxes)
    assert upright.shape == (len(boxes), 2, 32, 32) and len(boxes) >= 4 and upright.max() == pytest.approx(1.0)
    h, w = ink.shape
    for turn in TURNS[1:]:
        k = turn // 90
        stored = np.ascontiguousarray(np.rot90(ink, k=-k))  # as photographed: turning it by `turn` reads it
        turned_boxes = np.array([box_to_original(b, turn, stored.shape[1], stored.shape[0]) for b in boxes])
        seen = windows(stored, turned_boxes)
        off = np.abs(np.rot90(seen, k=k, axes=(2, 3)) - upright).mean()  # a pixel's rounding at most
        wrong = np.abs(np.rot90(seen, k=k + 1, axes=(2, 3)) - upright).mean()
        assert off < 0.05 and wrong > 3 * off, turn
    assert box_to_original((0, 0, 10, 20), 180, w, h) == (w - 10, h - 20, w, h)


def test_a_faint_mark_fills_its_window_as_a_dark_one_does():
    ink, boxes = _page()
    assert windows(ink * 0.3, boxes) == pytest.approx(windows(ink, boxes), abs=0.02)
    assert windows(np.zeros((50, 50), np.float32), np.array([[10, 10, 20, 20]])).max() == 0  # no ink: no vote


class Votes:
    """A stand-in model: every window reads as the probabilities `row`; counts the windows it saw."""

    def __init__(self, row):
        self.row, self.seen = np.asarray(row, np.float64), 0

    def __call__(self, batch):
        self.seen += len(batch)
        return np.tile(self.row, (len(batch), 1))


def test_the_page_turns_by_the_sum_of_its_marks_votes_over_an_upright_prior():
    ink, boxes = _page()
    assert page_turn(ink, boxes, Votes([0.1, 0.1, 0.7, 0.1])) == 180
    assert page_turn(ink, boxes, Votes([0.25, 0.25, 0.25, 0.25])) == 0  # even odds: the prior keeps it
    assert page_turn(ink, boxes[:1], Votes([0.2, 0.4, 0.2, 0.2])) == 0  # one mark's slight lead is not enough
    assert page_turn(ink, boxes[:0], Votes([0, 1, 0, 0])) == 0
    assert votes(np.full((0, 4), 0.25)) == pytest.approx(np.log([UPRIGHT] + [(1 - UPRIGHT) / 3] * 3))


def test_a_crowded_page_votes_with_a_spread_of_its_marks():
    many = np.tile([0, 0, 10, 10], (5000, 1))
    chosen = voters(many)
    assert 300 <= len(chosen) <= 400 and chosen[0] == 0 and chosen[-1] == 4999
    model = Votes([0.1, 0.7, 0.1, 0.1])
    assert page_turn(np.zeros((20, 20), np.float32), many, model) == 90 and model.seen == len(chosen)


@pytest.mark.skipif(not SHIPPED.exists(), reason="no orientation model shipped")
def test_the_orientation_card_is_checked_on_load(tmp_path):
    shutil.copy(SHIPPED, tmp_path / "orient.onnx")
    card = json.loads(SHIPPED.with_suffix(".json").read_text())
    (tmp_path / "orient.json").write_text(json.dumps({**card, "sha256": "0" * 64}))
    with pytest.raises(ModelError, match="corrupt"):
        TurnModel(tmp_path / "orient.onnx")
    (tmp_path / "orient.json").write_text(json.dumps({**card, "inputs": "orient-inputs-v0"}))
    with pytest.raises(ModelError, match="expects inputs"):
        TurnModel(tmp_path / "orient.onnx")


@pytest.mark.skipif(not SHIPPED.exists(), reason="no orientation model shipped")
def test_printed_lines_turned_by_any_quarter_are_turned_back():
    img = np.zeros((400, 700), np.uint8)
    for y, text in enumerate(("Answer all questions", "Name of the student", "Total marks obtained")):
        cv2.putText(img, text, (30, 80 + 110 * y), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 255, 3)
    ink = img.astype(np.float32) / 255
    from handnum.segment import find_candidates
    for turn in TURNS:
        stored = np.ascontiguousarray(np.rot90(ink, k=-turn // 90))
        comps = find_candidates((stored > 0.3).astype(np.uint8))
        assert page_turn(stored, comps.boxes) == turn


def test_train_orient_collects_trains_and_exports_a_loadable_model(tmp_path, mnist_dir):
    """A tiny run end to end: upright generated pages, windows turned each epoch, a model and its card."""
    pytest.importorskip("torch")
    from handnum.judge.orient_train import OrientConfig, train

    cfg = OrientConfig(out=str(tmp_path / "run"), pages=10, val_pages=10, data=str(mnist_dir), epochs=1, threads=1,
                       workers=1, layout="note")
    card = train(cfg, progress=lambda *_: None)
    assert len(sorted((tmp_path / "run").rglob("shard-*.npz"))) == 2
    assert card["held_out"]["pages"] == 10 and 0 <= card["held_out"]["page_accuracy"] <= 1
    model = TurnModel(tmp_path / "run" / "orient.onnx")
    probs = model(np.zeros((3, 2, 32, 32), np.float32))
    assert probs.shape == (3, 4) and np.allclose(probs.sum(1), 1, atol=1e-5)


def test_train_orient_refuses_bad_arguments_in_one_line(tmp_path, capsys):
    pytest.importorskip("torch")
    from handnum.cli import main

    assert main(["train-orient", "--out", str(tmp_path / "r"), "--pages", "0"]) != 0
    assert main(["train-orient", "--out", str(tmp_path / "r"), "--layout", "poster"]) != 0
    assert main(["train-orient", "--out", str(tmp_path / "r"), "--init", str(tmp_path / "none.pt")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("handnum: error: ") for line in err)
