"""Batch mode: same results as `handnum.read`, exactly once across SIGKILL + --resume, bad files as rows, Ray = local."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

import handnum
from handnum.batch import BatchConfig, BatchError, run_batch
from handnum.batch.__main__ import main as batch_main
from handnum.batch.inputs import list_inputs
from handnum.batch.report import summarize
from handnum.batch.shards import committed_shards, iter_rows, open_out
from handnum.batch.worker import read_file, worker_model
from handnum.pipeline import Options

from .conftest import MNIST_DIR, ROOT, need

pytest.importorskip("pyarrow", reason="Parquet shards need pyarrow (dev extra)")


def rows_by_key(out: Path) -> dict:
    """Committed rows keyed by (source, page); fails on a page seen twice."""
    rows = {}
    for r in iter_rows(out):
        key = (r["source"], r["page"])
        assert key not in rows, f"{key} written twice"
        rows[key] = r
    return rows


def comparable(row: dict) -> dict:
    """A row without its timings (the only field allowed to differ between runs)."""
    doc = json.loads(row["json"]) if row["json"] else None
    if doc:
        doc.pop("elapsed_ms")
    return {**{k: v for k, v in row.items() if k not in ("json", "elapsed_ms")}, "json": doc}


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> Path:
    """~50 generated pages: clean PNGs, photo JPEGs in a subfolder, and a two-page PDF when Pillow is here."""
    need(MNIST_DIR)
    from handnum.synth import make_pages

    root = tmp_path_factory.mktemp("pages")
    make_pages(root, "clean", 44, seed=11, data=str(MNIST_DIR))
    make_pages(root / "photos", "photo", 4, seed=12, data=str(MNIST_DIR))
    try:
        from PIL import Image
    except ImportError:
        return root
    sheets = [Image.open(root / f"clean_{i:03d}.png").convert("RGB") for i in (0, 1)]
    sheets[0].save(root / "two.pdf", save_all=True, append_images=sheets[1:], resolution=100)
    return root


@pytest.fixture(scope="module")
def local_out(pages, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    summary = run_batch(BatchConfig([str(pages)], out, workers=2, shard_pages=8, progress=False))
    assert summary.errors == 0 and summary.shards > 1 and summary.skipped == 0
    return out


def test_local_engine_reads_like_handnum_read(pages, local_out):
    rows = rows_by_key(local_out)
    expected = {}
    for path in list_inputs([str(pages)]):
        for page in handnum.read_pages(path):
            expected[(page.source, page.page)] = page
    assert rows.keys() == expected.keys() and len(rows) >= 48
    for key, page in expected.items():
        row = rows[key]
        got = handnum.Page.from_dict(json.loads(row["json"]))
        assert row["error"] is None and row["text"] == page.text == got.text
        assert (row["width"], row["height"]) == (page.width, page.height)
        assert [(d.box, d.digit) for d in got.digits] == [(d.box, d.digit) for d in page.digits]
        for a, b in zip(got.digits, page.digits):
            assert a.confidence == pytest.approx(b.confidence, abs=2e-3)
        assert [(r.box, r.reason) for r in got.rejected] == [(r.box, r.reason) for r in page.rejected]
    report = summarize(local_out)
    assert report.finished and report.duplicates == 0 and report.errors == 0 and report.pages == len(rows)
    assert report.digits == sum(len(p.digits) for p in expected.values())


def test_sigkill_then_resume_gives_every_page_once(pages, local_out, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "handnum.batch", "batch", str(pages), "--out", str(out), "--workers", "2",
           "--shard-pages", "3", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while not (out.is_dir() and committed_shards(out)):
            assert proc.poll() is None, f"batch ended before the kill: {proc.stderr.read().decode()[-500:]}"
            assert time.monotonic() < deadline, "no shard committed within 90 s"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its worker processes, mid-flight
        proc.wait()
        proc.stderr.close()
    before = len(rows_by_key(out))
    assert 0 < before < len(rows_by_key(local_out))
    (out / ".tmp-part-0000-999999.parquet").write_bytes(b"PAR1 half a shard")  # as if killed mid-write

    assert batch_main(["batch", str(pages), "--out", str(out), "--workers", "2"]) == 1  # no --resume: refused
    summary = run_batch(BatchConfig([str(pages)], out, workers=2, shard_pages=8, resume=True, progress=False))
    assert summary.skipped > 0 and summary.read > 0 and summary.skipped + summary.read == summary.files
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]
    got, want = rows_by_key(out), rows_by_key(local_out)
    assert got.keys() == want.keys()
    assert all(comparable(got[k]) == comparable(want[k]) for k in want)
    assert summarize(out).duplicates == 0 and summarize(out).runs == 2


def test_bad_files_become_error_rows(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "fake.png").write_text("this is not an image")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "bad.pdf").write_bytes(b"%PDF-1.4 garbage")
    good = ROOT / "examples" / "sheet.jpg"
    (folder / "cut.png").write_bytes(cv2.imencode(".png", cv2.imread(str(good)))[1].tobytes()[:3000])
    manifest = tmp_path / "list.txt"
    manifest.write_text(f"# scans\nin/fake.png\nin/empty.jpg\nin/bad.pdf\nin/cut.png\n{good}\nin/missing.png\n")
    out = tmp_path / "out"
    assert batch_main(["batch", str(manifest), "--out", str(out), "--workers", "1", "--format", "jsonl",
                       "--no-progress"]) == 0
    rows = {Path(r["source"]).name: r for r in iter_rows(out)}
    assert all(p.suffix == ".jsonl" for p in committed_shards(out))
    messages = {"fake.png": "not a supported image", "empty.jpg": "empty file", "bad.pdf": "cannot open PDF",
                "cut.png": "corrupt or truncated", "missing.png": "cannot read"}
    for name, message in messages.items():
        row = rows[name]
        assert message in row["error"] and "\n" not in row["error"], row
        assert row["page"] == 0 and row["width"] is None and row["text"] is None and row["json"] is None
    assert rows["sheet.jpg"]["error"] is None and rows["sheet.jpg"]["text"] == handnum.read(good).text
    capsys.readouterr()
    assert batch_main(["batch-report", str(out)]) == 0
    report = capsys.readouterr().out
    assert "1 read, 5 error(s)" in report and "not a supported image" in report


def crash_on_poison(path: str, options: Options, model_sha256: str | None):
    """A worker task that kills its process on any file named poison* (as a decoder crash would)."""
    if Path(path).name.startswith("poison"):
        os._exit(3)
    from handnum.batch.local import _task

    return _task(path, options, model_sha256)


def test_local_engine_survives_a_worker_crash(tmp_path):
    from handnum.batch.local import run_local

    good = ROOT / "examples" / "sheet.jpg"
    paths = [str(good), str(tmp_path / "poison.png"), str(tmp_path / "fake.png")]
    (tmp_path / "fake.png").write_text("text")
    results = []
    run_local(paths, Options(), 2, results.append, task=crash_on_poison)
    rows = {Path(r.path).name: r.rows for r in results}
    assert sorted(rows) == ["fake.png", "poison.png", "sheet.jpg"]  # each exactly once
    assert "worker process died" in rows["poison.png"][0]["error"]
    assert rows["sheet.jpg"][0]["error"] is None and "not a supported image" in rows["fake.png"][0]["error"]


def test_output_folder_rules(tmp_path):
    good = str(ROOT / "examples" / "sheet.jpg")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(BatchError, match="holds no handnum batch job"):
        run_batch(BatchConfig([good], tmp_path / "other", resume=True, progress=False))
    out = tmp_path / "out"
    run_batch(BatchConfig([good], out, workers=1, format="jsonl", progress=False))
    with pytest.raises(BatchError, match="--resume"):
        run_batch(BatchConfig([good], out, progress=False))
    held, _ = open_out(out, None, True, {}, {})  # a job still running in this folder
    with pytest.raises(BatchError, match="another handnum batch job"):
        run_batch(BatchConfig([good], out, resume=True, progress=False))
    held.close()
    with pytest.raises(BatchError, match="--format jsonl"):
        run_batch(BatchConfig([good], out, resume=True, format="parquet", progress=False))
    with pytest.raises(BatchError, match="min_confidence"):
        run_batch(BatchConfig([good], out, resume=True, options=Options(min_confidence=0.9), progress=False))
    with pytest.raises(handnum.ModelError, match="not found"):
        run_batch(BatchConfig([good], tmp_path / "o3", options=Options(model=str(tmp_path / "none.onnx"))))
    with pytest.raises(BatchError, match="no such file"):
        run_batch(BatchConfig([str(tmp_path / "nope")], tmp_path / "o2", progress=False))


def test_inputs_globs_manifests_and_uris(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    good = ROOT / "examples" / "sheet.jpg"
    for rel in ("a/1.png", "a/b/2.jpg", "a/b/notes.json", "c/3.pdf"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    files = [str(tmp_path / r) for r in ("a/1.png", "a/b/2.jpg", "c/3.pdf")]
    assert list_inputs([str(tmp_path)]) == files
    assert list_inputs([str(tmp_path / "**" / "*.jpg"), str(tmp_path / "a")]) == [files[1], files[0]]
    pq.write_table(pa.table({"path": ["a/1.png", files[2], "a/1.png"]}), tmp_path / "m.parquet")
    assert list_inputs([str(tmp_path / "m.parquet")]) == [files[0], files[2]]
    uri = (tmp_path / "a").as_uri()
    assert list_inputs([uri]) == [uri + "/1.png", uri + "/b/2.jpg"]
    assert list_inputs([uri + "/**/*.jpg"]) == [uri + "/b/2.jpg"]
    opts = Options()
    (row,) = read_file(good.as_uri(), opts, worker_model(opts)).rows
    assert row["source"] == good.as_uri() and row["text"] == handnum.read(good).text


def test_ray_engine_matches_local(pages, local_out, tmp_path):
    pytest.importorskip("ray.data", reason="Ray is not installed: pip install 'handnum[ray]' to test the Ray engine")
    out = tmp_path / "out"
    summary = run_batch(BatchConfig([str(pages)], out, engine="ray", workers=2, shard_pages=8, progress=False))
    assert summary.workers == 2 and summary.errors == 0
    got, want = rows_by_key(out), rows_by_key(local_out)
    assert got.keys() == want.keys()
    assert all(comparable(got[k]) == comparable(want[k]) for k in want)
