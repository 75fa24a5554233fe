"""Nothing lost, nothing silent (issue 12, items 1–5): a batch that fails to store stops the
resume point, text SQLite cannot encode is cleaned, an unreachable web source fails, Ctrl-C and
SIGTERM close the runs, and /oai never stamps a change before it is visible."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from conftest import HARVEST_SETTINGS, latest_run, query, source_toml

from oerhub.config import load_config
from oerhub.harvest import harvest_source
from oerhub.samples import SampleRepository, make_records
from oerhub.store import Catalogue

# What a catalogue holds, less the times of day.
RECORD_COLUMNS = ("id, source_id, identifier, datestamp, deleted, title, description, url, "
                  "language, license, resource_type, subjects, creators, identifiers")


def catalogue_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(db)
    try:
        return {
            "records": conn.execute(f"SELECT {RECORD_COLUMNS} FROM records ORDER BY id").fetchall(),
            "raw_records": conn.execute("SELECT * FROM raw_records ORDER BY record_id").fetchall(),
            "record_subjects": conn.execute(
                "SELECT * FROM record_subjects ORDER BY record_id, subject").fetchall(),
        }
    finally:
        conn.close()


class FailsOnce(Catalogue):
    """A catalogue whose second batch fails to store, slowly (a disk filling up), so that the
    harvest has read and queued the batches after it by then."""

    calls = 0

    def store_batch(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        FailsOnce.calls += 1
        if FailsOnce.calls == 2:
            time.sleep(0.5)
            raise sqlite3.OperationalError("database or disk is full")
        return super().store_batch(*args, **kwargs)


def harvest_with(catalogue_class: type[Catalogue], config_path: Path, db: Path) -> Any:
    config = load_config(config_path)
    with catalogue_class(db) as catalogue:
        catalogue.sync_sources(config)
        return harvest_source(config.get("ua-big"), config.settings, catalogue)


def test_a_batch_that_fails_to_store_stops_the_resume_point(tmp_path, oai_server):
    server = oai_server(SampleRepository("big", make_records("big", 1000, ["uk", "ru"])),
                        batch_size=100)
    config_path = tmp_path / "sources.toml"
    config_path.write_text(HARVEST_SETTINGS + "workers = 1\nprocesses = 0\n\n"
                           + source_toml("ua-big", server.url("big"), window="none"))

    clean = harvest_with(Catalogue, config_path, tmp_path / "clean.db")
    assert (clean.status, clean.new) == ("ok", 1000)

    db = tmp_path / "broken.db"
    FailsOnce.calls = 0
    first = harvest_with(FailsOnce, config_path, db)
    assert first.status in ("failed", "incomplete"), first
    assert "database or disk is full" in (first.error or "")
    assert "Traceback" not in (first.error or ""), "the public run table holds no traceback"
    stored = catalogue_rows(db)["records"]
    assert len(stored) == 100, "only the batch before the failed one was stored"
    assert first.requests >= 3, "the harvest had read on past the failed batch"

    again = harvest_with(Catalogue, config_path, db)
    assert again.status == "ok", again
    assert again.new == 900, "the rerun fetched the failed page and everything after it"
    assert catalogue_rows(db) == catalogue_rows(tmp_path / "clean.db")


# --- 2. text SQLite cannot encode ------------------------------------------------------------

def test_a_lone_surrogate_in_json_is_cleaned_and_the_record_kept(tmp_path, website,
                                                                  write_config, run_oerhub):
    from test_web_json_api import EDX, edx_course, edx_source

    courses = [edx_course(website.url, "MON", f"C{n}", f"Курс {n}") for n in range(5)]
    courses[2]["name"] = "Хімія \ud800 8 клас"        # valid JSON: "\ud800" escaped
    courses[3]["short_description"] = "Опис \udfff курсу"
    courses[4]["id"] = courses[4]["course_id"] = "course-v1:MON+C4\ud800+2024_T1"
    website.add(EDX + "?page_size=100", json.dumps({  # ASCII JSON: "\ud800" as an escape
        "results": courses, "pagination": {"next": None, "previous": None, "count": 5,
                                           "num_pages": 1}}), "application/json")
    write_config(edx_source(website))

    for _ in range(2):  # the second run finds everything unchanged: no run alternates
        result = run_oerhub("harvest")
        assert result.returncode == 0, result.stdout + result.stderr
    runs = [r["status"] for r in query(tmp_path / "oerhub.db",
                                       "SELECT status FROM harvest_runs ORDER BY id")]
    assert runs == ["ok", "ok"]
    rows = {r["title"]: dict(r) for r in query(tmp_path / "oerhub.db", "SELECT * FROM records")}
    assert len(rows) == 5, "every course kept"
    assert "Хімія 8 клас" in rows, "the surrogate is gone from the title"
    assert rows["Курс 3"]["description"] == "Опис курсу"
    assert rows["Курс 4"]["identifier"] == "course-v1:MON+C4+2024_T1"
    raw = query(tmp_path / "oerhub.db", "SELECT raw FROM raw_records WHERE record_id = ?",
                (rows["Хімія 8 клас"]["id"],))[0]["raw"]
    assert json.loads(raw)["name"] == "Хімія  8 клас", "the raw record holds the cleaned item"
    assert latest_run(tmp_path / "oerhub.db")["records_unchanged"] == 5


def test_one_sitemap_page_with_a_lone_surrogate_holds_back_no_other(tmp_path, website,
                                                                     write_config, run_oerhub):
    from test_web_sitemap import json_ld, page

    urls = []
    for n in range(30):
        name = f"Урок {n}" + (" \ud800" if n == 7 else "")
        body = page(json_ld({"@context": "https://schema.org", "@type": "LearningResource",
                             "name": name, "inLanguage": "uk"}).replace(
            "\ud800", "\\ud800"), lang="uk")
        website.add(f"/lesson/{n}", body)
        urls.append(f"<url><loc>{website.url}/lesson/{n}</loc></url>")
    website.add("/sitemap.xml", '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/'
                'schemas/sitemap/0.9">' + "".join(urls) + "</urlset>", "application/xml")
    write_config(source_toml("ua-lessons", website.url + "/sitemap.xml", protocol="sitemap",
                             delay=0))
    result = run_oerhub("harvest")
    assert result.returncode == 0, result.stdout + result.stderr
    titles = {r["title"] for r in query(tmp_path / "oerhub.db", "SELECT title FROM records")}
    assert len(titles) == 30 and "Урок 7" in titles


def test_storable_makes_any_record_storable_and_keeps_it(tmp_path):
    """The last guard before the catalogue, for text no JSON parser saw (a feed's or a page's)."""
    from oerhub.models import RawRecord, Record
    from oerhub.normalize import storable

    raws = [RawRecord("s", "a\ud800", None, False, "feed", '{"title": "x\ud800y"}'),
            RawRecord("s", "b", None, False, "oai_dc", "<dc>z\udc00</dc>"),
            RawRecord("s", "c", None, False, "feed", '{"title": "fine"}')]
    records = [Record("s", "a\ud800", None, title="x\ud800y", subjects=["m\udfffath"]),
               Record("s", "b", None, url="http://h/\udc00"),
               Record("s", "c", None, title="fine")]
    raws, records = storable(raws, records)
    assert [r.identifier for r in raws] == [r.identifier for r in records] == ["a", "b", "c"]
    assert json.loads(raws[0].raw) == {"title": "x\ud800y"}, "JSON: escaped, same value"
    assert raws[1].raw == "<dc>z</dc>"
    assert (records[0].title, records[0].subjects, records[1].url) == ("xy", ["math"], "http://h/")
    config = tmp_path / "sources.toml"
    config.write_text(HARVEST_SETTINGS + "\n" + source_toml("s", "http://127.0.0.1:9/oai"))
    with Catalogue(tmp_path / "c.db") as catalogue:
        catalogue.sync_sources(load_config(config))
        run = catalogue.start_run("s", "full", None)
        counts = catalogue.store_batch(run, "s", records, raws, None, 1, 1)
    assert counts.new == 3
