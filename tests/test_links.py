"""`oerhub links check` against a loopback site with live, moved, dead, slow and forbidden links.

The site is this file's own server: it answers HEAD as well as GET, redirects, drops the
connection on a HEAD, sleeps past the client's timeout, and logs every request with its
method and time.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from conftest import query, source_toml
from loopback import LoopbackServer, send

from oerhub.catalogue import Catalogue
from oerhub.enrich.links import DEFAULT_DELAY, check_links, link_delay
from oerhub.models import Batch, RawRecord, Record, RunProgress
from oerhub.netguard import ALLOW_ENV
from oerhub.registry import Settings, load_config

TIMEOUT = 0.5  # [harvest] timeout of these tests; /slow answers after SLOW seconds
SLOW = 1.2
SETTINGS = ('[harvest]\ncontact = "mailto:tests@example.org"\n'
            f"timeout = {TIMEOUT}\nretries = 1\nbackoff = 0\ndelay = 0\n")
ROBOTS = "User-agent: *\nDisallow: /private/\n"


@dataclass
class Hit:
    method: str
    path: str
    at: float
    user_agent: str


class LinkSite:
    """path -> (status, headers); HEAD gets the headers only. Special paths misbehave."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str]]] = {
            "/robots.txt": (200, {"Content-Type": "text/plain"}),
            "/live": (200, {}), "/live2": (200, {}), "/live3": (200, {}), "/new": (200, {}),
            "/old": (301, {"Location": "/new"}),
            "/temporary": (302, {"Location": "/live"}),
            "/moved-to-nowhere": (308, {"Location": "/missing"}),
            "/removed": (410, {}),
            "/broken": (503, {}),
            "/loop": (301, {"Location": "/loop"}),
            "/private/page": (200, {}),
            "/no-head": (200, {}), "/head-drops": (200, {}), "/head-lies": (200, {}),
            "/slow": (200, {}),
        }
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        # HEAD too; a client that gave up on /slow is expected, not an error
        self.server = LoopbackServer(self._serve, head=True, quiet=True)
        self.url = self.server.url

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        method = handler.command
        path, base = handler.path, handler.path.split("?")[0]
        with self._lock:
            self.hits.append(Hit(method, path, time.monotonic(),
                                 handler.headers.get("User-Agent", "")))
        if base == "/slow":
            time.sleep(SLOW)
        if method == "HEAD" and base == "/head-drops":
            handler.close_connection = True  # no answer at all
            return
        status, headers = self.routes.get(base, (404, {}))
        if method == "HEAD" and base == "/no-head":
            status = 405
        if method == "HEAD" and base == "/head-lies":
            status = 404
        body = ROBOTS.encode() if base == "/robots.txt" else b"<html><p>" + b"x" * 20000
        send(handler, status, {"Content-Type": "text/html", **headers}, body,
             with_body=method == "GET")

    def count(self, path: str, method: str | None = None) -> int:
        with self._lock:
            return sum(1 for h in self.hits if h.path == path
                       and (method is None or h.method == method))

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(autouse=True)
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The site is on 127.0.0.1, which the checker refuses unless the setting lets it in
    (the refusal itself: tests/test_public_site.py)."""
    monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")


@pytest.fixture
def site() -> Iterator[LinkSite]:
    server = LinkSite()
    yield server
    server.stop()


def closed_port_url() -> str:
    """A loopback URL nobody listens on: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/anything"


def store(db: Path, source_id: str, records: list[tuple[str, str | None, bool]],
          datestamp: str = "2024-01-01") -> None:
    """(identifier, url, deleted) records of a source, through the store's own API."""
    with Catalogue(db) as catalogue:
        run = catalogue.start_run(source_id, "full", None)
        recs = [Record(source_id, identifier, datestamp, deleted=deleted, title=identifier,
                       url=url) for identifier, url, deleted in records]
        raws = [RawRecord(source_id, r.identifier, r.datestamp, r.deleted, "oai_dc",
                          f"<x>{r.url}</x>") for r in recs]
        catalogue.store_batch(RunProgress(run, source_id, 0, 0), Batch(raws, None, normalised=recs))
        catalogue.finish_run(run, source_id, "ok")


