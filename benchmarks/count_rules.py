"""Count the reader's hand-set numbers: the thresholds a rule compares against, named or not.

    python benchmarks/count_rules.py [--per-line] [--src DIR]

Issue 20 asks for this count before and after the learned judge takes rules over. Counted, in the
modules a page passes through when it is read (`READER`, not training, I/O or the web):
- named: module-level constants bound to a number (`MARGIN = 0.6`, `LOW, HIGH = 0.3, 0.9`), and
  numbers in tuples of them;
- in comparisons: a number literal compared against (`h < 0.45 * scale`), except 0 (a sign or
  emptiness test, not a threshold) and the 0 / 1 / 255 ends of pixel and probability ranges;
- defaults: a float default of a function's parameter (`gap: float = 0.6`).
A number counts once per place it is written. The figure is a proxy (a constant used in three rules
counts once; an image-processing kernel size is not a decision and is not counted), but it is
reproducible: the same code gives the same count.
"""
from __future__ import annotations

import argparse
import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "handnum"
READER = ["pipeline.py", "paper.py", "preprocess.py", "deskew.py", "orient.py", "segment.py", "curves.py",
          "normalize.py", "recheck.py", "sizes.py", "touching.py", "cuts.py", "loops.py", "forms.py", "layout.py",
          "words.py", "judge/model.py", "judge/features.py"]
ENDS = {0, 1, 255}


def _number(node: ast.AST) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _number(node.operand)
        return None if v is None else -v
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    return None


def _numbers_in(node: ast.AST) -> list[tuple[int, float]]:
    """Number literals anywhere inside `node` (a comparison's side: `0.45 * scale` holds 0.45)."""
    out = []
    for sub in ast.walk(node):
        v = _number(sub)
        if v is not None and not (isinstance(sub, ast.Constant) and isinstance(getattr(sub, "parent", None), ast.UnaryOp)):
            out.append((sub.lineno, v))
    return out


def count(path: Path) -> dict[str, list[tuple[int, float]]]:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            child.parent = node  # type: ignore[attr-defined]
    found: dict[str, list[tuple[int, float]]] = {"named": [], "compared": [], "defaults": []}
    for node in tree.body:  # module-level NAME = number, or NAME, NAME = number, number
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n for t in targets for n in (t.elts if isinstance(t, ast.Tuple) else [t])]
            if all(isinstance(n, ast.Name) and n.id.isupper() for n in names) and node.value is not None:
                values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                found["named"] += [(node.lineno, v) for v in map(_number, values) if v is not None]
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                found["compared"] += [(ln, v) for ln, v in _numbers_in(side) if v not in ENDS]
        elif isinstance(node, (ast.FunctionDef, ast.Lambda)):
            for d in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                v = _number(d)
                if isinstance(v, float):
                    found["defaults"].append((d.lineno, v))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-line", action="store_true", help="list every counted number with its line")
    ap.add_argument("--src", type=Path, default=SRC, help="the handnum package to count (another checkout's)")
    args = ap.parse_args()
    totals = {"named": 0, "compared": 0, "defaults": 0}
    print("| module | named | in comparisons | float defaults | all |\n|---|---:|---:|---:|---:|")
    for name in READER:
        found = count(args.src / name)
        for k in totals:
            totals[k] += len(found[k])
        print(f"| {name} | {len(found['named'])} | {len(found['compared'])} | {len(found['defaults'])} | "
              f"{sum(len(v) for v in found.values())} |")
        if args.per_line:
            for k, hits in found.items():
                for line, v in hits:
                    print(f"    {name}:{line} {k} {v}")
    print(f"| **all {len(READER)}** | {totals['named']} | {totals['compared']} | {totals['defaults']} | "
          f"**{sum(totals.values())}** |")


if __name__ == "__main__":
    main()
