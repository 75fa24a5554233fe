"""`oerhub serve` / `oerhub publish`: the catalogue in Datasette with the site in config/.

The catalogue comes from a real harvest of the demo's sample repositories over HTTP on
127.0.0.1 (three sources placed on the map, one that cannot be reached), and every page is
requested through Datasette's in-process client on the very instance `oerhub serve` runs
(`oerhub.publish.serve.make_datasette`). Expected figures are computed with plain SQL or Python on the
same file, never through Datasette.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SiteClient

from oerhub.catalogue import Catalogue
from oerhub.demo.oai_server import OaiTestServer
from oerhub.demo.samples import DEMO_REPOSITORIES, demo_repositories
from oerhub.harvest.run import harvest
from oerhub.publish.report import CIS_BALTIC
from oerhub.publish.serve import (
    INTERNAL_TABLES,
    check_catalogue,
    load_site,
    make_datasette,
    publish,
)
from oerhub.registry import load_config

PROJECT = Path(__file__).resolve().parents[1]
SITE_FILE = PROJECT / "config" / "metadata.yaml"

# Three of the sample repositories get a place on the map; the others have none, as most real
# sources so far.
LOCATIONS = {"demo-ua": (50.45, 30.52), "demo-ge": (41.72, 44.79), "demo-lv": (56.95, 24.11)}
BROKEN = "xx-broken"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sql(db: Path, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def one(db: Path, query: str, params: tuple[Any, ...] = ()) -> Any:
    return sql(db, query, params)[0][0]


def write_registry(path: Path, server: OaiTestServer) -> None:
    lines = ['[harvest]', 'contact = "mailto:tests@example.org"', "timeout = 5", "retries = 0",
             "backoff = 0", ""]
    for spec in DEMO_REPOSITORIES:
        lines += ["[[sources]]", f'id = "{spec["id"]}"', f'name = "{spec["name"]}"',
                  f'country = "{spec["country"]}"', 'protocol = "oai-pmh"',
                  f'url = "{server.url(spec["id"])}"', f'metadata_prefix = "{spec["format"]}"',
                  f'homepage = "https://{spec["id"]}.example.org/"']
        if spec["id"] in LOCATIONS:
            latitude, longitude = LOCATIONS[spec["id"]]
            lines += [f"latitude = {latitude}", f"longitude = {longitude}"]
        lines.append("")
    lines += ["[[sources]]", f'id = "{BROKEN}"', 'name = "A repository that is down"',
              'country = "BY"', 'protocol = "oai-pmh"',
              f'url = "http://127.0.0.1:{free_port()}/oai"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalogue harvested from the sample repositories; the broken source failed twice."""
    directory = tmp_path_factory.mktemp("serve")
    db = directory / "catalogue.db"  # served as "oerhub" whatever the file is called
    registry = directory / "sources.toml"
    with OaiTestServer(demo_repositories(), batch_size=50) as server:
        write_registry(registry, server)
        config = load_config(registry)
        first = {r.source_id: r.status for r in harvest(config, db)}
        again = {r.source_id: r.status for r in harvest(config, db, [BROKEN])}
    assert first == {**{spec["id"]: "ok" for spec in DEMO_REPOSITORIES}, BROKEN: "failed"}
    assert again == {BROKEN: "failed"}
    return db


class Site(SiteClient):
    """The site's client, reading JSON and SQL answers."""

    def json(self, path: str) -> Any:
        response = self.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        return response.json()

    def rows(self, sql_text: str, **params: str) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"sql": sql_text, **params, "_shape": "objects"})
        return self.json(f"/oerhub.json?{query}")["rows"]



@pytest.fixture(scope="module")
def site(catalogue: Path) -> Iterator[Site]:
    served = Site(make_datasette(catalogue, load_site(SITE_FILE)))
    yield served
    served.close()


def live_count(db: Path) -> int:
    return int(one(db, "SELECT COUNT(*) FROM records WHERE deleted = 0"))


# --- the home page ------------------------------------------------------------------------


