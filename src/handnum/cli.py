"""The `handnum` command: thin subcommands over the library. Errors become one line and exit code 1/2."""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

from .errors import HandnumError, ImageError, OutputError, one_line
from .io import MAX_PAGES
from .pipeline import Options
from .batch.cli import add_parsers as add_batch_parsers
from .train.finetune_cli import add_parser as add_finetune_parser
from .web.cli import add_parser as add_serve_parser


def cmd_train(args: argparse.Namespace) -> int:
    from .train.loop import TrainConfig, train

    cfg = TrainConfig(out=args.out, data=args.data, download=args.download, epochs=args.epochs,
                      batch_size=args.batch_size, lr=args.lr, seed=args.seed, device=args.device,
                      resume=args.resume, limit=args.limit, negatives=args.negatives,
                      negatives_per_epoch=min(args.negatives, args.negatives_per_epoch), threads=args.threads,
                      stop_after=args.stop_after, eval_limit=args.eval_limit, init=args.init,
                      font_negatives=args.font_negatives, as_candidates=args.as_candidates, crowd=args.crowd,
                      command="handnum " + shlex.join(args.argv))
    train(cfg)
    return 0


def _page_training(p: argparse.ArgumentParser, name: str, pages: int, val_pages: int, epochs: int, lr: float,
                   first_seed: int) -> None:
    """The options of a trainer on generated pages (train-judge, train-orient)."""
    p.add_argument("--data", help="MNIST folder (default: $HANDNUM_DATA)")
    p.add_argument("--out", default=f"runs/{name}", help="folder for page shards, checkpoints, ONNX and card")
    p.add_argument("--pages", type=int, default=pages, help=f"generated training pages (default {pages})")
    p.add_argument("--val-pages", type=int, default=val_pages, help=f"held-out pages, MNIST test digits (default {val_pages})")
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--workers", type=int, default=2, help="processes drawing and reading pages")
    p.add_argument("--first-seed", type=int, default=first_seed, help=f"seed of the first training page (default {first_seed})")
    p.add_argument("--init", help="start from the weights of a best.pt or last.pt (fine-tuning)")
    p.add_argument("--layout", help="draw the training pages of one layout only (default: any)")


def _page_training_values(args: argparse.Namespace) -> dict:
    names = ("out", "pages", "val_pages", "data", "epochs", "lr", "seed", "threads", "workers", "first_seed", "init",
             "layout")
    return {k: getattr(args, k) for k in names}


def cmd_train_judge(args: argparse.Namespace) -> int:
    from .judge.train import JudgeConfig, train

    cfg = JudgeConfig(**_page_training_values(args), resume=args.resume, digit_keep=args.digit_keep)
    card = train(cfg)
    print(json.dumps({"judge": str(Path(args.out) / "judge.onnx"), "held_out": card["held_out"]}))
    return 0


def cmd_train_orient(args: argparse.Namespace) -> int:
    from .judge.orient_train import OrientConfig, train

    cfg = OrientConfig(**_page_training_values(args))
    card = train(cfg)
    print(json.dumps({"orient": str(Path(args.out) / "orient.onnx"), "held_out": card["held_out"]}))
    return 0


def cmd_digit(args: argparse.Namespace) -> int:
    from .classify import classify
    from .model import load_model

    model = load_model(args.model)
    failed = 0
    for path in args.images:
        try:
            pred = classify(_input(path), model, name=path)
        except ImageError as e:
            print(f"handnum: error: {e}", file=sys.stderr)
            failed += 1
            continue
        if args.json:
            print(json.dumps(pred.to_dict()), flush=True)
        else:
            top = ", ".join(f"{d}: {p:.3f}" for d, p in pred.top3)
            doubt = f"  (looks like no digit: {pred.not_a_digit:.0%})" if pred.not_a_digit >= 0.5 else ""
            print(f"{path}: {pred.digit} ({pred.confidence:.3f})  top 3: {top}{doubt}")
    return 1 if failed else 0


def cmd_eval_mnist(args: argparse.Namespace) -> int:
    from .evaluate import mnist_accuracy
    from .model import load_model

    model = load_model(args.model)
    result = mnist_accuracy(model, args.data, args.download)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"model: {model.path}")
        print(f"accuracy: {result['accuracy']:.4f} (n={result['n']})")
        print("per class: " + "  ".join(f"{c}: {a:.4f}" for c, a in enumerate(result["per_class"])))
        print(f"rejected as not a digit: {result['rejected_as_not_a_digit']}")
    return 0


def _input(path: str):
    """'-' means the bytes on standard input; anything else is a path."""
    return sys.stdin.buffer.read() if path == "-" else path


def _read_options(args: argparse.Namespace) -> dict:
    return {"model": args.model, "min_confidence": args.min_confidence, "max_pixels": args.max_pixels,
            "max_pages": args.max_pages, "judge": args.judge}


def _error(message: object) -> None:
    print(f"handnum: error: {one_line(message)}", file=sys.stderr)


