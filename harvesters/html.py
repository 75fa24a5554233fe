"""html: portals with no metadata at all, read the way a person reads them.

The registry names the portal's list pages and, with CSS or XPath selectors, where an item
page shows each field (see `oerhub.registry.HtmlRules`). A run:

1. walks the list pages from the source's url (and `start`), following `next` links, always
   fetched fresh (they change whenever an item is added, and only they tell what exists);
2. fetches the item pages they link to: never-fetched pages first, then the longest unchecked,
   so a run cut short by `max_pages` is continued, not repeated, by the next one. A page with a
   live record is asked for conditionally: unchanged costs a 304 and no body;
3. stores the fields each item page shows as the raw record (JSON), the item page's URL as the
   identifier;
4. after a complete walk of the list pages, deletes the records no list page links any more;
   an item page answering 404/410 deletes its record.

A list page whose items selector finds nothing, or an item page without a title, means the
portal's markup has changed: the run fails, naming the selector, rather than store empty
records.
"""

from __future__ import annotations

import codecs
import email.utils
import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from lxml import etree
from lxml import html as lxml_html

from harvesters.base import CheckResult
from harvesters.selectors import Selector, SelectorError, compile_selector
from harvesters.web import (
    MAX_LISTED,
    Fetched,
    PageLimitReached,
    WebFetcher,
    WebHarvester,
    absolute,
)
from oerhub.errors import ConfigError, ExtractionFailed, HarvestError, SourceUnreachable
from oerhub.http import HttpClient
from oerhub.models import Batch, HarvestState, PageState, RawRecord
from oerhub.normalize.dates import utc_now

if TYPE_CHECKING:  # types only: the registry reads the harvesters' options
    from oerhub.registry import Source

