"""Load benchmark of `handnum serve`, on loopback only: a steady load, a burst, and a read past the timeout.

    python benchmarks/bench_web.py [--requests 500] [--concurrency 8] [--burst 200] [--burst-concurrency 32]
                                   [--image ../shared/.../seed_test_2.png] [--noise-timeout 5]

1. steady: N reads of one photo at a concurrency the server can hold (its workers plus its waiting
   room): every answer must be a 200 with the first answer's lines; the memory of the server and its
   worker processes (VmRSS from /proc) is sampled throughout.
2. burst: M reads at a higher concurrency than the waiting room: only 200s and 503s (busy) may come back.
3. noise: a ~20 MB PNG of random pixels (seconds of work) to a second server run with a short
   `--timeout`: the 503 must come at the timeout and the server's CPU must go idle right after.

Each phase starts `handnum serve --host 127.0.0.1 --port 0` as a subprocess. Prints markdown tables;
exit code 1 if a steady request failed, the burst got anything but 200/503, or the noise read did not stop.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]


def start_server(extra: list[str], wait_s: float = 120) -> tuple[subprocess.Popen, str]:
    """Start `handnum serve` and return it with the URL it printed."""
    cmd = [sys.executable, "-m", "handnum.cli", "serve", "--host", "127.0.0.1", "--port", "0", "--log-level", "warning", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(wait_s)
    line = found[0] if found else ""
    if "serving http://" not in line:
        proc.kill()
        raise SystemExit(f"bench_web: error: the server did not start (said {line.strip()!r})")
    return proc, line.split("serving ", 1)[1].split()[0]


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def tree(pid: int) -> list[int]:
    """`pid` and its child processes (the server and its read workers)."""
    kids = []
    for p in Path("/proc").iterdir():
        try:
            if p.name.isdigit() and int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(p.name))
        except (OSError, ValueError, IndexError):
            pass
    return [pid, *kids]


def rss_mb(pid: int) -> float:
    """VmRSS of the server and its workers together, MB."""
    total = 0
    for p in tree(pid):
        try:
            total += next(int(ln.split()[1]) for ln in Path(f"/proc/{p}/status").read_text().splitlines()
                          if ln.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def cpu_s(pid: int) -> float:
    """CPU seconds used so far by the server and its current workers."""
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def poster(url: str, body: bytes, timeout: float = 120):
    """A function posting `body` to /api/v1/read over one keep-alive connection per thread: (status, bytes)."""
    host, port, local = urlsplit(url).hostname, urlsplit(url).port, threading.local()

    def post() -> tuple[int, bytes]:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            local.conn.request("POST", "/api/v1/read", body, {"Content-Type": "image/png"})
            r = local.conn.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException):
            local.conn.close()
            del local.conn
            raise
    return post


def load(proc, post, n: int, concurrency: int, expected: list[str]) -> dict:
    """`n` posts at `concurrency`: statuses, errors, latencies (ms), wall time and memory samples."""
    samples, done, stop = [(0.0, rss_mb(proc.pid))], [0], threading.Event()

    def sample():
        while not stop.wait(0.25):
            samples.append((done[0] / n, rss_mb(proc.pid)))

    def one(_: int) -> tuple[float, int, str | None]:
        t0 = time.perf_counter()
        try:
            status, data = post()
            ok = status != 200 or [ln["text"] for ln in json.loads(data)["lines"]] == expected
            err = None if ok else f"{status}: wrong answer {data[:120]!r}"
        except Exception as e:  # noqa: BLE001 - every failure counts
            status, err = 0, f"{type(e).__name__}: {e}"
        done[0] += 1
        return (time.perf_counter() - t0) * 1000, status, err

    threading.Thread(target=sample, daemon=True).start()
    t0, cpu0 = time.perf_counter(), cpu_s(proc.pid)
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, range(n)))
    wall, cpu = time.perf_counter() - t0, cpu_s(proc.pid) - cpu0
    stop.set()
    samples.append((1.0, rss_mb(proc.pid)))
    return {"results": results, "wall": wall, "cpu": cpu, "samples": samples}


def table(rows: list[tuple]) -> str:
    return "| metric | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def latency(ms: list[float]) -> str:
    ms = sorted(ms) or [0.0]
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return f"{q[49]:.0f} / {q[94]:.0f} / {ms[-1]:.0f} ms"


def memory(samples) -> str:
    mid = min(samples, key=lambda s: abs(s[0] - 0.5))[1]
    return " / ".join(f"{v:.0f}" for v in (samples[0][1], mid, samples[-1][1])) + f" MB (max {max(s[1] for s in samples):.0f})"


def noise_phase(timeout_s: float, corrections: str) -> tuple[list[tuple], bool]:
    """A 20 MB noise PNG to a server with --timeout `timeout_s`: when the 503 comes, when the CPU idles."""
    import cv2
    import numpy as np

    noise = cv2.imencode(".png", np.random.default_rng(0).integers(0, 256, (2200, 3000, 3), np.uint8))[1].tobytes()
    proc, url = start_server(["--corrections", corrections, "--timeout", str(timeout_s), "--workers", "1"])
    try:
        post = poster(url, noise)
        rss_before = rss_mb(proc.pid)
        t0 = time.perf_counter()
        status, body = post()
        answered = time.perf_counter() - t0
        idle_after, cpu_used = None, []
        while idle_after is None and time.perf_counter() - t0 < answered + 30:
            before = cpu_s(proc.pid)
            time.sleep(0.5)
            cpu_used.append(cpu_s(proc.pid) - before)
            if cpu_used[-1] < 0.05:
                idle_after = time.perf_counter() - t0 - answered
        rss_after = rss_mb(proc.pid)
    finally:
        stop_server(proc)
    ok = status == 503 and idle_after is not None
    rows = [("upload", f"{len(noise) / 1e6:.1f} MB PNG of random pixels, 3000x2200"),
            ("server", f"--timeout {timeout_s:g} --workers 1"),
            ("answer", f"{status} after {answered:.2f} s: {json.loads(body).get('error', '')[:60]}…"),
            ("server CPU idle (< 10 % of a core for 0.5 s)", f"{idle_after:.1f} s after the answer" if idle_after is not None else "never"),
            ("server + workers RSS before / after", f"{rss_before:.0f} / {rss_after:.0f} MB")]
    return rows, ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--burst", type=int, default=200, help="requests of the burst (0: no burst)")
    ap.add_argument("--burst-concurrency", type=int, default=32)
    ap.add_argument("--noise-timeout", type=float, default=5, help="--timeout of the noise phase's server (0: no noise phase)")
    ap.add_argument("--image", type=Path, default=ROOT.parent / "shared/data/sheets/seed_test_2.png")
    ap.add_argument("--server-args", default="", help="extra arguments for handnum serve, e.g. '--workers 2'")
    args = ap.parse_args()
    if not args.image.is_file():
        print(f"bench_web: error: {args.image} not found", file=sys.stderr)
        return 1
    body, failed = args.image.read_bytes(), False
    with tempfile.TemporaryDirectory() as corrections:
        proc, url = start_server(["--corrections", corrections, *args.server_args.split()])
        try:
            post = poster(url, body)
            status, first = post()                           # warm-up, and the expected answer
            if status != 200:
                raise SystemExit(f"bench_web: error: warm-up request failed: {status} {first[:200]!r}")
            expected = [ln["text"] for ln in json.loads(first)["lines"]]
            steady = load(proc, post, args.requests, args.concurrency, expected)
            burst = load(proc, post, args.burst, args.burst_concurrency, expected) if args.burst else None
        finally:
            stop_server(proc)
        errors = [e for _, s, e in steady["results"] if e or s != 200]
        print(f"### steady: {args.requests} requests at concurrency {args.concurrency}\n")
        print(table([("requests", f"{args.requests} × {args.image.name} ({len(body) / 1e6:.1f} MB)"),
                     ("errors", len(errors)), ("wall time", f"{steady['wall']:.1f} s"),
                     ("requests/s", f"{args.requests / steady['wall']:.2f}"),
                     ("server + workers CPU per request", f"{steady['cpu'] / args.requests * 1000:.0f} ms"),
                     ("latency p50 / p95 / max", latency([ms for ms, s, _ in steady["results"] if s == 200])),
                     ("server + workers RSS start / middle / end", memory(steady["samples"])),
                     ("answer (every request)", " / ".join(expected))]))
        failed |= bool(errors)
        for e in errors[:5]:
            print(f"error: {e}", file=sys.stderr)
        if burst:
            counts = Counter(s for _, s, _ in burst["results"])
            wrong = [e or f"status {s}" for _, s, e in burst["results"] if s not in (200, 503) or e]
            print(f"\n### burst: {args.burst} requests at concurrency {args.burst_concurrency}\n")
            print(table([("answers", ", ".join(f"{n} × {s}" for s, n in sorted(counts.items()))),
                         ("other than 200 or 503", len(wrong)), ("wall time", f"{burst['wall']:.1f} s"),
                         ("latency of the 200s p50 / p95 / max", latency([ms for ms, s, _ in burst["results"] if s == 200])),
                         ("latency of the 503s p50 / p95 / max", latency([ms for ms, s, _ in burst["results"] if s == 503])),
                         ("server + workers RSS start / middle / end", memory(burst["samples"]))]))
            failed |= bool(wrong)
            for e in wrong[:5]:
                print(f"error: {e}", file=sys.stderr)
        if args.noise_timeout:
            rows, ok = noise_phase(args.noise_timeout, corrections)
            print("\n### a read past the timeout\n")
            print(table(rows))
            failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
