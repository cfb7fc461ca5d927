"""Train the digit classifier on MNIST, top to bottom: config, data, model, loop, checkpoints, export.

Every epoch draws its shuffling, augmentation and dropout from a generator seeded with
(seed, epoch), and the checkpoint written after each epoch holds the model, optimizer,
scheduler, epoch and RNG states, so `--resume` continues exactly where a run stopped.
The MNIST test set is only ever evaluated, never trained on.
"""
from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from .. import mnist
from ..errors import DataError
from ..model import CLASSES, NOT_A_DIGIT
from . import crowd, negatives
from .augment import augment
from .export import export_onnx, write_card
from .net import DigitNet, NetConfig


@dataclass
class TrainConfig:
    out: str = "runs/digits"
    data: str | None = None
    download: bool = False
    epochs: int = 14
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    device: str = "auto"
    resume: bool = False
    limit: int | None = None          # train on the first N training digits only (smoke tests)
    negatives: int = 20000            # size of the generated "not a digit" pool
    negatives_per_epoch: int = 10000  # how many of them each epoch sees
    threads: int | None = None
    stop_after: int | None = None     # stop this run after N epochs (resume later with --resume)
    eval_limit: int | None = None     # evaluate on the first N test digits only (smoke tests)
    init: str | None = None           # start from these weights (a checkpoint.pt or digits.pt)
    font_negatives: bool = True       # letters in handwriting fonts among the negatives
    as_candidates: float = 0.5        # share of digits shown as reading normalises page candidates
    crowd: int = 0                    # digits cut out of rows of touching digits (the piece model, `crowd`)
    net: NetConfig = field(default_factory=NetConfig)
    command: str = ""


def pick_device(choice: str) -> torch.device:
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise DataError("--device cuda asked for, but torch sees no CUDA device")
    return torch.device(choice)


@torch.no_grad()
def evaluate(net: DigitNet, images: np.ndarray, labels: np.ndarray, device: torch.device) -> dict:
    """Accuracy over the ten digit classes (argmax of the digit logits), per class, confusion matrix,
    and how many digits the model would reject as "not a digit"."""
    net.eval()
    logits = torch.cat([net(torch.from_numpy(images[i:i + 1000]).float().div(255).unsqueeze(1).to(device)).cpu()
                        for i in range(0, len(images), 1000)])
    digit_pred = logits[:, :NOT_A_DIGIT].argmax(1).numpy()
    rejected = (logits.argmax(1) == NOT_A_DIGIT).numpy()
    confusion = np.zeros((10, 10), np.int64)
    np.add.at(confusion, (labels.astype(np.int64), digit_pred), 1)
    per_class = (np.diag(confusion) / np.maximum(confusion.sum(1), 1)).round(4)
    return {"accuracy": round(float((digit_pred == labels).mean()), 4), "n": int(len(labels)),
            "per_class": per_class.tolist(), "confusion": confusion.tolist(),
            "rejected_as_not_a_digit": int(rejected.sum())}


