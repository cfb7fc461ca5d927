"""Train the orientation model on generated pages, export it to ONNX with its card.

    handnum train-orient --pages 600 --out runs/orient --epochs 4

Each generated page (upright by construction) is passed through the reader's first stage
(`pipeline.find_marks`, as when reading) and the windows of its voting marks are stored. Each epoch
turns every window by a random quarter turn; the model learns which turn it sees. Held out: pages of
MNIST test digits and seeds training never uses, scored per window and per page (all four turns).
"""
from __future__ import annotations

import functools
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import orient
from ..pipeline import Options, find_marks
from . import collect, scenes
from .train import _branch, check_start, load_shards, write_onnx

VAL_SEED = 9_200_000  # held-out pages; training pages start at `first_seed`


@dataclass
class OrientConfig:
    out: str = "runs/orient"
    pages: int = 600
    val_pages: int = 100
    data: str | None = None  # MNIST folder
    epochs: int = 4
    lr: float = 2e-3
    batch_size: int = 256
    seed: int = 0
    threads: int | None = None
    workers: int = 2
    first_seed: int = 5_000_000
    init: str | None = None  # start from the weights of a best.pt
    layout: str | None = None  # draw training pages of this layout only (default: any)
    smoothing: float = 0.1   # label smoothing: no mark alone is taught to be sure (a 6 is a 9 upside down)

    def __post_init__(self):
        if min(self.pages, self.val_pages, self.epochs, self.batch_size, self.workers) < 1 or self.lr <= 0:
            raise ValueError("pages, val_pages, epochs, batch_size and workers must be at least 1, lr positive")
        check_start(self.init, self.layout)


def page_windows(seed: int, digits, layout: str | None = None) -> dict[str, np.ndarray]:
    """The windows of the voting marks of the (upright) page of `seed`, as reading finds them."""
    scene = scenes.draw_scene(seed, digits, layout)
    found = find_marks(scene.image, Options())
    boxes = found.comps.boxes.reshape(-1, 4)
    w = orient.windows(found.ink, boxes[orient.voters(boxes)])
    return {"windows": (w * 255).round().astype(np.uint8), "page": np.full(len(w), seed, np.int64)}


class TurnNet(nn.Module):
    """A small CNN over the two windows (2 × 32 × 32) → logits of the four turns."""

    def __init__(self):
        super().__init__()
        self.features = _branch([len(orient.SIDES), 24, 48, 96])  # → 96 × 4 × 4
        self.head = nn.Sequential(nn.Linear(96 * 16, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, len(orient.TURNS)))

    def forward(self, windows):
        return self.head(self.features(windows).flatten(1))


def _turned(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Each window of the upright page as it stands on a page that needs turning by k × 90° to read."""
    out = x.clone()
    for t in range(len(orient.TURNS)):
        sel = k == t
        if sel.any():
            out[sel] = torch.rot90(x[sel], -t, dims=(2, 3))
    return out


def evaluate(net: TurnNet, val: dict[str, np.ndarray]) -> dict:
    """Held-out accuracy per window and per page, each over the four turns."""
    net.eval()
    x = torch.from_numpy(val["windows"].astype(np.float32) / 255)
    pages = np.unique(val["page"])
    right_windows, right_pages = 0, np.zeros(len(orient.TURNS), np.int64)
    with torch.no_grad():
        for t in range(len(orient.TURNS)):
            k = torch.full((len(x),), t)
            probs = torch.cat([F.softmax(net(_turned(x[i:i + 2048], k[i:i + 2048])), 1)
                               for i in range(0, len(x), 2048)]).numpy().astype(np.float64)
            right_windows += int((probs.argmax(1) == t).sum())
            right_pages[t] = sum(int(np.argmax(orient.votes(probs[val["page"] == p])) == t) for p in pages)
    return {"window_accuracy": round(right_windows / max(1, 4 * len(x)), 4), "windows": int(len(x)),
            "page_accuracy": round(float(right_pages.sum()) / max(1, 4 * len(pages)), 4), "pages": int(len(pages)),
            "pages_right_per_turn": dict(zip(map(str, orient.TURNS), right_pages.tolist()))}


def export(net: TurnNet, path: Path, **card) -> dict:
    """Write `net` as ONNX (input windows, output logits) and its card."""
    dummy = {"windows": torch.zeros(1, len(orient.SIDES), orient.WINDOW, orient.WINDOW)}
    return write_onnx(net, dummy, path, {"name": "orient", "classes": list(orient.TURNS), "inputs": orient.VERSION,
                                         **card})


def train(cfg: OrientConfig, progress=print) -> dict:
    out = Path(cfg.out)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.set_flush_denormal(True)
    shards = -(-cfg.pages // collect.PAGES)
    collect.collect(out / "train", shards, cfg.first_seed, cfg.data, "train", cfg.workers, progress,
                    functools.partial(page_windows, layout=cfg.layout))
    collect.collect(out / "val", -(-cfg.val_pages // collect.PAGES), VAL_SEED, cfg.data, "test", cfg.workers, progress,
                    page_windows)
    data, val = load_shards(out / "train"), load_shards(out / "val")
    x = torch.from_numpy(data["windows"])
    torch.manual_seed(cfg.seed)
    net = TurnNet()
    if cfg.init:
        net.load_state_dict(torch.load(cfg.init, weights_only=False)["model"])
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=1e-4)
    steps = -(-len(x) // cfg.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=cfg.epochs * steps)
    history, best = [], -1.0
    for epoch in range(cfg.epochs):
        g = torch.Generator().manual_seed(cfg.seed * 1000 + epoch)
        order, turns = torch.randperm(len(x), generator=g), torch.randint(0, 4, (len(x),), generator=g)
        net.train()
        t0, total = time.time(), 0.0
        for i in range(0, len(x), cfg.batch_size):
            idx = order[i:i + cfg.batch_size]
            batch = x[idx].float() / 255 * (0.7 + 0.6 * torch.rand(len(idx), 1, 1, 1, generator=g))  # ink strength
            loss = F.cross_entropy(net(_turned(batch.clamp(0, 1), turns[idx])), turns[idx], label_smoothing=cfg.smoothing)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        scores = evaluate(net, val)
        history.append({"epoch": epoch + 1, "loss": round(total / len(x), 4), "seconds": round(time.time() - t0, 1),
                        **scores})
        progress(json.dumps(history[-1]))
        if scores["page_accuracy"] + scores["window_accuracy"] > best:
            best = scores["page_accuracy"] + scores["window_accuracy"]
            torch.save({"model": net.state_dict(), "scores": scores}, out / "best.pt")
    net.load_state_dict(torch.load(out / "best.pt", weights_only=False)["model"])
    return export(net, out / "orient.onnx", held_out=evaluate(net, val),
                  training={**asdict(cfg), "history": history, "windows": int(len(x))})