def test_home_page_gives_the_figures_of_the_catalogue(site: Site, catalogue: Path) -> None:
    page = site.get("/")
    assert page.status_code == 200
    html = page.text

    def figure(name: str) -> str:
        found = re.search(rf'id="figure-{name}">([^<]*)<', html)
        assert found, f"no {name} figure on the home page"
        return found.group(1)

    resources = live_count(catalogue)
    sources = one(catalogue, "SELECT COUNT(DISTINCT source_id) FROM records WHERE deleted = 0")
    countries = one(catalogue, "SELECT COUNT(DISTINCT country) FROM records WHERE deleted = 0")
    last = one(catalogue, "SELECT MAX(finished_at) FROM harvest_runs WHERE status = 'ok'")
    assert (resources, sources, countries) == (760, 5, 5)  # the demo: 780 records, 20 deleted
    assert figure("resources") == f"{resources:,}"
    assert figure("sources") == str(sources)
    assert figure("countries") == str(countries)
    assert figure("last-harvest") == f"{last[:10]} {last[11:16]} UTC"
    assert "Open educational resources" in html
    for link in ('href="/oerhub/resources"', 'href="/-/dashboards/coverage"',
                 'href="/oerhub/sources"', 'action="/oerhub/resources"', 'name="_search"'):
        assert link in html
    # Resources per country, drawn in HTML (no script needed), with country names.
    per_country = dict(sql(catalogue, "SELECT country, COUNT(*) FROM records WHERE deleted = 0 "
                                      "GROUP BY country"))
    table = html[html.index('id="per-country"'):]
    for code, name in (("UA", "Ukraine"), ("KZ", "Kazakhstan"), ("GE", "Georgia"),
                       ("LV", "Latvia"), ("UZ", "Uzbekistan")):
        assert re.search(rf'\?country={code}">{name}</a></td>\s*<td class="n">'
                         rf'{per_country[code]}</td>', table), name


# --- browsing: the resources view ----------------------------------------------------------


def test_resources_view_holds_the_live_records_with_source_names(site: Site,
                                                                 catalogue: Path) -> None:
    data = site.json("/oerhub/resources.json?_size=max&_shape=objects")
    assert data["filtered_table_rows_count"] == live_count(catalogue)
    names = dict(sql(catalogue, "SELECT id, name FROM sources"))
    for row in data["rows"]:
        assert row["source_name"] == names[row["source_id"]]
    deleted = {r[0] for r in sql(catalogue, "SELECT id FROM records WHERE deleted = 1")}
    assert len(deleted) == 20
    assert not deleted & {row["id"] for row in data["rows"]}
    licensed = next(row for row in data["rows"] if row["license"])
    assert licensed["openness"] == "open"


def test_resources_page_has_facets_labels_and_links(site: Site, catalogue: Path) -> None:
    data = site.json("/oerhub/resources.json?_size=0")
    facets = data["facet_results"]
    # The facets people filter by (oerhub/publish/site_search.py: licensed); source on request
    assert set(facets) == {"country", "language", "license", "resource_type",
                           "education_level", "subjects", "themes", "licensed"}
    assert {f["value"]: f["count"] for f in facets["country"]["results"]} == dict(sql(
        catalogue, "SELECT country, COUNT(*) FROM records WHERE deleted = 0 GROUP BY country"))
    asked = site.json("/oerhub/resources.json?_size=0&_facet=source_name&_facet=openness"
                      "&_facet_array=subjects")["facet_results"]
    assert {f["value"]: f["count"] for f in asked["source_name"]["results"]} == dict(sql(
        catalogue, "SELECT s.name, COUNT(*) FROM records r JOIN sources s ON s.id = r.source_id "
                   "WHERE r.deleted = 0 GROUP BY s.name"))
    assert {f["value"] for f in asked["openness"]["results"]} <= {"open", "restricted", "unknown"}
    # Subjects: the array facet and the indexed record_subjects table count alike, each
    # subject once per live record.
    subjects: Counter[str] = Counter()
    for (value,) in sql(catalogue, "SELECT subjects FROM records WHERE deleted = 0"):
        subjects.update(set(json.loads(value)))
    ranked = sorted(subjects.items(), key=lambda item: (-item[1], item[0]))  # as Datasette
    assert {f["value"]: f["count"] for f in asked["subjects"]["results"]} == dict(ranked[:15])
    table = site.json("/oerhub/record_subjects.json?_size=0")["facet_results"]["subject"]
    assert {f["value"]: f["count"] for f in table["results"]} == dict(ranked[:30])

    html = site.get("/oerhub/resources?_size=5&_view=table").text  # the column table
    sortable = set(re.findall(r'(?:\?|&amp;)_sort(?:_desc)?=(\w+)"', html))
    assert sortable == {"id", "title", "source_name", "country", "language", "license",
                        "openness", "resource_type", "date", "first_harvested", "last_changed"}
    assert site.get("/oerhub/resources.json?_sort=description").status_code >= 400
    for label in (">Title<", ">Source<", ">Licence<", ">Resource type<", ">First harvested<"):
        assert label in html
    first = site.json("/oerhub/resources.json?_size=1&_shape=objects")["rows"][0]
    assert f'href="/oerhub/records/{first["id"]}"' in html  # the title opens the record page
    assert f'href="/oerhub/sources/{first["source_id"]}">{first["source_name"]}</a>' in html


