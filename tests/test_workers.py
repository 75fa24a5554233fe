"""Worker processes (oerhub/workers.py): pages read and normalised there, enrichment steps
keyed and folded there, and a catalogue byte for byte what one process makes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from conftest import HARVEST_SETTINGS, source_toml

from harvesters.oai_client import peek_token
from oerhub.catalogue import Catalogue
from oerhub.demo.oai_server import OaiTestServer
from oerhub.demo.samples import SampleRepository, make_records
from oerhub.errors import ConfigError
from oerhub.harvest.run import harvest_source
from oerhub.registry import load_config
from oerhub.workers import MIN_PAGE_BYTES, worker_count

# Enough records for the enrichment steps to use the workers too (groups._PARALLEL_MIN).
RECORDS = 3000
LANGUAGES = ["ru", "uk", "kk", "uz", "lv"]

# What a catalogue holds, less the times of day: every table a harvest and its steps fill.
SNAPSHOT = {
    "records": "SELECT id, source_id, identifier, datestamp, deleted, title, description, url, "
               "language, language_raw, country, license, license_url, license_raw, access, "
               "resource_type, resource_type_raw, education_level, education_level_raw, "
               "subjects, creators, publisher, date, identifiers, sets, format FROM records",
    "raw_records": "SELECT * FROM raw_records",
    "record_subjects": "SELECT * FROM record_subjects",
    "record_keys": "SELECT * FROM record_keys",
    "record_groups": "SELECT * FROM record_groups",
    "translation_links": "SELECT * FROM translation_links",
    "searchable": "SELECT id, folded FROM records_search_state",
    "fts": "SELECT rowid, title, subjects FROM records_fts",
}


def snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    try:
        return {name: sorted(conn.execute(sql).fetchall(), key=repr)
                for name, sql in SNAPSHOT.items()}
    finally:
        conn.close()


def search(db: Path, words: str) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute(
            "SELECT rowid FROM records_search WHERE records_search MATCH ? ORDER BY rowid",
            (words,))]
    finally:
        conn.close()


def test_a_harvest_with_worker_processes_stores_what_one_process_stores(
        tmp_path, oai_server, run_oerhub):
    records = make_records("big", RECORDS, LANGUAGES)
    # a second source repeating some records' DOIs and titles: duplicates to group
    server = oai_server(SampleRepository("big", records),
                        SampleRepository("copy", make_records("big", 400, LANGUAGES)),
                        batch_size=500)
    page = server.url("big")
    stores = {}
    for processes in (0, 2):
        folder = tmp_path / f"p{processes}"
        folder.mkdir()
        (tmp_path / "sources.toml").write_text(
            # one source at a time, so that record ids are given in the same order
            HARVEST_SETTINGS + f"processes = {processes}\nworkers = 1\n\n"
            + source_toml("ua-big", page, window="none")
            + source_toml("kz-copy", server.url("copy"), country="KZ", window="none"))
        result = run_oerhub("harvest", "--db", str(folder / "oerhub.db"))
        assert result.returncode == 0, result.stderr
        assert "2 of 2 sources harvested" in result.stdout, result.stdout
        stores[processes] = folder / "oerhub.db"

    alone, spread = snapshot(stores[0]), snapshot(stores[2])
    assert len(alone["records"]) == RECORDS + 400
    assert len(alone["record_keys"]) > RECORDS, "the duplicates step keyed the records"
    assert alone["record_groups"], "the copies were grouped with their originals"
    assert len(alone["searchable"]) == RECORDS + 400, "every record folded for search"
    for table in SNAPSHOT:
        assert spread[table] == alone[table], f"{table} differs with worker processes"
    # and the search across scripts finds the same records either way
    for words in ("istorii", "qazaqstan", "himii"):  # истории, Қазақстан, химии
        hits = search(stores[0], words)
        assert hits and search(stores[2], words) == hits, words


class CountingPool(ProcessPoolExecutor):
    """A real process pool that counts what it is given (to see the pages went there)."""

    submitted = 0

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def harvest_once(tmp_path: Path, url: str, pool: ProcessPoolExecutor | None,
                 name: str) -> tuple[str, int, Path]:
    config_path = tmp_path / f"{name}.toml"
    config_path.write_text(HARVEST_SETTINGS + "\n" + source_toml("ua-big", url, window="none"))
    config = load_config(config_path)
    db = tmp_path / f"{name}.db"
    with Catalogue(db) as catalogue:
        catalogue.sync_sources(config)
        result = harvest_source(config.get("ua-big"), config.settings, catalogue,
                                processes=pool)
    return result.status, result.new, db


def test_large_pages_are_read_in_the_workers_and_small_ones_here(tmp_path, oai_server):
    big = oai_server(SampleRepository("big", make_records("big", 1200, LANGUAGES)),
                     batch_size=400)
    small = oai_server(SampleRepository("small", make_records("small", 60, LANGUAGES)),
                       batch_size=20)
    with CountingPool(2) as pool:
        status, new, db = harvest_once(tmp_path, big.url("big"), pool, "big")
        assert (status, new) == ("ok", 1200)
        assert pool.submitted == 3, "each of the 3 pages of 400 records went to a worker"
        submitted = pool.submitted
        status, new, _ = harvest_once(tmp_path, small.url("small"), pool, "small")
        assert (status, new) == ("ok", 60)
        assert pool.submitted == submitted, f"pages under {MIN_PAGE_BYTES} bytes are read here"
    status, new, inline = harvest_once(tmp_path, big.url("big"), None, "inline")
    assert snapshot(inline)["records"] == snapshot(db)["records"]


def test_a_pool_that_is_gone_leaves_the_pages_to_the_harvest_itself(tmp_path, oai_server):
    server = oai_server(SampleRepository("big", make_records("big", 800, LANGUAGES)),
                        batch_size=400)
    pool = ProcessPoolExecutor(2)
    pool.shutdown()  # as after a worker was killed: nothing can be sent there
    status, new, db = harvest_once(tmp_path, server.url("big"), pool, "gone")
    assert (status, new) == ("ok", 800)
    assert len(snapshot(db)["records"]) == 800


@pytest.mark.parametrize(("tail", "token"), [
    (b"<resumptionToken>abc</resumptionToken></ListRecords></OAI-PMH>", "abc"),
    (b'<resumptionToken cursor="0" completeListSize="9">x|1|500</resumptionToken>', "x|1|500"),
    (b"<oai:resumptionToken>p&amp;q</oai:resumptionToken>", "p&q"),
    (b"<resumptionToken>\n  spaced \n</resumptionToken>", "spaced"),
    (b'<resumptionToken completeListSize="9" cursor="8"/></ListRecords>', None),
    (b"<resumptionToken></resumptionToken>", None),
    (b"<ListRecords><record>r</record></ListRecords>", None),
    (b'<error code="noRecordsMatch">none</error><resumptionToken>ghost</resumptionToken>', None),
])
def test_the_token_is_peeked_from_the_answer_end(tail, token):
    body = b"<OAI-PMH><ListRecords>" + b"<record>x</record>" * 1000 + tail
    assert peek_token(body) == token


def test_processes_setting(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(HARVEST_SETTINGS + "processes = -1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "harvest.processes" in str(caught.value) and "0 or more" in str(caught.value)
    path.write_text(HARVEST_SETTINGS + "processes = 0\n")
    assert load_config(path).settings.processes == 0
    assert worker_count(0) == 0 and worker_count(3) == 3
    assert worker_count(None) == max(0, len(os.sched_getaffinity(0)) - 1)


def descendants(pid: int) -> set[int]:
    """Every process under `pid` (Linux /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in found} - found
        grew, found = bool(more), found | more
    return found - {pid}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_worker_processes_end_when_the_harvest_is_killed(tmp_path):
    server = OaiTestServer([SampleRepository("slow", make_records("slow", 4000, LANGUAGES))],
                           batch_size=400, delay=0.3).start()
    try:
        (tmp_path / "sources.toml").write_text(
            HARVEST_SETTINGS + "processes = 1\n\n"
            + source_toml("ua-slow", server.url("slow"), window="none"))
        env = {**os.environ, "OERHUB_CONFIG": str(tmp_path / "sources.toml"),
               "OERHUB_DB": str(tmp_path / "oerhub.db")}
        harvest = subprocess.Popen([sys.executable, "-m", "oerhub.cli", "harvest", "--quiet"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        workers: set[int] = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and harvest.poll() is None:
            if len(descendants(harvest.pid)) >= 2:  # the fork server and a worker at least
                time.sleep(1)  # (and the resource tracker)
                workers = descendants(harvest.pid)
                break
            time.sleep(0.05)
        assert workers, "the harvest started no worker process"
        harvest.kill()
        harvest.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(alive(pid) for pid in workers):
            time.sleep(0.1)
        left = [pid for pid in workers if alive(pid)]
        assert not left, f"processes left behind by a killed harvest: {left}"
    finally:
        server.stop()


def test_pages_outside_the_size_limits_are_read_by_the_harvest_itself(tmp_path, oai_server):
    from functools import partial

    from harvesters.base import HarvestState, Workers
    from harvesters.oai_pmh import OaiPmhHarvester
    from oerhub.harvest.run import make_client
    from oerhub.normalize import normalize_batch

    server = oai_server(SampleRepository("big", make_records("big", 800, LANGUAGES)),
                        batch_size=400)
    config_path = tmp_path / "sources.toml"
    config_path.write_text(HARVEST_SETTINGS + "\n" + source_toml("ua-big", server.url("big"),
                                                                 window="none"))
    config = load_config(config_path)
    source = config.get("ua-big")
    with CountingPool(1) as pool:
        for limits, sent in (((0, 1000), 0), ((0, 2**30), 2)):
            harvester = OaiPmhHarvester(source, make_client(config.settings, source))
            harvester.workers = Workers(pool, partial(normalize_batch, "UA"), *limits)
            before = pool.submitted
            batches = list(harvester.harvest(HarvestState()))
            assert pool.submitted - before == sent, limits
            records = [r for b in batches for r in b.records]
            assert len(records) == 800
            # pages read here carry their parsed elements, those read there their records
            assert all((b.normalised is not None) == bool(sent) for b in batches if b.records)


IDENTIFY = (b'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            b"<responseDate>2026-01-01T00:00:00Z</responseDate><request>x</request><Identify>"
            b"<repositoryName>r</repositoryName><baseURL>x</baseURL><protocolVersion>2.0"
            b"</protocolVersion><adminEmail>a@example.org</adminEmail><earliestDatestamp>"
            b"2020-01-01</earliestDatestamp><deletedRecord>no</deletedRecord><granularity>"
            b"YYYY-MM-DD</granularity></Identify></OAI-PMH>")


def test_a_worker_that_finds_no_oai_pmh_fails_the_source_as_the_harvest_would(
        tmp_path, static_server):
    feed = b'<?xml version="1.0"?><rss><channel>' + b"<item>lesson</item>" * 4000 + \
        b"</channel></rss>"

    def respond(path: str) -> tuple[int, dict[str, str], bytes]:
        body = IDENTIFY if "Identify" in path else feed
        return 200, {"Content-Type": "text/xml"}, body

    server = static_server(respond)
    results = []
    for pool in (CountingPool(1), None):
        status, new, db = harvest_once(tmp_path, server.url + "/oai", pool, f"rss{len(results)}")
        with Catalogue(db) as catalogue:
            results.append((status, new, catalogue.runs(limit=1)[0]["error"]))
        if pool is not None:
            assert pool.submitted == 1, "the page went to the worker"
            pool.shutdown()
    assert results[0] == results[1], "the same failure with a worker and without"
    status, new, error = results[0]
    assert (status, new) == ("failed", 0)
    assert "not OAI-PMH" in error and server.url in error, error
