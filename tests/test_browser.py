"""The page in a real browser (Playwright driving Debian's /usr/bin/chromium, headless, loopback only),
as a desktop (1280x800) and as a phone (390x844, touch): the keyboard, reading, correcting, copying,
downloading, zooming, the API docs offline, progress and errors, the drawing pad; no console errors.

Skipped with a reason where the playwright package or /usr/bin/chromium is missing
(pip install playwright; apt-get install chromium; `playwright install` is not needed).
"""
from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import cv2
import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

from handnum.web.app import STATIC, create_app  # noqa: E402
from handnum.web.cli import BackgroundServer  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEVICES = {"desktop": {"viewport": {"width": 1280, "height": 800}},
           "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
                     "device_scale_factor": 2}}
SAMPLE = STATIC / "sample.jpg"
expect = sync_api.expect


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("corrections")
    with BackgroundServer(create_app(corrections=folder)) as s:
        s.corrections = folder
        yield s


@pytest.fixture(scope="module")
def api_lines(server) -> list[str]:
    """The sample's lines as the API reads them (the page must show and copy the same)."""
    request = urllib.request.Request(server.url + "api/v1/read?min_confidence=0.5", data=SAMPLE.read_bytes(),
                                     headers={"Content-Type": "image/jpeg"})
    with urllib.request.urlopen(request, timeout=60) as r:
        lines = [ln["text"] for ln in json.load(r)["lines"]]
    assert len(lines) >= 3
    return lines


@pytest.fixture(scope="module")
def browser(server):
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module", params=list(DEVICES))
def ui(request, browser, server):
    """A page on `server` as a desktop or a phone; `ui.problems` collects console errors."""
    context = browser.new_context(**DEVICES[request.param], accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url.rstrip("/"))
    page = context.new_page()
    page.set_default_timeout(30_000)   # the page runs under its own CSP: no eval, so no wait_for_function
    page.device, page.problems = request.param, []
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.goto(server.url)
    yield page
    context.close()


def focused(page) -> dict:
    return page.evaluate("(() => { const e = document.activeElement; return {id: e.id, cls: e.getAttribute('class'),"
                         " label: e.getAttribute('aria-label'), key: e.dataset ? e.dataset.key : null}; })()")


def tab_to(page, want, most: int = 40) -> dict:
    """Press Tab until the focused element passes `want(info)`; its info."""
    for _ in range(most):
        page.keyboard.press("Tab")
        info = focused(page)
        if want(info):
            return info
    raise AssertionError(f"Tab never reached it (last: {info})")


def test_keyboard_opens_the_file_chooser_and_reads_the_sheet(ui, api_lines):
    page = ui
    choosers = []
    page.on("filechooser", lambda c: choosers.append(c))   # listening first: the chooser is caught however fast it opens
    page.locator("h1").click()                # start from the top of the page
    tab_to(page, lambda f: f["id"] == "choose")
    page.keyboard.press("Enter")
    for _ in range(100):
        if choosers:
            break
        page.wait_for_timeout(50)
    assert choosers, "Enter on 'Choose a file' opened no file chooser"
    choosers[0].set_files(str(SAMPLE))
    expect(page.locator("#timing")).to_contain_text("digits in", timeout=60_000)
    assert page.locator("#lines .line-text").all_inner_texts() == api_lines
    assert page.locator("#sheets .digit").count() == sum(len(t.replace(" ", "")) for t in api_lines)
    img, svg = page.locator("#sheets img").bounding_box(), page.locator("#sheets svg").bounding_box()
    assert img["width"] == pytest.approx(svg["width"], abs=1) and img["height"] == pytest.approx(svg["height"], abs=1)
    lines = page.locator("#lines").bounding_box()
    if page.device == "desktop":   # the numbers beside the image, on the first screen
        assert lines["x"] > img["x"] + img["width"] - 1 and lines["y"] < 800
    assert page.problems == []


def test_copy_gives_the_api_lines(ui, api_lines):
    page = ui
    page.click("#copy")
    expect(page.locator("#toast")).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "\n".join(api_lines)
    assert page.problems == []


