"""Batch throughput: `handnum.read` in one process vs the local engine vs Ray, on generated pages.

    python benchmarks/bench_batch.py                  # 2000 clean pages, 2 workers
    python benchmarks/bench_batch.py --pages 60       # a quick check

Prints a markdown table: pages/s, speed-up over one process, per-page overhead (wall time × workers
not spent reading a page, per page: start-up, IPC, shard writing, idle workers at the tail) and the
peak memory of one worker. Ray is started before its timing (a cluster is already up); its start-up
is reported apart. Targets on 2 cores: local ≥ 1.8× one process; Ray within 15 % of local.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import handnum
from handnum.batch import BatchConfig, run_batch
from handnum.batch.inputs import list_inputs
from handnum.batch.shards import iter_rows
from handnum.synth import make_pages


def pages_dir(n: int, kind: str, seed: int, data: str | None) -> Path:
    """Generated pages, cached in the temp folder between runs."""
    folder = Path(tempfile.gettempdir()) / f"handnum-bench-{kind}-{n}-{seed}"
    if not (folder / "truth.json").exists():
        print(f"generating {n} {kind} pages in {folder} ...", file=sys.stderr)
        make_pages(folder, kind, n, seed, data)
    return folder


def one_process(files: list[str]) -> dict:
    t = time.perf_counter()
    page_ms = sum(p.elapsed_ms for f in files for p in handnum.read_pages(f))
    wall = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"wall": wall, "workers": 1, "pages": len(files), "page_ms": page_ms, "rss_mb": rss}


def engine(folder: Path, engine_name: str, workers: int, out: Path) -> dict:
    summary = run_batch(BatchConfig([str(folder)], out, engine=engine_name, workers=workers, progress=False))
    page_ms = sum(r["elapsed_ms"] for r in iter_rows(out, ["elapsed_ms"]))
    return {"wall": summary.seconds, "workers": summary.workers, "pages": summary.pages, "page_ms": page_ms,
            "rss_mb": summary.peak_rss_mb}


def table(results: dict[str, dict]) -> str:
    base = results["(a) handnum.read, 1 process"]
    lines = ["| run | workers | pages | wall s | pages/s | speed-up vs (a) | overhead ms/page | peak MB/worker |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        rate = r["pages"] / r["wall"]
        overhead = (r["wall"] * 1000 * r["workers"] - r["page_ms"]) / r["pages"]
        lines.append(f"| {name} | {r['workers']} | {r['pages']} | {r['wall']:.1f} | {rate:.2f} | "
                     f"{rate / (base['pages'] / base['wall']):.2f}× | {overhead:.1f} | {r['rss_mb']:.0f} |")
    return "\n".join(lines)


def same_rows(a: Path, b: Path) -> bool:
    def rows(out):
        return {(r["source"], r["page"]): (r["text"], json.loads(r["json"])["lines"]) for r in iter_rows(out)}
    return rows(a) == rows(b)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--kind", choices=["clean", "photo"], default="clean")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", help="MNIST folder (default: $HANDNUM_DATA)")
    ap.add_argument("--no-ray", action="store_true", help="skip (c)")
    a = ap.parse_args()
    folder = pages_dir(a.pages, a.kind, a.seed, a.data)
    files = list_inputs([str(folder)])
    results = {"(a) handnum.read, 1 process": one_process(files)}
    with tempfile.TemporaryDirectory() as tmp:
        results[f"(b) local engine, {a.workers} workers"] = engine(folder, "local", a.workers, Path(tmp, "local"))
        notes = []
        if not a.no_ray:
            import ray

            t = time.perf_counter()
            ray.init(num_cpus=a.workers, include_dashboard=False, log_to_driver=False, logging_level="warning")
            notes.append(f"Ray start-up (not in (c)): {time.perf_counter() - t:.1f} s")
            try:
                results[f"(c) Ray Data, local {a.workers}-CPU Ray"] = engine(folder, "ray", a.workers, Path(tmp, "ray"))
            finally:
                ray.shutdown()
            notes.append(f"rows of (b) and (c) identical: {same_rows(Path(tmp, 'local'), Path(tmp, 'ray'))}")
    print(f"\n{a.pages} generated {a.kind} pages, {a.workers} workers; handnum {handnum.__version__}\n")
    print(table(results))
    names = list(results)
    b = results[names[1]]
    r = b["pages"] / (b["page_ms"] / 1000)
    e = (b["pages"] / b["wall"]) / (b["workers"] * r)
    notes.append(f"for docs/scale.md: r = {r:.2f} pages/s per core (1000 / mean elapsed_ms in (b)), e = {e:.2f} "
                 f"(efficiency of (b)); 1 M pages = {1e6 / (r * e * 3600):.0f} core-hours")
    if len(names) == 3:
        b, c = (results[n]["pages"] / results[n]["wall"] for n in names[1:])
        notes.append(f"(c) vs (b): {100 * (c / b - 1):+.1f} %")
    print("\n" + "\n".join(f"- {n}" for n in notes))


if __name__ == "__main__":
    main()