@pytest.mark.parametrize("column", ["title", "country", "language", "license", "date",
                                    "first_harvested", "source_name"])
def test_resources_sort_by_column(site: Site, catalogue: Path, column: str) -> None:
    rows = site.json(f"/oerhub/resources.json?_sort={column}&_size=max&_shape=objects")["rows"]
    values = [row[column] for row in rows]
    assert len(values) == live_count(catalogue)
    present = [v for v in values if v is not None]
    assert present == sorted(present)
    assert values[:len(values) - len(present)] == [None] * (len(values) - len(present))


# --- full-text search, in every script -------------------------------------------------------


def expected_matches(db: Path, word: str) -> set[int]:
    """Live records with `word` as a whole word (case folded) in a searched column."""
    found = set()
    rows = sql(db, "SELECT id, title, description, subjects, creators FROM records "
                   "WHERE deleted = 0")
    for record_id, *texts in rows:
        words = set(re.findall(r"\w+", " ".join(t or "" for t in texts).casefold()))
        if word.casefold() in words:
            found.add(record_id)
    return found


@pytest.mark.parametrize("word", [
    "хімії",          # Ukrainian
    "ХИМИИ",          # Russian, typed in capitals
    "ქიმიის",         # Georgian
    "քիմիայի",        # Armenian, lower case of Քիմիայի
    "Ķīmija",         # Latvian
    "ķīmija",         # Latvian, lower case
    "Žemės",          # Lithuanian
    "füüsika",        # Estonian
    "dərsliyi",       # Azerbaijani
    "oʻzbekiston",    # Uzbek with the modifier letter turned comma
])
def test_search_finds_words_in_every_script(site: Site, catalogue: Path, word: str) -> None:
    query = urllib.parse.urlencode({"_search": word, "_size": "max", "_shape": "objects"})
    found = {row["id"] for row in site.json(f"/oerhub/resources.json?{query}")["rows"]}
    expected = expected_matches(catalogue, word)
    assert expected, f"the sample data has no {word!r}"
    assert found == expected


def test_search_folds_diacritics_and_skips_deleted_records(site: Site,
                                                           catalogue: Path) -> None:
    # records_search (oerhub/enrich/search.py) folds Latin diacritics: kimija finds Ķīmija.
    def ids(word: str) -> set[int]:
        return {row["id"] for row in site.json(
            f"/oerhub/resources.json?_search={word}&_shape=array&_size=max")}
    # every form of the word (ķīmijas too): what the engine finds, the exact word among them
    assert ids("%C4%B7%C4%ABmija") == engine_matches(catalogue, "ķīmija")
    assert ids("kimija") == engine_matches(catalogue, "kimija")  # (and its Cyrillic readings)
    assert expected_matches(catalogue, "ķīmija") <= ids("kimija") & ids("%C4%B7%C4%ABmija")
    deleted_title = one(catalogue, "SELECT title FROM records WHERE deleted = 1 ORDER BY id")
    query = urllib.parse.urlencode({"_search": f'"{deleted_title}"', "_shape": "objects",
                                    "_size": "max"})
    titles = {row["title"] for row in site.json(f"/oerhub/resources.json?{query}")["rows"]}
    assert deleted_title not in titles
    page = site.get("/oerhub/resources?" + urllib.parse.urlencode({"_search": "ქიმიის"}))
    count = len(engine_matches(catalogue, "ქიმიის"))
    assert f"{count} resources found for “ქიმიის”" in page.text


