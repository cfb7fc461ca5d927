"""The command line and the model against hostile setups: odd folders, an -o that cannot be written,
a model whose output does not match its card."""
from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from handnum import folders
from handnum.cli import main
from handnum.errors import ImageError, ModelError
from handnum.model import SHIPPED, Model, card_path, sha256_file

from .conftest import EXAMPLES, make_pdf


def picture(path: Path) -> Path:
    cv2.imwrite(str(path), np.full((40, 60, 3), 230, np.uint8))
    return path


@pytest.fixture
def unreadable(monkeypatch):
    """Folders to make unreadable: works as root too, where chmod 000 does not stop anyone."""
    paths: set[str] = set()
    real = os.scandir

    def scandir(path="."):
        if os.path.abspath(path) in paths:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)
    monkeypatch.setattr(folders.os, "scandir", scandir)
    return lambda p: paths.add(os.path.abspath(p))


def test_skipped_symlinks_and_subfolders_are_warned_about(tmp_path, unreadable):
    picture(tmp_path / "a.png")
    (tmp_path / "sub").mkdir()
    picture(tmp_path / "sub" / "b.jpg")
    (tmp_path / "locked").mkdir()
    picture(tmp_path / "locked" / "c.png")
    unreadable(tmp_path / "locked")
    (tmp_path / "gone.png").symlink_to(tmp_path / "nothing.png")
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")
    (tmp_path / "again").symlink_to(tmp_path)  # a folder that holds itself
    (tmp_path / "link.png").symlink_to(tmp_path / "a.png")  # a symlinked file is read
    warnings: list[str] = []
    found = folders.image_files(str(tmp_path), warnings.append)
    assert [Path(p).relative_to(tmp_path).as_posix() for p in found] == ["a.png", "link.png", "sub/b.jpg"]
    assert len(warnings) == 4, warnings
    said = "\n".join(warnings)
    for part in ("gone.png: broken symlink", "loop.png: symlink loop", "again: symlink to a folder, not followed",
                 "locked: cannot read folder (Permission denied)"):
        assert part in said


def test_empty_or_unreadable_input_folder_is_an_error(tmp_path, unreadable, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["read", str(tmp_path / "empty")]) == 1
    err = capsys.readouterr().err
    assert "empty: no image or PDF files in this folder" in err and "Traceback" not in err
    locked = tmp_path / "locked"
    locked.mkdir()
    picture(locked / "a.png")
    unreadable(locked)
    assert main(["read", str(locked), str(EXAMPLES / "sheet.jpg")]) == 1  # the other input is still read
    out, err = capsys.readouterr()
    assert "locked: cannot read folder (Permission denied)" in err and "sheet.jpg: " in out
    with pytest.raises(ImageError, match="cannot read folder"):
        folders.image_files(str(locked))


def test_output_that_cannot_be_written_is_one_line(tmp_path, capsys, monkeypatch):
    image = str(EXAMPLES / "sheet.jpg")
    taken = tmp_path / "taken"
    taken.write_text("a file")
    assert main(["read", image, "-o", str(taken)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "taken is a file, not a folder" in err
    read_only = OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(Path, "mkdir", lambda *a, **k: (_ for _ in ()).throw(read_only))
    assert main(["read", image, "-o", str(tmp_path / "new")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot create the output folder" in err and "Read-only file system" in err
    monkeypatch.undo()
    monkeypatch.setattr(cv2, "imwrite", lambda *a: False)  # a disk that refuses the write
    assert main(["read", image, "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write" in err and "Traceback" not in err


def test_a_pdf_page_that_fails_is_an_error_and_the_others_are_printed(tmp_path, capsys, monkeypatch):
    from handnum import pdf

    path = tmp_path / "three.pdf"
    path.write_bytes(make_pdf([b""] * 3))
    real = pdf.render_page

    def second_fails(doc, i, name, *args):
        if i == 1:
            raise ImageError(f"{name}: cannot render PDF page 2 (a broken page)")
        return real(doc, i, name, *args)
    monkeypatch.setattr(pdf, "render_page", second_fails)
    assert main(["read", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "three.pdf page 1: 0 line(s)" in out and "cannot render PDF page 2" in err


def linear_model(path: Path, classes: int, pieces: str | None = None) -> Path:
    """An ONNX model (N, 1, 28, 28) → (N, `classes`) and a card that matches it, as `handnum train` writes."""
    onnx = pytest.importorskip("onnx", reason="building a test model needs onnx (train extra)")
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.full((784, classes), 0.01, np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["image"], ["flat"], axis=1), helper.make_node("MatMul", ["flat", "w"], ["logits"])],
        "linear", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", classes])], [weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    card = json.loads(card_path(SHIPPED).read_text())
    card.pop("pieces", None)
    card.update({"sha256": sha256_file(path), "output": {"name": "logits", "shape": ["n", classes]}},
                **({"pieces": pieces} if pieces else {}))
    card_path(path).write_text(json.dumps(card))
    return path


@pytest.mark.parametrize("classes", [5, 1000])
def test_a_model_with_the_wrong_output_fails_on_load(tmp_path, classes):
    path = linear_model(tmp_path / "m.onnx", classes)
    with pytest.raises(ModelError, match=rf"gives \({classes},\) values per digit, but its card names 11 classes"):
        Model(path)
    assert Model(linear_model(tmp_path / "ok.onnx", 11))(np.zeros((2, 28, 28))).shape == (2, 11)


def test_the_piece_model_is_checked_on_load(tmp_path):
    linear_model(tmp_path / "pieces.onnx", 5)
    path = linear_model(tmp_path / "m.onnx", 11, pieces="pieces.onnx")
    with pytest.raises(ModelError, match="piece model of .*m.onnx: model .*pieces.onnx gives \\(5,\\) values"):
        Model(path)
    linear_model(tmp_path / "pieces.onnx", 11)
    model = Model(path)
    assert model.piece_model().path.name == "pieces.onnx" and model.piece_model().piece_model() is model.piece_model()
    (tmp_path / "pieces.onnx").unlink()
    with pytest.raises(ModelError, match="names a piece model 'pieces.onnx', not found beside it"):
        Model(path)


def test_batch_refuses_a_wrong_model_before_reading(tmp_path, capsys):
    from handnum.batch.__main__ import main as batch_main

    model = linear_model(tmp_path / "m.onnx", 5)
    shutil.copy(EXAMPLES / "sheet.jpg", tmp_path / "sheet.jpg")
    out = tmp_path / "out"
    assert batch_main(["batch", str(tmp_path / "sheet.jpg"), "--out", str(out), "--model", str(model),
                       "--no-progress"]) == 1
    assert "values per digit" in capsys.readouterr().err and not out.exists()
