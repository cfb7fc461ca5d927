"""MNIST-style normalisation: 20×20 box, 28×28 canvas, centre of mass, stroke width."""
from __future__ import annotations

import cv2
import numpy as np

from handnum.normalize import center_of_mass, members, normalize, stroke_width


def bbox(img, t=0.05):
    ys, xs = np.nonzero(img > t)
    return ys.min(), ys.max() + 1, xs.min(), xs.max() + 1


def test_empty_crop_gives_zeros():
    assert normalize(np.zeros((30, 40))).max() == 0


def test_fits_20_box_and_centres_mass():
    ink = np.zeros((200, 100), np.float32)
    cv2.rectangle(ink, (20, 20), (70, 180), 1.0, 12)
    out = normalize(ink)
    assert out.shape == (28, 28) and out.dtype == np.float32 and out.max() == 1.0
    y0, y1, x0, x1 = bbox(out, 0.3)
    assert 19 <= y1 - y0 <= 22 and x1 - x0 < 14  # keeps the aspect ratio
    ys, xs = np.indices(out.shape)
    assert abs((ys * out).sum() / out.sum() - 13.5) < 0.6 and abs((xs * out).sum() / out.sum() - 13.5) < 0.6


def test_thin_strokes_are_thickened():
    ink = np.zeros((300, 300), np.float32)
    cv2.circle(ink, (150, 150), 120, 1.0, 2)  # a 2-px pen on a 240-px "0"
    thin = normalize(ink, thicken=False)
    thick = normalize(ink)
    assert (thick > 0.5).sum() > 1.5 * (thin > 0.5).sum()
    width = stroke_width((thick > 0.5).astype(np.uint8))
    assert 1.6 <= width <= 3.5  # MNIST strokes are about 2-3 px


def test_stroke_width_of_a_bar():
    mask = np.zeros((100, 100), np.uint8)
    mask[10:90, 40:46] = 1
    assert abs(stroke_width(mask) - 6) < 1.0


def test_center_of_mass_moves_a_dot_to_the_centre():
    img = np.zeros((28, 28), np.float32)
    img[3:6, 3:6] = 1
    out = center_of_mass(img)
    ys, xs = np.nonzero(out > 0.5)
    assert abs(ys.mean() - 13.5) < 1 and abs(xs.mean() - 13.5) < 1


def test_center_of_mass_of_a_batch_is_that_of_each_image():
    imgs = np.zeros((3, 28, 28), np.float32)
    imgs[0, 3:6, 3:9] = 1
    imgs[2] = np.random.default_rng(0).random((28, 28))  # imgs[1] blank: it stays blank
    out = center_of_mass(imgs)
    assert out.shape == imgs.shape and not out[1].any()
    for img, one in zip(imgs, out):
        assert np.array_equal(center_of_mass(img), one)


def test_members_is_isin():
    labels = np.random.default_rng(0).integers(0, 20, (9, 7)).astype(np.int32)
    for group in ([], [3], [1, 4, 5], list(range(2, 14))):  # the last: a mark of many pieces
        assert np.array_equal(members(labels, group), np.isin(labels, group))
