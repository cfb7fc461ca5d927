"""Page orientation: how often the reader turns a page the right way.

    python benchmarks/bench_orient.py [--pages 3] [--sheets DIR]

Generated validation pages (MNIST test digits, the seeds of `bench_judge.py`, `--pages` of each
layout) are stored turned by each quarter turn and read; a page is right where the reader's
`rotation` undoes the turn. The real sheets are read as stored: the turn found is listed for each
sheet that is turned (one of them, pswiac, is stored sideways; the rest are upright). The figure is
the reader's `rotation`, so this script measures any version of the reader the same way.
Each real sheet is also read as stored and turned by each quarter (124 reads): right where `rotation`
undoes that turn and the sheet's own (pswiac: 90°, its notes say so).
"""
from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

import numpy as np

from handnum import io, mnist
from handnum.evaluate import load_truth
from handnum.judge import scenes
from handnum.pipeline import Options, read_image

ROOT = Path(__file__).resolve().parents[1]
VALIDATION_SEED = 9_500_000  # as bench_judge.py
STORED_TURNED = {"pswiac_handwritten.jpg": 90}  # truth.json's notes: stored sideways, no EXIF tag


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=3, help="validation pages per layout (default 3)")
    ap.add_argument("--sheets", default=str(ROOT.parent / "shared" / "data" / "sheets"))
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "mnist"))
    ap.add_argument("--no-generated", action="store_true", help="real sheets only")
    args = ap.parse_args()
    m = mnist.load(args.data)
    digits, opts, t0 = (m.test_images, m.test_labels), Options(), time.time()
    right, seen = collections.Counter(), collections.Counter()
    for layout in () if args.no_generated else scenes.LAYOUTS:
        for k in range(args.pages):
            image = scenes.draw_scene(VALIDATION_SEED + 1000 * scenes.LAYOUTS.index(layout) + k, digits, layout).image
            for q in range(4):  # stored turned clockwise by q quarters: reading must turn it back by q × 90°
                page = read_image(np.ascontiguousarray(np.rot90(image, k=-q)), "page", options=opts)
                seen[layout, q] += 1
                right[layout, q] += page.rotation == 90 * q
    print("| layout | upright | stored 90° | stored 180° | stored 270° |\n|---|---:|---:|---:|---:|")
    for layout in scenes.LAYOUTS + ("all",):
        cells = [(sum(right[la, q] for la in scenes.LAYOUTS), sum(seen[la, q] for la in scenes.LAYOUTS))
                 if layout == "all" else (right[layout, q], seen[layout, q]) for q in range(4)]
        print(f"| {layout} | " + " | ".join(f"{r}/{n}" for r, n in cells) + " |")
    total = sum(right.values()), sum(seen.values())
    if total[1]:
        print(f"\nvalidation pages turned right: {total[0]} of {total[1]} ({100 * total[0] / total[1]:.1f} %)")
    sheets = Path(args.sheets)
    if (sheets / "truth.json").exists():
        turned, wrong, reads = {}, [], 0
        for name in load_truth(sheets / "truth.json"):
            image = io.load(str(sheets / name))[0].image
            for q in range(4):
                page = read_image(np.ascontiguousarray(np.rot90(image, k=-q)), name, options=opts)
                reads += 1
                if q == 0 and page.rotation:
                    turned[name] = page.rotation
                if page.rotation != (STORED_TURNED.get(name, 0) + 90 * q) % 360:
                    wrong.append(f"{name} stored +{90 * q}°: {page.rotation}")
        print(f"real sheets as stored, turned: {turned or 'none'}")
        print(f"real sheets stored as they are and turned by each quarter: {reads - len(wrong)} of {reads} right")
        print("wrong: " + ("; ".join(wrong) or "none"))
    print(f"({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
