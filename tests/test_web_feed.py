"""`oerhub harvest` of RSS and Atom feeds end to end, against a feed site on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from conftest import latest_run, query, rows_by_id, source_toml

from harvesters.feed import FeedHarvester, entry_dict, parse_feed
from harvesters.web import Fetched
from oerhub.errors import ExtractionFailed
from oerhub.http import HttpClient, Response
from oerhub.models import HarvestState, PageState, Record
from oerhub.normalize.feed import map_into
from oerhub.registry import Source

ATOM = "application/atom+xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
LESSONS = "/atom/lessons.xml"


def atom_entry(n: int, title: str, updated: str, lang: str | None = None,
               extra: str = "") -> str:
    lang_attr = f' xml:lang="{lang}"' if lang else ""
    return (f'<entry{lang_attr}><id>tag:school.example,2024:lesson-{n}</id>'
            f'<title>{title}</title><updated>{updated}</updated>'
            f'<link rel="alternate" href="/uroky/{n}"/>{extra}'
            f'<summary>Опис уроку {n}</summary></entry>')


def atom_page(entries: list[str], next_page: int | None = None) -> str:
    """One page of a paged Atom feed (RFC 5005), Ukrainian by default, CC BY-SA rights."""
    nxt = f'<link rel="next" href="{LESSONS}?page={next_page}"/>' if next_page else ""
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xml:lang="uk">'
            '<title>Уроки онлайн</title><id>tag:school.example,2024:lessons</id>'
            '<updated>2024-03-07T09:00:00Z</updated>'
            f'<link rel="self" href="{LESSONS}"/>{nxt}'
            '<rights>Creative Commons Attribution-ShareAlike 4.0 International</rights>'
            + "".join(entries) + "</feed>")


CC_BY = '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/"/>'
ENTRIES = {
    7: atom_entry(7, "Дроби: додавання і віднімання", "2024-03-07T09:00:00+02:00",
                  extra=CC_BY + "<dc:type>Урок</dc:type>"),
    6: atom_entry(6, "Электрическая цепь", "2024-03-06T10:00:00Z", lang="ru",
                  extra='<link rel="enclosure" type="video/mp4" href="/video/6.mp4"/>'),
    5: atom_entry(5, "Відмінювання іменників", "2024-03-05T10:00:00Z"),
    4: atom_entry(4, "Фотосинтез", "2024-03-04T10:00:00Z", lang="ru",
                  extra="<dc:type>Видеоурок</dc:type>"),
    3: atom_entry(3, "Степени числа", "2024-03-03T10:00:00Z", lang="ru"),
    2: atom_entry(2, "Українська мова: наголос", "2024-03-02T10:00:00Z"),
    1: atom_entry(1, "Таблиця множення", "2024-03-01T10:00:00Z"),
}


def lessons_site(website, pages: list[list[int]], entries: dict[int, str] = ENTRIES) -> None:
    for index, numbers in enumerate(pages, start=1):
        path = LESSONS if index == 1 else f"{LESSONS}?page={index}"
        website.add(path, atom_page([entries[n] for n in numbers],
                                    index + 1 if index < len(pages) else None), ATOM)


def feed_source(website, source_id: str = "ua-lessons", path: str = LESSONS, **extra) -> str:
    return source_toml(source_id, website.url + path, protocol="feed", delay=0, **extra)


def test_paged_atom_feed_is_harvested_and_normalised(tmp_path, website, write_config,
                                                     run_oerhub):
    lessons_site(website, [[7, 6, 5], [4, 3], [2, 1]])
    write_config(feed_source(website))

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    assert website.fetched() == [LESSONS, f"{LESSONS}?page=2", f"{LESSONS}?page=3"]
    db = tmp_path / "oerhub.db"
    rows = rows_by_id(db)
    assert len(rows) == 7
    seven = rows["tag:school.example,2024:lesson-7"]
    assert seven["title"] == "Дроби: додавання і віднімання"
    assert seven["language"] == "uk" and seven["country"] == "UA"
    assert (seven["license"], seven["license_url"]) == (
        "CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/")
    assert seven["resource_type"] == "lesson"
    assert seven["url"] == website.url + "/uroky/7"
    assert seven["datestamp"] == "2024-03-07T07:00:00Z"  # +02:00 made UTC
    assert seven["format"] == "feed"
    assert seven["description"] == "Опис уроку 7"
    six = rows["tag:school.example,2024:lesson-6"]
    assert (six["title"], six["language"]) == ("Электрическая цепь", "ru")
    assert six["resource_type"] == "video"  # from the enclosure's type, having no dc:type
    # An entry without its own licence has the feed's <rights> (RFC 4287 4.2.10).
    assert six["license"] == "CC-BY-SA-4.0"
    assert rows["tag:school.example,2024:lesson-4"]["resource_type"] == "video"  # Видеоурок
    assert {r["language"] for r in rows.values()} == {"uk", "ru"}
    raw = json.loads(query(db, "SELECT raw FROM raw_records JOIN records ON records.id = "
                               "record_id WHERE identifier = ?", (seven["identifier"],))[0]["raw"])
    assert raw["title"] == seven["title"] and raw["language"] == "uk"
    assert raw["license"] == ["https://creativecommons.org/licenses/by/4.0/"]
    run = latest_run(db)
    assert (run["status"], run["records_new"]) == ("ok", 7)
    assert run["next_from"] == "2024-03-07T07:00:00Z"  # the newest entry: where paging stops


def test_second_run_stops_paging_at_known_entries(tmp_path, website, write_config, run_oerhub):
    lessons_site(website, [[7, 6, 5], [4, 3], [2, 1]])
    write_config(feed_source(website))
    assert run_oerhub("harvest").returncode == 0
    entries = {**ENTRIES, 8: atom_entry(8, "Повторення: дроби", "2024-03-08T08:00:00Z")}
    entries[7] = entries[7].replace("Дроби: додавання і віднімання", "Дроби: додавання") \
        .replace("2024-03-07T09:00:00+02:00", "2024-03-08T09:00:00Z")
    lessons_site(website, [[8, 7, 6], [5, 4], [3, 2, 1]], entries)  # page 3's body changes too
    website.reset_log()

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    # Page 2 holds only entries older than the last run's newest: page 3 is not asked for.
    assert website.paths() == ["/robots.txt", LESSONS, f"{LESSONS}?page=2"]
    db = tmp_path / "oerhub.db"
    rows = rows_by_id(db)
    assert rows["tag:school.example,2024:lesson-8"]["title"] == "Повторення: дроби"
    assert rows["tag:school.example,2024:lesson-7"]["title"] == "Дроби: додавання"
    run = latest_run(db)
    assert (run["mode"], run["records_new"], run["records_updated"],
            run["records_unchanged"]) == ("incremental", 1, 1, 3)
    assert run["next_from"] == "2024-03-08T09:00:00Z"
    website.reset_log()

    third = run_oerhub("harvest")  # nothing changed: the first page answers 304

    assert third.returncode == 0, third.stderr
    assert website.fetched() == []
    run = latest_run(db)
    assert (run["records_new"], run["records_updated"], run["records_unchanged"]) == (0, 0, 3)


def test_rss_feed_with_dc_language_and_rights(tmp_path, website, write_config, run_oerhub):
    website.add("/rss/materjalid.xml", """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:creativeCommons="http://backend.userland.com/creativeCommonsRssModule">
