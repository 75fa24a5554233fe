"""A small website on 127.0.0.1 that the web-harvester tests build page by page.

Pages can be changed, removed or added between two runs; the server answers conditional
GETs (ETag / Last-Modified → 304) like a real web server, and logs every request so tests
can count what a run fetched.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import pytest
from loopback import LoopbackServer, send


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = True  # send ETag and Last-Modified (and honour conditional GETs)
    modified: float = 1_700_000_000.0  # Last-Modified, as a Unix time


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    status: int


class Website:
    """Serve `pages` (path with query → Page); anything else is a 404."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()

        def handle(request: BaseHTTPRequestHandler) -> None:
            status, headers, body = self._answer(request.path, dict(request.headers))
            with self._lock:
                self.requests.append(Request(request.path, dict(request.headers), status))
            send(request, status, headers, body)

        self.server = LoopbackServer(handle)
        self.url = self.server.url

    def add(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8",
            **options: Any) -> Page:
        page = Page(body.encode("utf-8") if isinstance(body, str) else body, content_type,
                    **options)
        self.pages[path] = page
        return page

    def _answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        page = self.pages.get(path)
        if page is None:
            return 404, {"Content-Type": "text/html"}, b"<html><body>Not found</body></html>"
        out = {"Content-Type": page.content_type, **page.headers}
        if page.validators and page.status == 200:
            etag = '"' + hashlib.sha1(page.body).hexdigest()[:16] + '"'
            last_modified = formatdate(page.modified, usegmt=True)
            out["ETag"], out["Last-Modified"] = etag, last_modified
            if headers.get("If-None-Match") == etag or (
                    "If-None-Match" not in headers
                    and headers.get("If-Modified-Since") == last_modified):
                return 304, {"ETag": etag, "Last-Modified": last_modified}, b""
        return page.status, out, page.body

    # --- what the tests ask ------------------------------------------------------------

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def fetched(self, prefix: str = "") -> list[str]:
        """Paths answered with a body (not 304), robots.txt left out."""
        with self._lock:
            return [r.path for r in self.requests if r.status != 304
                    and r.path != "/robots.txt" and r.path.startswith(prefix)]

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def path_of(self, url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def website() -> Iterator[Website]:
    site = Website()
    yield site
    site.stop()
