"""OAI-PMH: Identify, then ListRecords by set and date window, page by page.

Written on requests + lxml rather than Sickle so that every page passes through our own
defences (see `xml_body`), so that a page is read record by record without building its whole
tree, so that each page's resumption point reaches the store with the page's records, and so
that pages can be fetched ahead and read in worker processes (`read_page` is pure; the harvest
hands the harvester a pool: oerhub/workers.py).

A full harvest is cut into date windows (a year by default, as metha does with months): when a
server forgets our resumption token, only that window is listed again.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import unescape

from lxml import etree

from harvesters.base import CheckResult, Prepare, Workers
from harvesters.xml_body import clean_xml_bytes, html_title
from oerhub.errors import (
    BadResumptionToken,
    HarvestError,
    HarvestIncomplete,
    HarvestStopped,
    NotOaiResponse,
    OaiProtocolError,
    SourceUnreachable,
)
from oerhub.http import HttpClient, Response
from oerhub.limits import RepeatWatch, page_limit
from oerhub.models import Batch, HarvestState, RawRecord
from oerhub.normalize.dates import normalize_datestamp, utc_now

if TYPE_CHECKING:  # types only: the registry reads the harvesters' options
    from oerhub.registry import Source

NS = "http://www.openarchives.org/OAI/2.0/"
OAI = f"{{{NS}}}"
DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
SUB_BATCH = 500  # records handed on at a time from one page, so a huge page stays small in memory
MAX_EMPTY_PAGES = 3  # pages in a row with no record but a token: the server is looping

_PARSE = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": True}
_STRICT = etree.XMLParser(**_PARSE)
_RECOVER = etree.XMLParser(**_PARSE, recover=True)
_TOKEN_PEEK = re.compile(rb"<(?:[\w.-]+:)?resumptionToken\b[^>]*>([^<]*)"
                         rb"</(?:[\w.-]+:)?resumptionToken\s*>")
_HAS_RECORD = re.compile(rb"<(?:[\w.-]+:)?record[\s>]")
_HAS_ERROR = re.compile(rb"<(?:[\w.-]+:)?error[\s>]")
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)", re.I | re.S)
_ROOT, _RESPONSE_DATE, _ERROR, _RECORD, _TOKEN = _TAGS = (
    f"{OAI}OAI-PMH", f"{OAI}responseDate", f"{OAI}error", f"{OAI}record", f"{OAI}resumptionToken")
_HEADER, _METADATA, _IDENTIFIER, _DATESTAMP, _SET_SPEC = (
    f"{OAI}header", f"{OAI}metadata", f"{OAI}identifier", f"{OAI}datestamp", f"{OAI}setSpec")
# A page's records mostly share a handful of datestamps (bulk imports, day granularity).
_datestamp = lru_cache(maxsize=4096)(normalize_datestamp)


@dataclass(frozen=True)
class Identify:
    repository_name: str | None
    granularity: str
    earliest_datestamp: str | None
    deleted_record: str | None
    protocol_version: str | None
    response_date: str | None
    admin_emails: tuple[str, ...] = ()


@dataclass
class Page:
    """One OAI-PMH answer, read as its records stream by."""

    url: str
    body: bytes
    response_date: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    token: str | None = None
    tree: Any = None

    def root(self) -> Any:
        """The whole tree, for small answers (Identify, ListMetadataFormats)."""
        try:
            return etree.fromstring(self.body, _STRICT)
        except etree.XMLSyntaxError:
            return _recovered(self.body, self.url)

    def records(self) -> Iterator[Any]:
        """Each <record> element in order; afterwards token, errors and date are filled in.

        Elements are cleared once the caller has moved on, so memory holds one record at a
        time, not the page. A page that breaks half-way is read again leniently from the
        record where the strict reading stopped.
        """
        seen = 0  # records handed out by the strict reading
        try:
            for element in self._walk(etree.iterparse(io.BytesIO(self.body), events=("end",),
                                                      tag=_TAGS, **_PARSE)):
                seen += 1
                yield element
        except etree.XMLSyntaxError:
            root = _recovered(self.body, self.url)
            if root is None or root.tag != f"{OAI}OAI-PMH":
                raise NotOaiResponse(f"{self.url}: the answer is not well-formed OAI-PMH XML") \
                    from None
            index = 0
            for element in self._walk(root.iter(*_TAGS)):
                if element.tag == f"{OAI}record":
                    index += 1
                    if index <= seen:
                        continue
                yield element

    def _walk(self, events: Any) -> Iterator[Any]:
        root_seen = False
        for item in events:
            element = item[1] if isinstance(item, tuple) else item
            tag = element.tag
            if tag == _RECORD:
                yield element
                element.clear(keep_tail=True)
                while element.getprevious() is not None:
                    del element.getparent()[0]
            elif tag == _RESPONSE_DATE:
                self.response_date = normalize_datestamp(element.text)
            elif tag == _ERROR:
                self.errors.append(((element.get("code") or "").strip(),
                                    " ".join((element.text or "").split())))
            elif tag == _TOKEN:
                self.token = (element.text or "").strip() or None
            elif tag == _ROOT:
                root_seen = True
        if not root_seen:
            raise NotOaiResponse(f"{self.url}: the answer is XML but not OAI-PMH")


def _recovered(body: bytes, url: str) -> Any:
    """The lenient parse of an answer the strict one refused; libxml2 can refuse it too (a
    huge or broken body), and that is the server's answer, not a bug."""
    try:
        return etree.fromstring(body, _RECOVER)
    except etree.XMLSyntaxError as exc:
        raise NotOaiResponse(f"{url}: the answer is not well-formed XML, even read leniently "
                             f"({exc})") from None


