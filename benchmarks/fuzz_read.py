"""Fuzz `handnum.read` with mutated files: only handnum's own errors, no crash, no read over 10 s.

    python benchmarks/fuzz_read.py                      # 6,000 files, 2 worker processes
    python benchmarks/fuzz_read.py --files 600 -v       # a quick look, every failure listed

Small pages with written numbers are saved in every format handnum reads (JPEG baseline and
progressive, PNG grey/RGB/RGBA/16-bit/palette, TIFF plain/deflate/RGBA/16-bit, WebP lossy and
lossless, BMP, GIF, PDF with drawn and with embedded-image pages), then each file is mutated
(seeded: file N of a seed is always the same bytes) the way fuzzers do: bytes flipped or set to
edge values, its header rewritten, cut short, a slice repeated or dropped. Each mutant goes
through `handnum.read(data)`; the outcome is "read", "ImageError" (or another HandnumError), or
a failure: any other exception, a worker crash, or a read over --timeout seconds.
"""
from __future__ import annotations

import argparse
import collections
import io as pyio
import random
import resource
import signal
import statistics
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

import cv2
import numpy as np


def base_page(h: int = 150, w: int = 200) -> np.ndarray:
    page = np.full((h, w, 3), 235, np.uint8)
    cv2.putText(page, "4711", (10, 60), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.4, (40, 30, 30), 3, cv2.LINE_AA)
    cv2.putText(page, "90 2", (20, 130), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.2, (60, 40, 20), 2, cv2.LINE_AA)
    return page


def make_pdf(content: bytes, image: bytes | None = None) -> bytes:
    """A one-page PDF drawing `content`; with `image` (JPEG bytes) an XObject the content may show."""
    resources = b"<< /XObject << /Im0 5 0 R >> >>" if image else b"<< >>"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 150] /Resources " + resources + b" /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
    if image:
        objs.append(b"<< /Type /XObject /Subtype /Image /Width 200 /Height 150 /ColorSpace /DeviceRGB "
                    b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % len(image) + image + b"\nendstream")
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objs):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)


def seeds() -> dict[str, bytes]:
    """The unmutated files, by name; the format is the name's first word."""
    page = base_page()
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    rgba = np.dstack([page, np.where(grey < 200, 255, 40).astype(np.uint8)])
    enc = lambda ext, img, *p: cv2.imencode(ext, img, list(p))[1].tobytes()  # noqa: E731
    out = {
        "jpeg baseline": enc(".jpg", page, cv2.IMWRITE_JPEG_QUALITY, 85),
        "jpeg progressive": enc(".jpg", page, cv2.IMWRITE_JPEG_PROGRESSIVE, 1),
        "jpeg grey": enc(".jpg", grey),
        "png rgb": enc(".png", page), "png grey": enc(".png", grey), "png rgba": enc(".png", rgba),
        "png 16-bit": enc(".png", page.astype(np.uint16) * 257),
        "tiff plain": enc(".tiff", page, cv2.IMWRITE_TIFF_COMPRESSION, 1),
        "tiff deflate": enc(".tiff", page, cv2.IMWRITE_TIFF_COMPRESSION, 8),
        "tiff rgba": enc(".tiff", rgba), "tiff 16-bit": enc(".tiff", grey.astype(np.uint16) * 257),
        "webp lossy": enc(".webp", page, cv2.IMWRITE_WEBP_QUALITY, 80),
        "webp lossless": enc(".webp", rgba, cv2.IMWRITE_WEBP_QUALITY, 101),
        "bmp": enc(".bmp", page),
        "pdf drawn": make_pdf(b"0.2 g 20 20 m 60 120 l 100 20 l S 120 30 50 80 re f"),
        "pdf image": make_pdf(b"q 200 0 0 150 0 0 cm /Im0 Do Q", enc(".jpg", page[:, :, ::-1])),
    }
    try:
        from PIL import Image

        buf = pyio.BytesIO()
        Image.fromarray(page[:, :, ::-1]).quantize(32).save(buf, "PNG")
        out["png palette"] = buf.getvalue()
        buf = pyio.BytesIO()
        Image.fromarray(page[:, :, ::-1]).save(buf, "GIF")
        out["gif"] = buf.getvalue()
    except ImportError:
        pass
    return out


