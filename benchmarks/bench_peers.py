"""handnum vs RapidOCR vs Tesseract 5 on the real sheets: digit error, number F1, seconds per page.

    cd /work/main && HANDNUM_DATA=/work/shared/data/mnist nice -n 10 .venv/bin/python benchmarks/bench_peers.py \\
        --runs 3 --json /tmp/peers.json [--rapidocr-python /tmp/peers-venv/bin/python] [--sheets DIR]

RapidOCR runs in its own venv (it may pull opencv-python, which clashes with the headless build here):
    python3 -m venv /tmp/peers-venv && /tmp/peers-venv/bin/pip install rapidocr onnxruntime
If that python (default /tmp/peers-venv/bin/python) is missing or fails, RapidOCR's columns show "-".

Each engine's text becomes lines of numbers: digit runs per text line joined by spaces, lines with no
digits dropped. RapidOCR's boxes are grouped into lines by vertical overlap (top to bottom, left to
right); Tesseract's lines are its stdout lines in its own order (digits whitelist, as in
bench_speed.py). Tesseract tries --psm 6, 11, 4 and reports the one with the fewest digit edits over
all sheets. Digit error = edit distance over the page's digits in reading order / true digits: capped
at 100% per sheet in the table, summed uncapped in the total row. Number F1 is over the multiset of
numbers per page (micro over pages in the total). Seconds are the median of `--runs` timed runs after
one warm-up: handnum and RapidOCR in one warm process each (decode included), Tesseract as one
`tesseract` process per page (start-up and model load included, as it is used).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import handnum
from handnum.evaluate import PageScore, Score, load_truth, score_page

ROOT = Path(__file__).resolve().parents[1]
if (ROOT.parent / "shared" / "data" / "mnist").is_dir():  # the project's data, unless told otherwise
    os.environ.setdefault("HANDNUM_DATA", str(ROOT.parent / "shared" / "data" / "mnist"))

ENGINES = ("handnum", "RapidOCR", "Tesseract")

# Runs in the RapidOCR venv: argv = runs, output file, images...; writes {"version", "api", "pages": {path: ...}}.
RAPIDOCR_RUNNER = r'''
import json, sys, time
from importlib import metadata
runs, out, paths = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
try:
    from rapidocr import RapidOCR
    package = "rapidocr"
except ImportError:
    from rapidocr_onnxruntime import RapidOCR
    package = "rapidocr_onnxruntime"
engine = RapidOCR()

def boxes_texts(result):
    if isinstance(result, tuple):  # rapidocr_onnxruntime: (list of [box, text, score] or None, elapse)
        return [[[list(map(float, p)) for p in box], text] for box, text, _ in (result[0] or [])], "(result, elapse)"
    if result.boxes is None or result.txts is None:
        return [], "result.boxes/result.txts"
    return [[[list(map(float, p)) for p in box], text] for box, text in zip(result.boxes.tolist(), result.txts)], \
        "result.boxes/result.txts"

pages, api = {}, None
for path in paths:
    try:
        items, api = boxes_texts(engine(path))  # warm-up, and the reading that is scored
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            engine(path)
            times.append(time.perf_counter() - t)
        pages[path] = {"items": items, "times": times}
    except Exception as e:
        pages[path] = {"error": f"{type(e).__name__}: {e}"}
json.dump({"version": f"{package} {metadata.version(package)}", "api": f"from {package} import RapidOCR; "
           f"engine = RapidOCR(); engine(path) -> {api}", "pages": pages}, open(out, "w"))
'''


def number_lines(texts: list[str]) -> list[str]:
    """Digit runs per text line, joined by spaces; lines without digits dropped."""
    return [" ".join(runs) for runs in (re.findall(r"\d+", t) for t in texts) if runs]


def group_boxes(items: list) -> list[str]:
    """RapidOCR (quad, text) items → text lines: boxes overlapping vertically by half the smaller
    height share a line; lines top to bottom, boxes left to right."""
    boxes = sorted(((min(p[1] for p in q), max(p[1] for p in q), min(p[0] for p in q), text) for q, text in items),
                   key=lambda b: (b[0] + b[1]) / 2)
    lines: list[list] = []  # [top, bottom, boxes]
    for top, bottom, left, text in boxes:
        for line in lines:
            overlap = min(bottom, line[1]) - max(top, line[0])
            if overlap > 0.5 * min(bottom - top, line[1] - line[0]):
                line[0], line[1] = min(top, line[0]), max(bottom, line[1])
                line[2].append((left, text))
                break
        else:
            lines.append([top, bottom, [(left, text)]])
    lines.sort(key=lambda ln: (ln[0] + ln[1]) / 2)
    return [" ".join(text for _, text in sorted(ln[2])) for ln in lines]


def tesseract(path: Path, psm: int) -> list[str]:
    done = subprocess.run(["tesseract", str(path), "stdout", "--psm", str(psm), "-c",
                           "tessedit_char_whitelist=0123456789"], capture_output=True, text=True, timeout=300)
    return done.stdout.splitlines()


def timed(fn, runs: int) -> tuple[list[float], object]:
    """One warm-up call (its result is returned), then `runs` timed calls in seconds."""
    out = fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times, out


def run_handnum(truth: dict, folder: Path, runs: int, judge: bool = True) -> dict:
    handnum.load_model()
    res = {}
    for name, lines in truth.items():
        try:
            times, page = timed(lambda: handnum.read(folder / name, judge=judge), runs)
            res[name] = (score_page(name, lines, [ln.text for ln in page.lines]), times)
        except Exception as e:
            res[name] = (score_page(name, lines, [], error=f"{type(e).__name__}: {e}"), [])
    return res


def run_rapidocr(python: str | None, truth: dict, folder: Path, runs: int) -> tuple[dict | None, dict]:
    """Scores per sheet (None if RapidOCR can't run) and {"version", "api"} or {"note"}."""
    if not python or not Path(python).is_file():
        return None, {"note": f"RapidOCR not run: no python at {python!r} (pass --rapidocr-python)"}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rapidocr.json"
        paths = [str(folder / name) for name in truth]
        done = subprocess.run([python, "-c", RAPIDOCR_RUNNER, str(runs), str(out), *paths],
                              capture_output=True, text=True)
        if done.returncode or not out.is_file():
            return None, {"note": f"RapidOCR failed (exit {done.returncode}): {done.stderr.strip()[-300:]}"}
        raw = json.loads(out.read_text())
    res = {}
    for name, lines in truth.items():
        page = raw["pages"][str(folder / name)]
        if "error" in page:
            res[name] = (score_page(name, lines, [], error=page["error"]), [])
        else:
            texts = group_boxes(page["items"])
            s = score_page(name, lines, number_lines(texts))
            s.raw_text = texts  # what it read, letters included
            res[name] = (s, page["times"])
    return res, {"version": raw["version"], "api": raw["api"]}


def run_tesseract(truth: dict, folder: Path, runs: int, psms: list[int]) -> tuple[dict | None, dict]:
    """Every psm once over all sheets; the one with the fewest total digit edits is timed."""
    if shutil.which("tesseract") is None:
        return None, {"note": "Tesseract not run: no `tesseract` on PATH"}
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    per_psm = {psm: {name: score_page(name, lines, number_lines(tesseract(folder / name, psm)))
                     for name, lines in truth.items()} for psm in psms}
    totals = {psm: Score(pages=list(s.values())).summary() for psm, s in per_psm.items()}
    best = min(psms, key=lambda psm: (sum(s.edits for s in per_psm[psm].values()), -totals[psm]["number_f1"]))
    res = {}
    for name in truth:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            tesseract(folder / name, best)
            times.append(time.perf_counter() - t)
        res[name] = (per_psm[best][name], times)
    return res, {"version": version, "psm": best, "psm_totals": {str(p): t for p, t in totals.items()}}


def f1(s: PageScore) -> float:
    p = s.numbers_matched / s.numbers_read if s.numbers_read else 0.0
    r = s.numbers_matched / s.numbers_true if s.numbers_true else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sheets", default=str(ROOT.parent / "shared" / "data" / "sheets"))
    ap.add_argument("--rapidocr-python", default="/tmp/peers-venv/bin/python",
                    help="python of a venv with rapidocr + onnxruntime (default: %(default)s)")
    ap.add_argument("--psm", default="6,11,4", help="Tesseract page-segmentation modes to try")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--judge", action=argparse.BooleanOptionalAction, default=True,
                    help="handnum reads with the learned judge (default, as `handnum read`; --no-judge: without)")
    args = ap.parse_args()
    folder = Path(args.sheets)
    truth = load_truth(folder / "truth.json")

    results, info = {}, {}
    results["handnum"], info["handnum"] = (run_handnum(truth, folder, args.runs, args.judge),
                                          {"version": handnum.__version__, "judge": args.judge})
    results["RapidOCR"], info["RapidOCR"] = run_rapidocr(args.rapidocr_python, truth, folder, args.runs)
    results["Tesseract"], info["Tesseract"] = run_tesseract(truth, folder, args.runs,
                                                            [int(p) for p in args.psm.split(",")])

    def cells(engine: str, name: str) -> str:
        if results[engine] is None:
            return "- | - | -"
        s, times = results[engine][name]
        err = min(1.0, s.edits / max(s.digits, 1))
        sec = f"{statistics.median(times):.2f}" if times else "error"
        return f"{err:.1%} | {f1(s):.3f} | {sec}"

    print(f"| sheet | digits | {' | '.join(f'{e} digit err | {e} F1 | {e} s' for e in ENGINES)} |")
    print("|---|---:|" + "---:|---:|---:|" * len(ENGINES))
    for name, lines in truth.items():
        digits = results["handnum"][name][0].digits
        print(f"| {name} | {digits} | {' | '.join(cells(e, name) for e in ENGINES)} |")
    total_cells, totals = [], {}
    for e in ENGINES:
        if results[e] is None:
            total_cells.append("- | - | -")
            continue
        summary = Score(pages=[s for s, _ in results[e].values()]).summary()
        medians = [statistics.median(t) for _, t in results[e].values() if t]
        summary.update(median_s_per_page=round(statistics.median(medians), 3), sum_s=round(sum(medians), 2))
        totals[e] = summary
        total_cells.append(f"**{summary['digit_error_rate']:.1%}** | **{summary['number_f1']:.3f}** | "
                           f"**{summary['median_s_per_page']:.2f}**")
    all_digits = sum(s.digits for s, _ in results["handnum"].values())
    print(f"| **total** ({len(truth)} sheets) | {all_digits} | {' | '.join(total_cells)} |")
    print("\nDigit error: capped at 100% per sheet; total = all edits / all true digits, uncapped. "
          f"F1: number F1 per sheet, micro over sheets in the total. s: median of {args.runs} runs per sheet; "
          "total = median over sheets" + "".join(f"; {e} all sheets {t['sum_s']:.1f} s" for e, t in totals.items())
          + ".")
    for e in ENGINES:
        print(f"- {e}: " + "; ".join(f"{k} {v}" for k, v in info[e].items() if k != "psm_totals"))
    if "psm_totals" in info["Tesseract"]:
        print("- Tesseract psm totals (digit err, F1): " + ", ".join(
            f"psm {p}: {t['digit_error_rate']:.1%}, {t['number_f1']:.3f}" for p, t in info["Tesseract"]["psm_totals"].items()))

    if args.json:
        sheets = []
        for name, lines in truth.items():
            row = {"sheet": name, "true": lines, "digits": results["handnum"][name][0].digits}
            for e in ENGINES:
                if results[e] is None:
                    continue
                s, times = results[e][name]
                row[e] = {"read": s.read_lines, "edits": s.edits,
                          "digit_error": round(s.edits / max(s.digits, 1), 4), "number_f1": round(f1(s), 4),
                          "numbers_true": s.numbers_true, "numbers_read": s.numbers_read,
                          "numbers_matched": s.numbers_matched, "error": s.error,
                          "median_s": round(statistics.median(times), 3) if times else None,
                          "times_s": [round(t, 3) for t in times]}
                if hasattr(s, "raw_text"):
                    row[e]["raw_text"] = s.raw_text
            sheets.append(row)
        Path(args.json).write_text(json.dumps({"runs": args.runs, "engines": info, "total": totals,
                                               "sheets": sheets}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
