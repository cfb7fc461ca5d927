"""Fine-tuning on a user's own digits: labels from names and folders, sheet-to-truth alignment,
a tiny run that learns what it is taught, and the shipped model never touched."""
from __future__ import annotations

import argparse
import json
import shutil

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the [train] extra (torch) is not installed")

from handnum.errors import DataError, ModelError  # noqa: E402
from handnum.model import NOT_A_DIGIT, SHIPPED, Model, card_path, sha256_file  # noqa: E402
from handnum.train import finetune_cli  # noqa: E402
from handnum.train.finetune import FinetuneConfig, finetune, load_base, weights_from_checkpoint  # noqa: E402
from handnum.train.samples import Sample, SampleSet, align, label_from_name, load_folder, load_sources  # noqa: E402

from .conftest import MNIST_DIR, need, paper, paste_digit  # noqa: E402


def written(text: str, size: int = 80) -> np.ndarray:
    """A photo-like image of `text` written in dark ink on light paper."""
    page = paper(size + 40, size * len(text) + 40)
    cv2.putText(page, text, (20, size + 10), cv2.FONT_HERSHEY_SIMPLEX, size / 30, (40, 30, 30), max(2, size // 12))
    return page


def test_label_from_name():
    from pathlib import Path

    cases = {"test_2_1050_585_4.png": 4, "own_0.png": 0, "four4.png": 4, "7.png": 7, "mark_x.png": NOT_A_DIGIT,
             "x.png": NOT_A_DIGIT, "box.png": None, "IMG_1234.png": None, "nolabel.png": None}
    assert {name: label_from_name(Path(name)) for name in cases} == cases


def test_folder_labels_and_skipped_files(tmp_path):
    (tmp_path / "7").mkdir()
    (tmp_path / "x").mkdir()
    (tmp_path / "more" / "3").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "a_4.png"), written("4"))
    cv2.imwrite(str(tmp_path / "7" / "seven.png"), written("7"))          # sub-folder wins over the name
    cv2.imwrite(str(tmp_path / "7" / "also_2.png"), written("7"))
    cv2.imwrite(str(tmp_path / "x" / "plus.png"), written("+"))
    cv2.imwrite(str(tmp_path / "more" / "3" / "three.jpg"), written("3"))
    cv2.imwrite(str(tmp_path / "IMG_1234.png"), written("5"))             # a photo number, not a label
    cv2.imwrite(str(tmp_path / "blank_5.png"), paper(60, 60))             # no ink at all
    (tmp_path / "broken_3.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (tmp_path / "notes.txt").write_text("my digits")

    got = load_folder(tmp_path)
    assert sorted(s.label for s in got.samples) == [3, 4, 7, 7, NOT_A_DIGIT]
    assert all(s.image.shape == (28, 28) and s.image.dtype == np.float32 and s.image.max() > 0.5 for s in got.samples)
    reasons = {s.source.rsplit("/", 1)[-1]: s.reason for s in got.skipped}
    assert set(reasons) == {"IMG_1234.png", "blank_5.png", "broken_3.png", "notes.txt"}
    assert reasons["IMG_1234.png"].startswith("no label")
    assert reasons["blank_5.png"].startswith("no ink")
    assert reasons["broken_3.png"].startswith("unreadable")
    assert reasons["notes.txt"] == "not an image file"
    with pytest.raises(DataError, match="not found"):
        load_folder(tmp_path / "missing")


def test_align_pairs_matches_substitutions_insertions_deletions():
    assert align([1, 2, 3], [1, 2, 3]) == [(0, 0), (1, 1), (2, 2)]
    assert align([1, 7, 3], [1, 2, 3]) == [(0, 0), (1, 1), (2, 2)]            # substitution pairs up
    assert align([1, 2, 9, 3], [1, 2, 3]) == [(0, 0), (1, 1), (2, None), (3, 2)]  # read-only mark
    assert align([1, 3], [1, 2, 3]) == [(0, 0), (None, 1), (1, 2)]              # truth digit not read
    assert align([], [4]) == [(None, 0)] and align([4], []) == [(0, None)]


def test_sheet_digits_are_aligned_with_the_truth(tmp_path, mnist_test):
    """A synthetic sheet: one drawn digit is not in the truth, one truth digit is not drawn, one is relabelled."""
    drawn = [3, 1, 4, 5, 9, 2, 6, 7, 8, 0]
    truth = "31 0 4 8 9 6 7 8 0"  # 0 added after 31 (not drawn), 5 relabelled 8, 2 left out
    page = paper(220, 1400)
    boxes = {}
    clear = clear_digits(mnist_test)
    for k, d in enumerate(drawn):
        boxes[k] = paste_digit(page, clear[d], 40 + 130 * k, 60, 80)
    folder = tmp_path / "sheets"
    folder.mkdir()
    cv2.imwrite(str(folder / "page.png"), page)
    (folder / "truth.json").write_text(json.dumps({"page.png": {"lines": [truth]}, "gone.png": {"lines": ["1"]}}))

    got = load_sources([str(folder)])  # a --from folder with truth.json is a sheet folder
    (report,) = got.sheets
    assert report["matched"] == 9 and report["skipped_read_only"] == 1 and report["skipped_not_read"] == 1
    assert report["substituted"] >= 1
    assert len(got.samples) == 9
    x_of_5 = boxes[drawn.index(5)][0]
    relabelled = [s for s in got.samples if _near(s.source, x_of_5)]
    assert [s.label for s in relabelled] == [8], "a matched sample takes the TRUTH label"
    assert {s.source for s in got.skipped} >= {"gone.png"}

    (folder / "truth.json").write_text(json.dumps({"page.png": {"lines": ["0000000000"]}}))
    far = load_sources([], [str(folder)])
    assert not far.samples and "alignment unreliable" in far.sheets[0]["skipped"]


def clear_digits(mnist_test) -> dict[int, np.ndarray]:
    """One MNIST test image per digit that the model in use reads with confidence (any model will do)."""
    from handnum.model import load_model

    images, labels = mnist_test.test_images[:500], mnist_test.test_labels[:500]
    probs = load_model()(images.astype(np.float32) / 255)
    return {d: images[int(np.flatnonzero((labels == d) & (probs[:, d] > 0.99))[0])] for d in range(10)}


def _near(source: str, x: int) -> bool:
    x0 = int(source.split("box [")[1].split(",")[0])
    return abs(x0 - x) <= 3


def triangle(rng: np.random.Generator) -> np.ndarray:
    """A hollow triangle, drawn a little differently each time: a shape no digit looks like."""
    s = int(rng.integers(70, 110))
    page = paper(s + 60, s + 60)
    top = (30 + s // 2 + int(rng.integers(-8, 9)), 30)
    left, right = (30 + int(rng.integers(-6, 7)), 30 + s), (30 + s + int(rng.integers(-6, 7)), 30 + s)
    pts = np.array([top, left, right], np.int32)
    cv2.polylines(page, [pts], True, (40, 30, 30), int(rng.integers(4, 9)), cv2.LINE_AA)
    return page


@pytest.fixture(scope="module")
def base_model(tmp_path_factory):
    """A small base model trained here (a few hundred MNIST digits), with its torch weights beside it."""
    from handnum.train.loop import TrainConfig, train

    need(MNIST_DIR)
    out = tmp_path_factory.mktemp("base")
    train(TrainConfig(out=str(out), data=str(MNIST_DIR), epochs=1, batch_size=64, limit=2000, negatives=200,
                      negatives_per_epoch=200, threads=1, eval_limit=200))
    weights_from_checkpoint(out / "checkpoint.pt", out / "digits.pt")
    return out / "digits.onnx"


def test_tiny_finetune_learns_what_it_is_taught(tmp_path, base_model):
    from handnum.classify import digit_image

    shipped = sha256_file(SHIPPED)
    rng = np.random.default_rng(0)
    teach = np.stack([digit_image(triangle(rng)) for _ in range(50)])
    fresh = np.stack([digit_image(triangle(rng)) for _ in range(10)])
    base = Model(base_model)
    assert (base(fresh).argmax(1) == 7).mean() < 0.5, "the base already calls triangles 7: pick another shape"

    user = SampleSet([Sample(x, 7, f"triangle {k}") for k, x in enumerate(teach)])
    cfg = FinetuneConfig(out=str(tmp_path / "ft"), base=str(base_model), data=str(MNIST_DIR), epochs=3, patience=3,
                         lr=5e-4, user_per_epoch=64, replay=3, negative_pool=64, mnist_val=200, eval_limit=200,
                         mnist_tolerance=0.02, marks_tolerance=0.2, threads=1)  # a tiny base: noisy figures
    result = finetune(cfg, user)

    tuned = Model(tmp_path / "ft" / "model.onnx")
    assert ft_epoch(tmp_path) > 0 and (tuned(teach).argmax(1) == 7).all()
    assert (tuned(fresh).argmax(1) == 7).mean() >= 0.8
    card = json.loads((tmp_path / "ft" / "model.json").read_text())
    ft = card["finetune"]
    assert card["base"] == {"path": str(base_model.resolve()), "sha256": sha256_file(base_model)}
    assert ft["samples_per_class"] == {"7": 40} and ft["held_out_per_class"] == {"7": 10}
    assert ft["after"]["user_held_out"]["accuracy"] == 1.0 and ft["before"]["user_held_out"]["n"] == 10
    assert {"mnist_test", "negatives_rejected", "user_all"} <= set(ft["after"]) and ft["onnx_reads_samples"] == "50/50"
    assert result.card["sha256"] == sha256_file(tmp_path / "ft" / "model.onnx")
    load_base(tmp_path / "ft" / "model.onnx")  # model.pt beside it: it can be fine-tuned again
    assert sha256_file(SHIPPED) == shipped, "the shipped model changed"


def ft_epoch(tmp_path) -> int:
    return json.loads((tmp_path / "ft" / "model.json").read_text())["finetune"]["best_epoch"]


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="handnum")
    finetune_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_refuses_to_overwrite_the_shipped_or_base_model(tmp_path):
    digits = tmp_path / "digits"
    cv2.imwrite(str(tmp_path / "a_1.png"), written("1"))
    before = sha256_file(SHIPPED)
    for out in (SHIPPED.parent, SHIPPED.parent / "mine"):
        with pytest.raises(DataError, match="refusing to write into the package's models folder"):
            run_cli("finetune", "--from", str(tmp_path), "--out", str(out))
    assert not (SHIPPED.parent / "mine").exists()

    digits.mkdir()
    shutil.copy(SHIPPED, digits / "model.onnx")  # a base without torch weights, in the folder given as --out
    shutil.copy(card_path(SHIPPED), digits / "model.json")
    with pytest.raises(DataError, match="refusing to overwrite the base model"):
        run_cli("finetune", "--from", str(tmp_path), "--base", str(digits / "model.onnx"), "--out", str(digits))
    with pytest.raises(ModelError, match=r"has no torch weights \(model.pt\); fine-tune from a model trained"):
        run_cli("finetune", "--from", str(tmp_path), "--model", str(digits / "model.onnx"), "--out",
                str(tmp_path / "o"))
    with pytest.raises(DataError, match="nothing to learn from"):
        run_cli("finetune", "--out", str(tmp_path / "o"))
    assert sha256_file(SHIPPED) == before
