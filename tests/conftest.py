"""Shared fixtures: paths to ../shared (skipped with a reason when absent) and small drawing helpers."""
from __future__ import annotations

import os
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
MNIST_DIR = SHARED / "mnist"
SHEETS = SHARED / "sheets"
EXAMPLES = ROOT / "examples"

if MNIST_DIR.is_dir() and not os.environ.get("HANDNUM_DATA"):
    os.environ["HANDNUM_DATA"] = str(MNIST_DIR)


def need(path: Path) -> Path:
    """Skip the test, saying why, when a file or folder of ../shared is not here."""
    if not path.exists():
        pytest.skip(f"{path} not found (../shared is absent on this machine)")
    return path


@pytest.fixture
def mnist_dir() -> Path:
    return need(MNIST_DIR)


@pytest.fixture
def sheets_dir() -> Path:
    return need(SHEETS)


@pytest.fixture(scope="session")
def mnist_test():
    """MNIST test digits (skips without them)."""
    from handnum import mnist

    need(MNIST_DIR)
    return mnist.load(MNIST_DIR)


def paper(h: int, w: int, level: int = 235) -> np.ndarray:
    """A blank BGR page."""
    return np.full((h, w, 3), level, np.uint8)


def paste_digit(page: np.ndarray, digit28: np.ndarray, x: int, y: int, height: int, ink=(40, 30, 30)) -> tuple:
    """Draw an MNIST digit (white on black 28×28) onto `page` at (x, y), `height` px tall; return its box."""
    ys, xs = np.nonzero(digit28 > 30)
    crop = digit28[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255
    w = max(2, round(crop.shape[1] * height / crop.shape[0]))
    a = np.clip(cv2.resize(crop, (w, height), interpolation=cv2.INTER_CUBIC), 0, 1)[..., None]
    region = page[y:y + height, x:x + w].astype(np.float32)
    page[y:y + height, x:x + w] = (region * (1 - a) + np.array(ink, np.float32) * a).astype(np.uint8)
    return (x, y, x + w, y + height)


def tiff_claiming(width: int, height: int, **more: int) -> bytes:
    """A real 100×100 TIFF whose first directory claims width×height (and any other tag, as tNNN=value)."""
    data = bytearray(cv2.imencode(".tiff", np.zeros((100, 100), np.uint8))[1].tobytes())
    order = "<" if data[:2] == b"II" else ">"
    offset = struct.unpack(order + "I", data[4:8])[0]
    values = {256: width, 257: height, **{int(k[1:]): v for k, v in more.items()}}
    for k in range(struct.unpack(order + "H", data[offset:offset + 2])[0]):
        e = offset + 2 + 12 * k
        tag = struct.unpack(order + "H", data[e:e + 2])[0]
        if tag in values:  # rewrite as one LONG
            data[e + 2:e + 12] = struct.pack(order + "HII", 4, 1, values[tag])
    return bytes(data)


def make_pdf(pages: list[bytes]) -> bytes:
    """A PDF with one 100×100 pt page per content stream."""
    n = len(pages)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(n)) + b"] /Count %d >>" % n]
    for i, content in enumerate(pages):
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Contents %d 0 R >>" % (4 + 2 * i))
        objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objs):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
