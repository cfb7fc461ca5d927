"""The model boundary: one class owns the ONNX session; the card is checked on load.

A model is a pair `NAME.onnx` + `NAME.json` (the card: classes, preprocessing version,
accuracy, sha256 of the ONNX file). Reading needs only onnxruntime, never torch. A card may
name a second model beside it for the pieces of touching digits (`Model.piece_model`).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from .errors import ModelError, one_line
from .normalize import PREPROCESSING

CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "not-a-digit"]
NOT_A_DIGIT = 10
SHIPPED = Path(__file__).parent / "models" / "digits.onnx"
CHUNK = 256  # crops per runtime call


def card_path(onnx_path: Path) -> Path:
    """The card that belongs to a model file: same name, `.json`."""
    return Path(onnx_path).with_suffix(".json")


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def checked_card(path: Path, what: str = "model") -> dict:
    """The card of the model file `path`, read, with its sha256 checked against the file (ModelError
    where the file or its card is missing, the card unreadable, or the file not the one the card names)."""
    if not path.is_file():
        raise ModelError(f"{what} file not found: {path}")
    cpath = card_path(path)
    try:
        card = json.loads(cpath.read_text())
    except (OSError, ValueError) as e:
        raise ModelError(f"{what} card {cpath} missing or unreadable: {e}") from e
    digest = sha256_file(path)
    if card.get("sha256") != digest:
        raise ModelError(f"{what} file {path} is corrupt: sha256 {digest[:12]}… does not match "
                         f"its card ({str(card.get('sha256'))[:12]}…)")
    return card


def open_session(path: Path, threads: int | None = None, what: str = "model"):
    """An onnxruntime CPU session for `path` (ModelError where it cannot be loaded)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    # idle runtime threads sleep instead of spinning: reading a page alternates model calls with
    # OpenCV work that needs the same cores (2 cores: same wall time, 20-25 % less CPU time)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types
        raise ModelError(f"cannot load {what} {path}: {e}") from e


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, (N, C) -> (N, C)."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Model:
    """An ONNX digit classifier: `model(batch)` maps (N, 28, 28) float32 in [0, 1] to (N, 11) probabilities."""

    def __init__(self, path: str | os.PathLike | None = None, threads: int | None = None, pieces: bool = True):
        self.path = Path(path) if path else SHIPPED
        self.threads = threads
        self.card = checked_card(self.path)
        if self.card.get("preprocessing") != PREPROCESSING or self.card.get("classes") != CLASSES:
            raise ModelError(f"model {self.path} expects preprocessing {self.card.get('preprocessing')!r} "
                             f"and classes {self.card.get('classes')}; this handnum has {PREPROCESSING!r}")
        self.session = open_session(self.path, threads)
        self.input_name = self.session.get_inputs()[0].name
        self._check_shapes()
        self._pieces = self._load_pieces() if pieces else None

    def _check_shapes(self) -> None:
        """Run one blank digit through the model now: a model whose output does not match its card's
        classes fails on load, not as an error on every page."""
        try:
            out = self.session.run(None, {self.input_name: np.zeros((1, 1, 28, 28), np.float32)})[0]
        except Exception as e:  # a model that takes another input shape or type
            raise ModelError(f"model {self.path} does not take (N, 1, 28, 28) float32 digits: {one_line(e)[:200]}") from e
        if out.shape != (1, len(CLASSES)):
            raise ModelError(f"model {self.path} gives {out.shape[1:] or 'scalar'} values per digit, but its card "
                             f"names {len(CLASSES)} classes: a model for other classes, or a card for another model")

    def _load_pieces(self) -> "Model | None":
        """The piece model the card names, loaded and checked now, or None."""
        name = self.card.get("pieces")
        if not name:
            return None
        path = self.path.parent / str(name)
        if not path.is_file():
            raise ModelError(f"model card {card_path(self.path)} names a piece model {name!r}, not found beside it")
        try:
            return _cached(path.resolve(), self.threads, False)
        except ModelError as e:
            raise ModelError(f"piece model of {self.path}: {e}") from e

    def piece_model(self) -> "Model":
        """The model that reads the pieces the splitter cuts out of touching digits: the one the card
        names under "pieces" (a file beside this one, trained on digits with bits of their
        neighbours: `handnum train --crowd`; loaded and checked with this one), else this model itself."""
        return self._pieces or self

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.asarray(batch, dtype=np.float32)
        if batch.ndim != 3 or batch.shape[1:] != (28, 28):
            raise ValueError(f"batch must have shape (N, 28, 28), got {batch.shape}")
        if len(batch) == 0:
            return np.zeros((0, len(CLASSES)), np.float32)
        try:  # in chunks: the runtime's buffers grow with the batch, a page can have thousands of marks
            logits = np.concatenate([self.session.run(None, {self.input_name: batch[i:i + CHUNK, None]})[0]
                                     for i in range(0, len(batch), CHUNK)])
        except Exception as e:
            raise ModelError(f"model {self.path} failed: {e}") from e
        if logits.shape[1:] != (len(CLASSES),):
            raise ModelError(f"model {self.path} gave {logits.shape[1:]} values per digit, not {len(CLASSES)}")
        return softmax(logits.astype(np.float64)).astype(np.float32)


def resolve_path(path: str | os.PathLike | None = None) -> Path:
    """The model to use: `path`, else $HANDNUM_MODEL, else the shipped one."""
    chosen = path or os.environ.get("HANDNUM_MODEL")
    return Path(chosen).resolve() if chosen else SHIPPED


@functools.lru_cache(maxsize=8)
def _cached(path: Path, threads: int | None, pieces: bool = True) -> Model:
    return Model(path, threads, pieces)


def load_model(path: str | os.PathLike | None = None, threads: int | None = None) -> Model:
    """The model at `path` (default: $HANDNUM_MODEL or the shipped one), loaded once per process."""
    return _cached(resolve_path(path), threads)
