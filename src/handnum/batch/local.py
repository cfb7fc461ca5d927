"""The local engine: a pool of worker processes on this machine, one model and one ONNX thread each.

Files go out a few at a time per worker (never the whole list at once) and come back as whole
`FileResult`s, in the order they finish. A worker that dies (a decoder crash, the OOM killer, a
kill from outside) breaks the pool: the files in flight are read again one at a time, each alone
in a fresh pool, and only a file whose worker dies `SOLO_TRIES` times while it is read alone
becomes an error row (`--resume` reads such files again). Workers that cannot start (they die
or fail before their model is loaded) stop the job with an error, blaming no file; so do deaths
that go on with no file read in between (`MAX_DEATHS_IN_A_ROW`).
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
from .errors import BatchError, one_line
from .worker import FileResult, death_row, read_file, worker_model

IN_FLIGHT_PER_WORKER = 4
SOLO_TRIES = 2            # deaths of a file read alone, each in a fresh pool, before it is an error row
MAX_DEATHS_IN_A_ROW = 8   # pool deaths with no file read in between: the machine, not the files
START_TRIES = 2           # pools in a row whose workers all fail to start


def default_workers() -> int:
    """The CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def run_local(paths: list[str], options: Options, workers: int, sink: Callable[[FileResult], None],
              model_sha256: str | None = None, task: Callable[..., FileResult] | None = None,
              init: Callable[..., None] | None = None) -> None:
    """Read `paths` with `workers` processes, handing each file's result to `sink` as it finishes.

    `task(path, options, model_sha256)` (module-level; default: `read_file` with the worker's model) and
    `init(options, model_sha256)` (run first in each worker) are for tests.
    """
    task = task or _task
    ctx = multiprocessing.get_context("spawn")  # no fork: the driver has threads (progress bar)
    queue, suspects = deque(paths), deque()
    solo_deaths: dict[str, int] = {}
    deaths_in_a_row = start_failures = 0
    while queue or suspects:
        started = ctx.Value("i", 0)  # workers of this pool that loaded their model
        inflight: dict[Future, str] = {}
        alone = False
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(options, model_sha256, os.getpid(), started, init))
        try:
            while queue or suspects or inflight:
                alone = bool(suspects) or (alone and bool(inflight))  # after a death: one file at a time
                source, limit = (suspects, 1) if alone else (queue, workers * IN_FLIGHT_PER_WORKER)
                while source and len(inflight) < limit:
                    path = source.popleft()
                    inflight[pool.submit(task, path, options, model_sha256)] = path
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()  # raises BrokenProcessPool if a worker died
                    del inflight[future]
                    sink(result)
                    deaths_in_a_row = start_failures = 0
        except BrokenProcessPool:
            lost = list(inflight.values())
            if not started.value:  # no worker got as far as its model: nobody's file is to blame
                start_failures += 1
                if start_failures >= START_TRIES:
                    raise BatchError("worker processes cannot start: they die before loading the model "
                                     "(out of memory? a broken install?); committed shards are kept") from None
                queue.extendleft(reversed(lost))
            else:
                deaths_in_a_row += 1
                if deaths_in_a_row >= MAX_DEATHS_IN_A_ROW:
                    raise BatchError(f"worker processes keep dying ({deaths_in_a_row} times with no file read in "
                                     "between: out of memory?); committed shards are kept: run again with "
                                     "--resume") from None
                if alone and len(lost) == 1:  # it died on this file, read on its own
                    path = lost[0]
                    solo_deaths[path] = solo_deaths.get(path, 0) + 1
                    if solo_deaths[path] >= SOLO_TRIES:  # every time, in a fresh worker: the file's verdict
                        sink(FileResult(path, [death_row(path, "worker process")]))
                    else:
                        suspects.appendleft(path)
                else:
                    suspects.extend(lost)
        except BaseException:  # Ctrl-C, a worker that cannot load the model, a failing sink: stop now
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True, cancel_futures=True)


_start_error: list[str] = []  # in a worker: why it could not load its model (the first task says it)


def _init_worker(options: Options, model_sha256: str | None, parent: int, started, init=None) -> None:
    """Load the model once per worker; ignore Ctrl-C (the driver stops the pool); exit with the driver."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    try:
        if init is not None:
            init(options, model_sha256)
        worker_model(options, model_sha256)
    except Exception as e:  # noqa: BLE001 - said by the first task, as one line, rather than a dead pool
        _start_error.append(str(e) if isinstance(e, HandnumError) else
                            f"a worker process cannot start: {type(e).__name__}: {one_line(e)}")
        return
    with started.get_lock():
        started.value += 1


def _exit_with_parent(parent: int) -> None:
    """A worker whose driver was killed (even SIGKILL) would wait on its queue forever: end it."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _task(path: str, options: Options, model_sha256: str | None = None) -> FileResult:
    if _start_error:
        raise BatchError(_start_error[0])
    return read_file(path, options, worker_model(options, model_sha256))
