"""The REST API (handnum.web.app) through FastAPI's TestClient: readings, limits, errors, corrections."""
from __future__ import annotations

import argparse
import os
import re
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from .conftest import SHEETS, need

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("multipart", reason="the web extra (python-multipart) is not installed")
with warnings.catch_warnings():   # starlette ≥ 1.x prefers httpx2 and warns about httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from handnum.web.app import create_app  # noqa: E402

SEED_LINES = ["0 1 2 3 4 5 6 7 8 9", "0 1 3 7 4 8 6 9 5 2"]


def png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


def sheet(text: str = "12 345", h: int = 160) -> np.ndarray:
    """A small synthetic page with handwriting-like digits (Hershey script font)."""
    img = np.full((h, 60 + 70 * len(text), 3), 240, np.uint8)
    cv2.putText(img, text, (30, h - 45), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 3, (30, 30, 30), 6, cv2.LINE_AA)
    return img


def pdf(jpeg: bytes, w: int, h: int, pages: int) -> bytes:
    """A minimal PDF showing the same JPEG on every page (page size: the image at 200 dpi)."""
    pw, ph = w * 72 / 200, h * 72 / 200
    content = f"q {pw:.2f} 0 0 {ph:.2f} 0 0 cm /Im0 Do Q".encode()
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
            f"<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceRGB /BitsPerComponent 8 "
            f"/Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n".encode() + jpeg + b"\nendstream",
            f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream"]
    objs += [f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw:.2f} {ph:.2f}] /Contents 4 0 R "
             f"/Resources << /XObject << /Im0 3 0 R >> >> >>".encode() for _ in range(pages)]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@pytest.fixture(scope="module")
def corrections(tmp_path_factory):
    return tmp_path_factory.mktemp("corrections")


@pytest.fixture(scope="module")
def client(corrections):
    with TestClient(create_app(corrections=corrections)) as c:
        yield c


def post_image(client, data: bytes, query: str = "", ctype: str = "image/png"):
    return client.post("/api/v1/read" + query, content=data, headers={"content-type": ctype})


def without_timing(page: dict) -> dict:
    return {k: v for k, v in page.items() if k != "elapsed_ms"}


def test_health(client):
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok" and re.fullmatch(r"[0-9a-f]{64}", body["model"]["sha256"])
    assert body["model"]["path"].endswith(".onnx") and body["limits"]["max_upload"] == 20_000_000


def test_page_and_docs_are_served(client):
    r = client.get("/")
    assert r.status_code == 200 and "handnum" in r.text and "default-src 'self'" in r.headers["content-security-policy"]
    assert client.get("/static/app.js").status_code == 200
    assert "/api/v1/read" in client.get("/openapi.json").json()["paths"]


def test_seed_photo_reads_its_20_digits(client):
    data = need(SHEETS / "seed_test_2.png").read_bytes()
    r = client.post("/api/v1/read", files={"file": ("seed_test_2.png", data, "image/png")})
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["schema"] == "handnum/1" and (page["width"], page["height"]) == (3844, 1012)
    assert sum(len(n["digits"]) for ln in page["lines"] for n in ln["numbers"]) == 20
    assert [ln["text"] for ln in page["lines"]] == SEED_LINES
    assert page["source"] == "seed_test_2.png" and r.headers["x-page-count"] == "1"
    raw = post_image(client, data).json()   # the raw body gives the same reading
    assert [ln["text"] for ln in raw["lines"]] == SEED_LINES


def test_options_change_the_reading(client):
    data = png(sheet())
    loose = post_image(client, data, "?min_confidence=0").json()
    strict = post_image(client, data, "?min_confidence=1").json()
    digits = [d for ln in strict["lines"] for n in ln["numbers"] for d in n["digits"]]
    assert all(d["confidence"] >= 1 for d in digits)  # only certain digits pass
    assert len(strict["rejected"]) + len(digits) >= len(loose["rejected"]) + sum(
        len(n["digits"]) for ln in loose["lines"] for n in ln["numbers"])
    assert post_image(client, data, "?min_confidence=0&number_gap=0.35&max_side=1000").status_code == 200


def test_pdf_pages(client):
    jpeg = cv2.imencode(".jpg", sheet("7 1"))[1].tobytes()
    doc = pdf(jpeg, 270, 160, pages=2)
    one = post_image(client, doc, "?page=1", "application/pdf")
    assert one.status_code == 200, one.text
    assert one.json()["page"] == 1 and one.headers["x-page-count"] == "2"
    both = post_image(client, doc, "?all_pages=true&image=true", "application/pdf").json()
    assert both["page_count"] == 2 and [p["page"] for p in both["pages"]] == [0, 1]
    assert both["pages"][0]["image"].startswith("data:image/jpeg;base64,")
    assert post_image(client, doc, "?page=2", "application/pdf").status_code == 422


