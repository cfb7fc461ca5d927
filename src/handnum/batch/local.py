"""The local engine: a pool of worker processes on this machine, one model and one ONNX thread each.

Files go out a few at a time per worker (never the whole list at once) and come back as whole
`FileResult`s, in the order they finish. A worker that dies (a crash in a decoder, the OOM killer)
breaks the pool: the files it may have been reading are tried again one at a time in a fresh pool,
and a file that kills a worker on its own becomes an error row, so one poisonous scan cannot stop
or loop the job.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..errors import HandnumError
from ..pipeline import Options
from .errors import BatchError
from .worker import FileResult, error_row, read_file, worker_model

IN_FLIGHT_PER_WORKER = 4
MAX_FRESH_BREAKS = 3


def default_workers() -> int:
    """The CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def run_local(paths: list[str], options: Options, workers: int, sink: Callable[[FileResult], None],
              model_sha256: str | None = None, task: Callable[..., FileResult] | None = None) -> None:
    """Read `paths` with `workers` processes, handing each file's result to `sink` as it finishes.

    `task(path, options, model_sha256)` (module-level; default: `read_file` with the worker's model) is for tests.
    """
    task = task or _task
    ctx = multiprocessing.get_context("spawn")  # no fork: the driver has threads (progress bar)
    queue, suspects = deque(paths), deque()
    fresh_breaks = 0
    while queue or suspects:
        alone = bool(suspects)  # after a crash, retry the suspects one at a time
        inflight: dict[Future, str] = {}
        delivered = 0
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(options, model_sha256, os.getpid()))
        try:
            while queue or suspects or inflight:
                alone = bool(suspects) or (alone and bool(inflight))
                source, limit = (suspects, 1) if alone else (queue, workers * IN_FLIGHT_PER_WORKER)
                while source and len(inflight) < limit:
                    path = source.popleft()
                    inflight[pool.submit(task, path, options, model_sha256)] = path
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()  # raises BrokenProcessPool if a worker died
                    del inflight[future]
                    sink(result)
                    delivered += 1
        except BrokenProcessPool:
            lost = list(inflight.values())
            if alone and len(lost) == 1:  # it died on this file, read on its own: the file's verdict
                sink(FileResult(lost[0], [error_row(lost[0], 0, f"{lost[0]}: the worker process died reading "
                                                    "this file (a crash or out of memory)", time.perf_counter())]))
            else:
                fresh_breaks = 0 if delivered else fresh_breaks + 1
                if fresh_breaks >= MAX_FRESH_BREAKS:
                    raise BatchError("worker processes keep dying before reading anything (out of memory?); "
                                     "committed shards are kept: run again with --resume") from None
                suspects.extend(lost)
        except BaseException:  # Ctrl-C or a failing sink: stop now, keep what is committed
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True, cancel_futures=True)


def _init_worker(options: Options, model_sha256: str | None, parent: int) -> None:
    """Load the model once per worker; ignore Ctrl-C (the driver stops the pool); exit with the driver."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    try:
        worker_model(options, model_sha256)
    except HandnumError:
        pass  # a failing initializer only breaks the pool; the first task raises the error again, clearly


def _exit_with_parent(parent: int) -> None:
    """A worker whose driver was killed (even SIGKILL) would wait on its queue forever: end it."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _task(path: str, options: Options, model_sha256: str | None = None) -> FileResult:
    return read_file(path, options, worker_model(options, model_sha256))
