"""Pieces of touching digits: the samples the piece model is trained on, and what it gains."""
from __future__ import annotations

import numpy as np

from handnum import mnist
from handnum.model import NOT_A_DIGIT, load_model
from handnum.normalize import normalize
from handnum.train import crowd


def test_pieces_are_normalised_labelled_and_reproducible():
    rng = np.random.default_rng(0)
    digits = np.zeros((10, 28, 28), np.uint8)
    for d in range(10):  # stand-ins for MNIST digits: a bar per digit, thicker for higher ones
        digits[d, 4:24, 12 - d // 3:14 + d // 3] = 255
    labels = np.arange(10, dtype=np.uint8)
    x, y = crowd.generate(300, 1, digits, labels, scribbles=0.2, straddles=0.0, swallows=0.1)
    assert x.shape == (300, 28, 28) and x.dtype == np.uint8 and (x.reshape(300, -1).max(1) > 0).all()
    assert set(np.unique(y)) <= set(range(11)) and 0.2 < (y == NOT_A_DIGIT).mean() < 0.4
    x2, y2 = crowd.generate(300, 1, digits, labels, scribbles=0.2, straddles=0.0, swallows=0.1)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    assert (crowd.generate(100, 2, digits, labels, 0.0, 0.0, 0.0, halves=0.0)[1] < NOT_A_DIGIT).all()
    piece, k = crowd.row_piece(rng, digits)
    assert piece.shape == (28, 28) and 0 <= k < 10
    assert crowd.row_piece(rng, digits, mode="swallow", first=1)[1] == -1


def test_digits_written_in_one_stroke_leave_out_the_ink_under_the_next(monkeypatch):
    ring = np.zeros((28, 28), np.uint8)  # stand-in for a 0: a ring
    yy, xx = np.mgrid[:28, :28]
    ring[(abs(np.hypot(yy - 14, xx - 14) - 9) < 2)] = 255
    digits = np.stack([ring] * 3)
    pieces = {}
    for occlude in (0.0, 1.0):
        monkeypatch.setattr(crowd, "OCCLUDE", occlude)
        rng = np.random.default_rng(5)
        pieces[occlude] = [crowd.row_piece(rng, digits)[0] for _ in range(40)]
    ink = {k: np.array([p.sum() for p in v]) for k, v in pieces.items()}
    assert (ink[1.0] <= ink[0.0] + 1e-3).mean() > 0.8  # the same rows, each 0 open where the next begins
    assert (ink[1.0] < 0.95 * ink[0.0]).sum() >= 5  # 7 of 40 when written


def test_runs_of_zeros_are_written_close_and_labelled_zero():
    ring = np.zeros((28, 28), np.uint8)  # stand-in for a 0: a ring; the other "digits" are bars
    yy, xx = np.mgrid[:28, :28]
    ring[(abs(np.hypot(yy - 14, xx - 14) - 9) < 2)] = 255
    bar = np.zeros((28, 28), np.uint8)
    bar[4:24, 12:16] = 255
    digits, labels = np.stack([bar, ring, bar, ring]), np.array([1, 0, 7, 0], np.uint8)
    rng = np.random.default_rng(3)
    for _ in range(20):  # every piece of a run is cut from zeros only, and read as its middle zero
        piece, k = crowd.row_piece(rng, digits, run=np.flatnonzero(labels == 0))
        assert labels[k] == 0 and piece.max() > 0
        half = crowd.half_zero(rng, digits, 1)
        assert half.max() > 0 and half.sum() < 0.8 * normalize(ring.astype(np.float32) / 255).sum()
    x, y = crowd.generate(400, 1, digits, labels, 0.0, 0.0, 0.0, zeros=0.5, halves=0.2)
    assert 0.55 < (y == 0).mean() < 0.75  # half from runs of zeros, and half the rest (2 of 4 digits are 0s)
    assert 0.15 < (y == NOT_A_DIGIT).mean() < 0.25  # halves of a lone zero


def test_the_piece_model_reads_cut_out_digits_better(mnist_dir):
    """On pieces cut from rows of MNIST *test* digits (never trained on), the shipped piece model
    reads the middle digit far more often than the main model, and still reads whole digits."""
    data = mnist.load(str(mnist_dir))
    x, y = crowd.generate(1000, 7, data.test_images, data.test_labels, 0.0, 0.0, 0.0, zeros=0.0, halves=0.0)
    main = load_model()
    pieces = main.piece_model()
    assert pieces is not main
    right = {m: float((m(x.astype(np.float32) / 255).argmax(1) == y).mean()) for m in (main, pieces)}
    assert right[pieces] >= 0.92 and right[pieces] >= right[main] + 0.2, right  # 92.4 % against 65 %
    xz, yz = crowd.generate(500, 8, data.test_images, data.test_labels, 0.0, 0.0, 0.0, zeros=1.0, halves=0.0)
    zeros = float((pieces(xz.astype(np.float32) / 255).argmax(1) == yz).mean())
    assert zeros >= 0.93, zeros  # zeros cut out of runs of zeros ("1CCO"): 95.1 %, the main model 25 %
    rng, pool = np.random.default_rng(9), np.flatnonzero(data.test_labels == 0)
    halves = np.stack([crowd.half_zero(rng, data.test_images, int(rng.choice(pool))) for _ in range(300)])
    assert (pieces(halves).argmax(1) == 0).mean() <= 0.25  # half of a lone 0 is no 0: 17.8 % (before 33.6 %)
    whole = data.test_images[:1000].astype(np.float32) / 255
    assert (pieces(whole).argmax(1) == data.test_labels[:1000]).mean() >= 0.98