def _files(path: str) -> list[str]:
    """The files an input names: itself, or a folder's images and PDFs (ImageError if it has none)."""
    from .folders import image_files, stderr_warning

    if path == "-" or not Path(path).is_dir():
        return [path]
    files = image_files(path, stderr_warning)
    if not files:
        raise ImageError(f"{path}: no image or PDF files in this folder")
    return files


def _output_dir(output: str | None) -> Path | None:
    """The -o folder, created if needed; one line if it cannot be (a file, a read-only disk)."""
    if not output:
        return None
    outdir = Path(output)
    if outdir.exists() and not outdir.is_dir():
        raise OutputError(f"{outdir} is a file, not a folder: choose another -o")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the output folder {outdir} ({e.strerror or e})") from e
    return outdir


def _write_outputs(outdir: Path, stem: str, page) -> Path:
    """NAME.png (annotated) and NAME.json of one page in `outdir`."""
    import cv2

    written = outdir / f"{stem}.png"
    try:
        ok = cv2.imwrite(str(written), page.annotate())
        (outdir / f"{stem}.json").write_text(json.dumps(page.to_dict(), indent=1) + "\n")
    except (OSError, cv2.error) as e:
        raise OutputError(f"cannot write to {outdir} ({getattr(e, 'strerror', None) or one_line(e)})") from e
    if not ok:
        raise OutputError(f"cannot write {written} (read-only or full disk?)")
    return written


def _with_several(pages: Iterator) -> Iterator[tuple[object, bool]]:
    """(page, several) pairs: `several` says whether the source has more than one page (one page read
    ahead; a second page that fails still shows the first as one of several)."""
    first = next(pages, None)
    if first is None:
        return
    try:
        second = next(pages, None)
    except ImageError:
        yield first, True
        raise
    yield first, second is not None
    if second is not None:
        yield second, True
        for page in pages:
            yield page, True


def cmd_read(args: argparse.Namespace) -> int:
    from .pipeline import iter_pages

    outdir = _output_dir(args.output)
    failed = 0
    for arg in args.paths:
        try:
            files = _files(arg)
        except ImageError as e:
            _error(e)
            failed += 1
            continue
        for path in files:
            try:
                pages = iter_pages(_input(path), name="stdin" if path == "-" else path, **_read_options(args))
                for page, several in _with_several(pages):
                    _print_page(args, page, several, outdir)
            except ImageError as e:
                _error(e)
                failed += 1
    if failed:
        print(f"handnum: {failed} input(s) failed", file=sys.stderr)
    return 1 if failed else 0


def _print_page(args: argparse.Namespace, page, several: bool, outdir: Path | None) -> None:
    written = None
    if outdir:
        written = _write_outputs(outdir, Path(page.source).stem + (f"-p{page.page + 1}" if several else ""), page)
    if args.json:
        print(json.dumps(page.to_dict()), flush=True)
    else:
        where = f" page {page.page + 1}" if several else ""
        print(f"{page.source}{where}: {len(page.lines)} line(s), {len(page.digits)} digit(s), "
              f"{len(page.rejected)} rejected, {page.elapsed_ms:.0f} ms")
        for line in page.lines:
            print(f"  {line.text}")
        if written:
            print(f"  annotated image: {written}")


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import Score, load_truth, score_page
    from .pipeline import read

    truth = load_truth(args.truth)
    folder = Path(args.images) if args.images else Path(args.truth).parent
    score = Score()
    for name, lines in truth.items():
        try:
            page = read(folder / name, **_read_options(args))
            ps = score_page(name, lines, [ln.text for ln in page.lines])
        except ImageError as e:
            ps = score_page(name, lines, [], error=str(e))
        score.pages.append(ps)
        if args.verbose:
            s = ps.edits / max(ps.digits, 1)
            status = "exact" if ps.exact else (f"error: {ps.error}" if ps.error else f"digit errors {ps.edits}/{ps.digits} ({s:.1%})")
            print(f"{name}: {status}")
            if not ps.exact and not ps.error:
                print(f"  truth: {' | '.join(ps.true_lines)}")
                print(f"  read:  {' | '.join(ps.read_lines)}")
    summary = score.summary()
    if args.json:
        print(json.dumps({**summary, "per_page": [{"name": p.name, "digits": p.digits, "edits": p.edits,
                                                   "exact": p.exact, "read": p.read_lines, "error": p.error}
                                                  for p in score.pages]}))
    else:
        print(f"pages: {summary['pages']}  exact: {summary['pages_exact']}  errors: {summary['errors']}")
        print(f"digit error rate: {summary['digit_error_rate']:.4f} ({summary['digits']} digits)")
        print(f"numbers: precision {summary['number_precision']:.4f}  recall {summary['number_recall']:.4f}  "
              f"F1 {summary['number_f1']:.4f}")
    return 0


def _add_model(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="model file (.onnx with its .json card; default: $HANDNUM_MODEL or the shipped one)")


