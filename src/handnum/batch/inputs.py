"""What to read: folders, globs, files and manifests, on local disk or behind a URI (s3://, gs://, ...).

Folders and globs select image and PDF files (`handnum.io.IMAGE_SUFFIXES`), sorted; a manifest
(`.txt`/`.lst`/`.list`: one path per line, `#` comments; `.parquet`/`.pq`: a `path` column)
is taken as given, its relative entries resolved against the manifest's folder. Local paths
become absolute, so a resumed job recognises them from any working directory. URIs go through
`pyarrow.fs` (S3, GCS, HDFS, file) and, for other schemes, fsspec.
"""
from __future__ import annotations

import functools
import glob
import os
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ImageError
from ..folders import Warn, image_files, python_warning
from ..io import IMAGE_SUFFIXES
from .errors import BatchError, one_line

TEXT_MANIFESTS = {".txt", ".lst", ".list"}
PARQUET_MANIFESTS = {".parquet", ".pq"}
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_uri(path: str) -> bool:
    """True for `scheme://...` (read through a filesystem), False for a local path."""
    return bool(_URI.match(path))


def has_glob(path: str) -> bool:
    return any(c in path for c in "*?[")


def suffix(path: str) -> str:
    return posixpath.splitext(urlsplit(path).path if is_uri(path) else path)[1].lower()


def list_inputs(inputs: Iterable[str], warn: Warn | None = None) -> list[str]:
    """Every file to read, in order and without repeats, from command-line inputs.

    `warn` gets a line for each thing skipped (a broken symlink, an unreadable subfolder, an empty folder)."""
    files: dict[str, None] = {}
    for item in inputs:
        found = _list_uri(item) if is_uri(item) else _list_local(item, warn or python_warning)
        files.update(dict.fromkeys(found))
    if not files:
        raise BatchError("no image or PDF files found in the inputs")
    return list(files)


def _list_local(item: str, warn: Warn) -> list[str]:
    path = Path(item)
    if path.is_dir():
        return _folder(item, warn)
    if path.is_file():
        return read_manifest(item) if suffix(item) in TEXT_MANIFESTS | PARQUET_MANIFESTS else [os.path.abspath(item)]
    if has_glob(item):
        out = []
        for match in sorted(glob.glob(item, recursive=True)):
            if os.path.isdir(match):
                out += _folder(match, warn)
            elif suffix(match) in IMAGE_SUFFIXES:
                out.append(os.path.abspath(match))
        return out
    raise BatchError(f"{item}: no such file or folder")


def _folder(folder: str, warn: Warn) -> list[str]:
    """A local folder's image and PDF files, absolute; an empty one is worth a warning."""
    try:
        files = image_files(folder, warn)
    except ImageError as e:
        raise BatchError(str(e)) from e
    if not files:
        warn(f"{folder}: no image or PDF files in this folder")
    return [os.path.abspath(p) for p in files]


def read_manifest(manifest: str) -> list[str]:
    """The paths a manifest lists; relative ones are relative to the manifest's folder."""
    if suffix(manifest) in PARQUET_MANIFESTS:
        entries = _parquet_paths(manifest)
    else:
        try:
            text = read_bytes(manifest).decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise BatchError(f"{manifest}: cannot read manifest ({one_line(e)})") from e
        entries = [ln.strip() for ln in text.splitlines()]
        entries = [e for e in entries if e and not e.startswith("#")]
    if is_uri(manifest):
        base = manifest.rsplit("/", 1)[0]
        return [e if is_uri(e) or e.startswith("/") else f"{base}/{e}" for e in entries]
    base = os.path.dirname(os.path.abspath(manifest))
    return [e if is_uri(e) else os.path.abspath(os.path.join(base, e)) for e in entries]