def test_tab_to_a_digit_and_correct_it_with_enter(ui, server):
    page = ui
    page.locator("#zoom-1").focus()
    first = tab_to(page, lambda f: "digit" in (f["cls"] or ""))
    assert re.fullmatch(r"digit \d, \d+%", first["label"])
    page.keyboard.press("ArrowRight")
    second = focused(page)
    assert "digit" in second["cls"] and second["key"] != first["key"]
    page.keyboard.press("Enter")
    expect(page.locator("#fix")).to_be_visible()
    read_as = int(re.match(r"Read as (\d)", page.inner_text("#fix-read")).group(1))
    label = (read_as + 1) % 10
    before = len(list(server.corrections.glob("corr_*.png")))
    page.keyboard.press(str(label))   # type the right digit
    expect(page.locator("#toast")).to_have_text(re.compile("^Saved"))
    assert len(list(server.corrections.glob(f"corr_*_{label}.png"))) >= 1
    assert len(list(server.corrections.glob("corr_*.png"))) == before + 1
    assert page.locator("#sheets .digit.fixed").count() == 1
    back = focused(page)   # focus comes back to the corrected box
    assert back["key"] == second["key"] and back["label"] == f"digit {label}, corrected (read as {read_as})"
    page.corrected = {"box": [int(v) for v in second["key"].split(",")], "digit": label, "read_as": read_as}
    assert page.problems == []


def test_downloads_carry_the_correction(ui, tmp_path):
    page, fix = ui, ui.corrected
    with page.expect_download() as dl:
        page.click("#dl-json")
    assert dl.value.suggested_filename == "sample.handnum.json"
    body = json.loads(Path(dl.value.path()).read_text())
    digits = [d for ln in body["lines"] for n in ln["numbers"] for d in n["digits"]]
    [changed] = [d for d in digits if d.get("corrected")]
    assert (changed["box"], changed["digit"], changed["read_as"], changed["confidence"]) == (
        fix["box"], fix["digit"], fix["read_as"], 1)
    assert [ln["text"] for ln in body["lines"]] == page.locator("#lines .line-text").all_inner_texts()
    with page.expect_download() as dl:
        page.click("#dl-png")
    assert dl.value.suggested_filename == "sample.annotated.png"
    png = cv2.imread(dl.value.path())
    assert png.shape[:2] == cv2.imread(str(SAMPLE)).shape[:2]
    x0, y0, x1, y1 = fix["box"]
    edge = png[y0:y1, x0:x0 + 2].reshape(-1, 3).astype(int)   # the box's left side, drawn in orange
    assert ((edge[:, 2] > 180) & (edge[:, 1] > 80) & (edge[:, 1] < 170) & (edge[:, 0] < 80)).mean() > 0.5
    assert page.problems == []


def test_corrections_stay_when_the_minimum_confidence_changes(ui):
    page = ui
    page.fill("#minconf", "0.3")
    page.locator("#minconf").dispatch_event("change")
    expect(page.locator("#photo-status")).to_contain_text("1 corrected", timeout=60_000)
    assert page.locator("#sheets .digit.fixed").count() == 1
    assert page.problems == []


def test_zoom_with_buttons_and_keys_keeps_labels_readable(ui):
    page = ui
    width = lambda: page.locator("#sheets .sheet").bounding_box()["width"]  # noqa: E731
    label_px = lambda: page.locator("#sheets .digit text").first.bounding_box()["height"]  # noqa: E731
    page.click("#zoom-fit")
    fit, fit_label = width(), label_px()
    page.click("#zoom-in")
    assert width() == pytest.approx(fit * 1.5, rel=0.02)
    page.locator("#viewer").focus()
    page.keyboard.press("+")
    assert width() == pytest.approx(fit * 1.875, rel=0.02)
    assert label_px() == pytest.approx(fit_label, rel=0.25)   # labels stay ~13 px on screen
    page.click("#zoom-1")
    assert page.inner_text("#zoom-level") == "100 %" and width() == pytest.approx(1000, abs=1)
    if page.device == "desktop":   # Ctrl + wheel zooms about the pointer
        box = page.locator("#viewer").bounding_box()
        page.mouse.move(box["x"] + 100, box["y"] + 100)
        page.keyboard.down("Control")
        page.mouse.wheel(0, -200)
        page.keyboard.up("Control")
        expect(page.locator("#zoom-level")).not_to_have_text("100 %")
    page.click("#zoom-fit")
    assert width() == pytest.approx(fit, abs=1)
    assert page.problems == []


