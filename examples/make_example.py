"""Compose examples/sheet.jpg (MNIST test digits on a photographed-looking sheet) and its truth.

    HANDNUM_DATA=../shared/data/mnist python examples/make_example.py
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from handnum import mnist
from handnum.synth import layout_page, render

HERE = Path(__file__).parent

if __name__ == "__main__":
    test = mnist.load()
    rng = np.random.default_rng(7)
    alpha, lines, _, _ = layout_page(rng, test.test_images, test.test_labels, 1000, 640)
    image = render(alpha, rng, "photo")
    cv2.imwrite(str(HERE / "sheet.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    (HERE / "truth.json").write_text(json.dumps({"sheet.jpg": {"lines": lines, "notes": "made by make_example.py, seed 7"}}, indent=1) + "\n")
    print("\n".join(lines))
