"""Each of the reader's remaining word, size and line rules switched off, one run per rule, to see what it does.

    python benchmarks/ablate_rules.py [RULE,RULE...] [--pages 2] [--no-judge]

With no rule named, the reader as it is (the baseline). Prints one line: the real sheets (11 older,
20 newer, all 31: digit error and number F1) and the generated validation pages of every layout
(`bench_judge.py`'s measures: recall, digits reported on print, letters, marks or bare paper per
page, digits read as the wrong digit, number F1). A rule the judge has taken over changes neither;
such a rule is deleted (issue 20, item 3).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_judge as bench  # noqa: E402

from handnum import layout, mnist, recheck, segment, sizes, words  # noqa: E402
from handnum.judge import scenes  # noqa: E402
from handnum.pipeline import Options  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _none(boxes, *args, **kwargs):
    return np.zeros(len(boxes), bool)


def _small_without_line_scale():
    out_of_scale = sizes.out_of_scale
    return lambda boxes, probs, scale, beside=None: out_of_scale(boxes, probs, scale, None)


RULES = {  # name: (module, attribute, stand-in that switches the rule off)
    "in_words": (layout, "in_words", lambda: _none),
    "spaced_words": (words, "spaced_words", lambda: _none),
    "doubted": (layout, "doubted_in_numbers", lambda: _none),
    "word_evidence": (layout, "_word_evidence", lambda: lambda *args, **kwargs: False),  # words by fewer letters
    "small": (sizes, "out_of_scale", _small_without_line_scale),  # `small` against the line's digits
    "rule": (segment, "rule_fringes", lambda: _none),     # the pale edge of a printed line read as a 1 or 7
    "recheck": (recheck, "shed_extras", lambda: _unchecked),  # a merged mark read again by its main piece
}


def _unchecked(ink, comps, whole, *args, **kwargs):
    return comps, whole


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rules", nargs="?", default="", help=f"comma-separated, of: {', '.join(RULES)}")
    ap.add_argument("--pages", type=int, default=2, help="validation pages per layout")
    ap.add_argument("--judge", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--sheets", default=str(ROOT.parent / "shared" / "data" / "sheets"))
    ap.add_argument("--data", default=os.environ.get("HANDNUM_DATA", str(ROOT.parent / "shared" / "data" / "mnist")))
    args = ap.parse_args()
    off = [r for r in args.rules.split(",") if r]
    unknown = set(off) - set(RULES)
    if unknown:
        ap.error(f"unknown rule(s) {sorted(unknown)}; known: {', '.join(RULES)}")
    for name in off:
        module, attr, stand_in = RULES[name]
        setattr(module, attr, stand_in())
    opts = Options(judge=args.judge)
    parts = []
    if Path(args.sheets, "truth.json").is_file():
        for label, s in bench.sheets(Path(args.sheets), opts).items():
            m = s.summary()
            parts.append(f"{label}: {m['digit_error_rate']:.1%} F1 {m['number_f1']:.3f}")
    m = mnist.load(args.data)
    total: dict[str, int] = {}
    for name in scenes.LAYOUTS:
        for k, v in bench.generated(name, args.pages, (m.test_images, m.test_labels), opts).items():
            total[k] = total.get(k, 0) + v
    pages = args.pages * len(scenes.LAYOUTS)
    parts.append(f"validation recall {total['right'] / max(1, total['true']):.1%}, "
                 f"false per page {(total['on_other_kinds'] + total['on_paper']) / pages:.2f}, "
                 f"wrong digits {total['wrong_digit']}, number F1 {bench.number_f1(total):.3f}")
    print(f"{args.rules or 'none'} (judge {'on' if args.judge else 'off'}) | " + " | ".join(parts))


if __name__ == "__main__":
    main()