<channel><title>Õppematerjalid</title><link>https://kool.example.ee/</link>
<language>et</language><description>Uued materjalid</description>
<item><title>Murdude liitmine ja lahutamine</title>
  <link>https://kool.example.ee/m/101</link><guid isPermaLink="false">mat-101</guid>
  <pubDate>Tue, 05 Mar 2024 12:00:00 +0200</pubDate>
  <description>&lt;p&gt;Harjutused 5. klassile&lt;/p&gt;</description>
  <dc:rights>CC BY-NC 4.0</dc:rights><dc:creator>Mari Maasikas</dc:creator>
  <category>Matemaatika</category><dc:type>Õpik</dc:type></item>
<item><title>Ķīmija 8. klasei: vielu īpašības</title>
  <link>https://skola.example.lv/k/8</link>
  <pubDate>Mon, 04 Mar 2024 08:30:00 GMT</pubDate><dc:language>lv</dc:language>
  <creativeCommons:license>http://creativecommons.org/licenses/by-sa/4.0/</creativeCommons:license>
  <enclosure url="https://skola.example.lv/k/8.mp4" type="video/mp4" length="1000"/></item>
</channel></rss>""", RSS)
    write_config(feed_source(website, "ee-materjalid", "/rss/materjalid.xml", country="EE"))

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    rows = rows_by_id(tmp_path / "oerhub.db")
    et = rows["mat-101"]  # the guid
    assert (et["title"], et["language"], et["license"]) == (
        "Murdude liitmine ja lahutamine", "et", "CC-BY-NC-4.0")  # channel <language>
    assert et["description"] == "Harjutused 5. klassile"
    assert et["resource_type"] == "textbook" and et["resource_type_raw"] == "Õpik"
    assert json.loads(et["creators"]) == ["Mari Maasikas"]
    assert json.loads(et["subjects"]) == ["Matemaatika"]
    assert et["datestamp"] == "2024-03-05T10:00:00Z"
    lv = rows["https://skola.example.lv/k/8"]  # no guid: the link identifies it
    assert (lv["title"], lv["language"], lv["license"]) == (
        "Ķīmija 8. klasei: vielu īpašības", "lv", "CC-BY-SA-4.0")
    assert (lv["resource_type"], lv["url"]) == ("video", "https://skola.example.lv/k/8")
    again = run_oerhub("renormalize")  # the stored entries map to the same records
    assert again.returncode == 0, again.stderr
    assert "2 records normalised again, 0 changed" in again.stdout


def test_max_pages_stops_and_the_next_run_reads_the_rest(tmp_path, website, write_config,
                                                         run_oerhub):
    lessons_site(website, [[7, 6, 5], [4, 3], [2, 1]])
    write_config(feed_source(website, max_pages=2))

    first = run_oerhub("harvest")

    assert first.returncode == 0, first.stderr
    db = tmp_path / "oerhub.db"
    assert len(rows_by_id(db)) == 5
    run = latest_run(db)
    assert run["status"] == "ok" and "stopped at max_pages = 2" in run["warnings"]
    website.reset_log()

    second = run_oerhub("harvest")

    assert second.returncode == 0, second.stderr
    assert website.fetched() == [f"{LESSONS}?page=3"]  # the head answered 304, then page 3
    assert len(rows_by_id(db)) == 7
    website.reset_log()
    assert run_oerhub("harvest").returncode == 0
    assert website.fetched() == []  # all read: nothing left to go back to


def test_robots_txt_keeps_a_feed_page_out(tmp_path, website, write_config, run_oerhub):
    lessons_site(website, [[7, 6, 5], [4, 3], [2, 1]])
    website.add("/robots.txt", "User-agent: *\nDisallow: /atom/lessons.xml?page=3\n",
                "text/plain")
    write_config(feed_source(website))

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    assert f"{LESSONS}?page=3" not in website.paths()
    db = tmp_path / "oerhub.db"
    assert len(rows_by_id(db)) == 5
    assert "robots.txt disallows 1 URL(s)" in latest_run(db)["warnings"]
    assert "?page=3" in latest_run(db)["warnings"]


def test_an_html_page_instead_of_the_feed_fails_the_run(tmp_path, website, write_config,
                                                        run_oerhub):
    website.add("/news/feed", "<!DOCTYPE html><html><head><title>Сторінку переміщено</title>"
                "</head><body>…</body></html>")
    write_config(feed_source(website, "ua-moved", "/news/feed"))

    result = run_oerhub("harvest")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    run = latest_run(tmp_path / "oerhub.db")
    assert run["status"] == "failed"
    assert website.url + "/news/feed" in run["error"]
    assert "HTML page titled 'Сторінку переміщено'" in run["error"]
    assert "RSS or Atom feed" in run["error"]
    assert query(tmp_path / "oerhub.db", "SELECT COUNT(*) AS n FROM records")[0]["n"] == 0


def test_sources_check_reads_the_first_page(website, write_config, run_oerhub):
    lessons_site(website, [[7, 6, 5], [4, 3], [2, 1]])
    write_config(feed_source(website))

    result = run_oerhub("sources", "check", "--source", "ua-lessons", "--json")

    assert result.returncode == 0, result.stderr
    [check] = json.loads(result.stdout)
    assert check["ok"] is True
    assert check["details"]["formats"] == ["atom10"]
    assert check["details"]["entries"] == 3
    assert check["details"]["next"] == f"{website.url}{LESSONS}?page=2"
    assert check["details"]["newest_entry"] == "2024-03-07T07:00:00Z"
    assert website.fetched() == [LESSONS]


RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://lib.example.by/rss"><title>Library</title>
<link>https://lib.example.by/</link><description>New</description><dc:language>be</dc:language>
</channel>
<item rdf:about="https://lib.example.by/item/5"><title>Item five</title>
<link>https://lib.example.by/item/5</link><dc:date>2024-02-01T10:00:00Z</dc:date>
<dc:rights>https://creativecommons.org/publicdomain/zero/1.0/</dc:rights></item>
</rdf:RDF>"""


