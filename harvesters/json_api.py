"""Paged JSON APIs: one harvester driving the small adapters of `oerhub.normalize.adapters`.

The list API is enough for every adapter (no request per item): each item of a list page is
one raw record, stored as the API gave it. A second run asks for each list page with its
validators, so an unchanged page costs a 304 and its items count as unchanged; on a changed
page an item whose modification date is the one the catalogue holds is not stored again, and
an item without a date goes to the store, which compares its JSON.

After a listing read from its first page to its end in one run, the catalogue's records that
the API no longer lists are deleted (the store's safety valve holds a mass deletion for
review). A listing cut short (max_pages, robots.txt, a page gone, a resumed run) deletes
nothing. When `max_pages` stops a run, the page where it stopped is remembered as not yet
fetched and the next run goes on from there; once the listing's end is reached, the run after
starts again at the first page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from harvesters import json_text
from harvesters.base import CheckResult
from harvesters.web import (
    JSON_ACCEPT,
    Fetched,
    PageLimitReached,
    WebFetcher,
    WebHarvester,
    absolute,
)
from harvesters.xml_body import html_title
from oerhub.errors import ConfigError, ExtractionFailed, HarvestError, SourceUnreachable
from oerhub.http import HttpClient
from oerhub.models import Batch, HarvestState, PageState, RawRecord
from oerhub.normalize.adapters import (
    ADAPTERS,
    NEXT_URL,
    OFFSET,
    PAGE_NUMBER,
    Adapter,
    first_value,
    get_path,
)
from oerhub.normalize.dates import normalize_datestamp, utc_now

if TYPE_CHECKING:  # types only: the registry reads the harvesters' options
    from oerhub.registry import Source

BATCH = 100  # records per stored batch
PROTOCOL = "json-api"


@dataclass
class ListPage:
    """One list page read: its items (none when it answered 304) and the page after it."""

    url: str
    page: PageState
    items: list[Mapping[str, Any]] = field(default_factory=list)
    next_url: str | None = None
    unchanged: bool = False  # answered 304: its items are the ones it gave last time
    gone: bool = False  # answered 404/410 (not the first page): the listing ends early here


class JsonApiHarvester(WebHarvester):
    """Harvests one JSON API source through the adapter its registry entry names.
    `next_since` is when the last listing read to its end began (items are compared one by
    one with state.known; this only dates the catalogue's view of the source)."""

    def __init__(self, source: Source, client: HttpClient) -> None:
        super().__init__(source, client)
        if source.adapter not in ADAPTERS:
            raise ConfigError(f"unknown adapter {source.adapter!r} (known: {', '.join(ADAPTERS)})",
                              source=source.id, field="adapter")
        self.adapter: Adapter = ADAPTERS[source.adapter]
        self.first_url = self.adapter.paging.first_url(source.url)

    # --- harvesting ----------------------------------------------------------------------

    def harvest(self, state: HarvestState, full: bool = False) -> Iterator[Batch]:
        self.fetcher = WebFetcher(self.source, self.client, state)
        self._next_since = state.since
        began = utc_now()
        start, from_top = self._start(state)
        seen: set[str] = set()
        url: str | None = start
        visited: set[str] = set()
        while url is not None:
            if url in visited:
                self.notes.append(f"{url}: the API pointed back to a page already read; "
                                  "stopped there")
                return
            visited.add(url)
            try:
                listed = self._read(url, state, full)
            except PageLimitReached:
                # Remembered as not yet fetched: the next run goes on from here.
                yield Batch([], None, pages=[PageState(url, fetched_at=utc_now())])
                return
            if listed is None:  # robots.txt forbids it: the listing is cut here
                if url == start and not from_top:  # a remembered page: list from the top
                    url, from_top = self.first_url, True
                    continue
                return
            if listed.gone:  # remembered with its status, so it is not asked for again
                yield Batch([], None, pages=[listed.page])
                return
            yield from self._batches(listed, state, full, seen)
            url = listed.next_url
        if from_top:
            yield from self._deletions(state, seen)
        self._next_since = began

    def _start(self, state: HarvestState) -> tuple[str, bool]:
        """Where to begin: an interrupted run's next page, a page max_pages stopped at, or the
        first page. Only a listing begun at the first page can show what has gone."""
        cp = state.checkpoint
        if (cp and cp.get("protocol") == PROTOCOL and cp.get("adapter") == self.adapter.name
                and cp.get("url") == self.source.url and cp.get("next")):
            return str(cp["next"]), False
        pending = [p for p in state.pages.values() if p.status is None]
        if pending:
            return max(pending, key=lambda p: p.fetched_at or "").url, False
        return self.first_url, True

    def _checkpoint(self, next_url: str | None) -> dict[str, Any]:
        return {"protocol": PROTOCOL, "adapter": self.adapter.name, "url": self.source.url,
                "next": next_url}

    def _read(self, url: str, state: HarvestState, full: bool) -> ListPage | None:
        """Fetch and read one list page; None when robots.txt forbids it."""
        fetched = self.fetcher.fetch(url, JSON_ACCEPT, conditional=not full)
        if fetched is None:
            return None
        if fetched.unchanged:
            return ListPage(url, fetched.page, unchanged=True,
                            next_url=self._after_unchanged(url, state))
        if fetched.gone and url != self.first_url:
            self.notes.append(f"{url} answered HTTP {fetched.response.status}: the listing "
                              "ended there early, so nothing was deleted")
            return ListPage(url, fetched.page, gone=True)
        if not fetched.ok:
            raise SourceUnreachable(f"HTTP {fetched.response.status} from {url}")
        data = parse_json(fetched, self.adapter)
        items = list_items(data, url, self.adapter)
        return ListPage(url, fetched.page, items, self._next(url, data, len(items)))

    def _next(self, url: str, data: Mapping[str, Any], count: int) -> str | None:
        """The next list page, as this adapter's paging tells it."""
        paging = self.adapter.paging
        if paging.kind == NEXT_URL:
            link = first_value(data, paging.next_url)
            return absolute(url, link) if isinstance(link, str) else None
        if paging.kind == PAGE_NUMBER:
            return paging.following(url, 1) if first_value(data, paging.has_next) is True else None
        assert paging.kind == OFFSET
        total = first_value(data, paging.total)
        after = paging.position(url) + count
        if count == 0 or (isinstance(total, int) and after >= total):
            return None
        if total is None and paging.size and count < paging.size:
            return None
        return paging.following(url, count)

    def _after_unchanged(self, url: str, state: HarvestState) -> str | None:
        """The page after an unchanged one: the page that followed it last time, if any.

        A 304 has no body to name the next page, but an unchanged page means an unchanged
        listing (every page states the count or whether more follow), so the pages after it
        are where they were: the next page number, or the nearest offset stored after it.
        """
        paging = self.adapter.paging
        here = paging.position(url)
        best: tuple[int, str] | None = None
        for known in state.pages.values():
            there = paging.position(known.url)
            if known.status != 200 or there <= here \
                    or not same_page(known.url, paging.following(url, there - here)):
                continue  # another listing's page, or not after this one
            if paging.kind != OFFSET and there != here + 1:
                continue
            if best is None or there < best[0]:
                best = (there, known.url)
        return best[1] if best else None

    def _batches(self, listed: ListPage, state: HarvestState, full: bool,
                 seen: set[str]) -> Iterator[Batch]:
        """The page's records in batches; the last one carries the page and the next URL."""
        if listed.unchanged:  # its items are those it gave last time
            before = listed.page.identifiers
            seen.update(before)
            yield Batch([], self._checkpoint(listed.next_url), pages=[listed.page],
                        skipped=sum(1 for i in before if i in state.known))
            return
        records: list[RawRecord] = []
        elements: list[Any] = []
        ids: list[str] = []
        skipped = 0
        for item in listed.items:
            identifier = self._identifier(item, listed.url)
            if identifier is None or identifier in seen:
                continue
            seen.add(identifier)
            ids.append(identifier)
            datestamp = self._datestamp(item)
            if not full and datestamp is not None and state.known.get(identifier) == datestamp:
                skipped += 1  # the catalogue has this version already
                continue
            records.append(RawRecord(self.source.id, identifier, datestamp, False,
                                     self.adapter.name,
                                     json.dumps(item, ensure_ascii=False, sort_keys=True)))
            elements.append(item)
            if len(records) >= BATCH:  # a kill here reads this page again
                yield Batch(records, self._checkpoint(listed.url), elements)
                records, elements = [], []
        page = replace(listed.page, identifiers=tuple(ids))
        yield Batch(records, self._checkpoint(listed.next_url), elements, pages=[page],
                    skipped=skipped)

    def _identifier(self, item: Any, url: str) -> str | None:
        value = first_value(item, self.adapter.identifier) if isinstance(item, Mapping) else None
        if value is None or isinstance(value, (dict, list)):
            self.notes.append(f"{url}: an item without {' or '.join(self.adapter.identifier)} "
                              "was skipped")
            return None
        return str(value)

    def _datestamp(self, item: Mapping[str, Any]) -> str | None:
        value = first_value(item, self.adapter.modified)
        return normalize_datestamp(value) if isinstance(value, str) else None

    def _deletions(self, state: HarvestState, seen: set[str]) -> Iterator[Batch]:
        """After a complete listing: what the catalogue holds and the API no longer lists."""
        gone = sorted(i for i in state.known if i not in seen)
        for start in range(0, len(gone), BATCH):
            yield Batch([RawRecord(self.source.id, identifier, None, True, self.adapter.name,
                                   None) for identifier in gone[start:start + BATCH]],
                        self._checkpoint(None))

    # --- checking ------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """robots.txt and the first list page: how many items, what comes next. Stores nothing."""
        fetcher = WebFetcher(self.source, self.client)
        url = self.first_url
        details: dict[str, Any] = {"protocol": PROTOCOL, "adapter": self.adapter.name,
                                   "platform": self.adapter.platform, "url": url,
                                   "formats": [self.adapter.name]}
        try:
            fetched = fetcher.fetch(url, JSON_ACCEPT, conditional=False)
            if fetched is None:
                return CheckResult(self.source.id, False, details,
                                   f"robots.txt disallows {url}; nothing can be harvested")
            if not fetched.ok:
                raise SourceUnreachable(f"HTTP {fetched.response.status} from {url}")
            data = parse_json(fetched, self.adapter)
            items = list_items(data, url, self.adapter)
        except (HarvestError, PageLimitReached) as exc:
            return CheckResult(self.source.id, False, details, str(exc))
        details["items_on_first_page"] = len(items)
        total = first_value(data, self.adapter.paging.total or ("pagination.count", "count"))
        if total is not None:
            details["total"] = total
        details["next"] = self._next(url, data, len(items))
        if items and isinstance(items[0], Mapping):
            details["first_item"] = {"identifier": first_value(items[0], self.adapter.identifier),
                                     "url": self.adapter.item_url(items[0])}
        if fetcher.notes:
            details["notes"] = list(fetcher.notes)
        return CheckResult(self.source.id, True, details)


def parse_json(fetched: Fetched, adapter: Adapter) -> Mapping[str, Any]:
    """A list page's JSON object, or ExtractionFailed saying what came instead."""
    body = fetched.response.body
    expected = f"the JSON list page of the {adapter.platform} (adapter {adapter.name!r})"
    head = body.lstrip()[:512].lower()
    if head.startswith(b"<"):
        shown = html_title(body)
        kind = "an HTML page" if b"<html" in head or b"<!doctype" in head else "XML"
        raise ExtractionFailed(f"{fetched.url} answered with {kind}"
                               f"{f' titled {shown!r}' if shown else ''}, not {expected}")
    try:
        data = json_text.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        start = body.lstrip()[:60].decode("utf-8", "replace")
        raise ExtractionFailed(f"{fetched.url} did not answer with {expected}: {exc} "
                               f"(it begins {start!r})") from None
    if not isinstance(data, dict):
        raise ExtractionFailed(f"{fetched.url} answered with a JSON {type(data).__name__}, "
                               f"not the object that is {expected}")
    return data


def list_items(data: Mapping[str, Any], url: str, adapter: Adapter) -> list[Mapping[str, Any]]:
    """The items of a list page, or ExtractionFailed naming the key that was expected."""
    for path in adapter.items:
        value = get_path(data, path)
        if isinstance(value, list):
            return value
        parent = get_path(data, path.rpartition(".")[0]) if "." in path else data
        if value is None and isinstance(parent, Mapping) and path.rpartition(".")[2] in parent:
            return []  # present and null: an empty page
    keys = ", ".join(sorted(data)[:12]) or "none"
    raise ExtractionFailed(f"{url}: expected a list of items at {' or '.join(adapter.items)!r} "
                           f"in the {adapter.platform} answer; the JSON has the keys {keys} "
                           "(has the API changed?)")


def same_page(a: str, b: str) -> bool:
    """Two URLs of the same page: the same path and query parameters in any order."""
    pa, pb = urlsplit(a), urlsplit(b)
    return ((pa.scheme, pa.netloc.lower(), pa.path.rstrip("/"))
            == (pb.scheme, pb.netloc.lower(), pb.path.rstrip("/"))
            and sorted(parse_qsl(pa.query)) == sorted(parse_qsl(pb.query)))