def _add_read_options(p: argparse.ArgumentParser) -> None:
    _add_model(p)
    p.add_argument("--min-confidence", type=float, default=0.5, help="digits below this are rejected (default 0.5)")
    p.add_argument("--max-pixels", type=int, default=80_000_000, help="refuse larger images (default 80 MP)")
    p.add_argument("--max-pages", type=int, default=MAX_PAGES,
                   help=f"refuse PDFs of more pages, before rendering any (default {MAX_PAGES})")
    p.add_argument("--judge", action=argparse.BooleanOptionalAction, default=Options.judge,
                   help="let the learned judge set aside printed text, letters and marks read as digits "
                        f"(default: {'on' if Options.judge else 'off'})")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="handnum", description="Find and read handwritten digits and numbers.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train the digit classifier on MNIST (needs handnum[train])")
    t.add_argument("--data", help="folder with the four MNIST IDX files (default: $HANDNUM_DATA)")
    t.add_argument("--download", action="store_true", help="download MNIST (verified) if not found")
    t.add_argument("--out", default="runs/digits", help="folder for checkpoints, ONNX and card")
    t.add_argument("--epochs", type=int, default=14)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    t.add_argument("--limit", type=int, help="use only the first N training digits (smoke tests)")
    t.add_argument("--negatives", type=int, default=20000, help="size of the 'not a digit' pool")
    t.add_argument("--negatives-per-epoch", type=int, default=10000)
    t.add_argument("--threads", type=int, help="torch CPU threads")
    t.add_argument("--stop-after", type=int, help="stop after N epochs of this run (continue with --resume)")
    t.add_argument("--eval-limit", type=int, help="evaluate on the first N test digits only (smoke tests)")
    t.add_argument("--init", help="start from the weights of a checkpoint.pt or digits.pt")
    t.add_argument("--font-negatives", action=argparse.BooleanOptionalAction, default=True,
                   help="letters in handwriting fonts among the 'not a digit' samples")
    t.add_argument("--as-candidates", type=float, default=0.5,
                   help="share of training digits shown as reading normalises page candidates (0.5)")
    t.add_argument("--crowd", type=int, default=0,
                   help="add N digits cut out of rows of touching digits: trains the splitter's piece model")
    t.set_defaults(func=cmd_train)

    j = sub.add_parser("train-judge", help="train the judge that tells handwritten digits from print, letters "
                       "and marks, on generated pages (needs handnum[train])")
    _page_training(j, "judge", pages=1000, val_pages=120, epochs=8, lr=1e-3, first_seed=0)
    j.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    j.add_argument("--digit-keep", type=float, default=0.35,
                   help="share of the digit samples each epoch sees (default 0.35; the model is corrected for it)")
    j.set_defaults(func=cmd_train_judge)

    o = sub.add_parser("train-orient", help="train the model that tells how a page is turned, on generated pages "
                       "(needs handnum[train])")
    _page_training(o, "orient", pages=600, val_pages=100, epochs=4, lr=2e-3, first_seed=5_000_000)
    o.set_defaults(func=cmd_train_orient)

    d = sub.add_parser("digit", help="read one digit per image (photo or crop of a single digit)")
    d.add_argument("images", nargs="+", help="image files, or - for standard input")
    d.add_argument("--json", action="store_true", help="one JSON object per image")
    _add_model(d)
    d.set_defaults(func=cmd_digit)

    m = sub.add_parser("eval-mnist", help="accuracy of a model on the MNIST test set")
    m.add_argument("--data", help="MNIST folder (default: $HANDNUM_DATA)")
    m.add_argument("--download", action="store_true")
    m.add_argument("--json", action="store_true")
    _add_model(m)
    m.set_defaults(func=cmd_eval_mnist)

    r = sub.add_parser("read", help="find and read every handwritten digit and number on pages")
    r.add_argument("paths", nargs="+", help="images, PDFs, folders (recursive), or - for standard input")
    r.add_argument("-o", "--output", metavar="OUTDIR", help="write NAME.png (annotated) and NAME.json per page")
    r.add_argument("--json", action="store_true", help="print JSON Lines, one handnum/1 object per page")
    _add_read_options(r)
    r.set_defaults(func=cmd_read)

    e = sub.add_parser("eval", help="score reading against a truth file")
    e.add_argument("truth", help="truth JSON: {file: {lines: [...]}}")
    e.add_argument("images", nargs="?", help="folder of the images (default: the truth file's folder)")
    e.add_argument("-v", "--verbose", action="store_true", help="per page")
    e.add_argument("--json", action="store_true")
    _add_read_options(e)
    e.set_defaults(func=cmd_eval)

    add_serve_parser(sub)
    add_batch_parsers(sub)
    add_finetune_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    try:
        return args.func(args)
    except (HandnumError, ValueError) as e:
        _error(e)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as e:  # a disk that fills up, a folder that vanishes: one line, never a traceback
        _error(f"{e.strerror or e}{f': {e.filename}' if e.filename else ''}")
        return 1
    except KeyboardInterrupt:
        print("handnum: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
