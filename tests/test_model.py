"""The model boundary: the shipped model loads and is checked; missing or corrupt files are clear errors."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from handnum.errors import ModelError
from handnum.model import CLASSES, SHIPPED, Model, card_path, load_model


def test_shipped_model_and_card():
    model = load_model()
    assert model.path == SHIPPED and model.card["classes"] == CLASSES
    assert model.card["mnist_test_accuracy"] >= 0.996
    assert "handnum train" in model.card["command"]
    assert SHIPPED.stat().st_size < 8_000_000
    probs = model(np.zeros((3, 28, 28), np.float32))
    assert probs.shape == (3, 11) and np.allclose(probs.sum(1), 1, atol=1e-5)


def test_piece_model_named_by_the_card_else_the_model_itself(tmp_path):
    model = load_model()
    pieces = model.piece_model()
    assert pieces.path == SHIPPED.parent / model.card["pieces"] and pieces.card["training"]["crowd"] > 0
    assert pieces.piece_model() is pieces
    path = tmp_path / "m.onnx"  # a model of the user's own (a fine-tuned one): reads its own pieces
    shutil.copy(SHIPPED, path)
    card = json.loads(card_path(SHIPPED).read_text())
    del card["pieces"]
    card_path(path).write_text(json.dumps(card))
    own = Model(path)
    assert own.piece_model() is own
    card["pieces"] = "missing.onnx"
    card_path(path).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="not found"):
        Model(path).piece_model()


def test_load_model_is_cached():
    assert load_model() is load_model()


def test_missing_model(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        Model(tmp_path / "nope.onnx")


def test_corrupt_model(tmp_path):
    path = tmp_path / "m.onnx"
    shutil.copy(SHIPPED, path)
    shutil.copy(card_path(SHIPPED), card_path(path))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="corrupt"):
        Model(path)


def test_missing_card(tmp_path):
    path = tmp_path / "m.onnx"
    shutil.copy(SHIPPED, path)
    with pytest.raises(ModelError, match="card"):
        Model(path)


def test_card_for_other_preprocessing(tmp_path):
    path = tmp_path / "m.onnx"
    shutil.copy(SHIPPED, path)
    card = json.loads(card_path(SHIPPED).read_text())
    card["preprocessing"] = "something-else"
    card_path(path).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="preprocessing"):
        Model(path)


def test_wrong_batch_shape():
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        load_model()(np.zeros((2, 20, 20), np.float32))


def test_reading_never_imports_torch(tmp_path):
    """Importing handnum, reading a digit and a page must work without torch."""
    code = ("import sys, numpy as np, handnum\n"
            "img = np.full((60, 60), 255, np.uint8); img[10:50, 28:33] = 0\n"
            "handnum.classify(img); handnum.read(np.dstack([img] * 3))\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)
