"""The search step's index (oerhub/enrich/search.py): records_search, a contentless FTS5 table of
each live record's text and its other spellings, and the tables that keep it in step with the
records (what is indexed, with which folding, and the values changed records had)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oerhub.catalogue import Catalogue
from oerhub.catalogue.schema import SCHEMA, SEARCH_RANK, SEARCH_TRIGGERS, statements


def prepare(catalogue: Catalogue, folding: str) -> bool:
    """Make records_search ready for the step: the contentless layout, its triggers and
    rank; emptied when `folding` (the folding's version) is not what it holds. True when
    everything must be folded again."""
    with catalogue.transaction():
        conn = catalogue.conn
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = "
                        "'records_search_content'").fetchone():  # a copy of the text: gone
            conn.execute("DROP TABLE records_search")
        for statement in statements(SCHEMA):  # (a catalogue of that layout lacks them)
            if "EXISTS records_search" in statement:
                conn.execute(statement)
        for trigger in SEARCH_TRIGGERS:
            conn.execute(trigger)
        rank = conn.execute(
            "SELECT v FROM records_search_config WHERE k = 'rank'").fetchone()
        if not rank or rank[0] != SEARCH_RANK:  # kept by the table: ORDER BY rank uses it
            conn.execute("INSERT INTO records_search (records_search, rank) "
                         "VALUES ('rank', ?)", (SEARCH_RANK,))
        held = conn.execute("SELECT mark FROM records_search_folding").fetchone()
        if held and held[0] == folding:
            return False
        conn.execute("INSERT INTO records_search (records_search) VALUES ('delete-all')")
        for table in ("records_search_state", "records_search_pending",
                      "records_search_folding"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("INSERT INTO records_search_folding (mark) VALUES (?)", (folding,))
        return True


def stale(catalogue: Catalogue, limit: int) -> list[tuple[Any, ...]]:
    """Indexed records to take out of records_search, each with the values it was indexed
    with: (id, title, description, subjects, creators, language, country, folded, live) —
    changed ones (their old values), tombstones, and those indexed unfolded (folded 0)."""
    return catalogue.conn.execute(
        "SELECT p.id, p.title, p.description, p.subjects, p.creators, p.language, "
        "p.country, s.folded, COALESCE(r.deleted = 0, 0) FROM records_search_pending AS p "
        "JOIN records_search_state AS s ON s.id = p.id "
        "LEFT JOIN records AS r ON r.id = p.id LIMIT :n",
        {"n": limit}).fetchall() or catalogue.conn.execute(
        "SELECT r.id, r.title, r.description, r.subjects, r.creators, r.language, "
        "r.country, s.folded, r.deleted = 0 FROM records_search_state AS s "
        "JOIN records AS r ON r.id = s.id WHERE r.deleted = 1 OR s.folded = 0 LIMIT :n",
        {"n": limit}).fetchall()


def forget(catalogue: Catalogue, rows: Sequence[tuple[Any, ...]]) -> None:
    """Take records out of records_search: (id, title, description, subjects, creators,
    folded) as they were indexed."""
    with catalogue.transaction():
        catalogue.conn.executemany(
            "INSERT INTO records_search (records_search, rowid, title, description, "
            "subjects, creators, folded) VALUES ('delete', ?, ?, ?, ?, ?, ?)", rows)
        ids = [(row[0],) for row in rows]
        catalogue.conn.executemany("DELETE FROM records_search_state WHERE id = ?", ids)
        catalogue.conn.executemany("DELETE FROM records_search_pending WHERE id = ?", ids)
    # pending rows of records never indexed (gone before the step ran) are dropped too
    with catalogue.transaction():
        catalogue.conn.execute("DELETE FROM records_search_pending WHERE id NOT IN "
                          "(SELECT id FROM records_search_state)")


def unindexed(catalogue: Catalogue, after_id: int, limit: int) -> list[tuple[Any, ...]]:
    """Live records past `after_id` that records_search lacks, in id order: (id, title,
    subjects, creators, language, country)."""
    return catalogue.conn.execute(
        "SELECT r.id, r.title, r.subjects, r.creators, r.language, r.country "
        "FROM records AS r WHERE r.id > ? AND r.deleted = 0 AND r.id NOT IN "
        "(SELECT id FROM records_search_state) ORDER BY r.id LIMIT ?",
        (after_id, limit)).fetchall()


def store(catalogue: Catalogue, rows: Sequence[tuple[int, str]]) -> None:
    """Index records, each (id, folded): their text is read from records."""
    with catalogue.transaction():
        conn = catalogue.conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS search_batch "
                     "(id INTEGER PRIMARY KEY, folded TEXT)")
        conn.execute("DELETE FROM temp.search_batch")
        conn.executemany("INSERT INTO temp.search_batch (id, folded) VALUES (?, ?)", rows)
        conn.execute(
            "INSERT INTO records_search (rowid, title, description, subjects, creators, "
            "folded) SELECT r.id, r.title, r.description, r.subjects, r.creators, b.folded "
            "FROM temp.search_batch AS b JOIN records AS r ON r.id = b.id")
        conn.execute("INSERT INTO records_search_state (id, folded) "
                     "SELECT id, 1 FROM temp.search_batch")


def search_records(catalogue: Catalogue, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Live records with every word of `query`, each taken as typed (quoted, as
    Datasette's search box does), in any script; best first."""
    match = " ".join('"' + word.replace('"', '""') + '"' for word in query.split())
    if not match:
        return []
    return list(catalogue.db.query(
        "SELECT r.id, r.title, r.language, r.country, r.source_id, s.rank AS rank "
        "FROM records_search AS s JOIN records AS r ON r.id = s.rowid "
        "WHERE records_search MATCH ? AND r.deleted = 0 ORDER BY s.rank LIMIT ?",
        [match, limit]))
