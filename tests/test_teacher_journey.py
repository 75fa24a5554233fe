"""A teacher's journey in a real browser (headless Chromium, tests/browser.py), at 1280 and 390
pixels, in English and Russian: the home page, a search in Russian (`физика`) and in Latin
script (`fizika`), narrowing by education level and by licence by clicking the facets, opening
a record. axe-core finds no serious or critical WCAG 2.1 A/AA violation on the search pages;
on a phone the search box is on the first screen and nothing scrolls sideways. Every page
visited is written to tests/screenshots/teacher-<step>-<width>-<lang>.png.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
from search_catalogue import build
from served import oerhub_serving

from oerhub.publish.site_i18n import interface

pytestmark = needs_chromium()
PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    """The search catalogue (tests/search_catalogue.py), served by `oerhub serve` (which
    loads every analyser's dictionary before it answers)."""
    directory = tmp_path_factory.mktemp("teacher")
    ids = build(directory)
    with oerhub_serving(directory / "oerhub.db", "--config",
                        str(directory / "sources.toml")) as base:
        yield base, ids


def on_first_screen(page: Any, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] + box["height"] <= page.viewport_size["height"]


def check(page: Any, step: str, width: int, lang: str, mine: bool = True) -> None:
    """What every page of the journey must be: in the reader's language, usable on a phone,
    accessible (the search pages; the record page's own tests check it); a screenshot."""
    assert page.locator("html").get_attribute("lang") == lang, step
    if mine:
        assert_accessible(page, f"{step} at {width} px in {lang}")
        if width == PHONE:
            assert_no_sideways_scroll(page, f"{step} at {width} px in {lang}")
    screenshot(page, f"teacher-{step}-{width}-{lang}")


def open_filters(page: Any) -> None:
    """On a phone the filters start folded: unfold them, as a reader taps "Filters"."""
    if page.locator("details#oer-filters").get_attribute("open") is None:
        page.locator("details#oer-filters > summary").click()


def search(page: Any, words: str) -> None:
    box = page.locator("#oer-q")
    box.fill(words)
    with page.expect_navigation():
        box.press("Enter")


def titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("h2.oer-card-title a").all_inner_texts()]


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_teacher_finds_narrows_and_opens_a_resource(served, width, lang):
    base, ids = served
    ui = interface(lang)
    with browser_page(width=width, lang=lang) as page:
        page.set_default_timeout(60_000)  # a loaded machine (CI, parallel tests) is slow
        page.goto(base + "/")
        assert on_first_screen(page, "#oer-q"), "the search box is below the first screen"
        assert ui.names.country("KZ") in page.locator("#per-country").inner_text()
        check(page, "home", width, lang)

        # in Russian: every form of the word, the exact form first, no Физиология
        search(page, "физика")
        found = titles(page)
        assert found[0] == "Физика. 7 класс", found
        assert "Физиология растений" not in found and "Fizika. 8-sinf" in found
        assert page.locator("li.oer-card").count() == len(found)
        assert on_first_screen(page, "#oer-q")
        if width == PHONE:  # the first result a thumb away, not 2,700 px down
            assert page.locator("li.oer-card").first.bounding_box()["y"] < 1.5 * 844
        check(page, "search-cyrillic", width, lang)

        # in Latin script: the Latin record first, the Cyrillic ones found too
        search(page, "fizika")
        found = titles(page)
        assert found[0] == "Fizika. 8-sinf" and "Физика. 7 класс" in found, found
        check(page, "search-latin", width, lang)

        # narrowed by education level, then by licence, clicking the facets
        search(page, "физика")
        before = len(titles(page))
        open_filters(page)
        with page.expect_navigation():
            page.locator("#facet-education_level a", has_text=ui.names.level("ISCED 2")).click()
        assert "education_level__arraycontains=ISCED+2" in page.url
        by_level = titles(page)
        assert 0 < len(by_level) < before and "Физика вокруг нас: окружающий мир" not in by_level
        check(page, "level", width, lang)
        open_filters(page)
        with page.expect_navigation():
            page.locator("#facet-licensed a", has_text=ui.gettext("Openly licensed")).click()
        assert "license__notnull=1" in page.url
        open_only = titles(page)
        assert 0 < len(open_only) <= len(by_level)
        assert "Сборник олимпиадных заданий" not in open_only  # (no licence)
        chips = page.locator("ul.oer-chips").inner_text()
        assert ui.gettext("Openly licensed") in chips and ui.names.level("ISCED 2") in chips
        check(page, "licence", width, lang)

        # the record page (another page's own checks are its tests')
        first = open_only[0]
        with page.expect_navigation():
            page.locator("h2.oer-card-title a").first.click()
        assert "/oerhub/records/" in page.url and first in page.locator("h1").inner_text()
        check(page, "record", width, lang, mine=False)

        # the column table, one click away from the cards
        page.go_back()
        with page.expect_navigation():
            page.locator("#oer-table-view").click()
        assert page.locator("table.rows-and-columns").count() == 1
        screenshot(page, f"teacher-table-{width}-{lang}")


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_unique_resources_as_cards(served, width):
    base, ids = served
    with browser_page(width=width, lang="ru") as page:
        page.goto(base + "/oerhub/unique_resources?_search=%D0%BC%D0%B5%D1%82%D0%BE%D0%B4%D0%B8"
                         "%D0%BA%D0%B0")
        card = page.locator(f"#card-{ids['method-a']}")
        assert "из 2 источников" in card.inner_text()
        assert page.locator(f"#card-{ids['method-b']}").count() == 0
        check(page, "unique", width, "ru")


