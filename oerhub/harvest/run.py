"""Run harvests: source config → harvester → normaliser → store.

Sources run in a bounded pool of threads, each with its own catalogue connection; a shared
`HostGate` keeps one request at a time per host. Each batch a harvester yields is normalised
(by the harvest's worker processes when the harvester reads its pages there: oerhub/workers.py)
and handed to the source's writer (writer.py), which stores batches in order, each with its
checkpoint in one transaction, while the next one is read. A failing source is recorded and
the others go on.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from harvesters import harvester_for
from harvesters.base import Harvester, Workers
from oerhub.catalogue import BatchCounts, Catalogue
from oerhub.catalogue.base import writable
from oerhub.enrich import OWN_COMMAND, enrich
from oerhub.errors import (
    CatalogueError,
    ConfigError,
    HarvestIncomplete,
    HarvestInterrupted,
    OerhubError,
)
from oerhub.harvest.lock import harvest_lock
from oerhub.harvest.progress import Progress
from oerhub.harvest.writer import BatchWriter
from oerhub.http import HostGate, HttpClient
from oerhub.limits import limit_client, with_budget
from oerhub.models import RunProgress
from oerhub.normalize import normalised, normalize_batch
from oerhub.registry import WEB_DEFAULT_DELAY, Config, Settings, Source
from oerhub.stopping import Stop, stop_on_signals
from oerhub.workers import MAX_PAGE_BYTES, MIN_PAGE_BYTES, worker_count, worker_pool

# Batches handed to the writer thread and not yet stored, at most: one being written, one waiting.
STORE_AHEAD = 2


@dataclass
class SourceResult:
    source_id: str
    status: str
    run_id: int
    new: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    requests: int = 0
    bytes: int = 0
    seconds: float = 0.0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    untitled: list[str] = field(default_factory=list)  # records not stored: no title

    @property
    def received(self) -> int:
        return self.new + self.updated + self.deleted + self.unchanged


def untitled_warning(identifiers: list[str]) -> list[str]:
    """The run's warning about records left out for want of a title (none: no warning)."""
    if not identifiers:
        return []
    shown = ", ".join(identifiers[:3]) + (", …" if len(identifiers) > 3 else "")
    records = "record" if len(identifiers) == 1 else "records"
    were = "was" if len(identifiers) == 1 else "were"
    return [f"{len(identifiers):,} {records} without a title {were} not stored ({shown}): a "
            "record needs a title; check the source's mapping"]


def select_sources(config: Config, source_ids: Sequence[str] = ()) -> list[Source]:
    """The named sources (even disabled ones: naming one is a decision), else every enabled one."""
    if source_ids:
        return [config.get(source_id) for source_id in source_ids]
    return list(config.enabled)


def source_delay(settings: Settings, source: Source | None) -> float:
    """Seconds between requests to the source's host: the source's, the registry's, the default."""
    if source is not None and source.delay is not None:
        return source.delay
    if settings.delay is not None:
        return settings.delay
    return WEB_DEFAULT_DELAY if source is not None and source.is_web else 0.0


def make_client(settings: Settings, source: Source | None = None,
                gate: HostGate | None = None, stop: Stop | None = None) -> HttpClient:
    delay = source_delay(settings, source)
    return HttpClient(contact=settings.contact, timeout=settings.timeout, delay=delay,
                      retries=settings.retries, backoff=settings.backoff,
                      max_retry_after=settings.max_wait, gate=gate or HostGate(), stop=stop)


def harvest(config: Config, db: Path, source_ids: Sequence[str] = (), full: bool = False,
            progress: Progress | None = None, wait: bool = False,
            accept_deletions: bool = False,
            notes: list[str] | None = None, stop: Stop | None = None) -> list[SourceResult]:
    """Harvest the chosen sources into the catalogue at `db`; one result per source.

    Holds the catalogue's lock for the whole run: a second harvest waits (`wait`) or refuses.
    What the enrichment steps did afterwards is added to `notes`, one line each. Ctrl-C and
    SIGTERM (or setting `stop`) end each source after its current page, close the runs
    `incomplete` and raise HarvestInterrupted with the results (oerhub/stopping.py).
    """
    sources = select_sources(config, source_ids)
    if not sources:
        raise ConfigError("no enabled sources to harvest (name one with --source ID)",
                          path=str(config.path))
    if not writable(db):
        raise CatalogueError(f"{db} is read-only here (a published snapshot or a read-only "
                             "mount): nothing can be harvested into it")
    progress = progress or Progress()
    stop = stop or Stop()
    with harvest_lock(db, wait=wait), stop_on_signals(stop):
        with Catalogue(db) as catalogue:
            catalogue.sync_sources(config)
            catalogue.forget_open_writes()  # a killed harvest's; this lock is ours now
        gate, write_lock = HostGate(), threading.Lock()
        with worker_pool(worker_count(config.settings.processes)) as processes:

            def run(source: Source) -> SourceResult:
                with Catalogue(db, write_lock) as catalogue:
                    return harvest_source(source, config.settings, catalogue, full, progress,
                                          gate, accept_deletions, processes, stop)

            workers = max(1, min(config.settings.workers, len(sources)))
            try:
                with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="harvest") as pool:
                    results = list(pool.map(run, sources))
            finally:
                progress.close()
            if stop.is_set():  # the enrichment steps catch up on the next run
                raise HarvestInterrupted(
                    f"stopped by {stop.reason}: {len(results)} source(s) closed, each after "
                    "its current page; the next run resumes", stop.signum or 0, results)
            with Catalogue(db) as catalogue:
                # what is computed across records (search forms, duplicate groups); language
                # detection has its own command (see enrich.OWN_COMMAND)
                lines = enrich(catalogue, skip=OWN_COMMAND, processes=processes)
                if notes is not None:
                    notes.extend(lines)
                catalogue.optimize()
        return results


