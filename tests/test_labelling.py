"""The fast labelling gives OpenCV's and numpy's very numbers."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from handnum.labelling import components, ink_pixels


def _masks():
    rng = np.random.default_rng(0)
    edge = np.zeros((50, 60), np.uint8)
    edge[0, :] = edge[:, -1] = 1           # ink along two borders: the paper's box is smaller
    edge[10:20, 5:9] = 1
    nearly_full = np.ones((50, 60), np.uint8)
    nearly_full[3, 4] = nearly_full[40, 50] = 0
    return [(rng.random((300, 200)) < p).astype(np.uint8) for p in (0.05, 0.5)] + [
        edge, nearly_full, np.ones((5, 7), np.uint8), np.zeros((5, 7), np.uint8), 255 * edge]


@pytest.mark.parametrize("mask", _masks())
def test_components_are_opencvs(mask):
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    m, ours, our_stats, our_centroids = components(mask)
    assert m == n and np.array_equal(ours, labels)
    assert our_stats.dtype == stats.dtype and np.array_equal(our_stats, stats)
    assert np.array_equal(our_centroids, centroids, equal_nan=True)


@pytest.mark.parametrize("mask", _masks())
def test_ink_pixels_are_nonzero(mask):
    ys, xs = ink_pixels(mask)
    ry, rx = np.nonzero(mask)
    assert np.array_equal(ys, ry) and np.array_equal(xs, rx)