def test_a_long_pdf_upload_renders_only_the_page_asked_for(client, monkeypatch):
    from handnum import pdf as pdf_module
    from handnum import pipeline
    from handnum.model import load_model
    from handnum.web.tasks import read_upload

    doc = pdf(cv2.imencode(".jpg", sheet("7 1"))[1].tobytes(), 270, 160, pages=30)
    r = post_image(client, doc, "?page=17", "application/pdf")  # read in a worker process
    assert r.status_code == 200 and r.json()["page"] == 17 and r.headers["x-page-count"] == "30"
    seen = []  # what the workers run, run here: only page 17 is rendered
    real = pdf_module.render_page
    monkeypatch.setattr(pdf_module, "render_page", lambda doc, i, *a: seen.append(i) or real(doc, i, *a))
    out, count = read_upload(load_model(), doc, "doc.pdf", pipeline.Options(), 17, False)
    assert count == 30 and out[0]["page"] == 17 and seen == [17]


@pytest.mark.parametrize("data, ctype, status", [
    (b"", "image/png", 422),                                   # empty body
    (b"hello, not an image", "image/png", 415),                # not an image
    (b"hello", "text/plain", 415),                             # wrong content type
    (b"%PDF-1.4 garbage", "application/pdf", 422),             # a broken PDF
])
def test_bad_uploads(client, data, ctype, status):
    r = post_image(client, data, ctype=ctype)
    assert r.status_code == status and r.json()["error"]


def test_truncated_png_is_422(client):
    data = png(sheet())
    r = post_image(client, data[: len(data) // 2])
    assert r.status_code == 422 and "truncated" in r.json()["error"]


def test_multipart_without_file_is_422(client):
    r = client.post("/api/v1/read", files={"image": ("a.png", png(sheet("1")), "image/png")})
    assert r.status_code == 422 and "'file'" in r.json()["error"]
    r = client.post("/api/v1/read", data={"file": "x"})   # a form, but not multipart
    assert r.status_code == 415


@pytest.mark.parametrize("query", ["?foo=1", "?min_confidence=2", "?min_confidence=abc", "?page=-1",
                                   "?page=1", "?max_side=5"])
def test_bad_options_are_422(client, query):
    r = post_image(client, png(sheet("1")), query)
    assert r.status_code == 422 and "\n" not in r.json()["error"]


def test_unknown_path_is_json_404(client):
    assert client.get("/api/v1/nothing").json() == {"error": "Not Found"}


def test_upload_size_and_pixel_limits(corrections):
    big = png(np.random.default_rng(0).integers(0, 255, (60, 60, 3), np.uint8))   # > 5000 bytes
    wide = png(np.full((10, 20_000, 3), 255, np.uint8))                             # 200 000 px, few bytes
    with TestClient(create_app(corrections=corrections, max_upload=5000, max_pixels=100_000, workers=1)) as small:
        assert post_image(small, big).status_code == 413                            # by Content-Length
        chunks = (big[i:i + 1000] for i in range(0, len(big), 1000))               # streamed, no length
        r = small.post("/api/v1/read", content=chunks, headers={"content-type": "image/png"})
        assert r.status_code == 413 and "too large" in r.json()["error"]
        r = small.post("/api/v1/read", files={"file": ("big.png", big, "image/png")})
        assert r.status_code == 413
        r = post_image(small, wide)
        assert r.status_code == 413 and "20000x10" in r.json()["error"]


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_cpu_s(pids: list[int]) -> float:
    """CPU seconds of this process (the server runs in it) and of `pids` and any child of this process."""
    me = os.getpid()
    children = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(int(p.name)) == me]
    return sum(_cpu_s(pid) for pid in {me, *pids, *children})


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to watch the CPU")
def test_read_past_the_timeout_is_503_and_stops(corrections):
    """A page of noise (seconds of work) with a 0.5 s timeout: 503, its worker killed, the CPU idle soon after."""
    noise = png(np.random.default_rng(7).integers(0, 256, (3000, 3000), np.uint8))   # ~9 MB, reads for seconds
    with TestClient(create_app(corrections=corrections, timeout_s=0.5, workers=1)) as c:
        pool = c.app.state.pool
        [reader] = pool.pids()
        assert post_image(c, png(sheet("1"))).status_code == 200        # the worker reads within the limit
        r = post_image(c, noise)
        answered = time.monotonic()
        assert r.status_code == 503 and "longer than 0.5 s" in r.json()["error"] and r.headers["retry-after"]
        assert not Path(f"/proc/{reader}").exists()                      # killed (and reaped) at the 503
        idle_after = None
        while idle_after is None and time.monotonic() - answered < 10:
            before = _server_cpu_s([reader])
            time.sleep(1.0)
            if _server_cpu_s([reader]) - before < 0.15:                  # under 15 % of a core for a second
                idle_after = time.monotonic() - answered
        assert idle_after is not None and idle_after < 6, "the server kept working after the 503"
        r = post_image(c, png(sheet("1")))                               # a fresh worker took its place
        assert r.status_code == 200 and pool.pids() != [reader]


def test_a_worker_that_dies_is_replaced(corrections):
    """Killed while idle: the next read waits for its successor. Killed while reading: a one-line 500, then a successor."""
    import signal
    import threading

    noise = png(np.random.default_rng(8).integers(0, 256, (3000, 3000), np.uint8))
    with TestClient(create_app(corrections=corrections, workers=1)) as c:
        pool = c.app.state.pool
        [first] = pool.pids()
        os.kill(first, signal.SIGKILL)
        assert post_image(c, png(sheet("1"))).status_code == 200
        [second] = pool.pids()
        assert second != first
        threading.Timer(0.5, os.kill, (second, signal.SIGKILL)).start()
        r = post_image(c, noise)
        assert r.status_code == 500 and "worker process ended while reading" in r.json()["error"]
        assert post_image(c, png(sheet("1"))).status_code == 200 and pool.pids() not in ([first], [second])


def test_concurrent_requests_give_the_sequential_answers(client):
    images = [png(sheet(t)) for t in ("12 345", "907", "6 8", "4 20")] * 2
    sequential = [without_timing(post_image(client, d).json()) for d in images]
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda d: post_image(client, d), images))
    assert all(r.status_code == 200 for r in responses)
    assert [without_timing(r.json()) for r in responses] == sequential


