"""Batch jobs against poison files and dying workers: every page read exactly once, no file blamed
for a death that is not its own, a job that cannot start says so and writes nothing."""
from __future__ import annotations

import functools
import os
import shutil
import signal
from pathlib import Path

import pytest

import handnum
from handnum.batch import BatchConfig, BatchError, run_batch
from handnum.batch import local
from handnum.batch.local import SOLO_TRIES, run_local
from handnum.batch.shards import committed_shards
from handnum.pipeline import Options

from .conftest import EXAMPLES, tiff_claiming
from .test_batch import rows_by_key

pytest.importorskip("pyarrow", reason="Parquet shards need pyarrow (dev extra)")


@pytest.fixture
def folder(tmp_path) -> Path:
    """Two good scans around a poison TIFF and a text file called .png."""
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(EXAMPLES / "sheet.jpg", src / "a.jpg")
    (src / "b-claims.tif").write_bytes(tiff_claiming(65000, 65000))  # once stopped a batch with a traceback
    (src / "c-fake.png").write_text("not an image")
    shutil.copy(EXAMPLES / "sheet.jpg", src / "d.jpg")
    return src


def test_a_poison_file_is_an_error_row_and_the_rest_is_read(folder, tmp_path):
    out = tmp_path / "out"
    summary = run_batch(BatchConfig([str(folder)], out, workers=1, progress=False))
    rows = {Path(r["source"]).name: r for r in rows_by_key(out).values()}
    assert summary.files == 4 and summary.errors == 2 and summary.pages == 2
    assert "image too large: 65000x65000" in rows["b-claims.tif"]["error"]
    assert "not a supported image" in rows["c-fake.png"]["error"]
    text = handnum.read(EXAMPLES / "sheet.jpg").text
    assert rows["a.jpg"]["text"] == rows["d.jpg"]["text"] == text


def attempts(path: str) -> int:
    """Count this attempt at `path` in a file beside it; return the count so far."""
    counter = Path(path + ".attempts")
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(n))
    return n


def killed_from_outside(path: str, options: Options, model_sha256: str | None, deaths: int = 1):
    """A task whose worker is SIGKILLed (as by a user or the OOM killer) the first `deaths` times it reads victim*."""
    if Path(path).name.startswith("victim") and attempts(path) <= deaths:
        os.kill(os.getpid(), signal.SIGKILL)
    return local._task(path, options, model_sha256)


def test_a_worker_killed_from_outside_is_retried_and_its_page_read_once(tmp_path):
    paths = [str(shutil.copy(EXAMPLES / "sheet.jpg", tmp_path / name)) for name in ("a.jpg", "victim.jpg", "z.jpg")]
    results = []
    run_local(paths, Options(), 2, results.append, task=killed_from_outside)
    got = {Path(r.path).name: r.rows for r in results}
    assert sorted(got) == ["a.jpg", "victim.jpg", "z.jpg"] and len(results) == 3  # each exactly once
    assert all(rows[0]["error"] is None for rows in got.values())
    assert Path(paths[1] + ".attempts").read_text() == "2"


def test_only_a_file_that_kills_every_fresh_worker_is_blamed(tmp_path):
    shutil.copy(EXAMPLES / "sheet.jpg", tmp_path / "victim.jpg")
    paths = [str(tmp_path / "victim.jpg"), str(shutil.copy(EXAMPLES / "sheet.jpg", tmp_path / "ok.jpg"))]
    results = []  # dies SOLO_TRIES times (once among others, then alone in a fresh pool), read at the last try
    run_local(paths, Options(), 2, results.append, task=functools.partial(killed_from_outside, deaths=SOLO_TRIES))
    assert [r.rows[0]["error"] for r in results] == [None, None]
    Path(paths[0] + ".attempts").unlink()
    results = []  # dies every time: an error row after SOLO_TRIES deaths alone
    run_local(paths[:1], Options(), 1, results.append, task=functools.partial(killed_from_outside, deaths=99))
    (rows,) = [r.rows for r in results]
    assert "the worker process died reading this file" in rows[0]["error"]
    assert Path(paths[0] + ".attempts").read_text() == str(1 + SOLO_TRIES)


