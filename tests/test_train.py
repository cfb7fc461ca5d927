"""Training smoke test on a few hundred digits: checkpoints resume exactly; ONNX export agrees with torch."""
from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the [train] extra (torch) is not installed")

from handnum.model import Model  # noqa: E402
from handnum.train.loop import TrainConfig, train  # noqa: E402
from handnum.train.net import DigitNet  # noqa: E402


def small(out, **kw) -> TrainConfig:
    return TrainConfig(out=str(out), data=kw.pop("data"), epochs=2, batch_size=64, limit=300, negatives=120,
                       negatives_per_epoch=60, threads=1, eval_limit=200, crowd=40, **kw)


def test_train_resume_is_exact_and_export_roundtrips(tmp_path, mnist_dir):
    straight = train(small(tmp_path / "a", data=str(mnist_dir)))
    assert train(small(tmp_path / "b", data=str(mnist_dir), stop_after=1)) == {"stopped_after": 1}
    ckpt = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)
    assert ckpt["epoch"] == 1 and {"model", "optimizer", "scheduler", "rng", "config"} <= set(ckpt)
    resumed = train(small(tmp_path / "b", data=str(mnist_dir), resume=True))

    a = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=False)["model"]
    b = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a), "resumed run differs from the uninterrupted one"
    assert straight["mnist_test_accuracy"] == resumed["mnist_test_accuracy"]

    card = json.loads((tmp_path / "a" / "digits.json").read_text())
    assert card["classes"][-1] == "not-a-digit" and len(card["data_sha256"]) == 4
    assert card["training"]["epochs"] == 2 and card["training"]["crowd"] == 40 and card["sha256"]

    # ONNX round trip: onnxruntime and torch give the same probabilities
    net = DigitNet()
    net.load_state_dict(a)
    net.eval()
    x = np.random.default_rng(0).random((16, 28, 28), dtype=np.float32)
    with torch.no_grad():
        expected = torch.softmax(net(torch.from_numpy(x)[:, None]), 1).numpy()
    got = Model(tmp_path / "a" / "digits.onnx")(x)
    np.testing.assert_allclose(got, expected, atol=1e-5)