@dataclass
class PageRead:
    """What one ListRecords answer holds: its records in sub-batches, each with what `prepare`
    made of them (or their parsed metadata), then the token, errors and warnings."""

    batches: list[tuple[list[RawRecord], list[Any]]] = field(default_factory=list)
    count: int = 0  # records listed, those skipped for want of an identifier included
    token: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    response_date: str | None = None
    warnings: list[str] = field(default_factory=list)
    listed: bool = False  # the answer has a <ListRecords> element


def iter_page(body: bytes, url: str, prefix: str, source_id: str, read: PageRead,
              prepare: Prepare | None = None) -> Iterator[tuple[list[RawRecord], list[Any]]]:
    """The records of a ListRecords answer in sub-batches of SUB_BATCH, as it is read (memory
    holds one sub-batch, however long the page); `read` is filled in as it goes and complete
    at the end."""
    page = Page(url=url, body=body)
    records: list[RawRecord] = []
    elements: list[Any] = []

    def handed_on() -> tuple[list[RawRecord], list[Any]]:
        return records, prepare(records, elements) if prepare is not None else elements

    for node in page.records():
        read.count += 1
        header = node.find(_HEADER)
        identifier = header.findtext(_IDENTIFIER) if header is not None else None
        identifier = identifier.strip() if identifier else None
        if not identifier:
            read.warnings.append(f"{url}: a record without an identifier was skipped")
            continue
        deleted = header.get("status") == "deleted"
        metadata = None if deleted else _first_child(node.find(_METADATA))
        raw = None
        if metadata is not None:
            raw = etree.tostring(metadata, encoding="unicode")
            metadata.getparent().remove(metadata)  # keep it for the normaliser; free the rest
        records.append(RawRecord(
            source_id=source_id, identifier=identifier,
            datestamp=_datestamp(_text(header, "datestamp")), deleted=deleted,
            format=prefix, raw=raw,
            sets=tuple(s.text.strip() for s in header.iterfind(_SET_SPEC) if s.text)))
        elements.append(metadata)
        if len(records) >= SUB_BATCH:
            yield handed_on()
            records, elements = [], []
    read.token, read.errors, read.response_date = page.token, page.errors, page.response_date
    read.listed = b"ListRecords" in body
    yield handed_on()


def read_page(body: bytes, url: str, prefix: str, source_id: str,
              prepare: Prepare | None = None) -> PageRead:
    """A whole ListRecords answer read at once: what a worker process sends back (so
    `prepare` is needed there: parsed elements cannot travel between processes)."""
    read = PageRead()
    read.batches = list(iter_page(body, url, prefix, source_id, read, prepare))
    return read


def peek_token(body: bytes) -> str | None:
    """The resumption token as the answer's last lines show it, found without parsing, so the
    next page can be asked for while this one is read; checked against the parse after. None
    for an answer with an error (noRecordsMatch ends a list whatever token comes with it)."""
    found = _TOKEN_PEEK.search(body, max(0, len(body) - 4096))
    if found is None or _HAS_ERROR.search(body):
        return None
    return unescape(found.group(1).decode("utf-8", "replace")).strip() or None


