"""A judge's errors on stored held-out marks, at its own decision and with the digit logit moved.

    python benchmarks/judge_marks.py runs/judge5/judge.onnx runs/judge4/val

The shards are those `handnum train-judge` collects (`OUT/val/shard-*.npz`: the judge's inputs and
the truth of each mark the reader found on held-out pages). An error is a handwritten digit set
aside or anything else kept as a digit; moving the digit logit trades one for the other.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnxruntime as ort


def logits(model: str, folder: str) -> tuple[np.ndarray, np.ndarray]:
    """The model's logits and the true kinds (0: digit) of every mark in the folder's shards."""
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    out, kinds = [], []
    for path in sorted(Path(folder).glob("shard-*.npz")):
        z = np.load(path)
        for i in range(0, len(z["labels"]), 512):
            feed = {"mark": z["marks"][i:i + 512].astype(np.float32) / 255,
                    "context": z["context"][i:i + 512].astype(np.float32) / 255, "scalars": z["scalars"][i:i + 512]}
            out.append(session.run(None, feed)[0])
        kinds.append(z["labels"])
    return np.concatenate(out), np.concatenate(kinds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help="judge .onnx")
    ap.add_argument("shards", help="folder of held-out shards (OUT/val of train-judge)")
    args = ap.parse_args()
    raw, kinds = logits(args.model, args.shards)
    print(f"{len(kinds)} marks, {int((kinds == 0).sum())} handwritten digits\n")
    print("| digit logit moved by | digits set aside | non-digits kept | errors |\n|---:|---:|---:|---:|")
    for shift in (-1.0, -0.5, 0.0, 0.5, 1.0):
        z = raw.copy()
        z[:, 0] += shift
        kept = z.argmax(1) == 0
        lost, false = int(((kinds == 0) & ~kept).sum()), int(((kinds != 0) & kept).sum())
        print(f"| {shift:+.1f} | {lost} | {false} | {lost + false} |")


if __name__ == "__main__":
    main()
