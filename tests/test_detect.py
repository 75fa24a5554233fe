"""Language detection end to end: `oerhub harvest`, then `oerhub languages detect` (as the
schedule runs them), of a loopback repository whose records lack
a language or declare a wrong one, then the stored detections, the resources view in Datasette,
`oerhub report languages`, the incremental step and `oerhub languages detect`.

The titles are real ones from tests/test_detect_titles.py (each cites where it was read);
the repository around them is a sample one on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import HARVEST_SETTINGS, oerhub_in_process, query, source_toml
from test_detect_titles import TITLES

from oerhub.catalogue import Catalogue
from oerhub.demo.oai_server import OaiTestServer
from oerhub.demo.samples import SampleRecord, SampleRepository
from oerhub.enrich.languages import (
    LANGUAGE_CHECK_SQL,
    LANGUAGES,
    Detection,
    Detector,
    detect_languages,
    language_check,
    record_text,
)


def real(language: str, n: int = 0) -> str:
    """The n-th real title of that language in the table."""
    return [title for code, title, _ in TITLES if code == language][n]


# identifier -> (declared dc:language or None, title, description or None,
#                expected language (normalised declared), detected, check)
CASES: dict[str, tuple[str | None, str, str | None, str | None, str | None, str | None]] = {
    # no language declared: the detection fills the gap
    "ky-none": (None, real("ky", 0), None, None, "ky", "undeclared"),
    "kk-none": (None, real("kk", 2), None, None, "kk", "undeclared"),
    "ka-none": (None, real("ka", 1), None, None, "ka", "undeclared"),
    "uz-none": (None, real("uz", 0), None, None, "uz", "undeclared"),
    "tg-none": (None, real("tg", 5), real("tg", 8), None, "tg", "undeclared"),
    # declared wrongly: a Russian CyberLeninka title said to be English; an English Hacettepe
    # title in a record said to be Turkish
    "ru-as-en": ("eng", real("ru", 2), None, "en", "ru", "disagrees"),
    "en-as-tr": ("tur", real("en", 3), None, "tr", "en", "disagrees"),
    # declared in a language the detector does not know: never called wrong
    "en-as-nl": ("nl", real("en", 2), None, "nl", "en", "uncertain"),
    # declared rightly
    "uk-right": ("ukr", real("uk", 0), None, "uk", "uk", "agrees"),
    "ky-right": ("kir", real("ky", 3), None, "ky", "ky", "agrees"),
    "tk-right": ("tuk", real("tk", 0), None, "tk", "tk", "agrees"),
    # nothing to read: a code, no description (a real Zenodo title)
    "code": (None, "R_code_statistics", None, None, None, None),
}


def sample(identifier: str, n: int, declared: str | None, title: str,
           description: str | None) -> SampleRecord:
    fields = {"title": [title], "identifier": [f"https://kg.example.org/{identifier}"],
              "rights": ["https://creativecommons.org/licenses/by/4.0/"]}
    if declared:
        fields["language"] = [declared]
    if description:
        fields["description"] = [description]
    return SampleRecord(f"oai:kg:{identifier}", datetime(2024, 1, 1) + timedelta(hours=n),
                        fields)


def repository() -> SampleRepository:
    return SampleRepository("kg-mixed", [
        sample(identifier, n, case[0], case[1], case[2])
        for n, (identifier, case) in enumerate(CASES.items())])


def stored(db: Path) -> dict[str, sqlite3.Row]:
    return {row["identifier"].split(":")[-1]: row for row in query(
        db, "SELECT r.identifier, r.language, r.language_raw, r.language_detected, "
            "r.language_confidence, r.language_checked, r.last_changed, v.language_check "
            "FROM records r LEFT JOIN resources v ON v.id = r.id")}


def _oerhub(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return oerhub_in_process(directory, *args)


@dataclass
class Harvested:
    repo: SampleRepository
    first: subprocess.CompletedProcess[str]  # the first `oerhub harvest`
    dir: Path

    @property
    def db(self) -> Path:
        return self.dir / "oerhub.db"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _oerhub(self.dir, *args)


@contextmanager
def _harvest(directory: Path) -> Iterator[Harvested]:
    repo = repository()
    server = OaiTestServer([repo]).start()
    try:
        (directory / "sources.toml").write_text(
            HARVEST_SETTINGS + "\n" + source_toml("kg-mixed", server.url("kg-mixed"),
                                                  country="KG"), encoding="utf-8")
        harvest = _oerhub(directory, "harvest")
        assert harvest.returncode == 0, harvest.stderr
        assert not any(line.startswith("languages: ") for line in harvest.stdout.splitlines())
        first = _oerhub(directory, "languages", "detect")  # as the schedule runs it next
        assert first.returncode == 0, first.stderr
        yield Harvested(repo, first, directory)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harvested]:
    """One harvest for the tests that only read."""
    with _harvest(tmp_path_factory.mktemp("detect")) as harvested:
        yield harvested


def test_harvest_detects_beside_the_declared_language(built):
    rows = stored(built.db)
    assert set(rows) == set(CASES)
    for identifier, (_, _, _, declared, detected, check) in CASES.items():
        row = rows[identifier]
        assert row["language"] == declared, identifier  # never overwritten
        assert row["language_detected"] == detected, identifier
        assert row["language_check"] == check, identifier
        assert (row["language_confidence"] is None) == (detected is None), identifier
        assert row["language_checked"] == row["last_changed"], identifier  # version read
    assert rows["ru-as-en"]["language_raw"] is None or rows["ru-as-en"]["language"] == "en"
    assert rows["ru-as-en"]["language_confidence"] >= 0.9
    # what `oerhub languages detect` said
    line = built.first.stdout
    assert f"{len(CASES)} records checked" in line
    assert "5 without a declared language now have a detected one" in line
    assert "2 contradict the declared one" in line


def test_report_languages_counts_declared_and_detected_apart(built):
    result = built.run("report", "languages", "--format", "json")
    by_source = built.run("report", "languages", "--country", "kg", "--format", "json")
    table = built.run("report", "languages")

    assert result.returncode == 0, result.stderr
    rows = {row["country"]: row for row in json.loads(result.stdout)}
    kg = rows["KG"]
    declared = [c for c in CASES.values() if c[3]]
    assert kg["records"] == len(CASES)
    assert kg["declared"] == len(declared)
    assert kg["detected_only"] == sum(1 for c in CASES.values() if not c[3] and c[4])
    assert kg["no_language"] == 1  # the code
    assert kg["declared"] + kg["detected_only"] + kg["no_language"] == kg["records"]
    assert (kg["agree"], kg["disagree"], kg["uncertain"]) == (3, 2, 1)
    assert kg["unchecked"] == 0
    assert {t["value"] for t in kg["top_detected_only"]} <= {"ky", "kk", "ka", "uz", "tg"}
    assert rows["UA"]["records"] == 0 and len(rows) == 15  # every country of the region
    (source,) = json.loads(by_source.stdout)
    assert source["id"] == "kg-mixed" and source["disagree"] == 2
    header = table.stdout.splitlines()[0].split()
    assert header[:4] == ["country", "name", "records", "declared"]
    assert table.stdout.splitlines()[-1].startswith("total")


def test_datasette_shows_the_detected_language_beside_the_declared_one(built):
    from oerhub.publish.serve import load_site, make_datasette

    project = Path(__file__).resolve().parents[1]
    ds = make_datasette(built.db, load_site(project / "config" / "metadata.yaml"))
    loop = asyncio.new_event_loop()
    try:
        page = loop.run_until_complete(ds.client.get(
            "/oerhub/resources.json?_facet=language_check&_facet=language_detected"
            "&_shape=objects&_size=100"))
        html = loop.run_until_complete(ds.client.get(
            "/oerhub/resources?language_check=disagrees"))
    finally:
        for database in ds.databases.values():
            database.close()
        if ds.executor:
            ds.executor.shutdown(wait=True)
        loop.close()
    assert page.status_code == 200, page.text[:300]
    data = page.json()
    facets = {f["value"]: f["count"]
              for f in data["facet_results"]["language_check"]["results"]}
    assert facets == {"undeclared": 5, "disagrees": 2, "uncertain": 1, "agrees": 3}
    detected = {f["value"]: f["count"]
                for f in data["facet_results"]["language_detected"]["results"]}
    assert detected["ky"] == 2 and detected["en"] == 2
    row = next(r for r in data["rows"] if r["title"] == real("ru", 2))
    assert (row["language"], row["language_detected"]) == ("en", "ru")
    assert html.status_code == 200 and "2 resources" in html.text  # (result cards)


def test_the_step_is_incremental_and_runs_on_demand(built):
    # changes the module's catalogue: the last test to use it
    harvested = built
    before = stored(harvested.db)

    again = harvested.run("harvest")
    assert again.returncode == 0, again.stderr
    nothing = harvested.run("languages", "detect", "--source", "kg-mixed")
    assert nothing.stdout.strip() == "no record changed since the last detection"
    unknown = harvested.run("languages", "detect", "--source", "kg-nope")
    assert unknown.returncode == 2 and "'kg-nope'" in unknown.stderr

    # the librarian fixes one record: it now declares Russian; another gets a Kazakh title
    harvested.repo.edit("oai:kg:ru-as-en", language=["rus"])
    harvested.repo.edit("oai:kg:kk-none", title=[real("kk", 5)])
    assert harvested.run("harvest").returncode == 0
    third = harvested.run("languages", "detect")
    assert "2 records checked" in third.stdout, third.stdout
    after = stored(harvested.db)
    assert after["ru-as-en"]["language_check"] == "agrees"
    assert after["kk-none"]["language_detected"] == "kk"
    assert after["kk-none"]["language_checked"] != before["kk-none"]["language_checked"]
    assert after["ka-none"]["language_checked"] == before["ka-none"]["language_checked"]

    # --all (`oerhub languages detect --all`): every live record again, as after renormalize
    with Catalogue(harvested.db) as catalogue:
        catalogue.conn.execute("UPDATE records SET language_detected = NULL")
        run = detect_languages(catalogue, everything=True, source_id="kg-mixed")
        assert detect_languages(catalogue).checked == 0
    assert run.checked == len(CASES)
    assert {k: r["language_detected"] for k, r in stored(harvested.db).items()} == {
        **{k: case[4] for k, case in CASES.items()}, "ru-as-en": "ru", "kk-none": "kk"}


def test_a_version_stored_within_the_same_second_is_detected_again(tmp_path, monkeypatch):
    # CI found it: harvest, detect, edit and harvest again within one second gave the new
    # version the last_changed the detection had kept, and the step skipped it. The clock is
    # stopped here, so every write has the same stamp.
    monkeypatch.setattr("oerhub.catalogue.base.utc_now", lambda: "2026-12-06T06:00:00Z")
    with _harvest(tmp_path) as harvested:
        harvested.repo.edit("oai:kg:ru-as-en", language=["rus"])
        assert harvested.run("harvest").returncode == 0
        assert stored(harvested.db)["ru-as-en"]["language_checked"] is None
        again = harvested.run("languages", "detect")
        assert again.stdout.startswith("1 records checked"), again.stdout
        after = stored(harvested.db)
    assert after["ru-as-en"]["language_check"] == "agrees"
    assert {row["last_changed"] for row in after.values()} == {"2026-12-06T06:00:00Z"}


# --- the rules, as tables ---------------------------------------------------------------------


@pytest.mark.parametrize(("title", "description", "text"), [
    ("  Физика\n 7 класс ", None, "Физика 7 класс"),
    ("Fizika", "Darslik. https://example.uz/book.pdf and www.example.uz", "Fizika. Darslik. and"),
    (None, "Only a description", "Only a description"),
    (None, None, ""),
    ("T" * 400, None, "T" * 300),
])
def test_what_is_read(title, description, text):
    assert record_text(title, description) == text


@pytest.mark.parametrize(("declared", "detected", "confidence", "check"), [
    (None, None, None, None),
    ("ru", None, None, None),
    (None, "ky", 0.97, "undeclared"),
    ("ru", "ru", 0.6, "agrees"),
    ("en", "ru", 0.95, "disagrees"),
    ("en", "ru", 0.9, "disagrees"),
    ("en", "ru", 0.89, "uncertain"),
    ("nl", "en", 0.99, "uncertain"),  # Dutch: the detector cannot recognise it
    ("mn", "ru", 0.99, "uncertain"),  # Mongolian Cyrillic: nor this
    ("ky", "kk", 0.95, "disagrees"),
])
def test_language_check_in_python_and_in_sql(declared, detected, confidence, check):
    assert language_check(declared, detected, confidence) == check
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE records (language, language_detected, language_confidence)")
    conn.execute("INSERT INTO records VALUES (?, ?, ?)", (declared, detected, confidence))
    assert conn.execute(f"SELECT {LANGUAGE_CHECK_SQL} FROM records").fetchone()[0] == check


def test_the_view_checks_as_the_detector_does(tmp_path):
    with Catalogue(tmp_path / "c.db") as catalogue:
        view = catalogue.conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'resources'").fetchone()[0]
    for code in LANGUAGES:
        assert f"'{code}'" in view
    assert "r.language_confidence >= 0.9" in view


def test_an_older_catalogue_gets_the_columns_and_the_new_view(tmp_path):
    db = tmp_path / "old.db"
    Catalogue(db).close()
    conn = sqlite3.connect(db)  # as schema 6 left it: no columns, the view without them
    conn.execute("DROP VIEW resources")
    conn.execute("CREATE VIEW resources AS SELECT id, title, language FROM records")
    for column in ("language_detected", "language_confidence", "language_checked"):
        conn.execute(f"ALTER TABLE records DROP COLUMN {column}")
    conn.execute("PRAGMA user_version = 6")
    conn.commit()
    conn.close()

    with Catalogue(db) as catalogue:
        columns = {row[1] for row in catalogue.conn.execute("PRAGMA table_info(records)")}
        view = {row[1] for row in catalogue.conn.execute("PRAGMA table_info(resources)")}
    assert {"language_detected", "language_confidence", "language_checked"} <= columns
    assert {"language", "language_detected", "language_confidence", "language_check",
            "openness", "source_name"} <= view


@pytest.mark.parametrize(("text", "expected"), [
    ("Учебное пособие по химии", "ru"),
    ("Химия окуу китеби", "ky"),
    ("Kimyo darsligi", "uz"),
    ("Türkmenistanyň taryhy okuw kitaby", "tk"),
    ("Китоби дарсии химия", "tg"),
    ("R_2", None),  # too few letters
    ("2019-05-14 12:00", None),
    ("", None),
])
def test_short_texts(text, expected):
    found = Detector().detect(text)
    assert found.language == expected
    assert found == Detection() if expected is None else found.confidence >= 0.5