@pytest.mark.parametrize(("body", "expected"), [
    (RSS1, {"id": "https://lib.example.by/item/5", "language": "be",
            "updated": "2024-02-01T10:00:00Z", "license": "CC0-1.0", "title": "Item five"}),
    (atom_page([ENTRIES[6]]).encode(), {
        "id": "tag:school.example,2024:lesson-6", "language": "ru",
        "updated": "2024-03-06T10:00:00Z", "license": "CC-BY-SA-4.0",
        "title": "Электрическая цепь"}),
    (atom_page([ENTRIES[7]]).encode(), {
        "id": "tag:school.example,2024:lesson-7", "language": "uk",
        "updated": "2024-03-07T07:00:00Z", "license": "CC-BY-4.0",
        "title": "Дроби: додавання і віднімання"}),
])
def test_entry_fields_of_each_feed_kind(body, expected):
    url = "https://lib.example.by/rss"
    fetched = Fetched(url, Response(url, 200, {"Content-Type": "application/xml"}, body),
                      PageState(url))
    entry = entry_dict(parse_feed(fetched).entries[0], parse_feed(fetched).feed)
    record = Record("src", entry["id"], entry.get("updated"))
    map_into(entry, record)
    got = {"id": entry["id"], "language": entry["language"], "updated": entry.get("updated"),
           "license": record.license, "title": record.title}
    assert got == expected


