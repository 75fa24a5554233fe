"""Sources that attack the harvester, on purpose or by breaking: issue 12, items 6 to 9.

Each test serves the hostile answer from a loopback server (QuirkServer, the website fixture,
or a LoopbackServer with its own handler) and runs oerhub as a user would:
- decompression bombs (gzip in Content-Encoding, a .gz sitemap, the link checker's
  robots.txt) are refused at `max_body_mb`, in little memory;
- a server sending a byte at a time is cut at `max_request_seconds`; a run stops at its page
  budget (`max_pages`), its time budget (`max_minutes`), or on a list that keeps answering
  records it already gave: `incomplete`, naming the limit, and the next run resumes;
- redirects to another host are followed only for hosts the registry allows
  (`allow_hosts`), and a sitemap's pages on other sites are skipped with a warning;
- deep JSON, a damaged catalogue, a full disk, an unwritable lock file and a bug are one line
  and the documented exit code, and no traceback reaches the public `harvest_runs.error`.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from conftest import query, source_toml, stopping
from loopback import LoopbackServer, send
from quirk_server import QuirkServer, Rec

from harvesters.oai_pmh import AHEAD
from oerhub.enrich.links import LinkChecker
from oerhub.errors import SourceUnreachable
from oerhub.http import HttpClient
from oerhub.netguard import ALLOW_ENV
from oerhub.registry import Settings, load_config

CONTACT = "mailto:tests@example.org"
OAI_BOMB_MB = 256  # what the OAI bomb inflates to (from 256 kB): far above the limit set


# --- helpers -----------------------------------------------------------------------------


@pytest.fixture
def servers() -> Iterator[Callable[..., Any]]:
    """Start QuirkServers (or LoopbackServers with `handle=`); all stopped after the test."""
    def make(*args: Any, handle: Any = None, **kwargs: Any) -> Any:
        return LoopbackServer(handle, **kwargs) if handle else QuirkServer(*args, **kwargs)
    yield from stopping(make)


def settings(**values: Any) -> str:
    merged = {"contact": CONTACT, "timeout": 10, "retries": 0, "backoff": 0, "processes": 0,
              **values}
    lines = [f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}" for k, v in merged.items()]
    return "[harvest]\n" + "\n".join(lines) + "\n"


def records(n: int, prefix: str = "h") -> list[Rec]:
    return [Rec(f"oai:{prefix}:{i + 1}", f"2024-03-{1 + i % 28:02d}", f"Посібник {i + 1}")
            for i in range(n)]


def env_for(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "OERHUB_CONFIG": str(tmp_path / "sources.toml"),
           "OERHUB_DB": str(tmp_path / "oerhub.db")}
    env.pop("OERHUB_DEBUG", None)
    return env


def run_measured(tmp_path: Path, *args: str, preexec: Callable[[], None] | None = None,
                 timeout: float = 120) -> tuple[int, str, str, int]:
    """`oerhub ARGS` in a subprocess: (exit code, stdout, stderr, its own peak RSS in kB).
    Output goes through pipes, so a file size limit set by `preexec` does not cut it."""
    proc = subprocess.Popen([sys.executable, "-m", "oerhub.cli", *args], cwd=tmp_path,
                            env=env_for(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=preexec)
    output: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda n=name, f=stream: output.__setitem__(n, f.read()))
               for name, stream in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"oerhub {' '.join(args)} ran over {timeout} s")
        time.sleep(0.05)
    for reader in readers:
        reader.join()
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()  # type: ignore[union-attr]
    proc.returncode = os.waitstatus_to_exitcode(status)
    return (proc.returncode, output["out"].decode("utf-8", "replace"),
            output["err"].decode("utf-8", "replace"), usage.ru_maxrss)


def last_run(db: Path, source_id: str) -> dict[str, Any]:
    rows = query(db, "SELECT * FROM harvest_runs WHERE source_id = ? ORDER BY id", (source_id,))
    assert rows, f"no run of {source_id}"
    return dict(rows[-1])


def identifiers(db: Path) -> set[str]:
    return {r["identifier"] for r in query(db, "SELECT identifier FROM records")}


def one_line_error(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("oerhub: "), stderr


def bomb(inflated_mb: int) -> bytes:
    """gzip of `inflated_mb` MB of zeros: about a thousandth of that on the wire."""
    return gzip.compress(b"\0" * (inflated_mb << 20), compresslevel=9)


def write(tmp_path: Path, *sources: str, harvest: str | None = None) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text((harvest or settings()) + "\n" + "\n".join(sources), encoding="utf-8")
    return path


# --- 6. decompression bombs --------------------------------------------------------------


def test_a_gzip_bomb_in_content_encoding_is_refused_in_little_memory(tmp_path, servers):
    payload = bomb(OAI_BOMB_MB)

    def gzip_bomb(n, params, status, headers, body):
        if params.get("verb") == "ListRecords" and params.get("set") != "plain":
            return 200, {**headers, "Content-Encoding": "gzip"}, payload
        return None
    server = servers(records(5), quirk=gzip_bomb)
    baseline = servers(records(5))
    (tmp_path / "normal").mkdir()
    write(tmp_path / "normal", source_toml("ua-normal", baseline.url, window="none"),
          harvest=settings(max_body_mb=16))
    write(tmp_path, source_toml("ua-bomb", server.url, window="none"),
          harvest=settings(max_body_mb=16))

    code, _, stderr, normal_kb = run_measured(tmp_path / "normal", "harvest")
    assert code == 0, stderr
    code, _, stderr, peak_kb = run_measured(tmp_path, "harvest")

    assert code == 1, stderr
    run = last_run(tmp_path / "oerhub.db", "ua-bomb")
    assert run["status"] == "failed"
    assert "decompress to more than 16 MiB" in run["error"], run["error"]
    # the same harvest of a normal page is the baseline; the bomb inflates to 256 MB, so
    # reading it whole would add at least that
    assert peak_kb - normal_kb < 64 * 1024, \
        f"peak RSS {peak_kb // 1024} MB for a 256 MB bomb, {normal_kb // 1024} MB normally"


def test_a_gzipped_sitemap_bomb_is_refused(tmp_path, website):
    website.add("/sitemap.xml.gz", bomb(64), content_type="application/x-gzip")
    write(tmp_path, source_toml("ee-bomb", f"{website.url}/sitemap.xml.gz", country="EE",
                                protocol="sitemap"),
          harvest=settings(max_body_mb=8, delay=0))

    code, _, stderr, _ = run_measured(tmp_path, "harvest")

    assert code == 1, stderr
    run = last_run(tmp_path / "oerhub.db", "ee-bomb")
    assert run["status"] == "failed"
    assert "decompress to more than 8 MiB" in run["error"], run["error"]


def test_the_link_checkers_robots_txt_bomb_is_refused(website, monkeypatch):
    monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")  # the test site is on loopback (netguard)
    website.add("/robots.txt", bomb(64), content_type="text/plain",
                headers={"Content-Encoding": "gzip"})
    website.add("/page", "<html><body>here</body></html>")
    checker = LinkChecker(Settings(contact=CONTACT, delay=0.0, retries=0, max_body_mb=8))
    try:
        result = checker.check(f"{website.url}/page")
    finally:
        checker.close()

    assert result.outcome == "error", result
    assert "robots.txt" in (result.error or "") and "decompress" in (result.error or ""), result
    assert "/page" not in website.paths(), "a page whose robots.txt was refused was visited"


# --- 7. time per request, page and time budgets, loops -------------------------------------


def trickle(body: bytes, every: float) -> Callable[[BaseHTTPRequestHandler], None]:
    """A handler that answers 200 and then sends `body` one byte every `every` seconds."""
    def handle(request: BaseHTTPRequestHandler) -> None:
        try:
            request.send_response(200)
            request.send_header("Content-Type", "text/xml")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.flush()
            for byte in body:
                request.wfile.write(bytes([byte]))
                request.wfile.flush()
                time.sleep(every)
        except (BrokenPipeError, ConnectionResetError):
            pass
    return handle


def test_a_server_sending_a_byte_at_a_time_is_cut_at_max_request_seconds(servers):
    server = servers(handle=trickle(b"<OAI-PMH>" + b" " * 200 + b"</OAI-PMH>", 0.25), quiet=True)
    client = HttpClient(contact=CONTACT, timeout=5, retries=0, max_seconds=2)
    started = time.monotonic()
    with pytest.raises(SourceUnreachable, match="took more than 2 s"):
        client.get(server.url + "/oai")
    assert time.monotonic() - started < 10  # each byte within the 5 s timeout: ~53 s unbounded


def test_a_server_trickling_its_headers_is_cut_too(servers):
    def slow_headers(request: BaseHTTPRequestHandler) -> None:
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 200:
                request.wfile.write(bytes([byte]))
                request.wfile.flush()
                time.sleep(0.25)
        except (BrokenPipeError, ConnectionResetError):
            pass
    server = servers(handle=slow_headers, quiet=True)
    client = HttpClient(contact=CONTACT, timeout=5, retries=0, max_seconds=2)
    started = time.monotonic()
    with pytest.raises(SourceUnreachable, match="took more than 2 s"):
        client.get(server.url + "/oai")
    assert time.monotonic() - started < 10


def test_the_page_budget_stops_a_run_incomplete_and_the_next_resumes(tmp_path, servers):
    server = servers(records(100), page_size=10)
    source = source_toml("kz-long", server.url, country="KZ", window="none")
    write(tmp_path, source, harvest=settings(max_pages=3))

    code, _, stderr, _ = run_measured(tmp_path, "harvest")

    assert code == 1, stderr
    db = tmp_path / "oerhub.db"
    run = last_run(db, "kz-long")
    assert run["status"] == "incomplete", run
    assert "max_pages" in run["error"] and "3 pages" in run["error"], run["error"]
    assert len(server.list_records()) == 3
    assert len(identifiers(db)) == 30

    write(tmp_path, source)  # the default budget
    code, _, stderr, _ = run_measured(tmp_path, "harvest")

    assert code == 0, stderr
    assert identifiers(db) == {r.identifier for r in records(100)}
    resumed = server.list_records()[3]
    assert resumed.params.get("resumptionToken", "").startswith("30,"), resumed.params


def test_fresh_tokens_for_records_already_received_are_a_loop(tmp_path, servers):
    def same_page_forever(n, params, status, headers, body):
        if "resumptionToken" in params and n < 40:  # ends on its own after 40 requests
            return status, headers, server.render_list(server.records[:10], token=f"fresh-{n}")
        if "resumptionToken" in params:
            return status, headers, server.render_list(server.records[:10])
        return None
    server = servers(records(30), page_size=10, quirk=same_page_forever)
    write(tmp_path, source_toml("uz-same", server.url, country="UZ", window="none"))

    code, _, stderr, _ = run_measured(tmp_path, "harvest")

    assert code == 1, stderr
    run = last_run(tmp_path / "oerhub.db", "uz-same")
    assert run["status"] == "incomplete", run
    assert "already listed" in run["error"], run["error"]
    # the first page, then 3 pages of nothing new (up to AHEAD more may have been fetched ahead)
    assert len(server.list_records()) <= 4 + AHEAD, len(server.list_records())


def test_the_time_budget_stops_a_run_incomplete_and_the_next_resumes(tmp_path, servers):
    server = servers(records(80), page_size=5, delay=0.4)
    source = source_toml("ge-slow", server.url, country="GE", window="none")
    write(tmp_path, source, harvest=settings(max_minutes=0.04))  # 2.4 s; 16 pages take 6.8 s

    started = time.monotonic()
    code, _, stderr, _ = run_measured(tmp_path, "harvest")

    assert code == 1, stderr
    assert time.monotonic() - started < 30
    db = tmp_path / "oerhub.db"
    run = last_run(db, "ge-slow")
    assert run["status"] == "incomplete", run
    assert "max_minutes" in run["error"], run["error"]
    first = identifiers(db)
    assert 0 < len(first) < 80

    write(tmp_path, source)
    code, _, stderr, _ = run_measured(tmp_path, "harvest")

    assert code == 0, stderr
    assert identifiers(db) == {r.identifier for r in records(80)}
    tokens = [r for r in server.list_records() if "resumptionToken" not in r.params]
    assert len(tokens) == 1, "the second run listed from the start instead of resuming"


def test_a_limit_setting_must_be_positive(tmp_path):
    path = write(tmp_path, harvest=settings(max_pages=0))
    with pytest.raises(Exception, match="harvest.max_pages.*more than 0"):
        load_config(path)


# --- 8. redirects and page URLs on other hosts ---------------------------------------------


def redirect_to(target: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def handle(request: BaseHTTPRequestHandler) -> None:
        send(request, 302, {"Location": target + request.path[len("/oai"):]}, b"")
    return handle


def test_a_redirect_to_another_host_is_not_followed(tmp_path, servers):
    elsewhere = servers(records(5), host="127.0.0.2")
    redirector = servers(handle=redirect_to(elsewhere.url))
    write(tmp_path, source_toml("am-moved", redirector.url + "/oai", country="AM"))

    code, _, stderr, _ = run_measured(tmp_path, "harvest")

    assert code == 1, stderr
    run = last_run(tmp_path / "oerhub.db", "am-moved")
    assert run["status"] == "failed"
    assert "redirects to another host" in run["error"] and "allow_hosts" in run["error"], run
    assert elsewhere.requests == [], "the redirect was followed"


def test_a_redirect_to_an_allowed_host_is_followed(tmp_path, servers):
    elsewhere = servers(records(5), host="127.0.0.2")
    redirector = servers(handle=redirect_to(elsewhere.url))
    write(tmp_path, source_toml("am-moved", redirector.url + "/oai", country="AM",
                                allow_hosts=["127.0.0.2"]))

    code, _, stderr, _ = run_measured(tmp_path, "harvest")

    assert code == 0, stderr
    assert identifiers(tmp_path / "oerhub.db") == {r.identifier for r in records(5)}


def resource_page(title: str) -> str:
    data = {"@context": "https://schema.org", "@type": "LearningResource", "name": title,
            "inLanguage": "et"}
    return (f'<!DOCTYPE html><html lang="et"><head><title>t</title><script type="application/'
            f'ld+json">{json.dumps(data)}</script></head><body></body></html>')


def test_sitemap_pages_on_other_hosts_are_skipped_with_a_warning(tmp_path, website, servers):
    other: list[str] = []

    def other_site(request: BaseHTTPRequestHandler) -> None:
        other.append(request.path)
        send(request, 200, {"Content-Type": "text/html"}, resource_page("Võõras").encode())
    foreign = servers(handle=other_site, host="127.0.0.2")
    website.add("/a", resource_page("Murdude liitmine"))
    website.add("/sitemap.xml", '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>{website.url}/a</loc></url>"
                f"<url><loc>{foreign.url}/spam</loc></url></urlset>",
                content_type="application/xml")
    write(tmp_path, source_toml("ee-own", f"{website.url}/sitemap.xml", country="EE",
                                protocol="sitemap"), harvest=settings(delay=0))

    code, _, stderr, _ = run_measured(tmp_path, "harvest")

    assert code == 0, stderr
    db = tmp_path / "oerhub.db"
    assert identifiers(db) == {f"{website.url}/a"}
    assert other == [], "a page on another site was fetched"
    run = last_run(db, "ee-own")
    assert "on other hosts" in run["warnings"] and "/spam" in run["warnings"], run["warnings"]


# --- 9. errors are one line, never a traceback ---------------------------------------------


def test_json_ld_nested_too_deep_is_skipped_not_a_crash(tmp_path, website):
    deep = '{"@type": "LearningResource", "name": "x", "about": ' + "[" * 500 + "]" * 500 + "}"
    website.add("/a", resource_page("Murdude liitmine").replace(
        "</head>", f'<script type="application/ld+json">{deep}</script></head>'))
    website.add("/sitemap.xml", '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>{website.url}/a</loc></url></urlset>",
                content_type="application/xml")
    write(tmp_path, source_toml("ee-deep", f"{website.url}/sitemap.xml", country="EE",
                                protocol="sitemap"), harvest=settings(delay=0))

    code, _, stderr, _ = run_measured(tmp_path, "harvest")

    assert code == 0, stderr
    db = tmp_path / "oerhub.db"
    run = last_run(db, "ee-deep")
    assert run["status"] == "ok", run["error"]
    assert "1 JSON-LD script(s) were not valid JSON" in run["warnings"], run["warnings"]
    assert "deeper than 32 levels" in run["warnings"], run["warnings"]
    assert query(db, "SELECT title FROM records")[0]["title"] == "Murdude liitmine"


def test_a_bug_in_a_source_keeps_its_traceback_out_of_the_run_table(tmp_path, servers,
                                                                     monkeypatch, capsys):
    from harvesters.oai_pmh import OaiPmhHarvester
    from oerhub.harvest.run import harvest

    def broken(self, state, full):
        raise ZeroDivisionError("division by zero")
        yield  # a generator, as the real one
    monkeypatch.setattr(OaiPmhHarvester, "_harvest", broken)
    monkeypatch.delenv("OERHUB_DEBUG", raising=False)
    server = servers(records(3))
    config = load_config(write(tmp_path, source_toml("lt-bug", server.url, country="LT")))

    results = harvest(config, tmp_path / "oerhub.db")

    assert results[0].status == "failed"
    error = last_run(tmp_path / "oerhub.db", "lt-bug")["error"]
    assert error == "internal error (please report it): ZeroDivisionError: division by zero"
    assert "Traceback" not in capsys.readouterr().err

    monkeypatch.setenv("OERHUB_DEBUG", "1")
    harvest(config, tmp_path / "oerhub.db")
    assert "Traceback" in capsys.readouterr().err, "OERHUB_DEBUG=1 shows the traceback"
    assert "\n" not in last_run(tmp_path / "oerhub.db", "lt-bug")["error"]


def test_a_damaged_catalogue_is_one_line_and_exit_2(tmp_path, servers):
    server = servers(records(300))
    write(tmp_path, source_toml("md-ok", server.url, country="MD"))
    code, _, stderr, _ = run_measured(tmp_path, "harvest")
    assert code == 0, stderr
    db = tmp_path / "oerhub.db"
    size = db.stat().st_size
    with open(db, "r+b") as handle:  # its last pages: the catalogue opens, and breaks later
        handle.seek(size - 3 * 4096)
        handle.write(b"\xa5" * 3 * 4096)

    code, _, stderr, _ = run_measured(tmp_path, "harvest", "--quiet")

    assert code == 2, stderr
    one_line_error(stderr)
    assert "catalogue cannot be read or written: database disk image is malformed" in stderr


def test_an_unwritable_lock_file_is_one_line_and_exit_2(tmp_path, servers):
    server = servers(records(3))
    write(tmp_path, source_toml("lv-lock", server.url, country="LV"))
    (tmp_path / "oerhub.db.lock").mkdir()  # cannot be opened for writing, even by root

    code, _, stderr, _ = run_measured(tmp_path, "harvest")

    assert code == 2, stderr
    one_line_error(stderr)
    assert "lock file" in stderr and "oerhub.db.lock" in stderr, stderr


def small_disk(limit: int) -> Callable[[], None]:
    """For a subprocess: files cannot grow past `limit` bytes, as on a full disk."""
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_disk_full_before_the_harvest_starts_is_one_line_and_exit_2(tmp_path, servers):
    server = servers(records(3))
    write(tmp_path, source_toml("ua-full", server.url))
    code, _, stderr, _ = run_measured(tmp_path, "harvest")
    assert code == 0, stderr

    code, _, stderr, _ = run_measured(tmp_path, "harvest", preexec=small_disk(1))

    assert code == 2, stderr
    one_line_error(stderr)
    assert "disk I/O error" in stderr or "cannot write the lock file" in stderr, stderr


def test_a_disk_full_during_the_harvest_fails_the_source_in_one_line(tmp_path, servers):
    server = servers([Rec(f"oai:big:{i}", "2024-03-01", "Довга назва " * 40)
                      for i in range(3000)], page_size=500)
    write(tmp_path, source_toml("ua-small", server.url, window="none"))

    code, _, stderr, _ = run_measured(tmp_path, "harvest", "--quiet",
                                      preexec=small_disk(512 << 10))

    assert code == 1, stderr
    one_line_error(stderr)
    run = last_run(tmp_path / "oerhub.db", "ua-small")
    assert run["status"] == "failed" and "could not be stored" in run["error"], run
    assert "\n" not in run["error"]