BATCH_SIZE = 50  # item pages per stored batch: a killed run loses at most this many fetches
MAX_LIST_PAGES = 10_000  # list pages one run walks when max_pages sets no bound
MAX_FAILURES = 5  # item pages in a row that cannot be fetched at all: the portal is down
MULTI_VALUED = frozenset({"subjects", "creators", "identifiers", "education_level"})
MARKUP_HINT = "has the portal's markup changed?"

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([-\w.:]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([-\w.:]+)""", re.I)
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?\s*([-\w.:]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
# Labels browsers read differently from Python (WHATWG Encoding): Latin-1 means windows-1252,
# a UTF-16 label inside a byte stream means UTF-8.
_LABELS = {"iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252",
           "latin-1": "cp1252", "l1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
           "x-cp1251": "cp1251", "win-1251": "cp1251", "x-mac-cyrillic": "mac-cyrillic",
           "utf-16": "utf-8", "utf-16le": "utf-8", "utf-16be": "utf-8", "unicode": "utf-8"}
# Servers that know nothing of the page still say Latin-1: the page's own <meta> knows better.
_DEFAULT_LABELS = frozenset({"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii",
                             "ascii"})
# A page that declares nothing and is not UTF-8: the region's legacy code pages, by language.
_LEGACY_BY_LANGUAGE = {"lv": "cp1257", "lt": "cp1257", "et": "cp1257", "ro": "cp1250",
                       "pl": "cp1250", "az": "cp1254", "tr": "cp1254"}


@dataclass
class Listing:
    """What the list pages link to, and whether every list page was read."""

    links: list[str] = field(default_factory=list)
    complete: bool = True
    pages: int = 0


class HtmlHarvester(WebHarvester):
    """Harvest a portal with no metadata through its list pages and item pages. No
    `next_since`: conditional GETs, not a date, tell what changed."""

    batch_size = BATCH_SIZE

    def __init__(self, source: Source, client: HttpClient) -> None:
        if source.html is None:
            raise ConfigError("an html source needs a [sources.html] table", source=source.id,
                              field="html")
        super().__init__(source, client)
        self.rules = source.html
        self.items = compile_selector(self.rules.items)
        self.next = compile_selector(self.rules.next) if self.rules.next else None
        self.fields = {name: compile_selector(text) for name, text in self.rules.fields.items()}

    # --- harvest -------------------------------------------------------------------------

    def harvest(self, state: HarvestState, full: bool = False) -> Iterator[Batch]:
        """Walk the list pages, then fetch the item pages that may have changed.

        The checkpoint holds the run's start: a run resumed after a kill skips the item
        pages the killed run stored (fetched at or after that moment).
        """
        self.fetcher = WebFetcher(self.source, self.client, state)
        resumed_from = _run_start(state.checkpoint)
        checkpoint = {"run_started": resumed_from or utc_now()}
        listing = self.walk()
        builder = _BatchBuilder(self.batch_size, checkpoint)
        removed: set[str] = set()
        problems = _Problems()
        failures = fetched_items = 0
        for url in fetch_order(listing.links, state):
            before = state.pages.get(url)
            if resumed_from and before is not None and (before.fetched_at or "") >= resumed_from:
                builder.skip(1 if before.status == 200 else 0)  # stored by the killed run
            else:
                try:
                    fetched = self.fetcher.fetch(url, conditional=not full and url in state.known)
                except PageLimitReached:
                    break
                except SourceUnreachable as exc:
                    failures += 1
                    if failures >= MAX_FAILURES:
                        raise
                    problems.failed.append(f"{url} ({exc})")
                    continue
                failures = 0
                if fetched is None:
                    continue  # robots.txt: the fetcher's warnings name it
                fetched_items += 1
                self._item(fetched, state, builder, removed, problems)
            if builder.full:
                yield builder.take()
        if listing.complete:
            linked = set(listing.links)
            for identifier in state.known:
                if identifier not in linked and identifier not in removed:
                    builder.delete(self.source.id, identifier)
                    if builder.full:
                        yield builder.take()
        if not builder.empty:
            yield builder.take()
        self.notes.extend(problems.lines())
        if self.fetcher.limit_reached and listing.links and not fetched_items:
            self.notes.append(f"max_pages = {self.source.max_pages} was used up by the list pages "
                              "before any item page was fetched: raise max_pages")

    def _item(self, fetched: Fetched, state: HarvestState, builder: _BatchBuilder,
              removed: set[str], problems: _Problems) -> None:
        """One item page's answer into the batch: a record, an unchanged page, a deletion."""
        url = fetched.url
        if fetched.unchanged:
            builder.add_page(fetched.page, skipped=1)
        elif fetched.gone:
            builder.add_page(fetched.page)
            if url in state.known:
                builder.delete(self.source.id, url)
                removed.add(url)
            else:
                problems.broken.append(url)
        elif not fetched.ok:
            problems.failed.append(f"{url} (HTTP {fetched.response.status})")
        elif not _is_html(fetched):
            problems.not_html.append(url)
        else:
            fields = self.extract(fetched)
            raw = json.dumps(fields, ensure_ascii=False, sort_keys=True)
            modified = http_date(_header(fetched.response.headers, "Last-Modified"))
            builder.add(RawRecord(self.source.id, url, modified, False, "html", raw), fields,
                        replace(fetched.page, identifiers=(url,)))

    # --- list pages ----------------------------------------------------------------------

    def walk(self) -> Listing:
        """Every item link of the list pages, in order, once; `next` links followed.

        A list page reached by `next` that adds no new item is the end of its chain (portals
        answer page 999 with the last page again); visited pages are never fetched twice.
        """
        listing = Listing()
        seen: dict[str, None] = {}
        queue = deque(dict.fromkeys((self.source.url, *self.rules.start)))
        visited: set[str] = set()
        while queue:
            url = queue.popleft()
            if url in visited:
                continue
            if len(visited) >= MAX_LIST_PAGES:
                self.notes.append(f"stopped after {MAX_LIST_PAGES:,} list pages")
                listing.complete = False
                break
            visited.add(url)
            try:
                fetched = self.fetcher.fetch(url, conditional=False)
            except PageLimitReached:
                listing.complete = False
                break
            if fetched is None:  # robots.txt forbids it: what it lists stays unknown
                listing.complete = False
                continue
            first = listing.pages == 0
            if not fetched.ok:
                if first:
                    raise SourceUnreachable(f"HTTP {fetched.response.status} from the list page "
                                            f"{url}")
                self.notes.append(f"list page {url} answered HTTP {fetched.response.status}; "
                                  "no record was deleted for want of a complete listing")
                listing.complete = False
                continue
            listing.pages += 1
            document, base = parse_page(fetched, self.source.languages)
            links = self._item_links(document, base, url, first)
            new = [link for link in links if link not in seen]
            seen.update(dict.fromkeys(new))
            if self.next is not None and new:
                for href in self._apply(self.next, document, "html.next", url, links=True):
                    target = absolute(base, href)
                    if target and target not in visited:
                        queue.append(target)
        if not listing.pages and not self.fetcher.limit_reached:
            raise HarvestError(f"no list page could be fetched: robots.txt forbids "
                               f"{self.source.url} (see the run's warnings)")
        listing.links = list(seen)
        return listing

    def _item_links(self, document: Any, base: str, url: str, first: bool) -> list[str]:
        """The wanted item links of one list page; on the first, none means changed markup."""
        hrefs = self._apply(self.items, document, "html.items", url, links=True)
        if first and not hrefs:
            raise ExtractionFailed(f"html.items selector {self.items.text!r} matched nothing "
                                   f"on {url}{_titled(document)}: {MARKUP_HINT}")
        links = [link for href in hrefs if (link := absolute(base, href))]
        wanted = list(dict.fromkeys(link for link in links if self.fetcher.wanted(link)))
        if first and not wanted:
            raise ExtractionFailed(
                f"html.items selector {self.items.text!r} found {len(hrefs)} link(s) on {url} "
                "but the source's include/exclude patterns leave none of them: "
                f"{MARKUP_HINT} (first: {links[0] if links else hrefs[0]})")
        return wanted

    # --- item pages ----------------------------------------------------------------------

    def extract(self, fetched: Fetched) -> dict[str, Any]:
        """The fields an item page shows: one value, or every match for multi-valued fields."""
        document, base = parse_page(fetched, self.source.languages)
        out: dict[str, Any] = {}
        for name, selector in self.fields.items():
            found = self._apply(selector, document, f"html.fields.{name}", fetched.url,
                                links=name == "url")
            if name == "url":
                found = [link for href in found if (link := absolute(base, href))]
            elif name == "license":
                found = [(absolute(base, v) or v) if _looks_like_link(v) else v for v in found]
            if found:
                out[name] = found if name in MULTI_VALUED else found[0]
        if "title" not in out:
            raise ExtractionFailed(f"html.fields.title selector {self.fields['title'].text!r} "
                                   f"matched nothing on {fetched.url}{_titled(document)}: "
                                   f"{MARKUP_HINT}")
        out.setdefault("url", fetched.url)
        return out

    @staticmethod
    def _apply(selector: Selector, document: Any, name: str, url: str,
               links: bool = False) -> list[str]:
        if document is None:
            return []
        try:
            return selector.links(document) if links else selector.texts(document)
        except SelectorError as exc:
            raise ExtractionFailed(f"{name} selector failed on {url}: {exc}") from None

    # --- check ---------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """robots.txt, the first list page and its item links, and the first item's title."""
        fetcher = WebFetcher(self.source, self.client)
        self.fetcher = fetcher
        details: dict[str, Any] = {"list_page": self.source.url}
        try:
            fetched = fetcher.fetch(self.source.url, conditional=False)
            if fetched is None:
                return CheckResult(self.source.id, False, details,
                                   f"robots.txt disallows the list page {self.source.url}")
            if not fetched.ok:
                return CheckResult(self.source.id, False, details,
                                   f"HTTP {fetched.response.status} from {self.source.url}")
            document, base = parse_page(fetched, self.source.languages)
            links = self._item_links(document, base, self.source.url, first=True)
            details["item_links"] = len(links)
            following = self._apply(self.next, document, "html.next", self.source.url,
                                    links=True) if self.next else []
            details["next_page"] = next((t for h in following if (t := absolute(base, h))), None)
            item = next((link for link in links if fetcher.allowed(link)), None)
            if item is not None:
                page = fetcher.fetch(item, conditional=False)
                if page is not None and page.ok:
                    details["first_item"] = item
                    details["title"] = self.extract(page)["title"]
        except PageLimitReached:
            pass  # max_pages = 1: the list page is all a run could read anyway
        except HarvestError as exc:
            return CheckResult(self.source.id, False, details, str(exc))
        if fetcher.warnings:
            details["warnings"] = fetcher.warnings
        return CheckResult(self.source.id, True, details)


# --- batches -------------------------------------------------------------------------------


@dataclass
class _BatchBuilder:
    """Collects one batch's records, pages and skipped count."""

    size: int
    checkpoint: dict[str, Any]
    records: list[RawRecord] = field(default_factory=list)
    elements: list[Any] = field(default_factory=list)
    pages: list[PageState] = field(default_factory=list)
    skipped: int = 0
    work: int = 0  # item pages dealt with in this batch

    @property
    def full(self) -> bool:
        return self.work >= self.size

    @property
    def empty(self) -> bool:
        return not (self.records or self.pages or self.skipped)

    def add(self, record: RawRecord, element: Any, page: PageState) -> None:
        self.records.append(record)
        self.elements.append(element)
        self.pages.append(page)
        self.work += 1

    def delete(self, source_id: str, identifier: str) -> None:
        self.records.append(RawRecord(source_id, identifier, None, True, "html", None))
        self.elements.append(None)
        self.work += 1

    def add_page(self, page: PageState, skipped: int = 0) -> None:
        self.pages.append(page)
        self.skipped += skipped
        self.work += 1

    def skip(self, count: int) -> None:
        self.skipped += count
        self.work += 1

    def take(self) -> Batch:
        batch = Batch(self.records, dict(self.checkpoint), self.elements, self.pages, self.skipped)
        self.records, self.elements, self.pages, self.skipped, self.work = [], [], [], 0, 0
        return batch


@dataclass
class _Problems:
    """Item pages that gave nothing, for the run's warnings."""

    broken: list[str] = field(default_factory=list)  # linked, but 404/410 and never stored
    failed: list[str] = field(default_factory=list)  # other HTTP errors, unreachable
    not_html: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for items, what in ((self.broken, "linked item page(s) answer 404/410 (broken links)"),
                            (self.failed, "item page(s) could not be fetched"),
                            (self.not_html, "item link(s) lead to something other than an HTML "
                                            "page, skipped")):
            if items:
                more = f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
                out.append(f"{len(items)} {what}: {', '.join(items[:MAX_LISTED])}{more}")
        return out


# --- helpers -------------------------------------------------------------------------------


def fetch_order(links: list[str], state: HarvestState) -> list[str]:
    """Never-fetched pages first (in list order), then the longest unchecked.

    So a portal bigger than `max_pages` is covered over several runs instead of the same
    first pages being checked again and again.
    """
    def key(item: tuple[int, str]) -> tuple[int, str, int]:
        index, url = item
        page = state.pages.get(url)
        if page is None or not page.fetched_at:
            return (0, "", index)
        return (1, page.fetched_at, index)

    return [url for _, url in sorted(enumerate(links), key=key)]


def _run_start(checkpoint: dict[str, Any] | None) -> str | None:
    value = (checkpoint or {}).get("run_started")
    return value if isinstance(value, str) and value else None


def http_date(value: str | None) -> str | None:
    """An HTTP date (Last-Modified) as ISO 8601 UTC; None when absent or unreadable."""
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_page(fetched: Fetched, languages: tuple[str, ...] = ()) -> tuple[Any, str]:
    """The page as an lxml.html document (None when empty) and the base for its links."""
    response = fetched.response
    text = decode_page(response.body, _header(response.headers, "Content-Type"), languages)
    text = _CONTROL.sub("", _XML_DECLARATION.sub("", text, count=1))
    base = response.url or fetched.url
    try:
        document = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None, base
    declared = document.xpath("//base/@href")
    if declared:
        base = urljoin(base, str(declared[0]).strip())
    return document, base


def decode_page(body: bytes, content_type: str | None = None,
                languages: tuple[str, ...] = ()) -> str:
    """A page's text: BOM, HTTP charset, <meta charset> or <?xml encoding>, UTF-8, a guess.

    A server's Latin-1 default gives way to the page's own <meta>. A page that declares
    nothing and is not UTF-8 is read in the region's legacy code page: windows-1251 when its
    letters look Cyrillic, else the code page of the source's language.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(encoding, "replace")
    match = _CHARSET_PARAM.search(content_type or "")
    http = match.group(1).lower() if match else None
    match = _META_CHARSET.search(body[:8192]) or _XML_ENCODING.match(body[:512])
    meta = match.group(1).decode("ascii", "replace").lower() if match else None
    declared = [meta, http] if http in _DEFAULT_LABELS and meta else [http, meta]
    for label in declared:
        codec = _codec(label)
        if codec is None:
            continue
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue  # the declaration is wrong; try the next clue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(body):
        return body.decode("utf-8", "replace")
    return body.decode(_legacy_codec(body, languages), "replace")


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = _LABELS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _mostly_utf8(body: bytes) -> bool:
    """UTF-8 with a few broken bytes (a truncated page, one pasted legacy string)."""
    text = body.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = sum(1 for c in text if ord(c) > 0x7F) - bad
    return good >= 4 * bad


def _legacy_codec(body: bytes, languages: tuple[str, ...]) -> str:
    """windows-1251 when high bytes come in runs (Cyrillic words), else by the language."""
    high = [i for i, b in enumerate(body) if b >= 0x80]
    if high:
        runs = sum(1 for i in high if i + 1 < len(body) and body[i + 1] >= 0x80)
        if runs >= len(high) / 2:
            return "cp1251"
    for language in languages:
        if language in _LEGACY_BY_LANGUAGE:
            return _LEGACY_BY_LANGUAGE[language]
    return "cp1252"


def _header(headers: dict[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def _is_html(fetched: Fetched) -> bool:
    kind = (_header(fetched.response.headers, "Content-Type") or "").lower()
    return not kind or "html" in kind or "xml" in kind or kind.startswith("text/plain")


def _looks_like_link(value: str) -> bool:
    return not any(c.isspace() for c in value) and value.startswith(
        ("http://", "https://", "//", "/", "./", "../"))


def _titled(document: Any) -> str:
    """", a page titled '…'" for an error message: what came instead (a parked domain, a
    login page, an error page served with 200)."""
    title = " ".join((document.findtext(".//title") or "").split())[:120]
    return f" (a page titled {title!r})" if title else ""
