"""Every network call goes through here: one timeout, one User-Agent, bounded retries,
one request at a time per host.

Repositories in the region run on small servers; a polite harvester names itself and a
contact, waits between requests to a host, and gives up after a bounded number of tries.
Bodies are read as raw bytes and decompressed by their magic bytes, because servers send
gzip without saying so and say gzip over plain bodies.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from oerhub import __version__
from oerhub.bodies import DEFAULT_MAX_BODY, BodyReader
from oerhub.bodies import decompress as decompress  # re-exported: it used to live here
from oerhub.deadline import DeadlineAdapter, deadline
from oerhub.errors import LimitReached, SourceUnreachable
from oerhub.stopping import Stop

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 300.0  # seconds: a server asking for longer is treated as down for this run
MAX_BODY = DEFAULT_MAX_BODY  # bytes of one answer once decompressed ([harvest] max_body_mb)
_CHUNK = 1 << 16


def user_agent(contact: str) -> str:
    return f"oerhub/{__version__} (+{contact})"


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes


class HostGate:
    """One request at a time per host, and at least `delay` seconds between two of them.

    Shared by every source of a run, so two sources on one server take turns.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hosts: dict[str, tuple[threading.Lock, list[float]]] = {}

    @contextmanager
    def hold(self, url: str, delay: float, stop: Stop | None = None) -> Iterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            lock, last = self._hosts.setdefault(host, (threading.Lock(), [0.0]))
        with lock:
            pause = last[0] + delay - time.monotonic()
            if pause > 0:
                _sleep(pause, stop)
            try:
                yield
            finally:
                last[0] = time.monotonic()


@dataclass
class HttpClient:
    """A requests session with oerhub's manners: timeout, User-Agent, per-host delay, retries."""

    contact: str
    timeout: float = 60.0
    delay: float = 0.0
    retries: int = 3
    backoff: float = 2.0
    max_retry_after: float = MAX_RETRY_AFTER
    gate: HostGate = field(default_factory=HostGate)
    stop: Stop | None = None  # set on Ctrl-C or SIGTERM: no new request is made
    requests_made: int = 0
    bytes_received: int = 0
    max_body: int = MAX_BODY  # bytes of one answer, decompressed: more is refused
    max_seconds: float | None = None  # one request in total, body included (oerhub/deadline.py)
    hosts: frozenset[str] | None = None  # hosts a redirect may lead to; None: any
    until: float | None = None  # time.monotonic() after which no request is made ...
    until_why: str = ""  # ... and the words saying which limit that is

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.mount("http://", DeadlineAdapter())
        self.session.mount("https://", DeadlineAdapter())
        self.session.headers["User-Agent"] = user_agent(self.contact)
        self.session.headers["Accept"] = "text/xml, application/xml;q=0.9, */*;q=0.1"
        self.session.headers["Accept-Encoding"] = "gzip, deflate"

    def close(self) -> None:
        self.session.close()

    def get(self, url: str, params: dict[str, str] | None = None,
            headers: dict[str, str] | None = None) -> Response:
        """GET with retries on connection errors, timeouts, 429 and 5xx; raise SourceUnreachable.

        `headers` add to the session's (web harvesters send Accept and conditional headers).
        """
        attempt = 0
        while True:
            if self.stop is not None:
                self.stop.check()
            if self.until is not None and time.monotonic() >= self.until:
                raise LimitReached(self.until_why or "out of time for this run")
            wait: float | None = None
            try:
                with self.gate.hold(url, self.delay, self.stop):
                    response = self._fetch(url, params, headers)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                failure = network_failure(exc, self.timeout)
            else:
                if response.status not in RETRY_STATUS:
                    return response
                failure = f"HTTP {response.status}"
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if wait is not None and wait > self.max_retry_after:
                    raise SourceUnreachable(
                        f"{failure} from {response.url}: the server asks to wait {wait:.0f} s "
                        f"(more than the {self.max_retry_after:.0f} s we wait)")
            if attempt >= self.retries:
                where = f"{url}?{_query(params)}" if params else url
                tries = f"after {attempt + 1} tries" if attempt else "(no retries configured)"
                raise SourceUnreachable(f"{failure} from {where} {tries}")
            attempt += 1
            _sleep(wait if wait is not None else min(self.backoff * 2 ** (attempt - 1), 60.0),
                   self.stop)

    def _fetch(self, url: str, params: dict[str, str] | None,
               headers: dict[str, str] | None = None) -> Response:
        with deadline(self.max_seconds) as watch:
            try:
                response = self._read(url, params, headers)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
                if watch is not None and watch.expired:
                    raise self._too_slow(url) from None
                raise
            if watch is not None and watch.expired:  # a body without a length, cut short
                raise self._too_slow(url)
            return response

    def _read(self, url: str, params: dict[str, str] | None,
              headers: dict[str, str] | None = None) -> Response:
        with self.session.get(url, params=params, headers=headers, timeout=self.timeout,
                              stream=True, hooks={"response": self._redirect_allowed}) as resp:
            self.requests_made += 1
            reader = BodyReader(resp.url, self.max_body, resp.headers.get("Content-Encoding", ""))
            try:
                for chunk in resp.raw.stream(_CHUNK, decode_content=False):
                    reader.feed(chunk)
            finally:
                self.bytes_received += reader.received
            return Response(resp.url, resp.status_code, dict(resp.headers), reader.finish())

    def _too_slow(self, url: str) -> SourceUnreachable:
        return SourceUnreachable(f"{url} took more than {self.max_seconds:g} s for one answer "
                                 "(max_request_seconds; the server sends too slowly); stopped")

    def _redirect_allowed(self, resp: requests.Response, *args: object,
                          **kwargs: object) -> None:
        """A redirect to a host the source does not name is not followed (the run fails
        saying where it led)."""
        if self.hosts is None or not resp.is_redirect:
            return
        target = urljoin(resp.url, resp.headers.get("Location", ""))
        if not host_allowed(target, self.hosts):
            resp.close()
            raise SourceUnreachable(
                f"{resp.url} redirects to another host ({target}); not followed. If that host "
                "is the source's own, add it to the source's allow_hosts")


def host_of(url: str) -> str:
    """The host of a URL as compared for redirects: lower case, without a leading www."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def host_allowed(url: str, hosts: frozenset[str]) -> bool:
    return host_of(url) in hosts


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in either form RFC 9110 allows: delta-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def _sleep(seconds: float, stop: Stop | None) -> None:
    """Wait, but not past a request to stop (then raise HarvestStopped)."""
    if stop is None:
        time.sleep(seconds)
        return
    stop.wait(seconds)
    stop.check()


def network_failure(exc: BaseException, timeout: float | None = None) -> str:
    """What went wrong on the network, in the words an operator searches for: "connection
    refused", "timed out", "host name not found"; the exception's own text otherwise."""
    chain, seen = [], exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    text = " ".join(str(e) for e in chain)
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "Connection refused" in text:
        return "connection refused"
    if any(isinstance(e, (requests.Timeout, TimeoutError, urllib3.exceptions.TimeoutError))
           for e in chain) or "timed out" in text:
        return f"timed out (no answer within {timeout:g} s)" if timeout else "timed out"
    if ("Name or service not known" in text or "getaddrinfo failed" in text
            or "nodename nor servname" in text or "Temporary failure in name resolution" in text):
        return "host name not found (DNS)"
    if any(isinstance(e, ConnectionResetError) for e in chain) or "reset by peer" in text:
        return "connection reset by the server"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error: {_short(exc)}"
    return f"{type(exc).__name__}: {_short(exc)}"


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"


def _query(params: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())
