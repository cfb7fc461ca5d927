"""The `handnum` command: digit, read, eval, eval-mnist; one-line errors and exit codes."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import cv2
import numpy as np

from handnum.cli import main

from .conftest import EXAMPLES, paper


def test_digit_reads_the_four_photos(sheets_dir, capsys):
    folder = sheets_dir.parent / "digits"
    files = sorted(folder.glob("own_*.png"))
    assert len(files) == 4
    assert main(["digit", "--json", *map(str, files)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["digit"] for o in out] == [int(f.stem[-1]) for f in files]
    assert all(len(o["top3"]) == 3 and o["top3"][0][0] == o["digit"] for o in out)


def test_digit_light_on_dark_and_human_output(tmp_path, capsys):
    img = np.zeros((100, 100), np.uint8)
    cv2.line(img, (50, 15), (50, 85), 255, 8)  # a white "1" on black
    cv2.imwrite(str(tmp_path / "one.png"), img)
    assert main(["digit", str(tmp_path / "one.png")]) == 0
    assert ": 1 (" in capsys.readouterr().out


def test_read_writes_annotated_image_and_json(tmp_path, capsys):
    assert main(["read", str(EXAMPLES / "sheet.jpg"), "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "annotated image" in out and "line(s)" in out
    assert cv2.imread(str(tmp_path / "sheet.png")).shape[:2] == cv2.imread(str(EXAMPLES / "sheet.jpg")).shape[:2]
    data = json.loads((tmp_path / "sheet.json").read_text())
    assert data["schema"] == "handnum/1" and data["lines"]


def test_read_json_lines_and_bad_inputs_keep_going(tmp_path, capsys):
    (tmp_path / "bad.png").write_bytes(b"not a png at all")
    (tmp_path / "empty.jpg").write_bytes(b"")
    good = tmp_path / "good.png"
    cv2.imwrite(str(good), paper(50, 60))
    code = main(["read", "--json", str(tmp_path / "bad.png"), str(good), str(tmp_path / "empty.jpg"),
                 str(tmp_path / "missing.png")])
    captured = capsys.readouterr()
    assert code == 1
    pages = [json.loads(line) for line in captured.out.splitlines()]
    assert [p["source"] for p in pages] == [str(good)] and pages[0]["lines"] == []
    errors = [line for line in captured.err.splitlines() if line.startswith("handnum: error:")]
    assert len(errors) == 3 and all("Traceback" not in e for e in errors)
    assert "3 input(s) failed" in captured.err


def test_read_too_many_pixels(tmp_path, capsys):
    cv2.imwrite(str(tmp_path / "big.png"), paper(100, 100))
    assert main(["read", str(tmp_path / "big.png"), "--max-pixels", "5000"]) == 1
    assert "too large" in capsys.readouterr().err


def test_read_stdin_and_console_script(tmp_path):
    exe = shutil.which("handnum") or [sys.executable, "-m", "handnum.cli"]
    cmd = [exe] if isinstance(exe, str) else exe
    done = subprocess.run([*cmd, "read", "--json", "-"], input=(EXAMPLES / "sheet.jpg").read_bytes(),
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["source"] == "stdin"
    bad = subprocess.run([*cmd, "read", "-"], input=b"garbage", capture_output=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr.decode().count("\n") == 2 and b"Traceback" not in bad.stderr


def test_eval_on_the_example(capsys):
    assert main(["eval", str(EXAMPLES / "truth.json"), "-v"]) == 0
    out = capsys.readouterr().out
    assert "digit error rate:" in out and "F1" in out


def test_eval_mnist_json(mnist_dir, capsys):
    assert main(["eval-mnist", "--json", "--data", str(mnist_dir)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 10000 and len(result["per_class"]) == 10 and result["accuracy"] >= 0.996


def test_bad_model_is_one_line(tmp_path, capsys):
    assert main(["read", str(EXAMPLES / "sheet.jpg"), "--model", str(tmp_path / "x.onnx")]) == 1
    assert capsys.readouterr().err.strip().startswith("handnum: error: model file not found")


def test_model_from_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HANDNUM_MODEL", str(tmp_path / "nope.onnx"))
    assert main(["digit", str(EXAMPLES / "sheet.jpg")]) == 1
    assert "nope.onnx" in capsys.readouterr().err
