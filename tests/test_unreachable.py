"""A web or OAI-PMH source that does not answer as it should fails, naming the real cause
(issue 12, item 3): protocol × (connection refused, timeout, HTTP 500, everything 404 robots.txt
included, everything 503 robots.txt included, an HTML page for everything). Each is a `failed`
run, exit 1, listed by `oerhub runs --failed`; never `ok` with nothing, never blamed on
robots.txt."""

from __future__ import annotations

import socket
import time
from http.server import BaseHTTPRequestHandler

import pytest
from click.testing import CliRunner
from conftest import HARVEST_SETTINGS, latest_run, source_toml
from loopback import LoopbackServer, send

from oerhub.cli import cli

PARKED = (b"<!DOCTYPE html><html><head><title>Domain parked</title></head>"
          b"<body><h1>This domain is parked</h1></body></html>")

PROTOCOLS = {
    "oai-pmh": ("/oai", {}),
    "sitemap": ("/sitemap.xml", {}),
    "feed": ("/feed.xml", {}),
    "json-api": ("/api/courses/v1/courses/", {"adapter": "openedx"}),
    "html": ("/catalog", {}),
}

HTML_RULES = """
[sources.html]
items = "div.product a.title"
[sources.html.fields]
title = "h1.book-title"
"""

# condition -> what the run's error must name
CONDITIONS = {
    "refused": "refused",
    "timeout": "timed out",
    "500": "HTTP 500",
    "404 robots.txt": "HTTP 404",
    "503 robots.txt": "503",
    "HTML 200": "Domain parked",
    "500 behind a robots.txt 404": "HTTP 500",
    "timeout behind a robots.txt 404": "timed out",
}


def answer(condition: str):
    def handle(request: BaseHTTPRequestHandler) -> None:
        if condition.endswith("behind a robots.txt 404") and request.path == "/robots.txt":
            send(request, 404, {"Content-Type": "text/plain"}, b"not found")
            return
        if condition.startswith("timeout"):
            time.sleep(3)
            return
        status = {"500": 500, "404 robots.txt": 404, "503 robots.txt": 503,
                  "500 behind a robots.txt 404": 500}.get(condition, 200)
        send(request, status, {"Content-Type": "text/html; charset=utf-8"}, PARKED)
    return handle


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("condition", list(CONDITIONS))
@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_a_source_that_does_not_answer_fails_naming_why(tmp_path, protocol, condition):
    server = None
    if condition == "refused":
        base = f"http://127.0.0.1:{closed_port()}"
    else:
        server = LoopbackServer(answer(condition), quiet=True)
        base = server.url
    path, extra = PROTOCOLS[protocol]
    config = tmp_path / "sources.toml"
    config.write_text(HARVEST_SETTINGS.replace("timeout = 10", "timeout = 1") + "\n"
                      + source_toml("ua-x", base + path, protocol=protocol, delay=0, **extra)
                      + (HTML_RULES if protocol == "html" else ""))
    db = tmp_path / "oerhub.db"
    runner = CliRunner()
    try:
        result = runner.invoke(cli, ["harvest", "--config", str(config), "--db", str(db)])
    finally:
        if server is not None:
            server.stop()
    assert result.exit_code == 1, result.output
    run = latest_run(db)
    assert run["status"] == "failed", run
    error = run["error"] or ""
    assert CONDITIONS[condition] in error, error
    assert "disallows" not in error, "robots.txt is not to blame"
    assert "Traceback" not in error
    listed = runner.invoke(cli, ["runs", "--failed", "--db", str(db)])
    assert "ua-x" in listed.output and "failed" in listed.output
