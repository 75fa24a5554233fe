"""Nothing lost, nothing silent (issue 12, items 1–5): a batch that fails to store stops the
resume point, text SQLite cannot encode is cleaned, an unreachable web source fails, Ctrl-C and
SIGTERM close the runs, and /oai never stamps a change before it is visible."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from conftest import HARVEST_SETTINGS, source_toml

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
