"""A real browser for the journey tests: Playwright driving the system's Chromium (Debian's
package, which .ci/run installs; nothing is downloaded), axe-core's WCAG check in the page,
and screenshots a person can open.

    with browser_page(width=390, lang="ru") as page:
        page.goto(url)
        assert_accessible(page, "home")
        screenshot(page, "teacher-home-390-ru")
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DESKTOP, PHONE = 1280, 390
# WCAG 2.1 levels A and AA, as axe-core tags them
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def needs_chromium() -> pytest.MarkDecorator:
    """Skip without Chromium, except under CI, where its absence is a failure."""
    if CHROMIUM is None and os.environ.get("CI"):
        raise RuntimeError("CI must have Chromium: .ci/run installs Debian's chromium package")
    return pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install "
                                                       "chromium); .ci/run installs it")


@contextmanager
def browser_page(width: int = DESKTOP, lang: str = "en") -> Iterator[Any]:
    """A fresh page (its own cookies) in headless Chromium, `width` px wide, whose browser
    asks for `lang` first (Accept-Language), as a reader's would."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(
                viewport={"width": width, "height": 844 if width <= PHONE else 900},
                locale=lang, extra_http_headers={"Accept-Language": f"{lang},en;q=0.5"})
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def accessibility_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations of impact serious or critical on this page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def assert_accessible(page: Any, what: str) -> None:
    found = accessibility_violations(page)
    assert found == [], f"{what}: {found}"


def assert_no_sideways_scroll(page: Any, what: str) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{what}: the page is {widths[0]} px wide in {widths[1]}"


def screenshot(page: Any, name: str) -> Path:
    """The whole page as tests/screenshots/NAME.png (not in git; listed in closing notes)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
