"""The record page in a real browser (tests/browser.py: headless Chromium, axe-core): at 1280
and 390 px, in English and Russian, WCAG 2.1 A/AA without serious or critical violations,
nothing scrolling sideways on a phone, "Open the resource" and the licence on the first
screen, copy buttons a keyboard reaches and that copy (or select) the text. Screenshots:
tests/screenshots/record-<width>-<lang>.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    browser_page,
    needs_chromium,
    screenshot,
)
from served import oerhub_serving
from test_record_page import build

pytestmark = needs_chromium()
PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    """The record-page catalogue served by `oerhub serve` on a free port."""
    db, ids = build(tmp_path_factory.mktemp("record-browser"))
    with oerhub_serving(db) as base:
        yield base, ids


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_a_record_page_for_reuse(served, width: int, lang: str) -> None:
    base, ids = served
    what = f"record page {width} px {lang}"
    with browser_page(width=width, lang=lang) as page:
        page.goto(f"{base}/oerhub/records/{ids['kz-a:physics']}")
        assert page.title() == "Методика преподавания физики: учебное пособие"
        assert page.locator("html").get_attribute("lang") == lang
        height = page.viewport_size["height"]
        for selector in ("a.oer-open", ".oer-licence-line .oer-licence"):
            box = page.locator(selector).bounding_box()
            assert box is not None and box["y"] + box["height"] <= height, (what, selector)
        assert_accessible(page, what)
        if width == PHONE:
            assert_no_sideways_scroll(page, what)

        # the copy buttons: shown (the script runs), reached by the keyboard, copying
        buttons = page.locator("button.oer-copy")
        assert buttons.count() == 3
        first = buttons.first
        assert first.is_visible()
        first.focus()
        assert page.evaluate("document.activeElement.classList.contains('oer-copy')")
        assert page.evaluate("document.activeElement.tabIndex") >= 0
        citation = page.locator("#oer-citation").inner_text().strip()
        assert page.evaluate(
            "getComputedStyle(document.getElementById('oer-citation')).userSelect") != "none"
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('.oer-copy-status').textContent")
        # copied, or (no clipboard permission headless) selected for Ctrl+C
        assert page.evaluate("window.getSelection().toString().trim()") == citation

        # the technical details open without widening the page
        page.locator("details.oer-technical summary").click()
        assert page.locator("table.oer-fields").is_visible()
        if width == PHONE:
            assert_no_sideways_scroll(page, what + ", technical details open")
        assert_accessible(page, what + ", technical details open")
        screenshot(page, f"record-{width}-{lang}")


@pytest.mark.parametrize("key", ["kz-a:hostile", "kz-a:gone", "kz-a:chem-8"])
def test_other_records_on_a_phone(served, key: str) -> None:
    base, ids = served
    with browser_page(width=PHONE, lang="ru") as page:
        page.goto(f"{base}/oerhub/records/{ids[key]}")
        assert not page.evaluate("window.__pwned === true")
        assert_no_sideways_scroll(page, key)
        assert_accessible(page, key)
        screenshot(page, f"record-{PHONE}-ru-{key.split(':')[1]}")
