"""Records: what storing a harvested batch does, and reading stored records back.

Records are keyed by (source_id, identifier) and carry a stable integer id for Datasette's
record pages. Each batch is written in one transaction together with the run's counters and the
checkpoint to resume from, so a killed run loses nothing it stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any

from oerhub.catalogue.base import CatalogueBase
from oerhub.catalogue.schema import FTS_COLUMNS
from oerhub.models import Batch, RawRecord, Record, RunProgress

RECORD_COLUMNS = tuple(f.name for f in fields(Record))


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



class Records(CatalogueBase):
    """The records part of the catalogue."""

    def store_batch(self, run: RunProgress, batch: Batch) -> BatchCounts:
        """Write one normalised batch, the run's counters and the checkpoint in one transaction.

        The batch's web pages are remembered with the records they gave; its `skipped` records
        were known unchanged and not fetched, so they count as unchanged.
        """
        if batch.normalised is None:
            raise ValueError("store_batch takes a normalised batch (oerhub.normalize.normalised)")
        run_id, source_id, records, raws = run.id, run.source_id, batch.normalised, batch.records
        checkpoint, requests, nbytes = batch.checkpoint, run.requests, run.bytes
        pages, skipped = batch.pages, batch.skipped
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
            self.conn.execute(FTS_INSERT_RANGE_SQL, (next_id, next_id + len(new_rows)))
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
                    self.conn.execute(FTS_INSERT_RANGE_SQL, (record_id, record_id + 1))
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
    raise ImportError("oerhub.catalogue.records.record_values does not match the Record fields")

_INSERT_RECORD_SQL = (
    f"INSERT INTO records (id, {', '.join(RECORD_COLUMNS)}, first_harvested, last_changed) "
    f"VALUES ({', '.join('?' * (len(RECORD_COLUMNS) + 3))})")
_UPDATE_RECORD_SQL = (
    f"UPDATE records SET {', '.join(f'{c} = ?' for c in RECORD_COLUMNS[2:])}, "
    # a new version's detected language is out of date, whatever the clock says: two versions
    # stamped within one second have the same last_changed (oerhub/enrich/languages.py)
    "last_changed = ?, language_checked = NULL WHERE id = ?")
FTS_INSERT_RANGE_SQL = (
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
