"""The catalogue file itself: upgrades of older catalogues, refusal of newer ones."""

from __future__ import annotations

import sqlite3

import pytest

from oerhub.catalogue import SCHEMA_VERSION, Catalogue
from oerhub.errors import CatalogueError
from oerhub.models import Batch, RunProgress


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
        catalogue.store_batch(RunProgress(run, "lv-x", 1, 1), Batch(raws, None, normalised=records))

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
    from oerhub.models import PageState, RawRecord, Record

    with Catalogue(tmp_path / "web.db") as catalogue:
        catalogue.conn.execute("INSERT INTO sources (id, name, country, protocol, url) "
                               "VALUES ('ua-w', 'W', 'UA', 'html', 'http://w/')")

        def store(title: str, skipped: int = 0) -> tuple[int, int, int, int]:
            run = catalogue.start_run("ua-w", "full", None)
            raw = RawRecord("ua-w", "http://w/1", None, False, "html", f'{{"title": "{title}"}}')
            page = PageState("http://w/1", etag='"a"', status=200, identifiers=("http://w/1",))
            counts = catalogue.store_batch(RunProgress(run, "ua-w", 1, 1), Batch([raw], None, pages=[page], skipped=skipped, normalised=[Record("ua-w", "http://w/1", None,
                                                                title=title)]))
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


# --- the batched writes (issue 6) ---------------------------------------------------------


def _catalogue_with_source(path):
    catalogue = Catalogue(path)
    catalogue.conn.execute("INSERT INTO sources (id, name, country, protocol, url) "
                           "VALUES ('ua-x', 'X', 'UA', 'oai-pmh', 'http://x/oai')")
    return catalogue


def _store(catalogue, records, run=None):
    from oerhub.models import RawRecord

    run = run or catalogue.start_run("ua-x", "full", None)
    raws = [RawRecord("ua-x", r.identifier, r.datestamp, r.deleted, "oai_dc",
                      None if r.deleted else f"<x>{r.title}</x>") for r in records]
    counts = catalogue.store_batch(RunProgress(run, "ua-x", 1, 1), Batch(raws, None, normalised=records))
    return run, (counts.new, counts.updated, counts.deleted, counts.unchanged)


def _subjects(catalogue):
    return sorted(catalogue.conn.execute(
        "SELECT r.identifier, s.subject FROM record_subjects s JOIN records r "
        "ON r.id = s.record_id").fetchall())


def _search(catalogue, word):
    return sorted(row[0] for row in catalogue.conn.execute(
        "SELECT r.identifier FROM records_fts JOIN records r ON r.id = records_fts.rowid "
        "WHERE records_fts MATCH ?", (word,)))


def test_batches_keep_search_and_subjects_in_step_with_the_records(tmp_path):
    from oerhub.models import Record

    with _catalogue_with_source(tmp_path / "c.db") as catalogue:
        first = [Record("ua-x", f"oai:{n}", "2024-01-01", title=f"Хімія {n}",
                        subjects=["хімія", f"тема {n}"]) for n in range(3)]
        _, counts = _store(catalogue, first)
        assert counts == (3, 0, 0, 0)
        ids = [row[0] for row in catalogue.conn.execute("SELECT id FROM records ORDER BY id")]
        assert ids == [1, 2, 3]  # the ids SQLite itself would have given
        assert _search(catalogue, "хімія") == ["oai:0", "oai:1", "oai:2"]
        assert len(_subjects(catalogue)) == 6

        changed = [Record("ua-x", "oai:1", "2024-02-01", title="Фізика", subjects=["фізика"]),
                   Record("ua-x", "oai:2", "2024-01-01", title="Хімія 2",
                          subjects=["хімія", "тема 2"]),
                   Record("ua-x", "oai:3", "2024-02-01", title="Хімія 3")]
        run, counts = _store(catalogue, changed)
        assert counts == (1, 1, 0, 1)
        assert _search(catalogue, "хімія") == ["oai:0", "oai:2", "oai:3"]
        assert _search(catalogue, "фізика") == ["oai:1"]
        assert ("oai:1", "фізика") in _subjects(catalogue)
        assert ("oai:1", "хімія") not in _subjects(catalogue)
        catalogue.finish_run(run, "ua-x", "ok")

        run, counts = _store(catalogue, [Record("ua-x", "oai:0", "2024-03-01", deleted=True)])
        assert counts == (0, 0, 1, 0)
        assert catalogue.finish_run(run, "ua-x", "ok", max_deletions=1.0) == "ok"
        assert "oai:0" not in {identifier for identifier, _ in _subjects(catalogue)}
        assert _search(catalogue, "хімія") == ["oai:0", "oai:2", "oai:3"]  # tombstones: as before


