"""The image and PDF files of a folder, recursively, saying what was skipped and why.

A broken or looping symlink, a symlink to a folder (not followed: no loops, no file listed
twice) and a subfolder that cannot be read each give one warning line; a top folder that
cannot be read is an `ImageError`.
"""
from __future__ import annotations

import errno
import os
import stat
import sys
import warnings
from collections.abc import Callable

from .errors import ImageError

Warn = Callable[[str], None]


def python_warning(message: str) -> None:
    """The default `warn` of the library: a Python warning (shown once per message)."""
    warnings.warn(message, stacklevel=4)


def stderr_warning(message: str) -> None:
    """The `warn` of the command line: one line on stderr, and the run goes on."""
    print(f"handnum: warning: {message}", file=sys.stderr)


def image_files(folder: str, warn: Warn | None = None, suffixes: set[str] | None = None) -> list[str]:
    """Paths of the files under `folder` with an image or PDF suffix, in sorted path order."""
    from .io import IMAGE_SUFFIXES

    warn = warn or python_warning
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as e:
        raise ImageError(f"{folder}: cannot read folder ({e.strerror or e})") from e
    found: list[str] = []
    _walk(folder, entries, suffixes or IMAGE_SUFFIXES, warn, found)
    return found


def _walk(folder: str, entries: list[os.DirEntry], suffixes: set[str], warn: Warn, found: list[str]) -> None:
    for entry in entries:
        path = os.path.join(folder, entry.name)
        try:
            mode = os.stat(path).st_mode  # follows a symlink
        except OSError as e:
            if e.errno == errno.ELOOP:
                warn(f"{path}: symlink loop, skipped")
            elif e.errno == errno.ENOENT and entry.is_symlink():
                warn(f"{path}: broken symlink (to {_target(path)}), skipped")
            else:
                warn(f"{path}: cannot read ({e.strerror or e}), skipped")
            continue
        if stat.S_ISDIR(mode):
            if entry.is_symlink():
                warn(f"{path}: symlink to a folder, not followed (give the folder itself to read it)")
                continue
            try:
                with os.scandir(path) as it:
                    sub = sorted(it, key=lambda e: e.name)
            except OSError as e:
                warn(f"{path}: cannot read folder ({e.strerror or e}), skipped")
                continue
            _walk(path, sub, suffixes, warn, found)
        elif stat.S_ISREG(mode) and os.path.splitext(entry.name)[1].lower() in suffixes:
            found.append(path)


def _target(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"
