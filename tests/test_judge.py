"""The judge: generated pages with exact truth, its inputs, its model card, its training command."""
from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

from handnum.errors import ModelError
from handnum.judge import features, glyphs, marks, scenes
from handnum.judge.model import KINDS, SHIPPED, Judge, verdicts


def _fake_digits():
    """Ten blocky 'digits' so scenes can be drawn without MNIST."""
    images = np.zeros((10, 28, 28), np.uint8)
    for k in range(10):
        cv2.putText(images[k], str(k), (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    return images, np.arange(10, dtype=np.uint8)


@pytest.mark.parametrize("layout", scenes.LAYOUTS)
def test_a_scene_is_the_same_for_the_same_seed_and_knows_every_mark(layout):
    a = scenes.draw_scene(3, _fake_digits(), layout)
    b = scenes.draw_scene(3, _fake_digits(), layout)
    assert np.array_equal(a.image, b.image) and a.items == b.items
    assert a.items and all(it.kind in KINDS[:-1] for it in a.items)
    h, w = a.image.shape[:2]
    for it in a.items:
        x0, y0, x1, y1 = it.box
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        if it.kind == "digit":
            assert it.text in "0123456789" and len(it.text) == 1
    numbers: dict[int, list] = {}
    for it in a.items:
        if it.kind == "digit":
            numbers.setdefault(it.number, []).append(it.box)
    assert -1 not in numbers  # every digit knows its number ...
    for boxes in numbers.values():  # ... whose digits stand left to right on one line
        assert all(p[0] < q[0] and p[1] < q[3] and q[1] < p[3] for p, q in zip(boxes, boxes[1:]))


def test_numbers_written_close_have_digits_that_touch_or_overlap():
    """The "close" layout: a writer whose digits reach under the next one, as the reader meets them."""
    gaps = []
    for seed in range(4):
        scene = scenes.draw_scene(seed, _fake_digits(), "close")
        numbers: dict[int, list] = {}
        for it in scene.items:
            if it.kind == "digit":
                numbers.setdefault(it.number, []).append(it.box)
        gaps += [q[0] - p[2] for boxes in numbers.values() for p, q in zip(boxes, boxes[1:])]
    assert len(gaps) > 20 and np.mean(np.array(gaps) <= 0) > 0.8


def test_a_mark_sheet_has_question_numbers_printed_across_and_marks_written_below_them():
    """The "marksheet" layout: printed digits in a grid's cells, as the handwritten marks are."""
    scene = scenes.draw_scene(5, _fake_digits(), "marksheet")
    printed = [it for it in scene.items if it.kind == "printed" and it.text.isdigit()]
    written = [it for it in scene.items if it.kind == "digit"]
    assert len(printed) >= 4 and written
    top = min(it.box[1] for it in printed)
    header = sorted((it for it in printed if abs(it.box[1] - top) < 5), key=lambda it: it.box[0])
    numbers = [int(it.text) for it in header]
    assert len(numbers) >= 2 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert min(it.box[1] for it in written) > top


def test_printed_text_comes_from_fonts_with_letters_and_digits():
    """urw-base35's dingbats draw pictures and its symbol font Greek for Latin letters: no printed text."""
    fonts = glyphs.font_files("print")
    if not fonts:
        pytest.skip("no printed fonts installed (apt: fonts-dejavu fonts-liberation2 fonts-urw-base35 ...)")
    assert not [f for f in fonts if "D050000L" in f or "StandardSymbolsPS" in f]


def test_every_drawn_digit_has_ink_in_its_box():
    scene = scenes.draw_scene(11, _fake_digits(), "plain")
    gray = cv2.cvtColor(scene.image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    for it in scene.items:
        x0, y0, x1, y1 = it.box
        assert gray[y0:y1, x0:x1].min() < np.percentile(gray, 60) - 20, it


def test_label_boxes_names_the_kind_a_box_lies_on():
    items = [scenes.Item((0, 0, 10, 20), "digit", "1"), scenes.Item((10, 0, 20, 20), "digit", "2"),
             scenes.Item((40, 0, 80, 20), "printed", "Name"), scenes.Item((100, 0, 120, 20), "mark", "tick")]
    boxes = np.array([[0, 0, 10, 20],      # a digit
                      [2, 0, 18, 20],      # two digits read as one mark
                      [3, 5, 7, 15],       # a piece of a digit
                      [45, 2, 60, 18],     # a printed letter
                      [101, 1, 119, 19],   # the tick
                      [200, 0, 210, 10],   # nothing drawn there
                      [75, 0, 105, 20]])   # mostly on paper
    assert [KINDS[k] for k in scenes.label_boxes(items, boxes)] == \
        ["digit", "digit", "digit", "printed", "mark", "other", "other"]


def test_the_pen_writes_at_the_asked_height_and_width():
    rng = np.random.default_rng(0)
    stroke = np.zeros((40, 30), np.float32)
    cv2.line(stroke, (15, 2), (15, 37), 1.0, 3)
    for height, width in ((24, 2.0), (60, 6.0)):
        a = glyphs.pen(rng, stroke, height, width)
        assert abs(a.shape[0] - height) <= 2
        assert 0.5 * width <= glyphs.stroke_width((a > 0.5).astype(np.uint8)) <= 2.5 * width + 1


def test_every_mark_can_be_drawn():
    rng = np.random.default_rng(1)
    for kind in marks.MARKS:
        a = marks.mark(rng, kind, 30, 30, 2.5)
        assert a.max() > 0.5, kind


def test_judge_inputs_keep_a_faint_mark_fainter_than_its_dark_neighbours():
    gray = np.full((100, 400), 230, np.uint8)
    cv2.rectangle(gray, (100, 30), (110, 70), 20, -1)   # dark
    cv2.rectangle(gray, (150, 30), (160, 70), 170, -1)  # faint
    m, c, s = features.inputs(gray, np.array([[100, 30, 111, 71], [150, 30, 161, 71]]), np.array([0.9, 0.5]))
    assert m.shape == (2, 1, features.MARK, features.MARK) and c.shape == (2, 1) + features.CONTEXT
    assert s.shape == (2, features.SCALARS) and np.isfinite(s).all()
    assert m[0].max() > 0.9 and m[1].max() < 0.5
    assert m[0].max() > 0 and c[1].max() > 0.9  # the faint mark's line holds the dark one


def test_a_mark_at_the_page_edge_gets_inputs():
    gray = np.full((50, 50), 200, np.uint8)
    m, c, s = features.inputs(gray, np.array([[0, 0, 10, 50]]), np.array([1.0]))
    assert np.isfinite(m).all() and np.isfinite(c).all() and m.max() <= 1


@pytest.mark.skipif(not SHIPPED.exists(), reason="no judge model shipped")
def test_the_judge_card_is_checked_on_load(tmp_path):
    shutil.copy(SHIPPED, tmp_path / "judge.onnx")
    card = json.loads(SHIPPED.with_suffix(".json").read_text())
    (tmp_path / "judge.json").write_text(json.dumps({**card, "sha256": "0" * 64}))
    with pytest.raises(ModelError, match="corrupt"):
        Judge(tmp_path / "judge.onnx")
    (tmp_path / "judge.json").write_text(json.dumps({**card, "inputs": "judge-inputs-v0"}))
    with pytest.raises(ModelError, match="expects inputs"):
        Judge(tmp_path / "judge.onnx")


@pytest.mark.skipif(not SHIPPED.exists(), reason="no judge model shipped")
def test_the_judge_gives_a_verdict_per_mark():
    gray = np.full((120, 400), 235, np.uint8)
    cv2.putText(gray, "3", (40, 90), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 2.5, 30, 5)
    why, sure = verdicts(gray, np.array([[40, 30, 90, 95], [200, 40, 240, 90]]), np.array([0.95, 0.6]))
    assert len(why) == 2 and all(w is None or w in ("letter", "printed", "mark", "not-a-digit") for w in why)
    assert ((0 < sure) & (sure <= 1)).all()


def test_train_judge_collects_trains_resumes_and_exports(tmp_path, mnist_dir):
    """A tiny run end to end: shards collected once, a checkpoint per epoch, resumed, a loadable judge."""
    pytest.importorskip("torch")
    from handnum.judge.train import JudgeConfig, train

    cfg = JudgeConfig(out=str(tmp_path / "run"), pages=10, val_pages=10, data=str(mnist_dir), epochs=1, threads=1,
                      workers=1)
    train(cfg, progress=lambda *_: None)
    shards = sorted((tmp_path / "run").rglob("shard-*.npz"))
    assert len(shards) == 2
    stamp = [s.stat().st_mtime for s in shards]
    card = train(JudgeConfig(**{**cfg.__dict__, "epochs": 2, "resume": True}), progress=lambda *_: None)
    assert [s.stat().st_mtime for s in shards] == stamp  # not collected again
    assert [h["epoch"] for h in card["training"]["history"]] == [1, 2]
    judge = Judge(tmp_path / "run" / "judge.onnx")
    assert judge.card["held_out"]["n"] > 0
    gray = np.full((60, 200), 230, np.uint8)
    assert judge(gray, np.array([[10, 10, 30, 50]]), np.array([0.9])).shape == (1, len(KINDS))


@pytest.mark.skipif(not SHIPPED.exists(), reason="no judge model shipped")
@pytest.mark.parametrize("layout", ["scores", "form"])
def test_a_page_with_print_letters_and_marks_reads_only_its_handwritten_digits(layout, mnist_dir):
    """Generated validation page (MNIST test digits, a seed no training uses): with the judge, next to
    nothing but handwritten digits is reported, and the digits read right without it are kept."""
    from handnum import mnist
    from handnum.pipeline import Options, read_image

    m = mnist.load(mnist_dir)
    scene = scenes.draw_scene(9_700_000 + scenes.LAYOUTS.index(layout), (m.test_images, m.test_labels), layout)

    def counts(judge: bool) -> tuple[int, int]:
        right = elsewhere = 0
        for d in read_image(scene.image, options=Options(judge=judge)).digits:
            cx, cy = (d.box[0] + d.box[2]) / 2, (d.box[1] + d.box[3]) / 2
            under = [it for it in scene.items if it.box[0] <= cx < it.box[2] and it.box[1] <= cy < it.box[3]]
            right += any(it.kind == "digit" and it.text == str(d.digit) for it in under)
            elsewhere += bool(under) and not any(it.kind == "digit" for it in under)
        return right, elsewhere

    right_off, false_off = counts(False)
    right_on, false_on = counts(True)
    assert false_on <= 3 and (false_on < false_off or false_off == 0)
    assert right_on >= 0.95 * right_off


def test_the_judge_sees_the_sheet_alone_not_the_desk_around_it():
    from handnum.pipeline import _sheet_alone

    page = np.full((200, 300, 3), 30, np.uint8)          # a dark desk
    page[40:160, 60:240] = 225                            # the sheet on it
    sheet = np.array([[60, 40], [239, 40], [239, 159], [60, 159]], np.int32)
    gray = _sheet_alone(page, sheet)
    assert gray.min() > 200                               # the desk is painted in the paper's colour
    assert np.array_equal(_sheet_alone(page, None), cv2.cvtColor(page, cv2.COLOR_BGR2GRAY))


def test_pages_are_drawn_with_hershey_fonts_where_no_font_package_is_installed(monkeypatch):
    monkeypatch.setattr(glyphs, "font_files", lambda kind: ())
    scene = scenes.draw_scene(5, _fake_digits(), "form")
    assert {it.kind for it in scene.items} >= {"digit", "printed"}


def test_train_judge_refuses_bad_arguments_in_one_line(tmp_path, capsys):
    pytest.importorskip("torch")
    from handnum.cli import main

    assert main(["train-judge", "--out", str(tmp_path / "r"), "--pages", "0"]) != 0
    assert main(["train-judge", "--out", str(tmp_path / "r"), "--init", str(tmp_path / "none.pt")]) != 0
    assert main(["train-judge", "--out", str(tmp_path / "r"), "--data", str(tmp_path / "no-mnist"), "--pages", "10"]) != 0
    assert main(["train-judge", "--out", str(tmp_path / "r"), "--layout", "nowhere"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("handnum: error: ") for line in err)
    assert "Traceback" not in "".join(err)
