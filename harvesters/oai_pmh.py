"""OAI-PMH: Identify, then ListRecords by set and date window, page by page.

Written on requests + lxml rather than Sickle so that every page passes through our own
defences (see `xml_body`), so that a page is read record by record without building its whole
tree, so that each page's resumption point reaches the store with the page's records, and so
that pages can be fetched ahead and read in worker processes (`read_page` is pure; the harvest
hands the harvester a pool: oerhub/workers.py). The protocol itself — requests, answers,
reading a page — is harvesters/oai_client.py; this module is the harvest: sets, date windows,
checkpoints, pages fetched ahead.

A full harvest is cut into date windows (a year by default, as metha does with months): when a
server forgets our resumption token, only that window is listed again.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from harvesters.base import CheckResult, Workers
from oerhub.errors import (
    BadResumptionToken,
    HarvestError,
    HarvestIncomplete,
    HarvestStopped,
    NotOaiResponse,
)
from oerhub.http import HttpClient
from oerhub.limits import RepeatWatch, page_limit
from oerhub.models import Batch, HarvestState, RawRecord
from oerhub.normalize.dates import utc_now

if TYPE_CHECKING:  # types only: the registry reads the harvesters' options
    from oerhub.registry import Source

from harvesters.oai_client import (
    DAY,
    HAS_RECORD,
    OaiClient,
    Page,
    PageRead,
    iter_page,
    peek_token,
    raise_errors,
    read_page,
    token_after,
)

MAX_EMPTY_PAGES = 3  # pages in a row with no record but a token: the server is looping


# Pages fetched ahead of the reading and not yet taken, at most.
AHEAD = 2


class _Ahead:
    """Pages fetched ahead: each page's successor is asked for as soon as the page arrives
    (its token peeked from the answer's end), until AHEAD pages wait to be taken. In the
    harvester's one fetching thread, so still one request at a time to the source; the reading
    and storing never hold the network up, nor the network them."""

    def __init__(self, harvester: OaiPmhHarvester, prefix: str) -> None:
        self.harvester = harvester
        self.prefix = prefix
        self.slots = threading.Semaphore(AHEAD)
        self.stopped = threading.Event()
        self.next: Future[Any] | None = None
        self.next_token: str | None = None

    def follow(self, page: Page, token: str | None, seen: set[str], empty: int) -> None:
        """Start fetching after `page`, the one asked with `token` (taken by the caller), the
        `seen` tokens of the window and `empty` pages in a row before it."""
        self.next, self.next_token = self._schedule(page.body, token, set(seen), empty)

    def take(self, token: str | None) -> tuple[Page, Future[PageRead] | None] | None:
        """The page asked with `token` if it is the one fetched ahead (its errors raised
        here, as a fetch of it here would); else None."""
        if self.next is None or token is None or self.next_token != token:
            return None
        fetched = self.next.result()
        if fetched is None:
            return None
        page, reading, self.next, self.next_token = fetched
        self.slots.release()
        return page, reading

    def stop(self) -> None:
        """Fetch nothing more (a fetch under way ends; its page is dropped)."""
        self.stopped.set()

    def _schedule(self, body: bytes, token: str | None, seen: set[str], empty: int
                  ) -> tuple[Future[Any] | None, str | None]:
        """The fetch of the page after the one in `body`, unless the list ends or loops."""
        peeked = peek_token(body)
        empty = 0 if HAS_RECORD.search(body) else empty + 1
        if token:
            seen.add(token)
        if peeked is None or peeked in seen or empty >= MAX_EMPTY_PAGES or self.stopped.is_set():
            return None, None  # the end, a loop or empty pages: the reading decides what next
        try:
            return self.harvester._prefetch.submit(self._fetch, peeked, seen, empty), peeked
        except RuntimeError:  # the harvester is closing
            return None, None

    def _fetch(self, token: str, seen: set[str], empty: int) -> Any:
        while not self.slots.acquire(timeout=0.2):  # AHEAD pages wait already
            if self.stopped.is_set():
                return None
        if self.stopped.is_set():
            self.slots.release()
            return None
        page, reading = self.harvester._fetch(self.prefix, resumptionToken=token)
        return (page, reading, *self._schedule(page.body, token, seen, empty))


class OaiPmhHarvester:
    """Harvests one OAI-PMH source: incremental from the last run's server date, by set and
    date window, every page a checkpointed batch."""

    def __init__(self, source: Source, client: HttpClient) -> None:
        self.source = source
        self.oai = OaiClient(source.url, client)
        self._next_since: str | None = None
        self.warnings: list[str] = []
        self.workers: Workers | None = None  # set by the pipeline when it has worker processes
        self.pages_fetched = 0  # ListRecords pages this run, against source.max_pages
        # Fetches pages ahead (see _Ahead): one request at a time to the source, as before.
        self._prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{source.id}-next")

    @property
    def next_since(self) -> str | None:
        return self._next_since

    def harvest(self, state: HarvestState, full: bool = False) -> Iterator[Batch]:
        try:
            yield from self._harvest(state, full)
        finally:
            self._prefetch.shutdown(wait=True, cancel_futures=True)

    def _harvest(self, state: HarvestState, full: bool) -> Iterator[Batch]:
        identify = self.oai.identify()
        prefix = self.source.metadata_prefix
        sets: list[str | None] = list(self.source.sets) or [None]
        cp = state.checkpoint
        resuming = (cp is not None and cp.get("protocol") == "oai-pmh" and cp.get("prefix") == prefix
                    and cp.get("sets") == sets and (not full or cp.get("from") is None)
                    and isinstance(cp.get("windows"), list))
        if resuming:
            assert cp is not None
            since, next_since, windows = cp.get("from"), cp.get("next_since"), cp["windows"]
            position = (int(cp.get("set_index", 0)), int(cp.get("window_index", 0)))
            token = cp.get("token")
        else:
            since = None if full else state.since
            # The server's clock, not ours, and read before the first record.
            next_since = identify.response_date or utc_now()
            windows = date_windows(since, identify.earliest_datestamp, next_since,
                                   self.source.window, identify.granularity)
            position, token = (0, 0), None

        problems: list[str] = []
        failed_at: dict[str, Any] | None = None
        for set_index in range(position[0], len(sets)):
            first_window = position[1] if set_index == position[0] else 0
            for window_index in range(first_window, len(windows)):
                start = {"protocol": "oai-pmh", "prefix": prefix, "sets": sets, "from": since,
                         "next_since": next_since, "windows": windows, "set_index": set_index,
                         "window_index": window_index, "token": None}
                resume_token = token if (set_index, window_index) == position else None
                try:
                    for batch in self._list_window(start, sets[set_index],
                                                   windows[window_index], resume_token):
                        if failed_at is not None:  # never move the resume point past a failure
                            batch.checkpoint = failed_at
                        yield batch
                except HarvestStopped:
                    raise  # asked to stop: not a broken window to go past
                except HarvestIncomplete as exc:
                    problems.append(str(exc))
                    failed_at = failed_at or start
                    yield Batch([], failed_at)
        if problems:
            raise HarvestIncomplete("; ".join(problems) + "; the next run lists that window again")
        self._next_since = next_since

    def _list_window(self, start: dict[str, Any], set_spec: str | None,
                     window: list[str | None], token: str | None) -> Iterator[Batch]:
        """One set in one date window, page by page. Raise HarvestIncomplete on a broken list.

        The next page is asked for as soon as this one has arrived (its token peeked from the
        answer's end, checked against the parse), and with worker processes it is read there
        while this page is still being read and stored.
        """
        prefix = start["prefix"]
        where = f"set {set_spec!r}, " if set_spec else ""
        where += f"window {window[0] or 'start'}..{window[1] or 'now'}"
        saved_token = token  # from a stored checkpoint: it may have expired while we were away
        seen_tokens: set[str] = set()
        empty_pages = 0
        repeats = RepeatWatch()  # the same records again and again under fresh tokens
        ahead = _Ahead(self, prefix)
        try:
            while True:
                checkpoint = {**start, "token": token}
                try:
                    taken = ahead.take(token)
                    if taken is None:  # nothing fetched ahead for this token: ask for it here
                        ahead.stop()
                        ahead = _Ahead(self, prefix)
                        if token:
                            taken = self._fetch(prefix, resumptionToken=token)
                        else:
                            taken = self._fetch(prefix, metadataPrefix=prefix, set=set_spec,
                                                **{"from": window[0], "until": window[1]})
                        ahead.follow(taken[0], token, seen_tokens, empty_pages)
                    page, reading = taken
                    read = yield from repeats.through(self._batches(page, reading, checkpoint))
                except BadResumptionToken as exc:
                    if token is not None and token == saved_token:
                        self.warnings.append(f"{where}: the resumption token saved by an "
                                             "interrupted run was rejected; listed the window "
                                             "again")
                        token = saved_token = None
                        continue
                    raise HarvestIncomplete(f"{where}: the server rejected our resumption "
                                            f"token ({exc})") from None
                saved_token = None
                next_token = token_after(read)
                if not next_token:
                    return
                repeats.check(where)
                if next_token in seen_tokens or next_token == token:
                    raise HarvestIncomplete(f"{where}: the server repeated resumption token "
                                            f"{next_token[:60]!r}; stopped there")
                empty_pages = empty_pages + 1 if read.count == 0 else 0
                if empty_pages >= MAX_EMPTY_PAGES:
                    raise HarvestIncomplete(f"{where}: {empty_pages} empty pages in a row with "
                                            "a resumption token; stopped there")
                seen_tokens.add(next_token)
                token = next_token
        finally:
            ahead.stop()

    def _fetch(self, prefix: str, **params: str | None) -> tuple[Page, Future[PageRead] | None]:
        """A ListRecords page, handed at once to a worker process to be read when there are
        workers (so two pages can be read at a time); else read later, here."""
        page_limit(self.source, self.pages_fetched)
        self.pages_fetched += 1
        page = self.oai.fetch("ListRecords", **params)
        workers = self.workers
        if workers is None or not workers.min_bytes <= len(page.body) <= workers.max_bytes:
            return page, None
        try:
            return page, self.workers.pool.submit(read_page, page.body, page.url, prefix,
                                                  self.source.id, self.workers.prepare)
        except (BrokenProcessPool, RuntimeError, OSError):  # no pool (gone, unstartable): here
            return page, None

    def _batches(self, page: Page, reading: Future[PageRead] | None,
                 checkpoint: dict[str, Any]) -> Generator[Batch, None, PageRead]:
        """The page's records in sub-batches; what the page held is returned at the end. All
        batches but the last resume at this page itself; the last one carries the next token
        (unknown until the page's end)."""
        done: PageRead | None = None
        if reading is not None:
            try:
                done = reading.result()
            except BrokenProcessPool:  # a worker died (killed?): read the page here
                done = None
        read = done or PageRead()
        parts = iter(done.batches) if done is not None else iter_page(
            page.body, page.url, checkpoint["prefix"], self.source.id, read)
        pending: tuple[list[RawRecord], list[Any]] | None = None
        for part in parts:
            if pending is not None:
                # a kill here refetches this page
                yield self._batch(pending, checkpoint, prepared=done is not None)
            pending = part
        self.warnings.extend(read.warnings)
        page.token, page.errors, page.response_date = read.token, read.errors, read.response_date
        raise_errors(page)
        if read.count == 0 and not page.errors and not read.listed:
            raise NotOaiResponse(f"{page.url}: the answer has neither <ListRecords> nor an error")
        next_token = token_after(page)
        after = ({**checkpoint, "token": next_token} if next_token else
                 {**checkpoint, "window_index": checkpoint["window_index"] + 1, "token": None})
        yield self._batch(pending or ([], []), after, prepared=done is not None)
        return read

    @staticmethod
    def _batch(part: tuple[list[RawRecord], list[Any]], checkpoint: dict[str, Any],
               prepared: bool) -> Batch:
        records, made = part
        if prepared:  # read and normalised in a worker process: `made` are the records
            return Batch(records, checkpoint, normalised=made)
        return Batch(records, checkpoint, made)

    def check(self) -> CheckResult:
        details: dict[str, Any] = {}
        try:
            identify = self.oai.identify()
            details.update(repository_name=identify.repository_name,
                           granularity=identify.granularity,
                           earliest_datestamp=identify.earliest_datestamp,
                           deleted_record=identify.deleted_record,
                           protocol_version=identify.protocol_version)
            formats = self.oai.list_metadata_formats()
            details["formats"] = formats
        except HarvestError as exc:
            return CheckResult(self.source.id, False, details, str(exc))
        if self.source.metadata_prefix not in formats:
            return CheckResult(self.source.id, False, details,
                               f"the repository does not offer metadata_prefix "
                               f"{self.source.metadata_prefix!r} (it offers {', '.join(formats)})")
        return CheckResult(self.source.id, True, details)


def date_windows(since: str | None, earliest: str | None, until: str, unit: str,
                 granularity: str) -> list[list[str | None]]:
    """[from, until] pairs covering since (or the very start) to now; the last is open-ended.

    The first window starts at `since` (incremental) or is open at the start (full harvest),
    so nothing older than earliestDatestamp can be missed.
    """
    start_text = since or earliest
    start = _parse(start_text) if start_text else None
    end = _parse(until) or datetime.now(timezone.utc)
    if unit == "none" or start is None or start >= end:
        return [[_format(since, granularity), None]]
    start = max(start, datetime(1970, 1, 1, tzinfo=timezone.utc))
    boundaries = []
    cursor = _floor(start, unit)
    while True:
        cursor = _next_boundary(cursor, unit)
        if cursor > end:
            break
        boundaries.append(cursor)
    windows: list[list[str | None]] = []
    lower: str | None = _format(since, granularity)
    for boundary in boundaries:
        last = boundary - (timedelta(days=1) if granularity == DAY else timedelta(seconds=1))
        windows.append([lower, _stamp(last, granularity)])
        lower = _stamp(boundary, granularity)
    windows.append([lower, None])
    return windows


def _floor(moment: datetime, unit: str) -> datetime:
    if unit == "year":
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "month":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _next_boundary(moment: datetime, unit: str) -> datetime:
    if unit == "year":
        return moment.replace(year=moment.year + 1)
    if unit == "month":
        return moment.replace(year=moment.year + moment.month // 12, month=moment.month % 12 + 1)
    return moment + timedelta(days=1)


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        if len(stamp) == 10:
            return datetime.strptime(stamp, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _stamp(moment: datetime, granularity: str) -> str:
    return moment.strftime("%Y-%m-%d" if granularity == DAY else "%Y-%m-%dT%H:%M:%SZ")


def _format(stamp: str | None, granularity: str) -> str | None:
    if not stamp:
        return None
    if granularity == DAY or len(stamp) == 10:
        return stamp[:10]
    return stamp

