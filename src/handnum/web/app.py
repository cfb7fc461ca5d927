"""The web app: a page (static/) and a small REST API, a thin shell over the reading pipeline.

Endpoints (all errors are `{"error": "one line"}` with a 4xx/5xx status; `/openapi.json` lists them all):

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
- `GET  /docs`                the API docs (Swagger UI, served from this server: works offline).

Uploads are capped (Content-Length, then the streamed body) and the pixel count is checked from
the header before decoding. Reads run in worker processes (`workers.py`): one past `timeout_s` is
answered 503 and its worker killed, so the work stops too. Too many waiting requests: 503 at once.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import os
import re
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.exceptions import HTTPException

from .. import __version__, io, pipeline
from ..model import load_model
from . import spec
from .tasks import MAX_CROP, ApiError, check_image, save_correction
from .workers import ReadTimeout, WorkerDied, WorkerPool

STATIC = Path(__file__).parent / "static"
DEFAULT_CORRECTIONS = "handnum-corrections"
RAW_TYPES = ("image/", "application/pdf", "application/octet-stream")
FORM_SLACK = 64 * 1024          # multipart headers around the file
CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; object-src 'none'"
QUERY_LIMITS = {"min_confidence": {"ge": 0, "le": 1}, "max_side": {"ge": 32, "le": 10_000},
                "min_height": {"ge": 1, "le": 2000}, "number_gap": {"gt": 0, "le": 20}}
log = logging.getLogger("handnum.web")


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


ReadQuery = _read_query()


def _refuse_unknown(request: Request, known) -> None:
    """422 for a query option the endpoint does not take (a typo must not pass silently)."""
    unknown = sorted(set(request.query_params) - set(known))
    if unknown:
        raise ApiError(422, f"unknown option(s) {unknown}; known: {sorted(known) or 'none'}")


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


async def _form(request: Request, limit: int):
    """The multipart form of a request whose body is capped at `limit` (+ headers); 400 when malformed."""
    return await _capped(request, limit, FORM_SLACK).form(max_files=2, max_fields=20)


async def _upload(request: Request, limit: int) -> tuple[bytes, str]:
    """The uploaded bytes and a name: multipart field `file`, or the raw body of an image/PDF type."""
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith("multipart/form-data"):
        form = await _form(request, limit)
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
    return data, Path(name).name[:200] or "upload"


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split())}, status, headers=headers)


def create_app(model: str | None = None, corrections: str | Path | None = None, max_upload: int = 20_000_000,
               max_pixels: int = io.MAX_PIXELS, timeout_s: float = 30.0, workers: int | None = None,
               cors: list[str] | None = None) -> FastAPI:
    """The app. Loads the model and starts `workers` reading processes now (HandnumError if they
    cannot); corrections go to `corrections` (default $HANDNUM_CORRECTIONS or ./handnum-corrections,
    created on first use); `cors`: origins of other pages allowed to call the API."""
    if max_upload <= 0 or max_pixels <= 0 or timeout_s <= 0:
        raise ValueError("max_upload, max_pixels and timeout_s must be positive")
    the_model = load_model(model)
    folder = Path(corrections or os.environ.get("HANDNUM_CORRECTIONS") or DEFAULT_CORRECTIONS)
    workers = workers or min(4, os.cpu_count() or 1)
    room = max(16, 4 * workers)                        # running + waiting reads; more → 503 at once
    pool = WorkerPool(workers, str(the_model.path))
    waiters = concurrent.futures.ThreadPoolExecutor(room, thread_name_prefix="handnum-wait")
    slots = threading.BoundedSemaphore(room)
    swagger = spec.swagger_files()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        pool.close()
        waiters.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="handnum", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Find and read handwritten digits and numbers on photos of paper.")
    app.state.model, app.state.corrections, app.state.timeout_s, app.state.pool = the_model, folder, timeout_s, pool
    if cors:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors), allow_methods=["GET", "POST"],
                           allow_headers=["*"], expose_headers=["X-Page-Count", "Server-Timing"], max_age=600)

    async def run(task: str, *args):
        """TASKS[task](model, *args) in a worker process, with the timeout and the waiting-room limit."""
        if not slots.acquire(blocking=False):
            raise ApiError(503, "server busy: too many reads waiting, try again shortly")
        try:
            reply = await asyncio.get_running_loop().run_in_executor(waiters, pool.call, task, args, app.state.timeout_s)
        except ReadTimeout:
            raise ApiError(503, f"reading took longer than {app.state.timeout_s:g} s and was stopped; "
                                "try a smaller image or try again when the server is less busy") from None
        except WorkerDied as e:
            log.error("%s", e)
            raise ApiError(500, f"{e}; the upload may be too large to read") from None
        finally:
            slots.release()
        if reply[0] != 200:
            if len(reply) > 2:   # a bug in reading: its traceback, logged once here
                log.error("read failed: %s\n%s", reply[1], reply[2])
            raise ApiError(reply[0], reply[1])
        return reply[1]

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
    if swagger:
        app.mount("/docs-files", StaticFiles(directory=swagger), name="docs-files")

    @app.get("/docs", include_in_schema=False)
    async def docs():
        if not swagger:
            raise ApiError(404, "the API docs page needs Swagger UI 5: pip install swagger-ui-bundle-v2 "
                                "(the spec itself is at /openapi.json)")
        return get_swagger_ui_html(openapi_url="/openapi.json", title="handnum API",
                                   swagger_js_url="/docs-files/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-files/swagger-ui.css",
                                   swagger_favicon_url="/docs-files/favicon-32x32.png",
                                   swagger_ui_parameters={"validatorUrl": None, "tryItOutEnabled": True})

    @app.get("/api/v1/health")
    async def health() -> dict:
        """Status, version, model (path and sha256 from its card) and the server's limits."""
        card = the_model.card
        return {"status": "ok", "version": __version__,
                "model": {"path": str(the_model.path), "name": card.get("name"), "sha256": card.get("sha256"),
                          "created": card.get("created"), "note": card.get("note"), "accuracy": card.get("accuracy")},
                "limits": {"max_upload": max_upload, "max_pixels": max_pixels, "timeout_s": app.state.timeout_s,
                           "workers": workers}}

    @app.post("/api/v1/read", openapi_extra=spec.UPLOAD_BODY, responses=spec.READ_RESPONSES)
    async def read(request: Request, q: Annotated[ReadQuery, Query()]):
        """Read the digits and numbers on an uploaded photo, scan or PDF (see the module docstring)."""
        _refuse_unknown(request, ReadQuery.model_fields)
        started = time.perf_counter()
        try:
            opts = pipeline.Options(max_pixels=max_pixels, **q.model_dump(exclude={"page", "all_pages", "image"}))
        except (TypeError, ValueError) as e:
            raise ApiError(422, str(e)) from None
        data, name = await _upload(request, max_upload)
        check_image(data, max_pixels, name)
        pages, count = await run("read", data, name, opts, None if q.all_pages else q.page, q.image)
        total = (time.perf_counter() - started) * 1000
        headers = {"X-Page-Count": str(count), "Server-Timing": f"total;dur={total:.1f}"}
        body = {"page_count": count, "pages": pages} if q.all_pages else pages[0]
        return JSONResponse(body, headers=headers)

    @app.post("/api/v1/digit", openapi_extra=spec.UPLOAD_BODY, responses=spec.DIGIT_RESPONSES)
    async def digit(request: Request) -> dict:
        """Read ONE digit in an image (a crop or a drawing): digit (null: not a digit), confidence, top3."""
        _refuse_unknown(request, ())
        data, name = await _upload(request, max_upload)
        check_image(data, max_pixels, name)
        return await run("digit", data, name, max_pixels)

    @app.post("/api/v1/corrections", status_code=201, openapi_extra=spec.CORRECTION_BODY,
              responses=spec.CORRECTION_RESPONSES)
    async def correction(request: Request) -> dict:
        """Save a corrected digit: a crop (PNG/JPEG) and its true label, for `handnum finetune --from DIR`."""
        _refuse_unknown(request, ())
        form = await _form(request, MAX_CROP)
        try:
            label, upload = form.get("label"), form.get("file")
            if label is None:
                raise ApiError(422, "a correction needs the field 'label': one digit 0-9 or x (not a digit)")
            if not isinstance(label, str) or not re.fullmatch(spec.LABEL_PATTERN, label):
                shown = label[:20] if isinstance(label, str) else "a file"
                raise ApiError(422, f"label must be one digit 0-9 or x (not a digit), got {shown!r}")
            if upload is None or isinstance(upload, str):
                raise ApiError(422, "a correction needs the crop as a file in the field 'file'")
            data = await upload.read(MAX_CROP + 1)
        finally:
            await form.close()
        saved = save_correction(folder, data, label.lower())
        log.info("correction saved: %s", folder / saved["saved"])
        return saved

    return app
