"""The search step's index (oerhub/enrich/search.py): records_search, a contentless FTS5 table of
each live record's text and its other spellings, and the tables that keep it in step with the
records (what is indexed, with which folding, and the values changed records had)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from oerhub.catalogue import Catalogue
from oerhub.catalogue.schema import SCHEMA, SEARCH_RANK, SEARCH_TRIGGERS, statements

# The as-you-type suggestions (suggest_index.py), emptied with records_search: made anew too.
SUGGESTION_TABLES = ("suggestion_keys", "suggestion_records", "suggestions")


def prepare(catalogue: Catalogue, folding: str) -> bool:
    """Make records_search ready for the step: the contentless layout, its triggers and
    rank; emptied when `folding` (the folding's version) is not what it holds, and the
    suggestions with it. True when everything must be folded again."""
    with catalogue.transaction():
        conn = catalogue.conn
        remade = bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = "
                                   "'records_search_content'").fetchone() or _lacks_forms(conn))
        if remade:  # a copy of the text, or no word forms: made anew, everything indexed again
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
        if held and held[0] == folding and not remade:
            return False
        conn.execute("INSERT INTO records_search (records_search) VALUES ('delete-all')")
        for table in ("records_search_state", "records_search_pending",
                      "records_search_folding", *SUGGESTION_TABLES):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("INSERT INTO records_search_folding (mark) VALUES (?)", (folding,))
        return True


def _lacks_forms(conn: Any) -> bool:
    """records_search made before word forms (no `forms` column): made anew."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(records_search)")}
    return bool(columns) and "forms" not in columns


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
    folded, forms, text_forms) as they were indexed."""
    with catalogue.transaction():
        catalogue.conn.executemany(
            "INSERT INTO records_search (records_search, rowid, title, description, "
            "subjects, creators, folded, forms, text_forms) "
            "VALUES ('delete', ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        ids = [(row[0],) for row in rows]
        catalogue.conn.executemany("DELETE FROM records_search_state WHERE id = ?", ids)
        catalogue.conn.executemany("DELETE FROM records_search_pending WHERE id = ?", ids)
    # pending rows of records never indexed (gone before the step ran) are dropped too
    with catalogue.transaction():
        catalogue.conn.execute("DELETE FROM records_search_pending WHERE id NOT IN "
                          "(SELECT id FROM records_search_state)")


def unindexed(catalogue: Catalogue, after_id: int, limit: int) -> list[tuple[Any, ...]]:
    """Live records past `after_id` that records_search lacks, in id order: (id, title,
    subjects, creators, language, country, description)."""
    return catalogue.conn.execute(
        "SELECT r.id, r.title, r.subjects, r.creators, r.language, r.country, r.description "
        "FROM records AS r WHERE r.id > ? AND r.deleted = 0 AND r.id NOT IN "
        "(SELECT id FROM records_search_state) ORDER BY r.id LIMIT ?",
        (after_id, limit)).fetchall()


def store(catalogue: Catalogue, rows: Sequence[tuple[Any, ...]]) -> None:
    """Index records, each (id, folded, forms, text_forms, …): their text is read from
    records."""
    with catalogue.transaction():
        conn = catalogue.conn
        conn.execute("DROP TABLE IF EXISTS temp.search_batch")  # (an older layout's)
        conn.execute("CREATE TEMP TABLE search_batch "
                     "(id INTEGER PRIMARY KEY, folded TEXT, forms TEXT, text_forms TEXT)")
        conn.executemany("INSERT INTO temp.search_batch (id, folded, forms, text_forms) "
                         "VALUES (?, ?, ?, ?)", [row[:4] for row in rows])
        conn.execute(
            "INSERT INTO records_search (rowid, title, description, subjects, creators, "
            "folded, forms, text_forms) SELECT r.id, r.title, r.description, r.subjects, "
            "r.creators, b.folded, b.forms, b.text_forms "
            "FROM temp.search_batch AS b JOIN records AS r ON r.id = b.id")
        conn.execute("INSERT INTO records_search_state (id, folded) "
                     "SELECT id, 1 FROM temp.search_batch")


# A query's matches ranked by bm25 at most: past this many, the newest this many are ranked
# (FTS5 computes bm25 for every row it sorts: a word in a third of a million records took
# 0.8 s; benchmarks/search_scale.py). bm25 still reads each phrase's whole posting list once
# per query, for its frequency: a word in every record costs ~50 ms a phrase whatever this
# is. Filters by country or language rank all.
RANKED_AT_MOST = 2000


def search_records(catalogue: Catalogue, match: str, limit: int = 20,
                   country: str | None = None, language: str | None = None
                   ) -> list[dict[str, Any]]:
    """Live records matching the FTS5 query `match` (search.query_match makes it), best
    first; only those of `country` and `language` when given."""
    if not match:
        return []
    if country is None and language is None:
        return list(catalogue.db.query(
            "SELECT r.id, r.identifier, r.source_id, r.title, r.url, r.language, r.country, "
            "s.rank AS rank FROM (SELECT rowid, rank FROM records_search WHERE "
            "records_search MATCH :match AND rowid >= :floor ORDER BY rank LIMIT :ranked) "
            "AS s JOIN records AS r ON r.id = s.rowid WHERE r.deleted = 0 ORDER BY s.rank "
            "LIMIT :limit", {"match": match, "limit": limit, "ranked": limit + 100,
                             "floor": ranked_floor(catalogue.conn, match)}))
    return list(catalogue.db.query(
        "SELECT r.id, r.identifier, r.source_id, r.title, r.url, r.language, r.country, "
        "s.rank AS rank FROM records_search AS s JOIN records AS r ON r.id = s.rowid "
        "WHERE records_search MATCH :match AND r.deleted = 0 "
        "AND (:country IS NULL OR r.country = :country) "
        "AND (:language IS NULL OR r.language = :language) ORDER BY s.rank LIMIT :limit",
        {"match": match, "limit": limit, "country": country, "language": language}))


def ranked_floor(conn: sqlite3.Connection, match: str) -> int:
    """The smallest rowid of the newest RANKED_AT_MOST matches (0 when there are fewer):
    read from the end of the index, it stops there. The site's ranked search asks it too
    (site_guard's oerhub_floor)."""
    row = conn.execute(
        "SELECT rowid FROM records_search WHERE records_search MATCH ? ORDER BY rowid DESC "
        "LIMIT 1 OFFSET ?", (match, RANKED_AT_MOST - 1)).fetchone()
    return int(row[0]) if row else 0
