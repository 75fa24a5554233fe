"""What every web harvester shares: robots.txt, the page budget, and conditional fetches.

Portals without OAI-PMH are crawled page by page, so manners matter more than for OAI:
- robots.txt is read once per host (with Protego, which knows the wildcards and Crawl-delay
  of RFC 9309 that the standard library's parser does not); a disallowed URL is not fetched and
  the run says so;
- Crawl-delay can only lengthen the per-host delay the registry sets (default 1 s);
- `max_pages` bounds the pages one run fetches; the run says where it stopped;
- a page fetched before is asked for with If-None-Match / If-Modified-Since, so an unchanged
  page costs a 304 and no body;
- include/exclude patterns keep the crawl to the resource pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

from protego import Protego

from harvesters.base import Workers
from oerhub.errors import SourceUnreachable
from oerhub.http import HttpClient, Response
from oerhub.models import HarvestState, PageState
from oerhub.normalize.dates import utc_now

if TYPE_CHECKING:  # types only: the registry reads the harvesters' options
    from oerhub.registry import Source

ROBOTS_AGENT = "oerhub"
MAX_CRAWL_DELAY = 60.0  # seconds: a longer Crawl-delay is capped (and the run says so)
MAX_LISTED = 5  # URLs named in one warning; the rest are counted

HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
XML_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.1"
FEED_ACCEPT = "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.1"
JSON_ACCEPT = "application/json, */*;q=0.1"


class PageLimitReached(Exception):
    """`max_pages` pages were fetched; the harvester stops and keeps what it has."""


@dataclass
class Fetched:
    """A page fetched (or found unchanged by a conditional GET)."""

    url: str  # as asked for
    response: Response
    page: PageState  # what to remember about it

    @property
    def unchanged(self) -> bool:
        return self.response.status == 304

    @property
    def ok(self) -> bool:
        return 200 <= self.response.status < 300

    @property
    def gone(self) -> bool:
        return self.response.status in (404, 410)


@dataclass(frozen=True)
class RobotsTxt:
    """One origin's robots.txt as RFC 9309 reads it (shared with oerhub.enrich.links)."""

    url: str  # where it was asked for
    rules: Protego | None  # None: there is none (a 4xx), so everything may be fetched
    problem: str | None = None  # it could not be read: everything is disallowed, and why

    def allows(self, url: str) -> bool:
        return self.rules is None or self.rules.can_fetch(url, ROBOTS_AGENT)

    def crawl_delay(self) -> float | None:
        """The Crawl-delay it asks of oerhub, capped at MAX_CRAWL_DELAY; None when none."""
        delay = self.rules.crawl_delay(ROBOTS_AGENT) if self.rules is not None else None
        return None if delay is None else min(float(delay), MAX_CRAWL_DELAY)


def read_robots(client: HttpClient, origin: str) -> RobotsTxt:
    """Fetch `origin`'s robots.txt (origin: scheme://host[:port]) through `client`."""
    robots_url = origin + "/robots.txt"
    try:
        response = client.get(robots_url, headers={"Accept": "text/plain, */*;q=0.1"})
    except SourceUnreachable as exc:
        # RFC 9309 2.3.1.4: an unreachable robots.txt means "assume everything disallowed".
        return RobotsTxt(robots_url, _disallow_all(), f"could not be read ({exc})")
    if 200 <= response.status < 300:
        return RobotsTxt(robots_url, Protego.parse(response.body.decode("utf-8", "replace")))
    if 400 <= response.status < 500:
        return RobotsTxt(robots_url, None)  # RFC 9309 2.3.1.3: no robots.txt, no rules
    return RobotsTxt(robots_url, _disallow_all(), f"answered HTTP {response.status}")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _disallow_all() -> Protego:
    return Protego.parse("User-agent: *\nDisallow: /\n")


