"""Every network call goes through here: one timeout, one User-Agent, bounded retries.

Repositories in the region run on small servers; a polite harvester names itself and a
contact, waits between requests to a host, and gives up after a bounded number of tries.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import requests

from oerhub import __version__
from oerhub.errors import SourceUnreachable

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 300.0  # seconds: a server asking for longer is treated as down for this run


def user_agent(contact: str) -> str:
    return f"oerhub/{__version__} (+{contact})"


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpClient:
    """A requests session with oerhub's manners: timeout, User-Agent, per-host delay, retries."""

    contact: str
    timeout: float = 60.0
    delay: float = 0.0
    retries: int = 3
    backoff: float = 2.0
    max_retry_after: float = MAX_RETRY_AFTER
    requests_made: int = 0
    bytes_received: int = 0

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent(self.contact)
        self.session.headers["Accept"] = "text/xml, application/xml;q=0.9, */*;q=0.1"
        self._last_request = 0.0

    def close(self) -> None:
        self.session.close()

    def get(self, url: str, params: dict[str, str] | None = None) -> Response:
        """GET with retries on connection errors, timeouts, 429 and 5xx; raise SourceUnreachable."""
        attempt = 0
        while True:
            self._wait_politely()
            try:
                resp = self.session.get(url, params=params, timeout=self.timeout)
                body = resp.content
            except requests.RequestException as exc:
                failure = f"{type(exc).__name__}: {_short(exc)}"
                wait = None
            else:
                self.requests_made += 1
                self.bytes_received += len(body)
                if resp.status_code not in RETRY_STATUS:
                    return Response(resp.url, resp.status_code, dict(resp.headers), body)
                failure = f"HTTP {resp.status_code} {resp.reason or ''}".strip()
                wait = retry_after_seconds(resp.headers.get("Retry-After"))
                if wait is not None and wait > self.max_retry_after:
                    raise SourceUnreachable(
                        f"{failure} from {resp.url}: the server asks to wait {wait:.0f} s "
                        f"(more than the {self.max_retry_after:.0f} s we wait)")
            if attempt >= self.retries:
                where = f"{url}?{_query(params)}" if params else url
                tries = f"after {attempt + 1} tries" if attempt else "(no retries configured)"
                raise SourceUnreachable(f"{failure} from {where} {tries}")
            attempt += 1
            time.sleep(wait if wait is not None else min(self.backoff * 2 ** (attempt - 1), 60.0))

    def _wait_politely(self) -> None:
        if self.delay:
            pause = self._last_request + self.delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        self._last_request = time.monotonic()


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


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"


def _query(params: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())
