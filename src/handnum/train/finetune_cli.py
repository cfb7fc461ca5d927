"""`handnum finetune`: teach the model your own handwriting from folders of digits and sheets with truth."""
from __future__ import annotations

import argparse
import shlex

from ..errors import DataError
from ..model import CLASSES, resolve_path

HELP = """SOURCE: a folder of single-digit images labelled by name (NAME_4.png) or by sub-folder (0-9, x for
"not a digit"), a single image, or a folder of sheets with truth.json ({"file": {"lines": ["12 345"]}}).
Writes OUT/model.onnx, OUT/model.pt and OUT/model.json; read with --model OUT/model.onnx."""


def add_parser(sub) -> None:
    """Add the `finetune` subcommand to the CLI's subparsers."""
    f = sub.add_parser("finetune", help="fine-tune the model on your own handwriting (needs handnum[train])",
                       description="Fine-tune the digit model on your own handwriting, with MNIST replay so it "
                                   "does not forget. " + HELP)
    f.add_argument("--from", dest="sources", nargs="+", default=[], metavar="SOURCE",
                   help="folders or images of single digits, or sheet folders with truth.json")
    f.add_argument("--sheets", action="append", default=[], metavar="DIR",
                   help="folder of sheet images with truth.json (repeatable)")
    f.add_argument("--out", required=True, help="output folder (never the package's models folder)")
    f.add_argument("--base", "--model", dest="base", metavar="MODEL",
                   help="base model .onnx with its .pt weights beside it (default: $HANDNUM_MODEL or the shipped one)")
    f.add_argument("--epochs", type=int, default=20, help="at most this many epochs (stops early; default 20)")
    f.add_argument("--patience", type=int, default=3, help="stop after this many epochs without improvement")
    f.add_argument("--lr", type=float, default=3e-4)
    f.add_argument("--replay", type=int, default=3, help="MNIST digits replayed per user sample (default 3)")
    f.add_argument("--data", help="MNIST folder, for replay and the before/after test (default: $HANDNUM_DATA)")
    f.add_argument("--download", action="store_true", help="download MNIST (verified) if not found")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    f.add_argument("--threads", type=int, help="torch CPU threads")
    f.set_defaults(func=cmd_finetune)


def cmd_finetune(args: argparse.Namespace) -> int:
    try:
        from .finetune import FinetuneConfig, check_out, finetune, load_base
    except ImportError as e:
        raise DataError(f"handnum finetune needs the [train] extra (pip install 'handnum[train]'): {e}") from e
    from .samples import load_sources

    if not args.sources and not args.sheets:
        raise DataError("nothing to learn from: give --from SOURCE... and/or --sheets DIR")
    base = resolve_path(args.base)
    check_out(args.out, base)  # refuse before any slow work
    load_base(base)            # the base has torch weights that match it
    cfg = FinetuneConfig(out=args.out, base=str(base), data=args.data, download=args.download, epochs=args.epochs,
                         patience=args.patience, lr=args.lr, replay=args.replay, seed=args.seed, device=args.device,
                         threads=args.threads, command="handnum " + shlex.join(getattr(args, "argv", []) or []))
    user = load_sources(args.sources, args.sheets, model=base)
    report_samples(user, cfg.min_per_class)
    result = finetune(cfg, user)
    ft = result.card["finetune"]
    print_table(ft["before"], ft["after"], split_used=bool(ft["held_out_per_class"]))
    print(f"the fine-tuned model reads {ft['onnx_reads_samples']} of your samples as labelled")
    print(f"wrote {args.out}/model.onnx, model.pt and model.json; read with --model {args.out}/model.onnx")
    return 0


def _name(c: int) -> str:
    return "x" if c == 10 else CLASSES[c]


def report_samples(user, min_per_class: int) -> None:
    """Print what was found, what was skipped and why, and a warning for thin classes."""
    counts = user.counts()
    shown = ", ".join(f"{_name(c)}: {n}" for c, n in counts.items())
    print(f"{len(user.samples)} sample(s) ({shown or 'none'}); {len(user.skipped)} skipped")
    for s in user.sheets:
        print(f"  sheet {s['sheet']}: {s['matched']} matched ({s['substituted']} read differently), skipped "
              f"{s['skipped_read_only']} read-only mark(s) and {s['skipped_not_read']} unread truth digit(s)"
              + (f" — {s['skipped']}" if "skipped" in s else ""))
    for s in user.skipped[:20]:
        print(f"  skipped {s.source}: {s.reason}")
    if len(user.skipped) > 20:
        print(f"  ... and {len(user.skipped) - 20} more (all listed in the card)")
    thin = [f"{_name(c)} ({n})" for c, n in counts.items() if n < min_per_class]
    if thin:
        print(f"warning: fewer than {min_per_class} samples of {', '.join(thin)}: "
              f"give at least {min_per_class} of each class for a reliable result")


def _pct(v, digits: int = 1) -> str:
    return "—" if v is None else f"{100 * v:.{digits}f}%"


def print_table(before: dict, after: dict, split_used: bool) -> None:
    """The before/after comparison as a small table."""
    rows = [("your held-out samples", "user_held_out", 1)] if split_used else []
    rows += [("all your samples" + ("" if split_used else " (also trained on)"), "user_all", 1),
             ("MNIST test", "mnist_test", 2), ("generated marks rejected as not a digit", "negatives_rejected", 1)]
    print(f"{'':<42}{'before':>9}{'after':>9}{'n':>8}")
    for name, key, digits in rows:
        b, a = before[key], after[key]
        print(f"{name:<42}{_pct(b['accuracy'], digits):>9}{_pct(a['accuracy'], digits):>9}{a['n']:>8}")
