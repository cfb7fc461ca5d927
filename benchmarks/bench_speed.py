"""Speed and memory of `handnum read`, with Tesseract 5 on the same pages in the same run.

    python benchmarks/bench_speed.py [--runs 7] [--sheets ../shared/data/sheets]

Pages: the seed photo (3844×1012) and the 12-megapixel form photo of ../shared/data/sheets, a
generated 12-megapixel phone-style JPEG, and a generated photo page. Figures are medians over `--runs` runs in one warm process, decode included;
cold start is `handnum read` as a fresh process to its first result; peak memory is the
maximum RSS of a process that reads the 12 MP page.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

import handnum
from handnum import mnist
from handnum.evaluate import score_page
from handnum.synth import layout_page, render

ROOT = Path(__file__).resolve().parents[1]
if (ROOT.parent / "shared" / "data" / "mnist").is_dir():  # the project's data, unless told otherwise
    os.environ.setdefault("HANDNUM_DATA", str(ROOT.parent / "shared" / "data" / "mnist"))


def make_12mp(folder: Path) -> tuple[Path, list[str]]:
    """A 4000×3000 phone-style JPEG of MNIST test digits, digits 60–240 px tall."""
    test = mnist.load()
    rng = np.random.default_rng(12)
    small, lines, _, _ = layout_page(rng, test.test_images, test.test_labels, 1333, 1000)
    alpha = cv2.resize(small, (4000, 3000), interpolation=cv2.INTER_LINEAR)
    path = folder / "phone_12mp.jpg"
    cv2.imwrite(str(path), render(alpha, rng, "photo"), [cv2.IMWRITE_JPEG_QUALITY, 88])
    return path, lines


def timed(fn, runs: int) -> tuple[float, object]:
    fn()  # warm-up
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def tesseract(path: Path, psm: int) -> list[str]:
    done = subprocess.run(["tesseract", str(path), "stdout", "--psm", str(psm), "-c",
                           "tessedit_char_whitelist=0123456789"], capture_output=True, text=True, timeout=300)
    return [" ".join(line.split()) for line in done.stdout.splitlines() if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--sheets", default=str(ROOT.parent / "shared" / "data" / "sheets"))
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    pages = []
    real = {"seed_test_2.png": "seed photo 3844×1012", "bguragain_form4.jpg": "12 MP form photo 3000×4000"}
    for name, label in real.items():  # real sheets, where ../shared has them (targets: 150 and 600 ms)
        if (Path(args.sheets) / name).is_file():
            truth = json.loads((Path(args.sheets) / "truth.json").read_text())[name]["lines"]
            pages.append((label, Path(args.sheets) / name, truth))
    big, big_truth = make_12mp(tmp)
    pages.append(("12 MP phone JPEG", big, big_truth))
    ex_truth = json.loads((ROOT / "examples" / "truth.json").read_text())["sheet.jpg"]["lines"]
    pages.append(("example sheet 1000×640", ROOT / "examples" / "sheet.jpg", ex_truth))

    handnum.load_model()
    has_tess = shutil.which("tesseract") is not None
    rows = []
    for label, path, truth in pages:
        ms, page = timed(lambda: handnum.read(path), args.runs)
        s = score_page(label, truth, [ln.text for ln in page.lines])
        row = {"page": label, "handnum_ms": round(ms, 1), "handnum_digit_err": round(s.edits / s.digits, 4),
               "handnum_exact": s.exact}
        if has_tess:
            best = None
            for psm in (6, 11, 4):
                t0 = time.perf_counter()
                lines = tesseract(path, psm)
                t_ms = (time.perf_counter() - t0) * 1000
                ts = score_page(label, truth, lines)
                if best is None or ts.edits < best[1].edits:
                    best = (psm, ts, t_ms)
            psm, ts, t_ms = best
            row.update(tesseract_psm=psm, tesseract_ms=round(t_ms, 1),
                       tesseract_digit_err=round(min(1.0, ts.edits / ts.digits), 4),
                       time_ratio=round(t_ms / ms, 1))
        rows.append(row)

    cold = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "handnum.cli", "read", str(pages[0][1])], check=True,
                       capture_output=True)
        cold.append((time.perf_counter() - t) * 1000)
    # VmHWM (peak RSS of this process image); ru_maxrss would inherit the parent's peak across fork
    mem = subprocess.run([sys.executable, "-c", "import handnum, sys, re; handnum.read(sys.argv[1]); "
                          "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))", str(big)],
                         check=True, capture_output=True, text=True)
    peak_mb = int(mem.stdout.strip()) / 1024

    print("| page | handnum ms (median) | handnum digit error | Tesseract psm | Tesseract ms | Tesseract digit error | time ratio |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['page']} | {r['handnum_ms']} | {r['handnum_digit_err']:.1%} | {r.get('tesseract_psm', '-')} | "
              f"{r.get('tesseract_ms', '-')} | {r.get('tesseract_digit_err', float('nan')):.1%} | "
              f"{r.get('time_ratio', '-')}× |")
    print(f"\ncold start `handnum read` (seed photo), median of 3: {statistics.median(cold):.0f} ms")
    print(f"peak memory reading the 12 MP page: {peak_mb:.0f} MB")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
