"""The catalogue: the only code that writes SQL.

Records are keyed by (source_id, identifier) and carry a stable integer id for Datasette's
record pages. Each batch of records is written in one transaction together with the run's
counters and the checkpoint to resume from, so a killed run loses nothing it stored.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import sqlite_utils

from harvesters.base import HarvestState, PageState
from oerhub.config import Config, Source
from oerhub.errors import CatalogueError
from oerhub.models import RawRecord, Record
from oerhub.normalize.dates import utc_now

SCHEMA_VERSION = 8
JSON_LIST_COLUMNS = ("education_level", "subjects", "creators", "identifiers", "sets")

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    protocol TEXT NOT NULL,
    url TEXT NOT NULL,
    metadata_prefix TEXT,
    sets TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    platform TEXT,
    institution TEXT,
    homepage TEXT,
    confidence TEXT,
    evidence TEXT,
    note TEXT,
    languages TEXT,
    latitude REAL,
    longitude REAL,
    in_config INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES sources(id),
    identifier TEXT NOT NULL,
    datestamp TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    title TEXT,
    description TEXT,
    url TEXT,
    language TEXT,
    language_raw TEXT,
    country TEXT,
    license TEXT,
    license_url TEXT,
    license_raw TEXT,
    access TEXT,
    resource_type TEXT,
    resource_type_raw TEXT,
    education_level TEXT,
    education_level_raw TEXT,
    subjects TEXT NOT NULL DEFAULT '[]',
    creators TEXT NOT NULL DEFAULT '[]',
    publisher TEXT,
    date TEXT,
    identifiers TEXT NOT NULL DEFAULT '[]',
    sets TEXT NOT NULL DEFAULT '[]',
    format TEXT,
    first_harvested TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    UNIQUE (source_id, identifier)
);
CREATE INDEX IF NOT EXISTS records_country ON records(country);
CREATE INDEX IF NOT EXISTS records_language ON records(language);
CREATE INDEX IF NOT EXISTS records_license ON records(license);
CREATE INDEX IF NOT EXISTS records_resource_type ON records(resource_type);
-- Country with the licence columns: per-country counts and licence mix read the index alone.
CREATE INDEX IF NOT EXISTS records_live_country_licence ON records(deleted, country, license,
                                                                   access);
CREATE INDEX IF NOT EXISTS records_live_language ON records(deleted, language);
CREATE INDEX IF NOT EXISTS records_live_license ON records(deleted, license, access);
CREATE INDEX IF NOT EXISTS records_live_type ON records(deleted, resource_type);
CREATE INDEX IF NOT EXISTS records_live_source ON records(deleted, source_id);
-- What the coverage report and dashboard group by, so that they read an index in order:
-- languages and types per country, the openness of the resources view per country (written
-- exactly as in the view) and the month a record was first harvested (as in the chart).
CREATE INDEX IF NOT EXISTS records_live_country_language ON records(deleted, country, language);
CREATE INDEX IF NOT EXISTS records_live_country_type ON records(deleted, country, resource_type);
CREATE INDEX IF NOT EXISTS records_live_openness ON records(deleted, country, (
    CASE WHEN license IS NOT NULL THEN 'open'
         WHEN access IN ('restricted', 'closed', 'embargoed') THEN 'restricted'
         ELSE 'unknown' END));
CREATE INDEX IF NOT EXISTS records_live_month ON records(deleted, substr(first_harvested, 1, 7));
-- What Datasette browses: live records with their source's name, and the licence mix
-- (open / restricted / unknown) defined as in oerhub/report.py.
CREATE VIEW IF NOT EXISTS resources AS
SELECT r.id, r.title, r.url,
       (SELECT s.name FROM sources AS s WHERE s.id = r.source_id) AS source_name,
       r.source_id, r.country, r.language,
       -- beside the declared language, the one detected from title and description
       -- (oerhub/detect.py; language_check as in oerhub.detect.language_check)
       r.language_detected, r.language_confidence,
       CASE WHEN r.language_detected IS NULL THEN NULL
            WHEN r.language IS NULL THEN 'undeclared'
            WHEN r.language = r.language_detected THEN 'agrees'
            WHEN r.language_confidence >= 0.9 AND r.language IN ('ru', 'uk', 'be', 'kk', 'az',
                 'hy', 'ka', 'et', 'lv', 'lt', 'ro', 'en', 'de', 'fr', 'tr', 'pl', 'ky', 'uz',
                 'tg', 'tk') THEN 'disagrees'
            ELSE 'uncertain' END AS language_check,
       r.license, r.access,
       CASE WHEN r.license IS NOT NULL THEN 'open'
            WHEN r.access IN ('restricted', 'closed', 'embargoed') THEN 'restricted'
            ELSE 'unknown' END AS openness,
       r.resource_type, r.education_level, r.subjects, r.creators, r.publisher, r.date,
       r.description, r.first_harvested, r.last_changed
FROM records AS r
WHERE r.deleted = 0;
-- Each live record's subjects, one row each: Datasette's subjects page counts this table
-- through its index instead of unpacking the JSON column of every record (json_each uses no
-- index: 0.7 s on 200,000 records). Tombstones have none. Kept in step by store_batch,
-- finish_run and update_normalised.
CREATE TABLE IF NOT EXISTS record_subjects (
    record_id INTEGER NOT NULL REFERENCES records(id),
    subject TEXT NOT NULL,
    PRIMARY KEY (record_id, subject)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_subjects_subject ON record_subjects(subject);
CREATE TABLE IF NOT EXISTS raw_records (
    record_id INTEGER PRIMARY KEY REFERENCES records(id),
    format TEXT,
    raw TEXT
);
CREATE TABLE IF NOT EXISTS harvest_runs (
    id INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES sources(id),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    mode TEXT NOT NULL,
    harvest_from TEXT,
    records_new INTEGER NOT NULL DEFAULT 0,
    records_updated INTEGER NOT NULL DEFAULT 0,
    records_deleted INTEGER NOT NULL DEFAULT 0,
    records_unchanged INTEGER NOT NULL DEFAULT 0,
    batches INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    seconds REAL,
    next_from TEXT,
    error TEXT,
    warnings TEXT
);
CREATE INDEX IF NOT EXISTS harvest_runs_source ON harvest_runs(source_id, started_at);
CREATE TABLE IF NOT EXISTS pending_deletions (
    source_id TEXT NOT NULL REFERENCES sources(id),
    identifier TEXT NOT NULL,
    datestamp TEXT,
    run_id INTEGER,
    PRIMARY KEY (source_id, identifier)
);
-- Web protocols: each page fetched, with what lets the next run skip it when unchanged
-- (sitemap lastmod, ETag, Last-Modified) and the records it gave.
CREATE TABLE IF NOT EXISTS web_pages (
    source_id TEXT NOT NULL REFERENCES sources(id),
    url TEXT NOT NULL,
    lastmod TEXT,
    etag TEXT,
    last_modified TEXT,
    status INTEGER,
    fetched_at TEXT,
    identifiers TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (source_id, url)
);
CREATE TABLE IF NOT EXISTS harvest_state (
    source_id TEXT PRIMARY KEY REFERENCES sources(id),
    since TEXT,
    last_ok_run INTEGER,
    checkpoint TEXT,
    checkpoint_run INTEGER,
    updated_at TEXT
);
-- Link health (`oerhub links check`): the latest check of each record's URL. `url` is the URL
-- checked: a check whose url is no longer the record's is stale and counts nowhere.
CREATE TABLE IF NOT EXISTS link_checks (
    record_id INTEGER PRIMARY KEY REFERENCES records(id),
    url TEXT NOT NULL,
    outcome TEXT NOT NULL,  -- live, moved, dead, error, disallowed
    status INTEGER,  -- the last HTTP status (after redirects), NULL without an answer
    final_url TEXT,  -- where the redirects ended
    checked_at TEXT NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS link_checks_outcome ON link_checks(outcome);
-- Script-aware search (oerhub/translit.py: the `search` step after each harvest and renormalize):
-- each live record's searched text as it is, and `folded`, the other spellings of the words of
-- its title, subjects and creators (Cyrillic ones romanised, Latin ones of Uzbek, Kazakh … in
-- Cyrillic, apostrophes in all their forms) so that `fizika` finds Физика. rowid = records.id.
-- Contentless: the index only, the text stays in records. Datasette searches resources and
-- records here.
CREATE VIRTUAL TABLE IF NOT EXISTS records_search USING fts5(
    title, description, subjects, creators, folded,
    content = '', tokenize = 'unicode61 remove_diacritics 2'
);
-- The records records_search holds (folded 0: with an empty `folded`, as an upgrade fills it),
-- the folding they were folded with (one row), and the values an indexed record had before it
-- changed (kept by triggers until the step takes them out of the index: a contentless table
-- forgets a row given the values it was indexed with).
CREATE TABLE IF NOT EXISTS records_search_state (id INTEGER PRIMARY KEY, folded INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records_search_folding (mark TEXT);
CREATE TABLE IF NOT EXISTS records_search_pending (
    id INTEGER PRIMARY KEY, title, description, subjects, creators, language, country
);
-- Cross-source duplicates and translations (oerhub/groups.py: the `duplicates` step after each
-- harvest; the keys are oerhub/dedupe.py's). record_keys: what each live record is matched by;
-- role same (DOI, handle, link, title + creator: the same resource), version (ISBN family or
-- series + creator: a version in another language) or points (a translation relation naming
-- another record's DOI, handle or link).
CREATE TABLE IF NOT EXISTS record_keys (
    key TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    source_id TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (key, record_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_keys_record ON record_keys(record_id);
-- The records of each resource given by two records or more (a record alone has no row):
-- group_id is the group's smallest record id; reason, the kinds of keys that tie it in.
CREATE TABLE IF NOT EXISTS record_groups (
    record_id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS record_groups_group ON record_groups(group_id);
-- One resource in two languages: a pair of groups (a record alone is the group named by its
-- id), stored both ways; reason: isbn-family, series and/or relation.
CREATE TABLE IF NOT EXISTS translation_links (
    group_id INTEGER NOT NULL,
    other_group_id INTEGER NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (group_id, other_group_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS translation_links_other ON translation_links(other_group_id);
-- Writes that change records' last_changed and have not committed yet (schema 8), so that /oai
-- answers only as of the oldest: its records are stamped no earlier than started_at.
CREATE TABLE IF NOT EXISTS open_writes (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    pid INTEGER NOT NULL
);
-- Where each enrichment step (oerhub/enrich.py) stopped, in its own terms.
CREATE TABLE IF NOT EXISTS enrich_marks (
    step TEXT PRIMARY KEY,
    mark TEXT,
    updated_at TEXT
);
-- One row per resource: each live record that is alone or names its group, with all its
-- providers (source names), the records behind it, the languages it can be read in (its
-- records' and its translations') and its translations. The lists are computed for the rows
-- shown only; counting or faceting the view reads records and record_groups.
CREATE VIEW IF NOT EXISTS unique_resources AS
SELECT r.id, r.title, r.url,
       CASE WHEN g.group_id IS NULL
            THEN json_array((SELECT s.name FROM sources AS s WHERE s.id = r.source_id))
            ELSE (SELECT json_group_array(name) FROM (
                    SELECT DISTINCT s.name FROM record_groups AS m
                    JOIN records AS x ON x.id = m.record_id
                    JOIN sources AS s ON s.id = x.source_id
                    WHERE m.group_id = r.id AND x.deleted = 0 ORDER BY s.name)) END AS providers,
       CASE WHEN g.group_id IS NULL THEN 1
            ELSE (SELECT COUNT(*) FROM record_groups AS m JOIN records AS x ON x.id = m.record_id
                  WHERE m.group_id = r.id AND x.deleted = 0) END AS records,
       (SELECT json_group_array(language) FROM (
          SELECT DISTINCT x.language FROM records AS x
          WHERE x.deleted = 0 AND x.language IS NOT NULL AND x.id IN (
            SELECT r.id UNION ALL
            SELECT m.record_id FROM record_groups AS m WHERE m.group_id = r.id UNION ALL
            SELECT t.other_group_id FROM translation_links AS t WHERE t.group_id = r.id UNION ALL
            SELECT m.record_id FROM translation_links AS t JOIN record_groups AS m
              ON m.group_id = t.other_group_id WHERE t.group_id = r.id)
          ORDER BY x.language)) AS languages,
       (SELECT COUNT(*) FROM translation_links AS t WHERE t.group_id = r.id) AS translations,
       r.source_id, r.country, r.language, r.license, r.resource_type, r.creators,
       r.publisher, r.date
FROM records AS r LEFT JOIN record_groups AS g ON g.record_id = r.id
WHERE r.deleted = 0 AND (g.group_id IS NULL OR g.group_id = r.id);
"""

