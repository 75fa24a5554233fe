"""The SQL of the suggestion tables (schema: suggestions, suggestion_keys, suggestion_records):
kept in step by the search step (search_step.py) as it indexes and forgets records, and read by
`lookup` for /-/suggest (oerhub/publish/suggest.py). suggestions.py makes the keys."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from oerhub.catalogue import Catalogue
from oerhub.enrich.search import _WORD
from oerhub.enrich.suggestions import (
    MAX_TEXT,
    OTHER_FROM,
    digest,
    matches_word,
    query_prefixes,
    text_keys,
)

# A prefix whose key range holds at most this many rows is answered from the range, sorted
# by rank; a commoner one by walking the keys of its first letter in rank order until enough
# match (a common prefix matches often there: the walk stops early).
THRESHOLD = 5000
Entry = tuple[int, str | None, Sequence[tuple[str, int]], Sequence[str], str | None, str | None]


def _find(conn: sqlite3.Connection, kind: str, text: str) -> int | None:
    row = conn.execute("SELECT id FROM suggestions WHERE digest = ? AND kind = ? AND text = ?",
                       (digest(kind, text), kind, text)).fetchone()
    return row[0] if row else None


def _ensure(conn: sqlite3.Connection, kind: str, text: str, record_id: int | None,
            language: str | None, country: str | None,
            keys: Sequence[tuple[str, int]] | None = None) -> int:
    found = _find(conn, kind, text)
    if found is not None:
        return found
    cursor = conn.execute(
        "INSERT INTO suggestions (kind, text, digest, record_id, language, country) "
        "VALUES (?, ?, ?, ?, ?, ?)", (kind, text, digest(kind, text), record_id, language,
                                      country))
    new = int(cursor.lastrowid or 0)
    conn.executemany("INSERT OR IGNORE INTO suggestion_keys (key, rank, suggestion_id) "
                     "VALUES (?, ?, ?)", [(key, rank, new) for key, rank in (
                         keys if keys is not None else text_keys(kind, text, language, country))])
    return new


def add(catalogue: Catalogue, entries: Iterable[Entry]) -> None:
    """Newly indexed records, each (id, title, the title's keys, subjects, language,
    country): their title and subjects become suggestions, once each."""
    with catalogue.transaction():
        conn = catalogue.conn
        for record_id, title, title_keys, subjects, language, country in entries:
            if title and title.strip():
                found = _ensure(conn, "title", title, record_id, language, country, title_keys)
                conn.execute("INSERT OR IGNORE INTO suggestion_records (suggestion_id, "
                             "record_id) VALUES (?, ?)", (found, record_id))
                conn.execute("UPDATE suggestions SET record_id = ?1 WHERE id = ?2 "
                              "AND record_id > ?1", (record_id, found))
            for subject in dict.fromkeys(subjects):
                if subject.strip() and len(subject) <= MAX_TEXT:
                    _ensure(conn, "subject", subject, None, language, country)


def remove(catalogue: Catalogue, entries: Iterable[tuple[int, str | None, Sequence[str]]]
           ) -> None:
    """Records taken out of the index, each (id, title, subjects) as indexed: a title no live
    record has any more goes, and a subject no live record has."""
    with catalogue.transaction():
        conn = catalogue.conn
        titles: set[int] = set()
        subjects: set[str] = set()
        for record_id, title, record_subjects in entries:
            found = _find(conn, "title", title) if title else None
            if found is not None:
                conn.execute("DELETE FROM suggestion_records WHERE suggestion_id = ? "
                             "AND record_id = ?", (found, record_id))
                titles.add(found)
            subjects.update(record_subjects)
        for found in titles:
            first = conn.execute("SELECT MIN(record_id) FROM suggestion_records "
                                 "WHERE suggestion_id = ?", (found,)).fetchone()[0]
            if first is None:
                _drop(conn, found)
            else:
                conn.execute("UPDATE suggestions SET record_id = ? WHERE id = ?", (first, found))
        for subject in subjects:
            found = _find(conn, "subject", subject)
            if found is not None and not conn.execute(
                    "SELECT 1 FROM record_subjects WHERE subject = ? LIMIT 1",
                    (subject,)).fetchone():
                _drop(conn, found)


def _drop(conn: sqlite3.Connection, found: int) -> None:
    """A suggestion and its keys (made again from its text, as they were made)."""
    kind, text, language, country = conn.execute(
        "SELECT kind, text, language, country FROM suggestions WHERE id = ?",
        (found,)).fetchone()
    conn.executemany("DELETE FROM suggestion_keys WHERE key = ? AND rank = ? "
                     "AND suggestion_id = ?",
                     [(key, rank, found) for key, rank in text_keys(kind, text, language,
                                                                    country)])
    conn.execute("DELETE FROM suggestions WHERE id = ?", (found,))


# --- reading -------------------------------------------------------------------------------------

COMPLETIONS = 48  # the words a search reads a word's start as, at most


def completions(conn: sqlite3.Connection, prefix: str) -> list[str] | None:
    """The words of titles and subjects (keys) that start with `prefix`: all of them when
    there are at most COMPLETIONS, else those of the best suggestions (the walk by rank);
    None when there is no suggestion table to ask (a catalogue from before them)."""
    if len(prefix) < 2:
        return None
    end = prefix + "\U0010ffff"
    found: list[str] = []
    try:
        after = prefix
        row = conn.execute("SELECT key FROM suggestion_keys WHERE key >= ? AND key < ? "
                           "ORDER BY key LIMIT 1", (after, end)).fetchone()
        while row is not None and len(found) <= COMPLETIONS:
            found.append(row[0])
            row = conn.execute("SELECT key FROM suggestion_keys WHERE key > ? AND key < ? "
                               "ORDER BY key LIMIT 1", (row[0], end)).fetchone()
        if len(found) <= COMPLETIONS:
            return found
        best: dict[str, None] = {}
        for (key,) in conn.execute(
                "SELECT key FROM suggestion_keys INDEXED BY suggestion_keys_initial WHERE "
                f"substr(key, 1, 1) = ? AND key >= ? AND key < ? AND rank < {OTHER_FROM} "
                "ORDER BY rank LIMIT ?", (prefix[0], prefix, end, COMPLETIONS * 20)):
            best[key] = None
            if len(best) == COMPLETIONS:
                break
        return list(best) or found[:COMPLETIONS]
    except sqlite3.OperationalError:  # no suggestion tables
        return None

def _candidates(conn: sqlite3.Connection, prefix: str, wanted: int) -> list[tuple[int, int]]:
    """(suggestion id, best rank of its keys starting with `prefix`), the best `wanted`."""
    end = prefix + "\U0010ffff"
    rows = conn.execute("SELECT COUNT(*) FROM (SELECT 1 FROM suggestion_keys WHERE key >= ? "
                        "AND key < ? LIMIT ?)", (prefix, end, THRESHOLD + 1)).fetchone()[0]
    if rows <= THRESHOLD:  # a short range: its best rows (SQLite keeps the top ones only)
        found = _best(conn.execute(
            "SELECT suggestion_id, rank FROM suggestion_keys WHERE key >= ? AND key < ? "
            "ORDER BY rank LIMIT ?", (prefix, end, wanted * 2)))
    else:  # common: own words and forms of its initial in rank order, where it matches early
        found = _best(conn.execute(
            "SELECT suggestion_id, rank FROM suggestion_keys INDEXED BY suggestion_keys_initial "
            f"WHERE substr(key, 1, 1) = ? AND key >= ? AND key < ? AND rank < {OTHER_FROM} "
            "ORDER BY rank LIMIT ?", (prefix[0], prefix, end, wanted * 2)))
        if len(found) < wanted:  # then other spellings: the best of the range's first rows
            for found_id, rank in _best(conn.execute(
                    "SELECT suggestion_id, rank FROM (SELECT suggestion_id, rank FROM "
                    "suggestion_keys WHERE key >= ? AND key < ? AND rank >= ? LIMIT ?) "
                    "ORDER BY rank LIMIT ?", (prefix, end, OTHER_FROM, THRESHOLD,
                                              wanted * 2))).items():
                found.setdefault(found_id, rank)
    return list(found.items())[:wanted]


def _best(rows: Iterable[Any]) -> dict[int, int]:
    """Suggestion id → its first rank, of rows in rank order."""
    found: dict[int, int] = {}
    for found_id, rank in rows:
        found.setdefault(found_id, rank)
    return found


def lookup(conn: sqlite3.Connection, query: str, limit: int) -> list[dict[str, Any]]:
    """The best `limit` suggestions for what a visitor typed: titles and subjects with a word
    starting with the last typed word (or its stem), and every other typed word."""
    words = _WORD.findall(query)
    if not words:
        return []
    earlier = words[:-1][:8]
    wanted = limit * 4 if not earlier else 300
    ranked: dict[int, tuple[int, int]] = {}
    for order, prefix in enumerate(query_prefixes(words[-1])):
        for found, rank in _candidates(conn, prefix, wanted):
            ranked[found] = min(ranked.get(found, (rank, order)), (rank, order))
    if not ranked:
        return []
    best = sorted(ranked, key=ranked.__getitem__)[:wanted]
    rows = conn.execute(
        "SELECT s.id, s.kind, s.text, s.record_id, s.language, s.country FROM suggestions "
        "AS s LEFT JOIN records AS r ON r.id = s.record_id WHERE s.id IN (SELECT value FROM "
        "json_each(?)) AND (s.kind = 'subject' OR r.deleted = 0)",
        (str(best),)).fetchall()
    found = []
    for row in rows:
        found_id, kind, text, record_id, language, country = tuple(row)
        if earlier:
            keys = {key for key, _ in text_keys(kind, text, language, country)}
            if not all(matches_word(word, keys) for word in earlier):
                continue
        found.append((ranked[found_id], text, kind, record_id))
    answer: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for _, text, kind, record_id in sorted(found):
        if (kind, text) not in seen:
            seen.add((kind, text))
            answer.append({"text": text, "kind": kind, "record_id": record_id})
        if len(answer) == limit:
            break
    return answer
