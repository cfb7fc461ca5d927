"""Pixels out of encoded bytes whose header `io` has already checked: decoders kept quiet, every
page made 8-bit BGR, transparent pages put on white paper a band of rows at a time.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

import cv2
import numpy as np

from .errors import ImageError, ImageTooLarge
from .headers import Header

BAND_BYTES = 1 << 22  # rows converted at a time when putting a transparent page on white paper

cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # bad input is our error, not OpenCV's warning


def check_pixels(width: int, height: int, max_pixels: int, name: str) -> None:
    if width <= 0 or height <= 0:
        raise ImageError(f"{name}: image has zero size ({width}x{height})")
    if width * height > max_pixels:
        raise ImageTooLarge(f"{name}: image too large: {width}x{height} = {width * height / 1e6:.1f} MP "
                            f"(limit {max_pixels / 1e6:.0f} MP, see --max-pixels)")


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


def peak_bytes(header: Header, data: bytes) -> int:
    """The memory decoding `data` (with this header) takes at its peak: libspng's RGB turned BGR in
    place, or its RGBA and the page on white paper beside it; or OpenCV's page, twice (OpenCV 5's
    Python binding hands back a copy of the page it decoded: measured for every format), and its work."""
    if header.kind == "png" and _spng_reads(data, header):
        return header.pixels * (7 if header.alpha else 3)
    return 2 * header.out_bytes + header.work_bytes


def decode_image(data: bytes, header: Header, name: str, max_pixels: int) -> np.ndarray:
    """Decode an image whose header passed `io.check_header` into BGR uint8 (H, W, 3)."""
    kind = header.kind
    image = _png_fast(data) if kind == "png" and _spng_reads(data, header) else None
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
            if image.shape[2] == 2:
                image = image[:, :, :1].repeat(3, axis=2)
            else:  # one pass into a new BGR page (a view of 3 channels would be copied again later)
                image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        else:
            return on_white(image, reuse=True)
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    return as_bgr(image, name)


def _cv_reason(e: cv2.error) -> str:
    """The gist of an OpenCV error: its last line, without the source path."""
    text = " ".join(str(e).split())
    return text.split(") ", 2)[-1][:200] if ") " in text else text[:200]


def _spng_reads(data: bytes, header: Header) -> bool:
    """Whether libspng decodes this PNG: an alpha channel, or 8-bit grey or RGB without a tRNS chunk
    (libspng would ignore it: OpenCV applies it); not palettes, other depths, nor an EXIF turn to
    apply (OpenCV's). `data.find`, not `in`: on a memory-mapped file `in` walks it byte by byte
    (58 ms against 2.5 ms for the 4 MB seed photo)."""
    color, depth = data[25], data[24]
    return data.find(b"eXIf") < 0 and (color in (4, 6) or (depth == 8 and color in (0, 2) and not header.alpha))


def _png_fast(data: bytes) -> np.ndarray | None:
    """A PNG decoded with libspng (pyspng), as BGR or BGRA uint8 (see `_spng_reads`); None without
    pyspng or on a decoding error (OpenCV then decodes it, or says what is wrong). A PNG with an
    alpha channel comes out as 8-bit RGBA (libspng narrows 16-bit rows as it goes: 4 bytes a pixel
    where OpenCV would hold 8). libspng undoes the Average and Paeth row filters of photos saved as
    PNG with SIMD code: the 3844×1012 seed photo decodes in ~66 ms against OpenCV's ~104 ms."""
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
