"""What flows between the stages: harvester → normaliser → catalogue (raw records, batches,
normalised records) and what the catalogue remembers for the harvesters between runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RawRecord:
    """One record as a harvester got it, before any interpretation.

    `raw` is the metadata exactly as the repository sent it (the XML of the <metadata>
    element's child for OAI-PMH; JSON text for web harvesters), so the normaliser can be
    run again later without harvesting again.
    """

    source_id: str
    identifier: str
    datestamp: str | None
    deleted: bool
    format: str  # metadata format: "oai_dc", "lom", ...
    raw: str | None
    sets: tuple[str, ...] = ()


@dataclass
class Record:
    """One normalised catalogue record: controlled values plus the raw spellings kept beside them."""

    source_id: str
    identifier: str
    datestamp: str | None
    deleted: bool = False
    title: str | None = None
    description: str | None = None
    url: str | None = None
    language: str | None = None
    language_raw: str | None = None
    country: str | None = None
    license: str | None = None
    license_url: str | None = None
    license_raw: str | None = None
    access: str | None = None
    resource_type: str | None = None
    resource_type_raw: str | None = None
    education_level: list[str] = field(default_factory=list)
    education_level_raw: str | None = None
    subjects: list[str] = field(default_factory=list)
    creators: list[str] = field(default_factory=list)
    publisher: str | None = None
    date: str | None = None
    identifiers: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)
    format: str | None = None


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

    `elements` optionally carries each record's parsed metadata (same order as `records`),
    so the normaliser need not parse the XML a second time. `normalised` holds the records
    as the normaliser made them: filled by the harvest's normalisation stage
    (oerhub.normalize.normalised), or already in the worker process that read the page.
    """

    records: list[RawRecord]
    checkpoint: dict[str, Any] | None
    elements: list[Any] = field(default_factory=list)
    pages: list[PageState] = field(default_factory=list)  # web pages fetched for this batch
    skipped: int = 0  # records known unchanged and so not fetched again (counted as unchanged)
    normalised: list[Record] | None = None
    untitled: list[str] = field(default_factory=list)  # identifiers dropped: no title


@dataclass(frozen=True)
class RunProgress:
    """The run a batch belongs to, as store_batch records it: which run, of which source, and
    the HTTP requests and bytes it has taken so far."""

    id: int
    source_id: str
    requests: int = 0
    bytes: int = 0
