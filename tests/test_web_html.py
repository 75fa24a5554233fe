"""`oerhub harvest` of an HTML-only portal end to end: list pages, item pages, selectors.

The portal is built on the loopback `website`: three list pages linked by `next`, twelve item
pages in Ukrainian, Russian (one in windows-1251), Romanian/Moldovan and Armenian, and a
robots.txt that forbids part of the site.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import HARVEST_SETTINGS, query, source_toml
from website import Website

from harvesters.html import HtmlHarvester, decode_page, fetch_order, http_date
from oerhub.catalogue import Catalogue
from oerhub.harvest.run import make_client
from oerhub.models import Batch, HarvestState, PageState, RunProgress
from oerhub.normalize import normalize
from oerhub.registry import load_config

SETTINGS = HARVEST_SETTINGS + "delay = 0\nmax_deletions = 0.5\n"
LAST_MODIFIED = "2023-11-14T22:13:20Z"  # the website's default Last-Modified, as ISO 8601 UTC
FIELDS = """
[sources.html]
items = "div.product a.title"
next = "a.next @href"
[sources.html.fields]
title = "h1.book-title"
description = "meta[name=description] @content"
language = "//html/@lang"
license = "a[rel=license] @href"
subjects = "ul.tags li"
creators = ".author"
date = "time @datetime"
url = "a.download @href"
resource_type = "//span[@class='kind']/text()"
"""


@dataclass
class Item:
    number: int
    lang: str
    title: str
    subjects: tuple[str, ...]
    creators: tuple[str, ...] = ()
    licence: str | None = "https://creativecommons.org/licenses/by/4.0/"
    download: str | None = None  # href of a.download
    charset: str = "utf-8"  # how the page is encoded
    declare: str = "meta"  # where the charset is said: "meta", "http-equiv", "http"
    kind: str | None = None
    date: str | None = None
    description: str | None = None


ITEMS = [
    Item(1, "uk", "Математика. 5 клас", ("Математика", "Арифметика"),
         ("Істер О. С.", "Мерзляк А. Г."), download="/files/math-5.pdf", kind="Підручник",
         date="2021-03-11", description="Підручник   для 5 класу\nзакладів загальної освіти"),
    Item(2, "uk-UA", "Українська мова та література", ("Мова",),
         licence="https://creativecommons.org/licenses/by-sa/4.0/deed.uk"),
    Item(3, "uk", "Фізика. 7 клас", ("Фізика",), ("Засєкіна Т. М.",)),
    Item(4, "ru", "Русский язык. 6 класс", ("Русский язык", "Грамматика")),
    Item(5, "ru", "География России — атлас", ("География",), ("Дронов В. П.",),
         charset="windows-1251", declare="http-equiv", download="files/atlas.pdf"),
    Item(6, "ru", "Химия: задачник «Ёлка»", ("Химия",), charset="windows-1251", declare="http",
         licence="http://creativecommons.org/licenses/by-nc-nd/3.0/"),
    Item(7, "ro-MD", "Limba și literatura română", ("Limba română",), ("Ion Creangă",)),
    Item(8, "ro", "Matematică, clasa a VIII-a", ("Matematică", "Geometrie")),
    Item(9, "ro-MD", "Istoria românilor și universală", ("Istorie",)),
    Item(10, "hy", "Հայոց լեզու", ("Հայոց լեզու",), ("Աղայան Է.",)),
    Item(11, "hy-AM", "Մաթեմատիկա 3-րդ դասարան", ("Մաթեմատիկա",)),
    Item(12, "uk", "Інформатика. 10 клас", ("Інформатика",), licence=None),
]
BY_NUMBER = {item.number: item for item in ITEMS}


def item_page(item: Item, title_class: str = "book-title") -> tuple[bytes, str]:
    """The HTML of an item page and its Content-Type."""
    head = {"meta": f'<meta charset="{item.charset}">',
            "http-equiv": f'<meta http-equiv="Content-Type" content="text/html; '
                          f'charset={item.charset}">',
            "http": ""}[item.declare]
    parts = [f'<!DOCTYPE html>\n<html lang="{item.lang}"><head>{head}<title>{item.title} — '
             f'Бібліотека</title>']
    if item.description:
        parts.append(f'<meta name="description" content="{item.description}">')
    parts.append(f'</head><body><nav><a href="/catalog">Каталог</a></nav>'
                 f'<h1 class="{title_class}">\n  {item.title}\n</h1>')
    parts += [f'<span class="author">{name}</span>' for name in item.creators]
    parts.append('<ul class="tags">' + "".join(f"<li> {s} </li>" for s in item.subjects)
                 + "</ul>")
    if item.licence:
        parts.append(f'<p>Ліцензія: <a rel="license" href="{item.licence}">CC</a></p>')
    if item.kind:
        parts.append(f'<span class="kind">{item.kind}</span>')
    if item.date:
        parts.append(f'<time datetime="{item.date}">11.03.2021</time>')
    if item.download:
        parts.append(f'<a class="download" href="{item.download}">PDF</a>')
    parts.append("</body></html>")
    content_type = "text/html" if item.declare != "http" else f"text/html; charset={item.charset}"
    return "".join(parts).encode(item.charset), content_type


def list_page(links: list[str], next_href: str | None) -> str:
    products = "".join(f'<div class="product"><a class="title" href="{href}">{href}</a>'
                       f'<a class="cover" href="{href}"><img src="/c.png"></a></div>'
                       for href in links)
    following = f'<a class="next" href="{next_href}">Далі</a>' if next_href else ""
    return (f'<!DOCTYPE html><html lang="uk"><head><meta charset="utf-8"><title>Каталог</title>'
            f'</head><body><div class="list">{products}</div>{following}</body></html>')


LISTS = {
    "/catalog": (["/item/1", "item/2", "/item/3", "/item/4", "/item/secret-1", "/item/4/print",
                  "/item/1#top"], "?page=2"),
    "/catalog?page=2": (["/item/5", "/item/6", "/item/7", "/item/8", "/item/secret-2"],
                        "/catalog?page=3"),
    "/catalog?page=3": (["/item/9", "/item/10", "/item/11", "/item/12", "/item/1"],
                        "{site}/catalog"),  # back to the start: a loop the walk must not follow
}


def build_portal(site: Website, lists: dict[str, tuple[list[str], str | None]] = LISTS) -> None:
    site.add("/robots.txt", "User-agent: *\nDisallow: /item/secret\n", "text/plain")
    for path, (links, next_href) in lists.items():
        site.add(path, list_page(links, next_href.format(site=site.url) if next_href else None))
    for item in ITEMS:
        body, content_type = item_page(item)
        site.add(f"/item/{item.number}", body, content_type, validators=item.number != 12)
    for secret in ("/item/secret-1", "/item/secret-2"):
        site.add(secret, item_page(Item(99, "uk", "Секрет", ()))[0])


def html_source(site: Website, source_id: str = "ua-html-lib", **extra: object) -> str:
    return source_toml(source_id, f"{site.url}/catalog", "UA", "html",
                       exclude=["/print$"], **extra) + FIELDS


def item_paths(site: Website, fetched_only: bool = True) -> list[str]:
    paths = site.fetched("/item/") if fetched_only else [p for p in site.paths()
                                                         if p.startswith("/item/")]
    return sorted(paths, key=lambda p: (len(p), p))


def runs(db: Path) -> list:
    return query(db, "SELECT * FROM harvest_runs ORDER BY id")


# --- end to end ------------------------------------------------------------------------------


def test_harvest_html_portal_then_second_run(tmp_path, website, write_config, run_oerhub):
    build_portal(website)
    write_config(html_source(website), settings=SETTINGS)
    db = tmp_path / "oerhub.db"

    first = run_oerhub("harvest")

    assert first.returncode == 0, first.stdout + first.stderr
    rows = {r["identifier"]: r for r in query(db, "SELECT * FROM records")}
    assert set(rows) == {f"{website.url}/item/{n}" for n in range(1, 13)}
    for item in ITEMS:
        row = rows[f"{website.url}/item/{item.number}"]
        assert row["title"] == item.title  # exact, whatever the page's encoding
        assert row["language"] == item.lang[:2]
        assert row["language_raw"] == item.lang
        assert json.loads(row["subjects"]) == list(item.subjects)
        assert json.loads(row["creators"]) == list(item.creators)
        assert row["format"] == "html" and row["country"] == "UA" and not row["deleted"]
        # made absolute against the item page; the item page itself when there is none
        expected_url = {1: "/files/math-5.pdf", 5: "/item/files/atlas.pdf"}.get(
            item.number, f"/item/{item.number}")
        assert row["url"] == website.url + expected_url
        assert row["datestamp"] == (None if item.number == 12 else LAST_MODIFIED)
    licences = {n: rows[f"{website.url}/item/{n}"]["license"] for n in (1, 2, 6, 12)}
    assert licences == {1: "CC-BY-4.0", 2: "CC-BY-SA-4.0", 6: "CC-BY-NC-ND-3.0", 12: None}
    one = rows[f"{website.url}/item/1"]
    assert one["description"] == "Підручник для 5 класу закладів загальної освіти"
    assert (one["date"], one["resource_type_raw"]) == ("2021-03-11", "Підручник")
    raw = json.loads(query(db, "SELECT raw FROM raw_records JOIN records ON records.id = "
                               "record_id WHERE identifier = ?", (one["identifier"],))[0]["raw"])
    assert raw == {"title": "Математика. 5 клас", "language": "uk",
                   "description": "Підручник для 5 класу закладів загальної освіти",
                   "license": "https://creativecommons.org/licenses/by/4.0/",
                   "subjects": ["Математика", "Арифметика"],
                   "creators": ["Істер О. С.", "Мерзляк А. Г."], "date": "2021-03-11",
                   "url": f"{website.url}/files/math-5.pdf", "resource_type": "Підручник"}
    # robots.txt: the forbidden pages were not asked for, and the run says so
    assert not [p for p in website.paths() if "secret" in p]
    assert "/item/4/print" not in website.paths()  # exclude pattern
    run = runs(db)[0]
    assert (run["status"], run["records_new"], run["records_deleted"]) == ("ok", 12, 0)
    assert "robots.txt disallows 2 URL(s)" in run["warnings"]
    assert f"{website.url}/item/secret-1" in run["warnings"]
    # every list page once (the loop back to /catalog is not followed), every item page once
    assert sorted(website.fetched("/catalog")) == ["/catalog", "/catalog?page=2",
                                                   "/catalog?page=3"]
    assert item_paths(website) == [f"/item/{n}" for n in range(1, 13)]
    assert run["requests"] == 1 + 3 + 12  # robots.txt, list pages, item pages

    # --- the portal changes: item 3 edited, item 7 unlisted, item 9 withdrawn (410)
    website.reset_log()
    changed = Item(3, "uk", "Фізика. 7 клас (нова редакція)", ("Фізика", "Механіка"))
    lists = dict(LISTS)
    lists["/catalog?page=2"] = (["/item/5", "/item/6", "/item/8", "/item/secret-2"],
                                "/catalog?page=3")
    build_portal(website, lists)
    website.add("/item/3", item_page(changed)[0], modified=1_800_000_000)
    website.add("/item/9", "<html><body><h1>Вилучено</h1></body></html>", status=410)

    second = run_oerhub("harvest")

    assert second.returncode == 0, second.stdout + second.stderr
    # list pages fetched fresh; item pages asked conditionally, only changed ones sent a body
    assert sorted(website.fetched("/catalog")) == ["/catalog", "/catalog?page=2",
                                                   "/catalog?page=3"]
    assert item_paths(website) == ["/item/3", "/item/9", "/item/12"]
    conditional = [r for r in website.requests if r.path.startswith("/item/")
                   and r.path not in ("/item/3", "/item/9", "/item/12")]
    assert sorted((r.path for r in conditional), key=lambda p: (len(p), p)) == [
        f"/item/{n}" for n in (1, 2, 4, 5, 6, 8, 10, 11)]
    assert all(r.status == 304 and r.headers.get("If-None-Match") for r in conditional)
    run = runs(db)[1]
    assert (run["status"], run["records_new"], run["records_updated"], run["records_deleted"],
            run["records_unchanged"]) == ("ok", 0, 1, 2, 9)
    rows = {r["identifier"]: r for r in query(db, "SELECT * FROM records")}
    three = rows[f"{website.url}/item/3"]
    assert three["title"] == "Фізика. 7 клас (нова редакція)"
    assert json.loads(three["subjects"]) == ["Фізика", "Механіка"]
    assert three["datestamp"] == "2027-01-15T08:00:00Z"
    assert {n for n in range(1, 13) if rows[f"{website.url}/item/{n}"]["deleted"]} == {7, 9}


def test_max_pages_stops_and_next_run_continues(tmp_path, website, write_config, run_oerhub):
    build_portal(website)
    write_config(html_source(website, max_pages=9), settings=SETTINGS)
    db = tmp_path / "oerhub.db"

    first = run_oerhub("harvest")

    assert first.returncode == 0, first.stderr
    assert query(db, "SELECT count(*) AS n FROM records")[0]["n"] == 6
    run = runs(db)[0]
    assert run["status"] == "ok" and "stopped at max_pages = 9" in run["warnings"]
    assert len(website.fetched()) == 9
    before = set(item_paths(website))
    assert before == {f"/item/{n}" for n in range(1, 7)}
    website.reset_log()

    second = run_oerhub("harvest")

    assert second.returncode == 0, second.stderr
    # the six never fetched come first; the six stored are not asked for again yet
    assert set(item_paths(website, fetched_only=False)) == {f"/item/{n}" for n in range(7, 13)}
    assert query(db, "SELECT count(*) AS n FROM records WHERE deleted = 0")[0]["n"] == 12
    assert runs(db)[1]["records_deleted"] == 0
    website.reset_log()

    assert run_oerhub("harvest").returncode == 0
    # then the longest unchecked: the first six, conditionally (304)
    assert set(item_paths(website, fetched_only=False)) == {f"/item/{n}" for n in range(1, 7)}
    assert item_paths(website) == []


def test_start_pages_without_next(tmp_path, website, write_config, run_oerhub):
    """Category pages named in `start`, no pagination: exactly those list pages are read."""
    build_portal(website)
    fields = FIELDS.replace('next = "a.next @href"\n',
                            f'start = ["{website.url}/catalog?page=3"]\n')
    write_config(source_toml("ua-html-lib", f"{website.url}/catalog", "UA", "html", delay=0)
                 + fields)

    assert run_oerhub("harvest").returncode == 0

    assert sorted(website.fetched("/catalog")) == ["/catalog", "/catalog?page=3"]
    titles = {r["title"] for r in query(tmp_path / "oerhub.db", "SELECT title FROM records")}
    assert titles == {BY_NUMBER[n].title for n in (1, 2, 3, 4, 9, 10, 11, 12)}
    assert "/item/4/print" in website.paths()  # no exclude pattern this time


def test_resumed_run_does_not_refetch_what_the_killed_run_stored(tmp_path, website,
                                                                 write_config, run_oerhub):
    """A run killed after its first batch: the next run fetches only the other item pages."""
    build_portal(website)
    config = load_config(write_config(html_source(website), settings=SETTINGS))
    source = config.get("ua-html-lib")
    db = tmp_path / "oerhub.db"
    with Catalogue(db) as catalogue:
        catalogue.sync_sources(config)
        run_id = catalogue.start_run(source.id, "full", None)
        harvester = HtmlHarvester(source, make_client(config.settings, source))
        harvester.batch_size = 4
        batches = harvester.harvest(catalogue.state(source.id, web=True))
        batch = next(batches)  # stored, then the process "dies"
        records = [normalize(raw, "UA", element)
                   for raw, element in zip(batch.records, batch.elements, strict=True)]
        catalogue.store_batch(RunProgress(run_id, source.id, 0, 0), Batch(batch.records, batch.checkpoint, pages=batch.pages, normalised=records))
        batches.close()
    stored = {website.path_of(r.identifier) for r in batch.records}
    assert stored == {f"/item/{n}" for n in range(1, 5)}
    assert "run_started" in batch.checkpoint
    website.reset_log()

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    assert sorted(website.fetched("/catalog")) == ["/catalog", "/catalog?page=2",
                                                   "/catalog?page=3"]
    assert set(item_paths(website, fetched_only=False)) == {f"/item/{n}" for n in range(5, 13)}
    run = runs(db)[-1]
    assert run["mode"].endswith("+resume")
    assert (run["status"], run["records_new"], run["records_unchanged"]) == ("ok", 8, 4)
    assert query(db, "SELECT count(*) AS n FROM records WHERE deleted = 0")[0]["n"] == 12
    assert query(db, "SELECT checkpoint FROM harvest_state")[0]["checkpoint"] is None


def test_changed_item_markup_fails_the_run_and_stores_no_empty_record(
        tmp_path, website, write_config, run_oerhub):
    build_portal(website)
    write_config(html_source(website), settings=SETTINGS)
    db = tmp_path / "oerhub.db"
    assert run_oerhub("harvest").returncode == 0
    # the portal's new template: the title is no longer h1.book-title
    body, _ = item_page(BY_NUMBER[3], title_class="product-name")
    website.add("/item/3", body, modified=1_800_000_000)

    result = run_oerhub("harvest")

    assert result.returncode != 0
    run = runs(db)[-1]
    assert run["status"] == "failed"
    assert run["error"] == (f"html.fields.title selector 'h1.book-title' matched nothing on "
                            f"{website.url}/item/3 (a page titled 'Фізика. 7 клас — Бібліотека'"
                            "): has the portal's markup changed?")
    assert "h1.book-title" in result.stderr and "Traceback" not in result.stderr
    assert query(db, "SELECT count(*) AS n FROM records WHERE title IS NULL OR title = ''"
                 )[0]["n"] == 0
    row = query(db, "SELECT title, deleted FROM records WHERE identifier = ?",
                (f"{website.url}/item/3",))[0]
    assert (row["title"], row["deleted"]) == ("Фізика. 7 клас", 0)  # the old record stays
    assert query(db, "SELECT count(*) AS n FROM records WHERE deleted = 0")[0]["n"] == 12


def test_changed_list_markup_fails_before_any_item(tmp_path, website, write_config, run_oerhub):
    build_portal(website)
    website.add("/catalog", "<html><body><ul class='books'><li><a href='/item/1'>1</a></li>"
                            "</ul></body></html>")
    write_config(html_source(website), settings=SETTINGS)

    result = run_oerhub("harvest")

    assert result.returncode != 0
    run = runs(tmp_path / "oerhub.db")[0]
    assert run["status"] == "failed"
    assert run["error"] == (f"html.items selector 'div.product a.title' matched nothing on "
                            f"{website.url}/catalog: has the portal's markup changed?")
    assert query(tmp_path / "oerhub.db", "SELECT count(*) AS n FROM records")[0]["n"] == 0
    assert item_paths(website) == []


def test_sources_check(tmp_path, website, write_config, run_oerhub):
    build_portal(website)
    write_config(html_source(website), settings=SETTINGS)

    result = run_oerhub("sources", "check", "--source", "ua-html-lib", "--json")

    assert result.returncode == 0, result.stdout + result.stderr
    [check] = json.loads(result.stdout)
    assert check["ok"] and check["error"] is None
    assert check["details"] == {
        "list_page": f"{website.url}/catalog",
        "item_links": 5,  # /item/1..4 and secret-1 (robots.txt is asked when fetching)
        "next_page": f"{website.url}/catalog?page=2",
        "first_item": f"{website.url}/item/1",
        "title": "Математика. 5 клас",
    }
    assert not (tmp_path / "oerhub.db").exists()  # nothing stored
    website.add("/catalog", "<html><body><p>Технічні роботи</p></body></html>")
    broken = run_oerhub("sources", "check", "--source", "ua-html-lib")
    assert broken.returncode != 0
    assert "html.items selector 'div.product a.title' matched nothing" in broken.stdout


# --- units -------------------------------------------------------------------------------------

CYRILLIC = "Географія: атлас «Світ» — 7 клас"


@pytest.mark.parametrize(("body", "content_type", "languages", "expected"), [
    (CYRILLIC.encode("utf-8"), "text/html; charset=utf-8", (), CYRILLIC),
    (CYRILLIC.encode("utf-8"), None, (), CYRILLIC),
    (CYRILLIC.encode("cp1251"), "text/html; charset=windows-1251", (), CYRILLIC),
    (CYRILLIC.encode("cp1251"), 'text/html; charset="WINDOWS-1251"', (), CYRILLIC),
    (b'<meta charset="windows-1251">' + CYRILLIC.encode("cp1251"), "text/html", (),
     '<meta charset="windows-1251">' + CYRILLIC),
    (b"<meta http-equiv='Content-Type' content='text/html; charset=cp1251'>"
     + CYRILLIC.encode("cp1251"), None, (),
     "<meta http-equiv='Content-Type' content='text/html; charset=cp1251'>" + CYRILLIC),
    # a server's Latin-1 default gives way to the page's own declaration
    (b'<meta charset="windows-1251">' + CYRILLIC.encode("cp1251"),
     "text/html; charset=ISO-8859-1", (), '<meta charset="windows-1251">' + CYRILLIC),
    # a wrong declaration (UTF-8 said, windows-1251 sent) does not give mojibake
    (CYRILLIC.encode("cp1251"), "text/html; charset=utf-8", (), CYRILLIC),
    ("Атлас світу".encode("koi8_u"), "text/html; charset=koi8-u", (), "Атлас світу"),
    # nothing declared, not UTF-8: Cyrillic runs mean windows-1251, else the language decides
    (CYRILLIC.encode("cp1251"), None, (), CYRILLIC),
    ("Matematică, clasa a VIII-a".encode("cp1250"), None, ("ro",), "Matematică, clasa a VIII-a"),
    ("Matemātika 5. klasei".encode("cp1257"), None, ("lv",), "Matemātika 5. klasei"),
    (b"\xef\xbb\xbf" + CYRILLIC.encode("utf-8"), "text/html; charset=cp1251", (), CYRILLIC),
    ("Հայոց լեզու".encode("utf-8") + b"\xff", None, (), "Հայոց լեզու\ufffd"),
    (b"<p>x</p>", "text/html; charset=no-such-thing", (), "<p>x</p>"),
    (b'<?xml version="1.0" encoding="windows-1251"?><p>' + CYRILLIC.encode("cp1251"), None, (),
     '<?xml version="1.0" encoding="windows-1251"?><p>' + CYRILLIC),
])
def test_decode_page(body, content_type, languages, expected):
    assert decode_page(body, content_type, languages) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("Tue, 14 Nov 2023 22:13:20 GMT", "2023-11-14T22:13:20Z"),
    ("Wed, 15 Nov 2023 01:13:20 +0300", "2023-11-14T22:13:20Z"),
    ("Tuesday, 14-Nov-23 22:13:20 GMT", "2023-11-14T22:13:20Z"),  # RFC 850
    ("Tue Nov 14 22:13:20 2023", "2023-11-14T22:13:20Z"),  # asctime
    ("yesterday", None),
    ("", None),
    (None, None),
])
def test_http_date(value, expected):
    assert http_date(value) == expected


def test_fetch_order_new_pages_first_then_longest_unchecked():
    state = HarvestState(pages={
        "u/1": PageState("u/1", status=200, fetched_at="2024-05-02T00:00:00Z"),
        "u/2": PageState("u/2", status=200, fetched_at="2024-05-01T00:00:00Z"),
        "u/4": PageState("u/4", status=200, fetched_at="2024-05-02T00:00:00Z"),
    })
    assert fetch_order(["u/1", "u/2", "u/3", "u/4", "u/5"], state) == [
        "u/3", "u/5", "u/2", "u/1", "u/4"]
