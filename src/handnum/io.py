"""Load and validate inputs: paths, bytes or arrays; images (PNG, JPEG, TIFF, BMP, WebP) and PDF pages.

Every failure is an `ImageError` with a one-line message. The pixel count is checked from
the file header before the whole image is decoded, where the format allows it.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Union

import cv2
import numpy as np

from .errors import ImageError

cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # bad input is our error, not OpenCV's warning

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".pdf"}
MAX_PIXELS = 80_000_000
PDF_DPI = 200
Source = Union[str, os.PathLike, bytes, np.ndarray]


@dataclass
class PageImage:
    """One decoded page: `image` is BGR uint8 (H, W, 3); `page` counts PDF pages from 0."""

    source: str
    page: int
    image: np.ndarray


def sniff(data: bytes) -> str:
    """The format of encoded image bytes from their magic number ('png', 'jpeg', ..., or '')."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[:2] == b"BM":
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:5] == b"%PDF-":
        return "pdf"
    return ""


def header_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """(width, height) read from the header without decoding, or None where unknown."""
    try:
        if kind == "png":
            return struct.unpack(">II", data[16:24])
        if kind == "bmp":
            w, h = struct.unpack("<ii", data[18:26])
            return abs(w), abs(h)
        if kind == "webp" and data[12:16] == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        if kind == "jpeg":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    return None
                marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", data[i + 5:i + 9])
                    return w, h
                i += 2 + length
    except struct.error:
        return None
    return None


def check_pixels(width: int, height: int, max_pixels: int, name: str) -> None:
    if width <= 0 or height <= 0:
        raise ImageError(f"{name}: image has zero size ({width}x{height})")
    if width * height > max_pixels:
        raise ImageError(f"{name}: image too large: {width}x{height} = {width * height / 1e6:.1f} MP "
                         f"(limit {max_pixels / 1e6:.0f} MP, see --max-pixels)")


