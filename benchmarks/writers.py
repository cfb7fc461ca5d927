"""Handwriting "writers" that are not MNIST: the digits of the Debian handwriting fonts, each rendered
big with random size, stroke width, slant, rotation and elastic distortion, then passed through
`classify.digit_image` so the preprocessing is exactly what reading uses.

The fonts' letters are "not a digit" negatives in base training; their digits never are, so each
font is an unseen writer for the fine-tuning benchmark.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from handnum.classify import digit_image

FONT_GLOBS = ("/usr/share/fonts/opentype/bwht/*.otf", "/usr/share/fonts/truetype/fifthhorseman/dkg*.ttf",
              "/usr/share/fonts/truetype/rufscript/*.ttf")


def writers() -> dict[str, Path]:
    """Writer name (the font file's stem) → font file, for the fonts installed here."""
    found = sorted(p for pattern in FONT_GLOBS for p in Path("/").glob(pattern.lstrip("/")))
    return {p.stem: p for p in found}


def _font(path: Path, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size)


def render(font: Path, digit: int, rng: np.random.Generator) -> np.ndarray:
    """One photo-like gray image (dark ink on light paper) of `digit` written in `font`."""
    from PIL import Image, ImageDraw

    size = int(rng.integers(64, 112))
    f = _font(font, size)
    stroke = int(rng.integers(0, max(1, size // 28) + 1))
    x0, y0, x1, y1 = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), str(digit), font=f, stroke_width=stroke)
    pad = size // 2
    img = Image.new("L", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), 0)
    ImageDraw.Draw(img).text((pad - x0, pad - y0), str(digit), fill=255, font=f, stroke_width=stroke, stroke_fill=255)
    ink = np.asarray(img, np.float32) / 255
    h, w = ink.shape

    # slant and a small rotation (one affine about the centre)
    shear, angle = rng.uniform(-0.35, 0.35), np.deg2rad(rng.uniform(-8, 8))
    c, s = np.cos(angle), np.sin(angle)
    m = np.array([[c, -s + shear, 0], [s, c, 0]], np.float32)
    m[:, 2] = np.array([w / 2, h / 2]) - m[:, :2] @ np.array([w / 2, h / 2])
    ink = cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)

    # elastic distortion: a smooth random displacement field, applied with cv2.remap
    sigma, alpha = size * rng.uniform(0.08, 0.14), size * rng.uniform(0.03, 0.08)
    field = [cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigma) for _ in range(2)]
    field = [f / (np.abs(f).max() + 1e-6) * alpha for f in field]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    ink = cv2.remap(ink, gx + field[0], gy + field[1], cv2.INTER_LINEAR, borderValue=0)

    # a pen thinner or bolder than the font, then paper, ink colour and a little noise
    k = int(rng.integers(-1, 2)) * max(1, size // 40)
    if k:
        op = cv2.dilate if k > 0 else cv2.erode
        ink = op(ink, np.ones((abs(k) + 1, abs(k) + 1), np.uint8))
    paper, pen = rng.uniform(200, 245), rng.uniform(10, 80)
    gray = paper - (paper - pen) * np.clip(ink, 0, 1) + rng.normal(0, 3, ink.shape)
    return np.clip(gray, 0, 255).astype(np.uint8)


def writer_samples(font: Path, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`per_class` samples of each digit: images (N, 28, 28) float32 as reading sees them, labels (N,)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), per_class)
    images = np.stack([digit_image(render(font, int(d), rng)) for d in labels]).astype(np.float32)
    return images, labels
