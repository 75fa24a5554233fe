"""The catalogue file itself: upgrades of older catalogues, refusal of newer ones."""

from __future__ import annotations

import sqlite3

import pytest

from oerhub.errors import CatalogueError
from oerhub.store import SCHEMA_VERSION, Catalogue


def test_an_older_catalogue_is_upgraded_in_place(tmp_path):
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)  # a schema-1 catalogue: harvest_runs without `seconds`
    conn.executescript("""
        CREATE TABLE sources (id TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL,
            protocol TEXT NOT NULL, url TEXT NOT NULL);
        CREATE TABLE harvest_runs (id INTEGER PRIMARY KEY, source_id TEXT NOT NULL,
            started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL, mode TEXT NOT NULL);
        INSERT INTO sources VALUES ('ua-x', 'X', 'UA', 'oai-pmh', 'http://x/oai');
        INSERT INTO harvest_runs VALUES (1, 'ua-x', '2025-01-01T00:00:00Z', NULL, 'ok', 'full');
        PRAGMA user_version = 1;
    """)
    conn.close()

    with Catalogue(db) as catalogue:
        columns = {row[1] for row in catalogue.conn.execute("PRAGMA table_info(harvest_runs)")}
        assert "seconds" in columns
        assert catalogue.count("harvest_runs") == 1  # nothing lost
        assert catalogue.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert catalogue.count("pending_deletions") == 0  # tables added since exist


def test_a_catalogue_from_a_newer_oerhub_is_refused(tmp_path):
    db = tmp_path / "new.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(CatalogueError, match="written by a newer oerhub"):
        Catalogue(db)


def test_full_text_search_folds_case_in_every_script_but_keeps_diacritics(tmp_path):
    from oerhub.models import RawRecord, Record

    titles = ["Ķīmija mācību grāmata", "Учебное пособие по ХИМИИ", "ქიმიის სახელმძღვანელო",
              "Քիմիայի դասագիրք", "Chemijos vadovėlis"]
    with Catalogue(tmp_path / "fts.db") as catalogue:
        catalogue.conn.execute("INSERT INTO sources (id, name, country, protocol, url) "
                               "VALUES ('lv-x', 'X', 'LV', 'oai-pmh', 'http://x/oai')")
        run = catalogue.start_run("lv-x", "full", None)
        records = [Record("lv-x", f"oai:{n}", "2024-01-01", title=t, subjects=["кафедра"])
                   for n, t in enumerate(titles)]
        raws = [RawRecord("lv-x", r.identifier, r.datestamp, False, "oai_dc", "<x/>")
                for r in records]
        catalogue.store_batch(run, "lv-x", records, raws, None, 1, 1)

        def search(words: str) -> list[str]:
            return [row[0] for row in catalogue.conn.execute(
                "SELECT r.title FROM records_fts JOIN records r ON r.id = records_fts.rowid "
                "WHERE records_fts MATCH ? ORDER BY r.id", (words,))]

        assert search("ķīmija") == search("Ķīmija") == search("ĶĪMIJA") == [titles[0]]
        assert search("kimija") == []  # diacritics are kept: a different word
        assert search("химии") == [titles[1]]  # Cyrillic case folded
        assert search("ქიმიის") == [titles[2]]
        assert search("քիմիայի") == [titles[3]]  # Armenian case folded
        assert search("vadovėlis") == [titles[4]]
        assert len(search("кафедра")) == 5  # subjects are searched too


def test_web_records_without_a_date_are_compared_by_their_raw_metadata(tmp_path):
    """A page with no modification date is unchanged only when its raw fields are the same."""
    from harvesters.base import PageState
    from oerhub.models import RawRecord, Record

    with Catalogue(tmp_path / "web.db") as catalogue:
        catalogue.conn.execute("INSERT INTO sources (id, name, country, protocol, url) "
                               "VALUES ('ua-w', 'W', 'UA', 'html', 'http://w/')")

        def store(title: str, skipped: int = 0) -> tuple[int, int, int, int]:
            run = catalogue.start_run("ua-w", "full", None)
            raw = RawRecord("ua-w", "http://w/1", None, False, "html", f'{{"title": "{title}"}}')
            page = PageState("http://w/1", etag='"a"', status=200, identifiers=("http://w/1",))
            counts = catalogue.store_batch(run, "ua-w", [Record("ua-w", "http://w/1", None,
                                                                title=title)], [raw], None, 1, 1,
                                           [page], skipped)
            return counts.new, counts.updated, counts.unchanged, counts.deleted

        assert store("Фізика") == (1, 0, 0, 0)
        assert store("Фізика") == (0, 0, 1, 0)
        assert store("Фізика 7 клас") == (0, 1, 0, 0)
        assert store("Фізика 7 клас", skipped=4) == (0, 0, 5, 0)
        state = catalogue.state("ua-w", web=True)
        assert state.known == {"http://w/1": None}
        assert state.pages["http://w/1"].etag == '"a"'
        assert state.pages["http://w/1"].identifiers == ("http://w/1",)
        assert catalogue.state("ua-w").pages == {}  # OAI-PMH sources do not load them
