"""What the web app's endpoints compute, without FastAPI: checks on uploads and the reads themselves.

The reads (`read_upload`, `read_digit`) run in worker processes (`workers.py`); every failure they
can meet is an `ApiError` with an HTTP status, so that a bad upload is always a 4xx with one line.
"""
from __future__ import annotations

import base64
import os
import secrets
import time
from datetime import datetime, timezone
from pathlib import Path

import cv2

from .. import io, pipeline
from ..classify import classify
from ..errors import ImageError, ImageTooLarge, ModelError
from ..model import Model

MAX_CROP = 2_000_000            # bytes of a correction crop
MAX_CROP_SIDE = 2048
MAX_DIGIT_PIXELS = 25_000_000   # a single digit needs no more
PREVIEW_SIDE = 2000             # longest side of the `image=true` preview
CROP_KINDS = ("png", "jpeg", "webp", "bmp")


class ApiError(Exception):
    """An error answered as `{"error": message}` with `status` (plain args, so it pickles)."""

    def __init__(self, status: int, message: str):
        super().__init__(status, message)
        self.status, self.message = status, message


def image_error(e: ImageError) -> ApiError:
    """413 for an input over a limit (`ImageTooLarge`: pixels, decoding memory, PDF pages), 422 for one
    that cannot be decoded."""
    return ApiError(413 if isinstance(e, ImageTooLarge) else 422, str(e))


def check_image(data: bytes, max_pixels: int, name: str) -> str:
    """The format of `data`; 422 when empty, 415 when not an image, 413 when the header says too many pixels."""
    if not data:
        raise ApiError(422, "empty upload: send an image or a PDF")
    kind = io.sniff(data)
    if not kind:
        raise ApiError(415, f"{name}: not a supported image (PNG, JPEG, TIFF, BMP, WebP or PDF)")
    size = io.header_size(data, kind)
    if size and size[0] * size[1] > max_pixels:
        raise ApiError(413, f"{name}: image too large: {size[0]}x{size[1]} pixels (limit {max_pixels})")
    return kind


def preview(image) -> str:
    """A JPEG data URL of a page image, at most PREVIEW_SIDE pixels long."""
    h, w = image.shape[:2]
    scale = min(1.0, PREVIEW_SIDE / max(h, w))
    if scale < 1:
        image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def read_upload(model: Model, data: bytes, name: str, opts: pipeline.Options, page: int | None,
                with_image: bool) -> tuple[list[dict], int]:
    """Decode and read the upload (one page, or all when `page` is None) → (page dicts, page count).
    A PDF's pages are rendered one at a time, and only the one asked for."""
    started = time.perf_counter()
    try:
        pages = io.open_bytes(data, name, opts.max_pixels, opts.max_pages)
    except ImageError as e:
        raise image_error(e) from None
    with pages:
        if page is not None and page >= len(pages):
            raise ApiError(422, f"page {page} out of range: {name} has {len(pages)} page(s)")
        out = []
        for i in range(len(pages)) if page is None else [page]:
            try:
                p = pages[i]
                result = pipeline.read_image(p.image, p.source, p.page, opts, model, started).to_dict()
            except ImageError as e:
                raise image_error(e) from None
            except ModelError as e:
                raise ApiError(500, str(e)) from None
            if with_image:
                result["image"] = preview(p.image)
            out.append(result)
            started = time.perf_counter()
        return out, len(pages)


def read_digit(model: Model, data: bytes, name: str, max_pixels: int) -> dict:
    """Read ONE digit in an uploaded image (a crop or a drawing): the `Prediction` as a dict."""
    try:
        page = io.decode(data, name, min(max_pixels, MAX_DIGIT_PIXELS))[0]
        return classify(page.image, model, name).to_dict()
    except ImageError as e:
        raise image_error(e) from None
    except ModelError as e:
        raise ApiError(500, str(e)) from None


def save_correction(folder: Path, data: bytes, label: str) -> dict:
    """Validate a crop and write it as `folder/corr_<UTC>_<hex>_<label>.png` (atomically)."""
    if len(data) > MAX_CROP:
        raise ApiError(413, f"correction too large (limit {MAX_CROP} bytes)")
    kind = check_image(data, MAX_CROP_SIDE * MAX_CROP_SIDE, "crop")
    if kind not in CROP_KINDS:
        raise ApiError(415, f"crop must be PNG, JPEG, WebP or BMP, not {kind.upper()}")
    try:
        image = io.decode(data, "crop", MAX_CROP_SIDE * MAX_CROP_SIDE)[0].image
    except ImageError as e:
        raise image_error(e) from None
    h, w = image.shape[:2]
    if min(h, w) < 4 or max(h, w) > MAX_CROP_SIDE:
        raise ApiError(422, f"crop must be 4 to {MAX_CROP_SIDE} pixels a side, got {w}x{h}")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    name = f"corr_{stamp}_{secrets.token_hex(3)}_{label}.png"
    ok, buf = cv2.imencode(".png", image)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(buf.tobytes())
        os.replace(tmp, folder / name)
    except OSError as e:
        raise ApiError(500, f"cannot save the correction in {folder}: {e.strerror or e}") from None
    return {"saved": name, "label": label, "width": w, "height": h}


TASKS = {"read": read_upload, "digit": read_digit}   # what a worker process runs, by name
