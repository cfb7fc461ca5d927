"""Sheet-reading accuracy on generated pages of every kind, and on the real sheets.

    python benchmarks/bench_sheets.py [--pages 30] [--kinds clean,photo,...] [--sheets DIR] [--model FILE]

Pages are composed from MNIST *test* digits by `handnum.synth` (fixed seeds, cached in
--cache). For clutter pages it also reports the share of non-digit marks read as digits.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import handnum
from handnum.evaluate import Score, load_truth, score_page
from handnum.synth import KINDS, make_pages

ROOT = Path(__file__).resolve().parents[1]
if (ROOT.parent / "shared" / "data" / "mnist").is_dir():  # the project's data, unless told otherwise
    os.environ.setdefault("HANDNUM_DATA", str(ROOT.parent / "shared" / "data" / "mnist"))


def inside(point, box) -> bool:
    return box[0] <= point[0] < box[2] and box[1] <= point[1] < box[3]


def run(truth_path: Path, folder: Path, model: str | None) -> tuple[dict, float, float | None]:
    """Score every page; returns the summary, the median ms per page, and the false-mark share."""
    raw = json.loads(truth_path.read_text())
    truth = load_truth(truth_path)
    score, times, marks, false_marks = Score(), [], 0, 0
    for name, lines in truth.items():
        page = handnum.read(folder / name, model=model)
        times.append(page.elapsed_ms)
        score.pages.append(score_page(name, lines, [ln.text for ln in page.lines]))
        for mark in raw[name].get("marks", []):
            marks += 1
            centres = [((d.box[0] + d.box[2]) / 2, (d.box[1] + d.box[3]) / 2) for d in page.digits]
            true_digits = raw[name].get("digits", [])
            if any(inside(c, mark) and not any(inside(c, t) for t in true_digits) for c in centres):
                false_marks += 1
    return score.summary(), statistics.median(times), (false_marks / marks if marks else None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--cache", default="/tmp/handnum-bench-pages")
    ap.add_argument("--sheets", default=str(ROOT.parent / "shared" / "data" / "sheets"))
    ap.add_argument("--model")
    args = ap.parse_args()
    handnum.load_model(args.model)
    print("| pages | n | digit error rate | number P | number R | number F1 | exact pages | non-digit marks read as digits | median ms/page |")
    print("|---|---|---|---|---|---|---|---|---|")
    sets = []
    for seed, kind in enumerate(args.kinds.split(","), start=1):
        folder = Path(args.cache) / f"{kind}-{args.pages}-{seed}"
        truth = folder / "truth.json"
        if not truth.is_file():
            make_pages(folder, kind, args.pages, seed)
        sets.append((kind, truth, folder))
    if Path(args.sheets, "truth.json").is_file():
        sets.append(("real sheets", Path(args.sheets, "truth.json"), Path(args.sheets)))
    for label, truth, folder in sets:
        t = time.perf_counter()
        s, ms, false_share = run(truth, folder, args.model)
        fs = "-" if false_share is None else f"{false_share:.1%}"
        print(f"| {label} | {s['pages']} | {s['digit_error_rate']:.2%} | {s['number_precision']:.3f} | "
              f"{s['number_recall']:.3f} | {s['number_f1']:.3f} | {s['pages_exact']} | {fs} | {ms:.0f} |", flush=True)


if __name__ == "__main__":
    main()