def die_at_start(options: Options, model_sha256: str | None) -> None:
    os._exit(1)


def fail_at_start(options: Options, model_sha256: str | None) -> None:
    raise RuntimeError("libonnxruntime.so: cannot open shared object file")


@pytest.mark.parametrize("init, message", [
    (die_at_start, "worker processes cannot start: they die before loading the model"),
    (fail_at_start, "a worker process cannot start: RuntimeError: libonnxruntime.so"),
])
def test_workers_that_cannot_start_stop_the_job_and_commit_nothing(folder, tmp_path, monkeypatch, init, message):
    monkeypatch.setattr(local, "run_local", functools.partial(run_local, init=init))
    out = tmp_path / "out"
    with pytest.raises(BatchError, match=message):
        run_batch(BatchConfig([str(folder)], out, workers=2, progress=False))
    assert committed_shards(out) == []


def always_killed(path: str, options: Options, model_sha256: str | None):
    """A task whose worker dies on victim* while the file `block` exists beside it."""
    if Path(path).name.startswith("victim") and Path(path).with_name("block").exists():
        os.kill(os.getpid(), signal.SIGKILL)
    return local._task(path, options, model_sha256)


def test_resume_reads_again_the_files_of_dead_workers(tmp_path, monkeypatch):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.jpg", "victim.jpg"):
        shutil.copy(EXAMPLES / "sheet.jpg", src / name)
    (src / "block").write_text("")
    monkeypatch.setattr(local, "run_local", functools.partial(run_local, task=always_killed))
    out = tmp_path / "out"
    first = run_batch(BatchConfig([str(src)], out, workers=1, progress=False, format="jsonl"))
    assert first.errors == 1 and "died reading this file" in rows_by_key(out)[(str(src / "victim.jpg"), 0)]["error"]
    (src / "block").unlink()  # whatever killed the worker is gone
    second = run_batch(BatchConfig([str(src)], out, workers=1, progress=False, resume=True))
    assert second.retried == 1 and second.read == 1 and second.errors == 0
    rows = rows_by_key(out)  # fails on a page written twice
    assert sorted(Path(s).name for s, _ in rows) == ["a.jpg", "victim.jpg"]
    assert all(r["error"] is None for r in rows.values())


@pytest.fixture
def ray():
    return pytest.importorskip("ray", reason="Ray is not installed: pip install 'handnum[ray]' to test the Ray engine")


def test_ray_error_rows_name_the_real_error_and_ray_stays_quiet(folder, tmp_path, ray, capfd):
    out = tmp_path / "out"
    summary = run_batch(BatchConfig([str(folder)], out, engine="ray", workers=2, progress=False))
    rows = {Path(r["source"]).name: r for r in rows_by_key(out).values()}
    assert summary.pages == 2 and "image too large: 65000x65000" in rows["b-claims.tif"]["error"]
    err = capfd.readouterr().err
    assert "Token authentication" not in err and "core_worker" not in err and "Traceback" not in err, err
    assert (out / "_ray.log").exists()


def killed_in_ray(path: str, options: Options, model_sha256: str | None):
    if Path(path).name.startswith("victim"):
        os.kill(os.getpid(), signal.SIGKILL)
    from handnum.batch.ray_engine import _read_one

    return _read_one(path, options, model_sha256)


def test_ray_reads_a_failed_blocks_files_alone_and_names_a_death(tmp_path, ray):
    from handnum.batch.ray_engine import _read_alone

    paths = [str(shutil.copy(EXAMPLES / "sheet.jpg", tmp_path / n)) for n in ("a.jpg", "victim.jpg")]
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        results = []
        _read_alone(ray, paths, Options(), results.append, None, fn=killed_in_ray)
    finally:
        ray.shutdown()
    got = {Path(r.path).name: r.rows[0]["error"] for r in results}
    assert got["a.jpg"] is None
    assert "the Ray worker died reading this file" in got["victim.jpg"] and "Error" in got["victim.jpg"]