def harvest_source(source: Source, settings: Settings, catalogue: Catalogue, full: bool = False,
                   progress: Progress | None = None, gate: HostGate | None = None,
                   accept_deletions: bool = False,
                   processes: Executor | None = None, stop: Stop | None = None) -> SourceResult:
    """Harvest one source, recording the run whatever happens. With `processes`, a harvester
    that can (OAI-PMH) has its pages read and normalised there (oerhub/workers.py). Once
    `stop` is set, the batch in hand is stored and the run closed `incomplete`."""
    progress = progress or Progress()
    state = catalogue.state(source.id, web=source.is_web)
    mode = "full" if full or not state.since else "incremental"
    if state.checkpoint:
        mode += "+resume"
    run_id = catalogue.start_run(source.id, mode, None if full else state.since)
    result = SourceResult(source.id, "running", run_id)
    source = with_budget(source, settings)  # [harvest] max_pages unless the source says
    client = limit_client(make_client(settings, source, gate, stop), settings, source, clock=True)
    harvester = harvester_for(source.protocol)(source, client)
    if processes is not None:
        harvester.workers = Workers(processes, partial(normalize_batch, source.country),
                                    MIN_PAGE_BYTES, MAX_PAGE_BYTES)
    started = time.monotonic()
    progress.started(source.id, f"{mode} harvest of {source.url}"
                     + (f" from {state.since}" if state.since and not full else ""))
    def tally(counts: BatchCounts) -> None:
        result.new += counts.new
        result.updated += counts.updated
        result.deleted += counts.deleted
        result.unchanged += counts.unchanged
        progress.batch(source.id, result.received, client.requests_made)

    writer = BatchWriter(catalogue, source.id, tally, ahead=STORE_AHEAD)
    try:
        for batch in harvester.harvest(state, full=full):
            normalised(batch, source.country)
            result.untitled.extend(batch.untitled)
            writer.submit(batch, RunProgress(
                run_id, source.id, client.requests_made, client.bytes_received))
            if stop is not None:
                stop.check()
        failure = writer.settle()
        if failure is not None:
            raise failure
        result.status = "ok"
    except HarvestIncomplete as exc:
        writer.settle()
        result.status, result.error = "incomplete", str(exc)
    except OerhubError as exc:
        writer.settle()
        result.status, result.error = "failed", str(exc)
    except KeyboardInterrupt:
        writer.settle()
        result.status, result.error = "incomplete", "interrupted (Ctrl-C); the next run resumes"
        _finish(catalogue, result, harvester, client, started, settings, accept_deletions)
        raise
    except Exception as exc:  # a bug: keep the other sources going, say what happened
        writer.settle()
        result.status = "failed"
        # harvest_runs is public: the traceback goes to stderr, and only when asked for
        result.error = f"internal error (please report it): {type(exc).__name__}: {exc}"
        if os.environ.get("OERHUB_DEBUG"):
            traceback.print_exc()
    finally:
        writer.close()
        client.close()
    _finish(catalogue, result, harvester, client, started, settings, accept_deletions)
    progress.finished(result)
    return result


def _finish(catalogue: Catalogue, result: SourceResult, harvester: Harvester, client: HttpClient,
            started: float, settings: Settings, accept_deletions: bool) -> None:
    result.requests = client.requests_made
    result.bytes = client.bytes_received
    result.seconds = time.monotonic() - started
    result.warnings = list(harvester.warnings) + untitled_warning(result.untitled)
    try:
        status = catalogue.finish_run(
            result.run_id, result.source_id, result.status, error=result.error,
            next_from=harvester.next_since, warnings=result.warnings,
            requests=result.requests, nbytes=result.bytes, seconds=round(result.seconds, 3),
            accept_deletions=accept_deletions,
            max_deletions=settings.max_deletions)
    except (sqlite3.Error, OSError) as exc:
        # the run stays 'running' in the catalogue; the next run closes it as incomplete
        result.status = "failed"
        result.error = f"{result.error + '; ' if result.error else ''}the run could not be " \
                       f"closed in the catalogue ({exc})"
        return
    if status != result.status:
        result.status = status
        result.error = catalogue.run(result.run_id)["error"]
