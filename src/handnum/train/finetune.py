"""Fine-tune the digit classifier on a user's own handwriting, safely, top to bottom.

Start from the base model's torch weights (`NAME.pt` beside `NAME.onnx`); train with a low
learning rate on the user's samples (light augmentation) mixed with replayed MNIST training
digits and generated "not a digit" marks, which also keep the base model's outputs
(distillation), so the model does not forget; batch-norm statistics stay the base's. Validate
on a stratified held-out part of the user's samples (with too few samples: on all of them),
on MNIST training digits kept out of replay and on held-out generated marks; an epoch that
loses more than a little on the last two is never kept; stop early and keep the best. Writes
OUT/model.onnx, OUT/model.pt (so it can be fine-tuned again) and the card OUT/model.json.
The MNIST test set is only evaluated, before and after, never used to choose anything.
"""
from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from .. import mnist
from ..errors import DataError, ModelError
from ..model import CLASSES, NOT_A_DIGIT, SHIPPED, Model, resolve_path, sha256_file
from . import negatives
from .augment import augment, random_affine, random_stroke
from .export import export_onnx, write_card
from .loop import evaluate, pick_device
from .net import DigitNet, NetConfig
from .samples import SampleSet, split


@dataclass
class FinetuneConfig:
    out: str = "runs/finetune"
    base: str | None = None         # base model .onnx (default: $HANDNUM_MODEL or the shipped one)
    data: str | None = None         # MNIST folder (for replay and the before/after test)
    download: bool = False
    epochs: int = 20                # at most; early stopping usually ends sooner
    patience: int = 3               # epochs without a better validation score before stopping
    lr: float = 3e-4
    weight_decay: float = 1e-4
    batch_size: int = 64
    user_per_epoch: int = 256       # user samples drawn per epoch (each repeated, augmented differently)
    replay: int = 3                 # MNIST training digits per user sample drawn
    negatives: float = 0.5          # generated "not a digit" marks per user sample drawn
    negative_pool: int = 1000
    holdout: float = 0.2            # fraction of each class held out for validation ...
    holdout_min_class: int = 5      # ... from classes with at least this many samples
    holdout_min_total: int = 10     # a smaller held-out set is no use: validate on all samples instead
    min_per_class: int = 3          # warn below this
    mnist_val: int = 1000           # MNIST training digits kept out of replay, to watch forgetting
    mnist_tolerance: float = 0.005  # an epoch may lose at most this much MNIST validation accuracy ...
    marks_tolerance: float = 0.03   # ... and at most this much of the generated marks it rejects
    distill: float = 2.0            # weight of keeping the base model's outputs on replayed samples
    freeze_bn: bool = True          # keep the base's batch-norm statistics (few user samples would skew them)
    eval_limit: int | None = None   # evaluate on the first N MNIST test digits only (smoke tests)
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    command: str = ""


@dataclass
class Result:
    """The fine-tuned net (best epoch, on the CPU) and the card written beside OUT/model.onnx."""

    net: DigitNet
    card: dict


# --- torch weights beside an ONNX model: NAME.pt = {"model": state dict, "net": NetConfig dict} ---

def weights_path(onnx_path: str | Path) -> Path:
    return Path(onnx_path).with_suffix(".pt")


def save_weights(net: DigitNet, path: Path, **extra) -> None:
    """Write the weights a later fine-tune starts from (atomically)."""
    tmp = path.with_suffix(".pt.tmp")
    torch.save({"model": net.state_dict(), "net": net.config.to_dict(), **extra}, tmp)
    tmp.replace(path)


def weights_from_checkpoint(checkpoint: str | Path, path: str | Path) -> None:
    """Turn a `handnum train` checkpoint (yours, trusted) into NAME.pt to ship beside NAME.onnx."""
    ckpt = torch.load(checkpoint, map_location="cpu", weights_only=False)
    net = DigitNet(NetConfig(**{**ckpt["config"]["net"], "channels": tuple(ckpt["config"]["net"]["channels"])}))
    net.load_state_dict(ckpt["model"])
    save_weights(net, Path(path))


