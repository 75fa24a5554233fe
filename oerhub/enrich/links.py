"""`oerhub links check`: does each record's URL still lead somewhere?

Each distinct URL of the live records is visited once, politely:

- robots.txt first (read once per origin, with the web harvesters' reader): a URL it disallows
  is recorded `disallowed` and not visited; an origin whose robots.txt cannot be read (no
  answer, or a 5xx) is not visited at all and its URLs are recorded `error`;
- HEAD, and GET (streamed, at most READ_LIMIT bytes read) when HEAD is refused (400, 403,
  405, 501), when the connection breaks on it, or when it says 404/410: some servers answer
  HEAD wrongly, and "dead" is only recorded when GET agrees;
- redirects are followed one hop at a time (each hop through robots.txt and the host's
  turn), at most MAX_REDIRECTS;
- one request at a time per host and `[harvest] delay` between two (default 1 s here, as for
  web pages; a robots.txt Crawl-delay can only lengthen it); hosts are visited in parallel
  by up to `[harvest] workers` threads;
- 429, 5xx, timeouts and broken connections are tried again `[harvest] retries` times, after
  `[harvest] backoff` seconds doubling (Retry-After honoured), then recorded;
- only public addresses are visited (oerhub/netguard.py): a URL, or a hop of its redirects,
  whose host is or resolves to a loopback, private, link-local or multicast address is
  recorded `refused` and not visited, unless OERHUB_LINKS_ALLOW_PRIVATE lets it in; every
  connection is checked once made too (a redirect of robots.txt, DNS rebinding).

Outcomes: `live` (2xx), `moved` (the URL answers a permanent redirect, 301 or 308, and the
chain ends in 2xx: the record should point at `final_url`), `dead` (404 or 410, also at the
end of redirects), `error` (5xx, another status, timeout, no connection, redirect loop: not
known to be dead), `disallowed` and `refused`. Each check is stored as soon as it is done, so
a killed run loses nothing; dead links are findings, not failures.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from harvesters.web import HTML_ACCEPT, RobotsTxt, read_robots
from oerhub.catalogue import Catalogue
from oerhub.deadline import deadline
from oerhub.errors import OerhubError
from oerhub.http import RETRY_STATUS, HostGate, HttpClient, retry_after_seconds
from oerhub.limits import limit_client
from oerhub.netguard import allowance, guard_session, url_problem
from oerhub.normalize.dates import utc_now
from oerhub.registry import Config, Settings

OUTCOMES = ("live", "moved", "dead", "error", "disallowed", "refused")
DEFAULT_DELAY = 1.0  # seconds between two requests to a host unless [harvest] delay says
READ_LIMIT = 4096  # bytes of a GET body read before the connection is closed
MAX_REDIRECTS = 10
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})
GONE = frozenset({404, 410})
# HEAD answers that may be the server's and not the resource's: asked again with GET.
HEAD_DOUBTFUL = frozenset({400, 403, 405, 501}) | GONE
PROGRESS_EVERY = 50  # links between two progress lines


@dataclass(frozen=True)
class LinkResult:
    """What one URL's check found."""

    url: str
    outcome: str  # one of OUTCOMES
    status: int | None = None  # the last HTTP status (after redirects); None without one
    final_url: str | None = None  # where the redirects ended (the URL itself without any)
    error: str | None = None  # why: the status in words, the exception, robots.txt


