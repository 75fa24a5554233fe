"""Facet counts kept until the catalogue changes: the database `oerhub serve` gives Datasette.

The Resources page every visitor lands on counts eight facets over every live record (the
education level alone reads a JSON array per record): about 0.9 s on a million records, for
counts that only change when a harvest or an enrichment step commits. So the answers of
facet queries (those Datasette runs under `facet_time_limit_ms` or
`facet_suggest_time_limit_ms`) are kept, per SQL text and parameters, until SQLite's
`PRAGMA data_version` says another connection committed; the first visitor after a change pays
the full price, the others read the kept rows. Rows, counts and every other query run as
before.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from typing import Any

from datasette.database import Database

MAX_ENTRIES = 512  # facet answers are a few dozen rows each


class CatalogueDatabase(Database):
    """Datasette's Database with its facet queries' answers kept between changes."""

    def __init__(self, ds: Any, path: str, is_mutable: bool) -> None:
        super().__init__(ds, path=path, is_mutable=is_mutable)
        self._kept: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._watch: sqlite3.Connection | None = None
        self._seen: int | None = None
        self._generation = 0
        self.hits = self.misses = 0

    def generation(self) -> int:
        """A number that changes whenever another connection committed to the catalogue."""
        with self._lock:
            if self._watch is None:
                mode = "ro" if self.is_mutable else "ro&immutable=1"
                self._watch = sqlite3.connect(f"file:{self.path}?mode={mode}", uri=True,
                                              check_same_thread=False)
            version = self._watch.execute("PRAGMA data_version").fetchone()[0]
            if version != self._seen:
                self._seen = version
                self._generation += 1
                self._kept.clear()
            return self._generation

    def forget(self) -> None:
        """Drop every kept answer, as a commit to the catalogue would (benchmarks time both)."""
        with self._lock:
            self._kept.clear()

    def _is_facet(self, custom_time_limit: int | None) -> bool:
        return custom_time_limit is not None and custom_time_limit in (
            self.ds.setting("facet_time_limit_ms"), self.ds.setting("facet_suggest_time_limit_ms"))

    async def execute(self, sql: str, params: Any = None, truncate: bool = False,
                      custom_time_limit: int | None = None, page_size: int | None = None,
                      log_sql_errors: bool = True) -> Any:
        if not self._is_facet(custom_time_limit):
            return await super().execute(sql, params, truncate, custom_time_limit, page_size,
                                         log_sql_errors)
        try:
            frozen = (tuple(sorted(params.items())) if isinstance(params, dict)
                      else tuple(params or ()))
            key = (self.generation(), sql, frozen, truncate, page_size)
            hash(key)
        except (TypeError, sqlite3.Error):  # unhashable parameters, an unreadable file
            return await super().execute(sql, params, truncate, custom_time_limit, page_size,
                                         log_sql_errors)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                self.hits += 1
                return self._kept[key]
        results = await super().execute(sql, params, truncate, custom_time_limit, page_size,
                                         log_sql_errors)  # a time-out raises: nothing kept
        with self._lock:
            self.misses += 1
            if key[0] == self._generation:  # not if the catalogue changed meanwhile
                self._kept[key] = results
                while len(self._kept) > MAX_ENTRIES:
                    self._kept.popitem(last=False)
        return results

    def close(self) -> None:
        with self._lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
        super().close()
