"""The web app: a page (static/) and a small REST API, a thin shell over the reading pipeline.

Endpoints (all errors are `{"error": "one line"}` with a 4xx/5xx status):

- `GET  /`                    the page: upload a photo/PDF or draw digits, see the boxes, correct readings.
- `POST /api/v1/read`         read an upload (multipart field `file`, or the raw body with an image or
                              PDF content type); options as query parameters. Returns one `handnum/1`
                              page object (page `page`, default 0; header `X-Page-Count` tells how many
                              pages a PDF has), or with `all_pages=true` `{"page_count": N, "pages": [...]}`.
                              `image=true` adds `"image": "data:image/jpeg;base64,..."` to each page: the
                              page as read (for clients that cannot render the upload, e.g. a PDF).
- `POST /api/v1/digit`        read ONE digit (a crop or a drawing): `{"digit", "confidence", "top3", ...}`.
- `POST /api/v1/corrections`  multipart `file` (a PNG/JPEG crop of one digit) and `label` (0-9, or x:
                              not a digit); saved as `DIR/corr_<UTC time>_<random>_<label>.png`, which
                              `handnum finetune --from DIR` reads. 201 `{"saved": NAME, "label", "width", "height"}`.
- `GET  /api/v1/health`       status, version, model path/sha256 and the limits.

Uploads are capped (Content-Length, then the streamed body) and the pixel count is checked from
the header before decoding. Reads run in a bounded thread pool with a timeout (503 when exceeded
or when too many requests wait). The model is loaded once and shared by every request.
"""
from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import dataclasses
import logging
import os
import secrets
import threading
import time
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import cv2
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.exceptions import HTTPException

from .. import __version__, io, pipeline
from ..classify import classify
from ..errors import ImageError, ModelError
from ..model import load_model

STATIC = Path(__file__).parent / "static"
DEFAULT_CORRECTIONS = "handnum-corrections"
RAW_TYPES = ("image/", "application/pdf", "application/octet-stream")
FORM_SLACK = 64 * 1024          # multipart headers around the file
MAX_CROP = 2_000_000            # bytes of a correction crop
MAX_CROP_SIDE = 2048
PREVIEW_SIDE = 2000             # longest side of the `image=true` preview
CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; object-src 'none'"
QUERY_LIMITS = {"min_confidence": {"ge": 0, "le": 1}, "max_side": {"ge": 32, "le": 10_000},
                "min_height": {"ge": 1, "le": 2000}, "number_gap": {"gt": 0, "le": 20}}
log = logging.getLogger("handnum.web")

UPLOAD_DOC = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
    "image/*": {"schema": {"type": "string", "format": "binary"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}
CORRECTION_DOC = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "label"],
    "properties": {"file": {"type": "string", "format": "binary"}, "label": {"type": "string", "pattern": "^[0-9]$"}}}}}}}


def _read_query() -> type[BaseModel]:
    """The query parameters of /api/v1/read: page selection plus every reading option of
    `pipeline.Options` (its defaults; not `model` or `max_pixels`, which the server sets)."""
    fields = {"page": (int, Field(0, ge=0, description="page of a PDF to read, from 0")),
              "all_pages": (bool, Field(False, description="read every page: {page_count, pages}")),
              "image": (bool, Field(False, description="add each page as read, as a JPEG data URL"))}
    for f in dataclasses.fields(pipeline.Options):
        if f.name not in ("model", "max_pixels") and type(f.default) in (bool, int, float):
            fields[f.name] = (type(f.default), Field(f.default, **QUERY_LIMITS.get(f.name, {})))
    return create_model("ReadQuery", __config__=ConfigDict(extra="ignore"), **fields)


class ApiError(Exception):
    """An error answered as `{"error": message}` with `status`."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


ReadQuery = _read_query()


def _capped(request: Request, limit: int, slack: int = 0) -> Request:
    """The same request, but a body over `limit` + `slack` bytes raises 413 (also without Content-Length)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + slack:
        raise ApiError(413, f"upload too large: {int(length)} bytes (limit {limit})")
    received = 0

    async def receive():
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > limit + slack:   # raised inside the body or form parser, answered as 413
            raise ApiError(413, f"upload too large (limit {limit} bytes)")
        return message

    return Request(request.scope, receive)


