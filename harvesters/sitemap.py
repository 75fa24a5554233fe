"""Sitemaps: sitemap index → sitemaps (plain or gzipped) → pages with schema.org metadata.

Portals that publish no OAI-PMH often publish sitemaps, and their material pages carry
schema.org / LRMI metadata for search engines. A run reads every sitemap first (they are
small, and the whole listing is needed to notice pages that have gone), then fetches pages:
- a page whose `<lastmod>` is the one stored is not fetched (its records count unchanged);
  so a run stopped by `max_pages` or killed goes on where it stopped, without a checkpoint;
- new and changed pages first, in sitemap order; then pages without a lastmod, asked for with
  a conditional GET, those fetched longest ago first, so a `max_pages` budget comes round to
  every page in turn;
- each resource node of a page is one record (format "schema.org", raw = the node's JSON);
- a page that answers 404/410 takes its records with it; after a complete run, so do pages no
  longer listed, and a page's records it no longer carries.
A run in which pages were fetched and none carried a resource node fails (ExtractionFailed):
the site's markup has changed, and nothing empty is stored.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lxml import etree

from harvesters.base import CheckResult
from harvesters.embedded import RESOURCE_TYPES, extract_resources, node_url
from harvesters.json_text import MAX_DEPTH as MAX_JSON_DEPTH
from harvesters.web import (
    HTML_ACCEPT,
    MAX_LISTED,
    XML_ACCEPT,
    Fetched,
    PageLimitReached,
    WebFetcher,
    WebHarvester,
    absolute,
)
from harvesters.xml_body import clean_xml_bytes
from oerhub.errors import ExtractionFailed, HarvestError, SourceUnreachable
from oerhub.http import HttpClient, host_allowed
from oerhub.limits import source_hosts
from oerhub.models import Batch, HarvestState, PageState, RawRecord
from oerhub.normalize.dates import normalize_datestamp

if TYPE_CHECKING:  # types only: the registry reads the harvesters' options
    from oerhub.registry import Source

FORMAT = "schema.org"
MAX_DEPTH = 3  # sitemaps nested deeper below the source's url are ignored (and said so)
MAX_SITEMAPS = 2000  # sitemaps read in one run at most (a loop of indexes stops here too)
BATCH_RECORDS = 100
BATCH_PAGES = 25  # also store after this many pages, so a killed run loses little
MAX_ERRORS_IN_ROW = 5  # pages in a row that could not be fetched: the site is down, stop
LOOKED_FOR = ("schema.org JSON-LD, microdata or RDFa nodes of type LearningResource, Course, "
              "Book, VideoObject, CreativeWork or a kindred type ("
              + ", ".join(sorted(RESOURCE_TYPES - {"LearningResource", "Course", "Book",
                                                   "VideoObject", "CreativeWork"}))
              + "), or a WebPage with LRMI properties")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=True, recover=True)


@dataclass
class Listing:
    """What the sitemaps list: page URL → its lastmod (normalised), in sitemap order."""

    pages: dict[str, str | None] = field(default_factory=dict)
    sitemaps: list[str] = field(default_factory=list)  # read, in order
    complete: bool = True  # every sitemap read: pages not listed have really gone
    excluded: int = 0  # page URLs left out by include/exclude


@dataclass
class _Run:
    """One run's bookkeeping while pages are fetched."""

    records: list[RawRecord] = field(default_factory=list)
    elements: list[Any] = field(default_factory=list)
    pages: list[PageState] = field(default_factory=list)
    skipped: int = 0
    # Pages without metadata, stored only once the run is known not to fail: a site whose
    # markup changed must not leave its pages marked "fetched, nothing there".
    held: list[PageState] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # identifiers still given by a listed page
    deleted: set[str] = field(default_factory=set)
    html_pages: int = 0  # HTML pages fetched with a body
    resources: int = 0  # resource nodes found in them
    lost: list[str] = field(default_factory=list)  # pages that gave records and now give none
    complete: bool = True  # no page failed: deletions may be inferred
    errors_in_row: int = 0

    def take(self, release: bool = False) -> Batch:
        """The batch so far; held pages go with it once a resource was found (or `release`)."""
        pages = self.pages
        if self.resources or release:
            pages, self.held = pages + self.held, []
        batch = Batch(self.records, None, self.elements, pages, self.skipped)
        self.records, self.elements, self.pages, self.skipped = [], [], [], 0
        return batch

    def pending(self, release: bool = False) -> bool:
        return bool(self.records or self.pages or self.skipped
                    or (self.held and (self.resources or release)))

    def markup_changed(self, known: bool) -> bool:
        """No page gave a resource although some should have: pages that gave records
        before, or, for a source with no record yet, any HTML page fetched."""
        return not self.resources and bool(self.lost or (self.html_pages and not known))