@pytest.fixture
def catalogue(tmp_path: Path, write_config: Callable[..., Path],
              site: LinkSite) -> Callable[..., Path]:
    """A catalogue of sources ua-a and ua-b (never harvested: their records are stored)."""
    def build(settings: str = SETTINGS) -> Path:
        config = write_config(source_toml("ua-a", "http://127.0.0.1:9/oai"),
                              source_toml("ua-b", "http://127.0.0.1:9/oai", country="KZ"),
                              settings=settings)
        db = tmp_path / "oerhub.db"
        with Catalogue(db) as cat:
            cat.sync_sources(load_config(config))
        return db
    return build


def outcomes(db: Path) -> dict[str, tuple[Any, ...]]:
    rows = query(db, "SELECT r.identifier, c.outcome, c.status, c.final_url, c.error "
                     "FROM link_checks c JOIN records r ON r.id = c.record_id")
    return {row["identifier"]: tuple(row)[1:] for row in rows}


def test_links_check_stores_each_outcome_and_the_report_shows_dead_shares(
        catalogue, site, run_oerhub):
    db = catalogue()
    u = site.url
    refused = closed_port_url()
    store(db, "ua-a", [
        ("a-live", f"{u}/live", False),
        ("a-old", f"{u}/old", False),               # 301 -> /new (200)
        ("a-temporary", f"{u}/temporary", False),   # 302 -> /live: not moved
        ("a-missing", f"{u}/missing", False),       # 404
        ("a-removed", f"{u}/removed", False),       # 410
        ("a-slow", f"{u}/slow", False),             # no answer within the timeout
        ("a-private", f"{u}/private/page", False),  # robots.txt: Disallow: /private/
        ("a-no-head", f"{u}/no-head", False),       # HEAD 405, GET 200
        ("a-nowhere", f"{u}/moved-to-nowhere", False),  # 308 -> /missing (404)
        ("a-live-again", f"{u}/live", False),       # the same URL: one request for both
        ("a-deleted", f"{u}/deleted-dead", True),   # a tombstone: not checked
        ("a-no-url", None, False),                  # nothing to check
    ])
    store(db, "ua-b", [
        ("b-live", f"{u}/live2", False),
        ("b-broken", f"{u}/broken", False),         # 503 twice (retries = 1)
        ("b-head-drops", f"{u}/head-drops", False),  # HEAD: connection closed; GET 200
        ("b-head-lies", f"{u}/head-lies", False),   # HEAD 404, GET 200
        ("b-loop", f"{u}/loop", False),             # 301 to itself
        ("b-refused", refused, False),              # nobody listens: robots.txt unreadable
    ])

    started = time.monotonic()
    result = run_oerhub("links", "check")
    took = time.monotonic() - started

    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"15 URLs of 16 records checked in 23 requests, [0-9.]+ s: 6 live, "
                        r"1 moved, 3 dead, 4 error, 1 disallowed\n", result.stdout)
    assert "links: 15 URLs to check" in result.stderr
    assert "links: 15 of 15 checked" in result.stderr
    assert outcomes(db) == {
        "a-live": ("live", 200, f"{u}/live", None),
        "a-live-again": ("live", 200, f"{u}/live", None),
        "a-old": ("moved", 200, f"{u}/new", None),
        "a-temporary": ("live", 200, f"{u}/live", None),
        "a-missing": ("dead", 404, f"{u}/missing", "HTTP 404"),
        "a-removed": ("dead", 410, f"{u}/removed", "HTTP 410"),
        "a-slow": ("error", None, f"{u}/slow", f"no answer within {TIMEOUT:g} s after 2 tries"),
        "a-private": ("disallowed", None, f"{u}/private/page",
                      f"robots.txt of {u[7:]} disallows it; not visited"),
        "a-no-head": ("live", 200, f"{u}/no-head", None),
        "a-nowhere": ("dead", 404, f"{u}/missing", "HTTP 404"),
        "b-live": ("live", 200, f"{u}/live2", None),
        "b-broken": ("error", 503, f"{u}/broken", "HTTP 503"),
        "b-head-drops": ("live", 200, f"{u}/head-drops", None),
        "b-head-lies": ("live", 200, f"{u}/head-lies", None),
        "b-loop": ("error", 301, f"{u}/loop", "redirect loop"),
        "b-refused": outcomes(db)["b-refused"],
    }
    outcome, status, final_url, error = outcomes(db)["b-refused"]
    assert (outcome, status, final_url) == ("error", None, refused)
    assert error.startswith(f"{refused.rsplit('/', 1)[0]}/robots.txt could not be read (") \
        and error.endswith("; not visited")

    # politely: robots.txt once, nothing it forbids, HEAD first, GET only when HEAD fails
    assert site.count("/robots.txt") == 1 and site.count("/private/page") == 0
    assert site.count("/live", "HEAD") == 2 and site.count("/live", "GET") == 0  # /live, /temporary
    assert [h.method for h in site.hits if h.path == "/no-head"] == ["HEAD", "GET"]
    assert [h.method for h in site.hits if h.path == "/head-lies"] == ["HEAD", "GET"]
    assert [h.method for h in site.hits if h.path == "/missing"] == ["HEAD", "GET"] * 2
    assert [h.method for h in site.hits if h.path == "/broken"] == ["HEAD", "HEAD"]
    assert [h.method for h in site.hits if h.path == "/slow"] == ["HEAD", "HEAD"]
    assert site.count("/deleted-dead") == 0
    # one request at a time on this host: nothing else while the client waits on /slow
    after_slow = [b.at - a.at for a, b in zip(site.hits, site.hits[1:]) if a.path == "/slow"]
    assert len(after_slow) == 2 and min(after_slow) >= TIMEOUT * 0.95, after_slow
    assert all(h.user_agent.startswith("oerhub/") and "mailto:tests@example.org" in h.user_agent
               for h in site.hits)
    assert took < 10

    report = run_oerhub("report", "quality", "--format", "json")
    assert report.returncode == 0, report.stderr
    rows = {row["id"]: row for row in json.loads(report.stdout)}
    # ua-a: 9 live records with a URL visited (the disallowed one is not), 3 of them dead
    assert (rows["ua-a"]["links_checked"], rows["ua-a"]["links_dead"]) == (9, 3)
    assert rows["ua-a"]["dead_link_share"] == pytest.approx(1 / 3)
    assert (rows["ua-b"]["links_checked"], rows["ua-b"]["links_dead"],
            rows["ua-b"]["dead_link_share"]) == (6, 0, 0.0)
    table = run_oerhub("report", "quality").stdout.splitlines()
    assert table[0].split()[-4:] == ["links", "checked", "dead", "links"]
    assert table[1].split()[-2:] == ["9", "33%"] and table[2].split()[-2:] == ["6", "0%"]
    assert table[-1].split()[-2:] == ["15", "20%"]  # the totals row


