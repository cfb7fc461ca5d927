"""The IDX reader, SHA-256 verification and the mirror fallback (against a local HTTP server)."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

from handnum import mnist
from handnum.errors import DataError


def idx_bytes(array: np.ndarray) -> bytes:
    code = {np.dtype(np.uint8): 0x08}[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + array.tobytes()


def test_parse_idx_roundtrip():
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(mnist.parse_idx(idx_bytes(a)), a)


def test_parse_idx_truncated():
    data = idx_bytes(np.zeros((5, 28, 28), np.uint8))
    with pytest.raises(DataError, match="truncated"):
        mnist.parse_idx(data[:-10], "x")


def test_parse_idx_wrong_magic():
    with pytest.raises(DataError, match="magic"):
        mnist.parse_idx(b"\x1f\x8b\x08\x00" + bytes(20), "x")
    with pytest.raises(DataError, match="magic"):
        mnist.parse_idx(b"", "x")


def test_load_real_mnist(mnist_dir):
    data = mnist.load(mnist_dir)
    assert data.train_images.shape == (60000, 28, 28) and data.test_images.shape == (10000, 28, 28)
    assert data.train_labels.max() == 9 and set(data.hashes) == set(mnist.FILES)


def test_load_reports_missing_file(tmp_path):
    with pytest.raises(DataError, match="missing train-images-idx3-ubyte"):
        mnist.load(tmp_path)


def test_load_reports_wrong_file(tmp_path, mnist_dir):
    for name in mnist.FILES:
        (tmp_path / name).write_bytes(gzip.decompress((mnist_dir / f"{name}.gz").read_bytes()))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(10000, np.uint8)))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.*does not match"):
        mnist.load(tmp_path)


@pytest.fixture
def fake_files(monkeypatch):
    """Small stand-ins for the four files, with their sums patched in as the expected ones."""
    files = {name: idx_bytes(np.full((3, 2, 2) if "images" in name else (3,), i, np.uint8))
             for i, name in enumerate(mnist.FILES)}
    monkeypatch.setattr(mnist, "FILES", {n: hashlib.sha256(d).hexdigest() for n, d in files.items()})
    return files


def serve(folder: Path):
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def test_fetch_falls_back_to_the_next_mirror(tmp_path, fake_files):
    bad, good = tmp_path / "bad", tmp_path / "good"
    bad.mkdir(), good.mkdir()
    for name, data in fake_files.items():
        (good / f"{name}.gz").write_bytes(gzip.compress(data))
        (bad / f"{name}.gz").write_bytes(gzip.compress(data[:-1] + b"\x07"))  # corrupt: wrong sum
    s1, url_bad = serve(bad)
    s2, url_good = serve(good)
    missing = "http://127.0.0.1:9/"  # nothing listens there
    try:
        folder = mnist.fetch(tmp_path / "cache", (missing, url_bad, url_good), timeout=5)
    finally:
        s1.shutdown(), s2.shutdown()
    for name, data in fake_files.items():
        assert (folder / name).read_bytes() == data


def test_fetch_fails_clearly_when_every_mirror_is_bad(tmp_path, fake_files):
    bad = tmp_path / "bad"
    bad.mkdir()
    for name, data in fake_files.items():
        (bad / f"{name}.gz").write_bytes(gzip.compress(data[: len(data) // 2]))  # truncated
    server, url = serve(bad)
    try:
        with pytest.raises(DataError, match="could not download train-images-idx3-ubyte.*does not match"):
            mnist.fetch(tmp_path / "cache", (url,), timeout=5)
    finally:
        server.shutdown()
    assert not (tmp_path / "cache" / "train-images-idx3-ubyte").exists()
