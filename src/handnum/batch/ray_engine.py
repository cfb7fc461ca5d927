"""The Ray engine: Ray Data actors run the same worker function; the driver writes the shards.

The driver lists the inputs and hands Ray the paths still to do as small in-memory blocks
(`from_arrow`), so no Ray read task competes with the actors for CPUs. `map_batches` runs a
fixed pool of actors, each loading the model once; every output row is one whole input file
(its page rows pickled), so Ray can never split a file across two yielded batches, and the
driver commits shards with the same protocol as the local engine.

Sizing: each actor asks for `ACTOR_CPUS` (fractional) so a pool of one actor per core still leaves
whole CPUs in Ray's books for any task Ray Data schedules besides the actors (the job hangs if
actors hold every CPU), while the OS runs one busy process per core.
"""
from __future__ import annotations

import contextlib
import logging
import os
import pickle
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import HandnumError
from ..pipeline import Options
from .errors import BatchError, one_line
from .local import SOLO_TRIES
from .worker import FileResult, death_row, error_row, read_file, worker_model

ACTOR_CPUS = 0.5
BLOCKS_PER_WORKER = 16    # enough blocks to balance the actors...
MAX_FILES_PER_BLOCK = 32  # ...and small ones, so the last blocks do not leave actors idle for long
TASK_RETRIES = 2          # a block whose actor dies is retried on a restarted actor this often


def run_ray(paths: list[str], options: Options, workers: int | None, sink: Callable[[FileResult], None],
            model_sha256: str | None = None, address: str | None = None, log: Path | None = None) -> int:
    """Read `paths` with a pool of Ray actors; hand each file's result to `sink`. Returns the pool size.

    `log`: a file that takes this process's stdout and stderr while Ray runs (Ray's own warnings,
    its C++ log lines, its tracebacks of failed tasks): a run prints only handnum's lines."""
    with outputs_to(log) if log else contextlib.nullcontext():
        return _run_ray(paths, options, workers, sink, model_sha256, address, log)


