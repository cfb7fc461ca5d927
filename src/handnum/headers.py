"""What an image file says about itself before any pixel is decoded: format, size, depth, alpha.

`read_header(data)` parses the few bytes each format keeps its size in (PNG IHDR, JPEG SOF, the
first TIFF directory, WebP's VP8/VP8L/VP8X chunk, the BMP info header, the GIF screen and first
frame) so a file is refused for its claimed size, and for the memory its decoder would take,
before the decoder allocates anything: a 100-byte file may claim 65000×65000 pixels.
`data` is bytes or an mmap of the file (anything with slicing and `find`).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

SUPPORTED = "PNG, JPEG, TIFF, BMP, WebP, GIF or PDF"


@dataclass(frozen=True)
class Header:
    """What a decoder will produce: `width`×`height` pixels of `channels` samples of `sample_bytes`
    each when decoded unchanged; `alpha`: it may be transparent (decoded unchanged, then put on
    white paper), else it is decoded straight to 8-bit BGR; `work_bytes`: what the decoder holds
    besides its output (a TIFF strip or tile, a progressive JPEG's coefficients, a GIF canvas)."""

    kind: str
    width: int
    height: int
    channels: int = 3
    sample_bytes: int = 1
    alpha: bool = False
    work_bytes: int = 0

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def out_bytes(self) -> int:
        """The decoder's output: unchanged with alpha, else 8-bit BGR."""
        return self.pixels * (self.channels * self.sample_bytes if self.alpha else 3)


def sniff(data) -> str:
    """The format of encoded bytes from their magic number ('png', 'jpeg', ..., or '')."""
    head = bytes(data[:12])
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:2] == b"BM":
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:5] == b"%PDF-":
        return "pdf"
    return ""


def read_header(data, kind: str | None = None) -> Header | None:
    """The header of an image in `data` (format sniffed unless given), or None where it cannot be
    parsed (truncated or corrupt: the decoder would fail too)."""
    kind = kind or sniff(data)
    parse = _PARSERS.get(kind)
    if parse is None:
        return None
    try:
        return parse(data)
    except (struct.error, IndexError, ValueError, ZeroDivisionError):
        return None


def _png(data) -> Header | None:
    if bytes(data[12:16]) != b"IHDR" or not _png_chunks_fit(data):
        return None
    w, h, depth, color = struct.unpack(">IIBB", data[16:26])
    channels = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}.get(color)
    if channels is None or depth not in (1, 2, 4, 8, 16):
        return None
    trns = color not in (4, 6) and _png_has_trns(data)
    # an alpha channel is decoded to 8-bit RGBA by libspng (it narrows 16-bit rows as it goes); a tRNS
    # chunk by OpenCV, unchanged: 16-bit stays 16-bit until it is put on white paper
    return Header("png", w, h, 4 if trns or color in (4, 6) else channels,
                  2 if trns and depth == 16 else 1, trns or color in (4, 6))


def _png_chunks_fit(data) -> bool:
    """Every chunk up to IEND fits in the file. OpenCV reads chunks itself (for APNG) and allocates
    what a chunk's length says: a 1 KB file whose PLTE claims 4 GB took 9 s and 4 GB to refuse."""
    i, n = 8, len(data)
    while i + 8 <= n:
        length, kind = struct.unpack(">I4s", data[i:i + 8])
        if length > n - i - 12:
            return False
        if kind == b"IEND":
            break
        i += 12 + length
    return True


def _png_has_trns(data, limit: int = 1 << 16) -> bool:
    """A tRNS chunk (transparency of a palette or grey image) before the first IDAT."""
    i = 8
    while i + 8 <= min(len(data), limit):
        length, kind = struct.unpack(">I4s", data[i:i + 8])
        if kind in (b"IDAT", b"IEND"):
            return False
        if kind == b"tRNS":
            return True
        i += 12 + length
    return False


def _jpeg(data) -> Header | None:
    """Walk the markers to the first SOF, resynchronising on stray bytes as libjpeg does."""
    i, n = 2, len(data)
    exif = False
    while i + 4 <= n:
        if data[i] != 0xFF:  # libjpeg skips garbage before a marker ("extraneous bytes")
            i = data.find(b"\xff", i)
            if i < 0:
                return None
            continue
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x00, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            return None
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if marker == 0xE1 and bytes(data[i + 4:i + 8]) == b"Exif":
            exif = True
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w, ncomp = struct.unpack(">HHB", data[i + 5:i + 10])
            comps = [struct.unpack(">BB", data[i + 10 + 3 * k:i + 12 + 3 * k]) for k in range(ncomp)]
            hmax = max(c[1] >> 4 for c in comps) or 1
            vmax = max(c[1] & 15 for c in comps) or 1
            work = 0
            if marker in (0xC2, 0xC6, 0xCA, 0xCE):  # progressive: every coefficient is kept, 2 bytes each
                work = sum(int(w * (c[1] >> 4) / hmax + 8) * int(h * (c[1] & 15) / vmax + 8) * 2 for c in comps)
            if exif:  # turning the page upright by its EXIF orientation makes a copy
                work += w * h * 3
            return Header("jpeg", w, h, 3, 1, False, work)
        i += 2 + length
    return None


