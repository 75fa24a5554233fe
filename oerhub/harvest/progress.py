"""What a harvest shows while it runs: a live board on a terminal, log lines under cron.

The runner calls these from several threads at once; each method takes the lock.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, TextIO

from oerhub.normalize.dates import utc_now

if TYPE_CHECKING:
    from oerhub.harvest.run import SourceResult


class Progress:
    """Silent: for --quiet and for library use."""

    def started(self, source_id: str, message: str) -> None: ...

    def batch(self, source_id: str, received: int, requests: int) -> None: ...

    def finished(self, result: SourceResult) -> None: ...

    def close(self) -> None: ...


class LogProgress(Progress):
    """One plain line per event, with a UTC time stamp: what cron mails and journald keeps."""

    def __init__(self, stream: TextIO | None = None, every: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.every = every  # seconds between two progress lines of one source
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        with self._lock:
            print(f"{utc_now()} {text}", file=self.stream, flush=True)

    def started(self, source_id: str, message: str) -> None:
        self._last[source_id] = time.monotonic()
        self._line(f"{source_id}: {message}")

    def batch(self, source_id: str, received: int, requests: int) -> None:
        now = time.monotonic()
        if now - self._last.get(source_id, 0.0) >= self.every:
            self._last[source_id] = now
            self._line(f"{source_id}: {received:,} records so far, {requests:,} requests")

    def finished(self, result: SourceResult) -> None:
        self._line(f"{result.source_id}: {result.status}: {result.received:,} records "
                   f"({result.new:,} new, {result.updated:,} updated, {result.deleted:,} deleted) "
                   f"in {result.requests:,} requests, {result.seconds:.1f} s")


class TerminalProgress(Progress):
    """A line per running source, redrawn in place; finished sources scroll up as log lines."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._rows: dict[str, str] = {}
        self._drawn = 0
        self._lock = threading.Lock()
        self._last_draw = 0.0

    def started(self, source_id: str, message: str) -> None:
        with self._lock:
            self._rows[source_id] = f"{source_id:<28} starting: {message}"
            self._draw(force=True)

    def batch(self, source_id: str, received: int, requests: int) -> None:
        with self._lock:
            self._rows[source_id] = (f"{source_id:<28} {received:>9,} records  "
                                     f"{requests:>6,} requests")
            self._draw()

    def finished(self, result: SourceResult) -> None:
        with self._lock:
            self._rows.pop(result.source_id, None)
            self._clear()
            print(f"{result.source_id:<28} {result.status:<10} {result.received:>9,} records "
                  f"in {result.seconds:.1f} s", file=self.stream)
            self._draw(force=True)

    def close(self) -> None:
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < 0.2:
            return
        self._last_draw = now
        self._clear()
        for row in self._rows.values():
            self.stream.write(row[:150] + "\n")
        self._drawn = len(self._rows)
        self.stream.flush()