async def _upload(request: Request, limit: int) -> tuple[bytes, str]:
    """The uploaded bytes and a name: multipart field `file`, or the raw body of an image/PDF type."""
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith("multipart/form-data"):
        form = await _capped(request, limit, FORM_SLACK).form(max_files=2, max_fields=20)
        try:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise ApiError(422, "multipart upload needs a file in the field 'file'")
            data, name = await upload.read(limit + 1), upload.filename or "upload"
        finally:
            await form.close()
    elif not ctype or ctype.startswith(RAW_TYPES):
        data, name = await _capped(request, limit).body(), "upload"
    else:
        raise ApiError(415, f"unsupported content type {ctype.split(';')[0]!r}: send an image, a PDF "
                            "or multipart/form-data with the field 'file'")
    if len(data) > limit:
        raise ApiError(413, f"upload too large (limit {limit} bytes)")
    return data, Path(name).name[:200]


def _check_image(data: bytes, max_pixels: int, name: str) -> str:
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


def _preview(image) -> str:
    """A JPEG data URL of a page image, at most PREVIEW_SIDE pixels long."""
    h, w = image.shape[:2]
    scale = min(1.0, PREVIEW_SIDE / max(h, w))
    if scale < 1:
        image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split())}, status, headers=headers)


def create_app(model: str | None = None, corrections: str | Path | None = None, max_upload: int = 20_000_000,
               max_pixels: int = io.MAX_PIXELS, timeout_s: float = 30.0, workers: int | None = None) -> FastAPI:
    """The app. Loads the model now (ModelError if it cannot); corrections go to `corrections`
    (default $HANDNUM_CORRECTIONS or ./handnum-corrections, created on first use)."""
    if max_upload <= 0 or max_pixels <= 0 or timeout_s <= 0:
        raise ValueError("max_upload, max_pixels and timeout_s must be positive")
    the_model = load_model(model)
    folder = Path(corrections or os.environ.get("HANDNUM_CORRECTIONS") or DEFAULT_CORRECTIONS)
    workers = workers or min(4, os.cpu_count() or 1)
    pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="handnum-read")
    slots = threading.BoundedSemaphore(max(16, 4 * workers))   # running + waiting reads; more → 503

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="handnum", version=__version__, lifespan=lifespan,
                  description="Find and read handwritten digits and numbers on photos of paper.")
    app.state.model, app.state.corrections, app.state.timeout_s = the_model, folder, timeout_s

    async def run(fn, *args):
        """fn(*args) in the pool, with the timeout and the waiting-room limit."""
        if not slots.acquire(blocking=False):
            raise ApiError(503, "server busy: too many reads waiting, try again shortly")
        future = pool.submit(fn, *args)
        future.add_done_callback(lambda _: slots.release())
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), app.state.timeout_s)
        except asyncio.TimeoutError:
            future.cancel()
            raise ApiError(503, f"reading took longer than {app.state.timeout_s:g} s; try a smaller image") from None
        except (ApiError, asyncio.CancelledError):
            raise
        except Exception as e:  # a bug in reading: logged once here, answered as one line
            log.exception("read failed")
            raise ApiError(500, f"internal error: {type(e).__name__}: {e}") from None

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return _error(exc.status, exc.message, {"Retry-After": "5"} if exc.status == 503 else None)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return _error(exc.status_code, exc.detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        msgs = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()]
        return _error(422, "; ".join(msgs))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        log.exception("internal error")
        return _error(500, f"internal error: {type(exc).__name__}: {exc}")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.url.path == "/" or request.url.path.startswith("/static/"):
            response.headers["Content-Security-Policy"] = CSP
        return response

    @app.get("/", include_in_schema=False)
    async def index():
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/v1/health")
    async def health() -> dict:
        """Status, version, model (path and sha256 from its card) and the server's limits."""
        card = the_model.card
        return {"status": "ok", "version": __version__,
                "model": {"path": str(the_model.path), "name": card.get("name"), "sha256": card.get("sha256"),
                          "created": card.get("created"), "note": card.get("note"), "accuracy": card.get("accuracy")},
                "limits": {"max_upload": max_upload, "max_pixels": max_pixels, "timeout_s": app.state.timeout_s,
                           "workers": workers}}

    @app.post("/api/v1/read", openapi_extra=UPLOAD_DOC)
    async def read(request: Request, q: Annotated[ReadQuery, Query()]):
        """Read the digits and numbers on an uploaded photo, scan or PDF (see the module docstring)."""
        unknown = sorted(set(request.query_params) - set(ReadQuery.model_fields))
        if unknown:
            raise ApiError(422, f"unknown option(s) {unknown}; known: {sorted(ReadQuery.model_fields)}")
        started = time.perf_counter()
        try:
            opts = pipeline.Options(max_pixels=max_pixels, **q.model_dump(exclude={"page", "all_pages", "image"}))
        except (TypeError, ValueError) as e:
            raise ApiError(422, str(e)) from None
        data, name = await _upload(request, max_upload)
        _check_image(data, max_pixels, name)
        pages, count = await run(read_upload, data, name, opts, the_model, None if q.all_pages else q.page, q.image)
        total = (time.perf_counter() - started) * 1000
        headers = {"X-Page-Count": str(count), "Server-Timing": f"total;dur={total:.1f}"}
        body = {"page_count": count, "pages": pages} if q.all_pages else pages[0]
        return JSONResponse(body, headers=headers)

    @app.post("/api/v1/digit", openapi_extra=UPLOAD_DOC)
    async def digit(request: Request) -> dict:
        """Read ONE digit in an image (a crop or a drawing): digit (null: not a digit), confidence, top3."""
        data, name = await _upload(request, max_upload)
        _check_image(data, min(max_pixels, 25_000_000), name)
        return (await run(classify, data, the_model, name)).to_dict()

    @app.post("/api/v1/corrections", status_code=201, openapi_extra=CORRECTION_DOC)
    async def correction(request: Request) -> dict:
        """Save a corrected digit: a crop (PNG/JPEG) and its true label, for `handnum finetune --from DIR`."""
        form = await _capped(request, MAX_CROP, FORM_SLACK).form(max_files=2, max_fields=20)
        try:
            label, upload = str(form.get("label", "")).strip().lower(), form.get("file")
            if len(label) != 1 or label not in "0123456789x":
                raise ApiError(422, f"label must be one digit 0-9 or x (not a digit), got {label[:20]!r}")
            if upload is None or isinstance(upload, str):
                raise ApiError(422, "a correction needs the crop as a file in the field 'file'")
            data = await upload.read(MAX_CROP + 1)
        finally:
            await form.close()
        return save_correction(folder, data, label)

    return app


