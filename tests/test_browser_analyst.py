"""The analyst's journey in a real browser (Playwright driving the system's Chromium, see
tests/browser.py): open the coverage dashboard and see the 15 countries and the map, open a
theme from /themes, search within it; at 1280 and 390 px, in English and Russian, with
axe-core's WCAG 2.1 A/AA check on each of these pages and no sideways scrolling on a phone.

Screenshots: tests/screenshots/analyst-<page>-<width>-<lang>.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

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
from test_site_analysts import build_catalogue

from oerhub.publish.report import CIS_BALTIC

pytestmark = needs_chromium()
PROJECT = Path(__file__).resolve().parents[1]
# What the page says, in each language
WORDS = {"en": {"dashboard": "Coverage", "themes": "Themes", "theme": "Teacher education",
                "turkmenistan": "Turkmenistan", "word": "учителей"},
         "ru": {"dashboard": "Охват", "themes": "Темы", "theme": "Педагогическое образование",
                "turkmenistan": "Туркменистан", "word": "учителей"}}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`oerhub serve` on the analysts' test catalogue (themes, duplicates), on a free port."""
    with oerhub_serving(build_catalogue(tmp_path_factory.mktemp("analyst-browser")),
                        ready="/themes") as base:
        yield base


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_analyst_opens_the_dashboard_and_a_theme(site: str, width: int, lang: str) -> None:
    words = WORDS[lang]
    suffix = f"{width}-{lang}"
    with browser_page(width=width, lang=lang) as page:
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))

        # the dashboard: the 15 countries, those with none too, and the map
        page.goto(site + "/-/dashboards/coverage")
        page.wait_for_selector("#chart-per-month svg")  # the one chart drawn in the browser
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("h1").inner_text() == words["dashboard"]
        codes = page.locator("#table-by-country tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.code)")
        assert set(CIS_BALTIC) <= set(codes)
        assert words["turkmenistan"] in page.locator("#table-by-country").inner_text()
        shapes = page.locator("svg.oer-map path")
        assert shapes.count() == 15 and page.locator("svg.oer-map").is_visible()
        box = page.locator(".oer-map-box").bounding_box()  # on a phone it pans inside
        assert box and box["width"] <= width
        assert_accessible(page, f"dashboard {suffix}")
        if width == PHONE:
            assert_no_sideways_scroll(page, f"dashboard {suffix}")
        screenshot(page, f"analyst-dashboard-{suffix}")

        # the themes, then one theme
        page.goto(site + "/themes")
        assert page.locator("h1").inner_text() == words["themes"]
        assert_accessible(page, f"themes {suffix}")
        if width == PHONE:
            assert_no_sideways_scroll(page, f"themes {suffix}")
        screenshot(page, f"analyst-themes-{suffix}")
        page.get_by_role("link", name=words["theme"], exact=True).click()
        page.wait_for_url(re.compile(r"/themes/teacher-education"))
        assert page.locator("h1").inner_text() == words["theme"]
        rows = page.locator("#theme-countries tbody tr")
        assert rows.count() == 15
        assert page.locator("svg.oer-map path").count() == 15
        assert_accessible(page, f"theme {suffix}")
        if width == PHONE:
            assert_no_sideways_scroll(page, f"theme {suffix}")
        screenshot(page, f"analyst-theme-{suffix}")

        # search within the theme: the resources of the theme with the word
        page.locator("#theme-q").fill(words["word"])
        page.locator("#theme-q").press("Enter")
        page.wait_for_url(re.compile(r"/oerhub/resources"))
        query = parse_qs(urlsplit(page.url).query)
        assert query["themes__arraycontains"] == ["teacher-education"]
        assert query["_search"] == [words["word"]]
        text = page.locator("main").inner_text()
        assert "Подготовка учителей начальных классов" in text or \
            "Підготовка вчителів" in text, text[:1500]
        screenshot(page, f"analyst-theme-search-{suffix}")

    outside = [url for url in requests if not url.startswith(site) and
               not url.startswith("data:")]
    assert outside == [], outside  # nothing from the network
