"""Serve sample repositories over real HTTP on 127.0.0.1 (for the demo and the tests).

`oaipmh.server.BatchingServer` turns request parameters into OAI-PMH XML; this module adds
the HTTP layer it lacks, one path per repository (`/<name>/oai`), a log of every request,
and what a day-granularity repository really does: day datestamps, and `badArgument` for a
`from` with a time.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from lxml import etree
from oaipmh.metadata import MetadataRegistry
from oaipmh.server import BatchingServer, oai_dc_writer

from oerhub.demo.samples import DAY, SampleRepository, lom_writer
from oerhub.normalize.dates import utc_now

_SECONDS_STAMP = re.compile(rb"<datestamp>(\d{4}-\d\d-\d\d)T[0-9:]+Z</datestamp>")
_OAI = "http://www.openarchives.org/OAI/2.0/"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep test and demo output clean
        pass


class OaiTestServer:
    """A threaded HTTP server on 127.0.0.1 answering OAI-PMH for several repositories.

    Use as a context manager; `url(name)` is a repository's base URL and `requests` the
    parameters of every request received, in order.
    """

    def __init__(self, repositories: Iterable[SampleRepository], batch_size: int = 50,
                 host: str = "127.0.0.1", port: int = 0, delay: float = 0.0,
                 cache: bool = False) -> None:
        self.delay = delay  # seconds each answer takes: a slow server, for tests and benchmarks
        # Answer a repeated request from memory, so a benchmark times the client, not us.
        # Only for repositories that do not change while served.
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], bytes] | None = \
            {} if cache else None
        self.repositories = {repo.name: repo for repo in repositories}
        registry = MetadataRegistry()
        registry.registerWriter("oai_dc", oai_dc_writer)
        registry.registerWriter("lom", lom_writer)
        self._servers = {name: BatchingServer(repo, registry, resumption_batch_size=batch_size)
                         for name, repo in self.repositories.items()}
        self.requests: list[dict[str, str]] = []
        self.in_flight = self.max_in_flight = 0  # requests being answered at once
        self.timings: list[tuple[float, float]] = []  # (start, end) of each answer, monotonic
        self._lock = threading.Lock()
        self._httpd = make_server(host, port, self._app, server_class=_ThreadingWSGIServer,
                                  handler_class=_QuietHandler)
        self.host = host
        self.port = self._httpd.server_port
        for repo in self.repositories.values():
            repo.base_url = self.url(repo.name)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.port}/{name}/oai"

    def start(self) -> OaiTestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> OaiTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests_for(self, name: str, verb: str | None = None) -> list[dict[str, str]]:
        return [r for r in self.requests if r["_repository"] == name
                and (verb is None or r.get("verb") == verb)]

    def _app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        parts = environ.get("PATH_INFO", "").strip("/").split("/")
        query = environ.get("QUERY_STRING", "")
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            query = environ["wsgi.input"].read(length).decode("utf-8")
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if len(parts) != 2 or parts[1] != "oai" or parts[0] not in self._servers:
            start_response("404 Not Found", [("Content-Type", "text/html; charset=utf-8")])
            return [b"<html><head><title>Not found</title></head><body>no such path</body></html>"]
        name = parts[0]
        started = time.monotonic()
        with self._lock:
            self.requests.append({"_repository": name, **params})
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self._answer(name, params, start_response)
        finally:
            with self._lock:
                self.in_flight -= 1
                self.timings.append((started, time.monotonic()))

    def _answer(self, name: str, params: dict[str, str], start_response: Any) -> list[bytes]:
        repo = self.repositories[name]
        if self.delay:
            time.sleep(self.delay)
        if repo.granularity == DAY and any("T" in params.get(k, "") for k in ("from", "until")):
            body = _error_response("badArgument", "This repository supports day granularity "
                                   "only (YYYY-MM-DD)", repo.base_url)
        else:
            key = (name, tuple(sorted(params.items())))
            cached = self._cache.get(key) if self._cache is not None else None
            body = cached or self._servers[name].handleRequest(params)
            if repo.granularity == DAY:
                body = _SECONDS_STAMP.sub(rb"<datestamp>\1</datestamp>", body)
            if self._cache is not None:
                self._cache[key] = body
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                                  ("Content-Length", str(len(body)))])
        return [body]


def _error_response(code: str, message: str, base_url: str) -> bytes:
    root = etree.Element(f"{{{_OAI}}}OAI-PMH", nsmap={None: _OAI})
    etree.SubElement(root, f"{{{_OAI}}}responseDate").text = utc_now()
    etree.SubElement(root, f"{{{_OAI}}}request").text = base_url
    error = etree.SubElement(root, f"{{{_OAI}}}error", code=code)
    error.text = message
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)
