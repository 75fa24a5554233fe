"""Nothing lost, nothing silent (issue 12, items 1–5): a batch that fails to store stops the
resume point, text SQLite cannot encode is cleaned, an unreachable web source fails, Ctrl-C and
SIGTERM close the runs, and /oai never stamps a change before it is visible."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import HARVEST_SETTINGS, latest_run, query, source_toml

from oerhub.catalogue import Catalogue
from oerhub.demo.samples import SampleRepository, make_records
from oerhub.harvest.run import harvest_source
from oerhub.models import Batch, RunProgress
from oerhub.registry import load_config

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
        counts = catalogue.store_batch(RunProgress(run, "s", 1, 1), Batch(raws, None, normalised=records))
    assert counts.new == 3


# --- 4. Ctrl-C and SIGTERM --------------------------------------------------------------------

def _start_harvest(tmp_path: Path, *urls: str) -> subprocess.Popen[str]:
    config = tmp_path / "sources.toml"
    config.write_text(HARVEST_SETTINGS + "\n" + "".join(
        source_toml(f"ua-s{n}", url, window="none") for n, url in enumerate(urls)))
    env = {**os.environ, "OERHUB_CONFIG": str(config), "OERHUB_DB": str(tmp_path / "oerhub.db")}
    return subprocess.Popen([sys.executable, "-m", "oerhub.cli", "harvest"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_records(db: Path, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            try:
                if query(db, "SELECT COUNT(*) AS n FROM records")[0]["n"] >= count:
                    return
            except sqlite3.OperationalError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} records stored in {timeout} s")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_harvest_closes_the_runs_and_releases_the_lock(
        tmp_path, signum, code):
    from quirk_server import QuirkServer, Rec

    # one "endless" source (20,000 records by 10, 20 ms a page: minutes) and one finite one
    # that would end on its own in about 3 s
    endless = QuirkServer([Rec(f"oai:e:{n}", "2021-03-11", f"Урок {n}") for n in range(20000)],
                          page_size=10, delay=0.02)
    finite = QuirkServer([Rec(f"oai:f:{n}", "2021-03-11", f"Тема {n}") for n in range(300)],
                         page_size=10, delay=0.1)
    try:
        process = _start_harvest(tmp_path, endless.url, finite.url)
        db = tmp_path / "oerhub.db"
        _wait_for_records(db, 50)
        sent = time.monotonic()
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        endless.stop()
        finite.stop()
    assert process.returncode == code, out + err
    assert took < 5, f"the harvest took {took:.1f} s to stop"
    print(f"{signal.Signals(signum).name}: stopped in {took:.2f} s")  # for the closing note
    runs = query(db, "SELECT source_id, status, error FROM harvest_runs ORDER BY source_id")
    assert [r["status"] for r in runs] == ["incomplete", "incomplete"], [dict(r) for r in runs]
    assert all("stopped by" in r["error"] for r in runs)
    assert "stopped by" in err and "Traceback" not in err
    # the lock is released: a second harvest could start at once
    lock = db.with_name(db.name + ".lock")
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert lock.read_text() == "", "nobody holds the lock"
    # and what a stopped run stored was stored with its checkpoint: the finite source resumes
    stored = query(db, "SELECT COUNT(*) AS n FROM records WHERE source_id = 'ua-s1'")[0]["n"]
    state = query(db, "SELECT checkpoint FROM harvest_state WHERE source_id = 'ua-s1'")
    assert stored < 300 and (stored == 0 or state[0]["checkpoint"]), "a resume point is kept"


# --- 5. /oai stamps a change no earlier than it is visible ------------------------------------

class SlowWrite(Catalogue):
    """A catalogue whose writes take 3 s between stamping and committing (a big batch on a
    busy disk)."""

    def _write_records(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        super()._write_records(*args, **kwargs)
        time.sleep(3)


def _batch(catalogue: Catalogue, first: int, count: int) -> None:
    from oerhub.models import RawRecord, Record

    names = [f"oai:x:{n}" for n in range(first, first + count)]
    records = [Record("ua-x", name, "2024-01-01", title=f"Урок {name}") for name in names]
    raws = [RawRecord("ua-x", name, "2024-01-01", False, "oai_dc", "<dc/>") for name in names]
    run = catalogue.start_run("ua-x", "full", None)
    catalogue.store_batch(RunProgress(run, "ua-x", 1, 1), Batch(raws, None, normalised=records))
    catalogue.finish_run(run, "ua-x", "ok")


def _identifiers(client: Any, query_string: str) -> tuple[str, list[str]]:
    from lxml import etree

    response = client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc" + query_string)
    root = etree.fromstring(response.content)
    ns = {"o": "http://www.openarchives.org/OAI/2.0/"}
    return (root.findtext("o:responseDate", namespaces=ns),
            root.xpath("//o:header/o:identifier/text()", namespaces=ns))


def test_a_client_harvesting_oai_during_a_slow_write_misses_nothing(tmp_path):
    from conftest import SiteClient

    db = tmp_path / "oerhub.db"
    config = tmp_path / "sources.toml"
    config.write_text(HARVEST_SETTINGS + "\n" + source_toml("ua-x", "http://127.0.0.1:9/oai"))
    with Catalogue(db) as catalogue:
        catalogue.sync_sources(load_config(config))
        _batch(catalogue, 0, 5)

    def slow_write() -> None:
        with SlowWrite(db) as catalogue:
            _batch(catalogue, 5, 5)

    client = SiteClient.serving(db)
    try:
        writer = threading.Thread(target=slow_write)
        writer.start()
        time.sleep(1.5)  # the write has stamped and not committed: a client harvests now
        response_date, first = _identifiers(client, "")
        writer.join()
        _, second = _identifiers(client, f"&from={response_date}")
    finally:
        client.close()
    seen = {identifier.rsplit(":", 1)[-1] for identifier in first + second}
    assert len(first) == 5, "the open write is not visible yet"
    assert seen == {str(n) for n in range(10)}, f"missed: {set(map(str, range(10))) - seen}"
