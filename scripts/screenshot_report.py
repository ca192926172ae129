"""Save a PNG of a comparison report's first screen(s), for the README.

Usage: python scripts/screenshot_report.py experiments/compare/<run>/report.html docs/img/report.png
Needs Debian's `chromium` and the `playwright` package (no browser download).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def main() -> None:
    from playwright.sync_api import sync_playwright

    html, png = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("no chromium found: apt-get install -y chromium")
    png.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 1600})
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file:") else route.abort()
            ),
        )
        page.goto(html.as_uri())
        page.screenshot(path=str(png), full_page=False)
        browser.close()
    print(png)


if __name__ == "__main__":
    main()