def test_older_than_skips_fresh_checks_and_limit_bounds_a_run(catalogue, site, run_oerhub):
    db = catalogue()
    u = site.url
    store(db, "ua-a", [("a1", f"{u}/live", False), ("a2", f"{u}/missing", False)])
    store(db, "ua-b", [("b1", f"{u}/live2", False), ("b2", f"{u}/removed", False)])

    first = run_oerhub("links", "check", "--limit", "3")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("3 URLs of 3 records checked")
    assert len(outcomes(db)) == 3  # stored as they were done

    rest = run_oerhub("links", "check", "--older-than", "1")
    assert rest.returncode == 0, rest.stderr
    assert rest.stdout.startswith("1 URL of 1 record checked")
    assert set(outcomes(db)) == {"a1", "a2", "b1", "b2"}
    checked_at = dict(query(db, "SELECT record_id, checked_at FROM link_checks"))

    site.hits.clear()
    again = run_oerhub("links", "check", "--older-than", "1")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("0 URLs of 0 records checked in 0 requests")
    assert "links: 0 URLs to check (those checked in the last 1 days are skipped)" \
        in again.stderr
    assert site.hits == []
    assert dict(query(db, "SELECT record_id, checked_at FROM link_checks")) == checked_at

    # a record whose URL changed is checked again: its old check is out of date
    store(db, "ua-b", [("b1", f"{u}/live3", False), ("b2", f"{u}/removed", False)],
          datestamp="2024-02-01")
    changed = run_oerhub("links", "check", "--older-than", "1")
    assert changed.stdout.startswith("1 URL of 1 record checked")
    assert [h.path for h in site.hits if h.path != "/robots.txt"] == ["/live3"]
    assert outcomes(db)["b1"] == ("live", 200, f"{u}/live3", None)

    # --source: only that source's records; without --older-than everything is checked
    site.hits.clear()
    one = run_oerhub("links", "check", "--source", "ua-a")
    assert one.stdout.startswith("2 URLs of 2 records checked") and "1 dead" in one.stdout
    assert sorted(h.path for h in site.hits if h.path != "/robots.txt") == [
        "/live", "/missing", "/missing"]  # the 404 is confirmed by GET
    unknown = run_oerhub("links", "check", "--source", "ua-nope")
    assert unknown.returncode == 2 and "'ua-nope'" in unknown.stderr \
        and "ua-a" in unknown.stderr


