"""The output folder and its commit protocol: why a killed job resumes with each page exactly once.

DIR holds:
    part-RRRR-SSSSSS.parquet|.jsonl   committed shards (run R, shard S); each holds whole input files
    _handnum_batch.json               format, reading settings, and one record per run
    .tmp-*                            a shard or record being written: never read, removed on resume

A shard is written under a `.tmp-` name, fsynced, renamed into place (`os.replace`, atomic) and
the folder fsynced. The committed shards are the record of what is done: an input file is done iff
its path is in the `source` column of a committed shard. Names starting with `.` or `_` are skipped
by Parquet dataset readers, so `pyarrow.dataset.dataset(DIR)` sees exactly the committed rows.
"""
from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import BatchError, one_line
from .worker import FileResult, Row, is_death_row

META = "_handnum_batch.json"
LOCK = "_handnum_batch.lock"
TEMP = ".tmp-"
FORMATS = {"parquet": ".parquet", "jsonl": ".jsonl"}
SHARD = re.compile(r"^part-\d+-\d+\.(parquet|jsonl)$")


def arrow_schema():
    """The Parquet schema of a shard (one row per page)."""
    import pyarrow as pa

    return pa.schema([("source", pa.string()), ("page", pa.int32()), ("width", pa.int32()),
                      ("height", pa.int32()), ("text", pa.string()), ("json", pa.string()),
                      ("elapsed_ms", pa.float64()), ("error", pa.string())])


def need_pyarrow() -> None:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError as e:
        raise BatchError("Parquet output needs pyarrow: pip install pyarrow (or use --format jsonl)") from e


@dataclass
class OutDir:
    """An opened output folder: its format, its record (`meta`) and the index of this run."""

    path: Path
    format: str
    meta: dict[str, Any]
    run: int
    lock: int | None = None  # a file descriptor holding an exclusive lock on DIR (POSIX)

    def close(self) -> None:
        """Release DIR for another job (a killed job's lock goes with its process)."""
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None

    def update_run(self, **fields: Any) -> None:
        """Update this run's record and write it atomically."""
        self.meta["runs"][self.run].update(fields)
        atomic_write(self.path / META, (json.dumps(self.meta, indent=1) + "\n").encode())


def open_out(path: Path, fmt: str | None, resume: bool, settings: dict[str, Any],
             run_info: dict[str, Any]) -> tuple[OutDir, set[str]]:
    """Check or create DIR, clean half-written files, start a run record; return the sources already done."""
    if path.exists() and not path.is_dir():
        raise BatchError(f"{path} is a file, not a folder")
    path.mkdir(parents=True, exist_ok=True)
    lock = lock_dir(path)
    try:
        return _open_locked(path, fmt, resume, settings, run_info, lock)
    except BaseException:
        if lock is not None:
            os.close(lock)
        raise


