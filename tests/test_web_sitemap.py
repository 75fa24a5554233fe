"""The `sitemap` protocol end to end: a loopback site with a sitemap index (plain and gzipped
sitemaps, lastmod), pages carrying schema.org as JSON-LD, microdata and RDFa, and a robots.txt
forbidding part of the site; `oerhub harvest` in a subprocess, then the catalogue.

Also the pieces with tricky rules: which embedded nodes are resources, sitemap parsing,
identifiers of pages with several resources.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import HARVEST_SETTINGS, query, rows_by_id, source_toml

from harvesters.embedded import extract_resources
from harvesters.sitemap import identifiers_for, parse_sitemap

SETTINGS = HARVEST_SETTINGS + "max_deletions = 0.5\n"  # a small site: 2 of 7 gone is real
SOURCE = "ee-sitemap"
CC = "https://creativecommons.org/licenses/"


def page(head: str = "", body: str = "", lang: str = "et") -> str:
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>t</title>{head}</head><body>{body}</body></html>")


def json_ld(data: Any) -> str:
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def learning_resource(title: str = "Murdude liitmine ja lahutamine") -> str:
    """JSON-LD with @graph: the page, the organisation and the learning resource."""
    return page(json_ld({"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "@id": "#page", "name": "e-Koolikott"},
        {"@type": "Organization", "@id": "#org", "name": "Haridus- ja Noorteamet"},
        {"@type": "LearningResource", "@id": "#lr", "name": title,
         "description": "Harjutused 6. klassile.",
         "inLanguage": {"@type": "Language", "name": "Estonian", "alternateName": "et"},
         "license": {"@type": "CreativeWork", "name": "CC BY-SA 4.0",
                     "url": CC + "by-sa/4.0/"},
         "learningResourceType": {"@type": "DefinedTerm", "name": "Harjutus"},
         "educationalLevel": {"@type": "DefinedTerm", "name": "Põhikool"},
         "keywords": "matemaatika, murrud", "publisher": {"@id": "#org"},
         "isAccessibleForFree": True, "datePublished": "2023-09-01"}]}))


COURSE = page(json_ld({
    "@context": "https://schema.org", "@type": "Course", "name": "Алгебра. 8 клас",
    "inLanguage": "uk", "license": CC + "by/4.0/", "educationalLevel": "8 клас",
    "teaches": [{"@type": "DefinedTerm", "name": "Квадратні рівняння"}, "Дроби"],
    "provider": {"@type": "Organization", "name": "Всеукраїнська школа онлайн"},
    "datePublished": "2022-03-15"}) + '<script type="application/ld+json">{"@type": "Course",'
    ' "name": "broken</script>', lang="uk")

BOOK = page(json_ld({
    "@context": "http://schema.org/", "@type": ["Book"], "name": "Latviešu valoda 7. klasei",
    "inLanguage": [{"@type": "Language", "name": "latviešu", "alternateName": "lv"}],
    "license": [{"@type": "CreativeWork", "name": "CC BY-NC 4.0", "url": CC + "by-nc/4.0/"}],
    "learningResourceType": ["Mācību grāmata"],
    "educationalLevel": [{"@type": "DefinedTerm", "name": "Pamatizglītība"}],
    "teaches": ["Latviešu valoda", {"@type": "DefinedTerm", "name": "Gramatika"}],
    "author": [{"@type": "Person", "name": "Anna Bērziņa"},
               {"@type": "Person", "givenName": "Jānis", "familyName": "Kalniņš"}],
    "isbn": "978-9934-0-1234-5", "dateModified": "2024-01-10T12:00:00+02:00"}), lang="lv")

VIDEO = page(body="""
<div itemscope itemtype="https://schema.org/VideoObject">
  <h1 itemprop="name">Сложение дробей с разными знаменателями</h1>
  <meta itemprop="inLanguage" content="ru">
  <link itemprop="license" href="https://creativecommons.org/licenses/by-sa/4.0/">
  <meta itemprop="learningResourceType" content="Видеоурок">
  <meta itemprop="educationalLevel" content="5 класс">
  <meta itemprop="keywords" content="математика, дроби">
  <span itemprop="author" itemscope itemtype="https://schema.org/Person">
    <span itemprop="name">Ирина Петрова</span></span>