EDGE = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three fuzzer mutations of `data`."""
    d = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        op = rng.random()
        if op < 0.30:  # flip a few bits anywhere
            for _ in range(rng.randint(1, 16)):
                d[rng.randrange(len(d))] ^= 1 << rng.randrange(8)
        elif op < 0.50:  # the header: where sizes, depths, offsets and counts live
            for _ in range(rng.randint(1, 6)):
                d[rng.randrange(min(len(d), 160))] = rng.choice(EDGE) if rng.random() < 0.6 else rng.randrange(256)
        elif op < 0.60:  # a 16- or 32-bit field set to an edge value
            at = rng.randrange(max(1, min(len(d), 400) - 4))
            d[at:at + 4] = rng.choice([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff\xff\xff", b"\x00\x01\x00\x00"])
        elif op < 0.75:  # cut short
            del d[rng.randrange(8, max(9, len(d))):]
        elif op < 0.88:  # a slice repeated
            a = rng.randrange(len(d))
            b = min(len(d), a + rng.randint(1, 512))
            d[a:a] = d[a:b] * rng.randint(1, 8)
        else:  # a slice dropped
            a = rng.randrange(len(d))
            del d[a:a + rng.randint(1, 256)]
        if not d:
            d = bytearray(b"\x00")
    return bytes(d)


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def read_one(name: str, index: int, seed: int, timeout: float) -> tuple[str, int, str, float]:
    """Mutate seed file `name` (mutant `index`) and read it: (name, index, outcome, seconds)."""
    import handnum

    global _SEEDS
    if _SEEDS is None:
        _SEEDS = seeds()
        signal.signal(signal.SIGALRM, _alarm)
    data = mutate(_SEEDS[name], random.Random(f"{seed}:{name}:{index}"))
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        handnum.read(data, name=f"{name}#{index}")
        outcome = "read"
    except handnum.HandnumError as e:
        outcome = type(e).__name__
    except Timeout:
        outcome = "FAIL timeout"
    except Exception as e:  # noqa: BLE001 - what the fuzz run is looking for
        outcome = f"FAIL {type(e).__name__}: {' '.join(str(e).split())[:120]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return name, index, outcome, time.perf_counter() - started


_SEEDS: dict[str, bytes] | None = None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=6000, help="mutants in all, spread over the seed files")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=10.0, help="a read longer than this is a failure (s)")
    ap.add_argument("-v", action="store_true", help="list every failure")
    args = ap.parse_args()
    names = list(seeds())
    todo = collections.deque((names[i % len(names)], i // len(names)) for i in range(args.files))
    outcomes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    times: list[float] = []
    failures: list[str] = []
    started = time.perf_counter()
    while todo:  # a pool per crash: the mutants in flight when a worker died are failures
        with ProcessPoolExecutor(args.workers) as pool:
            inflight = {}
            try:
                while todo or inflight:
                    while todo and len(inflight) < 4 * args.workers:
                        name, i = todo.popleft()
                        inflight[pool.submit(read_one, name, i, args.seed, args.timeout)] = (name, i)
                    done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                    for f in done:
                        name, i, outcome, seconds = f.result()
                        del inflight[f]
                        outcomes[name.split()[0]][outcome if not outcome.startswith("FAIL") else "FAIL"] += 1
                        times.append(seconds)
                        if outcome.startswith("FAIL"):
                            failures.append(f"{name}#{i}: {outcome}")
            except BrokenProcessPool:
                for name, i in inflight.values():
                    outcomes[name.split()[0]]["FAIL"] += 1
                    failures.append(f"{name}#{i}: FAIL worker crashed (with {len(inflight)} in flight)")
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    kinds = sorted({k for c in outcomes.values() for k in c})
    print(f"{len(times)} mutants of {len(names)} seed files (seed {args.seed}), {args.workers} workers, "
          f"{wall:.0f} s; per read median {statistics.median(times) * 1000:.0f} ms, "
          f"p99 {np.percentile(times, 99) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms; peak worker {peak:.0f} MB\n")
    print("| format | files | " + " | ".join(kinds) + " |")
    print("|---|---:|" + "---:|" * len(kinds))
    for fmt, c in sorted(outcomes.items()):
        print(f"| {fmt} | {sum(c.values())} | " + " | ".join(str(c.get(k, 0)) for k in kinds) + " |")
    print(f"\nfailures (other exceptions, crashes, reads over {args.timeout:g} s): {len(failures)}")
    for line in failures if args.v else failures[:20]:
        print("  " + line)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