def engine_matches(db: Path, words: str) -> set[int]:
    """What `oerhub search` finds: every form of the words, in any script."""
    from oerhub.enrich.search_query import search
    with Catalogue(db) as opened:
        return {row["id"] for row in search(opened, words, limit=100_000)}


# --- the coverage dashboard ------------------------------------------------------------------


# The vega-lite charts the page draws in the browser: renderChart("slug", {chart}, "qs", "url")
RENDER_CALL = re.compile(r'renderChart\(("[^"]+"), (\{.*?\}), ("[^"]*"), ("[^"]*")\);')


def dashboard_charts(site: Site, query_string: str = "") -> dict[str, dict[str, Any]]:
    """Every chart of the coverage dashboard with the rows of its query, the filters of
    `query_string` applied as the plugin applies them, and the page as served."""
    from datasette_dashboards import replace_opts_in_query

    page = site.get("/-/dashboards/coverage" + (f"?{query_string}" if query_string else ""))
    assert page.status_code == 200, page.text[:500]
    options = dict(urllib.parse.parse_qsl(query_string))
    config = load_site(SITE_FILE).metadata["plugins"]["datasette-dashboards"]["coverage"]
    charts = {}
    for slug, chart in config["charts"].items():
        rows = None
        if chart.get("query"):
            query = urllib.parse.urlencode({"sql": replace_opts_in_query(chart["query"], options),
                                            **options, "_shape": "objects"})
            data = site.json(f"/oerhub.json?{query}")
            assert not data.get("truncated")
            rows = data["rows"]
        charts[slug] = {**chart, "rows": rows, "html": page.text}
    return charts


def test_dashboard_page_and_its_assets_are_served_locally(site: Site) -> None:
    page = site.get("/-/dashboards/coverage")
    assert page.status_code == 200
    for title in ("Records", "Unique resources", "Records per country (map)",
                  "Records and unique resources per country", "Licence mix per country",
                  "Languages", "Resource types", "Records added per month"):
        assert title in page.text
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', page.text)
    styles = re.findall(r'<link[^>]* href="([^"]+)" rel="stylesheet"', page.text)
    assert any(s.endswith("vega-lite.min.js") for s in scripts)
    for asset in scripts + styles:
        assert asset.startswith("/"), f"{asset}: loaded from outside the server"
        assert site.get(asset).status_code == 200, asset
    assert "openstreetmap" not in page.text  # the map is drawn here, with no tile server
    assert 'href="/-/dashboards/coverage"' in site.get("/-/dashboards").text


def test_dashboard_charts_get_the_catalogue_figures(site: Site, catalogue: Path) -> None:
    charts = dashboard_charts(site)
    assert set(charts) == {"resources", "unique", "sources", "countries", "map", "by-country",
                           "licence-mix", "languages", "types", "per-month"}
    assert charts["resources"]["rows"] == [{"n": live_count(catalogue)}]
    assert charts["unique"]["rows"] == [{"n": one(catalogue, "SELECT COUNT(*) FROM "
                                                            "unique_resources")}]
    assert charts["sources"]["rows"] == [{"n": 5}]
    assert charts["countries"]["rows"] == [{"n": 5}]
    per_country = dict(sql(catalogue, "SELECT country, COUNT(*) FROM records WHERE deleted = 0 "
                                      "GROUP BY country"))
    by_country = {r["country"]: r["records"] for r in charts["by-country"]["rows"]}
    assert by_country == {**{code: 0 for code in CIS_BALTIC}, **per_country}  # all 15
    # Licence mix: open = a licence; restricted = none and access restricted/closed/embargoed.
    mix = {(r["country"], kind): r[kind] for r in charts["licence-mix"]["rows"]
           for kind in ("open", "restricted", "unknown") if r[kind]}
    expected_mix: Counter[tuple[str, str]] = Counter()
    for country, license_id, access in sql(
            catalogue, "SELECT country, license, access FROM records WHERE deleted = 0"):
        kind = ("open" if license_id is not None else
                "restricted" if access in ("restricted", "closed", "embargoed") else "unknown")
        expected_mix[(country, kind)] += 1
    assert mix == dict(expected_mix)
    assert {r["language"]: r["records"] for r in charts["languages"]["rows"]} == dict(sql(
        catalogue, "SELECT language, COUNT(*) FROM records WHERE deleted = 0 "
                   "GROUP BY language ORDER BY 2 DESC LIMIT 25"))
    assert sum(r["records"] for r in charts["types"]["rows"]) == live_count(catalogue)
    month = one(catalogue, "SELECT substr(MIN(first_harvested), 1, 7) FROM records")
    assert charts["per-month"]["rows"] == [{"month": month, "records": live_count(catalogue)}]
    # The map: the sources that have coordinates are dots on it, with their records.
    svg = site.get("/-/map/coverage.svg").text
    names = dict(sql(catalogue, "SELECT id, name FROM sources"))
    for source_id in LOCATIONS:
        records = one(catalogue, "SELECT COUNT(*) FROM records WHERE deleted = 0 AND "
                                 "source_id = ?", (source_id,))
        assert f"<title>{names[source_id]}: {records:,}</title></circle>" in svg
    assert svg.count("</circle>") == len(LOCATIONS)


