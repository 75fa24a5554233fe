"""What one run of one source may spend, so that no server can hold a harvest forever.

A hostile or broken server can answer slowly (a byte a second), hugely (a decompression bomb),
or endlessly (a fresh resumption token for the same records, forever). Each has a limit here,
set in the registry's [harvest] table and, for some, per source:

- `max_body_mb`: one answer, once decompressed (oerhub/bodies.py);
- `max_request_seconds`: one request in total, body included (oerhub/deadline.py);
- `max_pages`: pages one run of a source fetches;
- `max_minutes`: one run of a source, wall-clock;
- a list that answers, page after page, only records this window already gave is a loop
  (`RepeatWatch`), as a repeated token is;
- redirects only to the source's own host and the hosts its `allow_hosts` names.

A source stopped by its page or time budget ends `incomplete` (LimitReached), naming the
limit; what it stored stays and the next run resumes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Generator
from typing import TYPE_CHECKING, TypeVar

from oerhub.errors import HarvestIncomplete, LimitReached
from oerhub.http import HttpClient, host_of

if TYPE_CHECKING:  # types only: the registry is read above the harvesters
    from oerhub.registry import Settings, Source

MAX_REPEATED_PAGES = 3  # pages in a row holding only records already listed: a loop
T = TypeVar("T")


def with_budget(source: Source, settings: Settings) -> Source:
    """The source with its page budget filled in from [harvest] max_pages when it has none."""
    if source.max_pages is not None:
        return source
    return dataclasses.replace(source, max_pages=settings.max_pages)


def limit_client(client: HttpClient, settings: Settings, source: Source | None = None,
                 clock: bool = False) -> HttpClient:
    """Set the client's limits: answer size, request time, the hosts redirects may lead to
    (the source's), and with `clock` the run's time budget, counted from now."""
    client.max_body = int(settings.max_body_mb * (1 << 20))
    client.max_seconds = settings.max_request_seconds
    if source is not None:
        client.hosts = source_hosts(source)
    if clock and source is not None:
        minutes = source.max_minutes or settings.max_minutes
        client.until = time.monotonic() + minutes * 60
        client.until_why = (f"stopped at the time budget of one run ({minutes:g} min, "
                            "max_minutes); what came is kept and the next run resumes")
    return client


def source_hosts(source: Source) -> frozenset[str]:
    """The hosts a source's requests may be redirected to: its own and those it allows."""
    return frozenset({host_of(source.url)}
                     | {host_of(f"http://{host}/") for host in source.allow_hosts})


def page_limit(source: Source, pages: int) -> None:
    """Raise LimitReached when `pages` pages were already fetched in this run."""
    if source.max_pages is not None and pages >= source.max_pages:
        raise LimitReached(f"stopped at the page budget of one run ({source.max_pages:,} "
                           "pages, max_pages); what came is kept and the next run resumes")


class RepeatWatch:
    """Notices a list that keeps answering records it already gave under fresh tokens.

    Identifiers are remembered by their hash (an int each, not the text), for one list."""

    def __init__(self, limit: int = MAX_REPEATED_PAGES) -> None:
        self.limit = limit
        self.seen: set[int] = set()
        self.repeated = 0  # pages in a row with records, none of them new

    def through(self, batches: Generator[T, None, object]) -> Generator[T, None, object]:
        """One page's batches, passed on unchanged while their identifiers are counted."""
        old = new = 0
        while True:
            try:
                batch = next(batches)
            except StopIteration as end:
                if old or new:
                    self.repeated = self.repeated + 1 if not new else 0
                return end.value
            for record in getattr(batch, "records", ()):
                key = hash(record.identifier)
                if key in self.seen:
                    old += 1
                else:
                    self.seen.add(key)
                    new += 1
            yield batch

    def check(self, where: str) -> None:
        """Raise HarvestIncomplete once `limit` pages in a row brought nothing new."""
        if self.repeated >= self.limit:
            raise HarvestIncomplete(f"{where}: {self.repeated} pages in a row held only records "
                                    "already listed in this run, under fresh resumption "
                                    "tokens (a loop); stopped there")
