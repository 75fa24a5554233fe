"""`oerhub report survey`: every figure of the survey against the catalogue itself.

One catalogue is built for the module the way `oerhub demo` builds it (its sample
repositories and portals on 127.0.0.1, the real harvest, 804 live records in 8 of the 15
countries). The expected figures are counted here, in Python, from the rows of records,
record_groups and harvest_runs, not by the survey's SQL; then the CSVs (which the page and
the PDF draw from), the page's words in three languages, and the PDF's pages are checked.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import oerhub_in_process

from oerhub.demo import write_demo_config
from oerhub.demo.oai_server import OaiTestServer
from oerhub.demo.sample_site import SampleSite
from oerhub.demo.samples import demo_repositories
from oerhub.enrich.themes import load_themes
from oerhub.harvest.run import harvest
from oerhub.publish.survey.figures import NATIONAL_LANGUAGES
from oerhub.registry import load_config

CIS_BALTIC = ["AM", "AZ", "BY", "EE", "GE", "KG", "KZ", "LT", "LV", "MD", "RU", "TJ", "TM",
              "UA", "UZ"]


@dataclass
class Built:
    dir: Path
    db: Path
    records: list[dict[str, Any]]  # live records
    groups: dict[int, int]  # record id -> group id
    sources: list[dict[str, Any]]
    runs: list[dict[str, Any]]

    def survey(self, name: str, *args: str) -> Path:
        out = self.dir / name
        result = oerhub_in_process(self.dir, "report", "survey", "--out", str(out), *args)
        assert result.returncode == 0, result.stderr
        assert "index.html" in result.stdout
        return out


def _rows(db: Path, sql: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql)]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    directory = tmp_path_factory.mktemp("survey")
    with OaiTestServer(demo_repositories(), batch_size=50) as server, SampleSite() as site:
        write_demo_config(directory / "sources.toml", server, site)
        harvest(load_config(directory / "sources.toml"), directory / "oerhub.db")
    db = directory / "oerhub.db"
    yield Built(directory, db, _rows(db, "SELECT * FROM records WHERE deleted = 0"),
                {r["record_id"]: r["group_id"] for r in _rows(db, "SELECT * FROM record_groups")},
                _rows(db, "SELECT * FROM sources WHERE in_config = 1"),
                _rows(db, "SELECT * FROM harvest_runs ORDER BY id"))


def _csv(out: Path, name: str) -> list[dict[str, str]]:
    with (out / "figures" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _unique(records: list[dict[str, Any]], groups: dict[int, int]) -> int:
    return len({groups.get(r["id"], r["id"]) for r in records})


def _status(built: Built, source_id: str) -> str:
    finished = [r for r in built.runs if r["source_id"] == source_id and r["status"] != "running"]
    if not finished:
        return "never"
    return "ok" if finished[-1]["status"] == "ok" else "failing"


def _expected_counts(records: list[dict[str, Any]], column: str) -> dict[str, int]:
    return dict(Counter(r[column] if r[column] is not None else "none" for r in records))


def _levels(records: list[dict[str, Any]]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for record in records:
        levels = json.loads(record["education_level"] or "[]")
        counts.update(levels or ["none"])
    return dict(counts)


def _as_counts(rows: list[dict[str, str]]) -> dict[str, int]:
    return {row["value"]: int(row["records"]) for row in rows}


def _check_scope(built: Built, out: Path, codes: list[str]) -> None:
    """Every CSV of the scope `codes` equals what the catalogue's rows say."""
    records = [r for r in built.records if r["country"] in codes]
    sources = [s for s in built.sources if s["country"] in codes]
    statuses = Counter(_status(built, s["id"]) for s in sources)
    summary = {row["metric"]: row["value"] for row in _csv(out, "summary")}
    assert int(summary["records"]) == len(records)
    assert int(summary["unique_resources"]) == _unique(records, built.groups)
    assert int(summary["sources"]) == len(sources)
    assert int(summary["sources_ok"]) == statuses["ok"]
    assert int(summary["sources_failing"]) == statuses["failing"]
    assert int(summary["sources_never"]) == statuses["never"]
    assert int(summary["countries_covered"]) == len({r["country"] for r in records})
    open_records = sum(1 for r in records if r["license"] is not None)
    assert int(summary["open_license"]) == open_records
    assert float(summary["open_license_share"]) == pytest.approx(open_records / len(records),
                                                                 abs=1e-4)
    assert int(summary["languages"]) == len({r["language"] for r in records if r["language"]})

    for row in _csv(out, "countries"):
        mine = [r for r in records if r["country"] == row["country"]]
        national = [r for r in mine if r["language"] in NATIONAL_LANGUAGES[row["country"]]]
        assert int(row["records"]) == len(mine), row
        assert int(row["unique_resources"]) == _unique(mine, built.groups), row
        assert int(row["open_license"]) == sum(1 for r in mine if r["license"]), row
        assert int(row["national_language"]) == len(national), row
        assert int(row["sources"]) == sum(1 for s in sources if s["country"] == row["country"])
    assert [row["country"] for row in _csv(out, "countries")] == codes

    prefixes = [""] + ([f"{codes[0]}_"] if len(codes) == 1 else [f"{c}_" for c in codes])
    for prefix in prefixes:
        mine = records if not prefix else [r for r in records if r["country"] == prefix[:2]]
        assert _as_counts(_csv(out, f"{prefix}languages")) == _expected_counts(mine, "language")
        assert _as_counts(_csv(out, f"{prefix}licences")) == _expected_counts(mine, "license")
        assert _as_counts(_csv(out, f"{prefix}resource_types")) == _expected_counts(
            mine, "resource_type")
        assert _as_counts(_csv(out, f"{prefix}education_levels")) == _levels(mine)
        months = Counter(r["first_harvested"][:7] for r in mine)
        assert {row["month"]: int(row["records"]) for row in _csv(out, f"{prefix}growth")} \
            == dict(months)
        publishers = Counter(r["publisher"].strip() for r in mine
                             if r["publisher"] and r["publisher"].strip())
        providers = _csv(out, f"{prefix}providers")
        assert {row["value"]: int(row["records"]) for row in providers} == dict(
            sorted(publishers.items(), key=lambda kv: (-kv[1], kv[0]))[:10])
    registry = _csv(out, "sources")
    assert {row["id"] for row in registry} == {s["id"] for s in sources}
    for row in registry:
        assert row["status"] == _status(built, row["id"])
        assert int(row["records"]) == sum(1 for r in records if r["source_id"] == row["id"])
        failures = [r for r in built.runs if r["source_id"] == row["id"]
                    and r["status"] not in ("ok", "running")]
        assert int(row["failures"]) == len(failures)


