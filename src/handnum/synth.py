"""Synthetic pages for tests, benchmarks and the example: MNIST *test* digits composed on paper,
with their truth in the `handnum eval` format.

    python benchmarks/pages.py --kind clean --pages 30 --out /tmp/pages/clean

Kinds: `clean` (scanned-looking paper), `photo` (tinted paper, lighting gradient, shadow, blur,
noise, slight rotation, JPEG), `clutter` (words, symbols, underlines, circles, crossings-out and
specks beside the numbers), `ruled` (ruled or squared paper, rules crossing digits) and
`touching` (neighbouring digits of a number overlap by up to 15 % of their width).
Truth entries also hold the digit boxes (`digits`) and the boxes of non-digit marks (`marks`).
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from . import mnist

KINDS = ("clean", "photo", "clutter", "ruled", "touching")
WORDS = ["Total", "km", "Nr.", "Sum", "kg", "Tel.", "EUR", "Datum", "Fax", "Anzahl", "page", "Betrag", "ok"]
SYMBOLS = ["+", "-", "=", "/", "x", "%", "*", "#"]
FONTS = ["/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf",
         "/usr/share/fonts/truetype/liberation/LiberationSerif-Italic.ttf",
         "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Oblique.ttf"]


def digit_glyph(img28: np.ndarray, height: int) -> np.ndarray:
    """A tight MNIST digit scaled to `height` px, as alpha in [0, 1]."""
    ys, xs = np.nonzero(img28 > 30)
    crop = img28[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255
    h, w = crop.shape
    width = max(2, round(w * height / h))
    return np.clip(cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC), 0, 1)


def layout_page(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, width: int, height: int,
                touching: bool = False, pitch: int | None = None, space: float = 1.0):
    """Place numbers of MNIST digits in lines.

    Returns alpha (H, W), the truth lines, digit boxes and number boxes. `touching` makes
    neighbours overlap by up to 15 % of their width; `pitch` puts each line's baseline on a
    multiple of it (ruled paper); `space` widens the gaps between numbers (room for clutter).
    """
    alpha = np.zeros((height, width), np.float32)
    lines, digit_boxes, number_boxes = [], [], []
    y = int(rng.integers(30, 80)) if pitch is None else pitch
    while True:
        h = int(rng.integers(24, 80)) if pitch is None else int(pitch * rng.uniform(0.6, 0.95))
        top = y if pitch is None else y - h + int(rng.integers(-3, 4))
        if top + h + 20 > height or top < 0:
            break
        x, numbers = int(rng.integers(20, 120)), []
        for _ in range(int(rng.integers(1, 5))):
            n_digits = int(rng.integers(1, 8))
            picks = rng.integers(len(images), size=n_digits)
            glyphs = [digit_glyph(images[k], int(h * rng.uniform(0.9, 1.05))) for k in picks]
            if x + sum(g.shape[1] for g in glyphs) + int(0.15 * h) * n_digits + 20 > width:
                break
            x_start = x
            for g in glyphs:
                dy = int(rng.integers(0, max(1, h - g.shape[0] + 1)))
                region = alpha[top + dy:top + dy + g.shape[0], x:x + g.shape[1]]
                np.maximum(region, g, out=region)
                digit_boxes.append([x, top + dy, x + g.shape[1], top + dy + g.shape[0]])
                gap = -rng.uniform(0.0, 0.15) * g.shape[1] if touching else h * rng.uniform(0.03, 0.15)
                x += g.shape[1] + int(round(gap))
            number_boxes.append([x_start, top, x, top + h])
            numbers.append("".join(str(labels[k]) for k in picks))
            x += int(h * rng.uniform(1.0, 2.5) * space)
        if numbers:
            lines.append(" ".join(numbers))
        y = y + int(h * rng.uniform(1.5, 2.2)) if pitch is None else y + pitch * int(rng.integers(1, 3))
    return alpha, lines, digit_boxes, number_boxes


def _free(occupied: np.ndarray, box) -> bool:
    x0, y0, x1, y1 = box
    h, w = occupied.shape
    return 0 <= x0 and 0 <= y0 and x1 <= w and y1 <= h and not occupied[y0:y1, x0:x1].any()


def _text_alpha(rng: np.random.Generator, text: str, height: int) -> np.ndarray:
    """A word or symbol in a slanted TrueType font (not the fonts the model was trained on)."""
    from PIL import Image, ImageDraw, ImageFont

    fonts = [f for f in FONTS if Path(f).is_file()]
    font = ImageFont.truetype(fonts[int(rng.integers(len(fonts)))], height) if fonts else ImageFont.load_default()
    x0, y0, x1, y1 = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    img = Image.new("L", (x1 - x0 + 4, y1 - y0 + 4))
    ImageDraw.Draw(img).text((2 - x0, 2 - y0), text, fill=255, font=font)
    return np.asarray(img, np.float32) / 255


def add_clutter(rng: np.random.Generator, alpha: np.ndarray, digit_boxes, number_boxes) -> list:
    """Draw non-digit marks around the numbers; returns their boxes."""
    h, w = alpha.shape
    occupied = np.zeros((h, w), bool)
    for x0, y0, x1, y1 in digit_boxes:
        occupied[max(0, y0 - 4):y1 + 4, max(0, x0 - 4):x1 + 4] = True
    marks = []
    for x0, y0, x1, y1 in number_boxes:
        nh = y1 - y0
        kind = rng.choice(["word", "symbol", "underline", "circle", "cross", "none"], p=[.3, .2, .15, .1, .1, .15])
        mark = np.zeros_like(alpha)
        pen = max(2, nh // 12)
        if kind in ("word", "symbol"):
            text = WORDS[rng.integers(len(WORDS))] if kind == "word" else SYMBOLS[rng.integers(len(SYMBOLS))]
            glyph = _text_alpha(rng, text, int(nh * rng.uniform(0.6, 1.0)))
            gh, gw = glyph.shape
            left = rng.random() < 0.5
            bx = x0 - gw - int(0.6 * nh) if left else x1 + int(0.6 * nh)
            box = [bx, y1 - gh, bx + gw, y1]
            if not _free(occupied, [box[0] - 4, box[1] - 4, box[2] + 4, box[3] + 4]):
                continue
            mark[box[1]:box[3], box[0]:box[2]] = glyph
        elif kind == "underline":
            yy = y1 + max(3, nh // 8)
            if yy + pen >= h:
                continue
            cv2.line(mark, (x0, yy), (x1, yy + int(rng.integers(-3, 4))), 1.0, pen, cv2.LINE_AA)
        elif kind == "circle":
            c = ((x0 + x1) // 2, (y0 + y1) // 2)
            axes = ((x1 - x0) // 2 + nh // 2, int(nh * 0.9))
            cv2.ellipse(mark, c, axes, 0, 0, 360, 1.0, pen, cv2.LINE_AA)
        elif kind == "cross":  # a crossed-out word next to the number
            bx = x1 + int(0.6 * nh)
            box = [bx, y0, bx + 2 * nh, y1]
            if not _free(occupied, box):
                continue
            for _ in range(3):
                p = rng.integers([box[0], box[1]], [box[2], box[3]], (4, 2)).astype(np.int32)
                cv2.polylines(mark, [p], False, 1.0, pen, cv2.LINE_AA)
            cv2.line(mark, (box[0], (y0 + y1) // 2), (box[2], (y0 + y1) // 2 + 5), 1.0, pen, cv2.LINE_AA)
        ys, xs = np.nonzero(mark > 0.3)
        if len(ys):
            marks.append([int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1])
            np.maximum(alpha, mark, out=alpha)
            occupied[ys.min():ys.max() + 1, xs.min():xs.max() + 1] = True
    for _ in range(int(rng.integers(5, 20))):  # specks and dirt
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        r = int(rng.integers(1, 4))
        if _free(occupied, [c[0] - r, c[1] - r, c[0] + r + 1, c[1] + r + 1]):
            cv2.circle(alpha, c, r, float(rng.uniform(0.5, 1.0)), -1)
            marks.append([c[0] - r, c[1] - r, c[0] + r + 1, c[1] + r + 1])
    return marks


def rules_alpha(rng: np.random.Generator, h: int, w: int, pitch: int) -> np.ndarray:
    """Printed rules: ruled paper (with a margin line) or squared paper."""
    rules = np.zeros((h, w), np.float32)
    thick = int(rng.integers(1, 3))
    for y in range(pitch, h, pitch):
        cv2.line(rules, (0, y), (w, y), 1.0, thick)
    if rng.random() < 0.5:  # squared
        step = pitch // 2
        for y in range(step, h, pitch):
            cv2.line(rules, (0, y), (w, y), 1.0, thick)
        for x in range(step, w, step):
            cv2.line(rules, (x, 0), (x, h), 1.0, thick)
    else:
        cv2.line(rules, (int(0.08 * w), 0), (int(0.08 * w), h), 1.0, thick + 1)
    return rules


def render(alpha: np.ndarray, rng: np.random.Generator, kind: str, rules: np.ndarray | None = None) -> np.ndarray:
    """Paper and ink from an alpha map; `photo` adds light, blur, noise and rotation."""
    h, w = alpha.shape
    if kind == "photo":
        paper = np.ones((h, w, 3), np.float32) * np.array([rng.uniform(190, 240), rng.uniform(200, 245),
                                                           rng.uniform(205, 250)], np.float32)
        ink = np.array([rng.uniform(90, 160), rng.uniform(20, 70), rng.uniform(10, 60)], np.float32) \
            if rng.random() < 0.5 else np.array([rng.uniform(15, 50)] * 3, np.float32)
    else:
        paper = np.full((h, w, 3), rng.uniform(235, 252), np.float32)
        ink = np.array([rng.uniform(10, 60)] * 3, np.float32)
    if rules is not None:  # printed lines: light blue or grey, under the ink
        colour = np.array([rng.uniform(150, 220), rng.uniform(120, 180), rng.uniform(90, 170)], np.float32)
        paper = paper * (1 - rules[..., None] * 0.8) + colour * rules[..., None] * 0.8
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


def make_page(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, kind: str,
              width: int, height: int) -> tuple[np.ndarray, dict]:
    """One page of `kind` and its truth entry."""
    if kind not in KINDS:
        raise ValueError(f"unknown page kind {kind!r}; known: {KINDS}")
    pitch = int(rng.integers(40, 70)) if kind == "ruled" else None
    alpha, lines, digits, numbers = layout_page(rng, images, labels, width, height, touching=kind == "touching",
                                                pitch=pitch, space=2.0 if kind == "clutter" else 1.0)
    marks = add_clutter(rng, alpha, digits, numbers) if kind == "clutter" else []
    rules = rules_alpha(rng, height, width, pitch) if pitch else None
    image = render(alpha, rng, "photo" if kind == "photo" else "clean", rules)
    return image, {"lines": lines, "digits": digits, "marks": marks}


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
        image, entry = make_page(rng, test.test_images, test.test_labels, kind, w, h)
        name = f"{kind}_{i:03d}." + ("jpg" if kind == "photo" else "png")
        params = [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 86))] if kind == "photo" else []
        cv2.imwrite(str(out / name), image, params)
        truth[name] = {**entry, "notes": f"generated {kind} page, seed {seed}"}
    (out / "truth.json").write_text(json.dumps(truth))
    return out / "truth.json"
