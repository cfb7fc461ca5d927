"""Write generated benchmark pages and their truth.json (see handnum.synth)."""
from __future__ import annotations

import argparse
from pathlib import Path

from handnum.synth import KINDS, make_pages

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kind", choices=KINDS, default="clean")
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", help="MNIST folder (default: $HANDNUM_DATA)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    print(make_pages(Path(a.out), a.kind, a.pages, a.seed, a.data))
