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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest


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
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                status, headers, body = outer._answer(self.path, dict(self.headers))
                with outer._lock:
                    outer.requests.append(Request(self.path, dict(self.headers), status))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        # A short poll interval: stop() waits for it, and every web test stops a site.
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

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
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def website() -> Iterator[Website]:
    site = Website()
    yield site
    site.stop()
