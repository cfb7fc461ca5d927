"""Every malformed request to every endpoint: a 4xx with a one-line JSON error, and a status the
OpenAPI spec lists for that endpoint. Also: the spec's label pattern is the server's, /docs is
served from this server, CORS only when asked for."""
from __future__ import annotations

import re
import struct
import zlib

import numpy as np
import pytest

from .test_web import TestClient, create_app, png, sheet

ENDPOINTS = ("/api/v1/read", "/api/v1/digit", "/api/v1/corrections")


def _png_header(width: int, height: int) -> bytes:
    """A PNG signature and IHDR chunk claiming `width` x `height`, with no image data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr
            + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)))


def bad_files() -> dict[str, bytes]:
    """Uploads that are not readable images, each named for what is wrong with it."""
    good_png = png(sheet("3"))
    import cv2

    good_jpeg = cv2.imencode(".jpg", sheet("3"))[1].tobytes()
    bmp = b"BM" + b"\0" * 16 + struct.pack("<ii", 100_000, 100_000) + b"\0" * 30
    return {
        "empty": b"",
        "text": b"hello, not an image",
        "gif": b"GIF89a" + b"\0" * 40,
        "truncated jpeg": good_jpeg[: len(good_jpeg) // 2],
        "jpeg magic only": good_jpeg[:3],
        "jpeg header then junk": good_jpeg[:200] + b"\x13" * 300,
        "truncated png": good_png[: len(good_png) // 2],
        "png signature and zeros": b"\x89PNG\r\n\x1a\n" + b"\0" * 40,
        "png of zero width": _png_header(0, 10) + b"\0" * 20,
        "png of a million by a million": _png_header(1_000_000, 1_000_000),
        "tiff junk": b"II*\x00" + b"\x01" * 60,
        "bmp of 100000 x 100000": bmp,
        "webp junk": b"RIFF\x10\0\0\0WEBPVP8X" + b"\0" * 30,
        "pdf junk": b"%PDF-1.4 garbage",
        "pdf cut short": b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
    }


def bad_requests(path: str) -> dict[str, dict]:
    """httpx request arguments for `path` that are malformed as requests (whatever the file)."""
    form = {"label": "3"} if path.endswith("corrections") else {}
    good = png(sheet("3"))
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
            b"Content-Type: image/png\r\n\r\n" + good + b"\r\n--XyZ--\r\n")
    return {
        "unknown query option": {"url": path + "?foo=1", "files": {"file": ("a.png", good, "image/png")}, "data": form},
        "multipart without a boundary": {"content": body, "headers": {"content-type": "multipart/form-data"}},
        "multipart cut short": {"content": body[: len(body) // 2],
                                "headers": {"content-type": "multipart/form-data; boundary=XyZ"}},
        "multipart of junk": {"content": b"\x00\xff" * 100, "headers": {"content-type": "multipart/form-data; boundary=XyZ"}},
        "multipart without the file": {"files": {"image": ("a.png", good, "image/png")}, "data": form},
        "file sent as text": {"data": {"file": "not a file", **form}},
        "url-encoded form": {"content": b"file=abc&label=3",
                             "headers": {"content-type": "application/x-www-form-urlencoded"}},
        "plain text body": {"content": b"hello", "headers": {"content-type": "text/plain"}},
    }


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with TestClient(create_app(corrections=tmp_path_factory.mktemp("corrections"), workers=1)) as c:
        yield c


def _send(client, path: str, name: str, data: bytes, raw: bool):
    if path.endswith("corrections"):
        return client.post(path, files={"file": ("crop.png", data, "image/png")}, data={"label": "3"})
    if raw:
        return client.post(path, content=data, headers={"content-type": "image/png"})
    return client.post(path, files={"file": (name, data, "application/octet-stream")})


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_malformed_upload_is_a_documented_4xx(client, path):
    documented = {int(s) for s in client.get("/openapi.json").json()["paths"][path]["post"]["responses"]}
    seen = {}
    for name, data in bad_files().items():
        for raw in (False, True):
            seen[f"{name} ({'raw' if raw else 'multipart'})"] = _send(client, path, name, data, raw)
    for name, kwargs in bad_requests(path).items():
        seen[name] = client.post(kwargs.pop("url", path), **kwargs)
    wrong = {name: (r.status_code, r.text[:120]) for name, r in seen.items()
             if not 400 <= r.status_code < 500 or r.status_code not in documented
             or set(r.json()) != {"error"} or "\n" in r.json()["error"] or not r.json()["error"]}
    assert not wrong, f"{path}: not a documented 4xx with a one-line error: {wrong}"


def test_the_spec_lists_every_status(client):
    paths = client.get("/openapi.json").json()["paths"]
    codes = {p: {int(s) for s in paths[p]["post"]["responses"]} for p in ENDPOINTS}
    assert codes["/api/v1/read"] == codes["/api/v1/digit"] == {200, 400, 413, 415, 422, 500, 503}
    assert codes["/api/v1/corrections"] == {201, 400, 413, 415, 422, 500}
    error = paths["/api/v1/read"]["post"]["responses"]["413"]["content"]["application/json"]["schema"]
    assert error["$ref"].endswith("/ErrorBody")


def test_the_label_pattern_is_the_servers(client):
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/api/v1/corrections"]["post"]["requestBody"]["content"]["multipart/form-data"]
    pattern = body["schema"]["properties"]["label"]["pattern"]
    crop = png(sheet("4")[20:150, 10:120])
    for label in ["0", "7", "9", "x", "X", "y", "", " 4", "4 ", "12", "-1", "١"]:
        r = client.post("/api/v1/corrections", files={"file": ("c.png", crop, "image/png")}, data={"label": label})
        assert (r.status_code == 201) == bool(re.fullmatch(pattern, label)), (label, r.status_code)


def test_digit_refuses_unknown_options_like_read(client):
    img = png(sheet("7"))
    for path in ("/api/v1/read", "/api/v1/digit"):
        r = client.post(path + "?min_confidnce=0.2", content=img, headers={"content-type": "image/png"})
        assert r.status_code == 422 and "min_confidnce" in r.json()["error"]


def test_docs_are_served_from_this_server(client):
    html = client.get("/docs").text
    assert "swagger-ui" in html and "cdn." not in html and "https://" not in html
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", html)
    assert urls and all(u.startswith("/") for u in urls)
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get("/openapi.json").json()["openapi"].startswith("3.")


def test_cors_only_for_the_origins_given(client, tmp_path):
    ask = {"Origin": "https://example.org", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.options("/api/v1/read", headers=ask).headers
    with TestClient(create_app(corrections=tmp_path, workers=1, cors=["https://example.org"])) as c:
        r = c.options("/api/v1/read", headers=ask)
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://example.org"
        r = c.post("/api/v1/read", content=png(sheet("1")), headers={"content-type": "image/png",
                                                                     "Origin": "https://example.org"})
        assert r.headers["access-control-allow-origin"] == "https://example.org"
        assert "x-page-count" in r.headers["access-control-expose-headers"].lower()
        other = c.options("/api/v1/read", headers={**ask, "Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers


def test_big_noise_is_not_an_error_of_the_upload(client):
    """Noise that reads in time is a 200 with its findings: not every odd upload is an error."""
    r = client.post("/api/v1/digit", content=png(np.random.default_rng(3).integers(0, 256, (64, 64), np.uint8)),
                    headers={"content-type": "image/png"})
    assert r.status_code == 200 and 0 <= r.json()["digit"] <= 9
