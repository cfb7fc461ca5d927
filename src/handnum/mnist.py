"""MNIST: read the four IDX files (gzipped or not), find them, or download and verify them.

The SHA-256 sums are of the *decompressed* files, so a gzip re-encoded by a mirror still
verifies. Nothing here needs torch.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError

FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
# Public mirrors, tried in turn; each serves NAME.gz.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
_DTYPE = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass
class Mnist:
    """The MNIST split arrays: images (N, 28, 28) uint8, white ink on black; labels (N,) uint8."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    hashes: dict


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """Decode one IDX file (already decompressed) into an array; raise DataError if malformed."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPE:
        raise DataError(f"{name}: not an IDX file (bad magic number {data[:4].hex() or 'empty'})")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise DataError(f"{name}: truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPE[data[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise DataError(f"{name}: truncated or padded: {len(data)} bytes, expected {expected} for shape {shape}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataError(f"{path}: cannot read ({e})") from e


def verify(name: str, data: bytes, where: str = "") -> str:
    """Check the SHA-256 of a decompressed MNIST file against the known sum; return the sum."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != FILES[name]:
        raise DataError(f"{where or name}: SHA-256 {digest[:16]}… does not match the expected "
                        f"{FILES[name][:16]}… for {name} (corrupt, truncated or a different file)")
    return digest


def _locate(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz", folder / name.replace("-idx", ".idx")):
        if candidate.is_file():
            return candidate
    return None


def find_data_dir(data: str | os.PathLike | None = None) -> Path | None:
    """The MNIST folder: `data` if given, else $HANDNUM_DATA, else the user cache if it is complete."""
    for choice in (data, os.environ.get("HANDNUM_DATA")):
        if choice:
            return Path(choice)
    cache = default_cache()
    return cache if all(_locate(cache, n) for n in FILES) else None


def default_cache() -> Path:
    """Where downloaded MNIST files are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "handnum" / "mnist"


def load(data: str | os.PathLike | None = None, download: bool = False,
         mirrors: tuple[str, ...] = MIRRORS) -> Mnist:
    """Load and verify MNIST from a folder (gzipped or not); download into the cache if asked."""
    folder = find_data_dir(data)
    if folder is None:
        if not download:
            raise DataError("MNIST not found: pass --data DIR, set HANDNUM_DATA, or use --download")
        folder = fetch(default_cache(), mirrors)
    arrays, hashes = {}, {}
    for name in FILES:
        path = _locate(folder, name)
        if path is None:
            raise DataError(f"{folder}: missing {name} (or {name}.gz)")
        raw = _read_bytes(path)
        hashes[name] = verify(name, raw, str(path))
        arrays[name] = parse_idx(raw, str(path))
    return Mnist(arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"],
                 arrays["t10k-images-idx3-ubyte"], arrays["t10k-labels-idx1-ubyte"], hashes)


def fetch(folder: Path, mirrors: tuple[str, ...] = MIRRORS, timeout: float = 30.0) -> Path:
    """Download the four files into `folder`, trying each mirror in turn, verifying each file.

    A file is written under its final name only after its checksum matched, so a broken
    download never leaves a file that looks good.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        target = folder / name
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == FILES[name]:
            continue
        failures = []
        for mirror in mirrors:
            url = f"{mirror.rstrip('/')}/{name}.gz"
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    raw = response.read()
                data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
                verify(name, data, url)
            except (OSError, EOFError, ValueError, DataError) as e:
                failures.append(f"{url}: {e}")
                continue
            with tempfile.NamedTemporaryFile(dir=folder, delete=False) as tmp:
                tmp.write(data)
            shutil.move(tmp.name, target)
            break
        else:
            raise DataError(f"could not download {name}: " + "; ".join(failures))
    return folder
