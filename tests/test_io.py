"""Loading: every supported format, EXIF orientation, PDF pages, and each kind of bad input."""
from __future__ import annotations

import io as pyio

import cv2
import numpy as np
import pytest

from handnum import decoders, io
from handnum.errors import ImageError

PIL = pytest.importorskip("PIL.Image", reason="Pillow (dev extra) makes the TIFF/PDF/EXIF fixtures")


def picture(h=60, w=90):
    img = np.full((h, w, 3), 230, np.uint8)
    cv2.rectangle(img, (10, 10), (40, 50), (20, 20, 20), 3)
    return img


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp", ".webp", ".tiff"])
def test_image_formats(tmp_path, ext):
    path = tmp_path / f"a{ext}"
    assert cv2.imwrite(str(path), picture())
    (page,) = io.load(path)
    assert page.image.shape == (60, 90, 3) and page.image.dtype == np.uint8 and page.page == 0


def test_exif_orientation_is_honoured(tmp_path):
    img = PIL.fromarray(picture()[:, :, ::-1])
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    path = tmp_path / "rot.jpg"
    img.save(path, exif=exif)
    (page,) = io.load(path)
    assert page.image.shape[:2] == (90, 60)


def test_pdf_every_page(tmp_path):
    pages = [PIL.fromarray(picture()), PIL.fromarray(picture(80, 50))]
    path = tmp_path / "two.pdf"
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=72)
    out = io.load(path)
    assert [p.page for p in out] == [0, 1]
    assert out[0].image.shape[1] > out[0].image.shape[0] and out[1].image.shape[0] > out[1].image.shape[1]


def test_array_inputs():
    assert io.load(np.zeros((5, 7), np.uint8))[0].image.shape == (5, 7, 3)
    assert io.load(np.zeros((5, 7), np.float32))[0].image.shape == (5, 7, 3)
    rgba = np.zeros((4, 4, 4), np.uint8)  # fully transparent: white paper
    assert io.load(rgba)[0].image.min() == 255


@pytest.mark.parametrize("data, message", [
    (b"", "empty file"),
    (b"hello, not an image", "not a supported image"),
    (cv2.imencode(".png", picture())[1].tobytes()[:200], "corrupt or truncated"),
    (b"%PDF-1.4 garbage", "cannot open PDF"),
])
def test_bad_bytes(data, message):
    with pytest.raises(ImageError, match=message):
        io.load(data, name="x")


def test_bad_paths(tmp_path):
    with pytest.raises(ImageError, match="cannot read"):
        io.load(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="is a folder"):
        io.load(tmp_path)


def test_zero_size_and_odd_arrays():
    with pytest.raises(ImageError, match="not an image array"):
        io.load(np.zeros((0, 10), np.uint8))
    with pytest.raises(ImageError, match="not an image array"):
        io.load(np.zeros((4, 4, 7), np.uint8))


def test_pixel_limit_is_checked_from_the_header():
    big = cv2.imencode(".png", np.zeros((1000, 1000), np.uint8))[1].tobytes()
    assert io.header_size(big, "png") == (1000, 1000)
    with pytest.raises(ImageError, match="too large"):
        io.load(big, max_pixels=500_000, name="big.png")
    jpg = cv2.imencode(".jpg", np.zeros((300, 500), np.uint8))[1].tobytes()
    assert io.header_size(jpg, "jpeg") == (500, 300)


def test_expand_inputs_recurses_into_folders(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("b.png", "sub/a.jpg", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.replace(str(tmp_path), "") for p in io.expand_inputs([str(tmp_path), "-"])] == \
        ["/b.png", "/sub/a.jpg", "-"]


@pytest.mark.parametrize("kind", ["gray", "bgr", "bgra-opaque", "bgra-transparent", "gray16", "palette"])
def test_png_fast_path_decodes_as_opencv_does(kind, monkeypatch):
    # 8-bit grey, RGB and RGBA PNGs go through libspng; every PNG must come out as OpenCV reads it
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    alpha = np.full((37, 53, 1), 255, np.uint8)
    if kind == "palette":
        buf = pyio.BytesIO()
        PIL.fromarray(bgr[:, :, ::-1]).quantize(16).save(buf, "PNG")
        data = buf.getvalue()
    else:
        image = {"gray": bgr[:, :, 0], "bgr": bgr, "bgra-opaque": np.dstack([bgr, alpha]),
                 "bgra-transparent": np.dstack([bgr, alpha // 2]), "gray16": bgr[:, :, 0].astype(np.uint16) * 257}[kind]
        data = cv2.imencode(".png", image)[1].tobytes()
    fast = io.decode(data, "x.png")[0].image
    monkeypatch.setattr(decoders, "_png_fast", lambda data: None)
    assert np.array_equal(fast, io.decode(data, "x.png")[0].image)