def test_a_body_that_looks_like_a_path_is_not_opened(tmp_path):
    secret = tmp_path / "secret.xml"
    secret.write_text('<rss version="2.0"><channel><item><title>local file</title>'
                      "<guid>x</guid></item></channel></rss>", encoding="utf-8")
    url = "https://feeds.example.org/rss"
    fetched = Fetched(url, Response(url, 200, {}, str(secret).encode()), PageState(url))

    with pytest.raises(ExtractionFailed, match="expected an RSS or Atom feed"):
        parse_feed(fetched)  # feedparser would read the file if handed these bytes


def test_an_interrupted_run_goes_on_from_its_checkpoint(website):
    lessons_site(website, [[7, 6, 5], [4, 3], [2, 1]])
    source = Source("ua-lessons", "Lessons", "UA", "feed", website.url + LESSONS, delay=0)
    harvester = FeedHarvester(source, HttpClient(contact="mailto:tests@example.org", retries=0))
    checkpoint = {"protocol": "feed", "url": source.url, "since": None,
                  "newest": "2024-03-07T07:00:00Z", "todo": [[website.url + LESSONS + "?page=3",
                                                             "head"]]}

    batches = list(harvester.harvest(HarvestState(checkpoint=checkpoint)))

    assert website.fetched() == [f"{LESSONS}?page=3"]
    assert [r.identifier for b in batches for r in b.records] == [
        "tag:school.example,2024:lesson-2", "tag:school.example,2024:lesson-1"]
    assert batches[-1].checkpoint["todo"] == []
    assert harvester.next_since == "2024-03-07T07:00:00Z"  # the killed run's newest entry