def test_suggestions_as_you_type(served):
    """The box asks /-/suggest as the reader types; Down and Enter open a suggestion."""
    base, _ = served
    with urllib.request.urlopen(base + "/-/suggest?q=%D1%84%D0%B8%D0%B7&limit=8",
                                timeout=5) as answer:
        assert json.loads(answer.read())["suggestions"], "the served catalogue has физ… titles"
    with browser_page(width=DESKTOP, lang="ru") as page:
        page.goto(base + "/")
        box = page.locator("#oer-q")
        box.press_sequentially("физ", delay=50)
        listbox = page.locator("#oer-q-suggestions")
        listbox.locator("[role=option]").first.wait_for(state="visible", timeout=5000)
        assert box.get_attribute("aria-expanded") == "true"
        options = listbox.locator("[role=option]")
        assert 0 < options.count() <= 8
        assert_accessible(page, "suggestions")
        screenshot(page, "teacher-suggestions-1280-ru")
        box.press("ArrowDown")
        chosen = box.get_attribute("aria-activedescendant")
        assert chosen and page.locator(f"#{chosen}").get_attribute("aria-selected") == "true"
        box.press("Escape")
        assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"
        box.press_sequentially("и", delay=50)
        options.first.wait_for(state="visible", timeout=5000)
        box.press("ArrowDown")
        with page.expect_navigation():
            box.press("Enter")
        assert "/oerhub/" in page.url


def test_without_the_endpoint_the_box_stays_a_plain_search(served):
    """No /-/suggest (404) or any failure: no list, no error, the search works."""
    base, _ = served
    with browser_page(width=PHONE, lang="en") as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.route("**/-/suggest*", lambda route: route.fulfill(status=404, body="not found"))
        page.goto(base + "/")
        page.locator("#oer-q").press_sequentially("физ", delay=50)
        page.wait_for_timeout(600)
        assert page.locator("#oer-q-suggestions").is_hidden() and errors == []
        with page.expect_navigation():
            page.locator("#oer-q").press("Enter")
        assert "_search=%D1%84%D0%B8%D0%B7" in page.url and page.locator("li.oer-card").count()


def test_the_suggestion_box_with_a_stand_in_endpoint(served):
    """The combobox itself, against a stand-in for /-/suggest (its contract): options as text
    (harvested, so never markup), Up/Down/Escape, Enter opens a same-site suggestion only."""
    import json

    base, ids = served
    asked: list[str] = []

    def answer(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="application/json", body=json.dumps({
            "query": "физ", "suggestions": [
                {"text": "Физика. 7 класс", "kind": "title",
                 "url": f"/oerhub/records/{ids['phys-7']}"},
                {"text": "<b>физика</b>", "kind": "subject", "url": "//evil.example/x"},
                {"text": "Fizika. 8-sinf", "kind": "title",
                 "url": f"/oerhub/records/{ids['phys-uz']}"}]}))

    with browser_page(width=PHONE, lang="ru") as page:
        page.route("**/-/suggest*", answer)
        page.goto(base + "/")
        box = page.locator("#oer-q")
        box.press_sequentially("физ", delay=30)
        options = page.locator("#oer-q-suggestions [role=option]")
        options.first.wait_for(state="visible")
        assert options.count() == 3 and box.get_attribute("aria-expanded") == "true"
        assert "q=%D1%84%D0%B8%D0%B7&limit=8" in asked[-1]
        assert page.locator("#oer-q-suggestions b").count() == 0  # text, not markup
        assert "<b>физика</b>" in options.nth(1).inner_text()
        assert "предмет" in options.nth(1).inner_text()  # its kind, in the reader's language
        assert_accessible(page, "suggestions")
        assert_no_sideways_scroll(page, "suggestions")
        screenshot(page, "teacher-suggestions-390-ru")
        box.press("ArrowDown")
        box.press("ArrowDown")
        active = box.get_attribute("aria-activedescendant")
        assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
        box.press("ArrowUp")
        assert box.get_attribute("aria-activedescendant") == options.first.get_attribute("id")
        box.press("Escape")
        assert page.locator("#oer-q-suggestions").is_hidden()
        assert box.get_attribute("aria-expanded") == "false"
        box.press_sequentially("и", delay=30)
        options.first.wait_for(state="visible")
        box.press("ArrowDown")
        box.press("ArrowDown")  # the one pointing off the site: searched for, not opened
        with page.expect_navigation():
            box.press("Enter")
        assert page.url.startswith(base + "/oerhub/resources?_search=")
        box = page.locator("#oer-q")
        box.fill("")
        box.press_sequentially("fiz", delay=30)
        options.first.wait_for(state="visible")
        box.press("ArrowDown")
        with page.expect_navigation():
            box.press("Enter")
        assert page.url == f"{base}/oerhub/records/{ids['phys-7']}"
