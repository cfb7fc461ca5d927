"""Hostile files: sizes claimed by headers refused before decoding, transparent and 16-bit pages in
bounded memory, PDFs rendered a page at a time, decoders kept quiet, folders that cannot be listed."""
from __future__ import annotations

import io as pyio
import struct

import cv2
import numpy as np
import pytest

import handnum
from handnum import decoders, io, pdf
from handnum.errors import ImageError, ImageTooLarge
from handnum.headers import read_header

from .conftest import make_pdf, tiff_claiming

PIL = pytest.importorskip("PIL.Image", reason="Pillow (dev extra) makes the GIF and LA/palette PNG fixtures")


def page(h=40, w=60) -> np.ndarray:
    img = np.full((h, w, 3), 230, np.uint8)
    cv2.rectangle(img, (8, 8), (30, 30), (20, 40, 60), 3)
    return img


def webp_claiming(kind: str, side: int) -> bytes:
    """A small WebP of each header kind (VP8 lossy, VP8L lossless, VP8X extended) claiming side×side."""
    if kind == "VP8X":
        data = bytearray(cv2.imencode(".webp", np.dstack([page(), np.full((40, 60), 128, np.uint8)]),
                                      [cv2.IMWRITE_WEBP_QUALITY, 80])[1].tobytes())
    else:
        data = bytearray(cv2.imencode(".webp", page(), [cv2.IMWRITE_WEBP_QUALITY, 80 if kind == "VP8 " else 101])[1])
    assert bytes(data[12:16]) == kind.encode()
    if kind == "VP8 ":
        data[26:30] = struct.pack("<HH", side, side)
    elif kind == "VP8L":
        bits = int.from_bytes(data[21:25], "little") & ~((1 << 28) - 1)
        data[21:25] = (bits | (side - 1) | (side - 1) << 14).to_bytes(4, "little")
    else:
        data[24:30] = (side - 1).to_bytes(3, "little") * 2
    return bytes(data)


def bmp_claiming(width: int, height: int) -> bytes:
    data = bytearray(cv2.imencode(".bmp", page())[1].tobytes())
    data[18:26] = struct.pack("<ii", width, -height)  # top-down: a negative height
    return bytes(data)