def test_region_figures_equal_the_catalogue(built: Built) -> None:
    out = built.survey("region", "--no-pdf")
    _check_scope(built, out, CIS_BALTIC)
    summary = {row["metric"]: row["value"] for row in _csv(out, "summary")}
    assert int(summary["records"]) == 804  # what `oerhub demo` harvests
    assert int(summary["countries_covered"]) == 8
    # one CSV per figure: the region's (themes among them) and 7 per country (sources, 6
    # distributions)
    assert len(list((out / "figures").glob("*.csv"))) == 10 + 15 * 7
    _check_themes(built, out, CIS_BALTIC)


def _check_themes(built: Built, out: Path, codes: list[str]) -> None:
    """The Themes section: each theme's live records per country, from record_themes."""
    in_theme = Counter((r["theme"], r["country"]) for r in _rows(
        built.db, "SELECT t.theme, r.country FROM record_themes AS t JOIN records AS r "
        "ON r.id = t.record_id WHERE r.deleted = 0"))
    live = Counter(r["country"] for r in built.records)
    rows = _csv(out, "themes")
    assert {row["theme"] for row in rows} == {t.id for t in load_themes().themes}
    assert len(rows) == len(load_themes().themes) * len(codes)
    for row in rows:
        assert int(row["records"]) == in_theme[(row["theme"], row["country"])], row
        if live[row["country"]]:
            assert float(row["share"]) == pytest.approx(
                in_theme[(row["theme"], row["country"])] / live[row["country"]], abs=1e-4)


