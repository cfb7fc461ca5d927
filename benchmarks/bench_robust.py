"""How steady reading is: the real sheets, each also slightly changed in ways any other photo of it
would differ (JPEG again, lighter, darker, smaller, turned by 1°, softer), read and scored.

    python benchmarks/bench_robust.py [--sheets ../shared/data/sheets] [-v]

A reader tuned to these very files reads them well and their near twins badly; we check on real
photos that are not here, so the figures over the variants are the ones to improve.
"""
from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import cv2
import numpy as np

import handnum
from handnum.evaluate import Score, load_truth, score_page

ROOT = Path(__file__).resolve().parents[1]


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    return cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)


def _turn(image: np.ndarray, degrees: float) -> np.ndarray:
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


VARIANTS = {
    "as is": lambda im: im,
    "jpeg 90": lambda im: _jpeg(im, 90),
    "lighter": lambda im: cv2.add(im, 8),
    "darker": lambda im: cv2.subtract(im, 8),
    "0.9 size": lambda im: cv2.resize(im, None, fx=0.9, fy=0.9, interpolation=cv2.INTER_AREA),
    "0.75 size": lambda im: cv2.resize(im, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA),
    "turned 1°": lambda im: _turn(im, 1.0),
    "softer": lambda im: cv2.GaussianBlur(im, (3, 3), 0),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sheets", default=str(ROOT.parent / "shared" / "data" / "sheets"))
    ap.add_argument("-v", action="store_true", help="per sheet and variant")
    args = ap.parse_args()
    folder = Path(args.sheets)
    truth = load_truth(folder / "truth.json")
    handnum.load_model()
    per_variant = {v: Score() for v in VARIANTS}
    print("| sheet | digits | edits as is | edits over the variants (median, max) | digit error over the variants |")
    print("|---|---:|---:|---:|---:|")
    for name, lines in truth.items():
        image = cv2.imread(str(folder / name), cv2.IMREAD_COLOR)
        edits = {}
        for v, change in VARIANTS.items():
            s = score_page(name, lines, [ln.text for ln in handnum.read(change(image)).lines])
            per_variant[v].pages.append(s)
            edits[v] = s.edits
            if args.v:
                print(f"  {name} {v}: {s.edits} edits")
        digits = per_variant["as is"].pages[-1].digits
        rest = [e for v, e in edits.items() if v != "as is"]
        print(f"| {name} | {digits} | {edits['as is']} | {statistics.median(rest):.0f}, {max(rest)} | "
              f"{sum(rest) / (len(rest) * digits):.1%} |")
    print("\n| variant | digit error | number F1 | exact pages |")
    print("|---|---:|---:|---:|")
    for v, score in per_variant.items():
        m = score.summary()
        print(f"| {v} | {m['digit_error_rate']:.2%} | {m['number_f1']:.3f} | {m['pages_exact']} |")
    edits = sum(p.edits for v, s in per_variant.items() if v != "as is" for p in s.pages)
    digits = sum(p.digits for v, s in per_variant.items() if v != "as is" for p in s.pages)
    print(f"\nall variants but 'as is': digit error {edits / digits:.2%}")


if __name__ == "__main__":
    main()
