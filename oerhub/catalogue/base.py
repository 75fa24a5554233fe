"""The catalogue file itself: opening it (upgraded by the numbered migrations, or read-only
where it cannot be written), transactions, and what every part of the catalogue shares.

Threads of one process share a write lock and take turns there instead of in SQLite's sleeping
busy handler. A catalogue that cannot be written (a published snapshot, a read-only mount) is
opened read-only and as it is: serving and reporting need no upgrade.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from oerhub.catalogue.schema import SCHEMA_VERSION, migrate
from oerhub.errors import CatalogueError
from oerhub.normalize.dates import utc_now


class CatalogueBase:
    """An oerhub catalogue in one SQLite file: the connection and its transactions."""

    def __init__(self, path: str | Path, write_lock: threading.Lock | None = None, *,
                 readonly: bool | None = None) -> None:
        self.path = Path(path)
        self.write_lock = write_lock or threading.Lock()
        self.readonly = not writable(self.path) if readonly is None else readonly
        try:
            if self.readonly:
                conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1",
                                       uri=True, isolation_level=None, check_same_thread=False)
                conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")  # not a database: say so now
            else:
                conn = self._open_for_writing()
            self.db = sqlite_utils.Database(conn)
            self.conn = conn
        except sqlite3.DatabaseError as exc:
            raise CatalogueError(f"{self.path} cannot be used as a catalogue: {exc}") from None
        except OSError as exc:
            raise CatalogueError(f"{self.path}: {exc}") from None

    def _open_for_writing(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread off: a harvest hands store_batch to one writer thread while it
        # reads the next page (oerhub/harvest/run.py); the connection is never used by two at once.
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            conn.close()
            raise CatalogueError(f"{self.path} was written by a newer oerhub "
                                 f"(schema {version}; this one knows {SCHEMA_VERSION})")
        if version < SCHEMA_VERSION:  # new or older catalogue: the numbered migrations
            self.conn = conn
            with _Transaction(conn, self.write_lock):
                migrate(conn, version)
        return conn

    def optimize(self) -> None:
        """Refresh the query planner's statistics (cheap; keeps searches and facets fast)."""
        if not self.readonly:
            self.conn.execute("PRAGMA optimize")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def count(self, table: str, where: str = "", params: tuple[Any, ...] = ()) -> int:
        sql = f"SELECT COUNT(*) FROM [{table}]" + (f" WHERE {where}" if where else "")
        return int(self.conn.execute(sql, tuple(params)).fetchone()[0])

    # --- transactions ------------------------------------------------------------------

    def transaction(self) -> _Transaction:
        """One write transaction (rolled back on error); a step that reads what it writes
        holds it around its reads and writes."""
        if self.readonly:
            raise CatalogueError(f"{self.path} is read-only here: nothing can be written to it")
        return _Transaction(self.conn, self.write_lock)

    _transaction = transaction

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

    # --- where each enrichment step stopped (oerhub/enrich/) ----------------------------

    def enrich_mark(self, step: str) -> str | None:
        row = self.conn.execute("SELECT mark FROM enrich_marks WHERE step = ?",
                                (step,)).fetchone()
        return row[0] if row else None

    def set_enrich_mark(self, step: str, mark: str) -> None:
        """Inside the step's transaction."""
        self.db["enrich_marks"].upsert({"step": step, "mark": mark, "updated_at": utc_now()},
                                       pk="step")

    def forget_enrich_marks(self) -> None:
        """Make every step start over (renormalize rewrites records without `last_changed`)."""
        with self._transaction():
            self.db["enrich_marks"].delete_where()


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



def writable(path: Path) -> bool:
    """Whether this process may write the catalogue: a new one, or one it may write on a
    writable file system, in a folder it may write (SQLite keeps its journal beside it). A
    published snapshot or a read-only mount is opened read-only, and as it is."""
    return not path.exists() or (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
