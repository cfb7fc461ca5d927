"""Load and validate inputs: paths, bytes or arrays; images (PNG, JPEG, TIFF, BMP, WebP, GIF) and PDF pages.

Every failure is an `ImageError` with a one-line message. Before any pixel is decoded, the
file's header says how large it is (`headers.read_header`): more than `max_pixels`, or a decoder
that would need more than `DECODE_BYTES_PER_PIXEL` × `max_pixels` bytes, is refused. A PDF is
opened, not rendered: `open_source` gives its pages one at a time, each rendered when asked for.
"""
from __future__ import annotations

import contextlib
import mmap
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import cv2
import numpy as np

from .errors import ImageError
from .headers import SUPPORTED, Header, read_header, sniff

cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # bad input is our error, not OpenCV's warning

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".pdf"}
MAX_PIXELS = 80_000_000
MAX_PAGES = 5000              # pages of one PDF: more is refused before any is rendered (see --max-pages)
DECODE_BYTES_PER_PIXEL = 10   # a decoder may use this many bytes per pixel of max_pixels (800 MB at 80 MP)
BAND_BYTES = 1 << 22          # rows converted at a time when putting a transparent page on white paper
PDF_DPI = 200
Source = Union[str, os.PathLike, bytes, np.ndarray]
__all__ = ["sniff", "read_header", "Header", "SUPPORTED"]


@dataclass
class PageImage:
    """One decoded page: `image` is BGR uint8 (H, W, 3); `page` counts PDF pages from 0."""

    source: str
    page: int
    image: np.ndarray


def header_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """(width, height) read from the header without decoding, or None where unknown."""
    header = read_header(data, kind)
    return (header.width, header.height) if header else None


def check_pixels(width: int, height: int, max_pixels: int, name: str) -> None:
    if width <= 0 or height <= 0:
        raise ImageError(f"{name}: image has zero size ({width}x{height})")
    if width * height > max_pixels:
        raise ImageError(f"{name}: image too large: {width}x{height} = {width * height / 1e6:.1f} MP "
                         f"(limit {max_pixels / 1e6:.0f} MP, see --max-pixels)")


def check_header(header: Header, max_pixels: int, name: str, held: int = 0) -> None:
    """Refuse an image, before decoding it, for its size or for the memory its decoder would need
    (`held`: bytes of the file already in memory)."""
    check_pixels(header.width, header.height, max_pixels, name)
    need, budget = header.decode_bytes + held, DECODE_BYTES_PER_PIXEL * max_pixels
    if need > budget:
        what = f"{8 * header.sample_bytes}-bit{' with alpha' if header.alpha else ''} {header.kind.upper()}"
        raise ImageError(f"{name}: image too large to decode: {header.width}x{header.height} {what} needs about "
                         f"{need / 1e6:.0f} MB (limit {budget / 1e6:.0f} MB, {DECODE_BYTES_PER_PIXEL} bytes a "
                         f"pixel of --max-pixels)")


