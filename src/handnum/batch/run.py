"""The driver of a batch job: list inputs, skip what is done, run an engine, commit shards, show progress."""
from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..model import load_model
from ..pipeline import Options
from .errors import BatchError
from .inputs import list_inputs
from .shards import FORMATS, ShardWriter, open_out
from .worker import FileResult

ENGINES = ("local", "ray")
RAY_LOG = "_ray.log"  # in DIR: what Ray printed (its warnings, log lines and tracebacks)


@dataclass
class BatchConfig:
    """A batch job. `format` None means parquet for a new job, the folder's format when resuming."""

    inputs: list[str]
    out: Path
    engine: str = "local"
    address: str | None = None      # Ray: "auto", "ray://host:10001"; None starts a local Ray
    workers: int | None = None      # default: every core here (local), every CPU of the cluster (ray)
    resume: bool = False
    format: str | None = None
    options: Options = field(default_factory=Options)
    shard_pages: int = 1000         # commit a shard once this many pages are buffered...
    shard_seconds: float = 300.0    # ...or this long after the last commit (bounds the work a kill loses)
    progress: bool = True
    warn: Callable[[str], None] | None = None  # a line per input skipped (broken symlink...); None: Python warnings


@dataclass
class BatchSummary:
    files: int            # input files found
    skipped: int          # already done by an earlier run
    read: int             # files read by this run
    pages: int            # pages read by this run (error rows not counted)
    errors: int           # error rows written by this run
    shards: int           # shards committed by this run
    seconds: float
    workers: int
    peak_rss_mb: float    # the largest peak memory of one worker
    out: Path
    retried: int = 0      # error rows of dead workers taken out on --resume, their files read again

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0


def run_batch(cfg: BatchConfig) -> BatchSummary:
    """Run (or resume) a batch job; a kill at any moment loses only uncommitted work."""
    if cfg.engine not in ENGINES:
        raise BatchError(f"unknown engine {cfg.engine!r}; known: {', '.join(ENGINES)}")
    if cfg.format is not None and cfg.format not in FORMATS:
        raise BatchError(f"unknown format {cfg.format!r}; known: {', '.join(FORMATS)}")
    if cfg.workers is not None and cfg.workers < 1 or cfg.shard_pages < 1:
        raise BatchError("--workers and --shard-pages must be at least 1")
    started = time.monotonic()
    model = load_model(cfg.options.model, threads=1)  # fail here, once, on a missing or corrupt model
    sha = model.card["sha256"]
    settings = {**{k: v for k, v in dataclasses.asdict(cfg.options).items() if k != "model"}, "model_sha256": sha}
    files = list_inputs(cfg.inputs, cfg.warn)
    run_info = {"engine": cfg.engine, "workers": cfg.workers, "handnum": __version__, "inputs": cfg.inputs[:20]}
    out, done = open_out(Path(cfg.out), cfg.format, cfg.resume, settings, run_info)
    todo = [f for f in files if f not in done]
    writer = ShardWriter(out, done, cfg.shard_pages, cfg.shard_seconds)
    seen = {"peak": 0.0, "errors": 0}
    term = _terminal() if cfg.engine == "ray" and cfg.progress else None
    bar = _progress(len(todo), cfg.progress, term)

    def sink(result: FileResult) -> None:
        if writer.add(result):
            seen["peak"] = max(seen["peak"], result.rss_mb)
            seen["errors"] += sum(r["error"] is not None for r in result.rows)
            if len(result.rows) > 1:
                bar.total += len(result.rows) - 1  # a PDF: the estimate assumed one page per file
            bar.set_postfix(errors=seen["errors"], refresh=False)
            bar.update(len(result.rows))

    workers = cfg.workers
    try:
        if todo and cfg.engine == "local":
            from .local import default_workers, run_local

            workers = max(1, min(cfg.workers or default_workers(), len(todo)))
            out.meta["runs"][out.run]["workers"] = workers
            run_local(todo, cfg.options, workers, sink, sha)
        elif todo:
            from .ray_engine import run_ray

            workers = run_ray(todo, cfg.options, cfg.workers, sink, sha, cfg.address, out.path / RAY_LOG)
            out.meta["runs"][out.run]["workers"] = workers
    finally:
        bar.close()
        if term is not None:
            term.close()
        try:
            writer.commit(finished=writer.stats["files"] == len(todo))  # whole files only: safe on any exit
        finally:
            out.close()
    s = writer.stats
    return BatchSummary(len(files), len(files) - len(todo), s["files"], s["pages"], s["errors"], s["shards"],
                        time.monotonic() - started, workers or 0, seen["peak"], out.path,
                        out.meta["runs"][out.run].get("retried", 0))


def _progress(total: int, enabled: bool, file=None):
    from tqdm import tqdm

    return tqdm(total=total, unit="page", desc="handnum batch", disable=not enabled or None, dynamic_ncols=True,
                smoothing=0.05, file=file)


def _terminal():
    """The stderr of now, kept for the progress bar while the Ray engine sends fd 2 to its log."""
    try:
        return os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1)
    except (AttributeError, OSError, ValueError):  # a stderr without a file descriptor (captured)
        return None