class OaiClient:
    """Sends OAI-PMH verbs to one base URL and returns checked pages."""

    def __init__(self, base_url: str, http: HttpClient) -> None:
        self.base_url = base_url
        self.http = http

    def fetch(self, verb: str, **params: str | None) -> Page:
        query = {"verb": verb, **{k: v for k, v in params.items() if v is not None}}
        return Page(url=self.base_url, body=prepare_body(self.http.get(self.base_url, query)))

    def call(self, verb: str, **params: str | None) -> Page:
        """A small answer parsed whole, errors raised (Identify, ListMetadataFormats)."""
        page = self.fetch(verb, **params)
        root = page.root()
        if root is None or root.tag != f"{OAI}OAI-PMH":
            raise NotOaiResponse(f"{self.base_url}: the answer to {verb} is not OAI-PMH XML")
        page.response_date = normalize_datestamp(root.findtext(f"{OAI}responseDate"))
        page.errors = [((e.get("code") or "").strip(), " ".join((e.text or "").split()))
                       for e in root.iterfind(f"{OAI}error")]
        raise_errors(page)
        page.body, page.tree = b"", root
        return page

    def identify(self) -> Identify:
        page = self.call("Identify")
        node = page.tree.find(f"{OAI}Identify")
        if node is None:
            raise NotOaiResponse(f"{self.base_url}: the Identify answer has no <Identify>")
        granularity = (node.findtext(f"{OAI}granularity") or "").strip()
        # Every repository must accept day granularity; use seconds only when it says so.
        granularity = SECONDS if granularity.upper() == SECONDS.upper() else DAY
        return Identify(
            repository_name=_text(node, "repositoryName"),
            granularity=granularity,
            earliest_datestamp=normalize_datestamp(_text(node, "earliestDatestamp")),
            deleted_record=_text(node, "deletedRecord"),
            protocol_version=_text(node, "protocolVersion"),
            response_date=page.response_date,
            admin_emails=tuple(e.text.strip() for e in node.iterfind(f"{OAI}adminEmail") if e.text),
        )

    def list_metadata_formats(self) -> list[str]:
        page = self.call("ListMetadataFormats")
        return [p.strip() for p in page.tree.xpath(
            "//oai:metadataFormat/oai:metadataPrefix/text()", namespaces={"oai": NS})
            if p.strip()]


def raise_errors(page: Page) -> None:
    """OAI errors other than noRecordsMatch (which means: an empty, successful answer)."""
    for code, message in page.errors:
        if code == "noRecordsMatch":
            continue
        if code == "badResumptionToken":
            raise BadResumptionToken(code, message, page.url)
        raise OaiProtocolError(code or "(no code)", message, page.url)


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
        empty = 0 if _HAS_RECORD.search(body) else empty + 1
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
                next_token = _next_token(read)
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
        next_token = _next_token(page)
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


def prepare_body(response: Response) -> bytes:
    """Clean UTF-8 XML from an answer, or an error that says what came back instead."""
    body = response.body
    if _HTML_START.match(body[:2048]):
        shown = html_title(body)
        raise NotOaiResponse(
            f"{response.url} answered HTTP {response.status} with an HTML page"
            f"{f' titled {shown!r}' if shown else ''}, not OAI-PMH XML")
    stripped = body.lstrip()
    if not stripped.startswith(b"<"):
        if response.status >= 400:
            raise SourceUnreachable(f"HTTP {response.status} from {response.url}")
        start = stripped[:80].decode("utf-8", "replace")
        raise NotOaiResponse(f"{response.url} answered HTTP {response.status} with something "
                             f"that is not OAI-PMH XML (it begins {start!r})")
    cleaned, _ = clean_xml_bytes(stripped, response.headers.get("Content-Type", ""))
    if response.status >= 400 and b"OAI-PMH" not in cleaned[:4096]:
        raise SourceUnreachable(f"HTTP {response.status} from {response.url}")
    return cleaned


def parse_response(response: Response) -> Any:
    """Bytes → the OAI-PMH root element (whole tree; for small answers and tests)."""
    page = Page(url=response.url, body=prepare_body(response))
    root = page.root()
    if root is None or root.tag != f"{OAI}OAI-PMH":
        raise NotOaiResponse(f"{response.url}: the answer is XML but not OAI-PMH")
    return root


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


def _next_token(page: Page | PageRead) -> str | None:
    """The token to ask with next; noRecordsMatch ends a list whatever else came with it."""
    if any(code == "noRecordsMatch" for code, _ in page.errors):
        return None
    return page.token


def _first_child(node: Any) -> Any:
    if node is None:
        return None
    for child in node:
        if isinstance(child.tag, str):
            return child
    return None


def _text(node: Any, name: str) -> str | None:
    value = node.findtext(f"{OAI}{name}")
    value = value.strip() if value else None
    return value or None

