"""Training data for the judge: generated pages read by the reader, each digit it reports labelled
by the page's truth (`scenes.label_boxes`), with the inputs the judge will see when reading.

Shards of `PAGES` pages are written as `shard-SEED.npz` (SEED: the first page's) and skipped
when present, so an interrupted run resumes where it stopped, and runs of other seeds add to a folder.
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from .. import mnist, preprocess
from ..pipeline import Options, read_image
from . import features, scenes

PAGES = 10  # pages per shard
_digits: tuple[np.ndarray, np.ndarray] | None = None


def _init(data: str | None, split: str) -> None:
    global _digits
    m = mnist.load(data)
    _digits = (m.train_images, m.train_labels) if split == "train" else (m.test_images, m.test_labels)


def page_samples(seed: int, digits, options: Options | None = None, layout: str | None = None) -> dict[str, np.ndarray]:
    """The judge's inputs and labels for the digits the reader (judge off) reports on the page of `seed`
    (of `layout`, default any)."""
    scene = scenes.draw_scene(seed, digits, layout)
    opts = options or Options(judge=False)
    page = read_image(scene.image, f"seed-{seed}", options=opts)
    boxes = np.array([d.box for d in page.digits], np.float64).reshape(-1, 4)
    conf = np.array([d.confidence for d in page.digits], np.float32)
    marks, context, scalars = features.inputs(preprocess.to_gray(scene.image), boxes, conf)
    labels = scenes.label_boxes(scene.items, boxes)
    layout = np.full(len(boxes), scenes.LAYOUTS.index(scene.layout), np.int8)
    return {"marks": (marks * 255).astype(np.uint8), "context": (context * 255).astype(np.uint8),
            "scalars": scalars, "labels": labels.astype(np.int8), "layout": layout}


def _shard(args) -> str:
    out, first_seed, samples = args
    path = Path(out) / f"shard-{first_seed:08d}.npz"
    if path.exists():
        return str(path)
    parts = [samples(first_seed + k, _digits) for k in range(PAGES)]
    joined = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **joined)
    tmp.rename(path)
    return str(path)


def collect(out: str | Path, shards: int, seed: int = 0, data: str | None = None, split: str = "train",
            workers: int = 2, progress=print, samples=page_samples) -> list[str]:
    """Write `shards` shards of generated pages (seeds seed, seed+1, ...) into `out`; `samples(seed, digits)`
    gives a page's arrays (default: the judge's, `page_samples`)."""
    mnist.load(data)  # a missing or broken MNIST is one clear error here, not a broken worker pool
    Path(out).mkdir(parents=True, exist_ok=True)
    jobs = [(str(out), seed + i * PAGES, samples) for i in range(shards)]
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(data, split)) as pool:
        done = []
        for path in pool.map(_shard, jobs):
            done.append(path)
            progress(f"{len(done)}/{shards} {path}")
    return done