def lock_dir(path: Path) -> int | None:
    """An exclusive lock on DIR, so two jobs never write to one folder at once (POSIX; elsewhere none)."""
    try:
        import fcntl
    except ImportError:
        return None
    fd = os.open(path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise BatchError(f"another handnum batch job is writing to {path}") from None
    return fd


def _open_locked(path: Path, fmt: str | None, resume: bool, settings: dict[str, Any], run_info: dict[str, Any],
                 lock: int | None) -> tuple[OutDir, set[str]]:
    names = [n for n in os.listdir(path) if not n.startswith(TEMP) and n != LOCK]
    meta = read_meta(path)
    if names and meta is None:
        raise BatchError(f"{path} is not empty and holds no handnum batch job ({META}): choose a new or empty folder")
    if meta is not None and not resume:
        raise BatchError(f"{path} already holds a batch job: add --resume to continue it (files already done "
                         f"are skipped), or choose a new folder")
    if meta is None:
        meta = {"schema": "handnum-batch/1", "format": fmt or "parquet", "settings": settings, "runs": []}
    if fmt and fmt != meta["format"]:
        raise BatchError(f"{path} holds {meta['format']} shards: resume with --format {meta['format']}")
    changed = [k for k in settings if k in meta["settings"] and meta["settings"][k] != settings[k]]  # new keys: a newer handnum
    if changed:
        was = ", ".join(f"{k}={meta['settings'].get(k)!r}" for k in changed)
        raise BatchError(f"{path} was written with {was}; resume with the same settings, or choose a new folder")
    if meta["format"] == "parquet":
        need_pyarrow()
    for name in os.listdir(path):
        if name.startswith(TEMP):
            (path / name).unlink(missing_ok=True)  # a shard or record that was never committed
    retried = drop_rows(path, meta["format"], is_death_row) if resume else 0
    done: set[str] = set()
    for shard in committed_shards(path):
        done.update(r["source"] for r in read_shard(shard, ["source"]))
    meta["runs"].append({"run": len(meta["runs"]), "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                         **run_info, "retried": retried, "seconds": 0.0, "files": 0, "pages": 0, "errors": 0, "shards": 0,
                         "finished": False})
    out = OutDir(path, meta["format"], meta, len(meta["runs"]) - 1, lock)
    out.update_run()
    return out, done


def drop_rows(path: Path, fmt: str, drop: Callable[[Row], bool]) -> int:
    """Take the rows `drop` picks out of DIR's committed shards; return how many went.

    Used on --resume for the error rows of files whose worker died: their files are then not
    done and this run reads them again. Each shard is rewritten atomically (or removed when
    nothing is left), so a kill at any moment leaves each row either in its shard or gone, its
    file then read again: never twice."""
    dropped = 0
    for shard in committed_shards(path):
        if not any(drop(r) for r in read_shard(shard, ["error"])):
            continue
        rows = read_shard(shard)
        kept = [r for r in rows if not drop(r)]
        if kept:
            atomic_write(shard, encode(kept, fmt))
        else:
            shard.unlink()
            fsync_dir(path)
        dropped += len(rows) - len(kept)
    return dropped


def read_meta(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((path / META).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise BatchError(f"{path / META} is unreadable ({one_line(e)})") from e


def committed_shards(path: Path) -> list[Path]:
    """The committed shards of DIR, in the order they were written."""
    return sorted(path / n for n in os.listdir(path) if SHARD.match(n))


def read_shard(shard: Path, columns: list[str] | None = None) -> list[Row]:
    """The rows of one committed shard (only `columns`, if given)."""
    try:
        if shard.suffix == ".parquet":
            need_pyarrow()
            import pyarrow.parquet as pq

            return pq.read_table(shard, columns=columns).to_pylist()
        with open(shard, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        return [{c: r.get(c) for c in columns} for r in rows] if columns else rows
    except BatchError:
        raise
    except Exception as e:  # a committed shard is complete by construction: this is disk damage
        raise BatchError(f"shard {shard} is unreadable ({one_line(e)}); move it away and run again with "
                         f"--resume to read its files again") from e


def iter_rows(path: Path, columns: list[str] | None = None) -> Iterator[Row]:
    """Every committed row of DIR, shard by shard."""
    for shard in committed_shards(path):
        yield from read_shard(shard, columns)


def atomic_write(target: Path, data: bytes) -> None:
    """Write `data` to `target` so that a crash leaves either the old file or the new one."""
    tmp = target.with_name(f"{TEMP}{target.name}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)
    fsync_dir(target.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (POSIX; elsewhere a no-op)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class ShardWriter:
    """Buffers whole files' rows and commits them as shards of about `shard_pages` rows.

    A file already in `done` (from a committed shard, or earlier in this run) is dropped, so
    each file is written once even if an engine delivers it twice.
    """

    out: OutDir
    done: set[str]
    shard_pages: int = 1000
    shard_seconds: float = 300.0
    buffer: list[Row] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=lambda: {"files": 0, "pages": 0, "errors": 0, "shards": 0})
    started: float = field(default_factory=time.monotonic)
    last_commit: float = field(default_factory=time.monotonic)

    def add(self, result: FileResult) -> bool:
        """Take one file's rows; commit a shard when enough are buffered. False for a repeat."""
        if result.path in self.done:
            return False
        self.done.add(result.path)
        self.buffer.extend(result.rows)
        self.stats["files"] += 1
        if len(self.buffer) >= self.shard_pages or time.monotonic() - self.last_commit >= self.shard_seconds:
            self.commit()
        return True

    def commit(self, finished: bool = False) -> Path | None:
        """Write the buffered rows as one shard (atomically) and update the run record."""
        shard = None
        if self.buffer:
            name = f"part-{self.out.run:04d}-{self.stats['shards']:06d}{FORMATS[self.out.format]}"
            shard = self.out.path / name
            if shard.exists():
                raise BatchError(f"{shard} exists already: is another job writing to {self.out.path}?")
            atomic_write(shard, encode(self.buffer, self.out.format))
            self.stats["shards"] += 1
            self.stats["pages"] += sum(r["error"] is None for r in self.buffer)
            self.stats["errors"] += sum(r["error"] is not None for r in self.buffer)
            self.buffer = []
        if shard or finished:
            self.out.update_run(seconds=round(time.monotonic() - self.started, 2), finished=finished,
                                **{k: v for k, v in self.stats.items()})
        self.last_commit = time.monotonic()
        return shard


def encode(rows: list[Row], fmt: str) -> bytes:
    """Rows as the bytes of a Parquet file or JSON Lines."""
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema()), sink, compression="zstd")
    return sink.getvalue().to_pybytes()