def _tiff(data) -> Header | None:
    """The first image directory (the page OpenCV decodes)."""
    order = "<" if bytes(data[:2]) == b"II" else ">"
    offset = struct.unpack(order + "I", data[4:8])[0]
    count = struct.unpack(order + "H", data[offset:offset + 2])[0]
    tags: dict[int, int] = {}
    for k in range(count):
        e = offset + 2 + 12 * k
        tag, typ, n = struct.unpack(order + "HHI", data[e:e + 8])
        if typ == 3:  # SHORT: the first value, inline when it fits
            at = e + 8 if n <= 2 else struct.unpack(order + "I", data[e + 8:e + 12])[0]
            tags[tag] = struct.unpack(order + "H", data[at:at + 2])[0]
        elif typ == 4:  # LONG
            at = e + 8 if n <= 1 else struct.unpack(order + "I", data[e + 8:e + 12])[0]
            tags[tag] = struct.unpack(order + "I", data[at:at + 4])[0]
        elif typ == 1:  # BYTE
            tags[tag] = data[e + 8]
        if tag == 338:  # ExtraSamples: its presence is what matters
            tags[tag] = n
    if 256 not in tags or 257 not in tags:
        return None
    w, h = tags[256], tags[257]
    spp, bits, photometric = tags.get(277, 1), tags.get(258, 1), tags.get(262, 1)
    alpha = bool(tags.get(338)) or spp == 2 or (spp == 4 and photometric == 2)
    sample_bytes = max(1, (bits + 7) // 8)
    if 322 in tags and 323 in tags:  # tiled
        tile_w, tile_h = tags[322], tags[323]
    else:  # stripped: a strip is a tile the image's width wide
        tile_w, tile_h = w, min(h, tags.get(278, h) or h)
    # OpenCV decodes a tile at a time into a buffer of the file's depth (4 bytes a pixel for the
    # formats it reads through libtiff's RGBA interface: bilevel, YCbCr, palette...)
    work = tile_w * tile_h * max(spp * sample_bytes, 4)
    return Header("tiff", w, h, 4 if alpha else 3, sample_bytes, alpha, work)


def _webp(data) -> Header | None:
    chunk = bytes(data[12:16])
    if chunk == b"VP8 ":  # lossy, no alpha: the frame header after the 3-byte tag and start code
        if bytes(data[23:26]) != b"\x9d\x01\x2a":
            return None
        w, h = struct.unpack("<HH", data[26:30])
        return Header("webp", w & 0x3FFF, h & 0x3FFF, 3, 1, False)
    if chunk == b"VP8L":  # lossless: 14 bits width-1, 14 bits height-1, 1 bit alpha; decoded via ARGB
        if data[20] != 0x2F:
            return None
        bits = int.from_bytes(data[21:25], "little")
        w, h, alpha = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool(bits >> 28 & 1)
        return Header("webp", w, h, 4 if alpha else 3, 1, alpha, w * h * 4)
    if chunk == b"VP8X":  # extended: flags, then 24 bits width-1, 24 bits height-1
        alpha = bool(data[20] & 0x10)
        w = 1 + int.from_bytes(data[24:27], "little")
        h = 1 + int.from_bytes(data[27:30], "little")
        return Header("webp", w, h, 4 if alpha else 3, 1, alpha, w * h * 4)
    return None


def _bmp(data) -> Header | None:
    size = struct.unpack("<I", data[14:18])[0]
    if size == 12:  # OS/2 BITMAPCOREHEADER: 16-bit sizes
        w, h = struct.unpack("<HH", data[18:22])
    elif size >= 40:
        w, h = struct.unpack("<ii", data[18:26])
    else:
        return None
    return Header("bmp", abs(w), abs(h), 3, 1, False)


def _gif(data) -> Header | None:
    """The logical screen, and the first frame (it may claim more than the screen)."""
    sw, sh, packed = struct.unpack("<HHB", data[6:11])
    i = 13 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
    alpha = False
    while i < len(data):
        block = data[i]
        if block == 0x21:  # extension: label, then sub-blocks up to a zero length
            if data[i + 1] == 0xF9 and data[i + 2] >= 4:  # graphic control: transparency flag
                alpha = alpha or bool(data[i + 3] & 1)
            i += 2
            while data[i]:
                i += 1 + data[i]
            i += 1
        elif block == 0x2C:  # image descriptor
            x, y, fw, fh = struct.unpack("<HHHH", data[i + 1:i + 9])
            w, h = max(sw, x + fw), max(sh, y + fh)
            return Header("gif", w, h, 4, 1, alpha, w * h * 4 + fw * fh)
        else:
            return None
    return None


_PARSERS = {"png": _png, "jpeg": _jpeg, "tiff": _tiff, "webp": _webp, "bmp": _bmp, "gif": _gif}
