"""Result objects: Digit → Number → Line → Page, exported to and loaded from the `handnum/1` JSON.

A parent's box is derived from its children's boxes. Boxes are integer pixel coordinates
of the original image, [x0, y0, x1, y1] with x1 and y1 exclusive.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCHEMA = "handnum/1"
Box = tuple[int, int, int, int]


def union_box(boxes: list[Box]) -> Box:
    """The smallest box holding all `boxes`."""
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _box(values) -> Box:
    x0, y0, x1, y1 = (int(v) for v in values)
    return (x0, y0, x1, y1)


@dataclass
class Digit:
    box: Box
    digit: int
    confidence: float
    top3: list[tuple[int, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"box": list(self.box), "digit": self.digit, "confidence": round(self.confidence, 4),
                "top3": [[d, round(p, 4)] for d, p in self.top3]}

    @classmethod
    def from_dict(cls, d: dict) -> "Digit":
        return cls(_box(d["box"]), int(d["digit"]), float(d["confidence"]),
                   [(int(a), float(b)) for a, b in d.get("top3", [])])


@dataclass
class Number:
    digits: list[Digit]

    @property
    def box(self) -> Box:
        return union_box([d.box for d in self.digits])

    @property
    def text(self) -> str:
        return "".join(str(d.digit) for d in self.digits)

    @property
    def confidence(self) -> float:
        return math.prod(d.confidence for d in self.digits)

    def to_dict(self) -> dict[str, Any]:
        return {"box": list(self.box), "text": self.text, "confidence": round(self.confidence, 4),
                "digits": [d.to_dict() for d in self.digits]}

    @classmethod
    def from_dict(cls, d: dict) -> "Number":
        return cls([Digit.from_dict(x) for x in d["digits"]])


@dataclass
class Line:
    numbers: list[Number]

    @property
    def box(self) -> Box:
        return union_box([n.box for n in self.numbers])

    @property
    def text(self) -> str:
        return " ".join(n.text for n in self.numbers)

    def to_dict(self) -> dict[str, Any]:
        return {"box": list(self.box), "text": self.text, "numbers": [n.to_dict() for n in self.numbers]}

    @classmethod
    def from_dict(cls, d: dict) -> "Line":
        return cls([Number.from_dict(x) for x in d["numbers"]])


@dataclass
class Rejected:
    """A candidate mark that is not reported as a digit, and why."""

    box: Box
    reason: str  # "not-a-digit", "low-confidence", "line", "speck", ...
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {"box": list(self.box), "reason": self.reason, "confidence": round(self.confidence, 4)}

    @classmethod
    def from_dict(cls, d: dict) -> "Rejected":
        return cls(_box(d["box"]), str(d["reason"]), float(d["confidence"]))


@dataclass
class Page:
    source: str
    page: int
    width: int
    height: int
    lines: list[Line] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    elapsed_ms: float = 0.0
    rotation: int = 0
    skew: float = 0.0   # degrees (counter-clockwise) the page was turned by to straighten it
    image: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def numbers(self) -> list[Number]:
        return [n for line in self.lines for n in line.numbers]

    @property
    def digits(self) -> list[Digit]:
        return [d for n in self.numbers for d in n.digits]

    @property
    def text(self) -> str:
        """The lines of numbers, one per text line."""
        return "\n".join(line.text for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "source": self.source, "page": self.page, "width": self.width,
                "height": self.height, "rotation": self.rotation, "skew": round(self.skew, 1), "lines": [ln.to_dict() for ln in self.lines],
                "rejected": [r.to_dict() for r in self.rejected], "elapsed_ms": round(self.elapsed_ms, 1)}

    @classmethod
    def from_dict(cls, d: dict) -> "Page":
        if d.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} object (schema {d.get('schema')!r})")
        return cls(str(d["source"]), int(d["page"]), int(d["width"]), int(d["height"]),
                   [Line.from_dict(x) for x in d["lines"]], [Rejected.from_dict(x) for x in d["rejected"]],
                   float(d.get("elapsed_ms", 0.0)), int(d.get("rotation", 0)), float(d.get("skew", 0.0)))

    def annotate(self, image: np.ndarray | None = None, show_rejected: bool = False) -> np.ndarray:
        """The page image with a green box, digit and confidence per digit and a box per number."""
        from .render import annotate

        base = image if image is not None else self.image
        if base is None:
            raise ValueError("this Page holds no image: pass the image to annotate()")
        return annotate(base, self, show_rejected=show_rejected)
