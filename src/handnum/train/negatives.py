"""Generated "not a digit" samples: what a page holds besides digits, normalised like real candidates.

Each sample is drawn in page space (a canvas of random size and pen width) and then passed
through the very `normalize` that reading uses, so the model sees negatives exactly as it
will see such marks on a sheet. Kinds: pen scribbles, line fragments, specks and blobs,
letters and short words, symbols, parts of digits and two digits side by side (the last two
from MNIST *training* images only).
"""
from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

from ..normalize import normalize

# Handwriting fonts (Debian: fonts-dkg-handwriting, fonts-bwht, fonts-rufscript): their *letters*
# are negatives; their digits stay out of training (they are the writer-adaptation benchmark).
FONT_DIRS = ("/usr/share/fonts/truetype/fifthhorseman", "/usr/share/fonts/opentype/bwht",
             "/usr/share/fonts/truetype/rufscript")

# Letters that do not look like a handwritten digit (no O, I, l, Z, S, B, G, T, A, a, b, g, q, t, y, ...).
LETTERS = "CEFHKMNPRUVWXcdefhkmnpruvwx"
WORDS = ["Total", "km", "Nr.", "kg", "Tel", "No", "EUR", "cm", "Sum", "mm", "am", "pm", "Fax", "ca.",
         "Name", "Date", "ok", "x", "vs", "etc", "m2", "h", "min", "Mwst", "KM", "Nr"]
# No "/", "|", "(" or "[": alone they look like a slanted or curved "1".
SYMBOLS = ["+", "-", "=", "x", "*", "#", "%", "&", "@", "?", "!", "<", ">", "~", "$"]
FONTS = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
         cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
         cv2.FONT_HERSHEY_PLAIN]
KINDS = ("scribble", "line", "blob", "letter", "word", "symbol", "check", "part", "pair")
WEIGHTS = (0.12, 0.08, 0.08, 0.2, 0.1, 0.1, 0.04, 0.1, 0.18)


def _canvas(rng: np.random.Generator) -> tuple[np.ndarray, int, int]:
    size = int(rng.integers(28, 120))
    pen = max(1, int(round(size * rng.uniform(0.03, 0.12))))
    return np.zeros((size, size), np.uint8), size, pen


@functools.lru_cache(maxsize=1)
def font_files() -> tuple[str, ...]:
    """Handwriting font files found on this machine (used when Pillow is installed)."""
    try:
        import PIL  # noqa: F401
    except ImportError:
        return ()
    return tuple(sorted(str(f) for d in FONT_DIRS for f in Path(d).glob("*.[ot]tf")))


@functools.lru_cache(maxsize=4096)
def _has_glyphs(path: str, text: str) -> bool:
    """False when the font would draw a "missing glyph" box (which looks like a 0) for some character."""
    from PIL import ImageFont

    font = ImageFont.truetype(path, 40)
    missing = font.getmask("\u0378").getbbox()  # an unassigned code point: the font's .notdef box
    return all(c == " " or font.getmask(c).getbbox() != missing for c in text)


def _ttf_text(rng: np.random.Generator, text: str, path: str) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    if not _has_glyphs(path, text):
        return np.zeros((1, 1), np.uint8)  # skipped by `generate`
    font = ImageFont.truetype(path, int(rng.integers(28, 90)))
    x0, y0, x1, y1 = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    img = Image.new("L", (max(1, x1 - x0) + 8, max(1, y1 - y0) + 8))
    ImageDraw.Draw(img).text((4 - x0, 4 - y0), text, fill=255, font=font,
                             stroke_width=int(rng.integers(0, 3)), stroke_fill=255)
    return _shear(np.asarray(img, np.uint8), rng)


def _text(rng: np.random.Generator, text: str, ttf: bool = True) -> np.ndarray:
    fonts = font_files() if ttf else ()
    if ttf and fonts and rng.random() < 0.6:
        return _ttf_text(rng, text, fonts[rng.integers(len(fonts))])
    font = FONTS[rng.integers(len(FONTS))] | (cv2.FONT_ITALIC if rng.random() < 0.3 else 0)
    scale = rng.uniform(0.8, 2.5)
    thick = int(rng.integers(1, 5))
    (w, h), base = cv2.getTextSize(text, font, scale, thick)
    img = np.zeros((h + base + 10, w + 10), np.uint8)
    cv2.putText(img, text, (5, h + 5), font, scale, 255, thick, cv2.LINE_AA)
    return _shear(img, rng)