@dataclass
class WebFetcher:
    """One run's web fetching for one source, through the shared HTTP client."""

    source: Source
    client: HttpClient
    state: HarvestState = field(default_factory=HarvestState)
    pages_fetched: int = 0
    not_modified: int = 0
    disallowed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    limit_reached: bool = False
    _robots: dict[str, Protego | None] = field(default_factory=dict)
    _include: list[re.Pattern[str]] = field(default_factory=list)
    _exclude: list[re.Pattern[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._include = [re.compile(p) for p in self.source.include]
        self._exclude = [re.compile(p) for p in self.source.exclude]

    # --- which URLs ----------------------------------------------------------------------

    def wanted(self, url: str) -> bool:
        """Does the registry's include/exclude let this page URL in?"""
        if self._include and not any(p.search(url) for p in self._include):
            return False
        return not any(p.search(url) for p in self._exclude)

    def allowed(self, url: str) -> bool:
        """May robots.txt's rules for oerhub fetch this URL? Records it when not."""
        robots = self.robots_for(url)
        if robots is None or robots.can_fetch(url, ROBOTS_AGENT):
            return True
        self.disallowed.append(url)
        return False

    def robots_for(self, url: str) -> Protego | None:
        """The rules of the URL's origin, read once per run (None: it has no robots.txt)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self._robots:
            return self._robots[origin]
        robots_txt = read_robots(self.client, origin)
        if robots_txt.problem and origin == _origin(self.source.url):
            # RFC 9309 treats the site as all disallowed; for the source's own site that
            # means it is down, and the run fails naming why (never "robots.txt disallows")
            raise SourceUnreachable(f"{robots_txt.url} {robots_txt.problem}: the site is not "
                                    "answering, nothing was harvested")
        if robots_txt.problem:
            self.notes.append(f"{robots_txt.url} {robots_txt.problem}; nothing on "
                              f"{parts.netloc} was fetched")
        elif robots_txt.rules is not None:
            self._apply_crawl_delay(robots_txt.rules, parts.netloc)
        self._robots[origin] = robots_txt.rules
        return robots_txt.rules

    def _apply_crawl_delay(self, robots: Protego, host: str) -> None:
        delay = robots.crawl_delay(ROBOTS_AGENT)
        if delay is None or float(delay) <= self.client.delay:
            return
        if float(delay) > MAX_CRAWL_DELAY:
            self.notes.append(f"robots.txt of {host} asks for a Crawl-delay of {float(delay):.0f} s; "
                              f"oerhub waits {MAX_CRAWL_DELAY:.0f} s")
        self.client.delay = min(float(delay), MAX_CRAWL_DELAY)

    # --- fetching ------------------------------------------------------------------------

    def fetch(self, url: str, accept: str = HTML_ACCEPT, *, lastmod: str | None = None,
              conditional: bool = True) -> Fetched | None:
        """GET one page within the budget and robots.txt; None when robots.txt forbids it.

        With `conditional`, a page fetched before is asked for with its validators, and a 304
        comes back as an unchanged Fetched. Raises PageLimitReached once `max_pages` pages
        have been fetched (the robots.txt requests do not count).
        """
        if not self.allowed(url):
            return None
        if self.source.max_pages is not None and self.pages_fetched >= self.source.max_pages:
            self.limit_reached = True
            raise PageLimitReached(url)
        headers = {"Accept": accept}
        before = self.state.pages.get(url)
        if conditional and before is not None and before.status == 200:
            if before.etag:
                headers["If-None-Match"] = before.etag
            if before.last_modified:
                headers["If-Modified-Since"] = before.last_modified
        response = self.client.get(url, headers=headers)
        self.pages_fetched += 1
        if response.status == 304:
            self.not_modified += 1
            assert before is not None
            page = PageState(url, lastmod or before.lastmod, before.etag, before.last_modified,
                             200, utc_now(), before.identifiers)
        else:
            page = PageState(url, lastmod, response.headers.get("ETag"),
                             response.headers.get("Last-Modified"), response.status, utc_now())
        return Fetched(url, response, page)

    # --- what the run says ---------------------------------------------------------------

    @property
    def warnings(self) -> list[str]:
        """Lines for the run's record: robots.txt refusals, the page budget, oddities."""
        lines = list(self.notes)
        if self.disallowed:
            named = ", ".join(self.disallowed[:MAX_LISTED])
            more = f" and {len(self.disallowed) - MAX_LISTED} more" if len(
                self.disallowed) > MAX_LISTED else ""
            lines.append(f"robots.txt disallows {len(self.disallowed)} URL(s), not fetched: "
                         f"{named}{more}")
        if self.limit_reached:
            lines.append(f"stopped at max_pages = {self.source.max_pages} pages fetched; "
                         "the next run goes on (pages already stored are not fetched again)")
        return lines


def absolute(base: str, href: str) -> str | None:
    """An http(s) link made absolute, without its #fragment; None for other schemes."""
    href = (href or "").strip()
    if not href:
        return None
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


class WebHarvester:
    """What the web harvesters share: their source and HTTP client, the run's fetcher (each
    harvest starts a new one holding what earlier runs left), notes for the run's warnings
    beside the fetcher's, and the date shown as where the next run starts (None where only
    conditional GETs tell what changed)."""

    def __init__(self, source: Source, client: HttpClient) -> None:
        self.source = source
        self.client = client
        self.workers: Workers | None = None  # pages of the web are read where they arrive
        self.fetcher = WebFetcher(source, client)
        self.notes: list[str] = []
        self._next_since: str | None = None

    @property
    def warnings(self) -> list[str]:
        return self.fetcher.warnings + self.notes

    @property
    def next_since(self) -> str | None:
        return self._next_since