@contextlib.contextmanager
def outputs_to(path: Path) -> Iterator[None]:
    """Send file descriptors 1 and 2 (Ray's C++ and Python logging, its "(raylet)" lines) to `path`,
    appended, for a while (the batch driver itself prints nothing on stdout meanwhile)."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(path, "ab") as f:
            os.dup2(f.fileno(), 1)
            os.dup2(f.fileno(), 2)
        yield
    finally:
        for fd, copy in ((1, saved[0]), (2, saved[1])):
            getattr(sys, "stdout" if fd == 1 else "stderr").flush()
            os.dup2(copy, fd)
            os.close(copy)


def _run_ray(paths: list[str], options: Options, workers: int | None, sink: Callable[[FileResult], None],
             model_sha256: str | None, address: str | None, log: Path | None) -> int:
    try:
        import pyarrow  # noqa: F401
        import ray
        import ray.data
    except ImportError as e:
        raise BatchError(f"the ray engine needs Ray Data: pip install 'handnum[ray]' ({one_line(e)})") from e
    started_here = not ray.is_initialized()
    if started_here:
        _init_ray(ray, address, workers)
    try:
        if workers is None:
            workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        workers = max(1, min(workers, len(paths)))
        with _data_context(ray.data.DataContext.get_current()):
            per_block = max(1, min(MAX_FILES_PER_BLOCK, len(paths) // (workers * BLOCKS_PER_WORKER)))
            missing = _one_pass(ray, paths, per_block, 2, options, workers, sink, model_sha256)
            if len(missing) > max(MAX_FILES_PER_BLOCK, len(paths) // 100):
                raise BatchError(f"the Ray tasks for {len(missing)} files failed (see {log or 'the log'}); the "
                                 "committed shards are kept: run again with --resume")
            # Blocks that failed every retry (with a block queued behind a poisonous one on the same
            # actor): each of their files is read in a Ray task of its own, retried on a fresh worker if
            # that worker dies; a file whose task still fails gets an error row saying what Ray saw.
            _read_alone(ray, missing, options, sink, model_sha256)
        return workers
    except HandnumError:
        raise
    except Exception as e:
        raise _as_batch_error(e, log) from e
    finally:
        if started_here:
            ray.shutdown()


def _one_pass(ray, paths: list[str], per_block: int, per_actor: int, options: Options, workers: int,
              sink: Callable[[FileResult], None], model_sha256: str | None) -> list[str]:
    """Run the actor pool over `paths` in blocks of `per_block`, at most `per_actor` blocks queued on
    an actor; return the paths of the blocks that failed."""
    import pyarrow as pa

    blocks = [pa.table({"path": paths[i:i + per_block]}) for i in range(0, len(paths), per_block)]
    with warnings.catch_warnings():  # ray_remote_args_fn: deprecated in Ray 2.60 with no replacement yet
        warnings.simplefilter("ignore", DeprecationWarning)
        ds = ray.data.from_arrow(blocks).map_batches(
            RayReader, fn_constructor_args=(options, model_sha256), batch_size=None, batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=min(workers, len(blocks)), max_tasks_in_flight_per_actor=per_actor),
            num_cpus=ACTOR_CPUS, ray_remote_args_fn=_actor_args)
    seen = set()
    for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
        for path, blob, rss in zip(*(batch.column(c).to_pylist() for c in ("path", "rows", "rss_mb"))):
            seen.add(path)
            sink(FileResult(path, pickle.loads(blob), rss))
    return [p for p in paths if p not in seen]


def _read_alone(ray, paths: list[str], options: Options, sink: Callable[[FileResult], None],
                model_sha256: str | None, fn: Callable[..., FileResult] | None = None) -> None:
    """Read each of `paths` in a task of its own; hand `sink` its rows, or an error row naming the failure.
    `fn(path, options, model_sha256)` (default: `read_file` with the worker's model) is for tests."""
    remote = ray.remote(num_cpus=ACTOR_CPUS, max_retries=SOLO_TRIES - 1, retry_exceptions=False)(fn or _read_one)
    refs = {remote.remote(p, options, model_sha256): p for p in paths}
    pending = list(refs)
    while pending:
        (ref,), pending = ray.wait(pending, num_returns=1)
        path = refs[ref]
        try:
            sink(ray.get(ref))
        except ray.exceptions.RayTaskError as e:  # raised by the task itself
            cause = getattr(e, "cause", None) or e
            if isinstance(cause, HandnumError):
                raise cause from None  # a broken model: the job's problem
            sink(FileResult(path, [error_row(path, 0, f"{path}: cannot read ({type(cause).__name__}: "
                                                      f"{one_line(cause)[:200]})", time.perf_counter())]))
        except ray.exceptions.RayError as e:  # the worker died (crash, out of memory), every time
            sink(FileResult(path, [death_row(path, "Ray worker", f"{type(e).__name__}: {_gist(e)}")]))


def _read_one(path: str, options: Options, model_sha256: str | None) -> FileResult:
    return read_file(path, options, worker_model(options, model_sha256))


def _gist(e: BaseException) -> str:
    """The first line of a Ray error that says something (they run to many lines)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return (lines[0] if lines else type(e).__name__)[:200]


def _init_ray(ray, address: str | None, workers: int | None) -> None:
    """Join the cluster at `address`, or start a local Ray sized to `workers` CPUs."""
    quiet = {"logging_level": logging.WARNING, "log_to_driver": False}  # errors come back as exceptions
    try:
        if address:
            ray.init(address=address, **quiet)
        else:
            from .local import default_workers

            ray.init(num_cpus=workers or default_workers(), include_dashboard=False, **quiet)
    except Exception as e:  # ConnectionError, RuntimeError, ValueError...
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise BatchError(f"cannot start {where}: {one_line(e)}") from e


def _actor_args() -> dict:
    """Bounded retries: Ray Data's default retries a block whose actor dies forever (a poison file would loop)."""
    return {"max_task_retries": TASK_RETRIES}


@contextlib.contextmanager
def _data_context(ctx):
    """Quiet Ray Data (our bar counts pages) and let a failed block be skipped, not end the job."""
    names = ("enable_progress_bars", "print_on_execution_start", "max_errored_blocks")
    saved = {n: getattr(ctx, n, None) for n in names}
    ctx.enable_progress_bars, ctx.print_on_execution_start, ctx.max_errored_blocks = False, False, -1
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)
    logging.getLogger("ray.data._internal.execution.streaming_executor").setLevel(logging.WARNING)
    try:
        yield ctx
    finally:
        for n, v in saved.items():
            setattr(ctx, n, v)


def _as_batch_error(e: Exception, log: Path | None = None) -> Exception:
    """A one-line error from a Ray failure; a handnum error raised on a worker comes back as itself."""
    cause: BaseException | None = e
    for _ in range(10):  # RayTaskError.cause, then the usual __cause__ chain
        if cause is None or isinstance(cause, HandnumError):
            break
        cause = getattr(cause, "cause", None) or cause.__cause__
    if isinstance(cause, HandnumError):
        return cause
    lines = [ln for ln in str(e).splitlines() if ln.strip()]
    where = f" (Ray's own output: {log})" if log else ""
    return BatchError(f"the Ray job failed: {type(e).__name__}: {lines[-1] if lines else ''}"[:500] + where)


class RayReader:
    """A Ray Data actor: loads the model once, then turns batches of paths into per-file results."""

    def __init__(self, options: Options, model_sha256: str | None = None):
        self.options = options
        self.model = worker_model(options, model_sha256)

    def __call__(self, batch):
        import pyarrow as pa

        results = [read_file(p, self.options, self.model) for p in batch.column("path").to_pylist()]
        return pa.table({"path": pa.array([r.path for r in results], pa.string()),
                         "rows": pa.array([pickle.dumps(r.rows) for r in results], pa.binary()),
                         "rss_mb": pa.array([r.rss_mb for r in results], pa.float64())})
