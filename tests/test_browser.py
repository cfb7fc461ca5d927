"""The page in a real browser (Playwright driving Debian's /usr/bin/chromium, headless, loopback only).

Skipped with a reason where the playwright package or /usr/bin/chromium is missing
(pip install playwright; apt-get install chromium; `playwright install` is not needed).
"""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import pytest

from .conftest import SHEETS, need

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

from handnum.web.app import create_app  # noqa: E402
from handnum.web.cli import BackgroundServer  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SEED_LINES = ["0 1 2 3 4 5 6 7 8 9", "0 1 3 7 4 8 6 9 5 2"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("corrections")
    with BackgroundServer(create_app(corrections=folder)) as s:
        s.corrections = folder
        yield s


@pytest.fixture(scope="module")
def browser_page(server):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)   # the page runs under its own CSP: no eval, so no wait_for_function
        page.problems = []   # uncaught errors and console errors (e.g. a CSP violation)
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
        page.goto(server.url)
        yield page
        browser.close()


@pytest.fixture(scope="module")
def seed_read(browser_page):
    """The seed photo uploaded with the file picker and read."""
    page = browser_page
    page.set_input_files("#file", str(need(SHEETS / "seed_test_2.png")))
    sync_api.expect(page.locator("#timing")).to_contain_text("digits in", timeout=30_000)
    return page


def test_upload_shows_20_boxes_and_both_lines(seed_read):
    page = seed_read
    assert page.locator("#sheets .digit").count() == 20
    assert page.locator("#lines .line-text").all_inner_texts() == SEED_LINES
    assert "20 digits in 2 lines" in page.inner_text("#timing") and "ms" in page.inner_text("#timing")
    box = page.locator("#sheets img").bounding_box()
    assert 1000 < box["width"] <= 1280   # the photo is scaled to the page and the boxes with it
    assert page.locator("#sheets svg").bounding_box()["width"] == pytest.approx(box["width"], abs=1)
    assert page.problems == []


def test_click_a_box_and_correct_it(seed_read, server):
    page = seed_read
    page.locator("#sheets .digit rect").nth(0).click()
    assert page.locator("#fix").is_visible()
    assert page.inner_text("#fix-read").startswith("Read as 0")
    page.click("#fix-digits button[data-d='4']")
    sync_api.expect(page.locator("#toast")).to_have_text(re.compile("^Saved"))
    saved = list(server.corrections.glob("corr_*.png"))
    assert len(saved) == 1 and re.fullmatch(r"corr_\d{8}T\d{6}_[0-9a-f]{6}_4\.png", saved[0].name)
    crop = cv2.imread(str(saved[0]))
    assert crop is not None and 20 < crop.shape[0] < 400 and 10 < crop.shape[1] < 400
    assert page.locator("#sheets .digit.fixed").count() == 1
    assert page.locator("#lines .line-text").first.inner_text() == "4 1 2 3 4 5 6 7 8 9"
    assert page.problems == []


def test_draw_a_seven_on_the_pad(browser_page):
    page = browser_page
    page.click(".tab[data-tab='draw']")
    pad = page.locator("#pad").bounding_box()
    x, y, h = pad["x"] + pad["width"] / 2 - 60, pad["y"] + 50, pad["height"] - 100
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 0.6 * h, y, steps=12)             # the bar
    page.mouse.move(x + 0.2 * h, y + h, steps=20)         # the stem
    page.mouse.up()
    sync_api.expect(page.locator("#pad-status")).to_contain_text("Read in", timeout=15_000)
    assert page.inner_text("#pad-text") == "7"
    assert page.locator("#pad-digits .chip").count() == 1
    page.click("#clear")
    assert page.inner_text("#pad-text") == "nothing yet"
    assert page.problems == []