def test_a_page_listing_a_record_twice_is_stored_as_before(tmp_path):
    from oerhub.models import Record

    with _catalogue_with_source(tmp_path / "c.db") as catalogue:
        twice = [Record("ua-x", "oai:1", "2024-01-01", title="Перша", subjects=["a"]),
                 Record("ua-x", "oai:2", "2024-01-01", title="Друга"),
                 Record("ua-x", "oai:1", "2024-01-02", title="Оновлена", subjects=["b"])]
        _, counts = _store(catalogue, twice)
        assert counts == (3, 0, 0, 0)  # each copy counted, as one record at a time did
        assert catalogue.count("records") == 2
        assert _search(catalogue, "оновлена") == ["oai:1"]
        assert _search(catalogue, "перша") == []
        assert _subjects(catalogue) == [("oai:1", "b")]


def test_a_schema_6_catalogue_gets_subjects_and_batched_search_in_place(tmp_path):
    """Schema 6 kept the index in step with a trigger per inserted row; 7 drops that one."""
    from oerhub.models import Record

    db = tmp_path / "old.db"
    with _catalogue_with_source(db) as catalogue:
        _store(catalogue, [Record("ua-x", "oai:1", "2024-01-01", title="Хімія",
                                  subjects=["хімія", "органічна"])])
        conn = catalogue.conn
        conn.execute("DELETE FROM record_subjects")
        conn.execute("DROP TABLE record_subjects")
        conn.execute("DROP TRIGGER records_au")
        conn.execute('CREATE TRIGGER "records_ai" AFTER INSERT ON "records" BEGIN INSERT INTO '
                     '"records_fts" (rowid, "title", "description", "subjects", "creators") '
                     'VALUES (new.rowid, new."title", new."description", new."subjects", '
                     'new."creators"); END')
        conn.execute('CREATE TRIGGER "records_au" AFTER UPDATE ON "records" BEGIN INSERT INTO '
                     '"records_fts" ("records_fts", rowid, "title", "description", "subjects", '
                     '"creators") VALUES(\'delete\', old.rowid, old."title", old."description", '
                     'old."subjects", old."creators"); INSERT INTO "records_fts" (rowid, "title", '
                     '"description", "subjects", "creators") VALUES (new.rowid, new."title", '
                     'new."description", new."subjects", new."creators"); END')
        conn.execute("PRAGMA user_version = 6")

    with Catalogue(db) as catalogue:
        triggers = {row[0] for row in catalogue.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name NOT LIKE "
            "'records_search%'")}  # (the script-aware index keeps its own, on update/delete)
        assert triggers == {"records_ad", "records_au"}  # no trigger per inserted row
        assert _subjects(catalogue) == [("oai:1", "органічна"), ("oai:1", "хімія")]
        _store(catalogue, [Record("ua-x", "oai:2", "2024-01-01", title="Хімія 2")])
        assert _search(catalogue, "хімія") == ["oai:1", "oai:2"]  # each row indexed once
        assert catalogue.conn.execute(
            "INSERT INTO records_fts (records_fts, rank) VALUES ('integrity-check', 1)") is not None