def load_base(onnx_path: Path) -> DigitNet:
    """The torch net of an ONNX model, from NAME.pt; checked to compute what NAME.onnx computes."""
    pt = weights_path(onnx_path)
    if not pt.is_file():
        raise ModelError(f"base model {onnx_path} has no torch weights ({pt.name}); "
                         f"fine-tune from a model trained by handnum train")
    try:
        ckpt = torch.load(pt, map_location="cpu", weights_only=True)
        cfg = dict(ckpt["net"])
        net = DigitNet(NetConfig(**{**cfg, "channels": tuple(cfg["channels"])}))
        net.load_state_dict(ckpt["model"])
    except Exception as e:  # pickle, key and shape errors alike: one line
        raise ModelError(f"cannot load torch weights {pt}: {str(e).splitlines()[0][:200]}") from e
    probe = np.random.default_rng(0).random((8, 28, 28), dtype=np.float32)
    with torch.no_grad():
        mine = torch.softmax(net.eval()(torch.from_numpy(probe)[:, None]), 1).numpy()
    if np.abs(mine - Model(onnx_path)(probe)).max() > 1e-3:
        raise ModelError(f"torch weights {pt} do not match {onnx_path} (weights of another model?)")
    return net


def onnx_predict(onnx_path: Path, x: np.ndarray) -> np.ndarray:
    """Classes the exported ONNX file gives (N, 28, 28) images: the file itself, as reading will run it."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    return session.run(None, {"image": x[:, None].astype(np.float32)})[0].argmax(1)


def check_out(out: str | Path, base: Path) -> Path:
    """The output folder, resolved; refuse the package's models folder and the base model's own files."""
    out = Path(out).resolve()
    models = SHIPPED.parent.resolve()
    if out == models or models in out.parents:
        raise DataError(f"refusing to write into the package's models folder {models}; choose another --out")
    if (out / "model.onnx") == Path(base).resolve() or (out / "model.pt") == weights_path(Path(base).resolve()):
        raise DataError(f"refusing to overwrite the base model {base}; choose another --out")
    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out} exists and is not a folder")
    return out


def light_augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Milder than base training: the user's samples are few and already in the user's style."""
    x = random_affine(x, g, rotate=8.0, scale=(0.9, 1.05), shear=0.15, shift=1.5)
    return random_stroke(x, g).clamp_(0, 1)


@torch.no_grad()
def score(net: DigitNet, x: np.ndarray, y: np.ndarray, device: torch.device) -> dict:
    """Accuracy as reading sees it (argmax over all 11 classes) and mean cross-entropy."""
    net.eval()
    if len(x) == 0:
        return {"accuracy": None, "loss": None, "n": 0}
    logits = torch.cat([net(torch.from_numpy(x[i:i + 500]).float().unsqueeze(1).to(device)).cpu()
                        for i in range(0, len(x), 500)])
    target = torch.from_numpy(y).long()
    return {"accuracy": round(float((logits.argmax(1) == target).float().mean()), 4),
            "loss": round(float(F.cross_entropy(logits, target)), 5), "n": int(len(y))}


def measure(net: DigitNet, user: dict, test: tuple, neg_val: np.ndarray, device: torch.device) -> dict:
    """The before/after figures: user samples (held out and all), MNIST test, generated marks rejected."""
    mnist_test = evaluate(net, *test, device)
    return {"user_held_out": score(net, *user["val"], device), "user_all": score(net, *user["all"], device),
            "mnist_test": {k: mnist_test[k] for k in ("accuracy", "n", "rejected_as_not_a_digit", "per_class")},
            "negatives_rejected": score(net, neg_val, np.full(len(neg_val), NOT_A_DIGIT), device)}


