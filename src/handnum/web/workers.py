"""Reads that can be stopped: a pool of worker processes, each with its own model.

A read is sent to an idle worker over a pipe and its answer awaited until the request's deadline.
Past it, the worker is killed (SIGKILL: its CPU and memory are back at once) and a fresh one is
started in the background, so a page that takes too long costs the server `timeout` seconds of one
core, never more. A worker that dies (a crash in a decoder, the OOM killer) is replaced the same way.

    pool = WorkerPool(2, model_path)          # starts the workers, waits until each has its model
    status, value = pool.call("read", args, timeout=30)   # blocking: run it in a thread
    pool.close()

A worker is `python -m handnum.web.workers FD MODEL` talking over a socket pair: unlike
multiprocessing's spawn, it never re-imports the caller's main script, so a script that calls
`create_app` needs no `if __name__ == "__main__"` guard.
"""
from __future__ import annotations

import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from ..errors import HandnumError, ImageError
from .tasks import TASKS, ApiError, image_error

log = logging.getLogger("handnum.web")
STARTED = (1, "started")   # a worker's word that it took a task: one killed before it is replaced silently
START_TIMEOUT_S = 120   # importing OpenCV and ONNX Runtime and loading the model, on a busy machine
RETRY_START_S = 5


class ReadTimeout(Exception):
    """A read (or the wait for a free worker) went past its deadline."""


class WorkerDied(Exception):
    """The worker process ended while reading (a crash or out of memory)."""


@dataclass(eq=False)   # each worker is itself (hashed by identity, kept in a set)
class Worker:
    process: subprocess.Popen
    conn: Connection

    def stop(self) -> None:
        """Kill the process now and reap it (SIGKILL: a read in C code does not look at signals)."""
        self.process.kill()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            log.error("worker process %d did not end after SIGKILL", self.process.pid)
        self.conn.close()


def serve(conn: Connection, model_path: str) -> None:
    """A worker process's loop: load the model, then answer (task, args) with (status, value) until EOF."""
    import cv2

    from ..model import load_model

    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the server's to handle
    cv2.setNumThreads(1)                           # one core per worker: the pool has one worker per core
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)   # a bad upload is its 4xx, not a log line
    try:
        try:
            model = load_model(model_path, threads=1)
        except HandnumError as e:
            conn.send((500, f"cannot load the model: {e}"))
            return
        conn.send((0, "ready"))
    except (EOFError, OSError):   # the server went while this worker started
        return
    while True:
        try:
            task, args = conn.recv()
            conn.send(STARTED)            # the server now knows the read began here
        except (EOFError, OSError):   # the server closed the pipe (or died): nothing more to do
            return
        try:
            reply = (200, TASKS[task](model, *args))
        except ApiError as e:
            reply = (e.status, e.message)
        except ImageError as e:
            err = image_error(e)
            reply = (err.status, err.message)
        except MemoryError:
            reply = (413, "not enough memory to read this image: send a smaller one")
        except Exception as e:  # noqa: BLE001 - a bug: answered as one line, the traceback logged by the server
            reply = (500, f"internal error: {type(e).__name__}: {e}", traceback.format_exc())
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return


class WorkerPool:
    """`size` worker processes reading with the model at `model_path` (see the module docstring)."""

    def __init__(self, size: int, model_path: str):
        if size < 1:
            raise ValueError(f"workers must be at least 1, got {size}")
        self.model_path, self.size = model_path, size
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.workers: set[Worker] = set()
        self.lock = threading.Lock()
        self.closed = False
        try:
            starting = [self._spawn() for _ in range(size)]   # all at once, then wait for each
            for worker in starting:
                self._welcome(worker)
        except BaseException:   # one could not start: none is left running
            self.close()
            raise

    def pids(self) -> list[int]:
        """The worker processes' ids (tests and benchmarks watch their CPU and memory)."""
        with self.lock:
            return sorted(w.process.pid for w in self.workers)

    def call(self, task: str, args: tuple, timeout: float) -> tuple:
        """Run TASKS[task](model, *args) in a worker: (status, value[, traceback]). Blocking.

        ReadTimeout when no worker is free in time or the read goes past `timeout` (the worker is
        then killed and replaced); WorkerDied when the worker ends while reading."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                worker = self.idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise ReadTimeout("no worker free in time") from None
            try:
                worker.conn.send((task, args))
                if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                    self._replace(worker)
                    raise ReadTimeout("the read went past its deadline")
                if worker.conn.recv() == STARTED:
                    break
                self._replace(worker)     # any other word: not a worker to trust with the read
            except (EOFError, OSError):   # it died while idle, maybe as the task was sent: the read has
                self._replace(worker)     # not started, so another worker takes it
        try:
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                raise ReadTimeout("the read went past its deadline")
            reply = worker.conn.recv()
        except ReadTimeout:
            self._replace(worker)
            raise
        except (EOFError, OSError) as e:
            self._replace(worker)
            raise WorkerDied(f"the worker process ended while reading (exit code {worker.process.returncode})") from e
        self.idle.put(worker)
        return reply

    def close(self) -> None:
        """Stop every worker (they are killed: a read in flight has no one left to answer)."""
        with self.lock:
            self.closed = True
            workers, self.workers = list(self.workers), set()
        for worker in workers:
            worker.stop()

    def _spawn(self) -> Worker:
        parent, child = socket.socketpair()
        package_root = str(Path(__file__).resolve().parents[2])   # this handnum, even if not installed
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        try:
            process = subprocess.Popen([sys.executable, "-m", "handnum.web.workers", str(child.fileno()), self.model_path],
                                       pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, env=env)
        except OSError as e:
            parent.close()
            raise HandnumError(f"cannot start a reading worker process: {e}") from e
        finally:
            child.close()   # the worker holds the only other end: it sees EOF when the server goes
        worker = Worker(process, Connection(parent.detach()))
        with self.lock:
            self.workers.add(worker)
        return worker

    def _welcome(self, worker: Worker) -> None:
        """Wait for a new worker's model, then make it available; HandnumError when it cannot start."""
        try:
            ready = worker.conn.poll(START_TIMEOUT_S) and worker.conn.recv()
        except (EOFError, OSError):
            ready = None
        if ready != (0, "ready"):
            self._forget(worker)
            why = ready[1] if isinstance(ready, tuple) else f"it ended (exit code {worker.process.poll()})"
            raise HandnumError(f"a reading worker process did not start: {why}")
        with self.lock:
            closed = self.closed
        if closed:   # the pool closed while this one started
            self._forget(worker)
        else:
            self.idle.put(worker)

    def _forget(self, worker: Worker) -> None:
        with self.lock:
            self.workers.discard(worker)
        worker.stop()

    def _replace(self, worker: Worker) -> None:
        """Kill `worker` now; start its successor in the background (retried while it fails)."""
        self._forget(worker)
        threading.Thread(target=self._restart, name="handnum-restart", daemon=True).start()

    def _restart(self) -> None:
        while not self.closed:
            try:
                self._welcome(self._spawn())
                return
            except HandnumError as e:
                log.error("%s; trying again in %d s", e, RETRY_START_S)
                time.sleep(RETRY_START_S)


if __name__ == "__main__":   # a worker: python -m handnum.web.workers FD MODEL_PATH
    serve(Connection(int(sys.argv[1])), sys.argv[2])
