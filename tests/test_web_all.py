"""Issue 4's "done when": one `oerhub harvest` of one source per protocol into one catalogue.

An OAI-PMH repository and a website on 127.0.0.1 (a sitemap with JSON-LD pages, an Atom feed,
an Open edX course API and an HTML-only portal, under one robots.txt) carry the same kind of
resource with the language and licence spelt differently in each. They must come out
normalised the same way, and a second run must fetch only what changed.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from conftest import query, source_toml

from oerhub.demo.samples import SampleRecord, SampleRepository

CC_BY_SA = "https://creativecommons.org/licenses/by-sa/4.0/"
ATOM = "application/atom+xml; charset=utf-8"


def oai_repository() -> SampleRepository:
    records = [SampleRecord(
        f"oai:oai.example:{n}", datetime(2024, 3, n),
        {"title": [title], "language": ["ukr"], "rights": [CC_BY_SA], "type": ["Textbook"],
         "identifier": [f"https://oai.example/handle/{n}"]})
        for n, title in ((1, "Фізика. Підручник для 7 класу"),
                         (2, "Хімія. Підручник для 8 класу"))]
    return SampleRepository("oai", records)


def json_ld_page(title: str) -> str:
    node = {"@context": "https://schema.org", "@type": "LearningResource", "name": title,
            "inLanguage": "uk-UA", "license": CC_BY_SA, "learningResourceType": "textbook"}
    return (f'<html lang="uk"><head><title>{title}</title><script type="application/ld+json">'
            f"{json.dumps(node, ensure_ascii=False)}</script></head><body><h1>{title}</h1>"
            "</body></html>")


def atom_feed(site: str) -> str:
    entries = "".join(
        f'<entry xml:lang="uk"><id>urn:lesson:{n}</id><title>{title}</title>'
        f'<link href="{site}/lessons/{n}"/><link rel="license" href="{CC_BY_SA}"/>'
        f"<updated>2024-05-0{n}T10:00:00Z</updated><summary>Урок</summary></entry>"
        for n, title in ((1, "Урок геометрії: трикутники"), (2, "Урок алгебри: рівняння")))
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>Уроки</title><id>urn:lessons</id><updated>2024-05-02T10:00:00Z</updated>'
            f"{entries}</feed>")


def edx_courses(site: str) -> str:
    results = [{"id": f"course-v1:KPI+{n}+2024", "course_id": f"course-v1:KPI+{n}+2024",
                "name": name, "short_description": "Відкритий курс", "org": "KPI",
                "number": str(n), "start": "2024-02-01T00:00:00Z", "end": None,
                "blocks_url": f"{site}/api/courses/v1/blocks/?course_id=course-v1%3AKPI%2B{n}",
                "media": {}, "pacing": "self", "hidden": False, "invitation_only": False}
               for n, name in ((1, "Програмування на Python"), (2, "Основи статистики"))]
    return json.dumps({"results": results, "pagination": {
        "next": None, "previous": None, "count": 2, "num_pages": 1}}, ensure_ascii=False)


def html_item(title: str) -> str:
    return (f'<html lang="uk"><head><meta name="description" content="Посібник">'
            f'</head><body><h1 class="title">{title}</h1>'
            f'<a rel="license" href="{CC_BY_SA}">CC BY-SA 4.0</a></body></html>')


def build_site(website: Any) -> None:
    site = website.url
    website.add("/robots.txt", "User-agent: *\nDisallow: /portal/private/\n", "text/plain")
    website.add("/sitemap.xml", (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{site}/pages/biology</loc><lastmod>2024-06-01</lastmod></url>"
        f"<url><loc>{site}/pages/history</loc><lastmod>2024-06-02</lastmod></url>"
        "</urlset>"), "application/xml")
    website.add("/pages/biology", json_ld_page("Біологія. Посібник для 9 класу"))
    website.add("/pages/history", json_ld_page("Історія України. Посібник для 10 класу"))
    website.add("/feed.xml", atom_feed(site), ATOM)
    website.add("/api/courses/v1/courses/?page_size=100", edx_courses(site), "application/json")
    website.add("/portal/list", (
        '<html><body><ul><li><a class="item" href="/portal/item/1">1</a></li>'
        '<li><a class="item" href="/portal/item/2">2</a></li>'
        '<li><a class="item" href="/portal/private/3">3</a></li></ul></body></html>'))
    website.add("/portal/item/1", html_item("Географія. Атлас для 6 класу"))
    website.add("/portal/item/2", html_item("Астрономія. Посібник для 11 класу"))
    website.add("/portal/private/3", html_item("Не для роботів"))


def registry(write_config: Any, website: Any, oai_url: str) -> Path:
    site = website.url
    html = ("[sources.html]\nitems = \"a.item\"\n[sources.html.fields]\n"
            "title = \"h1.title\"\ndescription = \"meta[name=description] @content\"\n"
            "language = \"//html/@lang\"\nlicense = \"a[rel=license] @href\"\n")
    return write_config(
        source_toml("ua-oai", oai_url),
        source_toml("ua-sitemap", f"{site}/sitemap.xml", protocol="sitemap", delay=0),
        source_toml("ua-feed", f"{site}/feed.xml", protocol="feed", delay=0),
        source_toml("ua-edx", f"{site}/api/courses/v1/courses/", protocol="json-api",
                    adapter="openedx", delay=0),
        source_toml("ua-portal", f"{site}/portal/list", protocol="html", delay=0) + html)


def test_one_harvest_of_every_protocol_into_one_catalogue(tmp_path, website, oai_server,
                                                          write_config, run_oerhub):
    build_site(website)
    server = oai_server(oai_repository())
    registry(write_config, website, server.url("oai"))

    first = run_oerhub("harvest")
    assert first.returncode == 0, first.stdout + first.stderr

    db = tmp_path / "oerhub.db"
    rows = query(db, "SELECT r.*, s.protocol FROM records r JOIN sources s ON s.id = r.source_id "
                     "WHERE r.deleted = 0 ORDER BY r.source_id, r.identifier")
    by_source: dict[str, list[Any]] = {}
    for row in rows:
        by_source.setdefault(row["source_id"], []).append(row)
    assert {s: len(r) for s, r in by_source.items()} == {
        "ua-oai": 2, "ua-sitemap": 2, "ua-feed": 2, "ua-edx": 2, "ua-portal": 2}
    assert {row["protocol"] for row in rows} == {"oai-pmh", "sitemap", "feed", "json-api", "html"}
    assert {row["format"] for row in rows} == {"oai_dc", "schema.org", "feed", "openedx", "html"}

    # "ukr", "uk-UA", xml:lang "uk" and <html lang="uk"> are one language; a CC URL written in
    # dc:rights, JSON-LD, an Atom link or an HTML link is one SPDX licence. (Open edX's course
    # API has neither: those records say nothing rather than guess.)
    described = [row for row in rows if row["source_id"] != "ua-edx"]
    assert {row["language"] for row in described} == {"uk"}
    assert {row["license"] for row in described} == {"CC-BY-SA-4.0"}
    assert {row["language_raw"] for row in described} == {"ukr", "uk-UA", "uk"}
    assert all(row["country"] == "UA" and row["url"].startswith("http") for row in rows)
    assert {row["title"] for row in by_source["ua-portal"]} == {
        "Географія. Атлас для 6 класу", "Астрономія. Посібник для 11 класу"}
    assert {row["title"] for row in by_source["ua-edx"]} == {
        "Програмування на Python", "Основи статистики"}
    assert {row["resource_type"] for row in by_source["ua-sitemap"]} == {
        row["resource_type"] for row in by_source["ua-oai"]}
    raw_count = query(db, "SELECT COUNT(*) FROM raw_records x JOIN records r ON r.id = "
                          "x.record_id WHERE x.raw IS NOT NULL")[0][0]
    assert raw_count == 10  # every record keeps what the source sent

    # robots.txt: the private item page was never requested, and the run says so.
    assert "/portal/private/3" not in website.paths()
    warnings = query(db, "SELECT warnings FROM harvest_runs WHERE source_id = 'ua-portal'")
    assert "/portal/private/3" in warnings[0]["warnings"]
    # Every web request named oerhub and its contact.
    agents = {r.headers.get("User-Agent", "") for r in website.requests}
    assert all(a.startswith("oerhub/") and "mailto:tests@example.org" in a for a in agents)

    # Second run: nothing changed but one sitemap page (new lastmod, new title).
    website.pages["/sitemap.xml"].body = website.pages["/sitemap.xml"].body.replace(
        b"2024-06-02", b"2024-07-01")
    website.add("/pages/history", json_ld_page("Історія України. Посібник для 10 класу (2024)"))
    website.reset_log()
    second = run_oerhub("harvest")
    assert second.returncode == 0, second.stdout + second.stderr

    bodies = website.fetched()
    assert "/pages/history" in bodies
    # Listings are read again (the sitemap in full; the html list page fresh); everything else
    # is either skipped by lastmod or answered 304 with no body.
    assert sorted(bodies) == ["/pages/history", "/portal/list", "/sitemap.xml"]
    runs = {row["source_id"]: row for row in query(
        db, "SELECT * FROM harvest_runs WHERE id IN (SELECT MAX(id) FROM harvest_runs "
            "GROUP BY source_id)")}
    assert {s: (r["status"], r["records_new"], r["records_updated"], r["records_deleted"])
            for s, r in runs.items()} == {
        "ua-oai": ("ok", 0, 0, 0), "ua-sitemap": ("ok", 0, 1, 0), "ua-feed": ("ok", 0, 0, 0),
        "ua-edx": ("ok", 0, 0, 0), "ua-portal": ("ok", 0, 0, 0)}
    assert runs["ua-portal"]["records_unchanged"] == 2
    assert runs["ua-sitemap"]["records_unchanged"] == 1
    assert query(db, "SELECT title FROM records WHERE identifier LIKE '%/pages/history'"
                 )[0][0] == "Історія України. Посібник для 10 класу (2024)"