def gif_claiming(width: int, height: int, frame: bool = False) -> bytes:
    buf = pyio.BytesIO()
    PIL.fromarray(page()).save(buf, "GIF")
    data = bytearray(buf.getvalue())
    if frame:  # the screen stays small; the first frame claims more
        i = data.index(b"\x2c", 13 + (3 << ((data[10] & 7) + 1)))
        data[i + 5:i + 9] = struct.pack("<HH", width, height)
    else:
        data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def jpeg_claiming(width: int, height: int, progressive: bool = False) -> bytes:
    flags = [cv2.IMWRITE_JPEG_PROGRESSIVE, 1] if progressive else []
    data = bytearray(cv2.imencode(".jpg", page(), flags)[1].tobytes())
    i = data.index(b"\xff\xc2" if progressive else b"\xff\xc0")
    data[i + 5:i + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png_claiming(width: int, height: int) -> bytes:
    data = bytearray(cv2.imencode(".png", page())[1].tobytes())
    data[16:24] = struct.pack(">II", width, height)
    return bytes(data)


CLAIMS = {
    "tiff 65000²": tiff_claiming(65000, 65000),
    "tiff 100000x1000": tiff_claiming(100_000, 1000),
    "webp VP8 16383²": webp_claiming("VP8 ", 16383),
    "webp VP8L 16384²": webp_claiming("VP8L", 16384),
    "webp VP8X 16383²": webp_claiming("VP8X", 16383),
    "bmp 30000²": bmp_claiming(30000, 30000),
    "gif 65535²": gif_claiming(65535, 65535),
    "gif frame 65535²": gif_claiming(65535, 65535, frame=True),
    "jpeg 65500²": jpeg_claiming(65500, 65500),
    "png 100000²": png_claiming(100_000, 100_000),
}


@pytest.fixture
def no_decoding(monkeypatch):
    """Any decoder call fails the test: the header alone must refuse the file."""
    def never(*args, **kwargs):
        raise AssertionError("decoded a file its header should have refused")
    monkeypatch.setattr(decoders.cv2, "imdecode", never)
    monkeypatch.setattr(decoders, "_png_fast", never)


@pytest.mark.parametrize("name", list(CLAIMS))
def test_sizes_claimed_by_headers_are_refused_before_decoding(name, no_decoding, tmp_path):
    data = CLAIMS[name]
    header = read_header(data)
    assert header is not None and header.pixels > io.MAX_PIXELS, header
    with pytest.raises(ImageTooLarge, match="image too large"):
        io.load(data, name=name)
    path = tmp_path / "claims.bin"  # from a path too: refused through a memory map, the file unread
    path.write_bytes(data)
    with pytest.raises(ImageTooLarge, match="image too large"):
        handnum.read(path)


def test_decoding_memory_is_bounded_by_the_header(no_decoding, tmp_path):
    # 1000×1000 16-bit RGBA in one strip: 8 MB of pixels and an 8 MB strip buffer; 1 MP allowed, 10 MB to decode
    data = tiff_claiming(1000, 1000, t258=16, t277=4, t262=2, t278=1000)
    header = read_header(data)
    assert header.alpha and header.sample_bytes == 2 and header.work_bytes == 8_000_000
    # OpenCV hands back a copy of the page it decoded: 8 MB twice, and the strip
    with pytest.raises(ImageError, match=r"too large to decode: 1000x1000 16-bit with alpha TIFF needs about 24 MB "
                                         r"\(limit 10 MB"):
        io.load(data, max_pixels=1_000_000, name="strip.tif")
    (tmp_path / "strip.tif").write_bytes(data)
    with pytest.raises(ImageError, match=r"needs about 24 MB"):  # from a path: refused before it is read
        io.load(tmp_path / "strip.tif", max_pixels=1_000_000)
    assert read_header(jpeg_claiming(1000, 1000, progressive=True)).work_bytes >= 3_000_000  # coefficients kept


def test_a_png_chunk_longer_than_the_file_is_refused_before_decoding(no_decoding):
    data = bytearray(cv2.imencode(".png", page())[1].tobytes())
    data[33:37] = struct.pack(">I", 0xFF000060)  # the chunk after IHDR claims 4 GB (OpenCV allocated it)
    with pytest.raises(ImageError, match="cannot decode PNG data \\(corrupt or truncated header\\)"):
        io.load(bytes(data), name="chunk.png")


def test_a_decoder_error_is_an_image_error(monkeypatch):
    def broken(*args):
        raise cv2.error("OpenCV(5.1.0) /io/loadsave.cpp:80: error: (-215:Assertion failed) pixels <= MAX")
    monkeypatch.setattr(decoders.cv2, "imdecode", broken)
    with pytest.raises(ImageError, match=r"x.jpg: cannot decode JPEG data \(.*pixels <= MAX\)"):
        io.load(cv2.imencode(".jpg", page())[1].tobytes(), name="x.jpg")


def transparent(dtype=np.uint8) -> tuple[np.ndarray, np.ndarray]:
    """A BGRA page (opaque left third, half-transparent middle, transparent right) and what it looks
    like on white paper."""
    bgr = np.zeros((30, 60, 3), np.uint8)
    bgr[:] = (10, 60, 200)
    alpha = np.zeros((30, 60), np.uint8)
    alpha[:, :20], alpha[:, 20:40] = 255, 100
    expected = np.floor(bgr * (alpha[..., None] / 255) + 255 * (1 - alpha[..., None] / 255))
    image = np.dstack([bgr, alpha])
    return (image if dtype == np.uint8 else image.astype(np.uint16) * 257), expected


@pytest.mark.parametrize("kind", ["png8", "png16", "tiff8", "tiff16", "webp", "png-grey-alpha", "png-palette",
                                  "png-rgb-trns"])
def test_transparent_pages_go_on_white_paper(kind):
    image, expected = transparent(np.uint16 if kind.endswith("16") else np.uint8)
    if kind == "png-grey-alpha":
        grey = image[..., 1]
        buf = pyio.BytesIO()
        PIL.fromarray(np.dstack([grey, image[..., 3]]), "LA").save(buf, "PNG")
        data = buf.getvalue()
        expected = np.repeat(expected[..., 1:2], 3, axis=2)
    elif kind == "png-palette":  # index 1 opaque, index 2 transparent (a tRNS chunk)
        index = np.where(np.arange(60) < 20, 1, 2).astype(np.uint8)[None].repeat(30, axis=0)
        pal = PIL.fromarray(index, "P")
        pal.putpalette([0, 0, 0, 200, 60, 10, 9, 9, 9])
        buf = pyio.BytesIO()
        pal.save(buf, "PNG", transparency=bytes([255, 255, 0]))
        data = buf.getvalue()
        expected = np.where((index == 1)[..., None], [10, 60, 200], 255).astype(float)
    elif kind == "png-rgb-trns":  # 8-bit RGB whose colour (9, 9, 9) is transparent (a tRNS chunk)
        rgb = np.where((np.arange(60) < 20)[None, :, None], [200, 60, 10], 9).astype(np.uint8).repeat(30, axis=0)
        buf = pyio.BytesIO()
        PIL.fromarray(rgb, "RGB").save(buf, "PNG", transparency=(9, 9, 9))
        data = buf.getvalue()
        expected = np.where((np.arange(60) < 20)[None, :, None], [10, 60, 200], 255).astype(float).repeat(30, axis=0)
    else:
        ext = {"png": ".png", "tif": ".tiff", "web": ".webp"}[kind[:3]]
        params = [cv2.IMWRITE_WEBP_QUALITY, 101] if ext == ".webp" else []
        data = cv2.imencode(ext, image, params)[1].tobytes()
    header = read_header(data)
    assert header.alpha
    got = io.load(data, name=kind)[0].image
    assert got.shape == (30, 60, 3) and got.dtype == np.uint8
    assert np.abs(got.astype(int) - expected).max() <= 1


def test_on_white_in_the_decoders_buffer_matches_a_copy():
    image, expected = transparent(np.uint16)
    copy = decoders.on_white(image.copy())
    owned = image.copy()  # owns its buffer, as a decoder's output does: converted in place, then shrunk
    assert owned.flags.owndata
    in_place = decoders.on_white(owned, reuse=True)
    assert np.array_equal(copy, in_place) and np.abs(in_place - expected).max() <= 1
    assert in_place.flags.c_contiguous and in_place.shape == (30, 60, 3)


@pytest.fixture
def renders(monkeypatch) -> list[int]:
    """The PDF pages rendered during a test, in order."""
    seen: list[int] = []
    real = pdf.render_page

    def counting(doc, i, *args):
        seen.append(i)
        return real(doc, i, *args)
    monkeypatch.setattr(pdf, "render_page", counting)
    return seen


def test_a_long_pdf_renders_only_the_page_asked_for(renders, tmp_path):
    path = tmp_path / "long.pdf"
    path.write_bytes(make_pdf([b""] * 40))
    first = handnum.read(path)
    assert renders == [0] and first.page == 0
    assert handnum.read(path, page=37).page == 37 and renders == [0, 37]
    with pytest.raises(IndexError, match="page 40 out of range: .* has 40 page"):
        handnum.read(path, page=40)
    pages = handnum.iter_pages(path)
    assert next(pages).page == 0 and renders == [0, 37, 0]  # read as they are rendered, one by one
    pages.close()
    with pytest.raises(ImageError, match="PDF has 40 pages \\(limit 10, see --max-pages\\)"):
        handnum.read(path, max_pages=10)
    assert renders == [0, 37, 0]


def test_pdf_pages_keep_their_colours():
    red = make_pdf([b"1 0 0 rg 0 0 100 100 re f"])
    image = io.load(red, name="red.pdf")[0].image
    assert tuple(int(v) for v in image[50, 50]) == (0, 0, 255)  # BGR


def test_decoders_say_nothing_on_stderr(capfd):
    grey16 = np.random.default_rng(0).integers(0, 65535, (40, 60), dtype=np.uint16)  # 16-bit: libpng decodes it
    good = cv2.imencode(".png", grey16)[1].tobytes()
    at = good.index(b"IDAT") + 20
    bad_crc = good[:at] + bytes([good[at] ^ 0xFF]) + good[at + 1:]  # libpng: "IDAT: CRC error"
    with pytest.raises(ImageError):
        io.load(bad_crc, name="crc.png")
    jpg = cv2.imencode(".jpg", page())[1].tobytes()
    eoi = jpg.rindex(b"\xff\xd9")
    noisy = jpg[:eoi] + b"\x00" * 50 + jpg[eoi:]  # libjpeg: "Corrupt JPEG data: 50 extraneous bytes"
    assert io.load(noisy, name="noisy.jpg")[0].image.shape == (40, 60, 3)
    with pytest.raises(ImageError):
        io.load(tiff_claiming(100, 100)[:200], name="cut.tif")
    assert capfd.readouterr().err == ""


def test_gif_is_read():
    buf = pyio.BytesIO()
    PIL.fromarray(page()[:, :, ::-1]).save(buf, "GIF")
    assert io.load(buf.getvalue(), name="x.gif")[0].image.shape == (40, 60, 3)
