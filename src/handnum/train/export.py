"""Export a trained DigitNet to ONNX and write its model card next to it."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import torch

from ..model import CLASSES, card_path, sha256_file
from ..normalize import PREPROCESSING
from .net import DigitNet


def export_onnx(net: DigitNet, path: Path) -> None:
    """Write `net` as ONNX (input "image" (N, 1, 28, 28) float32 in [0, 1], output "logits" (N, 11)).

    The class names and preprocessing version also travel inside the file's metadata.
    """
    import onnx

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".onnx.tmp")
    net = net.eval().cpu()
    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(net, (dummy,), str(tmp), input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "n"}, "logits": {0: "n"}}, opset_version=17,
                      dynamo=False)
    proto = onnx.load(str(tmp))
    for key, value in (("classes", json.dumps(CLASSES)), ("preprocessing", PREPROCESSING)):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(tmp))
    tmp.replace(path)


def write_card(onnx_path: Path, **fields) -> dict:
    """Write the JSON model card for `onnx_path` (its sha256 is computed here); return it."""
    card = {
        "name": onnx_path.stem,
        "classes": CLASSES,
        "input": {"name": "image", "shape": ["n", 1, 28, 28], "dtype": "float32", "range": [0, 1],
                  "polarity": "ink bright on black, MNIST-style (20x20 box in 28x28, centre of mass centred)"},
        "output": {"name": "logits", "shape": ["n", len(CLASSES)]},
        "preprocessing": PREPROCESSING,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        **fields,
        "sha256": sha256_file(onnx_path),
    }
    card_path(onnx_path).write_text(json.dumps(card, indent=1, default=_plain) + "\n")
    return card


def _plain(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, (Path, tuple)):
        return str(value) if isinstance(value, Path) else list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
