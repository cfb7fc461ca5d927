"""Synthetic pages for tests, benchmarks and the example: MNIST *test* digits composed on paper,
with their truth in the `handnum eval` format.

    python benchmarks/pages.py --kind clean --pages 30 --out /tmp/pages/clean

Kinds: `clean` (scanned-looking paper), `photo` (tinted paper, lighting gradient, shadow,
blur, noise, slight rotation, JPEG). Numbers have 1–7 digits, digit heights vary by line.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from . import mnist

KINDS = ("clean", "photo")


def digit_glyph(img28: np.ndarray, height: int) -> np.ndarray:
    """A tight MNIST digit scaled to `height` px, as alpha in [0, 1]."""
    ys, xs = np.nonzero(img28 > 30)
    crop = img28[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255
    h, w = crop.shape
    width = max(2, round(w * height / h))
    return np.clip(cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC), 0, 1)


def layout_page(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, width: int, height: int):
    """Place numbers of MNIST digits in lines; returns alpha (H, W) and the truth lines."""
    alpha = np.zeros((height, width), np.float32)
    lines, y = [], int(rng.integers(30, 80))
    while True:
        h = int(rng.integers(24, 80))
        if y + h + 20 > height:
            break
        x, numbers = int(rng.integers(20, 120)), []
        for _ in range(int(rng.integers(1, 5))):
            n_digits = int(rng.integers(1, 8))
            glyphs, text = [], ""
            for _ in range(n_digits):
                k = int(rng.integers(len(images)))
                glyphs.append(digit_glyph(images[k], int(h * rng.uniform(0.9, 1.05))))
                text += str(labels[k])
            total = sum(g.shape[1] for g in glyphs) + int(0.15 * h) * (n_digits - 1)
            if x + total + 20 > width:
                break
            for g in glyphs:
                dy = int(rng.integers(0, max(1, h - g.shape[0] + 1)))
                region = alpha[y + dy:y + dy + g.shape[0], x:x + g.shape[1]]
                np.maximum(region, g, out=region)
                x += g.shape[1] + int(h * rng.uniform(0.08, 0.22))
            numbers.append(text)
            x += int(h * rng.uniform(1.0, 2.5))
        if numbers:
            lines.append(" ".join(numbers))
        y += int(h * rng.uniform(1.5, 2.2))
    return alpha, lines


def render(alpha: np.ndarray, rng: np.random.Generator, kind: str) -> np.ndarray:
    """Paper and ink from an alpha map; `photo` adds light, blur, noise and rotation."""
    h, w = alpha.shape
    if kind == "clean":
        paper = np.full((h, w, 3), rng.uniform(235, 252), np.float32)
        ink = np.array([rng.uniform(10, 60)] * 3, np.float32)
    else:
        paper = np.ones((h, w, 3), np.float32) * np.array([rng.uniform(190, 240), rng.uniform(200, 245),
                                                           rng.uniform(205, 250)], np.float32)
        ink = np.array([rng.uniform(90, 160), rng.uniform(20, 70), rng.uniform(10, 60)], np.float32) \
            if rng.random() < 0.5 else np.array([rng.uniform(15, 50)] * 3, np.float32)
    page = paper * (1 - alpha[..., None]) + ink * alpha[..., None]
    if kind == "photo":
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        a = rng.uniform(0, 2 * np.pi)
        grad = (np.cos(a) * xx / w + np.sin(a) * yy / h)
        light = 1 - rng.uniform(0.15, 0.4) * (grad - grad.min()) / max(float(np.ptp(grad)), 1e-6)
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.2, 0.5) * max(h, w)
        shadow = 1 - rng.uniform(0.1, 0.3) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
        page = page * (light * shadow)[..., None]
        page = cv2.GaussianBlur(page, (0, 0), rng.uniform(0.5, 1.2))
        page += rng.normal(0, rng.uniform(2, 6), page.shape).astype(np.float32)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-3, 3), 1.0)
        page = cv2.warpAffine(page, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    return np.clip(page, 0, 255).astype(np.uint8)


def make_pages(out: Path, kind: str, n: int, seed: int, data: str | None = None) -> Path:
    """Write `n` pages of `kind` and `truth.json` into `out`; return the truth path."""
    if kind not in KINDS:
        raise ValueError(f"unknown page kind {kind!r}; known: {KINDS}")
    test = mnist.load(data)
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    truth = {}
    for i in range(n):
        w, h = int(rng.integers(900, 1700)), int(rng.integers(700, 1300))
        alpha, lines = layout_page(rng, test.test_images, test.test_labels, w, h)
        image = render(alpha, rng, kind)
        name = f"{kind}_{i:03d}." + ("jpg" if kind == "photo" else "png")
        params = [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 86))] if kind == "photo" else []
        cv2.imwrite(str(out / name), image, params)
        truth[name] = {"lines": lines, "notes": f"generated {kind} page, seed {seed}"}
    (out / "truth.json").write_text(json.dumps(truth, indent=1))
    return out / "truth.json"