_quiet = {"depth": 0, "saved": -1}
_quiet_lock = threading.Lock()


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null while decoders run: libpng, libjpeg, libtiff and OpenCV
    print their own complaints about a bad file there, before ours. Process-wide: another thread's
    stderr output during a decode is lost too (nested and concurrent uses share one redirection)."""
    with _quiet_lock:
        if _quiet["depth"] == 0:
            try:
                sys.stderr.flush()
            except (AttributeError, OSError, ValueError):
                pass
            saved = os.dup(2)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            os.close(null)
            _quiet["saved"] = saved
        _quiet["depth"] += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet["depth"] -= 1
            if _quiet["depth"] == 0:
                os.dup2(_quiet["saved"], 2)
                os.close(_quiet["saved"])


def on_white(image: np.ndarray, reuse: bool = False) -> np.ndarray:
    """(H, W, 2|4) grey or BGR with alpha, uint8 or uint16 → (H, W, 3) uint8 BGR on white paper.

    Rows go a band at a time (a few MB of temporaries, never float copies of the page).
    `reuse`: `image` is a decoder's own buffer, never used again: the result is written into it
    and the buffer shrunk, so a transparent page costs no more memory than its decoding."""
    h, w, c = image.shape
    in_place = (reuse and image.flags.c_contiguous and image.flags.owndata and image.base is None
                and c * image.itemsize >= 3)  # each band's output then ends before the next band's input
    flat = image.reshape(-1).view(np.uint8) if in_place else None
    out = flat[:h * w * 3].reshape(h, w, 3) if in_place else np.empty((h, w, 3), np.uint8)
    step = max(1, BAND_BYTES // (w * c * image.itemsize))
    for r in range(0, h, step):
        band = image[r:r + step]
        if band.dtype != np.uint8:
            band = (band >> 8).astype(np.uint8)
        colour = band[..., :c - 1].astype(np.uint16)
        alpha = band[..., c - 1:].astype(np.uint16)
        result = ((colour * alpha + 255 * (255 - alpha)) // 255).astype(np.uint8)  # exact, ≤ 65025
        out[r:r + step] = result if c == 4 else result.repeat(3, axis=2)
    if not in_place:
        return out
    del band, flat, out  # no view of the buffer may outlive the resize
    image.resize((-(-h * w * 3 // image.itemsize),), refcheck=False)  # realloc: the tail is released
    return image.view(np.uint8)[:h * w * 3].reshape(h, w, 3)


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
        return on_white(image)
    return np.ascontiguousarray(image)


def decode_image(data: bytes, header: Header, name: str, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode an image whose header passed `check_header` into BGR uint8 (H, W, 3)."""
    kind = header.kind
    image = _png_fast(data) if kind == "png" else None
    if image is None:
        # IMREAD_COLOR applies EXIF orientation and gives 8-bit BGR of any depth, row by row; only
        # images that may be transparent are read unchanged, to put them on white paper
        flags = cv2.IMREAD_UNCHANGED if header.alpha else cv2.IMREAD_COLOR
        try:
            with quiet_stderr():
                image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
        except cv2.error as e:
            raise ImageError(f"{name}: cannot decode {kind.upper()} data ({_cv_reason(e)})") from e
    if image is None:
        raise ImageError(f"{name}: cannot decode {kind.upper()} data (corrupt or truncated)")
    check_pixels(image.shape[1], image.shape[0], max_pixels, name)
    if image.ndim == 3 and image.shape[2] in (2, 4):
        if image[:, :, -1].min() == np.iinfo(image.dtype).max:  # opaque after all: drop the alpha
            image = image[:, :, :1].repeat(3, axis=2) if image.shape[2] == 2 else image[:, :, :3]
        else:
            return on_white(image, reuse=True)
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    return as_bgr(image, name)


def _cv_reason(e: cv2.error) -> str:
    """The gist of an OpenCV error: its last line, without the source path."""
    text = " ".join(str(e).split())
    return text.split(") ", 2)[-1][:200] if ") " in text else text[:200]


def _png_fast(data: bytes) -> np.ndarray | None:
    """A PNG decoded with libspng (pyspng), as BGR or BGRA uint8; None where OpenCV should decode it
    (palettes, depths other than 8 without an alpha channel, transparency by a tRNS chunk, an EXIF
    turn to apply), without pyspng, or on a decoding error
    (OpenCV then decodes it, or says what is wrong). Any PNG with alpha comes out as 8-bit RGBA
    (libspng narrows 16-bit rows as it goes: 4 bytes a pixel where OpenCV would hold 8).
    libspng undoes the Average and Paeth row filters of photos saved as PNG with SIMD code:
    the 3844×1012 seed photo decodes in ~66 ms against OpenCV's ~104 ms."""
    if len(data) < 26 or b"eXIf" in data or not (data[25] in (4, 6) or (data[24] == 8 and data[25] in (0, 2))):
        return None  # libspng would ignore a tRNS chunk: OpenCV applies it
    try:
        import pyspng

        with quiet_stderr():
            image = pyspng.load(data, {0: "L", 2: "RGB", 4: "RGBA", 6: "RGBA"}[data[25]])
    except Exception:  # ImportError, or pyspng's RuntimeError on bad data
        return None
    if image.ndim == 2:
        return image
    if image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2BGR, dst=image)  # in place: no second copy of the page
    return cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA, dst=image)


