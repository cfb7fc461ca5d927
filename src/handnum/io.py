"""Load and validate inputs: paths, bytes or arrays; images (PNG, JPEG, TIFF, BMP, WebP, GIF) and PDF pages.

Every failure is an `ImageError` with a one-line message. Before any pixel is decoded, the
file's header says how large it is (`headers.read_header`): more than `max_pixels`, or a decoder
that would need more than `DECODE_BYTES_PER_PIXEL` × `max_pixels` bytes, is refused. A PDF is
opened, not rendered: `open_source` gives its pages one at a time, each rendered when asked for.
"""
from __future__ import annotations

import mmap
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np

from .decoders import as_bgr, check_pixels, decode_image, on_white, peak_bytes, quiet_stderr  # noqa: F401
from .errors import ImageError, ImageTooLarge
from .headers import SUPPORTED, Header, read_header, sniff  # noqa: F401 - io's API

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".pdf"}
MAX_PIXELS = 80_000_000
MAX_PAGES = 5000              # pages of one PDF: more is refused before any is rendered (see --max-pages)
DECODE_BYTES_PER_PIXEL = 10   # a decoder may use this many bytes per pixel of max_pixels (800 MB at 80 MP)
PDF_DPI = 200
Source = Union[str, os.PathLike, bytes, np.ndarray]


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


def check_header(header: Header, data, max_pixels: int, name: str) -> None:
    """Refuse an image, before decoding it, for its size or for the memory decoding it would take
    (`data`: its bytes, or a memory map of its file; held in memory meanwhile)."""
    check_pixels(header.width, header.height, max_pixels, name)
    need, budget = peak_bytes(header, data) + len(data), DECODE_BYTES_PER_PIXEL * max_pixels
    if need > budget:
        what = f"{8 * header.sample_bytes}-bit{' with alpha' if header.alpha else ''} {header.kind.upper()}"
        raise ImageTooLarge(f"{name}: image too large to decode: {header.width}x{header.height} {what} needs "
                            f"about {need / 1e6:.0f} MB (limit {budget / 1e6:.0f} MB, {DECODE_BYTES_PER_PIXEL} bytes "
                            f"a pixel of --max-pixels)")


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
        """Release the source (a PDF document; an image's bytes)."""
        self._close()
        self._get = _closed

    def __enter__(self) -> "Pages":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _closed(i: int) -> PageImage:
    raise ValueError("these pages are closed")


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
                _refuse_unread(f, name, max_pixels)
                data = f.read()
        except IsADirectoryError as e:
            raise ImageError(f"{path}: is a folder") from e
        except OSError as e:
            raise ImageError(f"{path}: cannot read ({e.strerror or e})") from e
        return open_bytes(data, name, max_pixels, max_pages, dpi)
    raise ImageError(f"cannot read a {type(source).__name__}: give a path, bytes or a numpy array")


def _refuse_unread(f, name: str, max_pixels: int) -> None:
    """Check a regular file's header through a memory map, before the file is read: a 10 GB file,
    or one whose header claims too much, is refused unread (a pipe or a device is read as it
    comes; an empty file or a header that cannot be read is for open_bytes to report)."""
    st = os.fstat(f.fileno())
    if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
        return
    with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        header = read_header(m)
        if header is not None:
            check_header(header, m, max_pixels, name)


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
        raise ImageError(f"{name}: cannot decode {kind.upper()} data (corrupt or truncated header)")
    check_header(header, data, max_pixels, name)
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
