"""Peak memory and time of reading large and hostile files, each in a fresh process.

    python benchmarks/bench_memory.py                     # every case
    python benchmarks/bench_memory.py --cases rgba_png pdf_500 --runs 3

Each case's file is generated once into a temp folder (kept between runs), then read by
`handnum read FILE --json` (or `handnum.read(FILE, page=0)` for the `page0` cases) in a child
process; the peak resident memory is the child's `ru_maxrss` (what `/usr/bin/time -v` prints as
"Maximum resident set size"). Goal (issue 21): every case ≤ 1 GB, and a PDF's memory flat in its
page count (compare pdf_50, pdf_500 and pdf_2000).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

FOLDER = Path(tempfile.gettempdir()) / "handnum-bench-memory"


def _digits(image: np.ndarray, value) -> None:
    """A few large written numbers, so the read has something to find."""
    h, w = image.shape[:2]
    for i, text in enumerate(("4711", "2026", "90210")):
        cv2.putText(image, text, (w // 10, (i + 1) * h // 4), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, w / 1500, value,
                    max(2, w // 800), cv2.LINE_AA)


def rgba_png(path: Path, side: int = 8900, depth: int = 8) -> None:
    """A transparent side×side RGBA PNG with black digits (8900² = 79.2 MP, just under 80 MP)."""
    image = np.zeros((side, side, 4), np.uint8)
    _digits(image, (0, 0, 0, 255))
    cv2.imwrite(str(path), image if depth == 8 else image.astype(np.uint16) * 257)


def rgba_tiff(path: Path, side: int = 8900, depth: int = 16) -> None:
    """The transparent page as an RGBA TIFF (OpenCV decodes it unchanged: 4 or 8 bytes a pixel, and
    hands back a copy: a 16-bit one is refused above ~45 MP at the default limits)."""
    image = np.zeros((side, side, 4), np.uint8)
    _digits(image, (0, 0, 0, 255))
    cv2.imwrite(str(path), image if depth == 8 else image.astype(np.uint16) * 257, [cv2.IMWRITE_TIFF_COMPRESSION, 8])


def rgb_png(path: Path, side: int = 8900) -> None:
    """The same page opaque: the reference the alpha and 16-bit cases are compared with."""
    image = np.full((side, side, 3), 255, np.uint8)
    _digits(image, (0, 0, 0))
    cv2.imwrite(str(path), image)


def big_tiff(path: Path, side: int = 32000) -> None:
    """A real white grey TIFF of side² pixels (32000² = 1.02 GP), deflate-compressed (a few MB)."""
    image = np.full((side, side), 255, np.uint8)
    cv2.imwrite(str(path), image, [cv2.IMWRITE_TIFF_COMPRESSION, 8])


def blank_pdf(path: Path, pages: int) -> None:
    """A PDF of `pages` blank US Letter pages."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(612, 792)
    pdf.save(str(path))
    pdf.close()


CASES: dict[str, tuple[str, Callable[[Path], None], str]] = {
    # name: (file name, maker, how it is read)
    "rgb_png": ("rgb-8900.png", rgb_png, "cli"),
    "rgba_png": ("rgba-8900.png", rgba_png, "cli"),
    "rgba16_png": ("rgba16-8900.png", lambda p: rgba_png(p, depth=16), "cli"),
    "rgba_tiff": ("rgba-8900.tif", lambda p: rgba_tiff(p, depth=8), "cli"),
    "rgba16_tiff": ("rgba16-8900.tif", rgba_tiff, "cli"),
    "rgba16_tiff_44mp": ("rgba16-6600.tif", lambda p: rgba_tiff(p, 6600), "cli"),
    "tiff_1gp": ("white-32000.tif", big_tiff, "cli"),
    "pdf_50": ("blank-50.pdf", lambda p: blank_pdf(p, 50), "cli"),
    "pdf_500": ("blank-500.pdf", lambda p: blank_pdf(p, 500), "cli"),
    "pdf_2000": ("blank-2000.pdf", lambda p: blank_pdf(p, 2000), "cli"),
    "pdf_500_page0": ("blank-500.pdf", lambda p: blank_pdf(p, 500), "page0"),
}


def make(name: str) -> Path:
    file, maker, _ = CASES[name]
    path = FOLDER / file
    if not path.exists():
        FOLDER.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name("tmp-" + path.name)  # the suffix stays: OpenCV picks the format by it
        maker(tmp)
        os.replace(tmp, path)
    return path


def measure(name: str, extra: list[str]) -> tuple[float, float, int, str]:
    """(peak MB, wall s, exit code, first stderr line) of reading case `name` in a fresh process."""
    path = make(name)
    how = CASES[name][2]
    if how == "page0":
        cmd = [sys.executable, "-c", "import sys, handnum; p = handnum.read(sys.argv[1], page=0); "
               "print(p.text)", str(path)]
    else:
        cmd = [sys.executable, "-m", "handnum.cli", "read", str(path), "--json", *extra]
    # a fresh child per case: RUSAGE_CHILDREN of a fresh wrapper is that child's peak
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, time.perf_counter() - t, "
               "r.returncode); print(r.stderr.strip().splitlines()[0] if r.stderr.strip() else '')")
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, check=True).stdout
    first, _, last = out.partition("\n")
    peak, wall, rc = first.split()
    return float(peak), float(wall), int(rc), last.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    ap.add_argument("--runs", type=int, default=1, help="runs per case; medians are reported")
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more `handnum read` options")
    args = ap.parse_args()
    print(f"peak memory of one fresh process per read (ru_maxrss), median of {args.runs} run(s)\n")
    print("| case | file | peak MB | wall s | exit | first stderr line |")
    print("|---|---|---:|---:|---:|---|")
    for name in args.cases:
        runs = [measure(name, args.extra) for _ in range(args.runs)]
        path = make(name)
        size = path.stat().st_size
        peak = statistics.median(r[0] for r in runs)
        wall = statistics.median(r[1] for r in runs)
        print(f"| {name} | {path.name} ({size / 1e6:.2f} MB) | {peak:.0f} | {wall:.1f} | {runs[-1][2]} | "
              f"{runs[-1][3].replace(str(FOLDER) + '/', '')[:140]} |", flush=True)


if __name__ == "__main__":
    main()