def as_bgr(image: np.ndarray, name: str = "array") -> np.ndarray:
    """Validate an array and make it BGR uint8; transparent pixels become white paper."""
    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.size == 0 or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ImageError(f"{name}: not an image array (shape {image.shape})")
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    if image.dtype != np.uint8:
        if not np.issubdtype(image.dtype, np.number):
            raise ImageError(f"{name}: unsupported dtype {image.dtype}")
        image = image.astype(np.float64)
        finite = np.isfinite(image)
        image = np.where(finite, image, 0)
        lo, hi = float(image.min()), float(image.max())
        scale = 255.0 if (lo >= 0 and hi <= 1.0) else (255.0 / hi if lo >= 0 and hi > 255 else 1.0)
        image = np.clip(image * scale, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 1:
        return cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        if image[:, :, 3].min() == 255:  # opaque: just drop the alpha channel
            return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        alpha = image[:, :, 3:4].astype(np.float32) / 255
        return (image[:, :, :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(image)


def decode(data: bytes, name: str, max_pixels: int = MAX_PIXELS, dpi: int = PDF_DPI) -> list[PageImage]:
    """Decode encoded bytes into pages (one for an image, one per page for a PDF)."""
    if not data:
        raise ImageError(f"{name}: empty file")
    kind = sniff(data)
    if not kind:
        raise ImageError(f"{name}: not a supported image (PNG, JPEG, TIFF, BMP, WebP or PDF)")
    if kind == "pdf":
        return decode_pdf(data, name, max_pixels, dpi)
    size = header_size(data, kind)
    if size:
        check_pixels(*size, max_pixels, name)
    image = _png_fast(data) if kind == "png" else None
    if image is None:
        # IMREAD_COLOR applies EXIF orientation and gives 8-bit BGR directly; only images that may be
        # transparent (PNG with alpha, WebP, TIFF) are read unchanged, to put them on white paper.
        opaque = kind in ("jpeg", "bmp") or (kind == "png" and len(data) > 25 and data[25] in (0, 2, 3))
        flags = cv2.IMREAD_COLOR if opaque else cv2.IMREAD_UNCHANGED
        image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if image is None:
        raise ImageError(f"{name}: cannot decode {kind.upper()} data (corrupt or truncated)")
    check_pixels(image.shape[1], image.shape[0], max_pixels, name)
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    return [PageImage(name, 0, as_bgr(image, name))]


def _png_fast(data: bytes) -> np.ndarray | None:
    """An 8-bit grey, RGB or RGBA PNG decoded with libspng (pyspng), as BGR(A); None for any other
    PNG, without pyspng, or on a decoding error (OpenCV then decodes it, or says what is wrong).
    libspng undoes the Average and Paeth row filters of photos saved as PNG with SIMD code:
    the 3844×1012 seed photo decodes in ~66 ms against OpenCV's ~104 ms."""
    if len(data) < 26 or data[24] != 8 or data[25] not in (0, 2, 6) or b"eXIf" in data:
        return None  # other depths, palettes and grey with alpha; an EXIF turn is OpenCV's to apply
    try:
        import pyspng

        image = pyspng.load(data, {0: "L", 2: "RGB", 6: "RGBA"}[data[25]])
    except Exception:  # ImportError, or pyspng's RuntimeError on bad data
        return None
    if image.ndim == 2:
        return image
    opaque = image.shape[2] == 3 or image[:, :, 3].min() == 255  # then straight to BGR, one pass
    return cv2.cvtColor(image, cv2.COLOR_RGB2BGR if image.shape[2] == 3 else
                        cv2.COLOR_RGBA2BGR if opaque else cv2.COLOR_RGBA2BGRA)


def decode_pdf(data: bytes, name: str, max_pixels: int = MAX_PIXELS, dpi: int = PDF_DPI) -> list[PageImage]:
    """Render every page of a PDF at `dpi` (lowered for a page that would exceed `max_pixels`)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as e:  # pypdfium2 raises PdfiumError and others
        raise ImageError(f"{name}: cannot open PDF ({e})") from e
    pages = []
    try:
        if len(pdf) == 0:
            raise ImageError(f"{name}: PDF has no pages")
        for i in range(len(pdf)):
            page = pdf[i]
            w_pt, h_pt = page.get_size()
            scale = dpi / 72
            if w_pt * h_pt * scale * scale > max_pixels:
                scale = (max_pixels / max(w_pt * h_pt, 1)) ** 0.5 * 0.999
            bitmap = page.render(scale=scale).to_numpy()
            rgb = bitmap[:, :, :3] if bitmap.ndim == 3 else bitmap
            pages.append(PageImage(name, i, as_bgr(rgb[:, :, ::-1] if rgb.ndim == 3 else rgb, name)))
    except ImageError:
        raise
    except Exception as e:
        raise ImageError(f"{name}: cannot render PDF ({e})") from e
    finally:
        pdf.close()
    return pages


def load(source: Source, max_pixels: int = MAX_PIXELS, name: str | None = None) -> list[PageImage]:
    """Load a path, encoded bytes or an array into a list of pages."""
    if isinstance(source, np.ndarray):
        image = as_bgr(source, name or "array")
        check_pixels(image.shape[1], image.shape[0], max_pixels, name or "array")
        return [PageImage(name or "array", 0, image)]
    if isinstance(source, (bytes, bytearray, memoryview)):
        return decode(bytes(source), name or "bytes", max_pixels)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except IsADirectoryError as e:
            raise ImageError(f"{path}: is a folder") from e
        except OSError as e:
            raise ImageError(f"{path}: cannot read ({e.strerror or e})") from e
        return decode(data, name or str(source), max_pixels)
    raise ImageError(f"cannot read a {type(source).__name__}: give a path, bytes or a numpy array")


def expand_inputs(paths: list[str]) -> Iterator[str]:
    """Expand folders recursively into their image and PDF files (sorted); pass other paths through."""
    for p in paths:
        path = Path(p)
        if p != "-" and path.is_dir():
            yield from (str(f) for f in sorted(path.rglob("*"))
                        if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        else:
            yield p
