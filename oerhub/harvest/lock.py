"""One harvest at a time per catalogue, with a lock a killed run cannot leave behind.

`flock` locks belong to the open file: the kernel releases them when the process ends, however
it ends, so a SIGKILLed harvest never blocks the next cron run.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from oerhub.errors import CatalogueError, HarvestLocked
from oerhub.normalize.dates import utc_now


@contextmanager
def harvest_lock(db_path: Path, wait: bool = False) -> Iterator[None]:
    """Hold `<catalogue>.lock` while harvesting; wait for it or refuse with who holds it."""
    path = db_path.with_name(db_path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"cannot open the lock file {path}: {exc.strerror or exc} (it must "
                             "be a writable file beside the catalogue)") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise HarvestLocked(
                f"another harvest is running on {db_path} ({holder}); this run did nothing. "
                "Add --wait to run after it.") from None
        handle.seek(0)
        handle.truncate()
        try:  # unbuffered: a write the disk refuses fails here, not again at close
            os.write(handle.fileno(), f"pid {os.getpid()}, started {utc_now()}".encode())
        except OSError as exc:
            fcntl.flock(handle, fcntl.LOCK_UN)
            raise CatalogueError(f"cannot write the lock file {path}: {exc.strerror or exc} "
                                 "(is the disk full?); this run did nothing") from None
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