def test_progress_then_an_error_clears_the_result_and_a_503_offers_a_retry(ui):
    page = ui
    held = []
    page.route("**/api/v1/read*", lambda route: held.append(route))
    page.click("#sample")
    expect(page.locator("#busy")).to_be_visible()
    expect(page.locator("#sheets img")).to_have_count(1)          # the preview, while it reads
    for control in ("#choose", "#take", "#sample", "#minconf"):
        expect(page.locator(control)).to_be_disabled()
    expect(page.locator("#photo-result")).to_be_hidden()           # the old result went
    while not held:
        page.wait_for_timeout(50)
    held[0].fulfill(status=503, json={"error": "server busy: too many reads waiting, try again shortly"},
                    headers={"Retry-After": "5"})
    expect(page.locator("#photo-status")).to_contain_text("server busy")
    expect(page.locator("#retry")).to_be_visible()
    assert page.locator("#sheets img").count() == 0 and not page.locator("#photo-result").is_visible()
    page.unroute("**/api/v1/read*")
    page.click("#retry")
    expect(page.locator("#timing")).to_contain_text("digits in", timeout=60_000)
    expect(page.locator("#retry")).to_be_hidden()
    expect(page.locator("#busy")).to_be_hidden()
    page.set_input_files("#file", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}])
    expect(page.locator("#photo-status")).to_contain_text("not a supported image")
    assert not page.locator("#photo-result").is_visible() and not page.locator("#retry").is_visible()
    page.problems[:] = [p for p in page.problems if "status of 415" not in p and "status of 503" not in p]
    assert page.problems == []


def test_draw_undo_and_read(ui):
    page = ui
    reads = []  # the pad's reads: without the judge (nothing printed can be on a blank pad)
    page.on("request", lambda r: "/api/v1/read" in r.url and reads.append(r.url))
    page.click("#tab-draw")
    pad = page.locator("#pad").bounding_box()
    x, y, h = pad["x"] + pad["width"] / 2 - 60, pad["y"] + 40, pad["height"] - 80
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 0.6 * h, y, steps=12)             # the bar
    page.mouse.move(x + 0.2 * h, y + h, steps=20)         # the stem
    page.mouse.up()
    expect(page.locator("#pad-status")).to_contain_text("Read in", timeout=15_000)
    assert page.inner_text("#pad-text") == "7"
    page.mouse.move(x + 0.8 * h, y + 0.2 * h)             # a stray mark beside it
    page.mouse.down()
    page.mouse.move(x + 0.8 * h, y + 0.8 * h, steps=10)
    page.mouse.up()
    expect(page.locator("#pad-status")).to_contain_text("Read in", timeout=15_000)
    page.click("#undo")
    expect(page.locator("#pad-status")).to_contain_text("Read in", timeout=15_000)
    assert page.inner_text("#pad-text") == "7" and page.locator("#pad-digits .chip").count() == 1
    assert len(reads) >= 2 and all("judge=false" in url for url in reads)
    page.click("#clear")
    assert page.inner_text("#pad-text") == "nothing yet" and page.locator("#undo").is_disabled()
    page.click("#tab-photo")
    assert page.problems == []


def test_the_api_docs_render_with_no_request_leaving_the_server(ui, server):
    page = ui
    seen = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(server.url + "docs")
    expect(page.locator(".swagger-ui .opblock-summary-path").first).to_be_visible()
    paths = page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    assert {"/api/v1/read", "/api/v1/digit", "/api/v1/corrections", "/api/v1/health"} <= set(paths)
    assert seen and all(u.startswith(server.url) or u.startswith(("data:", "blob:")) for u in seen), seen
    assert page.problems == []
    page.goto(server.url)


def test_no_request_of_the_page_left_the_server(ui, server):
    """The page and everything it loaded came from this server (fonts, scripts, styles)."""
    page = ui
    seen = []
    page.on("request", lambda r: seen.append(r.url))
    page.reload()
    page.click("#sample")
    expect(page.locator("#timing")).to_contain_text("digits in", timeout=60_000)
    assert seen and all(u.startswith(server.url) or u.startswith(("data:", "blob:")) for u in seen), seen
    assert page.problems == []
