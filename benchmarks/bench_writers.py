"""Writer adaptation: how much fine-tuning on 20 samples per digit helps on handwriting that is not MNIST.

    python benchmarks/bench_writers.py [--writers dkg,Rufscript010] [--quick] [--base MODEL] [--data MNIST]

Each handwriting font (benchmarks/writers.py) is a writer: its digits, rendered with random elastic
distortion, stroke width and slant, then preprocessed exactly as reading does. Per writer the base
model is fine-tuned (`handnum.train.finetune`, default settings) on `--train` samples per digit and
measured on `--test` other samples of that writer, before and after, as reading sees them (argmax
over all 11 classes, so "not a digit" counts as wrong). Prints a markdown table to stdout.
Target: after ≥ 99 % or ≥ before + 5 points on every writer, and MNIST test ≥ 99.4 % after.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from handnum.model import resolve_path  # noqa: E402
from handnum.train.finetune import FinetuneConfig, finetune, load_base, score  # noqa: E402
from handnum.train.samples import Sample, SampleSet  # noqa: E402
from writers import writer_samples, writers  # noqa: E402


def target_met(before: float, after: float, mnist_after: float, mnist_floor: float) -> bool:
    eps = 1e-9  # 59/60 after 56/60 is +5 points, whatever the float rounding
    return (after >= 0.99 - eps or after >= before + 0.05 - eps) and mnist_after >= mnist_floor - eps


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--writers", help="comma-separated writer names (default: all installed fonts)")
    p.add_argument("--quick", action="store_true", help="small settings: 60 test samples per writer, "
                   "2000 MNIST test digits, at most 6 epochs (checks that it works; figures are rough)")
    p.add_argument("--train", type=int, default=20, help="fine-tuning samples per digit (default 20)")
    p.add_argument("--test", type=int, default=300, help="test samples per writer (default 300)")
    p.add_argument("--base", "--model", dest="base", help="base model .onnx with .pt beside it")
    p.add_argument("--data", help="MNIST folder (default: $HANDNUM_DATA)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = p.parse_args(argv)

    available = writers()
    names = args.writers.split(",") if args.writers else list(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        p.error(f"unknown writer(s) {unknown}; installed: {', '.join(available)}")
    n_test = 60 if args.quick and args.test == 300 else args.test
    base = resolve_path(args.base)
    base_net = load_base(base)
    extra = {"eval_limit": 2000, "epochs": 6, "patience": 3} if args.quick else {}

    rows = []
    for i, name in enumerate(names):
        t0 = time.time()
        train_x, train_y = writer_samples(available[name], args.train, seed=args.seed * 1000 + 2 * i)
        test_x, test_y = writer_samples(available[name], -(-n_test // 10), seed=args.seed * 1000 + 2 * i + 1)
        test_x, test_y = test_x[:n_test], test_y[:n_test]
        before = score(base_net, test_x, test_y, torch.device("cpu"))["accuracy"]
        user = SampleSet([Sample(x, int(y), f"{name} #{k}") for k, (x, y) in enumerate(zip(train_x, train_y))])
        with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(sys.stderr):
            cfg = FinetuneConfig(out=out, base=str(base), data=args.data, seed=args.seed, device=args.device,
                                 threads=args.threads, command="bench_writers", **extra)
            result = finetune(cfg, user)
        after = score(result.net, test_x, test_y, torch.device("cpu"))["accuracy"]
        mnist_after = result.card["mnist_test_accuracy"]
        mnist_before = result.card["finetune"]["before"]["mnist_test"]["accuracy"]
        rows.append((name, before, after, mnist_after, result.card["finetune"]["best_epoch"], time.time() - t0))
        print(f"{name}: before {before:.4f} after {after:.4f} MNIST test after {mnist_after:.4f}", file=sys.stderr)

    n_mnist = result.card["finetune"]["after"]["mnist_test"]["n"]
    # on a subset of the MNIST test set (--quick) 99.4 % means nothing: ask for at most 0.2 points lost instead
    floor = 0.994 if n_mnist == 10_000 else mnist_before - 0.002
    quick = " (--quick)" if args.quick else ""
    print(f"Base model {base}: MNIST test {100 * mnist_before:.2f} % on {n_mnist} digits. Fine-tuned on "
          f"{args.train} samples per digit, measured on {n_test} other samples per writer{quick}. "
          f"Target: after ≥ 99 % or ≥ before + 5 points, MNIST test after ≥ {100 * floor:.2f} %.\n")
    print("| writer | before | after | change | MNIST test after | best epoch | seconds | target met |")
    print("|---|---:|---:|---:|---:|---:|---:|:---:|")
    for name, b, a, m, ep, sec in rows:
        print(f"| {name} | {100 * b:.1f} % | {100 * a:.1f} % | {100 * (a - b):+.1f} | {100 * m:.2f} % | {ep} | "
              f"{sec:.0f} | {'yes' if target_met(b, a, m, floor) else 'no'} |")
    mean = np.mean([[b, a, m] for _, b, a, m, *_ in rows], axis=0)
    print(f"| **mean** | {100 * mean[0]:.1f} % | {100 * mean[1]:.1f} % | {100 * (mean[1] - mean[0]):+.1f} | "
          f"{100 * mean[2]:.2f} % | | | {sum(target_met(b, a, m, floor) for _, b, a, m, *_ in rows)}/{len(rows)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