def _parquet_paths(manifest: str) -> list[str]:
    try:
        import pyarrow.parquet as pq
    except ImportError as e:
        raise BatchError("a Parquet manifest needs pyarrow: pip install pyarrow") from e
    try:
        if is_uri(manifest):
            fs, path = filesystem(manifest)
            with fs.open_input_file(path) as f:
                table = pq.read_table(f, columns=["path"])
        else:
            table = pq.read_table(manifest, columns=["path"])
    except Exception as e:  # pyarrow raises ArrowInvalid, KeyError, OSError...
        raise BatchError(f"{manifest}: cannot read a 'path' column from this Parquet manifest ({one_line(e)})") from e
    return [str(p) for p in table.column("path").to_pylist() if p]


def read_bytes(path: str) -> bytes:
    """The whole file at a local path or URI."""
    if not is_uri(path):
        return Path(path).read_bytes()
    fs, fspath = filesystem(path)
    with fs.open_input_stream(fspath) as f:
        return f.read()


def filesystem(uri: str):
    """(pyarrow FileSystem, path inside it) for a URI; fsspec covers schemes pyarrow lacks."""
    parts = urlsplit(uri)
    fs, root = _root_filesystem(parts.scheme, parts.netloc, parts.query)
    return fs, (root.rstrip("/") + "/" + parts.path.lstrip("/")) if root else parts.path


@functools.lru_cache(maxsize=32)
def _root_filesystem(scheme: str, netloc: str, query: str):
    """One filesystem per bucket or host, made once per process (credentials are looked up once)."""
    try:
        from pyarrow import fs as pafs
    except ImportError as e:
        raise BatchError(f"reading {scheme}:// URIs needs pyarrow: pip install pyarrow") from e
    root = f"{scheme}://{netloc}/" + (f"?{query}" if query else "")
    try:
        fs, path = pafs.FileSystem.from_uri(root)
        return fs, path if netloc and scheme != "file" else ""
    except Exception as first:  # noqa: BLE001 - ArrowInvalid for a scheme pyarrow does not know
        try:
            import fsspec
        except ImportError:
            raise BatchError(f"cannot open {root} ({one_line(first)}); fsspec may know it: pip install fsspec") from first
        try:
            ffs, path = fsspec.core.url_to_fs(root)
        except Exception as e:
            raise BatchError(f"cannot open {root} ({one_line(e)})") from e
        return pafs.PyFileSystem(pafs.FSSpecHandler(ffs)), path if netloc else ""


def _list_uri(item: str) -> list[str]:
    from pyarrow import fs as pafs

    item = item.rstrip("/") if not item.endswith("://") else item
    fs, path = filesystem(item)
    base = item[:len(item) - len(path)] if item.endswith(path) else urlsplit(item).scheme + "://"
    try:
        if has_glob(path):
            static = path[:min(path.index(c) for c in "*?[" if c in path)].rsplit("/", 1)[0]
            pattern = _glob_regex(path)
            infos = fs.get_file_info(pafs.FileSelector(static, recursive=True))
            return sorted(base + i.path for i in infos if i.type == pafs.FileType.File
                          and pattern.fullmatch(i.path) and suffix(i.path) in IMAGE_SUFFIXES)
        info = fs.get_file_info(path)
        if info.type == pafs.FileType.Directory:
            infos = fs.get_file_info(pafs.FileSelector(path, recursive=True))
            return sorted(base + i.path for i in infos
                          if i.type == pafs.FileType.File and suffix(i.path) in IMAGE_SUFFIXES)
    except OSError as e:
        raise BatchError(f"{item}: cannot list ({one_line(e)})") from e
    if info.type == pafs.FileType.NotFound:
        raise BatchError(f"{item}: no such file or folder")
    return read_manifest(item) if suffix(item) in TEXT_MANIFESTS | PARQUET_MANIFESTS else [item]


def _glob_regex(pattern: str) -> re.Pattern:
    """A glob as a regex: `**` crosses folders, `*` and `?` do not."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[" and "]" in pattern[i + 1:]:
            j = pattern.index("]", i + 1)
            out, i = out + "[" + pattern[i + 1:j].replace("!", "^", 1) + "]", j + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)
