"""Save a screenshot of the web page with a read sheet (docs/web.png).

    python benchmarks/screenshot_web.py [--image src/handnum/web/static/sample.jpg] [--out docs/web.png]

Serves the app on 127.0.0.1 (a free port, in this process), drives Debian's /usr/bin/chromium
with Playwright (pip install playwright; apt-get install chromium), uploads the image and saves
the whole page. Needs no network.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def screenshot(image: Path, out: Path, chromium: str, width: int = 1280) -> None:
    """Upload `image` to the page in headless chromium and save a full-page PNG to `out`."""
    from playwright.sync_api import expect, sync_playwright

    from handnum.web.app import create_app
    from handnum.web.cli import BackgroundServer

    with tempfile.TemporaryDirectory() as corrections, BackgroundServer(create_app(corrections=corrections)) as server, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(server.url)
        page.set_input_files("#file", str(image))
        expect(page.locator("#timing")).to_contain_text("digits in", timeout=60_000)
        expect(page.locator("#model")).not_to_be_empty()
        out.parent.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(300)   # the toast of nothing, the layout settled
        page.screenshot(path=str(out), full_page=True)
        browser.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", type=Path, default=ROOT / "src/handnum/web/static/sample.jpg",
                    help="the page to read (default: the page's own sample)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs/web.png")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--width", type=int, default=1280, help="browser window width in CSS pixels")
    args = ap.parse_args()
    for path in (args.image, Path(args.chromium)):
        if not path.exists():
            print(f"screenshot_web: error: {path} not found", file=sys.stderr)
            return 1
    screenshot(args.image, args.out, args.chromium, args.width)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