class SitemapHarvester(WebHarvester):
    """Harvests the schema.org metadata of the pages a site's sitemaps list. `next_since` is
    the newest lastmod listed: shown as where the next run starts; the real incremental state
    is each page's stored lastmod."""

    def __init__(self, source: Source, client: HttpClient) -> None:
        super().__init__(source, client)
        self.no_metadata: list[str] = []  # pages fetched that carried no resource node
        self.other_types: list[str] = []  # what those pages carried instead
        self.failed_pages: list[str] = []
        self.gone_pages: list[str] = []
        self.broken_scripts = 0
        self.foreign_pages: list[str] = []  # listed pages on other sites: not fetched

    @property
    def warnings(self) -> list[str]:
        lines = super().warnings
        if self.no_metadata:
            seen = f" (they carry {', '.join(self.other_types[:8])})" if self.other_types else ""
            lines.append(f"{len(self.no_metadata)} page(s) had no schema.org metadata{seen}, "
                         f"e.g. {self.no_metadata[0]}")
        if self.gone_pages:
            lines.append(f"{len(self.gone_pages)} listed page(s) answered 404/410, e.g. "
                         f"{self.gone_pages[0]}")
        if self.failed_pages:
            lines.append(f"{len(self.failed_pages)} page(s) could not be fetched: "
                         + "; ".join(self.failed_pages[:MAX_LISTED]))
        if self.foreign_pages:
            lines.append(f"{len(self.foreign_pages)} listed page(s) are on other hosts than "
                         f"the source's and were skipped, e.g. {self.foreign_pages[0]} (a host "
                         "of the source's own goes into its allow_hosts)")
        if self.broken_scripts:
            lines.append(f"{self.broken_scripts} JSON-LD script(s) were not valid JSON and "
                         f"were skipped (nesting deeper than {MAX_JSON_DEPTH} levels counts "
                         "as broken)")
        return lines

    # --- harvesting ------------------------------------------------------------------------

    def harvest(self, state: HarvestState, full: bool = False) -> Iterator[Batch]:
        self.fetcher = WebFetcher(self.source, self.client, state)
        try:
            listing = self.list_pages()
        except PageLimitReached:
            return  # the budget went on sitemaps; the warning says where it stopped
        self._next_since = max((m for m in listing.pages.values() if m), default=None)
        run = _Run()
        to_fetch = self._plan(listing, state, full, run)
        try:
            for url in to_fetch:
                self._page(url, listing.pages[url], state, full, run)
                if len(run.records) >= BATCH_RECORDS or len(run.pages) >= BATCH_PAGES:
                    yield run.take()
        except PageLimitReached:
            run.complete = False
        except SourceUnreachable:
            if run.pending():
                yield run.take()  # keep what the pages before the outage gave
            raise
        if run.markup_changed(bool(state.known)):
            example = (run.lost or self.no_metadata)[0]
            raise ExtractionFailed(
                f"none of the {run.html_pages} page(s) fetched carried {LOOKED_FOR}, e.g. "
                f"{example}; has the site's markup changed? Nothing was stored for them. (If "
                "the sitemaps list other pages first, narrow them with include/exclude or "
                "raise max_pages.)")
        if listing.complete and run.complete and not self.fetcher.limit_reached:
            self._gone(listing, state, run)
        if run.pending(release=True):
            yield run.take(release=True)

    def _plan(self, listing: Listing, state: HarvestState, full: bool, run: _Run) -> list[str]:
        """Pages to fetch, in order; those known unchanged by lastmod are counted skipped."""
        fresh, revisit = [], []
        for url, lastmod in listing.pages.items():
            before = state.pages.get(url)
            if before is None or full:
                fresh.append(url)
            elif lastmod is not None and before.lastmod == lastmod:
                run.skipped += len(before.identifiers)
                run.seen.update(before.identifiers)
            elif lastmod is not None:
                fresh.append(url)
            else:
                revisit.append(url)
        revisit.sort(key=lambda url: state.pages[url].fetched_at or "")
        return fresh + revisit

    def _page(self, url: str, lastmod: str | None, state: HarvestState, full: bool,
              run: _Run) -> None:
        """Fetch one page and turn its resource nodes into records."""
        before = state.pages.get(url)
        kept = before.identifiers if before is not None else ()
        try:
            fetched = self.fetcher.fetch(url, HTML_ACCEPT, lastmod=lastmod, conditional=not full)
        except SourceUnreachable as exc:
            self._failed(url, str(exc), kept, run)
            return
        run.errors_in_row = 0
        if fetched is None:  # robots.txt: the fetcher says so; its records stay
            run.seen.update(kept)
            return
        if fetched.unchanged:
            run.skipped += len(kept)
            run.seen.update(kept)
            run.pages.append(fetched.page)
            return
        if fetched.gone:
            self.gone_pages.append(url)
            self._delete(kept, state, run)
            run.pages.append(PageState(url, lastmod, None, None, fetched.response.status,
                                       fetched.page.fetched_at, ()))
            return
        if not fetched.ok:
            self._failed(url, f"HTTP {fetched.response.status}", kept, run)
            return
        self._read(fetched, lastmod, kept, state, run)

    def _read(self, fetched: Fetched, lastmod: str | None, kept: tuple[str, ...],
              state: HarvestState, run: _Run) -> None:
        url, response = fetched.url, fetched.response
        content_type = response.headers.get("Content-Type", "")
        embedded = None
        if _is_html(content_type, response.body):  # not a PDF or a video the sitemap lists
            run.html_pages += 1
            embedded = extract_resources(response.body, response.url or url, content_type)
            self.broken_scripts += embedded.broken_scripts
        nodes = embedded.nodes if embedded is not None else []
        if not nodes:
            self.no_metadata.append(url)
            if embedded is not None:
                self.other_types.extend(t for t in embedded.other_types
                                        if t not in self.other_types)
            if kept:  # it gave records before: keep them, and ask again next run
                run.seen.update(kept)
                if embedded is not None:
                    run.lost.append(url)
            else:  # not a resource page: not fetched again until its lastmod moves
                run.held.append(fetched.page)
            return
        run.resources += len(nodes)
        names = identifiers_for(url, nodes)
        for name, node in zip(names, nodes, strict=True):
            modified = next((normalize_datestamp(v) for v in _strings(node.get("dateModified"))
                             if normalize_datestamp(v)), None)
            run.records.append(RawRecord(
                self.source.id, name, modified or lastmod, False, FORMAT,
                json.dumps(node, ensure_ascii=False, sort_keys=True)))
            run.elements.append(node)
        run.seen.update(names)
        self._delete([i for i in kept if i not in names], state, run)
        page = fetched.page
        run.pages.append(PageState(page.url, page.lastmod, page.etag, page.last_modified,
                                   page.status, page.fetched_at, tuple(names)))

    def _failed(self, url: str, why: str, kept: tuple[str, ...], run: _Run) -> None:
        """A page that could not be fetched: its records stay, and nothing is inferred gone."""
        self.failed_pages.append(f"{url} ({why})")
        run.seen.update(kept)
        run.complete = False
        run.errors_in_row += 1
        if run.errors_in_row >= MAX_ERRORS_IN_ROW:
            raise SourceUnreachable(f"{MAX_ERRORS_IN_ROW} pages in a row could not be fetched, "
                                    f"the last {url} ({why}); stopped")

    def _delete(self, identifiers: Iterable[str], state: HarvestState, run: _Run) -> None:
        """Deleted records for the identifiers still live and given by no listed page."""
        for identifier in identifiers:
            if identifier in state.known and identifier not in run.deleted \
                    and identifier not in run.seen:
                run.deleted.add(identifier)
                run.records.append(RawRecord(self.source.id, identifier, None, True, FORMAT,
                                             None))
                run.elements.append(None)

    def _gone(self, listing: Listing, state: HarvestState, run: _Run) -> None:
        """After a complete run: records of pages no longer listed, and any other record of
        the source no listed page gives, are deleted; the unlisted pages forget them."""
        for url, page in state.pages.items():
            if url not in listing.pages and page.identifiers:
                run.pages.append(PageState(url, None, None, None, page.status, page.fetched_at,
                                           ()))
        self._delete(sorted(set(state.known) - run.seen), state, run)

    # --- listing -------------------------------------------------------------------------

    def list_pages(self) -> Listing:
        """Every page URL the sitemaps list (include/exclude applied), with its lastmod."""
        listing = Listing()
        hosts = source_hosts(self.source)
        queue = deque([(url, 1) for url in self._robots_sitemaps()] or [(self.source.url, 0)])
        seen = {url for url, _ in queue}
        while queue:
            url, depth = queue.popleft()
            if len(listing.sitemaps) >= MAX_SITEMAPS:
                self.notes.append(f"more than {MAX_SITEMAPS} sitemaps: the rest were not read")
                listing.complete = False
                break
            root = url == self.source.url or not listing.sitemaps and depth == 1
            body = self._sitemap_body(url, root, listing)
            if body is None:
                continue
            parsed = parse_sitemap(body, url)
            if parsed is None:
                problem = (f"{url} is not a sitemap or sitemap index (it begins "
                           f"{body.lstrip()[:60].decode('utf-8', 'replace')!r})")
                if root:
                    raise HarvestError(problem)
                self.notes.append(problem)
                listing.complete = False
                continue
            listing.sitemaps.append(url)
            children, pages = parsed
            for child in children:
                if child in seen:
                    continue
                seen.add(child)
                if depth + 1 > MAX_DEPTH:
                    self.notes.append(f"{child}: sitemap indexes nested deeper than {MAX_DEPTH} "
                                      "levels are not read")
                    listing.complete = False
                    continue
                queue.append((child, depth + 1))
            for page, lastmod in pages:
                if not host_allowed(page, hosts):
                    if page not in listing.pages:
                        self.foreign_pages.append(page)
                elif not self.fetcher.wanted(page):
                    listing.excluded += 1
                elif page not in listing.pages:
                    listing.pages[page] = lastmod
        return listing

    def _robots_sitemaps(self) -> list[str]:
        """A site root as the source's url: the Sitemap: lines of its robots.txt, else the
        conventional /sitemap.xml."""
        if urlsplit(self.source.url).path not in ("", "/"):
            return []
        robots = self.fetcher.robots_for(self.source.url)  # read once, shared with the fetcher
        found = [absolute(self.source.url, u) for u in robots.sitemaps] if robots else []
        found = list(dict.fromkeys(u for u in found if u))
        return found or [absolute(self.source.url, "/sitemap.xml") or self.source.url]

    def _sitemap_body(self, url: str, root: bool, listing: Listing) -> bytes | None:
        """A sitemap's bytes (never a 304: the listing is needed whole); None when it cannot
        be read, which leaves the listing incomplete (a root sitemap raises instead)."""
        try:
            fetched = self.fetcher.fetch(url, XML_ACCEPT, conditional=False)
        except SourceUnreachable as exc:
            if root:
                raise
            self.notes.append(f"sitemap {url} could not be read ({exc})")
            listing.complete = False
            return None
        if fetched is None:
            if root:
                raise HarvestError(f"robots.txt disallows the sitemap {url}; nothing to harvest")
            listing.complete = False
            return None
        if not fetched.ok:
            if root:
                raise SourceUnreachable(f"HTTP {fetched.response.status} from {url}: no sitemap "
                                        "there")
            self.notes.append(f"sitemap {url} answered HTTP {fetched.response.status}")
            listing.complete = False
            return None
        return fetched.response.body

    # --- checking ------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """robots.txt, the sitemap (and its first child sitemap when it is an index), and the
        first page it lists: what was found there. Nothing is stored."""
        details: dict[str, Any] = {}
        try:
            sitemap, children, first_sitemap, pages = self._first_listing()
            details.update(sitemaps_listed=len(children), pages_in_first_sitemap=len(pages),
                           with_lastmod=sum(1 for _, m in pages if m))
            if not pages:
                return CheckResult(self.source.id, False, details | {"sitemap": sitemap},
                                   f"{first_sitemap} lists no page (after include/exclude)")
            first = next((u for u, _ in pages if self.fetcher.allowed(u)), pages[0][0])
            fetched = self.fetcher.fetch(first, HTML_ACCEPT, conditional=False)
            if fetched is not None and fetched.ok:
                nodes = extract_resources(fetched.response.body, fetched.response.url,
                                          fetched.response.headers.get("Content-Type", "")).nodes
                details["resources_on_first_page"] = len(nodes)
                details["types_on_first_page"] = sorted({t for n in nodes
                                                         for t in _strings(n.get("@type"))})
            details.update(sitemap=sitemap, first_sitemap=first_sitemap, first_page=first)
        except HarvestError as exc:
            return CheckResult(self.source.id, False, details, str(exc))
        if self.fetcher.disallowed:
            details["robots_disallowed"] = list(self.fetcher.disallowed)
        return CheckResult(self.source.id, True, details)

    def _first_listing(self) -> tuple[str, list[str], str, list[tuple[str, str | None]]]:
        """(the sitemap, the sitemaps it lists, the first one listing pages, its wanted pages)."""
        queue = self._robots_sitemaps() or [self.source.url]
        listing = Listing()
        body = self._sitemap_body(queue[0], True, listing)
        assert body is not None  # a root sitemap that cannot be read raises
        parsed = parse_sitemap(body, queue[0])
        if parsed is None:
            raise HarvestError(f"{queue[0]} is not a sitemap or sitemap index")
        children, pages = parsed
        children = queue[1:] + children
        first_sitemap = queue[0]
        if children and not pages:
            first_sitemap = children[0]
            child = self._sitemap_body(first_sitemap, False, listing)
            parsed = parse_sitemap(child, first_sitemap) if child is not None else None
            pages = parsed[1] if parsed is not None else []
        return queue[0], children, first_sitemap, [(u, m) for u, m in pages
                                                   if self.fetcher.wanted(u)]


Parsed = tuple[list[str], list[tuple[str, str | None]]]


def parse_sitemap(body: bytes, url: str) -> Parsed | None:
    """(child sitemaps, [(page URL, lastmod)]) of a sitemap, a sitemap index or a text
    sitemap; None when the body is none of these (an HTML page, garbage).

    Read by local name, so a missing or wrong namespace does not matter; broken XML is read
    as far as it goes.
    """
    stripped = body.lstrip()
    if not stripped.startswith(b"<"):  # a text sitemap: one URL a line
        lines = stripped.decode("utf-8", "replace").splitlines()
        found = [u for u in (absolute(url, line.strip()) for line in lines
                             if line.strip().startswith(("http://", "https://"))) if u]
        return ([], [(u, None) for u in found]) if found else None
    cleaned, _ = clean_xml_bytes(stripped)
    try:
        root = etree.fromstring(cleaned, _PARSER)
    except etree.XMLSyntaxError:
        return None
    if root is None or etree.QName(root).localname not in ("urlset", "sitemapindex"):
        return None
    children: list[str] = []
    pages: list[tuple[str, str | None]] = []
    for element in root.iter(etree.Element):
        kind = etree.QName(element).localname
        if kind not in ("sitemap", "url"):
            continue
        loc = absolute(url, _child_text(element, "loc") or "")
        if loc is None:
            continue
        if kind == "sitemap":
            children.append(loc)
        else:
            pages.append((loc, normalize_datestamp(_child_text(element, "lastmod"))))
    return children, pages


def identifiers_for(page_url: str, nodes: list[dict[str, Any]]) -> list[str]:
    """One node: the page. Several: each node's own url/@id when no other node shares it,
    else the page URL with #n (n counting from 1)."""
    if len(nodes) == 1:
        return [page_url]
    own = [node_url(node) for node in nodes]
    return [u if u is not None and own.count(u) == 1 else f"{page_url}#{n}"
            for n, u in enumerate(own, start=1)]


def _child_text(element: Any, name: str) -> str | None:
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            text = (child.text or "").strip()
            return text or None
    return None


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, str)]


def _is_html(content_type: str, body: bytes) -> bool:
    """HTML by its Content-Type, or by its look when the server does not say."""
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    if kind and kind not in ("text/plain", "application/octet-stream", "application/xml",
                             "text/xml"):
        return False  # a PDF, an image, a video listed in the sitemap
    return b"<html" in body[:4096].lower() or b"<!doctype html" in body[:4096].lower()
