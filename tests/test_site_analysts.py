"""The analysts' pages of the site: the coverage dashboard (all 15 countries, unique resources
beside records, the offline map), /-/map/coverage.svg, /themes and /themes/<id>, and the
theme facet of the resources view.

The catalogue is stored through the store's own API (three sources in three countries, one
resource given by all three, records in several themes and languages, a deleted one) and
enriched by the real steps; every page is requested through Datasette's in-process client
on the instance `oerhub serve` runs, and every figure is checked against plain SQL on the
same file.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SiteClient, source_toml
from served import fetch, snapshot_serving

from oerhub.catalogue import Catalogue
from oerhub.enrich import STEPS
from oerhub.enrich.themes import load_themes
from oerhub.models import Batch, RawRecord, Record, RunProgress
from oerhub.publish.gateways import DASHBOARD_WORDS
from oerhub.publish.report import CIS_BALTIC
from oerhub.registry import load_config

PROJECT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
DOI = "https://doi.org/10.1234/teachers"
# (source, identifier, title, language, url, date, deleted)
RECORDS = [
    ("s-ua", "ua-1", "Підготовка вчителів початкових класів", "uk", DOI, "2023", False),
    ("s-ua", "ua-2", "Професійно-технічна освіта: зварювальник", "uk", None, "2024-03-01", False),
    ("s-ua", "ua-3", "Introduction to chemistry", "en", None, "2020", False),
    ("s-ua", "ua-4", "Інклюзивна освіта в школі", "uk", None, None, False),
    ("s-kz", "kz-1", "Подготовка учителей начальных классов", "ru", DOI, "2023", False),
    ("s-kz", "kz-2", "Электротехника для колледжей", "ru", None, "2022", False),
    ("s-kz", "kz-3", "Дистанционное обучение в колледже", "ru", None, "2021", False),
    ("s-ru", "ru-1", "Подготовка учителей начальных классов", "ru", DOI, "2023", False),
    ("s-ru", "ru-2", "Педагогика Крайнего Севера", "ru", None, "2019", False),
    ("s-ru", "ru-3", "Педагогика: удалённая запись", "ru", None, "2018", True),
]
COUNTRIES = {"s-ua": "UA", "s-kz": "KZ", "s-ru": "RU"}


def store(db: Path) -> None:
    with Catalogue(db) as catalogue:
        for source, country in COUNTRIES.items():
            run = catalogue.start_run(source, "full", None)
            recs = [Record(s, identifier, "2024-01-01", deleted=deleted, title=title,
                           language=language, country=country, url=url, date=date,
                           creators=["Іваненко, Олена"], license="CC-BY-4.0")
                    for s, identifier, title, language, url, date, deleted in RECORDS
                    if s == source]
            raws = [RawRecord(source, r.identifier, r.datestamp, r.deleted, "oai_dc", "<x/>")
                    for r in recs]
            catalogue.store_batch(RunProgress(run, source, 0, 0),
                                  Batch(raws, None, normalised=recs))
            catalogue.finish_run(run, source, "ok")
        for name in ("duplicates", "search", "themes"):
            STEPS[name](catalogue, None)


def build_catalogue(directory: Path) -> Path:
    """The catalogue of RECORDS in `directory` (also served by the browser journey)."""
    registry = directory / "sources.toml"
    registry.write_text("".join(
        source_toml(source, f"http://127.0.0.1:9/{source}", country,
                    **({"latitude": 50.45, "longitude": 30.52} if source == "s-ua" else {}))
        for source, country in COUNTRIES.items()), encoding="utf-8")
    db = directory / "oerhub.db"
    with Catalogue(db) as opened:
        opened.sync_sources(load_config(registry))
    store(db)
    return db


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_catalogue(tmp_path_factory.mktemp("analysts"))


@pytest.fixture(scope="module")
def site(catalogue: Path) -> Iterator[SiteClient]:
    served = SiteClient.serving(catalogue)
    yield served
    served.close()


def sql(db: Path, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def page(site: SiteClient, path: str, status: int = 200) -> str:
    response = site.get(path)
    for _ in range(3):  # Datasette redirects %-escapes in a path to its ~ escapes
        if response.status_code not in (301, 302):
            break
        response = site.get(response.headers["location"])
    assert response.status_code == status, (path, response.text[:800])
    return response.text


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def table(html: str, table_id: str) -> dict[str, list[str]]:
    """A table of ours: its rows' codes (data-code / data-country) -> the cells' texts."""
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for code, cells in re.findall(r'<tr[^>]*? data-(?:code|country|language)="([^"]*)"[^>]*>(.*?)</tr>',
                                  body, re.S):
        rows[code] = [re.sub(r"<[^>]+>", "", cell).strip()
                      for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]
    return rows


# --- the dashboard ------------------------------------------------------------------------------

def test_the_catalogue_has_what_the_tests_need(catalogue: Path) -> None:
    groups = sql(catalogue, "SELECT group_id, COUNT(*) FROM record_groups GROUP BY group_id")
    assert [n for _, n in groups] == [3]  # one resource, from all three sources
    assert {t for (t,) in sql(catalogue, "SELECT DISTINCT theme FROM record_themes")} >= {
        "teacher-education", "tvet", "ict-education", "inclusive-education"}


def test_dashboard_counts_unique_resources_beside_records(site: SiteClient,
                                                          catalogue: Path) -> None:
    html = page(site, "/-/dashboards/coverage")
    live = sql(catalogue, "SELECT COUNT(*) FROM records WHERE deleted = 0")[0][0]
    metric = {slug: number(value) for slug, value in
              re.findall(r'id="metric-([\w-]+)">([^<]+)<', html)}
    assert metric["resources"] == live == 9
    assert metric["unique"] == live - 2  # the three records of one resource count once
    assert metric["unique"] == sql(catalogue, "SELECT COUNT(*) FROM unique_resources")[0][0]
    assert metric["sources"] == 3 and metric["countries"] == 3


def test_dashboard_lists_all_15_countries_those_with_none_too(site: SiteClient,
                                                             catalogue: Path) -> None:
    html = page(site, "/-/dashboards/coverage")
    rows = table(html, "table-by-country")
    assert set(CIS_BALTIC) <= set(rows), set(CIS_BALTIC) - set(rows)
    records = dict(sql(catalogue, "SELECT country, COUNT(*) FROM records WHERE deleted = 0 "
                                  "GROUP BY country"))
    unique = dict(sql(catalogue, "SELECT country, COUNT(*) FROM unique_resources "
                                 "GROUP BY country"))
    for code in CIS_BALTIC:
        name, in_records, in_unique, _ = rows[code]
        assert (number(in_records), number(in_unique)) == (records.get(code, 0),
                                                           unique.get(code, 0)), code
        assert name != code  # a name, not a code
    assert rows["TM"][:3] == ["Turkmenistan", "0", "0"]
    # nothing from the network: no tile server, every script and style from this server
    assert "openstreetmap" not in html and "tileLayer" not in html
    assets = re.findall(r'<script[^>]* src="([^"]+)"', html) + re.findall(
        r'<link[^>]* href="([^"]+)"', html)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    # the map inline, shaded by records, every country labelled
    svg = "<svg" + html.split('class="oer-map-box"', 1)[1].split("<svg", 1)[1].split(
        "</svg>", 1)[0] + "</svg>"
    assert ET.fromstring(svg).get("role") == "img"


def test_dashboard_narrows_by_country_and_theme(site: SiteClient, catalogue: Path) -> None:
    html = page(site, "/-/dashboards/coverage?theme=teacher-education")
    in_theme = dict(sql(catalogue, "SELECT r.country, COUNT(*) FROM record_themes t JOIN "
                                   "records r ON r.id = t.record_id AND r.deleted = 0 WHERE "
                                   "t.theme = 'teacher-education' GROUP BY r.country"))
    rows = table(html, "table-by-country")
    assert {code: number(cells[1]) for code, cells in rows.items()} == {
        code: in_theme.get(code, 0) for code in CIS_BALTIC}
    assert '<option value="teacher-education" selected>' in html
    html = page(site, "/-/dashboards/coverage?country=KZ&lang=ru")
    assert list(table(html, "table-by-country")) == ["KZ"]
    assert "Казахстан" in html and '<html lang="ru">' in html
    assert re.search(r'id="metric-resources">3<', html)


@pytest.mark.parametrize("chart", ["resources", "unique", "map", "by-country", "licence-mix",
                                   "languages", "per-month"])
def test_each_chart_has_its_page(site: SiteClient, chart: str) -> None:
    """/-/dashboards/coverage/<chart> (the plugin's URL) draws the chart as the dashboard."""
    html = page(site, f"/-/dashboards/coverage/{chart}?country=UA&lang=ru")
    assert f'id="card-{chart}"' in html and "Охват" in html
    if chart == "by-country":
        assert list(table(html, "table-by-country")) == ["UA"]
    if chart == "map":
        assert 'class="oer-map"' in html
    if chart == "per-month":
        assert 'renderChart("per-month"' in html


def test_dashboard_words_are_marked_for_translation() -> None:
    metadata = yaml.safe_load((PROJECT / "config" / "metadata.yaml").read_text("utf-8"))
    dashboard = metadata["plugins"]["datasette-dashboards"]["coverage"]
    words = [dashboard["title"], dashboard["description"],
             *(f["name"] for f in dashboard["filters"].values())]
    for chart in dashboard["charts"].values():
        words.append(chart["title"])
        words += [c["title"] for c in (chart.get("display") or {}).get("columns", [])]
        words += [e["title"] for e in ((chart.get("display") or {}).get("encoding") or {})
                  .values()]
    assert set(words) <= set(DASHBOARD_WORDS), set(words) - set(DASHBOARD_WORDS)


# --- the map --------------------------------------------------------------------------------------

def map_figures(svg: str) -> dict[str, int]:
    """The country shapes' titles: name -> count."""
    root = ET.fromstring(svg)
    found = {}
    for path in root.iter(f"{SVG}path"):
        name, _, count = path.find(f"{SVG}title").text.rpartition(": ")
        found[name] = number(count)
    return found


def test_map_svg_has_every_country_and_nothing_from_outside(site: SiteClient,
                                                            catalogue: Path) -> None:
    response = site.get("/-/map/coverage.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = response.text
    root = ET.fromstring(svg)  # valid XML
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "Records per country"
    figures = map_figures(svg)
    assert len(figures) == 15
    records = dict(sql(catalogue, "SELECT country, COUNT(*) FROM records WHERE deleted = 0 "
                                  "GROUP BY country"))
    assert figures["Ukraine"] == records["UA"] and figures["Kazakhstan"] == records["KZ"]
    assert figures["Russia"] == records["RU"] and figures["Armenia"] == 0
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    texts += " ".join(t.text or "" for t in root.iter(f"{SVG}tspan"))
    for name in figures:  # every country labelled on the map with its name
        assert name in texts, name
    assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]
    assert "href" not in svg and "url(" not in svg
    assert len(list(root.iter(f"{SVG}circle"))) >= 1  # the one source with a place


def test_map_svg_narrowed_by_theme_in_russian(site: SiteClient, catalogue: Path) -> None:
    svg = page(site, "/-/map/coverage.svg?theme=tvet&lang=ru")
    in_theme = dict(sql(catalogue, "SELECT r.country, COUNT(*) FROM record_themes t JOIN "
                                   "records r ON r.id = t.record_id AND r.deleted = 0 WHERE "
                                   "t.theme = 'tvet' GROUP BY r.country"))
    figures = map_figures(svg)
    assert figures["Казахстан"] == in_theme.get("KZ", 0) and figures["Армения"] == 0
    assert "Профессионально-техническое образование" in svg


# --- the theme pages ------------------------------------------------------------------------------

def theme_totals(db: Path) -> dict[str, tuple[int, int]]:
    return {theme: (records, resources) for theme, records, resources in sql(
        db, "SELECT t.theme, COUNT(*), COUNT(DISTINCT COALESCE(g.group_id, r.id)) "
            "FROM record_themes t JOIN records r ON r.id = t.record_id AND r.deleted = 0 "
            "LEFT JOIN record_groups g ON g.record_id = r.id GROUP BY t.theme")}


def test_themes_page_lists_every_theme_with_its_counts(site: SiteClient, catalogue: Path) -> None:
    html = page(site, "/themes")
    totals = theme_totals(catalogue)
    for theme in load_themes().themes:
        item = html.split(f'id="theme-{theme.id}"', 1)[1].split("</li>", 1)[0]
        assert f'href="/themes/{theme.id}"' in item and theme.name("en") in item
        records, resources = totals.get(theme.id, (0, 0))
        assert f"{records} record" in item and f"{resources} unique resource" in item
    russian = page(site, "/themes?lang=ru")
    assert "Педагогическое образование" in russian and "Темы" in russian


def test_theme_page_counts_equal_record_themes(site: SiteClient, catalogue: Path) -> None:
    html = page(site, "/themes/teacher-education")
    theme = load_themes().get("teacher-education")
    assert theme.name("en") in html and theme.description("en") in html
    records, resources = theme_totals(catalogue)["teacher-education"]
    assert f"{records} records, {resources} unique resources" in html
    by_country = dict(sql(catalogue, "SELECT r.country, COUNT(*) FROM record_themes t JOIN "
                                     "records r ON r.id = t.record_id AND r.deleted = 0 WHERE "
                                     "t.theme = 'teacher-education' GROUP BY r.country"))
    rows = table(html, "theme-countries")
    assert set(rows) == set(CIS_BALTIC)
    assert {code: number(cells[1]) for code, cells in rows.items()} == {
        code: by_country.get(code, 0) for code in CIS_BALTIC}
    by_language = dict(sql(catalogue, "SELECT r.language, COUNT(*) FROM record_themes t JOIN "
                                      "records r ON r.id = t.record_id AND r.deleted = 0 WHERE "
                                      "t.theme = 'teacher-education' GROUP BY r.language"))
    assert {code: number(cells[1]) for code, cells in table(html, "theme-languages").items()} \
        == by_language
    # the most provided: the resource all three sources give, named by its group's record
    group = sql(catalogue, "SELECT group_id FROM record_groups LIMIT 1")[0][0]
    provided = html.split('id="theme-most-provided"', 1)[1].split("</ol>", 1)[0]
    assert f'href="/oerhub/records/{group}"' in provided and "given by 3 sources" in provided
    newest = html.split('id="theme-newest"', 1)[1].split("</ol>", 1)[0]
    assert "удалённая" not in newest  # deleted records are not in a theme's page
    assert 'name="themes__arraycontains" value="teacher-education"' in html
    assert page(site, "/themes/teacher-education?lang=uk").count("Педагогічна освіта") >= 2


@pytest.mark.parametrize("path", ["/themes/nope", "/themes/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                                  "/themes/tvet%27%20or%201%3D1--"])
def test_unknown_theme_is_404(site: SiteClient, path: str) -> None:
    html = page(site, path, 404)
    assert "<script>alert" not in html


# --- the theme facet ----------------------------------------------------------------------------

def facet(site: SiteClient, query: str) -> dict[str, int]:
    data = json.loads(page(site, f"/oerhub/resources.json?_facet_array=themes&{query}"))
    return {r["value"]: r["count"] for r in data["facet_results"]["themes"]["results"]}


def test_theme_facet_counts_with_and_without_search(site: SiteClient, catalogue: Path) -> None:
    assert facet(site, "_size=0") == {t: n for t, (n, _) in theme_totals(catalogue).items()}
    word = "подготовка"
    matched = {row[0] for row in sql(catalogue, "SELECT rowid FROM records_search WHERE "
                                                "records_search MATCH ?", (word,))}
    expected: dict[str, int] = {}
    for record_id, theme in sql(catalogue, "SELECT t.record_id, t.theme FROM record_themes t "
                                           "JOIN records r ON r.id = t.record_id AND "
                                           "r.deleted = 0"):
        if record_id in matched:
            expected[theme] = expected.get(theme, 0) + 1
    assert expected and facet(site, f"_search={urllib.parse.quote(word)}&_size=0") == expected
    data = json.loads(page(site, "/oerhub/resources.json?themes__arraycontains=tvet&_shape=objects"))
    assert sorted(r["id"] for r in data["rows"]) == sorted(r for (r,) in sql(
        catalogue, "SELECT record_id FROM record_themes t JOIN records r ON r.id = t.record_id "
                   "AND r.deleted = 0 WHERE theme = 'tvet'"))
    assert all("tvet" in json.loads(r["themes"]) for r in data["rows"])


def test_the_theme_facet_is_offered_by_default_with_names(site: SiteClient,
                                                          catalogue: Path) -> None:
    """Resources' own facets include the themes (read from record_themes, keyed by theme),
    counted as the array facet counts them, shown by name in the reader's language."""
    def default_facet(query: str) -> dict[str, int]:
        data = json.loads(page(site, f"/oerhub/resources.json?{query}"))
        return {r["value"]: r["count"] for r in data["facet_results"]["themes"]["results"]}

    totals = {t: n for t, (n, _) in theme_totals(catalogue).items()}
    assert totals and default_facet("_size=0") == totals == facet(site, "_size=0")
    word = urllib.parse.quote("подготовка")
    assert default_facet(f"_search={word}&_size=0") == facet(site, f"_search={word}&_size=0")
    assert default_facet("country=KZ&_size=0") == facet(site, "country=KZ&_size=0")
    russian = site.get("/oerhub/resources", headers={"Accept-Language": "ru"}).text
    english = site.get("/oerhub/resources").text
    assert 'id="facet-themes"' in russian
    assert "Профессионально-техническое образование" in russian
    assert "Technical and vocational education (TVET)" in english
    assert "themes__arraycontains=tvet" in english


def test_the_themes_column_comes_with_a_migration(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with Catalogue(db) as opened:
        opened.conn.execute("DROP VIEW resources")
        opened.conn.execute("CREATE VIEW resources AS SELECT id, title FROM records "
                            "WHERE deleted = 0")
        opened.conn.execute("PRAGMA user_version = 9")
    with Catalogue(db) as opened:
        columns = [row[1] for row in opened.conn.execute("PRAGMA table_info(resources)")]
    assert "themes" in columns and "openness" in columns


# --- hostile visitors ------------------------------------------------------------------------------

HOSTILE = ["country=%27%3B%20DROP%20TABLE%20records%3B--", "theme=%3Cscript%3Ealert(1)%3C/script%3E",
           "country=" + "A" * 5000, "theme[]=x&country[]=y", "country=%00%FF", "lang=%3Cx%3E",
           "theme=tvet&theme=arctic", "_search=%22&country=UA"]


@pytest.mark.parametrize("query", HOSTILE)
@pytest.mark.parametrize("path", ["/-/dashboards/coverage", "/-/map/coverage.svg", "/themes",
                                  "/themes/tvet", "/-/dashboards/coverage/by-country",
                                  "/-/dashboards/coverage/map"])
def test_hostile_query_strings_never_500(site: SiteClient, path: str, query: str) -> None:
    response = site.get(f"{path}?{query}")
    assert response.status_code < 500, (path, query, response.text[:500])
    assert "<script>alert" not in response.text
    if path.endswith(".svg"):
        ET.fromstring(response.text)


def test_the_records_of_a_deleted_source_are_not_counted(site: SiteClient,
                                                         catalogue: Path) -> None:
    """A theme's deleted record stays out of every count (the theme step drops it)."""
    deleted = sql(catalogue, "SELECT id FROM records WHERE deleted = 1")
    assert deleted and not sql(catalogue, "SELECT 1 FROM record_themes WHERE record_id = ?",
                               deleted[0])




@pytest.mark.parametrize("with_oerhub", [True, False])
def test_a_published_snapshot_serves_the_dashboard_under_plain_datasette(
        catalogue: Path, tmp_path: Path, with_oerhub: bool) -> None:
    """`oerhub publish` output under `datasette serve`: with oerhub installed, the dashboard
    with its map and the theme pages; without it, the dashboard still renders."""
    from oerhub.publish.serve import load_site, publish

    out = tmp_path / "snapshot"
    publish(catalogue, out, load_site(PROJECT / "config" / "metadata.yaml"))
    with snapshot_serving(out, with_oerhub) as base:
        pages = {path: fetch(base + path) for path in ("/-/dashboards/coverage", "/themes/tvet")}
    status, html = pages["/-/dashboards/coverage"]
    assert status == 200 and 'id="table-by-country"' in html
    assert ('class="oer-map"' in html) is with_oerhub
    # without oerhub there are no theme pages (Datasette's own error page: see the report)
    assert (pages["/themes/tvet"][0] == 200) is with_oerhub


def test_a_query_stopped_by_the_time_limit_leaves_a_page_not_an_error(
        site: SiteClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a catalogue too big for a figure within sql_time_limit_ms, the theme page says so."""
    from oerhub.publish import gateway_queries

    endless = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
               "SELECT x AS id, '' AS title, NULL AS country, NULL AS language, NULL AS date, "
               "NULL AS source FROM c WHERE x < 0 AND :theme = :theme LIMIT :limit")
    monkeypatch.setattr(gateway_queries, "THEME_NEWEST_SQL", endless)
    html = page(site, "/themes/tvet")
    assert "took longer to count than the site allows" in html
    assert 'id="theme-countries"' in html and 'id="theme-newest"' not in html


@pytest.mark.parametrize("peak, bins", [
    (0, []), (1, [(1, 1)]), (5, [(1, 1), (2, 3), (4, 5)]),
    (1000, [(1, 40), (41, 160), (161, 360), (361, 640), (641, 1000)]),
])
def test_legend_says_what_each_shade_stands_for(peak: int, bins: list[tuple[int, int]]) -> None:
    from oerhub.publish.coverage_map import legend_bins
    from oerhub.publish.survey.charts import shade

    found = legend_bins(peak)
    assert [(low, high) for _, low, high in found] == bins
    for colour, low, high in found:  # the map's own shading agrees at both ends
        assert shade(low, peak) == colour == shade(high, peak)


def test_map_escapes_every_text_it_is_given() -> None:
    from oerhub.publish.coverage_map import MapWords, Pin, coverage_svg

    hostile = '<script>alert("x")</script> & ]]>'
    svg = coverage_svg({"UA": 3}, {"UA": hostile}, MapWords(hostile, hostile, hostile, hostile),
                       [Pin(hostile, 50.4, 30.5, 3)])
    root = ET.fromstring(svg)
    assert "<script>" not in svg and root.find(f"{SVG}title").text == hostile
    assert any(t.text == hostile for t in root.iter(f"{SVG}title"))


def test_a_chart_stopped_by_the_time_limit_leaves_the_dashboard_standing(
        catalogue: Path) -> None:
    """The dashboard reads its charts side by side; one the time limit stops says so in its
    card, and the others are drawn."""
    from oerhub.publish.serve import load_site, make_datasette

    site_config = load_site(PROJECT / "config" / "metadata.yaml")
    charts = site_config.metadata["plugins"]["datasette-dashboards"]["coverage"]["charts"]
    charts["languages"]["query"] = (
        "with recursive c(x) as (select 1 union all select x + 1 from c) "
        "select x as language, x as records from c where x < 0 limit 1")
    served = SiteClient(make_datasette(catalogue, site_config))
    try:
        html = page(served, "/-/dashboards/coverage")
    finally:
        served.close()
    card = html.split('id="card-languages"', 1)[1].split("</section>", 1)[0]
    assert "took longer to count than the site allows" in card
    assert re.search(r'id="metric-resources">9<', html) and 'id="table-by-country"' in html
