"""One source's writer: batches stored in order by one thread while the harvest reads the next.

SQLite works without holding the GIL, so storing a batch overlaps reading the next page. At
most `ahead` batches wait their turn. The rule that keeps the resume point honest lives here:
once a batch fails to store, no batch after it is stored, since each carries a checkpoint past
the failed page and storing one would skip that page for good.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from oerhub.catalogue import BatchCounts, Catalogue
from oerhub.errors import BatchNotStored
from oerhub.models import Batch, RunProgress


class BatchWriter:
    """Stores a source's batches in order on one thread; `tally` hears each stored batch."""

    def __init__(self, catalogue: Catalogue, name: str, tally: Callable[[BatchCounts], None],
                 ahead: int = 2) -> None:
        self.catalogue = catalogue
        self.tally = tally
        self.ahead = ahead
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-store")
        self._queued: deque[Future[BatchCounts]] = deque()
        self._broken = threading.Event()  # set by the first batch that fails to store

    def submit(self, batch: Batch, run: RunProgress) -> None:
        """Queue a normalised batch; first raise the error of an earlier one, if any."""
        failure = self.settle(self.ahead - 1)
        if failure is not None:
            raise failure
        self._queued.append(self._thread.submit(self._store, batch, run))

    def settle(self, limit: int = 0) -> Exception | None:
        """Wait until at most `limit` batches are still being stored; the first error."""
        error: Exception | None = None
        while len(self._queued) > limit:
            try:
                counts = self._queued[0].result()
            except Exception as exc:  # handed to the caller
                error = error or exc
            else:
                self.tally(counts)
            self._queued.popleft()
        return error

    def close(self) -> None:
        self.settle()
        self._thread.shutdown(wait=True)

    def _store(self, batch: Batch, run: RunProgress) -> BatchCounts:
        if self._broken.is_set():
            raise BatchNotStored("not stored: an earlier batch of this run failed to store")
        try:
            return self.catalogue.store_batch(run, batch)
        except (sqlite3.Error, OSError) as exc:  # a full disk, an I/O error: said plainly
            self._broken.set()
            raise BatchNotStored(
                f"a batch of {len(batch.records):,} records could not be stored ({exc}); "
                "nothing of it was kept, and the next run fetches it again") from None
        except BaseException:
            self._broken.set()
            raise
