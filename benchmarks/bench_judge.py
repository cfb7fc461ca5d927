"""The learned judge on and off: the real sheets (11 older, 20 newer) and generated validation pages.

    python benchmarks/bench_judge.py [--pages 8] [--sheets DIR] [--judge FILE] [--modes both|on|off] [--no-sheets]

`--judge FILE`: another judge model (a .onnx beside its .json card) in place of the shipped one.

Validation pages are drawn by `handnum.judge.scenes` from MNIST *test* digits, on seeds that
training never uses (from `VALIDATION_SEED`), `--pages` of each layout. On them a reported digit
is right where its centre lies on a drawn digit of the same value; "false on print/letters/marks"
counts digits reported on printed text, handwritten letters or marks, "false on paper" elsewhere.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from handnum import mnist
from handnum.evaluate import Score, load_truth, score_page
from handnum.judge import model as judge_model
from handnum.judge import scenes
from handnum.pipeline import Options, read_image
from handnum import io

ROOT = Path(__file__).resolve().parents[1]
VALIDATION_SEED = 9_500_000
OLDER = {"seed_test_2.png", "bikz05_photo_2.jpg", "pavitra_test_image.png", "mrsadeghi_13540.jpg",
         "mrsadeghi_webcamtgezlkttgx.png", "tahaemara_sample5.jpg", "hypa4_0.png", "hypjudy_5_a4.png",
         "owais_image1.jpg", "vinay_numbers2.jpg", "bguragain_form4.jpg"}  # the sheets the rules were fitted to


def sheets(folder: Path, opts: Options) -> dict[str, Score]:
    scores = {"11 older": Score(), "20 newer": Score(), "all 31": Score()}
    for name, lines in load_truth(folder / "truth.json").items():
        page = read_image(io.load(str(folder / name))[0].image, name, options=opts)
        ps = score_page(name, lines, [ln.text for ln in page.lines])
        scores["11 older" if name in OLDER else "20 newer"].pages.append(ps)
        scores["all 31"].pages.append(ps)
    return scores


def generated(layout: str, pages: int, digits, opts: Options) -> dict[str, int]:
    """Counts over the layout's validation pages: digits drawn (`true`), read right, read as
    another digit, read on print/letters/marks or on bare paper; handwritten numbers drawn,
    numbers read, and numbers read whole and alone (`numbers_right`)."""
    counts = dict(true=0, right=0, wrong_digit=0, on_other_kinds=0, on_paper=0,
                  numbers_true=0, numbers_read=0, numbers_right=0)
    for k in range(pages):
        scene = scenes.draw_scene(VALIDATION_SEED + 1000 * scenes.LAYOUTS.index(layout) + k, digits, layout)
        items = scene.items
        counts["true"] += sum(it.kind == "digit" for it in items)
        page = read_image(scene.image, "page", options=opts)
        for key, n in numbers_read(page, items).items():
            counts[key] += n
        for d in page.digits:
            under = [items[i] for i in _under(d.box, items)]
            if any(it.kind == "digit" and it.text == str(d.digit) for it in under):
                counts["right"] += 1
            elif any(it.kind == "digit" for it in under):
                counts["wrong_digit"] += 1
            elif under:
                counts["on_other_kinds"] += 1
            else:
                counts["on_paper"] += 1
    return counts


def _under(box, items: list) -> list[int]:
    """Indices of the drawn items whose box holds the centre of `box`."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return [i for i, it in enumerate(items) if it.box[0] <= cx < it.box[2] and it.box[1] <= cy < it.box[3]]


def numbers_read(page, items: list) -> dict[str, int]:
    """Handwritten numbers drawn, read, and read right: a read number is right when its digits lie
    on the digits of one drawn number, all of them, each read as its own digit."""
    drawn: dict[int, list[int]] = {}
    for i, it in enumerate(items):
        if it.kind == "digit":
            drawn.setdefault(it.number, []).append(i)
    right = 0
    for number in page.numbers:
        on = []
        for d in number.digits:
            under = [i for i in _under(d.box, items) if items[i].kind == "digit"]
            on.append(under[0] if len(under) == 1 and items[under[0]].text == str(d.digit) else None)
        if None not in on and len(set(on)) == len(on):
            ids = {items[i].number for i in on}
            right += len(ids) == 1 and sorted(on) == sorted(drawn[ids.pop()])
    return {"numbers_true": len(drawn), "numbers_read": len(page.numbers), "numbers_right": right}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=8, help="validation pages per layout")
    ap.add_argument("--sheets", default=str(ROOT.parent / "shared" / "data" / "sheets"))
    ap.add_argument("--data", default=os.environ.get("HANDNUM_DATA", str(ROOT.parent / "shared" / "data" / "mnist")))
    ap.add_argument("--judge", help="a judge model (.onnx with its card) instead of the shipped one")
    ap.add_argument("--modes", choices=["both", "on", "off"], default="both", help="the judge on, off, or both")
    ap.add_argument("--no-sheets", action="store_true", help="the generated validation pages only")
    args = ap.parse_args()
    if args.judge:
        judge_model.SHIPPED = Path(args.judge)
    modes = {"both": (False, True), "on": (True,), "off": (False,)}[args.modes]
    if not args.no_sheets and Path(args.sheets, "truth.json").is_file():
        print("| sheets | judge | digits | digit error | number F1 | pages exact |\n|---|---|---:|---:|---:|---:|")
        for judge in modes:
            for label, s in sheets(Path(args.sheets), Options(judge=judge)).items():
                m = s.summary()
                print(f"| {label} | {'on' if judge else 'off'} | {m['digits']} | {m['digit_error_rate']:.1%} | "
                      f"{m['number_f1']:.3f} | {m['pages_exact']} |", flush=True)
    m = mnist.load(args.data)
    digits = (m.test_images, m.test_labels)
    print("\n| layout | judge | digits | read right | recall | digits on print/letters/marks per page | "
          "digits on paper per page | number F1 |\n|---|---|---:|---:|---:|---:|---:|---:|")
    for layout in scenes.LAYOUTS:
        for judge in modes:
            c = generated(layout, args.pages, digits, Options(judge=judge))
            print(f"| {layout} | {'on' if judge else 'off'} | {c['true']} | {c['right']} | {c['right'] / max(1, c['true']):.1%} | "
                  f"{c['on_other_kinds'] / args.pages:.1f} | {c['on_paper'] / args.pages:.1f} | {number_f1(c):.3f} |", flush=True)


def number_f1(c: dict[str, int]) -> float:
    """F1 of the numbers read whole and alone against the numbers drawn."""
    return 2 * c["numbers_right"] / max(1, c["numbers_true"] + c["numbers_read"])


if __name__ == "__main__":
    main()