@dataclass
class LinkRun:
    """A run's figures: links (distinct URLs) per outcome, and the records they stand for."""

    counts: Counter[str] = field(default_factory=Counter)
    links: int = 0  # to check in this run
    records: int = 0  # records whose URL was checked
    requests: int = 0
    seconds: float = 0.0

    @property
    def checked(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        shown = [o for o in OUTCOMES if o != "refused" or self.counts[o]]  # refused: when any
        return ", ".join(f"{self.counts[o]:,} {o}" for o in shown)

    def describe(self) -> str:
        """The line the command ends with."""
        return (f"{_plural(self.checked, 'URL')} of {_plural(self.records, 'record')} checked "
                f"in {_plural(self.requests, 'request')}, {self.seconds:.1f} s: {self.summary()}")


class _NoAnswer(Exception):
    """No HTTP answer after the retries: timeout, refused, reset."""


class _HeadBroke(Exception):
    """The connection broke on a HEAD: the server may not like HEAD; try GET."""


def link_delay(settings: Settings) -> float:
    """Seconds between two requests to one host: [harvest] delay, else DEFAULT_DELAY."""
    return settings.delay if settings.delay is not None else DEFAULT_DELAY


class LinkChecker:
    """Checks URLs; thread-safe, with one HttpClient per thread and one HostGate for all."""

    def __init__(self, settings: Settings, gate: HostGate | None = None) -> None:
        self.settings = settings
        self.delay = link_delay(settings)
        self.gate = gate or HostGate()
        try:  # OERHUB_LINKS_ALLOW_PRIVATE: the non-public addresses let in
            self.allow = allowance()
        except ValueError as exc:
            raise OerhubError(str(exc)) from None
        self._local = threading.local()
        self._clients: list[HttpClient] = []
        self._lock = threading.Lock()
        self._robots: dict[str, RobotsTxt] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    @property
    def client(self) -> HttpClient:
        """This thread's client (requests' sessions are not meant to be shared by threads)."""
        client = getattr(self._local, "client", None)
        if client is None:
            s = self.settings
            client = HttpClient(contact=s.contact, timeout=s.timeout, delay=self.delay,
                                retries=s.retries, backoff=s.backoff,
                                max_retry_after=s.max_wait, gate=self.gate)
            limit_client(client, s)  # answer size and total time per request
            client.session.headers["Accept"] = HTML_ACCEPT
            guard_session(client.session, self.allow)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    @property
    def requests_made(self) -> int:
        with self._lock:
            return sum(c.requests_made for c in self._clients)

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()

    # --- one URL -----------------------------------------------------------------------

    def check(self, url: str) -> LinkResult:
        """Visit `url` as the module docstring says and classify what it answers."""
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return LinkResult(url, "error", error="not an http(s) URL; not visited")
        refused = self._refused(url, url)
        if refused is not None:
            return refused
        try:
            result = self._follow("HEAD", url)
        except _HeadBroke:
            result = None
        if result is None or result.status in HEAD_DOUBTFUL:
            result = self._follow("GET", url)
        return result

    def _follow(self, method: str, url: str) -> LinkResult:
        current, first, status = url, None, 0
        seen = {url}
        for _ in range(MAX_REDIRECTS + 1):
            try:
                status, location = self._send(method, current)
            except _NoAnswer as exc:
                return LinkResult(url, "error", None, current, str(exc))
            if status not in REDIRECTS:
                break
            if not location:
                return LinkResult(url, "error", status, current,
                                  f"HTTP {status} without a Location to go to")
            first = first or status
            target = urljoin(current, location.strip())
            if target in seen:
                return LinkResult(url, "error", status, target, "redirect loop")
            seen.add(target)
            refused = self._refused(url, target, status)
            if refused is not None:
                return refused
            current = target
        else:
            return LinkResult(url, "error", status, current,
                              f"more than {MAX_REDIRECTS} redirects")
        if 200 <= status < 300:
            return LinkResult(url, "moved" if first in PERMANENT else "live", status, current)
        if status in GONE:
            return LinkResult(url, "dead", status, current, f"HTTP {status}")
        return LinkResult(url, "error", status, current, f"HTTP {status}")

    def _refused(self, url: str, target: str, status: int | None = None) -> LinkResult | None:
        """A result when its address or robots.txt keeps us from `target` (`url` or a
        redirect of it)."""
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return LinkResult(url, "error", status, target, "redirected to a non-http(s) URL")
        private = url_problem(target, self.allow)
        if private is not None:
            return LinkResult(url, "refused", status, target,
                              f"{private}; not visited (only public addresses are)")
        robots = self._robots_for(target)
        if robots.problem:
            return LinkResult(url, "error", status, target,
                              f"{robots.url} {robots.problem}; not visited")
        if not robots.allows(target):
            return LinkResult(url, "disallowed", status, target,
                              f"robots.txt of {parts.netloc} disallows it; not visited")
        return None

    def _robots_for(self, url: str) -> RobotsTxt:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            if origin in self._robots:
                return self._robots[origin]
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:  # one thread reads it; the others wait for what it read
            with self._lock:
                if origin in self._robots:
                    return self._robots[origin]
            robots = read_robots(self.client, origin)
            with self._lock:
                self._robots[origin] = robots
            return robots

    def _host_delay(self, url: str) -> float:
        parts = urlsplit(url)
        with self._lock:
            robots = self._robots.get(f"{parts.scheme}://{parts.netloc}")
        crawl = robots.crawl_delay() if robots is not None else None
        return max(self.delay, crawl or 0.0)

    def _send(self, method: str, url: str) -> tuple[int, str | None]:
        """One request (retried on 429, 5xx, timeouts, broken connections): status, Location."""
        client = self.client
        attempt = 0
        while True:
            wait: float | None = None
            try:
                with self.gate.hold(url, self._host_delay(url)):
                    status, headers = self._request(client, method, url)
            except (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError):
                failure = f"no answer within {client.timeout:g} s"
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                if method == "HEAD":
                    raise _HeadBroke(str(exc)) from None
                failure = f"{type(exc).__name__}: {_short(exc)}"
            else:
                if status not in RETRY_STATUS:
                    return status, headers.get("Location")
                wait = retry_after_seconds(headers.get("Retry-After"))
                if wait is not None and wait > client.max_retry_after:
                    return status, None
                failure = ""
            if attempt >= client.retries:
                if not failure:
                    return status, None
                tries = f" after {attempt + 1} tries" if attempt else ""
                raise _NoAnswer(failure + tries)
            attempt += 1
            time.sleep(wait if wait is not None else min(client.backoff * 2 ** (attempt - 1),
                                                         60.0))

    @staticmethod
    def _request(client: HttpClient, method: str, url: str) -> tuple[int, Mapping[str, str]]:
        with deadline(client.max_seconds):
            return LinkChecker._request_in_time(client, method, url)

    @staticmethod
    def _request_in_time(client: HttpClient, method: str, url: str
                         ) -> tuple[int, Mapping[str, str]]:
        response = client.session.request(method, url, allow_redirects=False, stream=True,
                                          timeout=client.timeout)
        try:
            client.requests_made += 1
            if method == "GET":
                try:  # a little of the body: the server does send one
                    client.bytes_received += len(response.raw.read(READ_LIMIT,
                                                                   decode_content=False))
                except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
                    pass  # the status is what counts
            return response.status_code, response.headers  # case-insensitive
        finally:
            response.close()


# --- a run -----------------------------------------------------------------------------


def cutoff(days: float, now: datetime | None = None) -> str:
    """The stored time stamp `days` ago: checks since then are fresh."""
    moment = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_links(config: Config, db: Path, *, source_id: str | None = None,
                limit: int | None = None, older_than: float | None = None,
                echo: Callable[[str], None] | None = None,
                every: int = PROGRESS_EVERY) -> LinkRun:
    """Check the URLs of the catalogue's live records and store each check as it is done.

    `source_id`: only that source's records; `limit`: at most that many URLs (least
    recently checked first); `older_than` (days): leave out URLs checked more recently.
    `echo` gets a progress line every `every` links. Ctrl-C stops after the checks in
    flight, which are stored.
    """
    started = time.monotonic()
    with Catalogue(db) as catalogue:
        if source_id is not None:
            _known_source(catalogue, source_id)
        targets = links_to_check(catalogue, 
            source_id, cutoff(older_than) if older_than is not None else None, limit)
    run = LinkRun(links=len(targets))
    say = echo or (lambda line: None)
    scope = f" of {source_id}" if source_id else ""
    fresh = (f" (those checked in the last {older_than:g} days are skipped)"
             if older_than is not None else "")
    say(f"{utc_now()} links: {_plural(len(targets), 'URL')}{scope} to check{fresh}")
    if not targets:
        return run

    by_host: dict[str, list[tuple[str, list[int]]]] = {}
    for url, ids in targets:  # HostGate's key: one queue per host, hosts in parallel
        by_host.setdefault((urlsplit(url.strip()).hostname or "").lower(), []).append((url, ids))
    queue = sorted(by_host.values(), key=len, reverse=True)  # the longest first
    checker = LinkChecker(config.settings)
    write_lock, lock, stop = threading.Lock(), threading.Lock(), threading.Event()
    errors: list[BaseException] = []

    def work(done: threading.Event) -> None:
        try:
            with Catalogue(db, write_lock) as catalogue:
                while not stop.is_set():
                    with lock:
                        if not queue:
                            return
                        group = queue.pop(0)
                    for url, ids in group:
                        if stop.is_set():
                            return
                        result = checker.check(url)
                        store_link_check(catalogue, ids, url, result.outcome, result.status,
                                                   result.final_url, result.error)
                        with lock:
                            run.counts[result.outcome] += 1
                            run.records += len(ids)
                            so_far = run.checked
                            if so_far % every == 0 or so_far == run.links:
                                say(f"{utc_now()} links: {so_far:,} of {run.links:,} checked "
                                    f"({run.summary()}), {checker.requests_made:,} requests")
        except BaseException as exc:  # noqa: BLE001 (handed to the main thread)
            stop.set()
            errors.append(exc)
        finally:
            done.set()

    # Each worker says when it is done with an Event: Python 3.11's Thread.join, interrupted
    # by Ctrl-C, takes the thread for finished when it is not.
    workers = max(1, min(config.settings.workers, len(by_host)))
    finished = [threading.Event() for _ in range(workers)]
    try:
        for n, done in enumerate(finished):
            threading.Thread(target=work, args=(done,), name=f"links-{n}", daemon=True).start()
        for done in finished:
            while not done.wait(0.2):
                pass
    except KeyboardInterrupt:
        stop.set()  # the checks in flight finish and are stored
        for done in finished:
            while not done.wait(0.2):
                pass
        raise
    finally:
        checker.close()
        run.requests = checker.requests_made
        run.seconds = time.monotonic() - started
    if errors:
        raise errors[0]
    return run


def _known_source(catalogue: Catalogue, source_id: str) -> None:
    known = [row[0] for row in catalogue.conn.execute("SELECT id FROM sources ORDER BY id")]
    if source_id not in known:
        listed = ", ".join(known[:10]) + ("…" if len(known) > 10 else "")
        raise OerhubError(f"--source {source_id!r}: no such source in the catalogue "
                          f"(known: {listed or 'none yet'})")


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"


__all__ = ["DEFAULT_DELAY", "OUTCOMES", "LinkChecker", "LinkResult", "LinkRun", "check_links",
           "cutoff", "link_delay"]


# --- the link_checks table -------------------------------------------------------------------

def links_to_check(catalogue: Catalogue, source_id: str | None = None, checked_before: str | None = None,
                   limit: int | None = None) -> list[tuple[str, list[int]]]:
    """Distinct URLs of live records, each with its records' ids, least recently checked first.

    A URL never checked (or checked while a record had another URL) comes first. With
    `checked_before` (a stored time stamp), a URL whose records were all checked at or after
    it is left out.
    """
    sql = ("SELECT r.url, group_concat(r.id), MIN(COALESCE(c.checked_at, '')) AS last "
           "FROM records r LEFT JOIN link_checks c ON c.record_id = r.id AND c.url = r.url "
           "WHERE r.deleted = 0 AND NULLIF(TRIM(r.url), '') IS NOT NULL"
           + (" AND r.source_id = :source" if source_id else "") + " GROUP BY r.url"
           + (" HAVING last < :before" if checked_before else "") + " ORDER BY last, r.url"
           + (" LIMIT :limit" if limit is not None else ""))
    rows = catalogue.conn.execute(sql, {"source": source_id, "before": checked_before,
                                   "limit": limit})
    return [(url, [int(i) for i in ids.split(",")]) for url, ids, _ in rows]


def store_link_check(catalogue: Catalogue, record_ids: Sequence[int], url: str, outcome: str,
                     status: int | None, final_url: str | None, error: str | None,
                     checked_at: str | None = None) -> None:
    """Remember one URL's check for every record carrying it, in one transaction."""
    checked_at = checked_at or utc_now()
    with catalogue.transaction():
        catalogue.conn.executemany(
            "INSERT INTO link_checks (record_id, url, outcome, status, final_url, checked_at, "
            "error) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(record_id) DO UPDATE SET "
            "url = excluded.url, outcome = excluded.outcome, status = excluded.status, "
            "final_url = excluded.final_url, checked_at = excluded.checked_at, "
            "error = excluded.error",
            [(record_id, url, outcome, status, final_url, checked_at, error)
             for record_id in record_ids])