RECORD_COLUMNS = tuple(f.name for f in fields(Record))
# Columns added to existing tables after schema 1: (table, column, type), added when missing.
ADDED_COLUMNS = (("harvest_runs", "seconds", "REAL"),
                 # oerhub/detect.py: the language detected from title and description, its
                 # confidence, and the last_changed of the record version it was read from
                 ("records", "language_detected", "TEXT"),
                 ("records", "language_confidence", "REAL"),
                 ("records", "language_checked", "TEXT"))
# Full-text search over what a reader searches by, kept in step by triggers. unicode61 folds
# case in every script but keeps diacritics: "ķīmija" finds "Ķīmija", "kimija" need not.
FTS_COLUMNS = ("title", "description", "subjects", "creators")
FTS_TOKENIZE = "unicode61 remove_diacritics 0"


@dataclass
class BatchCounts:
    new: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def add(self, outcome: str) -> None:
        """Count one record by what storing it did (Catalogue._outcome); a staged deletion
        counts as deleted."""
        name = "deleted" if outcome == "stage" else outcome
        setattr(self, name, getattr(self, name) + 1)


class Catalogue:
    """An oerhub catalogue in one SQLite file."""

    def __init__(self, path: str | Path, write_lock: threading.Lock | None = None) -> None:
        self.path = Path(path)
        # Threads of one process take turns here instead of in SQLite's sleeping busy handler.
        self.write_lock = write_lock or threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread off: a harvest hands store_batch to one writer thread while it
            # reads the next page (oerhub.harvest); the connection is never used by two at once.
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None,
                                   check_same_thread=False)
            self.db = sqlite_utils.Database(conn)
            self.conn = conn
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise CatalogueError(f"{self.path} was written by a newer oerhub "
                                     f"(schema {version}; this one knows {SCHEMA_VERSION})")
            if version < SCHEMA_VERSION:  # new or older catalogue: tables are only added
                with self._transaction():
                    had_subjects = bool(conn.execute(
                        "SELECT 1 FROM sqlite_master WHERE name = 'record_subjects'").fetchone())
                    had_search = bool(conn.execute(
                        "SELECT 1 FROM sqlite_master WHERE name = 'records_search'").fetchone())
                    # views are made anew: CREATE VIEW IF NOT EXISTS keeps an old one
                    conn.execute("DROP VIEW IF EXISTS resources")
                    for statement in _statements(SCHEMA):
                        conn.execute(statement)
                    for table, column, kind in ADDED_COLUMNS:
                        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                        if column not in present:
                            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                    if not had_subjects:  # schema 7: fill it from the records already stored
                        conn.execute(
                            "INSERT OR IGNORE INTO record_subjects (record_id, subject) "
                            "SELECT r.id, j.value FROM records AS r, json_each(r.subjects) AS j "
                            "WHERE r.deleted = 0 AND json_valid(r.subjects) "
                            "AND j.type = 'text' AND j.value != ''")
                    if not had_search:  # searchable as written until the search step folds
                        for statement in _SEARCH_FILL_SQL:
                            conn.execute(statement)
                    if not self.db["records"].detect_fts():
                        conn.execute(_FTS_CREATE)  # as sqlite-utils' enable_fts writes it
                        conn.execute("INSERT INTO records_fts (records_fts) VALUES ('rebuild')")
                    # schema 7: no trigger per inserted row (store_batch indexes new rows per
                    # batch); updates are followed only when a searched column changes
                    conn.execute("DROP INDEX IF EXISTS records_live_country")  # schema 7: wider
                    conn.execute("DROP TRIGGER IF EXISTS records_ai")
                    conn.execute("DROP TRIGGER IF EXISTS records_au")
                    conn.execute(_FTS_UPDATE_TRIGGER)
                    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' "
                                        "AND name = 'records_ad'").fetchone():
                        conn.execute(_FTS_DELETE_TRIGGER)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise CatalogueError(f"{self.path} cannot be used as a catalogue: {exc}") from None
        except OSError as exc:
            raise CatalogueError(f"{self.path}: {exc}") from None

    def optimize(self) -> None:
        """Refresh the query planner's statistics (cheap; keeps searches and facets fast)."""
        self.conn.execute("PRAGMA optimize")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- sources -----------------------------------------------------------------------

    def sync_sources(self, config: Config) -> None:
        """Mirror the registry; sources dropped from it stay (their records stay too)."""
        with self._transaction():
            self.conn.execute("UPDATE sources SET in_config = 0")
            for source in config.sources:
                self._upsert_source(source)

    def _upsert_source(self, source: Source) -> None:
        row = {
            "id": source.id, "name": source.name, "country": source.country,
            "protocol": source.protocol, "url": source.url,
            "metadata_prefix": source.metadata_prefix, "sets": json.dumps(list(source.sets)),
            "enabled": int(source.enabled), "platform": source.platform,
            "institution": source.institution, "homepage": source.homepage,
            "confidence": source.confidence, "evidence": json.dumps(list(source.evidence)),
            "note": source.note, "languages": json.dumps(list(source.languages)),
            "latitude": source.latitude, "longitude": source.longitude, "in_config": 1,
        }
        columns = ", ".join(row)
        updates = ", ".join(f"{c} = excluded.{c}" for c in row if c != "id")
        self.conn.execute(
            f"INSERT INTO sources ({columns}) VALUES ({', '.join('?' * len(row))}) "
            f"ON CONFLICT(id) DO UPDATE SET {updates}", tuple(row.values()))

    # --- runs and state ----------------------------------------------------------------

    def state(self, source_id: str, web: bool = False) -> HarvestState:
        """What earlier runs left; `web` adds the pages fetched and the live records."""
        row = self.conn.execute(
            "SELECT since, checkpoint FROM harvest_state WHERE source_id = ?", (source_id,)
        ).fetchone()
        since, checkpoint = (row[0], json.loads(row[1]) if row[1] else None) if row else (None,
                                                                                          None)
        if not web:
            return HarvestState(since=since, checkpoint=checkpoint)
        pages = {url: PageState(url, lastmod, etag, last_modified, status, fetched_at,
                                tuple(json.loads(identifiers)))
                 for url, lastmod, etag, last_modified, status, fetched_at, identifiers
                 in self.conn.execute(
                     "SELECT url, lastmod, etag, last_modified, status, fetched_at, identifiers "
                     "FROM web_pages WHERE source_id = ?", (source_id,))}
        known = dict(self.conn.execute(
            "SELECT identifier, datestamp FROM records WHERE source_id = ? AND deleted = 0",
            (source_id,)).fetchall())
        return HarvestState(since=since, checkpoint=checkpoint, pages=pages, known=known)

    def start_run(self, source_id: str, mode: str, harvest_from: str | None) -> int:
        """Open a run; runs left 'running' by a killed process are closed as incomplete."""
        now = utc_now()
        with self._transaction():
            self.conn.execute(
                "UPDATE harvest_runs SET status = 'incomplete', finished_at = COALESCE("
                "finished_at, ?), error = COALESCE(error, 'interrupted: the process stopped "
                "before the run finished; the next run resumed from its last stored page') "
                "WHERE source_id = ? AND status = 'running'", (now, source_id))
            cursor = self.conn.execute(
                "INSERT INTO harvest_runs (source_id, started_at, status, mode, harvest_from) "
                "VALUES (?, ?, 'running', ?, ?)", (source_id, now, mode, harvest_from))
        return int(cursor.lastrowid)

    def store_batch(self, run_id: int, source_id: str, records: Sequence[Record],
                    raws: Sequence[RawRecord], checkpoint: dict[str, Any] | None,
                    requests: int, nbytes: int, pages: Sequence[PageState] = (),
                    skipped: int = 0) -> BatchCounts:
        """Write one batch, the run's counters and the checkpoint in one transaction.

        `pages` (web protocols) are remembered with the records they gave; `skipped` records
        were known unchanged and not fetched, so they count as unchanged.
        """
        counts = BatchCounts(unchanged=skipped)
        with self._stamping_transaction() as now:
            for page in pages:
                self.conn.execute(
                    "INSERT INTO web_pages (source_id, url, lastmod, etag, last_modified, status, "
                    "fetched_at, identifiers) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT("
                    "source_id, url) DO UPDATE SET lastmod = excluded.lastmod, etag = "
                    "excluded.etag, last_modified = excluded.last_modified, status = "
                    "excluded.status, fetched_at = excluded.fetched_at, identifiers = "
                    "excluded.identifiers",
                    (source_id, page.url, page.lastmod, page.etag, page.last_modified,
                     page.status, page.fetched_at or now,
                     json.dumps(list(page.identifiers), ensure_ascii=False)))
            identifiers = [r.identifier for r in records]
            existing = self._existing(source_id, identifiers)
            # A web record may carry no date at all: then it is unchanged only if its raw
            # metadata is byte for byte what is stored.
            undated = self._stored_raw([existing[r.identifier][0] for r in records
                                        if r.datestamp is None and r.identifier in existing])
            if len(set(identifiers)) == len(identifiers):
                self._write_records(run_id, source_id, records, raws, existing, undated,
                                    counts, now)
            else:  # a page listing one record twice: one by one, the later one wins
                self._write_records_one_by_one(run_id, source_id, records, raws, existing,
                                               undated, counts, now)
            self.conn.execute(
                "UPDATE harvest_runs SET records_new = records_new + ?, records_updated = "
                "records_updated + ?, records_deleted = records_deleted + ?, records_unchanged = "
                "records_unchanged + ?, batches = batches + 1, requests = ?, bytes = ? "
                "WHERE id = ?",
                (counts.new, counts.updated, counts.deleted, counts.unchanged, requests, nbytes,
                 run_id))
            self.conn.execute(
                "INSERT INTO harvest_state (source_id, checkpoint, checkpoint_run, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(source_id) DO UPDATE SET checkpoint = "
                "excluded.checkpoint, checkpoint_run = excluded.checkpoint_run, updated_at = "
                "excluded.updated_at",
                (source_id, json.dumps(checkpoint, ensure_ascii=False) if checkpoint else None,
                 run_id, now))
        return counts

    @staticmethod
    def _outcome(before: tuple[Any, ...] | None, record: Record, raw: RawRecord,
                 undated: dict[int, str | None]) -> str:
        """What storing `record` does, given what was stored (`before`: id, datestamp,
        deleted): "unchanged"; "stage" (a live record deleted: staged, not applied, since
        finish_run applies staged deletions only when there are not so many that the
        repository looks broken: the safety valve); or it is written, as "deleted" (a
        tombstone never seen live), "new" (or back from the dead) or "updated"."""
        if (before is not None and before[1] == record.datestamp
                and bool(before[2]) == record.deleted
                and (record.datestamp is not None or record.deleted
                     or undated.get(before[0]) == raw.raw)):
            return "unchanged"
        if record.deleted and before is not None:
            return "unchanged" if before[2] else "stage"  # already a tombstone: unchanged
        if record.deleted:
            return "deleted"
        return "new" if before is None or before[2] else "updated"

    def _write_records(self, run_id: int, source_id: str, records: Sequence[Record],
                       raws: Sequence[RawRecord], existing: dict[str, tuple[Any, ...]],
                       undated: dict[int, str | None], counts: BatchCounts, now: str) -> None:
        """The batch in a few statements: new records get the ids SQLite would give them
        (max + 1 onwards; the write lock is held), so no statement needs to return one, and
        the full-text index takes the new rows in one INSERT … SELECT."""
        staged: list[tuple[Any, ...]] = []
        new_rows: list[tuple[Any, ...]] = []
        updated_rows: list[tuple[Any, ...]] = []
        revived: list[tuple[str, str]] = []
        raw_rows: list[tuple[Any, ...]] = []
        subject_rows: list[tuple[int, str]] = []
        changed_ids: list[tuple[int]] = []
        next_id = 0
        for record, raw in zip(records, raws, strict=True):
            before = existing.get(record.identifier)
            outcome = self._outcome(before, record, raw, undated)
            counts.add(outcome)
            if outcome == "unchanged":
                continue
            if outcome == "stage":
                staged.append((source_id, record.identifier, record.datestamp, run_id))
                continue
            row = record_values(record)
            if before is None:
                if not next_id:
                    next_id = self.conn.execute(
                        "SELECT COALESCE(MAX(id), 0) + 1 FROM records").fetchone()[0]
                record_id = next_id + len(new_rows)
                new_rows.append((record_id, *row, now, now))
            else:
                record_id = before[0]
                updated_rows.append((*row[2:], now, record_id))
                revived.append((source_id, record.identifier))
                changed_ids.append((record_id,))
            raw_rows.append((record_id, raw.format, raw.raw))
            if not record.deleted:
                subject_rows.extend((record_id, subject) for subject in dict.fromkeys(
                    record.subjects))
        execute = self.conn.executemany
        if staged:
            execute(_STAGE_DELETION_SQL, staged)
        if new_rows:
            execute(_INSERT_RECORD_SQL, new_rows)
            self.conn.execute(_FTS_INSERT_RANGE_SQL, (next_id, next_id + len(new_rows)))
        if updated_rows:
            execute(_UPDATE_RECORD_SQL, updated_rows)  # its trigger keeps the index in step
            execute("DELETE FROM pending_deletions WHERE source_id = ? AND identifier = ?",
                    revived)
            execute("DELETE FROM record_subjects WHERE record_id = ?", changed_ids)
        if raw_rows:
            execute(_UPSERT_RAW_SQL, raw_rows)
        if subject_rows:
            execute(_INSERT_SUBJECT_SQL, subject_rows)

    def _write_records_one_by_one(self, run_id: int, source_id: str,
                                  records: Sequence[Record], raws: Sequence[RawRecord],
                                  existing: dict[str, tuple[Any, ...]],
                                  undated: dict[int, str | None], counts: BatchCounts,
                                  now: str) -> None:
        """As `_write_records`, a statement or two per record: each copy is compared with what
        was stored before the batch and written over the earlier copy."""
        inserted: dict[str, int] = {}
        for record, raw in zip(records, raws, strict=True):
            before = existing.get(record.identifier)
            outcome = self._outcome(before, record, raw, undated)
            counts.add(outcome)
            if outcome == "stage":
                self.conn.execute(_STAGE_DELETION_SQL,
                                  (source_id, record.identifier, record.datestamp, run_id))
            elif outcome != "unchanged":
                row = record_values(record)
                record_id = before[0] if before is not None else inserted.get(record.identifier)
                if record_id is None:
                    record_id = self.conn.execute(
                        "SELECT COALESCE(MAX(id), 0) + 1 FROM records").fetchone()[0]
                    self.conn.execute(_INSERT_RECORD_SQL, (record_id, *row, now, now))
                    self.conn.execute(_FTS_INSERT_RANGE_SQL, (record_id, record_id + 1))
                    inserted[record.identifier] = record_id
                else:
                    self.conn.execute(_UPDATE_RECORD_SQL, (*row[2:], now, record_id))
                if before is not None:
                    self.conn.execute("DELETE FROM pending_deletions WHERE source_id = ? "
                                      "AND identifier = ?", (source_id, record.identifier))
                self.conn.execute(_UPSERT_RAW_SQL, (record_id, raw.format, raw.raw))
                self.conn.execute("DELETE FROM record_subjects WHERE record_id = ?",
                                  (record_id,))
                if not record.deleted:
                    self.conn.executemany(_INSERT_SUBJECT_SQL, [
                        (record_id, subject) for subject in dict.fromkeys(record.subjects)])

    def finish_run(self, run_id: int, source_id: str, status: str, *, error: str | None = None,
                   next_from: str | None = None, warnings: Iterable[str] = (),
                   requests: int | None = None, nbytes: int | None = None,
                   seconds: float | None = None, accept_deletions: bool = False,
                   max_deletions: float = 1.0) -> str:
        """Close a run and return its final status.

        Only an ok (or review) run moves the incremental start and clears the checkpoint. Staged
        deletions are applied when the run is ok, unless they exceed `max_deletions` of the
        source's live records: then they are held back and the run is marked `review`.
        """
        warning_text = "\n".join(warnings) or None
        with self._stamping_transaction() as now:
            if status == "ok":
                status, error = self._apply_deletions(source_id, accept_deletions, max_deletions,
                                                      now)
            self.conn.execute(
                "UPDATE harvest_runs SET status = ?, finished_at = ?, error = ?, next_from = ?, "
                "warnings = ?, requests = COALESCE(?, requests), bytes = COALESCE(?, bytes), "
                "seconds = ? WHERE id = ?",
                (status, now, error, next_from if status in ("ok", "review") else None,
                 warning_text, requests, nbytes, seconds, run_id))
            if status in ("ok", "review"):
                self.conn.execute(
                    "INSERT INTO harvest_state (source_id, since, last_ok_run, checkpoint, "
                    "checkpoint_run, updated_at) VALUES (?, ?, ?, NULL, NULL, ?) "
                    "ON CONFLICT(source_id) DO UPDATE SET since = excluded.since, last_ok_run = "
                    "excluded.last_ok_run, checkpoint = NULL, checkpoint_run = NULL, "
                    "updated_at = excluded.updated_at", (source_id, next_from, run_id, now))
        return status

    def _apply_deletions(self, source_id: str, accept: bool, max_share: float,
                         now: str) -> tuple[str, str | None]:
        pending = self.count("pending_deletions", "source_id = ?", (source_id,))
        if not pending:
            return "ok", None
        live = self.count("records", "source_id = ? AND deleted = 0", (source_id,))
        if not accept and pending > max_share * live:
            return "review", (
                f"{pending:,} of {live:,} live records ({pending / max(live, 1):.0%}) would be "
                f"deleted by this run, more than the {max_share:.0%} allowed: the deletions are "
                "held back. If the repository really removed them, run: oerhub harvest "
                f"--source {source_id} --accept-deletions")
        self.conn.execute(
            "DELETE FROM record_subjects WHERE record_id IN (SELECT id FROM records WHERE "
            "source_id = ? AND identifier IN (SELECT identifier FROM pending_deletions WHERE "
            "source_id = ?))", (source_id, source_id))
        self.conn.execute(
            "UPDATE records SET deleted = 1, last_changed = ?, datestamp = (SELECT p.datestamp "
            "FROM pending_deletions p WHERE p.source_id = records.source_id AND p.identifier = "
            "records.identifier) WHERE source_id = ? AND identifier IN (SELECT identifier FROM "
            "pending_deletions WHERE source_id = ?)", (now, source_id, source_id))
        self.conn.execute("DELETE FROM pending_deletions WHERE source_id = ?", (source_id,))
        return "ok", None

    def failing_streaks(self, minimum: int = 3) -> dict[str, tuple[int, str]]:
        """Sources whose last `minimum` or more runs all failed: (how many, the last error)."""
        streaks: dict[str, tuple[int, str]] = {}
        rows = self.conn.execute(
            "SELECT source_id, status, error FROM harvest_runs WHERE status != 'running' "
            "ORDER BY source_id, id DESC")
        current, count, last_error, done = None, 0, "", False
        for source_id, status, error in [*rows, (None, None, None)]:
            if source_id != current:
                if current is not None and count >= minimum:
                    streaks[current] = (count, last_error)
                current, count, last_error, done = source_id, 0, error or "", False
            if done or source_id is None:
                continue
            if status in ("failed", "incomplete"):
                count += 1
            else:
                done = True
        return streaks

    def run(self, run_id: int) -> dict[str, Any]:
        return dict(self.db["harvest_runs"].get(run_id))

    def runs(self, *, limit: int = 20, source_id: str | None = None,
             failed_only: bool = False) -> list[dict[str, Any]]:
        where, params = [], []
        if source_id:
            where.append("source_id = ?")
            params.append(source_id)
        if failed_only:
            where.append("status IN ('failed', 'incomplete', 'review')")
        sql = "SELECT * FROM harvest_runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        return list(self.db.query(sql, [*params, limit]))

    def last_runs(self) -> dict[str, dict[str, Any]]:
        """The latest run of each source."""
        return {row["source_id"]: row for row in self.db.query(
            "SELECT * FROM harvest_runs WHERE id IN (SELECT MAX(id) FROM harvest_runs "
            "GROUP BY source_id)")}

    # --- records -----------------------------------------------------------------------

    def _existing(self, source_id: str, identifiers: list[str]) -> dict[str, tuple[Any, ...]]:
        found: dict[str, tuple[Any, ...]] = {}
        for start in range(0, len(identifiers), 500):
            chunk = identifiers[start:start + 500]
            rows = self.conn.execute(
                f"SELECT identifier, id, datestamp, deleted FROM records WHERE source_id = ? "
                f"AND identifier IN ({', '.join('?' * len(chunk))})", (source_id, *chunk))
            for identifier, record_id, datestamp, deleted in rows:
                found[identifier] = (record_id, datestamp, deleted)
        return found

    def _stored_raw(self, record_ids: list[int]) -> dict[int, str | None]:
        found: dict[int, str | None] = {}
        for start in range(0, len(record_ids), 500):
            chunk = record_ids[start:start + 500]
            found.update(self.conn.execute(
                f"SELECT record_id, raw FROM raw_records WHERE record_id IN "
                f"({', '.join('?' * len(chunk))})", chunk).fetchall())
        return found

    def update_normalised(self, records: Sequence[tuple[int, Record]]) -> None:
        """Rewrite normalised columns of stored records (renormalize); keeps ids and dates."""
        with self._transaction():
            for record_id, record in records:
                row = record_row(record)
                for key in ("source_id", "identifier", "datestamp", "deleted", "sets"):
                    row.pop(key)
                assignments = ", ".join(f"{c} = ?" for c in row)
                self.conn.execute(f"UPDATE records SET {assignments} WHERE id = ?",
                                  (*row.values(), record_id))
                self.conn.execute("DELETE FROM record_subjects WHERE record_id = ?",
                                  (record_id,))
                self.conn.executemany(
                    "INSERT OR IGNORE INTO record_subjects (record_id, subject) SELECT ?1, ?2 "
                    "FROM records WHERE id = ?1 AND deleted = 0",
                    [(record_id, subject) for subject in dict.fromkeys(record.subjects)])

    def raw_records(self, source_id: str | None = None, batch_size: int = 1000
                    ) -> Iterator[list[tuple[dict[str, Any], RawRecord]]]:
        """Stored records with their raw metadata, in batches by id (for renormalize).

        Each batch is its own query, so the caller may write between batches.
        """
        sql = ("SELECT r.*, x.format AS raw_format, x.raw AS raw_text FROM records r "
               "JOIN raw_records x ON x.record_id = r.id WHERE x.raw IS NOT NULL AND r.id > ?"
               + (" AND r.source_id = ?" if source_id else "") + " ORDER BY r.id LIMIT ?")
        last_id = 0
        while True:
            params = [last_id, *([source_id] if source_id else []), batch_size]
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
            if not rows:
                return
            batch = []
            for values in rows:
                row = dict(zip(names, values))
                batch.append((row, RawRecord(
                    source_id=row["source_id"], identifier=row["identifier"],
                    datestamp=row["datestamp"], deleted=bool(row["deleted"]),
                    format=row.pop("raw_format"), raw=row.pop("raw_text"),
                    sets=tuple(json.loads(row["sets"] or "[]")))))
            last_id = batch[-1][0]["id"]
            yield batch

    def tally(self, column: str, limit: int = 10) -> list[tuple[Any, int]]:
        """Live records per value of one column, most frequent first."""
        if column not in RECORD_COLUMNS:
            raise ValueError(f"not a record column: {column}")
        return [tuple(row) for row in self.conn.execute(
            f"SELECT {column}, COUNT(*) AS n FROM records WHERE deleted = 0 GROUP BY {column} "
            "ORDER BY n DESC, 1 LIMIT ?", (limit,))]

    def count(self, table: str, where: str = "", params: Sequence[Any] = ()) -> int:
        sql = f"SELECT COUNT(*) FROM [{table}]" + (f" WHERE {where}" if where else "")
        return int(self.conn.execute(sql, tuple(params)).fetchone()[0])

    # --- link checks (oerhub links check) ---------------------------------------------

    def links_to_check(self, source_id: str | None = None, checked_before: str | None = None,
                       limit: int | None = None) -> list[tuple[str, list[int]]]:
        """Distinct URLs of live records, each with its records' ids, least recently checked first.

        A URL never checked (or checked while a record had another URL) comes first. With
        `checked_before` (a stored time stamp), a URL whose records were all checked at or after
        it is left out.
        """
        sql = ("SELECT r.url, group_concat(r.id), MIN(COALESCE(c.checked_at, '')) AS last "
               "FROM records r LEFT JOIN link_checks c ON c.record_id = r.id AND c.url = r.url "
               "WHERE r.deleted = 0 AND NULLIF(TRIM(r.url), '') IS NOT NULL"
               + (" AND r.source_id = :source" if source_id else "") + " GROUP BY r.url"
               + (" HAVING last < :before" if checked_before else "") + " ORDER BY last, r.url"
               + (" LIMIT :limit" if limit is not None else ""))
        rows = self.conn.execute(sql, {"source": source_id, "before": checked_before,
                                       "limit": limit})
        return [(url, [int(i) for i in ids.split(",")]) for url, ids, _ in rows]

    def store_link_check(self, record_ids: Sequence[int], url: str, outcome: str,
                         status: int | None, final_url: str | None, error: str | None,
                         checked_at: str | None = None) -> None:
        """Remember one URL's check for every record carrying it, in one transaction."""
        checked_at = checked_at or utc_now()
        with self._transaction():
            self.conn.executemany(
                "INSERT INTO link_checks (record_id, url, outcome, status, final_url, checked_at, "
                "error) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(record_id) DO UPDATE SET "
                "url = excluded.url, outcome = excluded.outcome, status = excluded.status, "
                "final_url = excluded.final_url, checked_at = excluded.checked_at, "
                "error = excluded.error",
                [(record_id, url, outcome, status, final_url, checked_at, error)
                 for record_id in record_ids])

    def _transaction(self) -> _Transaction:
        return _Transaction(self.conn, self.write_lock)

    @contextmanager
    def _stamping_transaction(self) -> Iterator[str]:
        """A write transaction that stamps records' last_changed: yields the stamp.

        /oai's datestamps are last_changed, and a harvester of /oai takes the responseDate as
        its next `from`; a stamp taken before a slow write commits would be older than answers
        given meanwhile, and the records lost to that harvester for good. So the write is first
        registered in `open_writes` (committed, visible to /oai, which answers as of the oldest
        open write), the stamp is taken inside the transaction, after the registration, and the
        registration is removed in the same commit that makes the records visible.
        """
        with self._transaction():
            write_id = self.conn.execute(
                "INSERT INTO open_writes (started_at, pid) VALUES (?, ?)",
                (utc_now(), os.getpid())).lastrowid
        try:
            with self._transaction():
                yield utc_now()
                self.conn.execute("DELETE FROM open_writes WHERE id = ?", (write_id,))
        except BaseException:
            try:
                with self._transaction():
                    self.conn.execute("DELETE FROM open_writes WHERE id = ?", (write_id,))
            except sqlite3.Error:
                pass  # a full disk: /oai ignores registrations older than OPEN_WRITE_MAX_AGE
            raise

    def forget_open_writes(self) -> None:
        """Drop the registrations a killed harvest left (call it holding the harvest lock)."""
        with self._transaction():
            self.conn.execute("DELETE FROM open_writes")

    # --- duplicates and translations (oerhub/groups.py) --------------------------------
    # The step reads and writes in one transaction, `with catalogue.transaction():` around
    # the methods below, which open none of their own.

    def transaction(self) -> _Transaction:
        """One write transaction for a step that reads what it writes (rolled back on error)."""
        return self._transaction()

    def enrich_mark(self, step: str) -> str | None:
        row = self.conn.execute("SELECT mark FROM enrich_marks WHERE step = ?",
                                (step,)).fetchone()
        return row[0] if row else None

    def set_enrich_mark(self, step: str, mark: str) -> None:
        self.conn.execute(
            "INSERT INTO enrich_marks (step, mark, updated_at) VALUES (?, ?, ?) ON CONFLICT(step) "
            "DO UPDATE SET mark = excluded.mark, updated_at = excluded.updated_at",
            (step, mark, utc_now()))

    def forget_enrich_marks(self) -> None:
        """Make every step start over (renormalize rewrites records without `last_changed`)."""
        with self._transaction():
            self.conn.execute("DELETE FROM enrich_marks")

    def replace_record_keys(self, record_ids: Sequence[int] | None,
                            rows: Iterable[tuple[str, int, str, str]]) -> None:
        """Drop the match keys of `record_ids` (every record's with None), store `rows`:
        (key, record_id, source_id, role)."""
        self._replace("record_keys", ("record_id",), record_ids,
                      "INSERT OR IGNORE INTO record_keys (key, record_id, source_id, role) "
                      "VALUES (?, ?, ?, ?)", rows)

    def replace_groups(self, record_ids: Sequence[int] | None,
                       rows: Iterable[tuple[int, int, str]]) -> None:
        """Regroup `record_ids` (every record with None): (record_id, group_id, reason)."""
        self._replace("record_groups", ("record_id",), record_ids,
                      "INSERT OR REPLACE INTO record_groups (record_id, group_id, reason) "
                      "VALUES (?, ?, ?)", rows)

    def replace_translation_links(self, group_ids: Sequence[int] | None,
                                  rows: Iterable[tuple[int, int, str]]) -> None:
        """Drop every link touching `group_ids` (all with None), store `rows` (both ways):
        (group_id, other_group_id, reason)."""
        self._replace("translation_links", ("group_id", "other_group_id"), group_ids,
                      "INSERT OR IGNORE INTO translation_links (group_id, other_group_id, "
                      "reason) VALUES (?, ?, ?)", rows)

    def _replace(self, table: str, columns: tuple[str, ...], ids: Sequence[int] | None,
                 insert: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """Drop the rows of `table` whose `columns` hold one of `ids` (every row with None),
        then `insert` `rows`: what the duplicates step's tables are rewritten with."""
        if ids is None:
            self.conn.execute(f"DELETE FROM {table}")
        else:
            keyed = [(i,) for i in ids]
            for column in columns:
                self.conn.executemany(f"DELETE FROM {table} WHERE {column} = ?", keyed)
        self.conn.executemany(insert, rows)

    # --- script-aware search (oerhub/translit.py) --------------------------------------

    def search_prepare(self, folding: str) -> bool:
        """Make records_search ready for the step: the contentless layout, its triggers and
        rank; emptied when `folding` (the folding's version) is not what it holds. True when
        everything must be folded again."""
        with self._transaction():
            conn = self.conn
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = "
                            "'records_search_content'").fetchone():  # a copy of the text: gone
                conn.execute("DROP TABLE records_search")
            for statement in _statements(SCHEMA):  # (a catalogue of that layout lacks them)
                if "EXISTS records_search" in statement:
                    conn.execute(statement)
            for trigger in _SEARCH_TRIGGERS:
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

    def search_stale(self, limit: int) -> list[tuple[Any, ...]]:
        """Indexed records to take out of records_search, each with the values it was indexed
        with: (id, title, description, subjects, creators, language, country, folded, live) —
        changed ones (their old values), tombstones, and those indexed unfolded (folded 0)."""
        return self.conn.execute(
            "SELECT p.id, p.title, p.description, p.subjects, p.creators, p.language, "
            "p.country, s.folded, COALESCE(r.deleted = 0, 0) FROM records_search_pending AS p "
            "JOIN records_search_state AS s ON s.id = p.id "
            "LEFT JOIN records AS r ON r.id = p.id LIMIT :n",
            {"n": limit}).fetchall() or self.conn.execute(
            "SELECT r.id, r.title, r.description, r.subjects, r.creators, r.language, "
            "r.country, s.folded, r.deleted = 0 FROM records_search_state AS s "
            "JOIN records AS r ON r.id = s.id WHERE r.deleted = 1 OR s.folded = 0 LIMIT :n",
            {"n": limit}).fetchall()

    def search_forget(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Take records out of records_search: (id, title, description, subjects, creators,
        folded) as they were indexed."""
        with self._transaction():
            self.conn.executemany(
                "INSERT INTO records_search (records_search, rowid, title, description, "
                "subjects, creators, folded) VALUES ('delete', ?, ?, ?, ?, ?, ?)", rows)
            ids = [(row[0],) for row in rows]
            self.conn.executemany("DELETE FROM records_search_state WHERE id = ?", ids)
            self.conn.executemany("DELETE FROM records_search_pending WHERE id = ?", ids)
        # pending rows of records never indexed (gone before the step ran) are dropped too
        with self._transaction():
            self.conn.execute("DELETE FROM records_search_pending WHERE id NOT IN "
                              "(SELECT id FROM records_search_state)")

    def search_unindexed(self, after_id: int, limit: int) -> list[tuple[Any, ...]]:
        """Live records past `after_id` that records_search lacks, in id order: (id, title,
        subjects, creators, language, country)."""
        return self.conn.execute(
            "SELECT r.id, r.title, r.subjects, r.creators, r.language, r.country "
            "FROM records AS r WHERE r.id > ? AND r.deleted = 0 AND r.id NOT IN "
            "(SELECT id FROM records_search_state) ORDER BY r.id LIMIT ?",
            (after_id, limit)).fetchall()

    def search_store(self, rows: Sequence[tuple[int, str]]) -> None:
        """Index records, each (id, folded): their text is read from records."""
        with self._transaction():
            conn = self.conn
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

    def search_records(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Live records with every word of `query`, each taken as typed (quoted, as
        Datasette's search box does), in any script; best first."""
        match = " ".join('"' + word.replace('"', '""') + '"' for word in query.split())
        if not match:
            return []
        return list(self.db.query(
            "SELECT r.id, r.title, r.language, r.country, r.source_id, s.rank AS rank "
            "FROM records_search AS s JOIN records AS r ON r.id = s.rowid "
            "WHERE records_search MATCH ? AND r.deleted = 0 ORDER BY s.rank LIMIT ?",
            [match, limit]))

    # --- detected languages (oerhub/detect.py) ---------------------------------------------

    def records_for_language_detection(self, *, everything: bool = False,
                                       source_id: str | None = None, batch_size: int = 5000
                                       ) -> Iterator[list[tuple[Any, ...]]]:
        """Live records whose language is to be detected, in batches by id: (id, title,
        description, declared language, last_changed).

        Those never checked, or changed since (language_checked keeps the last_changed of the
        version read), unless `everything`. Each batch is its own query: write between them.
        """
        sql = ("SELECT id, title, description, language, last_changed FROM records "
               "WHERE deleted = 0 AND id > ?"
               + (" AND source_id = ?" if source_id else "")
               + ("" if everything else
                  " AND (language_checked IS NULL OR language_checked != last_changed)")
               + " ORDER BY id LIMIT ?")
        last_id = 0
        while True:
            rows = self.conn.execute(
                sql, [last_id, *([source_id] if source_id else []), batch_size]).fetchall()
            if not rows:
                return
            last_id = rows[-1][0]
            yield rows

    def store_language_detections(self, rows: Sequence[tuple[str | None, float | None, str,
                                                             int]]) -> None:
        """(language, confidence, last_changed read, record id) per record, in one transaction;
        the declared language is never touched."""
        with self._transaction():
            self.conn.executemany(
                "UPDATE records SET language_detected = ?, language_confidence = ?, "
                "language_checked = ? WHERE id = ?", rows)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception (including KeyboardInterrupt)."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self.conn = conn
        self.lock = lock

    def __enter__(self) -> None:
        self.lock.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self.lock.release()


def _statements(script: str) -> list[str]:
    """The schema's statements one by one (comments dropped), for one explicit transaction."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def record_row(record: Record) -> dict[str, Any]:
    """The record as the `records` table stores it, by column."""
    return dict(zip(RECORD_COLUMNS, record_values(record)))


# json.dumps with a non-default option builds a new encoder on every call; this one is built once.
_JSON = json.JSONEncoder(ensure_ascii=False).encode


def record_values(record: Record) -> tuple[Any, ...]:
    """The record's column values in RECORD_COLUMNS order (lists as JSON text)."""
    return (record.source_id, record.identifier, record.datestamp, int(record.deleted),
            record.title, record.description, record.url, record.language,
            record.language_raw, record.country, record.license, record.license_url,
            record.license_raw, record.access, record.resource_type, record.resource_type_raw,
            _JSON(record.education_level) if record.education_level else None,
            record.education_level_raw, _json_list(record.subjects),
            _json_list(record.creators), record.publisher, record.date,
            _json_list(record.identifiers), _json_list(record.sets), record.format)


def json_strings(text: str | None) -> list[str]:
    """The strings of a stored JSON array column (subjects, creators, identifiers…); a
    value that is not a JSON array reads as none."""
    try:
        values = json.loads(text or "[]")
    except ValueError:
        return []
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _json_list(values: Any) -> str:
    return _JSON(list(values)) if values else "[]"


if RECORD_COLUMNS != (
        "source_id", "identifier", "datestamp", "deleted", "title", "description", "url",
        "language", "language_raw", "country", "license", "license_url", "license_raw",
        "access", "resource_type", "resource_type_raw", "education_level",
        "education_level_raw", "subjects", "creators", "publisher", "date", "identifiers",
        "sets", "format"):  # pragma: no cover - a new Record field needs a place above
    raise ImportError("oerhub.store.record_values does not match the Record fields")

_INSERT_RECORD_SQL = (
    f"INSERT INTO records (id, {', '.join(RECORD_COLUMNS)}, first_harvested, last_changed) "
    f"VALUES ({', '.join('?' * (len(RECORD_COLUMNS) + 3))})")
_UPDATE_RECORD_SQL = (
    f"UPDATE records SET {', '.join(f'{c} = ?' for c in RECORD_COLUMNS[2:])}, "
    "last_changed = ? WHERE id = ?")
# records_search (script-aware search): its rank, bm25 with the text as written weighted ten to
# one against the other spellings (`folded`), so a record with the word as typed comes first.
SEARCH_RANK = "bm25(10.0, 2.0, 5.0, 5.0, 1.0)"
# An indexed record's values before it changes (or goes), for the step to take them out of the
# index; only when a value the index depends on changes.
_SEARCH_WATCHED = ("title", "description", "subjects", "creators", "language", "country")
_SEARCH_TRIGGERS = tuple(
    f"CREATE TRIGGER IF NOT EXISTS records_search_{name} AFTER {event} ON records "
    f"WHEN {condition}EXISTS (SELECT 1 FROM records_search_state WHERE id = old.id) BEGIN "
    f"INSERT OR IGNORE INTO records_search_pending (id, {', '.join(_SEARCH_WATCHED)}) VALUES "
    f"(old.id, {', '.join(f'old.{c}' for c in _SEARCH_WATCHED)}); END"
    for name, event, condition in (
        ("au", f"UPDATE OF {', '.join(_SEARCH_WATCHED)}",
         "(" + " OR ".join(f"old.{c} IS NOT new.{c}" for c in _SEARCH_WATCHED) + ") AND "),
        ("ad", "DELETE", "")))
# An older catalogue's live records, searchable as written until the search step folds them.
_SEARCH_FILL_SQL = (
    *_SEARCH_TRIGGERS,
    "INSERT INTO records_search (rowid, title, description, subjects, creators, folded) "
    "SELECT id, title, description, subjects, creators, '' FROM records WHERE deleted = 0",
    "INSERT INTO records_search_state (id, folded) SELECT id, 0 FROM records WHERE deleted = 0")
_FTS_INSERT_RANGE_SQL = (
    f"INSERT INTO records_fts (rowid, {', '.join(FTS_COLUMNS)}) "
    f"SELECT id, {', '.join(FTS_COLUMNS)} FROM records WHERE id >= ? AND id < ?")
_UPSERT_RAW_SQL = (
    "INSERT INTO raw_records (record_id, format, raw) VALUES (?, ?, ?) "
    "ON CONFLICT(record_id) DO UPDATE SET format = excluded.format, raw = excluded.raw")
_INSERT_SUBJECT_SQL = "INSERT OR IGNORE INTO record_subjects (record_id, subject) VALUES (?, ?)"
_STAGE_DELETION_SQL = (
    "INSERT INTO pending_deletions (source_id, identifier, datestamp, run_id) VALUES "
    "(?, ?, ?, ?) ON CONFLICT(source_id, identifier) DO UPDATE SET datestamp = "
    "excluded.datestamp, run_id = excluded.run_id")
# The index follows an update only when a searched column changes; new rows are added by
# store_batch in one statement per batch (a trigger per inserted row costs five times more).
_FTS_CREATE = (
    'CREATE VIRTUAL TABLE "records_fts" USING FTS5 (\n    '
    + ", ".join(f'"{c}"' for c in FTS_COLUMNS)
    + f",\n    tokenize='{FTS_TOKENIZE}',\n    content=\"records\"\n)")
_FTS_DELETE_TRIGGER = (
    f"CREATE TRIGGER records_ad AFTER DELETE ON records BEGIN "
    f"INSERT INTO records_fts (records_fts, rowid, {', '.join(FTS_COLUMNS)}) VALUES ('delete', "
    f"old.id, {', '.join(f'old.{c}' for c in FTS_COLUMNS)}); END")
_FTS_UPDATE_TRIGGER = (
    f"CREATE TRIGGER records_au AFTER UPDATE OF {', '.join(FTS_COLUMNS)} ON records BEGIN "
    f"INSERT INTO records_fts (records_fts, rowid, {', '.join(FTS_COLUMNS)}) VALUES ('delete', "
    f"old.id, {', '.join(f'old.{c}' for c in FTS_COLUMNS)}); "
    f"INSERT INTO records_fts (rowid, {', '.join(FTS_COLUMNS)}) VALUES (new.id, "
    f"{', '.join(f'new.{c}' for c in FTS_COLUMNS)}); END")