def test_theme_figures_equal_the_catalogue(built: Built) -> None:
    """--theme: every figure counts that theme's records only, as record_themes says."""
    ids = {r["record_id"] for r in _rows(
        built.db, "SELECT record_id FROM record_themes WHERE theme = 'teacher-education'")}
    assert ids  # the demo's `Цифрова грамотність вчителя`
    out = built.survey("teacher", "--theme", "teacher-education", "--no-pdf", "--lang", "uk")
    _check_scope(dataclasses.replace(built, records=[r for r in built.records
                                                     if r["id"] in ids]), out, CIS_BALTIC)
    rows = _csv(out, "themes")
    assert {row["theme"] for row in rows} == {"teacher-education"}
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Тема: Педагогічна освіта" in html
    result = oerhub_in_process(built.dir, "report", "survey", "--out", str(built.dir / "x"),
                               "--theme", "nope", "--no-pdf")
    assert result.returncode != 0 and "no theme 'nope'" in result.stdout + result.stderr


def test_one_country_figures_equal_the_catalogue(built: Built) -> None:
    out = built.survey("ua", "--country", "ua", "--no-pdf")
    _check_scope(built, out, ["UA"])
    assert not (out / "figures" / "KZ_languages.csv").exists()


def test_since_counts_new_resources_new_and_lost_sources(built: Built, tmp_path: Path) -> None:
    db = tmp_path / "oerhub.db"
    shutil.copy(built.db, db)
    shutil.copy(built.dir / "sources.toml", tmp_path / "sources.toml")
    conn = sqlite3.connect(db)
    with conn:  # demo-lv was last harvested fine in 2020 and fails since; 20 records are old
        conn.execute("UPDATE harvest_runs SET started_at = '2020-01-01T00:00:00Z', "
                     "finished_at = '2020-01-01T00:10:00Z' WHERE source_id = 'demo-lv'")
        conn.execute("INSERT INTO harvest_runs (source_id, started_at, finished_at, status, mode) "
                     "VALUES ('demo-lv', '2026-01-02T00:00:00Z', '2026-01-02T00:01:00Z', "
                     "'error', 'incremental')")
        conn.execute("UPDATE records SET first_harvested = '2019-05-01T00:00:00Z' "
                     "WHERE id IN (SELECT id FROM records WHERE deleted = 0 ORDER BY id LIMIT 20)")
    conn.close()
    result = oerhub_in_process(tmp_path, "report", "survey", "--out", str(tmp_path / "s"),
                               "--since", "2021-01-01", "--no-pdf")
    assert result.returncode == 0, result.stderr
    changes = {row["metric"]: row["value"] for row in _csv(tmp_path / "s", "changes")}
    assert changes["since"] == "2021-01-01"
    assert int(changes["new_resources"]) == len(built.records) - 20
    assert changes["lost_source_ids"] == "demo-lv"
    assert int(changes["sources_lost"]) == 1
    assert int(changes["new_sources"]) == len(built.sources) - 1
    sources = {row["id"]: row for row in _csv(tmp_path / "s", "sources")}
    assert sources["demo-lv"]["status"] == "failing"
    assert sources["demo-lv"]["failures"] == "1"
    page = (tmp_path / "s" / "index.html").read_text(encoding="utf-8")
    assert "Since 2021-01-01" in page and "demo-lv" in page
    # what is missing, said in words in Latvia's profile
    assert "1 of its sources failed at the last harvest: demo-lv." in page
    bad = oerhub_in_process(tmp_path, "report", "survey", "--out", str(tmp_path / "t"),
                            "--since", "last week")
    assert bad.returncode != 0 and "not a date" in bad.stderr


