"""Train the judge on shards from `collect`, export it to ONNX with its card.

    handnum train-judge --pages 1000 --out runs/judge --epochs 8

Shards are collected first where missing (training pages from MNIST training digits; held-out
pages from MNIST test digits and seeds training never uses). After each epoch `last.pt` (model,
optimiser, epoch, history) is written, and `best.pt` when held-out accuracy improves; `--resume`
continues from `last.pt`.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..model import card_path, sha256_file
from . import collect, features, scenes
from .model import KINDS

VAL_SEED = 9_000_000  # held-out pages start here; training pages start at 0


@dataclass
class JudgeConfig:
    out: str = "runs/judge"
    pages: int = 1000         # training pages (collected in shards of collect.PAGES)
    val_pages: int = 120
    data: str | None = None   # MNIST folder
    epochs: int = 8
    lr: float = 1e-3
    batch_size: int = 256
    seed: int = 0
    threads: int | None = None
    workers: int = 2
    resume: bool = False
    digit_keep: float = 0.35  # share of the (plentiful) digit samples each epoch sees, a new draw per epoch
    first_seed: int = 0       # seed of the first training page (another range: new pages in another run)
    init: str | None = None   # start from the weights of a best.pt or last.pt
    layout: str | None = None  # draw training pages of this layout only (default: any)

    def __post_init__(self):
        if self.pages < 1 or self.val_pages < 1 or self.epochs < 1 or self.batch_size < 1 or self.workers < 1:
            raise ValueError("pages, val_pages, epochs, batch_size and workers must be at least 1")
        if not 0 < self.digit_keep <= 1 or self.lr <= 0:
            raise ValueError(f"digit_keep must be in (0, 1] and lr positive, got {self.digit_keep} and {self.lr}")
        check_start(self.init, self.layout)


def check_start(init: str | None, layout: str | None) -> None:
    """The options a trainer on generated pages shares (train-judge, train-orient): `init` an existing
    checkpoint, `layout` one of `scenes.LAYOUTS`; else one clear ValueError."""
    if init and not Path(init).is_file():
        raise ValueError(f"--init {init}: no such checkpoint")
    if layout is not None and layout not in scenes.LAYOUTS:
        raise ValueError(f"--layout {layout}: not one of {', '.join(scenes.LAYOUTS)}")


def _branch(channels: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(channels, channels[1:]):
        layers += [nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*layers)


class JudgeNet(nn.Module):
    """Two small CNNs (the mark 32×32, its line 32×128) and the size scalars → logits over KINDS."""

    def __init__(self, digit_keep: float = 1.0):
        super().__init__()
        # epochs see a share of the digits only: their logit gets back the odds the subsampling took away
        self.register_buffer("prior", torch.tensor([-np.log(digit_keep)] + [0.0] * (len(KINDS) - 1), dtype=torch.float32))
        self.mark = _branch([1, 16, 32, 64])      # → 64 × 4 × 4
        self.context = _branch([1, 16, 32, 48])   # → 48 × 4 × 16
        self.head = nn.Sequential(nn.Linear(64 * 16 + 48 * 2 * 4 + features.SCALARS, 192), nn.ReLU(),
                                  nn.Dropout(0.3), nn.Linear(192, len(KINDS)))

    def forward(self, mark, context, scalars):
        a = self.mark(mark).flatten(1)
        b = F.adaptive_avg_pool2d(self.context(context), (2, 4)).flatten(1)
        return self.head(torch.cat([a, b, scalars], 1)) + self.prior


def load_shards(folder: str | Path) -> dict[str, np.ndarray]:
    paths = sorted(Path(folder).glob("shard-*.npz"))
    parts = [dict(np.load(p)) for p in paths]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else {}


def _tensors(d: dict[str, np.ndarray], idx: np.ndarray):
    return (torch.from_numpy(d["marks"][idx].astype(np.float32) / 255), torch.from_numpy(d["context"][idx].astype(np.float32) / 255),
            torch.from_numpy(d["scalars"][idx]), torch.from_numpy(d["labels"][idx].astype(np.int64)))


def _augment(g: torch.Generator, mark, context, scalars):
    """Ink strength varies between pens and photos: scale both crops by one factor per sample."""
    k = 0.6 + 0.6 * torch.rand(len(mark), 1, 1, 1, generator=g)
    return (mark * k).clamp(0, 1), (context * k).clamp(0, 1), scalars


def evaluate(net: JudgeNet, d: dict[str, np.ndarray]) -> dict:
    """Held-out accuracy, and precision / recall of "digit" (the verdict that keeps a mark)."""
    net.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(d["labels"]), 1024):
            m, c, s, _ = _tensors(d, np.arange(i, min(i + 1024, len(d["labels"]))))
            preds.append(net(m, c, s).argmax(1).numpy())
    pred, true = np.concatenate(preds), d["labels"].astype(np.int64)
    confusion = np.zeros((len(KINDS), len(KINDS)), np.int64)
    np.add.at(confusion, (true, pred), 1)
    tp = confusion[0, 0]
    return {"accuracy": round(float((pred == true).mean()), 4), "n": int(len(true)),
            "digit_precision": round(float(tp / max(1, confusion[:, 0].sum())), 4),
            "digit_recall": round(float(tp / max(1, confusion[0].sum())), 4), "confusion": confusion.tolist()}


def write_onnx(net: nn.Module, dummy: dict[str, torch.Tensor], path: Path, card: dict) -> dict:
    """`net` as ONNX at `path` (inputs named as in `dummy`, output "logits", any batch size) and its card
    beside it, stamped with the time and the file's sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    net = net.eval().cpu()
    names = list(dummy)
    torch.onnx.export(net, tuple(dummy.values()), str(path), input_names=names, output_names=["logits"],
                      dynamic_axes={k: {0: "n"} for k in names + ["logits"]}, opset_version=17, dynamo=False)
    card = {**card, "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "sha256": sha256_file(path)}
    card_path(path).write_text(json.dumps(card, indent=1) + "\n")
    return card


def export(net: JudgeNet, path: Path, **card) -> dict:
    """Write `net` as ONNX (inputs mark, context, scalars; output logits) and its card."""
    dummy = {"mark": torch.zeros(1, 1, features.MARK, features.MARK), "context": torch.zeros((1, 1) + features.CONTEXT),
             "scalars": torch.zeros(1, features.SCALARS)}
    return write_onnx(net, dummy, path, {"name": "judge", "classes": list(KINDS), "inputs": features.VERSION, **card})


def train(cfg: JudgeConfig, progress=print) -> dict:
    out = Path(cfg.out)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.set_flush_denormal(True)  # tiny weights and gradients would slow every CPU op
    shards = -(-cfg.pages // collect.PAGES)
    collect.collect(out / "train", shards, cfg.first_seed, cfg.data, "train", cfg.workers, progress,
                    functools.partial(collect.page_samples, layout=cfg.layout))
    collect.collect(out / "val", -(-cfg.val_pages // collect.PAGES), VAL_SEED, cfg.data, "test", cfg.workers, progress)
    data, val = load_shards(out / "train"), load_shards(out / "val")
    counts = np.bincount(data["labels"], minlength=len(KINDS))
    is_digit = data["labels"] == 0
    per_epoch = int((~is_digit).sum() + cfg.digit_keep * is_digit.sum())
    torch.manual_seed(cfg.seed)
    net = JudgeNet(cfg.digit_keep)
    if cfg.init:
        state = torch.load(cfg.init, weights_only=False)["model"]
        state["prior"] = net.prior  # this run's own digit share
        net.load_state_dict(state)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=1e-4)
    start, history, best = 0, [], -1.0
    if cfg.resume and (out / "last.pt").exists():
        state = torch.load(out / "last.pt", weights_only=False)
        net.load_state_dict(state["model"]), opt.load_state_dict(state["opt"])
        start, history, best = state["epoch"], state["history"], state["best"]
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=cfg.epochs * (-(-per_epoch // cfg.batch_size)),
                                                last_epoch=start * (-(-per_epoch // cfg.batch_size)) - 1)
    for epoch in range(start, cfg.epochs):
        g = torch.Generator().manual_seed(cfg.seed * 1000 + epoch)
        digits = np.flatnonzero(is_digit)[torch.randperm(int(is_digit.sum()), generator=g).numpy()]
        chosen = np.concatenate([np.flatnonzero(~is_digit), digits[:per_epoch - int((~is_digit).sum())]])
        order = chosen[torch.randperm(len(chosen), generator=g).numpy()]
        net.train()
        t0, total = time.time(), 0.0
        for i in range(0, len(order), cfg.batch_size):
            m, c, s, y = _tensors(data, order[i:i + cfg.batch_size])
            m, c, s = _augment(g, m, c, s)
            loss = F.cross_entropy(net(m, c, s) - net.prior, y)  # the prior is for reading, not training
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(y)
        scores = evaluate(net, val)
        history.append({"epoch": epoch + 1, "loss": round(total / len(order), 4), "seconds": round(time.time() - t0, 1),
                        **{k: v for k, v in scores.items() if k != "confusion"}})
        progress(json.dumps(history[-1]))
        if scores["accuracy"] > best:
            best = scores["accuracy"]
            torch.save({"model": net.state_dict(), "scores": scores}, out / "best.pt")
        torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "epoch": epoch + 1, "history": history,
                    "best": best}, out / "last.pt")
    net.load_state_dict(torch.load(out / "best.pt", weights_only=False)["model"])  # its prior too
    scores = evaluate(net, val)
    return export(net, out / "judge.onnx", held_out=scores, training={**asdict(cfg), "history": history,
                  "samples": int(len(data["labels"])), "per_kind": dict(zip(KINDS, counts.tolist()))})
