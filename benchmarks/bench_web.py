"""Load benchmark of `handnum serve`: N reads of one photo at a given concurrency, on loopback only.

    python benchmarks/bench_web.py [--requests 500] [--concurrency 8] [--image ../shared/.../seed_test_2.png]

Starts `handnum serve --host 127.0.0.1 --port 0` as a subprocess, sends the requests over keep-alive
connections (one per worker thread), checks every answer against the first one, samples the
server's memory (VmRSS, VmHWM from /proc/PID/status) during the run, and prints a markdown table:
errors, requests/s, p50/p95 latency and RSS at start/middle/end. Exit code 1 if any request failed.
"""
from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]


def serve_command(extra: list[str]) -> list[str]:
    """`handnum serve` via the main CLI if it has the subcommand, else via handnum.web.cli (same code)."""
    from handnum.cli import build_parser

    has_serve = "serve" in build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    module = "handnum.cli" if has_serve else "handnum.web.cli"
    return [sys.executable, "-m", module, "serve", "--host", "127.0.0.1", "--port", "0", *extra]


def start_server(extra: list[str], wait_s: float = 120) -> tuple[subprocess.Popen, str]:
    """Start the server and return it with the URL it printed."""
    proc = subprocess.Popen(serve_command(extra), stdout=subprocess.PIPE, text=True)
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(wait_s)
    line = found[0] if found else ""
    if "serving http://" not in line:
        proc.kill()
        raise SystemExit(f"bench_web: error: the server did not start (said {line.strip()!r})")
    return proc, line.split("serving ", 1)[1].split()[0]


def memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--image", type=Path, default=ROOT.parent / "shared/data/sheets/seed_test_2.png")
    ap.add_argument("--max-seconds", type=float, default=1800, help="give up after this long (default 30 min)")
    ap.add_argument("--server-args", default="", help="extra arguments for handnum serve, e.g. '--workers 2'")
    args = ap.parse_args()
    if not args.image.is_file():
        print(f"bench_web: error: {args.image} not found", file=sys.stderr)
        return 1
    body = args.image.read_bytes()

    with tempfile.TemporaryDirectory() as corrections:
        proc, url = start_server(["--log-level", "warning", "--corrections", corrections, *args.server_args.split()])
        host, port = urlsplit(url).hostname, urlsplit(url).port
        local = threading.local()

        def post() -> tuple[int, bytes]:
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection(host, port, timeout=120)
            try:
                local.conn.request("POST", "/api/v1/read", body, {"Content-Type": "image/png"})
                r = local.conn.getresponse()
                return r.status, r.read()
            except (OSError, http.client.HTTPException):
                local.conn.close()
                del local.conn
                raise

        try:
            try:
                status, first = post()                           # warm-up, and the expected answer
            except OSError as e:
                raise SystemExit(f"bench_web: error: cannot reach the server at {url}: {e}") from None
            if status != 200:
                raise SystemExit(f"bench_web: error: warm-up request failed: {status} {first[:200]!r}")
            expected = [ln["text"] for ln in json.loads(first)["lines"]]
            samples = [(0.0, memory(proc.pid))]
            done, stop, deadline = [0], threading.Event(), time.monotonic() + args.max_seconds

            def sample():
                while not stop.wait(0.25):
                    samples.append((done[0] / args.requests, memory(proc.pid)))

            def one(_: int) -> tuple[float, str | None]:
                if time.monotonic() > deadline:
                    return 0.0, "skipped (deadline)"
                t0 = time.perf_counter()
                try:
                    status, data = post()
                    ok = status == 200 and [ln["text"] for ln in json.loads(data)["lines"]] == expected
                    err = None if ok else f"{status}: {data[:120]!r}"
                except Exception as e:  # noqa: BLE001 - every failure counts as an error
                    err = f"{type(e).__name__}: {e}"
                done[0] += 1
                return (time.perf_counter() - t0) * 1000, err

            threading.Thread(target=sample, daemon=True).start()
            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(one, range(args.requests)))
            wall = time.perf_counter() - t0
            stop.set()
            samples.append((1.0, memory(proc.pid)))
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()

    errors = [e for _, e in results if e]
    lat = sorted(ms for ms, e in results if not e) or [0.0]
    mid = min(samples, key=lambda s: abs(s[0] - 0.5))[1]
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else [lat[0]] * 99
    rows = [("requests", f"{args.requests} × {args.image.name} ({len(body) / 1e6:.1f} MB)"),
            ("concurrency", args.concurrency), ("errors", len(errors)),
            ("wall time", f"{wall:.1f} s"), ("requests/s", f"{args.requests / wall:.2f}"),
            ("latency p50 / p95 / max", f"{q[49]:.0f} / {q[94]:.0f} / {lat[-1]:.0f} ms"),
            ("server RSS start / middle / end", " / ".join(f"{s['VmRSS']:.0f}" for s in (samples[0][1], mid, samples[-1][1])) + " MB"),
            ("server peak RSS (VmHWM)", f"{samples[-1][1]['VmHWM']:.0f} MB"),
            ("answer (every request)", " / ".join(expected))]
    print("| metric | value |\n|---|---|")
    print("\n".join(f"| {k} | {v} |" for k, v in rows))
    for e in errors[:5]:
        print(f"error: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