def test_digit_endpoint(client):
    img = np.full((200, 200, 3), 255, np.uint8)
    cv2.polylines(img, [np.array([[50, 40], [150, 40], [90, 170]])], False, (0, 0, 0), 12, cv2.LINE_AA)
    body = client.post("/api/v1/digit", files={"file": ("seven.png", png(img), "image/png")}).json()
    assert body["digit"] == 7 and len(body["top3"]) == 3


def test_correction_is_saved_with_its_label(client, corrections):
    crop = png(sheet("4")[20:150, 10:120])
    r = client.post("/api/v1/corrections", files={"file": ("crop.png", crop, "image/png")}, data={"label": "4"})
    assert r.status_code == 201, r.text
    name = r.json()["saved"]
    assert re.fullmatch(r"corr_\d{8}T\d{6}_[0-9a-f]{6}_4\.png", name)
    saved = cv2.imread(str(corrections / name))
    assert saved is not None and saved.shape == (130, 110, 3)
    assert not list(corrections.glob(".*"))   # no temporary file left behind
    r = client.post("/api/v1/corrections", files={"file": ("c.png", crop, "image/png")}, data={"label": "x"})
    assert r.status_code == 201 and r.json()["saved"].endswith("_x.png")   # "not a digit"


@pytest.mark.parametrize("label, data, status", [
    ("y", None, 422), ("12", None, 422), ("", None, 422),
    ("3", b"not an image", 415), ("3", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, 422),
    ("3", b"%PDF-1.4", 415),
])
def test_bad_corrections(client, label, data, status):
    data = png(sheet("3")) if data is None else data
    r = client.post("/api/v1/corrections", files={"file": ("crop.png", data, "image/png")}, data={"label": label})
    assert r.status_code == status and r.json()["error"]


def test_correction_too_large_is_413(client):
    big = png(np.random.default_rng(1).integers(0, 255, (1000, 1000, 3), np.uint8))   # ~3 MB
    r = client.post("/api/v1/corrections", files={"file": ("crop.png", big, "image/png")}, data={"label": "1"})
    assert r.status_code == 413


def test_serve_command_errors_are_one_line(capsys, tmp_path):
    from handnum.web.cli import add_parser, bind

    parser = argparse.ArgumentParser(prog="handnum")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve", "--model", str(tmp_path / "missing.onnx")])
    assert (args.host, args.port) == ("127.0.0.1", 8000)
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("handnum: error: model file not found") and err.count("\n") == 1
    busy = bind("127.0.0.1", 0)
    try:
        args = parser.parse_args(["serve", "--port", str(busy.getsockname()[1])])
        assert args.func(args) == 1
        assert "cannot listen on 127.0.0.1" in capsys.readouterr().err
    finally:
        busy.close()



def test_the_judge_is_a_query_option(client):
    """The learned judge is on by default and ?judge=false turns it off: the answers are the library's
    with and without it; a value that is not a bool is a 422."""
    from handnum.pipeline import Options, read_image

    image = sheet("12 345")
    page = png(image)
    for query, judge in (("?judge=false", False), ("", True), ("?judge=true", True)):
        answer = post_image(client, page, query)
        assert answer.status_code == 200
        expected = read_image(cv2.imdecode(np.frombuffer(page, np.uint8), cv2.IMREAD_COLOR), options=Options(judge=judge))
        assert [line["text"] for line in answer.json()["lines"]] == [line.text for line in expected.lines]
    bad = post_image(client, page, "?judge=maybe")
    assert bad.status_code == 422 and "judge" in bad.text