</div>""", lang="ru")

CREATIVE_WORK = page(body="""
<div vocab="https://schema.org/" typeof="CreativeWork">
  <h1 property="name">Творча робота: українська писанка</h1>
  <span property="inLanguage">uk</span>
  <a property="license" href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>
  <span property="learningResourceType">Практична робота</span>
  <span property="educationalLevel">Початкова освіта</span>
  <span property="author" typeof="Person"><span property="name">Олена Коваль</span></span>
</div>""", lang="uk")

COLLECTION = page(json_ld({"@context": "https://schema.org", "@graph": [
    {"@type": "LearningResource", "name": "Geomeetria: kolmnurgad", "inLanguage": "et",
     "url": "{site}/et/kogumik/kolmnurgad", "learningResourceType": "Tund"},
    {"@type": "LearningResource", "name": "Geomeetria: ringid", "inLanguage": "et",
     "learningResourceType": "Tund"}]}))

ABOUT = page(json_ld({"@context": "https://schema.org", "@graph": [
    {"@type": "WebPage", "name": "Meist"}, {"@type": "Organization", "name": "HARNO"}]}))

PAGES = {  # path → (body, lastmod or None); sitemap order
    "/et/murdude-liitmine": (learning_resource(), "2024-03-01"),
    "/uk/kurs-algebry": (COURSE, "2024-02-10T12:00:00+02:00"),
    "/private/chernetka": (learning_resource("Mustand"), "2024-03-01"),
    "/about": (ABOUT, "2023-01-01"),
    "/tags/matemaatika": (ABOUT, "2023-01-01"),
    "/et/kogumik": (COLLECTION, "2024-03-02"),
    "/lv/latviesu-valoda": (BOOK, "2024-01-10"),
    "/ru/video-urok": (VIDEO, None),
    "/uk/tvorcha-robota": (CREATIVE_WORK, "2024-02-20"),
}
PLAIN = list(PAGES)[:6]  # in /sitemaps/pages.xml; the rest in /sitemaps/materials.xml.gz
SITEMAPS = ["/sitemap_index.xml", "/sitemaps/pages.xml", "/sitemaps/materials.xml.gz"]
HARVESTED = ["/et/murdude-liitmine", "/uk/kurs-algebry", "/about", "/et/kogumik",
             "/lv/latviesu-valoda", "/ru/video-urok", "/uk/tvorcha-robota"]


def urlset(site: str, entries: dict[str, tuple[str, str | None]]) -> str:
    urls = "".join(f"<url><loc>{site}{path}</loc>"
                   + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>\n"
                   for path, (_, lastmod) in entries.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>')


def build_site(website: Any, pages: dict[str, tuple[str, str | None]] | None = None) -> None:
    """robots.txt, the sitemap index, a plain and a gzipped sitemap, and the pages."""
    pages = dict(PAGES if pages is None else pages)
    site = website.url
    website.add("/robots.txt", f"User-agent: *\nDisallow: /private/\n\n"
                               f"Sitemap: {site}/sitemap_index.xml\n", "text/plain")
    website.add("/sitemap_index.xml", (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site}/sitemaps/pages.xml</loc><lastmod>2024-03-02</lastmod></sitemap>"
        f"<sitemap><loc>{site}/sitemaps/materials.xml.gz</loc></sitemap></sitemapindex>"),
        "application/xml")
    website.add("/sitemaps/pages.xml",
                urlset(site, {p: v for p, v in pages.items() if p in PLAIN}), "application/xml")
    website.add("/sitemaps/materials.xml.gz", gzip.compress(urlset(
        site, {p: v for p, v in pages.items() if p not in PLAIN}).encode()), "application/x-gzip")
    for path, (body, _) in pages.items():
        website.add(path, body.replace("{site}", site))


def config(write_config: Any, website: Any, **extra: Any) -> None:
    write_config(source_toml(SOURCE, f"{website.url}/sitemap_index.xml", country="EE",
                             protocol="sitemap", delay=0, exclude=["/tags/"], **extra),
                 settings=SETTINGS)


def listed(value: str | None) -> list[str]:
    """A JSON list column (an empty list is stored as NULL)."""
    return json.loads(value) if value else []


def runs(db: Path) -> list[Any]:
    return query(db, "SELECT * FROM harvest_runs ORDER BY id")


def harvest(run_oerhub: Any) -> None:
    result = run_oerhub("harvest", "--source", SOURCE)
    assert "Traceback" not in result.stderr, result.stderr


# --- end to end ----------------------------------------------------------------------------


def test_sitemap_harvest_catalogue_robots_and_incremental_runs(tmp_path, website, write_config,
                                                               run_oerhub):
    build_site(website)
    config(write_config, website)
    db, site = tmp_path / "oerhub.db", website.url

    harvest(run_oerhub)

    run = runs(db)[-1]
    assert run["status"] == "ok", run["error"]
    assert website.fetched() == SITEMAPS + HARVESTED
    assert "/private/chernetka" not in website.paths()  # robots.txt obeyed
    assert "/tags/matemaatika" not in website.paths()  # exclude obeyed
    warnings = run["warnings"]
    assert f"robots.txt disallows 1 URL(s), not fetched: {site}/private/chernetka" in warnings
    assert (f"1 page(s) had no schema.org metadata (they carry WebPage, Organization), "
            f"e.g. {site}/about") in warnings
    assert "1 JSON-LD script(s) were not valid JSON and were skipped" in warnings

    records = rows_by_id(db)
    assert sorted(records) == sorted([
        f"{site}/et/murdude-liitmine", f"{site}/uk/kurs-algebry", f"{site}/et/kogumik/kolmnurgad",
        f"{site}/et/kogumik#2", f"{site}/lv/latviesu-valoda", f"{site}/ru/video-urok",
        f"{site}/uk/tvorcha-robota"])
    expected = {  # identifier path → title, language, licence, type, levels, subjects, url path
        "/et/murdude-liitmine": ("Murdude liitmine ja lahutamine", "et", "CC-BY-SA-4.0",
                                 "exercise", ["ISCED 1", "ISCED 2"], ["matemaatika", "murrud"],
                                 "/et/murdude-liitmine"),
        "/uk/kurs-algebry": ("Алгебра. 8 клас", "uk", "CC-BY-4.0", "course", ["ISCED 2"],
                             ["Квадратні рівняння", "Дроби"], "/uk/kurs-algebry"),
        "/et/kogumik/kolmnurgad": ("Geomeetria: kolmnurgad", "et", None, "lesson", [], [],
                                   "/et/kogumik/kolmnurgad"),
        "/et/kogumik#2": ("Geomeetria: ringid", "et", None, "lesson", [], [], "/et/kogumik"),
        "/lv/latviesu-valoda": ("Latviešu valoda 7. klasei", "lv", "CC-BY-NC-4.0", "textbook",
                                ["ISCED 1", "ISCED 2"], ["Latviešu valoda", "Gramatika"],
                                "/lv/latviesu-valoda"),
        "/ru/video-urok": ("Сложение дробей с разными знаменателями", "ru", "CC-BY-SA-4.0",
                           "video", ["ISCED 2"], ["математика", "дроби"], "/ru/video-urok"),
        "/uk/tvorcha-robota": ("Творча робота: українська писанка", "uk", "CC-BY-4.0",
                               "exercise", ["ISCED 1"], [], "/uk/tvorcha-robota"),
    }
    for path, (title, language, licence, kind, levels, subjects, url) in expected.items():
        row = records[site + path]
        assert (row["title"], row["language"], row["license"], row["resource_type"],
                listed(row["education_level"]), listed(row["subjects"]), row["url"],
                row["format"], row["country"], row["deleted"]) == (
            title, language, licence, kind, levels, subjects, site + url, "schema.org", "EE",
            0), path
    estonian = records[f"{site}/et/murdude-liitmine"]
    assert (estonian["publisher"], estonian["access"], estonian["date"],
            estonian["datestamp"]) == ("Haridus- ja Noorteamet", "open", "2023-09-01",
                                       "2024-03-01")  # no dateModified: the sitemap's lastmod
    book = records[f"{site}/lv/latviesu-valoda"]
    assert json.loads(book["creators"]) == ["Anna Bērziņa", "Jānis Kalniņš"]
    assert json.loads(book["identifiers"]) == ["978-9934-0-1234-5"]
    assert book["datestamp"] == "2024-01-10T10:00:00Z"  # dateModified beats lastmod
    assert records[f"{site}/ru/video-urok"]["datestamp"] is None  # no date at all
    assert json.loads(records[f"{site}/uk/tvorcha-robota"]["creators"]) == ["Олена Коваль"]
    raw = json.loads(query(db, "SELECT raw FROM raw_records JOIN records ON records.id = "
                               "record_id WHERE identifier = ?", (f"{site}/lv/latviesu-valoda",)
                           )[0]["raw"])
    assert raw["@type"] == ["Book"] and raw["author"][1]["familyName"] == "Kalniņš"
    assert (run["records_new"], run["records_unchanged"]) == (7, 0)

    # Second run: only the page whose lastmod moved is fetched again (and the sitemaps);
    # the page without a lastmod is asked for conditionally and answers 304.
    website.reset_log()
    changed = dict(PAGES, **{"/et/murdude-liitmine": (learning_resource("Murdude liitmine"),
                                                      "2024-04-15")})
    build_site(website, changed)
    harvest(run_oerhub)
    run = runs(db)[-1]
    assert run["status"] == "ok", run["error"]
    assert website.fetched() == SITEMAPS + ["/et/murdude-liitmine"]
    assert "/ru/video-urok" in website.paths()  # the conditional GET, answered 304
    assert (run["mode"], run["harvest_from"]) == ("incremental", "2024-03-02")  # newest lastmod
    assert (run["records_new"], run["records_updated"], run["records_unchanged"],
            run["records_deleted"]) == (0, 1, 6, 0)
    assert rows_by_id(db)[f"{site}/et/murdude-liitmine"]["title"] == "Murdude liitmine"
    assert rows_by_id(db)[f"{site}/et/murdude-liitmine"]["datestamp"] == "2024-04-15"

    # Third run: one page left the sitemap, one answers 404 (its lastmod moved): both go.
    website.reset_log()
    del changed["/uk/tvorcha-robota"]
    changed["/lv/latviesu-valoda"] = (BOOK, "2024-05-01")
    build_site(website, changed)
    del website.pages["/lv/latviesu-valoda"]
    harvest(run_oerhub)
    run = runs(db)[-1]
    assert run["status"] == "ok", run["error"]
    assert website.fetched() == SITEMAPS + ["/lv/latviesu-valoda"]  # the 404
    assert run["records_deleted"] == 2
    records = rows_by_id(db)
    assert records[f"{site}/uk/tvorcha-robota"]["deleted"] == 1
    assert records[f"{site}/lv/latviesu-valoda"]["deleted"] == 1
    assert sum(1 for r in records.values() if not r["deleted"]) == 5
    assert "1 listed page(s) answered 404/410" in run["warnings"]
    pages = {r["url"]: json.loads(r["identifiers"]) for r in query(
        db, "SELECT url, identifiers FROM web_pages")}
    assert pages[f"{site}/uk/tvorcha-robota"] == [] and pages[f"{site}/lv/latviesu-valoda"] == []


def test_max_pages_stops_and_the_next_run_goes_on(tmp_path, website, write_config, run_oerhub):
    build_site(website)
    config(write_config, website, max_pages=6)  # 3 sitemaps + 3 pages a run
    db = tmp_path / "oerhub.db"
    fetched_pages = []
    for _ in range(3):
        website.reset_log()
        harvest(run_oerhub)
        run = runs(db)[-1]
        assert run["status"] == "ok", run["error"]
        assert website.fetched()[:3] == SITEMAPS
        fetched_pages.append(website.fetched()[3:])
    assert fetched_pages == [HARVESTED[:3], HARVESTED[3:6], HARVESTED[6:]]  # none twice
    first, last = runs(db)[0], runs(db)[-1]
    assert "stopped at max_pages = 6 pages fetched" in first["warnings"]
    assert first["records_new"] == 2  # the third page is /about, with no resource
    assert "/ru/video-urok" in website.paths()  # the last run's spare budget: a 304
    assert last["warnings"] is None or "max_pages" not in last["warnings"]
    assert len([r for r in rows_by_id(db).values() if not r["deleted"]]) == 7


def test_pages_that_lost_their_metadata_fail_the_run(tmp_path, website, write_config,
                                                     run_oerhub):
    pages = {p: PAGES[p] for p in ("/et/murdude-liitmine", "/uk/kurs-algebry", "/about")}
    build_site(website, pages)
    config(write_config, website)
    db, site = tmp_path / "oerhub.db", website.url
    harvest(run_oerhub)
    assert runs(db)[-1]["status"] == "ok"

    bare = {path: (page(body="<h1>Murdude liitmine</h1><p>Uus kujundus</p>"), "2024-06-01")
            for path in pages}
    for _ in range(2):  # nothing empty was stored: the next run reads the pages again
        website.reset_log()
        build_site(website, bare)
        result = run_oerhub("harvest", "--source", SOURCE)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        run = runs(db)[-1]
        assert run["status"] == "failed"
        assert "none of the 3 page(s) fetched carried schema.org JSON-LD, microdata or RDFa" \
            in run["error"]
        assert "LearningResource" in run["error"] and "markup" in run["error"]
        assert f"e.g. {site}/et/murdude-liitmine" in run["error"]
        assert website.fetched() == SITEMAPS + list(pages)
    records = rows_by_id(db)
    assert len(records) == 2 and not any(r["deleted"] for r in records.values())
    assert records[f"{site}/et/murdude-liitmine"]["title"] == "Murdude liitmine ja lahutamine"

    # A new source whose pages never carried metadata fails on its first run as well.
    write_config(source_toml("ee-bare", f"{site}/sitemap_index.xml", country="EE",
                             protocol="sitemap", delay=0), settings=SETTINGS)
    assert run_oerhub("harvest", "--source", "ee-bare").returncode != 0
    run = runs(db)[-1]
    assert (run["source_id"], run["status"]) == ("ee-bare", "failed")
    assert "none of the 3 page(s) fetched carried schema.org" in run["error"]


def test_sources_check_reads_robots_sitemap_and_first_page(tmp_path, website, write_config,
                                                           run_oerhub):
    build_site(website)
    write_config(source_toml("ee-root", f"{website.url}/", country="EE", protocol="sitemap",
                             delay=0),
                 source_toml("ee-missing", f"{website.url}/no-sitemap.xml", country="EE",
                             protocol="sitemap", delay=0))

    result = run_oerhub("sources", "check", "--source", "ee-root", "--json")

    assert result.returncode == 0, result.stdout + result.stderr
    [check] = json.loads(result.stdout)
    assert check["ok"] is True, check
    details = check["details"]
    assert details["sitemap"] == f"{website.url}/sitemap_index.xml"  # from robots.txt
    assert details["sitemaps_listed"] == 2
    assert details["first_sitemap"] == f"{website.url}/sitemaps/pages.xml"
    assert (details["pages_in_first_sitemap"], details["with_lastmod"]) == (6, 6)
    assert details["first_page"] == f"{website.url}/et/murdude-liitmine"
    assert (details["resources_on_first_page"], details["types_on_first_page"]) == (
        1, ["LearningResource"])
    assert not (tmp_path / "oerhub.db").exists()  # nothing stored

    result = run_oerhub("sources", "check", "--source", "ee-missing")
    assert result.returncode != 0
    assert f"HTTP 404 from {website.url}/no-sitemap.xml: no sitemap there" in result.stdout


# --- the pieces ------------------------------------------------------------------------------


def kinds(html: str) -> list[tuple[Any, str]]:
    return [(n.get("@type"), n.get("name") or n.get("headline"))
            for n in extract_resources(html.encode(), "http://example.ee/page").nodes]


EMBEDDED = [
    ("graph-with-page-and-licence-node", page(json_ld({"@context": "https://schema.org",
                                                       "@graph": [
        {"@type": "WebPage", "@id": "#p", "name": "Leht"},
        {"@type": "LearningResource", "@id": "#lr", "name": "Õppetund", "license": {"@id": "#l"}},
        {"@type": "CreativeWork", "@id": "#l", "name": "CC BY 4.0"}]})),
     [("LearningResource", "Õppetund")]),
    ("nested-arrays-and-type-list", page(json_ld([[{"@context": "https://schema.org",
                                                    "@type": ["Course", "LearningResource"],
                                                    "name": "Курс"}],
                                                  {"@type": "BreadcrumbList", "name": "x"}])),
     [(["Course", "LearningResource"], "Курс")]),
    ("full-uri-keys-and-types", page(json_ld({
        "@type": "http://schema.org/Book", "http://schema.org/name": {"@value": "Grāmata"},
        "schema:inLanguage": "lv"})), [("Book", "Grāmata")]),
    ("webpage-with-lrmi-is-a-resource", page(json_ld({
        "@context": "https://schema.org", "@type": "WebPage", "name": "Tund",
        "educationalLevel": "Põhikool"})), [("WebPage", "Tund")]),
    ("webpage-without-lrmi-is-not", page(json_ld({
        "@context": "https://schema.org", "@type": "WebPage", "name": "Avaleht"})), []),
    ("main-entity-of-a-page", page(json_ld({
        "@context": "https://schema.org", "@type": "ItemPage", "name": "Leht",
        "mainEntity": {"@type": "VideoObject", "name": "Видео"}})), [("VideoObject", "Видео")]),
    ("no-name-no-record", page(json_ld({"@context": "https://schema.org",
                                        "@type": "CreativeWork"})), []),
    ("image-and-news-are-not-resources", page(json_ld([
        {"@context": "https://schema.org", "@type": "ImageObject", "name": "logo"},
        {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Uudis"}])), []),
    ("one-broken-script-of-two", page(
        '<script type="application/ld+json">{"@type": "Quiz", "name": </script>'
        + json_ld({"@context": "https://schema.org", "@type": "Quiz", "name": "Test"})),
     [("Quiz", "Test")]),
    ("same-resource-in-json-ld-and-microdata", page(
        json_ld({"@context": "https://schema.org", "@type": "VideoObject", "name": "Video"}),
        '<div itemscope itemtype="http://schema.org/VideoObject">'
        '<span itemprop="name">Video</span></div>'), [("VideoObject", "Video")]),
    ("rdfa-http-vocabulary", page(body=(
        '<div vocab="http://schema.org/" typeof="Chapter"><span property="name">Nodaļa</span>'
        '<div property="isPartOf" typeof="Book"><span property="name">Grāmata</span></div>'
        "</div>")), [("Chapter", "Nodaļa")]),
    ("lesson-and-course-refer-to-each-other", page(json_ld({"@graph": [
        {"@type": "LearningResource", "@id": "#a", "name": "Tund", "isPartOf": {"@id": "#b"}},
        {"@type": "Course", "@id": "#b", "name": "Kursus", "hasPart": {"@id": "#a"}}]})),
     [("LearningResource", "Tund")]),
]


@pytest.mark.parametrize("html, expected", [(h, e) for _, h, e in EMBEDDED],
                         ids=[name for name, _, _ in EMBEDDED])
def test_embedded_resource_nodes(html: str, expected: list[tuple[Any, str]]) -> None:
    assert kinds(html) == expected


def test_rdfa_nodes_compact_the_same_way_every_time() -> None:
    """RDF has no order and blank nodes get new names each parse; the raw must not change."""
    html = CREATIVE_WORK.replace(
        '<span property="author" typeof="Person"><span property="name">Олена Коваль</span>',
        '<span property="author" typeof="Person"><span property="name">Олена Коваль</span>'
        '</span><span property="author" typeof="Person"><span property="name">Петро Бойко'
        '</span>')
    first, second = (extract_resources(html, "http://example.ua/p").nodes for _ in range(2))
    assert first == second
    [node] = first
    assert node == {
        "@type": "CreativeWork", "name": "Творча робота: українська писанка",
        "inLanguage": "uk", "license": "https://creativecommons.org/licenses/by/4.0/",
        "learningResourceType": "Практична робота", "educationalLevel": "Початкова освіта",
        "author": [{"@type": "Person", "name": "Олена Коваль"},
                   {"@type": "Person", "name": "Петро Бойко"}]}


def test_windows_1251_page_is_read_by_its_header_charset() -> None:
    html = page(json_ld({"@context": "https://schema.org", "@type": "Book",
                         "name": "Учебник истории"}), lang="ru").replace(
        '<meta charset="utf-8">', "")
    nodes = extract_resources(html.encode("cp1251"), "http://example.ru/p",
                              "text/html; charset=windows-1251").nodes
    assert [n["name"] for n in nodes] == ["Учебник истории"]


SITEMAP_SHAPES = [
    ("index", b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
              b"<loc> http://s.ee/a.xml </loc></sitemap></sitemapindex>",
     (["http://s.ee/a.xml"], [])),
    ("urlset-no-namespace", b"<urlset><url><loc>http://s.ee/p#top</loc><lastmod>2024-01-02T10:00"
                            b"+02:00</lastmod></url><url><loc>mailto:x@s.ee</loc></url></urlset>",
     ([], [("http://s.ee/p", "2024-01-02T08:00:00Z")])),
    ("text-sitemap", b"http://s.ee/a\n\nhttp://s.ee/b\n", ([], [("http://s.ee/a", None),
                                                               ("http://s.ee/b", None)])),
    ("broken-xml-read-as-far-as-it-goes", b"<urlset><url><loc>http://s.ee/a</loc></url><url><lo",
     ([], [("http://s.ee/a", None)])),
    ("html-is-not-a-sitemap", b"<!DOCTYPE html><html><body>Not found</body></html>", None),
    ("empty-urlset-is-a-sitemap", b"<urlset/>", ([], [])),
]


@pytest.mark.parametrize("body, expected", [(b, e) for _, b, e in SITEMAP_SHAPES],
                         ids=[name for name, _, _ in SITEMAP_SHAPES])
def test_parse_sitemap(body: bytes, expected: Any) -> None:
    assert parse_sitemap(body, "http://s.ee/sitemap.xml") == expected


@pytest.mark.parametrize("urls, expected", [
    (["http://s.ee/x"], ["P"]),  # one node: the page, whatever its url says
    (["http://s.ee/a", "http://s.ee/b"], ["http://s.ee/a", "http://s.ee/b"]),
    (["http://s.ee/a", None], ["http://s.ee/a", "P#2"]),
    (["http://s.ee/a", "http://s.ee/a"], ["P#1", "P#2"]),
])
def test_identifiers_of_a_page(urls: list[str | None], expected: list[str]) -> None:
    nodes = [{"@type": "LearningResource", "name": "n", **({"url": u} if u else {})}
             for u in urls]
    assert identifiers_for("P", nodes) == expected
