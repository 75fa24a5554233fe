"""Sources, harvest runs and what each source's next run starts from.

Every run is kept (`harvest_runs`): its status, counts, requests and error in words. Only an ok
run moves the incremental start and clears the checkpoint; staged deletions are applied when an
ok run would not delete so many that the repository looks broken (the safety valve).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from oerhub.catalogue.base import CatalogueBase
from oerhub.models import HarvestState, PageState
from oerhub.normalize.dates import utc_now
from oerhub.registry import Config, Source


class Runs(CatalogueBase):
    """The sources and runs part of the catalogue."""

    # --- sources -----------------------------------------------------------------------

    def sync_sources(self, config: Config) -> None:
        """Mirror the registry; sources dropped from it stay (their records stay too)."""
        with self._transaction():
            self.conn.execute("UPDATE sources SET in_config = 0")
            columns = list(self.db["sources"].columns_dict)
            self.db["sources"].upsert_all(
                [source_row(source, columns) for source in config.sources], pk="id")

    def registry(self) -> Config:
        """The registry as the catalogue last mirrored it: the sources that were in it at the
        last harvest (for reports on a catalogue whose registry is not named or not at hand)."""
        sources = []
        for row in self.db.query("SELECT * FROM sources WHERE in_config = 1 ORDER BY id"):
            values = {key: row[key] for key in _SOURCE_FIELDS
                      if key in row and row[key] is not None}
            for key in ("sets", "evidence", "languages"):
                values[key] = tuple(json.loads(values.get(key) or "[]"))
            values["enabled"] = bool(values.get("enabled", 1))
            sources.append(Source(**values))
        return Config(path=self.path, sources=tuple(sources))

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


def source_row(source: Source, columns: Iterable[str]) -> dict[str, Any]:
    """A registry entry as the `sources` table holds it: each column the table and a Source
    share (lists as JSON text, flags as 0/1), and in_config."""
    row: dict[str, Any] = {"in_config": 1}
    for column in columns:
        if column in _SOURCE_FIELDS:
            value = getattr(source, column)
            row[column] = (json.dumps(list(value)) if isinstance(value, tuple)
                           else int(value) if isinstance(value, bool) else value)
    return row


_SOURCE_FIELDS = frozenset(field.name for field in fields(Source))
