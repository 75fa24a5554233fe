"""Worker processes for the CPU-bound part of a harvest: reading pages and normalising them,
then the per-record work of the enrichment steps (duplicate keys, search forms).

Python runs one thread at a time, and reading an OAI-PMH page and normalising its records is
about two thirds of a harvest's CPU time; with worker processes that part runs on the other
cores while the harvest's own process fetches the next page and stores the last one. Pages
travel as bytes, normalised records come back pickled (the costs: benchmarks/RESULTS.md).

Workers are forked from multiprocessing's fork server, a process started without threads,
never from the harvest's process, which runs threads: a fork copies a lock another thread
may hold. Small answers are read where they arrive: sending them costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Answers smaller than this are read in the harvest's process (a page of 100 Dublin Core
# records is 100 to 300 kB; a round trip to a worker costs more than reading it here).
MIN_PAGE_BYTES = 32_768
# Larger ones too: read where they arrive, record by record, memory holds one sub-batch of
# records; a worker sends a page's records back all at once.
MAX_PAGE_BYTES = 16 * 2**20
# What the fork server imports once, so that each worker starts with it loaded: the page
# reader and normaliser, and the per-record work of the enrichment steps.
PRELOAD = ["harvesters.oai_client", "harvesters.oai_pmh", "oerhub.normalize", "oerhub.enrich.duplicates", "oerhub.enrich.search_step"]


def worker_count(setting: int | None) -> int:
    """Worker processes for a harvest: the setting, else one per CPU this process may use
    less the one the harvest itself keeps busy fetching and storing (none on one CPU). On 2
    CPUs one worker harvests as fast as two (100,000 records: 9.7 against 9.6 s) in 30 MB
    less."""
    if setting is not None:
        return setting
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return cpus - 1


@contextmanager
def worker_pool(processes: int) -> Iterator[Executor | None]:
    """A pool of `processes` workers (None for 0, or where this system cannot run one: then
    everything runs in the harvest's process), started when first used, stopped after."""
    if processes < 1:
        yield None
        return
    try:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_start_worker,
                                   initargs=(os.getpid(),))
    except (ImportError, OSError, ValueError):  # no fork server or no semaphores (sem_open)
        yield None
        return
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(harvest_pid: int) -> None:
    """Ctrl-C is the harvest's to handle (it stores what it has and says so); a worker that
    took it too would die mid-page with a traceback of its own. And a worker outlives a harvest
    killed outright (SIGKILL, the OOM killer) waiting for work forever, holding the fork server
    alive too: so it watches the harvest and goes when it goes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(harvest_pid,), daemon=True,
                     name="watch-harvest").start()


def _exit_with(pid: int) -> None:
    """Return never; end this process once process `pid` has ended."""
    try:
        handle = os.pidfd_open(pid)  # Linux 5.3: readable once the process has ended
    except (AttributeError, OSError):
        handle = None
    if handle is not None:
        select.select([handle], [], [])
    else:
        while True:
            time.sleep(1)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                continue
    os._exit(1)


def spread(processes: Executor | None, work: Callable[[list[T]], list[R]],
           batches: Iterable[list[T]], part: int) -> Iterator[tuple[list[T], list[R]]]:
    """(batch, work(batch)) for each batch, in order. With worker `processes`, a batch of at
    least two parts is worked on there, `part` items at a time, while the next batch is read;
    smaller batches, and all of them once the pool is gone, are worked on here. `work` must
    be a module-level function (it travels by name) giving one list for the items it got."""
    waiting: deque[tuple[list[T], list[Future[list[R]]] | None]] = deque()

    def finish(batch: list[T], parts: list[Future[list[R]]] | None) -> tuple[list[T], list[R]]:
        if parts is not None:
            try:
                return batch, [item for future in parts for item in future.result()]
            except BrokenProcessPool:  # a worker died: the batch is worked on here
                pass
        return batch, work(batch)

    for batch in batches:
        parts: list[Future[list[R]]] | None = None
        if processes is not None and len(batch) >= 2 * part:
            try:
                parts = [processes.submit(work, batch[start:start + part])
                         for start in range(0, len(batch), part)]
            except (BrokenProcessPool, RuntimeError, OSError):  # broken, shut down, unstartable
                parts = None
        waiting.append((batch, parts))
        while len(waiting) > 1 or waiting[-1][1] is None:
            yield finish(*waiting.popleft())
            if not waiting:
                break
    while waiting:
        yield finish(*waiting.popleft())