def read_upload(data: bytes, name: str, opts: pipeline.Options, model, page: int | None,
                with_image: bool) -> tuple[list[dict], int]:
    """Decode and read the upload (one page, or all when `page` is None) → (page dicts, page count).
    A PDF's pages are rendered one at a time, and only the one asked for."""
    started = time.perf_counter()
    try:
        pages = io.open_bytes(data, name, opts.max_pixels, opts.max_pages)
    except ImageError as e:
        raise ApiError(413 if "too large" in str(e) or "pages (limit" in str(e) else 422, str(e)) from None
    with pages:
        if page is not None and page >= len(pages):
            raise ApiError(422, f"page {page} out of range: {name} has {len(pages)} page(s)")
        out = []
        for i in range(len(pages)) if page is None else [page]:
            try:
                p = pages[i]
                result = pipeline.read_image(p.image, p.source, p.page, opts, model, started).to_dict()
            except ImageError as e:
                raise ApiError(413 if "too large" in str(e) else 422, str(e)) from None
            except ModelError as e:
                raise ApiError(500, str(e)) from None
            if with_image:
                result["image"] = _preview(p.image)
            out.append(result)
            started = time.perf_counter()
        return out, len(pages)


def save_correction(folder: Path, data: bytes, label: str) -> dict:
    """Validate a crop and write it as `folder/corr_<UTC>_<hex>_<label>.png` (atomically)."""
    if len(data) > MAX_CROP:
        raise ApiError(413, f"correction too large (limit {MAX_CROP} bytes)")
    kind = _check_image(data, MAX_CROP_SIDE * MAX_CROP_SIDE, "crop")
    if kind not in ("png", "jpeg", "webp", "bmp"):
        raise ApiError(415, f"crop must be PNG, JPEG, WebP or BMP, not {kind.upper()}")
    try:
        image = io.decode(data, "crop", MAX_CROP_SIDE * MAX_CROP_SIDE)[0].image
    except ImageError as e:
        raise ApiError(422, str(e)) from None
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
    log.info("correction saved: %s", folder / name)
    return {"saved": name, "label": label, "width": w, "height": h}
