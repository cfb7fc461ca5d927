"""Generated pages with exact truth, for training and validating the judge.

A scene is a page where people write numbers — plain paper, a notebook, an answer table, a mark
sheet or score card, a form, maths, a sticky note, a list in a column, numbers written close, a grid
of marks under printed question numbers — with handwritten numbers among printed text,
handwritten words and marks, then photographed or scanned (paper tint, light, shadow, blur, noise,
JPEG). Every drawn object is an `Item` with its box and kind, so any box a reader finds can be
labelled (`label_boxes`). Deterministic by seed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from . import glyphs, layouts
from .model import KINDS  # what the judge tells apart; "other": none of these

LAYOUTS = ("plain", "digits", "notebook", "table", "scores", "form", "maths", "note", "column", "close",
           "marksheet")


@dataclass
class Item:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive) in page pixels
    kind: str                       # one of KINDS[:-1]
    text: str = ""                  # the digit of a handwritten digit; the text of a word or label
    number: int = -1                # the handwritten number a digit belongs to (its digits share it)


@dataclass
class Canvas:
    """Three layers of ink being drawn on: handwriting, print, printed lines."""

    height: int
    width: int
    items: list[Item] = field(default_factory=list)
    numbers: int = 0  # handwritten numbers drawn so far

    def __post_init__(self):
        self.hand = np.zeros((self.height, self.width), np.float32)
        self.print = np.zeros_like(self.hand)
        self.lines = np.zeros_like(self.hand)
        self.back = np.zeros_like(self.hand)  # print on the back of the sheet, showing through: not marks to read

    def put(self, alpha: np.ndarray, x: int, y: int, kind: str | None, text: str = "", layer: str = "hand",
            number: int = -1):
        """Draw `alpha` with its top-left at (x, y); returns its box, or None where it does not fit."""
        h, w = alpha.shape
        x, y = int(x), int(y)
        if x < 0 or y < 0 or x + w > self.width or y + h > self.height or h < 2 or w < 1:
            return None
        target = getattr(self, layer)[y:y + h, x:x + w]
        np.maximum(target, alpha.astype(np.float32), out=target)
        box = (x, y, x + w, y + h)
        if kind:
            self.items.append(Item(box, kind, text, number))
        return box

    def number(self, hand: glyphs.Hand, text: str, x: int, baseline: int, gap: float = 0.12, new: bool = True,
               spacing: tuple[float, float] | None = None):
        """Handwritten digits of `text` left to right, bottoms near `baseline`; returns the right edge.
        `new=False`: they go on the number drawn last (one digit per box of a form field). `spacing`:
        the range of the space between digits, in digit heights (default: -0.08 to gap + 0.15)."""
        low, high = spacing or (-0.08, gap + 0.15)
        self.numbers += new
        for ch in text:
            g = hand.digit(int(ch))
            y = baseline - g.shape[0] + int(hand.rng.normal(0, 0.04) * hand.height)
            if self.put(g, x, y, "digit", ch, number=self.numbers - 1) is None:
                return x
            x += g.shape[1] + int(hand.height * hand.rng.uniform(low, high))
        return x


@dataclass
class Scene:
    image: np.ndarray   # BGR uint8
    items: list[Item]
    layout: str


def random_number(rng: np.random.Generator) -> str:
    n = int(rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5, 7, 10]))
    return "".join(str(d) for d in rng.integers(0, 10, n))


def draw_scene(seed: int, digits: tuple[np.ndarray, np.ndarray], layout: str | None = None) -> Scene:
    """The page of `seed`: a layout drawn with `digits` (MNIST images, labels), then photographed."""
    rng = np.random.default_rng(seed)
    layout = layout or LAYOUTS[int(rng.integers(len(LAYOUTS)))]
    width = int(rng.integers(900, 2000))
    canvas = Canvas(int(width * rng.uniform(0.7, 1.45)), width)
    getattr(layouts, layout)(rng, canvas, lambda h: glyphs.Hand(rng, digits, h), random_number)
    if rng.random() < 0.15:
        back = Canvas(canvas.height, canvas.width)
        layouts.paragraph(rng, back, 20, int(rng.integers(20, canvas.height // 2)), canvas.width - 40,
                          int(rng.integers(14, 30)), int(rng.integers(4, 16)))
        canvas.back = np.fliplr(back.print) * rng.uniform(0.08, 0.3)
    return Scene(photograph(rng, canvas, layout == "note"), canvas.items, layout)


def photograph(rng: np.random.Generator, c: Canvas, note: bool = False) -> np.ndarray:
    """The drawn page as a scan or a phone photo: paper and ink colours, light, shadow, blur, noise, JPEG."""
    h, w = c.height, c.width
    paper = np.array([rng.uniform(200, 255)] * 3) - rng.uniform(0, 25, 3) * (rng.random() < 0.5)
    if note:
        paper = np.array([rng.uniform(90, 200), rng.uniform(200, 255), rng.uniform(200, 255)])
    hand_ink = np.array([rng.uniform(90, 200), rng.uniform(0, 60), rng.uniform(0, 40)]) if rng.random() < 0.4 \
        else np.full(3, rng.uniform(0, 60))
    print_ink = np.full(3, rng.uniform(0, 50))
    if rng.random() < 0.3:  # forms and mark sheets are often printed in red, blue or green
        print_ink = rng.permutation([rng.uniform(150, 230), rng.uniform(0, 90), rng.uniform(0, 90)])
    line_ink = np.array([rng.uniform(120, 220), rng.uniform(100, 200), rng.uniform(60, 200)]) if rng.random() < 0.5 \
        else np.full(3, rng.uniform(0, 120))
    img = np.ones((h, w, 3), np.float32) * paper
    for alpha, ink, strength in ((c.back, print_ink, 1.0), (c.lines, line_ink, rng.uniform(0.5, 1)), (c.print, print_ink, rng.uniform(0.8, 1)),
                                 (c.hand, hand_ink, rng.uniform(0.55, 1))):
        a = (alpha * strength)[..., None]
        img = img * (1 - a) + ink * a
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1 + rng.uniform(-0.25, 0.1) * ((xx / w - rng.uniform()) ** 2 + (yy / h - rng.uniform()) ** 2)
    if rng.random() < 0.35:  # a shadow across part of the page
        a, b = rng.uniform(-1, 1, 2)
        light *= np.where(a * (xx / w - 0.5) + b * (yy / h - 0.5) > rng.uniform(-0.3, 0.3), rng.uniform(0.55, 0.85), 1.0)
    if rng.random() < 0.3:  # a phone's vignette: darker corners
        light *= 1 - rng.uniform(0.1, 0.45) * (((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2) ** rng.uniform(1, 2)
    if rng.random() < 0.25:  # a dim photo: less light, less contrast
        light *= rng.uniform(0.4, 0.75)
    img = img * light[..., None]
    if rng.random() < 0.6:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.4))
    img = img + rng.normal(0, rng.uniform(0, 6), img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 95))])
        img = cv2.imdecode(enc, cv2.IMREAD_COLOR)
    return img


def label_boxes(items: list[Item], boxes: np.ndarray) -> np.ndarray:
    """The kind index (into KINDS) of each box a reader found: "digit" where most of it lies on
    handwritten digits (a piece or a merge of digits counts), else the kind of the item it lies on
    most, else "other"."""
    out = np.full(len(boxes), KINDS.index("other"), np.int64)
    if not len(items) or not len(boxes):
        return out
    ib = np.array([it.box for it in items], np.float64)
    kinds = np.array([KINDS.index(it.kind) for it in items])
    b = np.asarray(boxes, np.float64)
    ix = np.clip(np.minimum(b[:, None, 2], ib[None, :, 2]) - np.maximum(b[:, None, 0], ib[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(b[:, None, 3], ib[None, :, 3]) - np.maximum(b[:, None, 1], ib[None, :, 1]), 0, None)
    share = ix * iy / np.maximum(1.0, ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))[:, None])
    on_digits = (share * (kinds == 0)).sum(1)
    best = share.argmax(1)
    for i in range(len(b)):
        if on_digits[i] >= 0.5:
            out[i] = 0
        elif share[i, best[i]] >= 0.4:
            out[i] = kinds[best[i]]
    return out
