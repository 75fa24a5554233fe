"""The seam between harvesters and the rest of oerhub.

A harvester gets a source, an HTTP client and what the catalogue remembers of earlier runs
(`HarvestState`), and yields `Batch`es of raw records. Each batch carries the checkpoint to
resume from after it, so the store can commit records and checkpoint together: a run killed
between two batches resumes after the last one it stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

from oerhub.config import Source
from oerhub.http import HttpClient
from oerhub.models import RawRecord


@dataclass(frozen=True)
class PageState:
    """What the catalogue remembers of one web page it fetched (web protocols only).

    A sitemap's `lastmod`, or the page's own `etag`/`last_modified` for a conditional GET,
    let the next run skip a page that has not changed. `identifiers` are the records the page
    gave, so a page that disappears takes its records with it.
    """

    url: str
    lastmod: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    status: int | None = None
    fetched_at: str | None = None
    identifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class HarvestState:
    """What the catalogue remembers for one source between runs."""

    since: str | None = None  # lower bound for an incremental harvest (server time, UTC, ISO 8601)
    checkpoint: dict[str, Any] | None = None  # where an interrupted run stopped
    # Web protocols only (empty for OAI-PMH): pages fetched before, by URL, and the source's
    # live records (identifier -> datestamp), to skip what has not changed and to notice
    # what has gone from a complete listing.
    pages: Mapping[str, PageState] = field(default_factory=dict)
    known: Mapping[str, str | None] = field(default_factory=dict)


@dataclass
class Batch:
    """One unit of work committed atomically: records plus where to resume after them.

    `element` optionally carries each record's parsed metadata (same order as `records`),
    so the normaliser need not parse the XML a second time; `prepared`, what the pipeline's
    `prepare` made of each record in a worker process (the normalised records), when the
    batch was read there.
    """

    records: list[RawRecord]
    checkpoint: dict[str, Any] | None
    elements: list[Any] = field(default_factory=list)
    pages: list[PageState] = field(default_factory=list)  # web pages fetched for this batch
    skipped: int = 0  # records known unchanged and so not fetched again (counted as unchanged)
    prepared: list[Any] | None = None


# What the harvest pipeline makes of a sub-batch while its parsed metadata is at hand (it
# normalises): (records, their metadata elements) -> one value per record.
Prepare = Callable[[list[RawRecord], list[Any]], list[Any]]


@dataclass(frozen=True)
class Workers:
    """Worker processes a harvester may read its answers in (oerhub/workers.py): the pool,
    the pipeline's `prepare` applied there to each sub-batch (its results come back in
    Batch.prepared), and the sizes outside which an answer is read where it arrived."""

    pool: Executor
    prepare: Prepare
    min_bytes: int = 0
    max_bytes: int = 2**62


@dataclass
class CheckResult:
    """What `oerhub sources check` learns about a source without harvesting it."""

    source_id: str
    ok: bool
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class Harvester(Protocol):
    """What every protocol module provides."""

    def __init__(self, source: Source, client: HttpClient) -> None: ...

    def harvest(self, state: HarvestState, full: bool = False) -> Iterator[Batch]:
        """Yield batches; after the last one, `next_since` says where the next run starts.

        A harvester may also keep `warnings` (a list of str) that the run records.
        """
        ...

    @property
    def next_since(self) -> str | None: ...

    def check(self) -> CheckResult: ...