@pytest.mark.parametrize(("lang", "words", "foreign"), [
    ("en", ["Summary", "Methods annex", "Ukraine", "Kazakhstan", "Russian"], ["Краткий"]),
    ("ru", ["Краткий обзор", "Приложение: методы", "Украина", "Казахстан", "Русский"],
     ["Summary", "Methods annex"]),
    ("uk", ["Стислий огляд", "Додаток: методи", "Україна", "Казахстан", "Російська"],
     ["Summary", "Краткий"]),
])
def test_page_is_in_the_chosen_language(built: Built, lang: str, words: list[str],
                                        foreign: list[str]) -> None:
    out = built.survey(f"page-{lang}", "--lang", lang, "--no-pdf")
    page = (out / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    for word in words:
        assert word in text, word
    for word in foreign:
        assert word not in text, word
    assert f'<html lang="{lang}">' in page


def test_page_is_self_contained(built: Built) -> None:
    out = built.survey("page", "--no-pdf")
    page = (out / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "<script" not in page and "@import" not in page
    assert "url(http" not in page
    assert page.count("<svg") >= 3 + 2 * 8  # map, bars, charts; two per country with records
    assert page.count('<path d="M') == 15  # the 15 countries of the map
    if Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf").is_file():
        assert "@font-face" in page and "data:font/woff;base64," in page
    # each country's profile, and what is missing said in words
    assert page.count('class="profile"') == 15
    assert "No source of Belarus is in the registry" in page
    assert "No resource of Armenia states an education level (ISCED)." in page


def test_page_shows_the_figures_of_the_csvs(built: Built) -> None:
    """The page draws from the same figures: each country's row of the table shows the
    CSV's records and unique resources, and the summary cards the CSV's totals."""
    out = built.survey("shown", "--no-pdf")
    page = (out / "index.html").read_text(encoding="utf-8")
    cells = re.findall(r"<tr><td>([^<]+)</td><td class=\"n\">([\d,]+)</td>\s*"
                       r"<td class=\"n\">([\d,]+)</td><td class=\"n\">([\d,]+)</td>", page)
    shown = {name: (int(records.replace(",", "")), int(unique.replace(",", "")))
             for name, _, records, unique in cells}
    from oerhub.publish.survey.messages import country_name

    for row in _csv(out, "countries"):
        assert shown[country_name(row["country"], "en")] == (
            int(row["records"]), int(row["unique_resources"])), row
    summary = {row["metric"]: int(row["value"]) for row in _csv(out, "summary")
               if row["metric"] in ("records", "unique_resources")}
    assert f"<b>{summary['records']}</b>Records" in page
    assert f"<b>{summary['unique_resources']}</b>Unique resources" in page


def test_unknown_country_is_refused(built: Built) -> None:
    result = oerhub_in_process(built.dir, "report", "survey", "--out", str(built.dir / "x"),
                               "--country", "XX")
    assert result.returncode != 0 and "--country" in result.stderr


# --- the PDF ----------------------------------------------------------------------------------

def _pdf_tools_missing() -> str | None:
    """Why the PDF cannot be made here, or None (under CI it must be made)."""
    try:
        import weasyprint  # noqa: F401
    except OSError as error:
        return f"WeasyPrint needs Pango: {error}"
    if shutil.which("pdftoppm") is None:
        return "pdftoppm (poppler-utils) is not installed"
    return None


def _needs_pdf_tools() -> None:
    reason = _pdf_tools_missing()
    if reason and not os.environ.get("CI"):
        pytest.skip(reason + " (apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
                    "fonts-noto-core poppler-utils; under CI this test runs)")


def _pages(pdf: Path, directory: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(pdf), str(directory / "page")],
                   check=True)
    return sorted(directory.glob("page-*.png"))


def _ink(png: Path) -> int:
    """How many pixels are not white."""
    from PIL import Image

    with Image.open(png) as image:
        histogram = image.convert("L").histogram()
    return sum(histogram[:250])


def _page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))


