"""Run harvests: source config → harvester → normaliser → store, one source at a time.

Each batch a harvester yields is normalised and stored with its checkpoint before the next
request is made. A failing source is recorded as failed and the others go on.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harvesters import harvester_for
from oerhub.config import Config, Settings, Source
from oerhub.errors import ConfigError, OerhubError
from oerhub.http import HttpClient
from oerhub.normalize import normalize
from oerhub.store import Catalogue

Report = Callable[[str], None]


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

    @property
    def received(self) -> int:
        return self.new + self.updated + self.deleted + self.unchanged


def select_sources(config: Config, source_ids: Sequence[str] = ()) -> list[Source]:
    """The named sources (even disabled ones: naming one is a decision), else every enabled one."""
    if source_ids:
        return [config.get(source_id) for source_id in source_ids]
    return list(config.enabled)


def make_client(settings: Settings) -> HttpClient:
    return HttpClient(contact=settings.contact, timeout=settings.timeout, delay=settings.delay,
                      retries=settings.retries, backoff=settings.backoff)


def harvest(config: Config, catalogue: Catalogue, source_ids: Sequence[str] = (),
            full: bool = False, report: Report | None = None) -> list[SourceResult]:
    """Harvest the chosen sources into the catalogue; return one result per source."""
    sources = select_sources(config, source_ids)
    if not sources:
        raise ConfigError("no enabled sources to harvest (name one with --source ID)",
                          path=str(config.path))
    catalogue.sync_sources(config)
    return [harvest_source(source, config.settings, catalogue, full, report) for source in sources]


def harvest_source(source: Source, settings: Settings, catalogue: Catalogue, full: bool = False,
                   report: Report | None = None) -> SourceResult:
    """Harvest one source, recording the run whatever happens."""
    say = report or (lambda message: None)
    state = catalogue.state(source.id)
    mode = "full" if full or not state.since else "incremental"
    if state.checkpoint:
        mode += "+resume"
    run_id = catalogue.start_run(source.id, mode, None if full else state.since)
    result = SourceResult(source.id, "running", run_id)
    client = make_client(settings)
    harvester = harvester_for(source.protocol)(source, client)
    started = time.monotonic()
    say(f"{source.id}: {mode} harvest of {source.url}"
        + (f" from {state.since}" if state.since and not full else ""))
    try:
        for batch in harvester.harvest(state, full=full):
            elements = batch.elements or [None] * len(batch.records)
            records = [normalize(raw, source.country, element)
                       for raw, element in zip(batch.records, elements, strict=True)]
            counts = catalogue.store_batch(run_id, source.id, records, batch.records,
                                           batch.checkpoint, client.requests_made,
                                           client.bytes_received)
            result.new += counts.new
            result.updated += counts.updated
            result.deleted += counts.deleted
            result.unchanged += counts.unchanged
            say(f"{source.id}: page {client.requests_made - 1}: {len(records)} records "
                f"({result.received} so far)")
        result.status = "ok"
    except OerhubError as exc:
        result.status, result.error = "failed", str(exc)
    except KeyboardInterrupt:
        result.status, result.error = "incomplete", "interrupted (Ctrl-C); the next run resumes"
        _finish(catalogue, result, harvester, client, started)
        raise
    except Exception as exc:  # a bug: keep the other sources going, say what happened
        result.status = "failed"
        result.error = (f"internal error (please report it): {type(exc).__name__}: {exc}\n"
                        + traceback.format_exc(limit=-3))
    finally:
        client.close()
    _finish(catalogue, result, harvester, client, started)
    return result


def _finish(catalogue: Catalogue, result: SourceResult, harvester: object, client: HttpClient,
            started: float) -> None:
    result.requests = client.requests_made
    result.bytes = client.bytes_received
    result.seconds = time.monotonic() - started
    result.warnings = list(getattr(harvester, "warnings", []))
    catalogue.finish_run(result.run_id, result.source_id, result.status, error=result.error,
                         next_from=getattr(harvester, "next_since", None),
                         warnings=result.warnings, requests=result.requests, nbytes=result.bytes)