def test_dashboard_country_filter_narrows_every_chart(site: Site, catalogue: Path) -> None:
    charts = dashboard_charts(site, "country=GE")
    georgia = one(catalogue, "SELECT COUNT(*) FROM records WHERE deleted = 0 AND country = 'GE'")
    assert charts["resources"]["rows"] == [{"n": georgia}]
    assert {r["country"] for r in charts["by-country"]["rows"]} == {"GE"}
    assert {r["country"] for r in charts["licence-mix"]["rows"]} == {"GE"}
    assert re.search(rf'id="metric-resources">{georgia}<', charts["resources"]["html"])
    assert '<option value="GE" selected>' in charts["resources"]["html"]
    svg = site.get("/-/map/coverage.svg?country=GE").text
    assert svg.count("</circle>") == 1 and f"Georgia: {georgia}</title>" in svg


RENDER_JS = r"""
// Renders vega-lite charts as datasette-dashboards' dashboards.js builds them, with the
// vega and vega-lite bundles the plugin serves, to SVG: no browser, no network.
const fs = require('fs');
const vm = require('vm');
const dir = process.argv[2];
for (const name of ['vega.min.js', 'vega-lite.min.js']) {
  vm.runInThisContext(fs.readFileSync(dir + '/' + name, 'utf8'), {filename: name});
}
let input = '';
process.stdin.on('data', d => input += d);
process.stdin.on('end', async () => {
  const out = {};
  for (const [slug, c] of Object.entries(JSON.parse(input))) {
    const spec = {$schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 400,
                  data: {values: c.rows, format: {type: 'json'}}, ...c.display};
    const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), {renderer: 'none'});
    out[slug] = await view.toSVG();
  }
  process.stdout.write(JSON.stringify(out));
});
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the chart bundles")
def test_dashboard_charts_render_with_the_bundled_vega(site: Site, tmp_path: Path) -> None:
    import datasette_dashboards

    drawn = {json.loads(slug) for slug, *_ in RENDER_CALL.findall(
        site.get("/-/dashboards/coverage").text)}
    charts = {slug: {"rows": c["rows"], "display": c["display"]}
              for slug, c in dashboard_charts(site).items() if c["library"] == "vega-lite"}
    assert set(charts) == drawn == {"per-month"}
    script = tmp_path / "render.js"
    script.write_text(RENDER_JS, encoding="utf-8")
    static = Path(datasette_dashboards.__file__).parent / "static"
    done = subprocess.run(["node", str(script), str(static)], input=json.dumps(charts),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    svgs = json.loads(done.stdout)
    assert len(re.findall(r'aria-roledescription="bar"', svgs["per-month"])) == len(
        charts["per-month"]["rows"])


# --- canned queries ----------------------------------------------------------------------------


def test_canned_query_open_resources_by_language_and_country(site: Site,
                                                             catalogue: Path) -> None:
    rows = site.json("/oerhub/open_by_language_country.json?language=lv&country=lv"
                     "&_shape=objects&_size=max")["rows"]
    expected = {r[0] for r in sql(
        catalogue, "SELECT id FROM records WHERE deleted = 0 AND license IS NOT NULL "
                   "AND language = 'lv' AND country = 'LV'")}
    assert expected and {row["id"] for row in rows} == expected
    assert all(row["license"] and row["source_name"] for row in rows)
    everything = site.json("/oerhub/open_by_language_country.json?language=&country="
                           "&_shape=objects")["rows"]
    assert len(everything) == one(catalogue, "SELECT COUNT(*) FROM records WHERE deleted = 0 "
                                             "AND license IS NOT NULL")
    form = site.get("/oerhub/open_by_language_country").text
    assert 'name="language"' in form and 'name="country"' in form


def test_canned_query_failed_sources(site: Site) -> None:
    rows = site.json("/oerhub/failed_sources.json?_shape=objects")["rows"]
    assert [(r["source_id"], r["status"], r["failed_in_a_row"]) for r in rows] == [
        (BROKEN, "failed", 2)]
    assert rows[0]["error"]


def test_canned_query_records_per_source(site: Site, catalogue: Path) -> None:
    rows = {r["source_id"]: r for r in site.json(
        "/oerhub/records_per_source.json?_shape=objects")["rows"]}
    assert set(rows) == {spec["id"] for spec in DEMO_REPOSITORIES} | {BROKEN}
    for source_id, row in rows.items():
        live, deleted = sql(catalogue, "SELECT COALESCE(SUM(deleted = 0), 0), "
                                       "COALESCE(SUM(deleted = 1), 0) FROM records "
                                       "WHERE source_id = ?", (source_id,))[0]
        assert (row["live_records"], row["deleted_records"]) == (live, deleted)
        assert row["last_run_status"] == ("failed" if source_id == BROKEN else "ok")


# --- record pages ------------------------------------------------------------------------------


def test_record_page_links_to_the_resource_and_its_source(site: Site, catalogue: Path) -> None:
    record_id, title, url, source_id = sql(
        catalogue, "SELECT id, title, url, source_id FROM records WHERE deleted = 0 "
                   "AND country = 'UA' ORDER BY id LIMIT 1")[0]
    name = one(catalogue, "SELECT name FROM sources WHERE id = ?", (source_id,))
    page = site.get(f"/oerhub/records/{record_id}")
    assert page.status_code == 200
    assert "<h1" in page.text and title in page.text
    assert (f'<a class="oer-open" href="{url}" rel="noopener nofollow">Open the resource</a>'
            in page.text)
    assert f'<a class="oer-source-link" href="/oerhub/sources/{source_id}">{name}</a>' \
        in page.text
    assert site.get(f"/oerhub/sources/{source_id}").status_code == 200
    # Subjects link to the resources that share them; the raw metadata is not served.
    assert "/oerhub/resources?subjects__arraycontains=" in page.text
    assert "/oerhub/raw_records" not in page.text
    assert site.get(f"/oerhub/raw_records/{record_id}").status_code == 403


def test_record_page_of_a_deleted_record_says_so(site: Site, catalogue: Path) -> None:
    record_id = one(catalogue, "SELECT id FROM records WHERE deleted = 1 ORDER BY id")
    page = site.get(f"/oerhub/records/{record_id}")
    assert page.status_code == 200 and "withdrawn by its provider on" in page.text
    assert "Open the resource" not in page.text


# --- limits: read-only, time limit, hidden internals -----------------------------------------


def test_a_runaway_query_is_stopped_by_the_time_limit(site: Site) -> None:
    runaway = ("with recursive n(i) as (select 1 union all select i + 1 from n "
               "where i < 1000000000) select count(*) from n")
    started = time.monotonic()
    response = site.get("/oerhub.json?" + urllib.parse.urlencode({"sql": runaway}))
    took = time.monotonic() - started
    assert response.status_code >= 400
    assert "took too long" in response.json()["error"]
    assert "sql_time_limit_ms" in response.json()["error"]
    assert site.ds.setting("sql_time_limit_ms") == 2000
    assert took < 10


def test_row_limit(site: Site) -> None:
    assert site.ds.setting("max_returned_rows") == 1000
    data = site.json("/oerhub.json?" + urllib.parse.urlencode(
        {"sql": "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000) "
                "select i from n"}))
    assert len(data["rows"]) == 1000 and data["truncated"] is True


@pytest.mark.parametrize("statement", [
    "DELETE FROM records",
    "INSERT INTO sources (id, name, country, protocol, url) VALUES ('x', 'x', 'UA', 'oai-pmh', "
    "'http://x')",
    "UPDATE records SET title = 'vandalised'",
    "DROP TABLE records",
    "with doomed as (select id from records) delete from records where id in doomed",
    "PRAGMA writable_schema = 1",
])
def test_anonymous_writes_are_refused(site: Site, catalogue: Path, statement: str) -> None:
    before = sql(catalogue, "SELECT COUNT(*), SUM(title = 'vandalised') FROM records")
    sources = one(catalogue, "SELECT COUNT(*) FROM sources")
    response = site.get("/oerhub.json?" + urllib.parse.urlencode({"sql": statement}))
    assert response.status_code >= 400
    assert response.json()["ok"] is False
    assert sql(catalogue, "SELECT COUNT(*), SUM(title = 'vandalised') FROM records") == before
    assert one(catalogue, "SELECT COUNT(*) FROM sources") == sources


def test_internal_tables_are_hidden_from_the_listing(site: Site) -> None:
    tables = {t["name"]: t["hidden"] for t in site.json("/oerhub.json")["tables"]}
    for name in INTERNAL_TABLES:
        assert name not in tables, name  # not served at all (tests/test_public_site.py)
    for name in ("records", "sources", "harvest_runs"):
        assert tables[name] is False, name
    html = site.get("/oerhub").text
    for name in INTERNAL_TABLES:
        assert f'href="/oerhub/{name}"' not in html
    hidden = sum(tables.values())  # the internal ones, the FTS tables and their shadows …
    assert 'href="/oerhub/resources"' in html and f"{hidden} hidden tables" in html
    for query in ("open_by_language_country", "failed_sources", "records_per_source"):
        assert f'href="/oerhub/{query}"' in html


def test_keeps_serving_while_a_harvest_writes(site: Site, catalogue: Path) -> None:
    count = "/oerhub.json?sql=select+count(*)+as+n+from+resources&_shape=array"
    before = site.json(count)[0]["n"]
    writer = sqlite3.connect(catalogue, isolation_level=None, timeout=10)
    try:
        writer.execute("BEGIN IMMEDIATE")  # what Catalogue.store_batch holds while it writes
        writer.execute(
            "INSERT INTO records (source_id, identifier, title, first_harvested, last_changed) "
            "VALUES ('demo-ua', 'oai:test:in-flight', 'Новий запис', '2030-01-01T00:00:00Z', "
            "'2030-01-01T00:00:00Z')")
        started = time.monotonic()
        assert site.json(count)[0]["n"] == before  # the committed state, not the write
        check_catalogue(catalogue)  # `oerhub serve` starts meanwhile too
        assert site.get("/").status_code == 200
        assert site.get("/oerhub/resources?_search=%D1%85%D1%96%D0%BC%D1%96%D1%97"
                        ).status_code == 200
        assert time.monotonic() - started < 5
        writer.execute("COMMIT")
        assert site.json(count)[0]["n"] == before + 1  # served mutable: the commit shows
    finally:
        if writer.in_transaction:
            writer.execute("ROLLBACK")
        writer.execute("DELETE FROM records WHERE identifier = 'oai:test:in-flight'")
        writer.close()
    assert site.json(count)[0]["n"] == before


# --- publish -------------------------------------------------------------------------------------


def test_publish_writes_a_consistent_servable_snapshot(catalogue: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    writer = sqlite3.connect(catalogue, isolation_level=None, timeout=10)
    try:
        writer.execute("BEGIN IMMEDIATE")  # a harvest in the middle of a batch
        writer.execute("UPDATE records SET title = 'half-written' WHERE id = 1")
        snapshot = publish(catalogue, out, load_site(SITE_FILE))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    db = out / "oerhub.db"
    assert snapshot.path == db
    assert (snapshot.resources, snapshot.sources, snapshot.countries) == (
        live_count(catalogue), 5, 5)
    assert one(db, "SELECT COUNT(*) FROM records WHERE title = 'half-written'") == 0
    assert one(db, "PRAGMA journal_mode") == "delete"
    assert one(db, "PRAGMA integrity_check") == "ok"
    names = {r[0] for r in sql(db, "SELECT name FROM sqlite_master WHERE type IN "
                                   "('table', 'view')")}
    assert not names & set(INTERNAL_TABLES)
    assert {"records", "sources", "harvest_runs", "resources", "records_fts"} <= names
    for table in ("records", "sources", "harvest_runs"):
        assert one(db, f"SELECT COUNT(*) FROM {table}") == one(
            catalogue, f"SELECT COUNT(*) FROM {table}")
    assert one(db, "SELECT COUNT(*) FROM records_fts WHERE records_fts MATCH 'ქიმიის'") > 0
    for name in ("metadata.yaml", "settings.json", "templates/index.html",
                 "templates/row-oerhub-records.html", "README.md"):
        assert (out / name).is_file(), name
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "datasette serve ." in readme and "datasette-dashboards==" in readme
    assert f"{live_count(catalogue):,} resources" in readme

    # `datasette serve DIR` (config-directory mode) serves the same site from the snapshot.
    from datasette.app import Datasette

    served = Site(Datasette(config_dir=out))
    try:
        home = served.get("/")
        assert home.status_code == 200
        assert f'id="figure-resources">{live_count(catalogue):,}<' in home.text
        assert served.ds.setting("sql_time_limit_ms") == 2000
        assert served.get("/-/dashboards/coverage").status_code == 200
        record = served.get("/oerhub/records/1")
        assert record.status_code == 200
        assert "Open the resource" in record.text and "/oerhub/raw_records/" not in record.text
        assert served.json("/oerhub/resources.json?_search=%C4%B6%C4%ABmija&_shape=array")
    finally:
        served.close()

    again = publish(catalogue, out, load_site(SITE_FILE))  # replaces the snapshot in place
    assert again.resources == snapshot.resources
    assert not list(out.glob(".*partial"))


def test_an_empty_catalogue_is_served_too(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    Catalogue(db).close()  # the store creates the resources view with the schema
    check_catalogue(db)
    served = Site(make_datasette(db, load_site(SITE_FILE)))
    try:
        home = served.get("/")
        assert home.status_code == 200
        assert 'id="figure-resources">0<' in home.text and "Not harvested yet" in home.text
        assert served.get("/oerhub/resources").status_code == 200
        assert served.get("/-/dashboards/coverage").status_code == 200
        assert served.json("/oerhub/failed_sources.json?_shape=array") == []
    finally:
        served.close()


# --- the commands ------------------------------------------------------------------------------


def oerhub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oerhub.cli", *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=120)


def test_oerhub_serve_answers_over_http(catalogue: Path, tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "oerhub.cli", "serve", "--db", str(catalogue), "--port",
         str(port)], cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                    home = answer.read().decode("utf-8")
                break
            except OSError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "oerhub serve did not answer in 30 s"
                time.sleep(0.2)
        assert f'id="figure-resources">{live_count(catalogue):,}<' in home
        search = urllib.parse.quote("ქიმიის")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/oerhub/resources.json?_search="
                                    f"{search}&_shape=array", timeout=10) as answer:
            assert len(json.loads(answer.read())) == len(expected_matches(catalogue, "ქიმიის"))
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_oerhub_serve_and_publish_explain_what_is_missing(catalogue: Path,
                                                          tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    for command in (["serve"], ["publish", "--out", str(tmp_path / "out")]):
        done = oerhub(*command, "--db", str(missing))
        assert done.returncode == 2, done.stderr
        assert "no catalogue there yet" in done.stderr and "Traceback" not in done.stderr
        done = oerhub(*command, "--db", str(catalogue), "--site", str(tmp_path / "none.yaml"))
        assert done.returncode == 2, done.stderr
        assert "none.yaml: no Datasette metadata there" in done.stderr
    assert not missing.exists()
    # publish never overwrites the catalogue or the site it comes from
    copy = tmp_path / "oerhub.db"
    shutil.copy(catalogue, copy)
    done = oerhub("publish", "--db", str(copy), "--out", str(tmp_path))
    assert done.returncode == 2 and "would replace the catalogue itself" in done.stderr
    done = oerhub("publish", "--db", str(copy), "--out", str(PROJECT / "config"))
    assert done.returncode == 2 and "the site's own directory" in done.stderr
    assert one(copy, "SELECT COUNT(*) FROM raw_records") > 0


def test_oerhub_publish_command(catalogue: Path, tmp_path: Path) -> None:
    out = tmp_path / "published"
    done = oerhub("publish", "--db", str(catalogue), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"{live_count(catalogue):,} resources from 5 sources in 5 countries" in done.stdout
    assert (out / "oerhub.db").is_file() and (out / "README.md").is_file()
    for command in ("serve", "publish"):
        help_text = oerhub(command, "--help").stdout
        assert "Examples:" in help_text and "--db" in help_text and "--site" in help_text