@pytest.mark.parametrize(("lang", "args", "least"), [
    ("en", [], 20), ("ru", [], 20), ("uk", [], 20),
    ("uk", ["--country", "KZ"], 4),
])
def test_pdf_renders_every_page(built: Built, lang: str, args: list[str], least: int,
                                tmp_path: Path) -> None:
    _needs_pdf_tools()
    out = built.survey(f"pdf-{lang}-{len(args)}", "--lang", lang, *args)
    pdf = out / "survey.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    pages = _pages(pdf, tmp_path)
    # the region: contents and summary, map, countries table, 15 profiles (more pages for
    # the long ones), annex; one country: summary, map, its profile, annex
    assert len(pages) == _page_count(pdf) >= least
    if args:
        assert len(pages) < 10
    blank = [p.name for p in pages if _ink(p) < 200]
    assert not blank, f"blank pages: {blank}"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    name = {"en": "Kazakhstan", "ru": "Казахстан", "uk": "Казахстан"}[lang]
    assert name in text
    assert re.search(r"\b1 / \d+|\b1\s*/\s*\d+", text)  # page numbers


def test_pdf_embeds_fonts_for_cyrillic_georgian_and_armenian(tmp_path: Path) -> None:
    _needs_pdf_tools()
    if not Path("/usr/share/fonts/truetype/noto/NotoSansGeorgian-Regular.ttf").is_file():
        if os.environ.get("CI"):
            pytest.fail("fonts-noto-core is not installed")
        pytest.skip("fonts-noto-core is not installed")
    from oerhub.publish.survey.build import write_pdf
    from oerhub.publish.survey.fonts import font_faces

    words = "Ресурсы Грузии: საგანმანათლებლო რესურსები; Հայաստանի կրթական ռեսուրսներ"
    body = f"<p>{words}</p>"
    page = (f"<html><head><style>{font_faces(body)} html {{ font-family: 'Survey Sans', "
            f"'Survey Georgian', 'Survey Armenian'; }}</style></head><body>{body}</body></html>")
    write_pdf(page, tmp_path / "scripts.pdf")
    fonts = subprocess.run(["pdffonts", str(tmp_path / "scripts.pdf")], capture_output=True,
                           text=True, check=True).stdout
    for family in ("Survey-Sans", "Survey-Georgian", "Survey-Armenian"):  # our @font-face names
        line = next(line for line in fonts.splitlines() if family in line)
        assert " yes " in line  # embedded
    text = subprocess.run(["pdftotext", str(tmp_path / "scripts.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert " ".join(words.split()) in " ".join(text.split())


def test_every_word_is_in_every_language() -> None:
    import tomllib

    from oerhub.normalize.vocab import vocab_path
    from oerhub.publish.survey import messages

    english = set(messages.MESSAGES["en"])
    for lang in messages.LANGUAGES:
        assert set(messages.MESSAGES[lang]) == english, lang
    terms = tomllib.loads(vocab_path("resource_types").read_text(encoding="utf-8"))["terms"]
    assert set(messages.RESOURCE_TYPES) == set(terms)
    assert messages.resource_type_name("textbook", "uk") == "підручник, посібник"
    assert messages.country_name("KG", "uk") == "Киргизстан"
    assert messages.language_name("kk", "ru") == "Казахский"


def test_map_shades_by_unique_resources() -> None:
    from oerhub.publish.survey import charts

    assert charts.shade(0, 100) == charts.EMPTY
    assert charts.shade(100, 100) == charts.BLUES[-1]
    assert charts.shade(1, 100) == charts.BLUES[0]
    svg = charts.choropleth({"UA": 100, "KZ": 1}, {"UA": "Ukraine"})
    assert svg.count("<path") == 15 and "<title>Ukraine: 100</title>" in svg