def finetune(cfg: FinetuneConfig, user: SampleSet) -> Result:
    base = resolve_path(cfg.base)
    out = check_out(cfg.out, base)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)
    rng = np.random.default_rng(cfg.seed)

    # --- the user's samples, split into training and validation ---
    if not user.samples:
        raise DataError("no usable samples: nothing to fine-tune on")
    ux, uy = user.images(), user.labels()
    train_idx, val_idx, validation = split(uy, cfg.holdout, cfg.holdout_min_class, cfg.holdout_min_total, rng)
    print(validation)
    users = {"val": (ux[val_idx], uy[val_idx]), "all": (ux, uy)}

    # --- replay data: MNIST training digits (less a validation slice) and generated negatives ---
    data = mnist.load(cfg.data, download=cfg.download)
    order = np.random.default_rng(cfg.seed + 7).permutation(len(data.train_labels))  # same split whatever the user gave
    mval, pool = order[:cfg.mnist_val], order[cfg.mnist_val:]
    mnist_x = torch.from_numpy(data.train_images).float().div(255).unsqueeze(1)
    mnist_y = torch.from_numpy(data.train_labels).long()
    mval_x, mval_y = data.train_images[mval].astype(np.float32) / 255, data.train_labels[mval].astype(np.int64)
    neg = negatives.generate(cfg.negative_pool, cfg.seed + 1, data.train_images[pool])
    neg = torch.from_numpy(neg).float().div(255).unsqueeze(1)
    neg_val = negatives.generate(max(100, cfg.negative_pool // 3), cfg.seed + 2, data.train_images[mval])
    neg_val = neg_val.astype(np.float32) / 255
    test = (data.test_images[:cfg.eval_limit], data.test_labels[:cfg.eval_limit])
    user_x = torch.from_numpy(ux).unsqueeze(1)
    user_y = torch.from_numpy(uy)

    # --- model: the base weights, and where it stands before fine-tuning ---
    net = load_base(base).to(device)
    before = measure(net, users, test, neg_val, device)
    base_mval = score(net, mval_x, mval_y, device)
    best = {"epoch": 0, **score(net, *users["val"], device), "mnist_val": base_mval["accuracy"]}
    best["objective"] = best["loss"] + base_mval["loss"]
    best_state = copy.deepcopy(net.state_dict())
    teacher = copy.deepcopy(net).eval()  # the base, frozen: replayed samples should keep its outputs

    n_user = max(cfg.user_per_epoch, len(train_idx))
    n_replay, n_neg = cfg.replay * n_user, round(cfg.negatives * n_user)
    steps = -(-(n_user + n_replay + n_neg) // cfg.batch_size)
    torch.manual_seed(cfg.seed)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs * steps, eta_min=cfg.lr / 10)

    # --- the loop: one epoch = user samples (light augmentation) + replay (base augmentation) ---
    history, waited = [], 0
    bar = tqdm(range(1, cfg.epochs + 1), desc="fine-tuning", unit="epoch", mininterval=1.0)
    for epoch in bar:
        net.train()
        if cfg.freeze_bn:
            for m in net.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.eval()
        g = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
        erng = np.random.default_rng([cfg.seed, epoch])
        u = torch.from_numpy(np.resize(erng.permutation(train_idx), n_user))
        r = torch.from_numpy(erng.choice(pool, n_replay, replace=False))
        k = torch.from_numpy(erng.integers(0, len(neg), n_neg))
        x = torch.cat([light_augment(user_x[u], g), augment(mnist_x[r], g), augment(neg[k], g)])
        y = torch.cat([user_y[u], mnist_y[r], torch.full((n_neg,), NOT_A_DIGIT)])
        perm = torch.randperm(len(y), generator=g)
        loss_sum = 0.0
        for step in range(steps):
            idx = perm[step * cfg.batch_size:(step + 1) * cfg.batch_size]
            xb = x[idx].to(device)
            logits = net(xb)
            loss = F.cross_entropy(logits, y[idx].to(device))
            replayed = idx >= n_user
            if cfg.distill and replayed.any():
                with torch.no_grad():
                    target = F.softmax(teacher(xb[replayed]) / 2, 1)
                loss = loss + cfg.distill * 4 * F.kl_div(F.log_softmax(logits[replayed] / 2, 1), target,
                                                         reduction="batchmean")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)

        val, mv = score(net, *users["val"], device), score(net, mval_x, mval_y, device)
        nv = score(net, neg_val, np.full(len(neg_val), NOT_A_DIGIT), device)
        history.append({"epoch": epoch, "loss": round(loss_sum / len(y), 5), "val_acc": val["accuracy"],
                        "val_loss": val["loss"], "mnist_val_acc": mv["accuracy"], "mnist_val_loss": mv["loss"],
                        "negatives_rejected": nv["accuracy"]})
        bar.set_postfix(loss=f"{loss_sum / len(y):.4f}", val_acc=f"{val['accuracy']:.3f}",
                        val_loss=f"{val['loss']:.4f}", mnist_val=f"{mv['accuracy']:.4f}",
                        marks=f"{nv['accuracy']:.3f}")
        # better: more user validation samples right, or as many with a user + MNIST validation loss 2 % lower
        # (the MNIST part keeps the choice honest when validation samples were also trained on)
        objective = val["loss"] + mv["loss"]
        keeps_base = (mv["accuracy"] >= base_mval["accuracy"] - cfg.mnist_tolerance
                      and nv["accuracy"] >= before["negatives_rejected"]["accuracy"] - cfg.marks_tolerance)
        better = val["accuracy"] > best["accuracy"] or (val["accuracy"] == best["accuracy"]
                                                        and objective < 0.98 * best["objective"])
        if keeps_base and better:
            best, waited = {"epoch": epoch, **val, "mnist_val": mv["accuracy"], "objective": objective}, 0
            best_state = copy.deepcopy(net.state_dict())
        else:
            waited += 1
            if waited >= cfg.patience:
                break
    bar.close()
    stopped = f"stopped early after epoch {epoch}" if epoch < cfg.epochs else f"ran all {cfg.epochs} epochs"
    print(f"{stopped}; keeping epoch {best['epoch']} (validation accuracy {best['accuracy']:.4f}, "
          f"loss {best['loss']:.4f}; MNIST validation {best['mnist_val']:.4f}, base {base_mval['accuracy']:.4f})")
    if best["epoch"] == 0:
        print("warning: no epoch beat the base model on validation; the output is the base model unchanged")

    # --- after: measure, export ONNX + torch weights + card, check the ONNX file reads the samples ---
    net.load_state_dict(best_state)
    after = measure(net, users, test, neg_val, device)
    onnx_path = out / "model.onnx"
    export_onnx(net, onnx_path)
    save_weights(net, out / "model.pt", base_sha256=sha256_file(base))
    read_back = onnx_predict(onnx_path, ux)
    train_counts = np.bincount(uy[train_idx], minlength=len(CLASSES))
    val_counts = np.bincount(uy[val_idx], minlength=len(CLASSES)) if len(val_idx) < len(uy) else 0 * train_counts
    card = write_card(
        onnx_path, base={"path": str(base), "sha256": sha256_file(base)},
        mnist_test_accuracy=after["mnist_test"]["accuracy"], per_class_accuracy=after["mnist_test"]["per_class"],
        mnist_test_rejected_as_not_a_digit=after["mnist_test"]["rejected_as_not_a_digit"],
        finetune={"samples_per_class": {CLASSES[c]: int(n) for c, n in enumerate(train_counts) if n},
                  "held_out_per_class": {CLASSES[c]: int(n) for c, n in enumerate(val_counts) if n},
                  "validation": validation, "before": before, "after": after,
                  "onnx_reads_samples": f"{int((read_back == uy).sum())}/{len(uy)}",
                  "skipped": [asdict(s) for s in user.skipped], "sheets": user.sheets,
                  "best_epoch": best["epoch"], "epochs_run": epoch, "history": history,
                  "config": asdict(cfg), "data_sha256": data.hashes},
        command=cfg.command)
    return Result(net.cpu(), card)