class Pages:
    """An opened input: `len(pages)` pages, each decoded or rendered only when asked for
    (`pages[i]`, or iterating). Close it (or use `with`) to release a PDF."""

    def __init__(self, name: str, count: int, get: Callable[[int], PageImage], close: Callable[[], None] = lambda: None):
        self.name, self.count, self._get, self._close = name, count, get, close

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> PageImage:
        if not 0 <= i < self.count:
            raise IndexError(f"page {i} out of range: {self.name:.80} has {self.count} page(s)")
        return self._get(i)

    def __iter__(self) -> Iterator[PageImage]:
        return (self[i] for i in range(self.count))

    def close(self) -> None:
        self._close()

    def __enter__(self) -> "Pages":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_source(source: Source, max_pixels: int = MAX_PIXELS, name: str | None = None,
                max_pages: int = MAX_PAGES, dpi: int = PDF_DPI) -> Pages:
    """Open a path, encoded bytes or an array: check its header now, decode its pages when asked for."""
    if isinstance(source, np.ndarray):
        image = as_bgr(source, name or "array")
        check_pixels(image.shape[1], image.shape[0], max_pixels, name or "array")
        return Pages(name or "array", 1, lambda i: PageImage(name or "array", 0, image))
    if isinstance(source, (bytes, bytearray, memoryview)):
        return open_bytes(bytes(source), name or "bytes", max_pixels, max_pages, dpi)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = name or str(source)
        try:
            with open(path, "rb") as f:
                if f.read(5) == b"%PDF-":  # pdfium reads what it needs of the file itself
                    from .pdf import open_pdf

                    return open_pdf(str(path), name, max_pixels, max_pages, dpi)
                f.seek(0)
                _refuse_early(f, name, max_pixels)
                data = f.read()
        except IsADirectoryError as e:
            raise ImageError(f"{path}: is a folder") from e
        except OSError as e:
            raise ImageError(f"{path}: cannot read ({e.strerror or e})") from e
        return open_bytes(data, name, max_pixels, max_pages, dpi)
    raise ImageError(f"cannot read a {type(source).__name__}: give a path, bytes or a numpy array")


def _refuse_early(f, name: str, max_pixels: int) -> None:
    """Check a regular file's header through a memory map, before reading the whole file: a
    10 GB file, or one whose header claims too much, is refused without being read."""
    size = os.fstat(f.fileno()).st_size
    if not stat.S_ISREG(os.fstat(f.fileno()).st_mode) or size == 0:
        return  # a pipe or device is read as it comes; an empty file is reported by open_bytes
    with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        header = read_header(m)
    if header is not None:
        check_header(header, max_pixels, name, held=size)


def open_bytes(data: bytes, name: str, max_pixels: int = MAX_PIXELS, max_pages: int = MAX_PAGES,
               dpi: int = PDF_DPI) -> Pages:
    """Open encoded bytes: an image (header checked now, decoded on access) or a PDF."""
    if not data:
        raise ImageError(f"{name}: empty file")
    kind = sniff(data)
    if not kind:
        raise ImageError(f"{name}: not a supported image ({SUPPORTED})")
    if kind == "pdf":
        from .pdf import open_pdf

        return open_pdf(data, name, max_pixels, max_pages, dpi)
    header = read_header(data, kind)
    if header is None:
        raise ImageError(f"{name}: cannot read the {kind.upper()} header (corrupt or truncated)")
    check_header(header, max_pixels, name, held=len(data))
    return Pages(name, 1, lambda i: PageImage(name, 0, decode_image(data, header, name, max_pixels)))


def decode(data: bytes, name: str, max_pixels: int = MAX_PIXELS, dpi: int = PDF_DPI,
           max_pages: int = MAX_PAGES) -> list[PageImage]:
    """Decode encoded bytes into pages (one for an image, one per page for a PDF), all at once."""
    with open_bytes(data, name, max_pixels, max_pages, dpi) as pages:
        return list(pages)


def load(source: Source, max_pixels: int = MAX_PIXELS, name: str | None = None,
         max_pages: int = MAX_PAGES) -> list[PageImage]:
    """Load a path, encoded bytes or an array into a list of pages, all decoded at once
    (`open_source` decodes a long PDF a page at a time)."""
    with open_source(source, max_pixels, name, max_pages) as pages:
        return list(pages)


def expand_inputs(paths: list[str], warn: Callable[[str], None] | None = None) -> Iterator[str]:
    """Expand folders recursively into their image and PDF files (sorted); pass other paths through.

    Dangling or looping symlinks and unreadable subfolders are skipped with a line to `warn`."""
    from .folders import image_files

    for p in paths:
        if p != "-" and Path(p).is_dir():
            yield from image_files(p, warn)
        else:
            yield p