def test_an_interrupted_run_keeps_its_checks_and_the_next_one_goes_on(
        catalogue, site, tmp_path, run_oerhub):
    db = catalogue(SETTINGS.replace("retries = 1", "retries = 0"))  # /slow: TIMEOUT s each
    store(db, "ua-a", [(f"s{n}", f"{site.url}/slow?{n}", False) for n in range(3)])
    env = {**os.environ, "OERHUB_CONFIG": str(tmp_path / "sources.toml"), "OERHUB_DB": str(db)}
    process = subprocess.Popen([sys.executable, "-m", "oerhub.cli", "links", "check"],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while not query(db, "SELECT 1 FROM link_checks") and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)  # Ctrl-C while the second URL is being checked
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 130 and "interrupted" in stderr
    stored = len(outcomes(db))
    assert stored == 2  # the first, and the one in flight, finished before it stopped
    rest = run_oerhub("links", "check", "--older-than", "1")
    assert rest.stdout.startswith("1 URL of 1 record checked")
    assert {o[0] for o in outcomes(db).values()} == {"error"} and len(outcomes(db)) == 3


def test_waits_between_requests_to_a_host(catalogue, site, tmp_path):
    db = catalogue(SETTINGS.replace("delay = 0", "delay = 0.2"))
    store(db, "ua-a", [(f"a{n}", f"{site.url}/live?n={n}", False) for n in range(3)])

    run = check_links(load_config(tmp_path / "sources.toml"), db)

    assert run.counts["live"] == 3 and run.requests == 4  # robots.txt and 3 HEADs
    times = [h.at for h in site.hits]
    assert len(times) == 4
    assert all(b - a >= 0.19 for a, b in zip(times, times[1:])), times


def test_the_delay_is_a_second_unless_the_registry_says_otherwise():
    assert DEFAULT_DELAY == 1.0
    assert link_delay(Settings()) == 1.0
    assert link_delay(Settings(delay=0.0)) == 0.0
    assert link_delay(Settings(delay=3.0)) == 3.0


def test_an_older_catalogue_gains_the_link_checks_table(tmp_path):
    db = tmp_path / "old.db"
    with Catalogue(db) as cat:
        cat.conn.execute("DROP TABLE link_checks")
        cat.conn.execute("PRAGMA user_version = 6")
    with Catalogue(db) as cat:
        assert cat.count("link_checks") == 0