def train(cfg: TrainConfig) -> dict:
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)

    # --- data: MNIST training digits + a pool of generated negatives (class 10) ---
    data = mnist.load(cfg.data, download=cfg.download)
    train_x, train_y = data.train_images, data.train_labels
    if cfg.limit:
        train_x, train_y = train_x[:cfg.limit], train_y[:cfg.limit]
    neg = negatives.generate(cfg.negatives, seed=cfg.seed, digits=train_x, fonts=cfg.font_negatives)
    pieces_x, pieces_y = crowd.generate(cfg.crowd, cfg.seed, train_x, train_y)  # seen every epoch, as digits are
    images = torch.from_numpy(np.concatenate([train_x, pieces_x, neg])).float().div(255).unsqueeze(1)  # (N, 1, 28, 28)
    shown = torch.from_numpy(np.concatenate([negatives.as_candidates(train_x, cfg.seed), pieces_x, neg])
                             ).float().div(255).unsqueeze(1) if cfg.as_candidates > 0 else images
    labels = torch.from_numpy(np.concatenate([train_y, pieces_y, np.full(len(neg), NOT_A_DIGIT, np.uint8)])).long()
    n_digits, n_neg_epoch = len(train_x) + len(pieces_x), min(cfg.negatives_per_epoch, len(neg))
    steps_per_epoch = -(-(n_digits + n_neg_epoch) // cfg.batch_size)

    # --- model, optimizer, schedule: from scratch or from the last checkpoint ---
    torch.manual_seed(cfg.seed)
    net = DigitNet(cfg.net).to(device)
    if cfg.init:
        net.load_state_dict(torch.load(cfg.init, map_location=device, weights_only=False)["model"])
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, epochs=cfg.epochs,
                                                steps_per_epoch=steps_per_epoch, pct_start=0.2)
    start, history = 0, []
    ckpt_path = out / "checkpoint.pt"
    if cfg.resume and ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        net.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
        start, history = ckpt["epoch"], ckpt["history"]
        torch.set_rng_state(ckpt["rng"]["torch"])
        np.random.set_state(ckpt["rng"]["numpy"])
        random.setstate(ckpt["rng"]["python"])
        print(f"resumed from {ckpt_path} after epoch {start}")

    # --- the loop ---
    test_x, test_y = data.test_images[:cfg.eval_limit], data.test_labels[:cfg.eval_limit]
    end = cfg.epochs if cfg.stop_after is None else min(cfg.epochs, start + cfg.stop_after)
    for epoch in range(start, end):
        t0 = time.time()
        net.train()
        g = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
        torch.manual_seed(cfg.seed * 100_003 + epoch)  # dropout
        neg_idx = n_digits + torch.randperm(len(neg), generator=g)[:n_neg_epoch]
        order = torch.cat([torch.arange(n_digits), neg_idx])[torch.randperm(n_digits + n_neg_epoch, generator=g)]
        seen = correct = 0
        loss_sum = 0.0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch",
                   leave=True, mininterval=1.0)
        for step in bar:
            idx = order[step * cfg.batch_size:(step + 1) * cfg.batch_size]
            pick = (torch.rand(len(idx), generator=g) < cfg.as_candidates).view(-1, 1, 1, 1)
            x = augment(torch.where(pick, shown[idx], images[idx]), g).to(device)
            y = labels[idx].to(device)
            logits = net(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            seen += len(y)
            correct += int((logits.argmax(1) == y).sum())
            loss_sum += loss.item() * len(y)
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}")
        test = evaluate(net, test_x, test_y, device)
        history.append({"epoch": epoch + 1, "loss": round(loss_sum / seen, 5), "train_acc": round(correct / seen, 5),
                        "test_acc": test["accuracy"], "seconds": round(time.time() - t0, 1)})
        print(f"epoch {epoch + 1}: loss {loss_sum / seen:.4f}, train acc {correct / seen:.4f}, "
              f"MNIST test acc {test['accuracy']:.4f}, {time.time() - t0:.0f} s")
        ckpt = {"model": net.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "epoch": epoch + 1, "history": history, "config": asdict(cfg),
                "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}}
        torch.save(ckpt, out / "checkpoint.tmp")
        (out / "checkpoint.tmp").replace(ckpt_path)  # atomic: a killed run never leaves half a checkpoint

    if end < cfg.epochs:
        print(f"stopped after epoch {end} of {cfg.epochs}; continue with --resume")
        return {"stopped_after": end}

    # --- final report and export ---
    test = evaluate(net, test_x, test_y, device)
    print_report(test)
    onnx_path = out / "digits.onnx"
    export_onnx(net, onnx_path)
    torch.save({"model": net.state_dict(), "net": cfg.net.to_dict()}, out / "digits.pt")  # for fine-tuning
    card = write_card(onnx_path, mnist_test_accuracy=test["accuracy"], per_class_accuracy=test["per_class"],
                      mnist_test_rejected_as_not_a_digit=test["rejected_as_not_a_digit"],
                      confusion=test["confusion"], training={**asdict(cfg), "history": history,
                                                              "samples": n_digits, "negatives": len(neg)},
                      data_sha256=data.hashes, command=cfg.command)
    print(f"wrote {onnx_path} ({onnx_path.stat().st_size / 1e6:.2f} MB) and {onnx_path.with_suffix('.json')}")
    return card


def print_report(test: dict) -> None:
    """Print test accuracy, per-class accuracy and the confusion matrix."""
    print(f"MNIST test accuracy: {test['accuracy']:.4f} (n={test['n']}; "
          f"{test['rejected_as_not_a_digit']} would be rejected as not a digit)")
    print("per class: " + "  ".join(f"{c}: {a:.4f}" for c, a in zip(CLASSES, test["per_class"])))
    print("confusion (rows: true, columns: predicted):")
    print("      " + " ".join(f"{c:>5}" for c in range(10)))
    for c, row in enumerate(test["confusion"]):
        print(f"  {c}: " + " ".join(f"{v:>5}" for v in row))


