"""The `batch` and `batch-report` subcommands; `add_parsers(sub)` wires them into `handnum`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..folders import stderr_warning
from ..io import MAX_PAGES
from ..pipeline import Options
from .errors import one_line


def cmd_batch(args: argparse.Namespace) -> int:
    from .run import BatchConfig, run_batch

    options = Options(model=args.model, min_confidence=args.min_confidence, max_pixels=args.max_pixels,
                      max_pages=args.max_pages, judge=args.judge)
    cfg = BatchConfig(args.inputs, Path(args.out), args.engine, args.address, args.workers, args.resume,
                      args.format, options, args.shard_pages, args.shard_seconds, not args.no_progress,
                      stderr_warning)
    try:
        s = run_batch(cfg)
    except KeyboardInterrupt:
        print("handnum: interrupted; committed shards are kept: run the same command with --resume "
              "to finish", file=sys.stderr)
        return 130
    except OSError as e:  # disk full, permission denied...: one line, never a traceback
        print(f"handnum: error: {one_line(e)}", file=sys.stderr)
        return 1
    if not s.read:
        print(f"handnum: nothing to do: all {s.files} file(s) are already in {s.out}", file=sys.stderr)
        return 0
    done = f" ({s.skipped} already done)" if s.skipped else ""
    if s.retried:
        done += f" ({s.retried} error row(s) of dead workers read again)"
    print(f"handnum: {s.pages} page(s) read, {s.errors} error row(s), from {s.read} of {s.files} file(s){done} "
          f"in {s.seconds:.1f} s ({s.pages_per_second:.2f} pages/s, {s.workers} worker(s), "
          f"peak {s.peak_rss_mb:.0f} MB per worker); {s.shards} shard(s) in {s.out}", file=sys.stderr)
    return 0


def cmd_batch_report(args: argparse.Namespace) -> int:
    from .report import format_report, summarize

    report = summarize(Path(args.dir))
    print(json.dumps(report.to_dict()) if args.json else format_report(report))
    return 0


def add_parsers(sub) -> None:
    """Add `batch` and `batch-report` to the `handnum` subcommands."""
    b = sub.add_parser("batch", help="read many pages into Parquet/JSONL shards, resumable (local processes or Ray)",
                       description="Read folders, globs or manifests of scans into shards in DIR; kill it at any "
                                   "time and run it again with --resume: every page ends up there exactly once.")
    b.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="folders (recursive), globs, files, or manifests (.txt/.lst: one path per line; "
                        ".parquet: a 'path' column); s3:// and gs:// URIs work with pyarrow and credentials")
    b.add_argument("--out", required=True, metavar="DIR", help="folder for the shards (new or empty, or --resume)")
    b.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local: worker processes here (default); ray: Ray Data (pip install 'handnum[ray]')")
    b.add_argument("--address", help="Ray cluster to join: auto, or ray://HEAD:10001 (default: start a local Ray)")
    b.add_argument("--workers", type=int, help="worker processes/actors (default: every core; every CPU of a cluster)")
    b.add_argument("--resume", action="store_true", help="continue the job in DIR, skipping files already done")
    b.add_argument("--format", choices=["parquet", "jsonl"], help="shard format (default parquet; on --resume: DIR's)")
    b.add_argument("--model", help="model file (.onnx with its .json card; default: $HANDNUM_MODEL or the shipped one)")
    b.add_argument("--min-confidence", type=float, default=0.5, help="digits below this are rejected (default 0.5)")
    b.add_argument("--max-pixels", type=int, default=80_000_000, help="larger images become error rows (default 80 MP)")
    b.add_argument("--max-pages", type=int, default=MAX_PAGES,
                   help=f"PDFs of more pages become error rows, before any is rendered (default {MAX_PAGES})")
    b.add_argument("--judge", action=argparse.BooleanOptionalAction, default=Options.judge,
                   help="let the learned judge set aside printed text, letters and marks read as digits")
    b.add_argument("--shard-pages", type=int, default=1000, help="pages per shard (default 1000)")
    b.add_argument("--shard-seconds", type=float, default=300,
                   help="commit a shard at least this often, bounding the work a kill loses (default 300)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.set_defaults(func=cmd_batch)

    r = sub.add_parser("batch-report", help="pages, errors, digits, numbers and throughput of a batch folder")
    r.add_argument("dir", metavar="DIR")
    r.add_argument("--json", action="store_true", help="one JSON object")
    r.set_defaults(func=cmd_batch_report)