def _shear(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape
    s = rng.uniform(-0.3, 0.3)
    m = np.float32([[1, s, max(0, -s * h)], [0, 1, 0]])
    return cv2.warpAffine(img, m, (int(w + abs(s) * h) + 1, h))


def _mnist_crop(rng: np.random.Generator, digits: np.ndarray) -> np.ndarray:
    d = digits[rng.integers(len(digits))]
    ys, xs = np.nonzero(d > 40)
    return d[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def draw(kind: str, rng: np.random.Generator, digits: np.ndarray | None = None, fonts: bool = True) -> np.ndarray:
    """Draw one negative of `kind` as a uint8 ink image (ink bright) of arbitrary size."""
    img, size, pen = _canvas(rng)
    if kind == "scribble":
        pts = rng.integers(0, size, (int(rng.integers(5, 9)), 2)).astype(np.int32)
        cv2.polylines(img, [pts], False, 255, pen, cv2.LINE_AA)
    elif kind == "line":  # mostly flat lines (a near-vertical line is a "1")
        angle = rng.uniform(-35, 35) * np.pi / 180
        length = size * rng.uniform(0.6, 1.0) / 2
        c = size / 2
        p0 = (int(c - length * np.cos(angle)), int(c - length * np.sin(angle)))
        p1 = (int(c + length * np.cos(angle)), int(c + length * np.sin(angle)))
        cv2.line(img, p0, p1, 255, pen, cv2.LINE_AA)
        if rng.random() < 0.3:  # crossed-out / double strokes
            off = int(pen * rng.uniform(2, 5))
            cv2.line(img, (p0[0], p0[1] + off), (p1[0], p1[1] + off), 255, pen, cv2.LINE_AA)
    elif kind == "blob":
        if rng.random() < 0.5:
            major = size * rng.uniform(0.15, 0.45)  # round-ish: a thin upright ellipse is a "1"
            axes = (int(major), int(major * rng.uniform(0.5, 1.0)))
            cv2.ellipse(img, (size // 2, size // 2), axes, rng.uniform(0, 180), 0, 360, 255, -1, cv2.LINE_AA)
        else:
            for _ in range(int(rng.integers(2, 12))):  # dirt: a cluster of specks
                r = max(1, int(size * rng.uniform(0.02, 0.08)))
                cv2.circle(img, tuple(int(v) for v in rng.integers(r, size - r, 2)), r, 255, -1)
    elif kind == "letter":
        return _text(rng, LETTERS[rng.integers(len(LETTERS))], ttf=fonts)
    elif kind == "word":
        return _text(rng, WORDS[rng.integers(len(WORDS))], ttf=fonts)
    elif kind == "symbol":
        return _text(rng, SYMBOLS[rng.integers(len(SYMBOLS))], ttf=False)
    elif kind == "check":
        pts = np.array([[0.1, 0.55], [0.4, 0.85], [0.9, 0.1]]) * size + rng.normal(0, size * 0.04, (3, 2))
        cv2.polylines(img, [pts.astype(np.int32)], False, 255, pen, cv2.LINE_AA)
    elif kind == "part" and digits is not None:  # left or right part of a digit
        d = _mnist_crop(rng, digits)
        cut = max(1, int(d.shape[1] * rng.uniform(0.4, 0.6)))
        part = d[:, :cut] if rng.random() < 0.5 else d[:, -cut:]
        return part if part.shape[1] >= 0.45 * part.shape[0] else img  # a thin sliver is a "1"
    elif kind == "pair" and digits is not None:  # two digits side by side, touching or nearly
        a, b = _mnist_crop(rng, digits), _mnist_crop(rng, digits)
        h = max(a.shape[0], b.shape[0])
        gap = int(rng.uniform(-0.2, 0.15) * max(a.shape[1], b.shape[1]))
        img = np.zeros((h + 4, a.shape[1] + b.shape[1] + max(gap, 0) + 4), np.uint8)
        img[2:2 + a.shape[0], 2:2 + a.shape[1]] = a
        x = 2 + a.shape[1] + gap
        region = img[2:2 + b.shape[0], x:x + b.shape[1]]
        np.maximum(region, b[:, :region.shape[1]], out=region)
    return img


def generate(n: int, seed: int, digits: np.ndarray | None = None, fonts: bool = True) -> np.ndarray:
    """`n` normalised negatives, (n, 28, 28) uint8, reproducible from `seed`; `fonts=False` leaves
    out the handwriting fonts' letters (Hershey letters only)."""
    rng = np.random.default_rng(seed)
    kinds = KINDS if digits is not None else KINDS[:-2]
    p = np.array(WEIGHTS[:len(kinds)]) / sum(WEIGHTS[:len(kinds)])
    out = np.zeros((n, 28, 28), np.uint8)
    i = 0
    while i < n:
        ink = draw(kinds[rng.choice(len(kinds), p=p)], rng, digits, fonts).astype(np.float32) / 255
        norm = normalize(ink)
        if norm.max() > 0:
            out[i] = (norm * 255).astype(np.uint8)
            i += 1
    return out


def as_candidates(digits: np.ndarray, seed: int) -> np.ndarray:
    """MNIST digits as a page would show them to the model: drawn larger (and a little blurred)
    on the page, then normalised by reading's own `normalize`. Training on these as well as on
    the originals keeps the model from learning "normalised look = not a digit" (every negative
    passes through `normalize`). Returns (N, 28, 28) uint8."""
    rng = np.random.default_rng(seed)
    out = np.zeros_like(digits)
    for i, d in enumerate(digits):
        size = int(rng.integers(32, 120))
        big = cv2.resize(d, (size, size), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
        if rng.random() < 0.5:
            big = cv2.GaussianBlur(big, (0, 0), rng.uniform(0.3, 1.0) * size / 28)
        out[i] = (normalize(big) * 255).astype(np.uint8)
    return out
