"""Glyphs for generated pages, as alpha arrays in [0, 1] (ink = 1), tight to their ink.

Handwriting: MNIST *training* digits (test digits on validation pages), and letters, digits and
words from Debian's handwriting fonts and OpenCV's Hershey script, all passed through the same
"pen" (slant, elastic wobble, stroke width), so that a digit and a letter differ by shape, not by
how they were rendered. Printed text: Debian's printed fonts, rendered crisp. Where a font
package is missing, the Hershey fonts stand in, so a page can always be drawn.
"""
from __future__ import annotations

import functools
import glob
from pathlib import Path

import cv2
import numpy as np

from ..normalize import stroke_width

HAND_FONT_GLOBS = ["/usr/share/fonts/truetype/fifthhorseman/*.ttf", "/usr/share/fonts/truetype/breip/*.ttf",
                   "/usr/share/fonts/truetype/femkeklaver/*.ttf", "/usr/share/fonts/truetype/rufscript/*.ttf",
                   "/usr/share/fonts/truetype/humor-sans/*.ttf", "/usr/share/fonts/truetype/sjfonts/*.ttf",
                   "/usr/share/fonts/opentype/bwht/*.otf"]
PRINT_FONT_GLOBS = ["/usr/share/fonts/truetype/dejavu/DejaVu*.ttf", "/usr/share/fonts/truetype/liberation2/*.ttf",
                    "/usr/share/fonts/truetype/noto/NotoSans-*.ttf", "/usr/share/fonts/truetype/noto/NotoSerif-*.ttf",
                    "/usr/share/fonts/opentype/urw-base35/*.otf",
                    "/usr/share/texmf/fonts/opentype/public/lm/lmroman1*-*.otf",
                    "/usr/share/texmf/fonts/opentype/public/lm/lmsans1*-*.otf"]
SYMBOL_FONTS = {"D050000L", "StandardSymbolsPS"}  # urw-base35's dingbats, and Greek for Latin letters: no text
HERSHEY_HAND = [cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX]
HERSHEY_PRINT = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
                 cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_PLAIN]


@functools.lru_cache(maxsize=None)
def font_files(kind: str) -> tuple[str, ...]:
    """Installed font files of a kind ("hand" or "print"); empty where no package is installed."""
    globs = HAND_FONT_GLOBS if kind == "hand" else PRINT_FONT_GLOBS
    return tuple(sorted(f for g in globs for f in glob.glob(g) if Path(f).stem not in SYMBOL_FONTS))


@functools.lru_cache(maxsize=256)
def _font(path: str, px: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, px)


