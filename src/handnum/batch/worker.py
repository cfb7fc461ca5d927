"""The one worker function both engines run: an input file in, one row per page out.

A row is a plain dict with the fields of `ROW_FIELDS`; the `json` field holds the full
`handnum/1` object. A file that cannot be read gives one row with `error` set (page 0, no size),
so a bad file never stops a job; a page that fails after decoding gives an error row of its own.
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from typing import Any

from ..errors import HandnumError, ModelError
from ..io import open_source
from ..model import Model, load_model
from ..pipeline import Options, read_image
from ..results import Page
from .errors import one_line
from .inputs import is_uri, read_bytes

ROW_FIELDS = ("source", "page", "width", "height", "text", "json", "elapsed_ms", "error")
Row = dict[str, Any]


@dataclass
class FileResult:
    """Every row of one input file, and the worker's peak memory so far (MB)."""

    path: str
    rows: list[Row]
    rss_mb: float = 0.0


def read_file(path: str, options: Options, model: Model) -> FileResult:
    """Read every page of the file at `path` (local path or URI) into rows, a page at a time.

    Whatever goes wrong with one file (or one page of a PDF) is its error row; only a broken
    model (`ModelError`) is the job's problem and raised."""
    started = time.perf_counter()
    try:
        pages = open_source(read_bytes(path) if is_uri(path) else path, options.max_pixels, name=path,
                            max_pages=options.max_pages)
    except ModelError:
        raise
    except Exception as e:  # noqa: BLE001 - ImageError, a URI that cannot be fetched, anything else
        return FileResult(path, [error_row(path, 0, failure(path, e), started)], peak_rss_mb())
    rows = []
    with pages:
        for i in range(len(pages)):
            rows.append(_page_row(path, pages, i, options, model, started))
            started = time.perf_counter()
    return FileResult(path, rows, peak_rss_mb())


def _page_row(path: str, pages, i: int, options: Options, model: Model, started: float) -> Row:
    """The row of page `i`: read, or an error row if it cannot be decoded or read."""
    try:
        p = pages[i]
    except ModelError:
        raise
    except Exception as e:  # noqa: BLE001 - a page of a PDF that cannot be rendered
        return error_row(path, i, failure(path, e), started)
    try:
        return page_row(read_image(p.image, p.source, p.page, options, model, started))
    except ModelError:
        raise  # a broken model is the job's problem, not this file's
    except Exception as e:  # noqa: BLE001 - one odd page must not stop a million-page job
        height, width = p.image.shape[:2]
        return error_row(path, p.page, f"{path}: page {p.page + 1} failed ({type(e).__name__}: {one_line(e)})",
                         started, width, height)


def failure(path: str, e: BaseException) -> str:
    """The one-line message of an error reading `path`: handnum's own as it is, others with their type."""
    if isinstance(e, HandnumError):
        return str(e)
    if isinstance(e, OSError):
        return f"{path}: cannot read ({one_line(e.strerror or e)})"
    return f"{path}: cannot read ({type(e).__name__}: {one_line(e)})"


DIED = "died reading this file"  # in every error row of a worker death: --resume reads those files again


def death_row(path: str, how: str, why: str = "a crash or out of memory") -> Row:
    """The error row of a file whose worker (`how`) died reading it on its own, again and again."""
    return error_row(path, 0, f"{path}: the {how} {DIED} ({why})", time.perf_counter())


def is_death_row(row: Row) -> bool:
    return bool(row.get("error")) and DIED in row["error"]


def worker_model(options: Options, model_sha256: str | None = None) -> Model:
    """The model for a worker process, one ONNX Runtime thread (workers do not fight over cores).

    `model_sha256` (from the driver) makes a cluster node with another model file fail loudly.
    """
    import cv2

    cv2.setNumThreads(1)  # one busy core per worker: the engines run one worker per core
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # errors only: a corrupt file is an error row, not a decoder warning on stderr
    model = load_model(options.model, threads=1)
    if model_sha256 and model.card.get("sha256") != model_sha256:
        raise ModelError(f"model {model.path} on this node differs from the driver's (sha256 "
                         f"{str(model.card.get('sha256'))[:12]}… vs {model_sha256[:12]}…): install the same model everywhere")
    return model


def page_row(page: Page) -> Row:
    return {"source": page.source, "page": page.page, "width": page.width, "height": page.height,
            "text": page.text, "json": json.dumps(page.to_dict(), separators=(",", ":")),
            "elapsed_ms": round(page.elapsed_ms, 1), "error": None}


def error_row(path: str, page: int, message: str, started: float,
              width: int | None = None, height: int | None = None) -> Row:
    return {"source": path, "page": page, "width": width, "height": height, "text": None, "json": None,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1), "error": one_line(message)}


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MB."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024
