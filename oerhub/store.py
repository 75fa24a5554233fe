"""The catalogue: the only code that writes SQL.

Records are keyed by (source_id, identifier) and carry a stable integer id for Datasette's
record pages. Each batch of records is written in one transaction together with the run's
counters and the checkpoint to resume from, so a killed run loses nothing it stored.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import sqlite_utils

from harvesters.base import HarvestState, PageState
from oerhub.config import Config, Source
from oerhub.errors import CatalogueError
from oerhub.models import RawRecord, Record
from oerhub.normalize.dates import utc_now

SCHEMA_VERSION = 6
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
CREATE INDEX IF NOT EXISTS records_live_country ON records(deleted, country);
CREATE INDEX IF NOT EXISTS records_live_language ON records(deleted, language);
CREATE INDEX IF NOT EXISTS records_live_license ON records(deleted, license, access);
CREATE INDEX IF NOT EXISTS records_live_type ON records(deleted, resource_type);
CREATE INDEX IF NOT EXISTS records_live_source ON records(deleted, source_id);
-- What Datasette browses: live records with their source's name, and the licence mix
-- (open / restricted / unknown) defined as in oerhub/report.py.
CREATE VIEW IF NOT EXISTS resources AS
SELECT r.id, r.title, r.url,
       (SELECT s.name FROM sources AS s WHERE s.id = r.source_id) AS source_name,
       r.source_id, r.country, r.language,
       r.license, r.access,
       CASE WHEN r.license IS NOT NULL THEN 'open'
            WHEN r.access IN ('restricted', 'closed', 'embargoed') THEN 'restricted'
            ELSE 'unknown' END AS openness,
       r.resource_type, r.education_level, r.subjects, r.creators, r.publisher, r.date,
       r.description, r.first_harvested, r.last_changed
FROM records AS r
WHERE r.deleted = 0;
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
"""

RECORD_COLUMNS = tuple(f.name for f in fields(Record))
# Columns added to existing tables after schema 1: (table, column, type), added when missing.
ADDED_COLUMNS = (("harvest_runs", "seconds", "REAL"),)
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


class Catalogue:
    """An oerhub catalogue in one SQLite file."""

    def __init__(self, path: str | Path, write_lock: threading.Lock | None = None) -> None:
        self.path = Path(path)
        # Threads of one process take turns here instead of in SQLite's sleeping busy handler.
        self.write_lock = write_lock or threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
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
                    for statement in _statements(SCHEMA):
                        conn.execute(statement)
                    for table, column, kind in ADDED_COLUMNS:
                        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                        if column not in present:
                            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                if not self.db["records"].detect_fts():
                    with self._transaction():
                        self.db["records"].enable_fts(FTS_COLUMNS, create_triggers=True,
                                                      tokenize=FTS_TOKENIZE)
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
        now = utc_now()
        with self._transaction():
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
            existing = self._existing(source_id, [r.identifier for r in records])
            # A web record may carry no date at all: then it is unchanged only if its raw
            # metadata is byte for byte what is stored.
            undated = self._stored_raw([existing[r.identifier][0] for r in records
                                        if r.datestamp is None and r.identifier in existing])
            for record, raw in zip(records, raws, strict=True):
                before = existing.get(record.identifier)
                if before is not None and before[1] == record.datestamp \
                        and bool(before[2]) == record.deleted \
                        and (record.datestamp is not None or record.deleted
                             or undated.get(before[0]) == raw.raw):
                    counts.unchanged += 1
                elif record.deleted and before is not None:
                    if before[2]:  # already a tombstone
                        counts.unchanged += 1
                    else:
                        # Staged, not applied: finish_run applies them unless there are so many
                        # that the repository looks broken (the safety valve).
                        counts.deleted += 1
                        self.conn.execute(
                            "INSERT INTO pending_deletions (source_id, identifier, datestamp, "
                            "run_id) VALUES (?, ?, ?, ?) ON CONFLICT(source_id, identifier) DO "
                            "UPDATE SET datestamp = excluded.datestamp, run_id = excluded.run_id",
                            (source_id, record.identifier, record.datestamp, run_id))
                else:
                    if record.deleted:
                        counts.deleted += 1
                    elif before is None or before[2]:
                        counts.new += 1
                    else:
                        counts.updated += 1
                    record_id = self._upsert_record(record, now)
                    if before is not None:  # back, or still there: not to be deleted after all
                        self.conn.execute("DELETE FROM pending_deletions WHERE source_id = ? "
                                          "AND identifier = ?", (source_id, record.identifier))
                    self.conn.execute(
                        "INSERT INTO raw_records (record_id, format, raw) VALUES (?, ?, ?) "
                        "ON CONFLICT(record_id) DO UPDATE SET format = excluded.format, "
                        "raw = excluded.raw", (record_id, raw.format, raw.raw))
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
        now = utc_now()
        warning_text = "\n".join(warnings) or None
        with self._transaction():
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

    def _upsert_record(self, record: Record, now: str) -> int:
        row = record_row(record)
        row["first_harvested"] = now
        row["last_changed"] = now
        columns = ", ".join(row)
        updates = ", ".join(f"{c} = excluded.{c}" for c in row
                            if c not in ("source_id", "identifier", "first_harvested"))
        cursor = self.conn.execute(
            f"INSERT INTO records ({columns}) VALUES ({', '.join('?' * len(row))}) "
            f"ON CONFLICT(source_id, identifier) DO UPDATE SET {updates} RETURNING id",
            tuple(row.values()))
        return int(cursor.fetchone()[0])

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

    def _transaction(self) -> _Transaction:
        return _Transaction(self.conn, self.write_lock)


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
    row: dict[str, Any] = {}
    for name in RECORD_COLUMNS:
        value = getattr(record, name)
        if name in JSON_LIST_COLUMNS:
            if name == "education_level":
                value = json.dumps(value, ensure_ascii=False) if value else None
            else:
                value = json.dumps(list(value), ensure_ascii=False)
        elif name == "deleted":
            value = int(value)
        row[name] = value
    return row