def tight(alpha: np.ndarray) -> np.ndarray:
    """`alpha` cropped to its ink (a 1×1 blank where there is none)."""
    ys, xs = np.nonzero(alpha > 0.15)
    if len(ys) == 0:
        return np.zeros((1, 1), np.float32)
    return alpha[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def font_text(path: str | None, text: str, px: int, hershey: int = cv2.FONT_HERSHEY_SIMPLEX) -> np.ndarray:
    """`text` in the font file `path` (or the Hershey font `hershey` where path is None) at `px` px."""
    if path is None:
        scale = px / 30
        thick = max(1, round(px / 14))
        (w, h), base = cv2.getTextSize(text, hershey, scale, thick)
        img = np.zeros((h + base + 2 * thick + 4, w + 2 * thick + 4), np.uint8)
        cv2.putText(img, text, (thick + 2, h + thick + 2), hershey, scale, 255, thick, cv2.LINE_AA)
        return tight(img.astype(np.float32) / 255)
    from PIL import Image, ImageDraw

    font = _font(path, px)
    x0, y0, x1, y1 = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    img = Image.new("L", (max(1, x1 - x0 + 4), max(1, y1 - y0 + 4)))
    ImageDraw.Draw(img).text((2 - x0, 2 - y0), text, fill=255, font=font)
    return tight(np.asarray(img, np.float32) / 255)


def pen(rng: np.random.Generator, alpha: np.ndarray, height: int, width_px: float) -> np.ndarray:
    """Write `alpha` by hand: slant, elastic wobble, a pen `width_px` wide, scaled to `height` px."""
    a = cv2.copyMakeBorder(alpha.astype(np.float32), 6, 6, 6, 6, cv2.BORDER_CONSTANT, value=0)
    a = cv2.resize(a, None, fx=64 / a.shape[0], fy=64 / a.shape[0], interpolation=cv2.INTER_LINEAR)
    h, w = a.shape
    shear = rng.uniform(-0.35, 0.35)
    m = np.float32([[1, shear, -shear * h / 2 + h * 0.3], [0, 1, 0]])
    a = cv2.warpAffine(a, m, (w + int(0.6 * h), h))
    h, w = a.shape
    sigma, amp = rng.uniform(5, 9), rng.uniform(0.0, 1.2)  # elastic: smooth random displacement
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * amp * sigma
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * amp * sigma
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    a = tight(cv2.remap(a, gx + dx, gy + dy, cv2.INTER_LINEAR))
    if a.shape[0] < 2:
        return a
    out_h = max(4, int(height))
    a = cv2.resize(a, (max(2, round(a.shape[1] * out_h / a.shape[0])), out_h), interpolation=cv2.INTER_AREA)
    ink = (a > rng.uniform(0.3, 0.55)).astype(np.uint8)
    width = stroke_width(ink)
    step = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    if width_px > width + 1:  # a broader pen
        ink = cv2.dilate(ink, step, iterations=int(round((width_px - width) / 2)))
    elif width > 2 * width_px and width > 3:  # a finer pen, where thinning keeps the strokes
        thinner = cv2.erode(ink, step)
        ink = thinner if thinner.sum() > 0.4 * ink.sum() else ink
    a = cv2.GaussianBlur(ink.astype(np.float32), (0, 0), 0.5 + 0.03 * width_px)
    return tight(np.clip(a * rng.uniform(1.0, 1.4), 0, 1))


def mnist_digit(img28: np.ndarray) -> np.ndarray:
    """An MNIST digit as alpha, tight to its ink."""
    return tight(img28.astype(np.float32) / 255)


class Hand:
    """One writer: a font (or MNIST for digits), a slant habit, a pen width, an ink strength."""

    def __init__(self, rng: np.random.Generator, digits: tuple[np.ndarray, np.ndarray], height: float):
        self.rng = rng
        self.images, self.labels = digits
        fonts = font_files("hand")
        self.font = fonts[int(rng.integers(len(fonts)))] if fonts and rng.random() < 0.85 else None
        self.hershey = HERSHEY_HAND[int(rng.integers(len(HERSHEY_HAND)))]
        self.height = height
        self.width = max(1.0, height * np.exp(rng.uniform(np.log(0.025), np.log(0.14))))  # fine to broad pens
        self.mnist_share = rng.uniform(0.4, 1.0)  # the rest of the digits come from the writer's font

    def _size(self, scale: float = 1.0) -> int:
        return max(6, int(self.height * scale * self.rng.uniform(0.88, 1.1)))

    def digit(self, label: int) -> np.ndarray:
        if self.rng.random() < self.mnist_share:
            pool = np.flatnonzero(self.labels == label)
            src = mnist_digit(self.images[pool[int(self.rng.integers(len(pool)))]])
        else:
            src = self._coarse(font_text(self.font, str(label), 64, self.hershey))
        return pen(self.rng, src, self._size(), self.width)

    def _coarse(self, alpha: np.ndarray) -> np.ndarray:
        """Most font glyphs pass through MNIST's own resolution (about 20 px tall), as MNIST digits did:
        a letter and a digit must not be told apart by how they were rendered."""
        if self.rng.random() < 0.3 or alpha.shape[0] < 8:
            return alpha
        k = self.rng.uniform(16, 26) / alpha.shape[0]
        small = cv2.resize(alpha, (max(1, round(alpha.shape[1] * k)), max(1, round(alpha.shape[0] * k))),
                           interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (alpha.shape[1], alpha.shape[0]), interpolation=cv2.INTER_LINEAR)

    def word(self, text: str, scale: float = 1.0) -> np.ndarray:
        """A word (letters, or any text) in the writer's hand; lowercase letters are smaller than digits."""
        small = text.islower() and not any(c in "bdfhklt" for c in text)
        px = self._size(scale * (0.65 if small else 1.0))
        return pen(self.rng, self._coarse(font_text(self.font, text, 64, self.hershey)), px, self.width)


def print_font(rng: np.random.Generator) -> str | None:
    """A random installed printed font; None where none is installed."""
    fonts = font_files("print")
    return fonts[int(rng.integers(len(fonts)))] if fonts else None


def printed(rng: np.random.Generator, text: str, px: int, font: str | None = None) -> np.ndarray:
    """Printed `text`, crisp, in `font` (default: a random printed font)."""
    font = print_font(rng) if font is None else font
    if font is None:
        return font_text(None, text, px, HERSHEY_PRINT[int(rng.integers(len(HERSHEY_PRINT)))])
    return font_text(font, text, px)
