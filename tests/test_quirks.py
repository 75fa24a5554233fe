"""Harvesting survives misbehaving servers: one end-to-end test (or a few) per quirk.

Each test starts a `QuirkServer` (tests/quirk_server.py) on a loopback address, told to
misbehave in one precise way, runs `oerhub harvest` in a subprocess as cron would, and then
checks the catalogue (`records`, `raw_records`, `harvest_runs`, `harvest_state`), the exit
code and stderr. These tests are the specification of the behaviour; several new settings
appear in them:

  [harvest]   max_wait (ceiling for Retry-After, s), workers (sources at once)
  [[sources]] delay (per-source politeness delay, s), window ("year" | "month" | "day" | "none")
"""

from __future__ import annotations

import gzip
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from conftest import oerhub_in_process, query, source_toml, stopping
from quirk_server import DAY, SECONDS, QuirkServer, Rec, Request, identifiers_in, replace_token

CONTACT = "mailto:tests@example.org"

RUSSIAN = [
    "Учебное пособие по органической химии",
    "Методические указания к лабораторным работам по физике",
    "Основы программирования: задачи и решения",
    "Сборник задач по высшей математике. Часть 2",
    "Ёмкость конденсатора и электрическое поле",
    "История России XX века",
]
UKRAINIAN = [
    "Підручник з історії України для 10 класу",
    "Збірник вправ з української мови",
    "Ґрунтознавство: навчальний посібник",
    "Їжак і його родина: читанка для учнів",
    "Основи економічної теорії (конспект лекцій)",
]


# --- helpers -----------------------------------------------------------------------------

@pytest.fixture
def quirk_server() -> Iterator[Callable[..., QuirkServer]]:
    """Start QuirkServers; all are stopped after the test."""
    yield from stopping(QuirkServer)


def settings(**values: Any) -> str:
    """A [harvest] table: the conftest defaults (no retries) with `values` over them."""
    merged = {"contact": CONTACT, "timeout": 10, "retries": 0, "backoff": 0, **values}
    lines = [f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}" for k, v in merged.items()]
    return "[harvest]\n" + "\n".join(lines) + "\n"


def source(source_id: str, url: str, country: str = "UA", *, window: str | None = None,
           delay: float | None = None) -> str:
    """A [[sources]] entry; `window` and the numeric `delay` are written only when given."""
    text = source_toml(source_id, url, country=country,
                       **({"window": window} if window is not None else {}))
    if delay is not None:
        text += f"delay = {delay}\n"
    return text


def make_records(n: int, prefix: str = "q", start: str = "2024-03-01",
                 titles: list[str] | None = None) -> list[Rec]:
    """n records, one a day from `start`, with Cyrillic titles (numbered, so all differ)."""
    first = date.fromisoformat(start)
    names = titles or ["Навчальний посібник з хімії"]
    return [Rec(f"oai:{prefix}:{i + 1}", (first + timedelta(days=i)).isoformat(),
                f"{names[i % len(names)]} ({i + 1})") for i in range(n)]


def yearly_records(years: range, per_year: int = 30) -> list[Rec]:
    """per_year records in each year, spread over the months, in year order."""
    return [Rec(f"oai:y:{year}-{i + 1}", f"{year}-{1 + i % 12:02d}-{1 + i // 12:02d}",
                f"Матеріал {year} року № {i + 1}") for year in years for i in range(per_year)]


def shown(result: subprocess.CompletedProcess[str]) -> str:
    """Everything a failure message needs about a CLI run."""
    return f"exit {result.returncode}\n--- stdout:\n{result.stdout}\n--- stderr:\n{result.stderr}"


def titles(db: Path, source_id: str | None = None) -> dict[str, str | None]:
    sql = "SELECT identifier, title FROM records"
    rows = query(db, sql + " WHERE source_id = ?", (source_id,)) if source_id else query(db, sql)
    return {r["identifier"]: r["title"] for r in rows}


def runs(db: Path, source_id: str | None = None) -> list[sqlite3.Row]:
    if source_id:
        return query(db, "SELECT * FROM harvest_runs WHERE source_id = ? ORDER BY id",
                     (source_id,))
    return query(db, "SELECT * FROM harvest_runs ORDER BY id")


def last_run(db: Path, source_id: str) -> sqlite3.Row:
    found = runs(db, source_id)
    assert found, f"no harvest_runs row for {source_id}"
    return found[-1]


def state(db: Path, source_id: str) -> sqlite3.Row | None:
    rows = query(db, "SELECT * FROM harvest_state WHERE source_id = ?", (source_id,))
    return rows[0] if rows else None


def catalogue(db: Path) -> dict[str, tuple[Any, ...]]:
    """What a reader sees of each record, by identifier (no harvest timestamps)."""
    return {r["identifier"]: (r["datestamp"], r["deleted"], r["title"]) for r in
            query(db, "SELECT identifier, datestamp, deleted, title FROM records")}


def cli_env(directory: Path) -> dict[str, str]:
    env = {**os.environ, "OERHUB_CONFIG": str(directory / "sources.toml"),
           "OERHUB_DB": str(directory / "oerhub.db")}
    env.pop("OERHUB_DEBUG", None)
    return env


def run_in(directory: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`oerhub` with the registry and catalogue of another directory (a reference run)."""
    return oerhub_in_process(directory, *args)


def start_in(directory: Path, *args: str) -> subprocess.Popen[str]:
    """`oerhub` in the background; read its output with communicate()."""
    return subprocess.Popen([sys.executable, "-m", "oerhub.cli", *args], cwd=directory,
                            env=cli_env(directory), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.02)


def first_listing(requests: list[Request]) -> list[Request]:
    """ListRecords requests that start a list (no resumption token): one per window."""
    return [r for r in requests if r.verb == "ListRecords" and "resumptionToken" not in r.params]


def closed_port_url() -> str:
    """A loopback URL nobody listens on (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/oai"


def overlap(a: Request, b: Request) -> bool:
    assert a.finished is not None and b.finished is not None
    return a.started < b.finished and b.started < a.finished


# --- 1. 503 and 429 with Retry-After, timeouts, refused connections -------------------------

def test_503_with_retry_after_seconds_is_waited_out(tmp_path, quirk_server, write_config,
                                                    run_oerhub):
    records = make_records(25)

    def busy_first(n, params, status, headers, body):
        if n == 1:
            return 503, {"Retry-After": "1", "Content-Type": "text/plain"}, b"Service busy"
        return None
    server = quirk_server(records, quirk=busy_first)
    write_config(source("ua-busy", server.url), settings=settings(retries=2, backoff=0.1))

    result = run_oerhub("harvest")

    assert result.returncode == 0, shown(result)
    db = tmp_path / "oerhub.db"
    assert titles(db) == {r.identifier: r.title for r in records}
    assert last_run(db, "ua-busy")["status"] == "ok"
    assert len(server.requests) >= 2, "no request after the 503"
    first, second = server.requests[0], server.requests[1]
    assert second.params == first.params, "the request after the 503 must be the same request"
    gap = second.started - first.started
    assert gap >= 1.0, f"retried {gap:.2f} s after a 503 with Retry-After: 1 (must wait ≥ 1 s)"


def test_429_with_retry_after_http_date_is_waited_out(tmp_path, quirk_server, write_config,
                                                      run_oerhub):
    records = make_records(15)
    refused: list[int] = []

    def too_many_on_first_listing(n, params, status, headers, body):
        if params.get("verb") == "ListRecords" and not refused:
            refused.append(n)
            # an HTTP-date 2-3 s ahead (HTTP-dates have whole seconds)
            return (429, {"Retry-After": formatdate(time.time() + 3, usegmt=True),
                          "Content-Type": "text/plain"}, b"Too Many Requests")
        return None
    server = quirk_server(records, quirk=too_many_on_first_listing)
    write_config(source("kz-429", server.url, country="KZ"),
                 settings=settings(retries=2, backoff=0.1))

    result = run_oerhub("harvest")

    assert result.returncode == 0, shown(result)
    assert titles(tmp_path / "oerhub.db") == {r.identifier: r.title for r in records}
    assert refused, "the quirk never fired: no ListRecords request was made"
    assert len(server.requests) > refused[0], "the request refused with 429 was not retried"
    refused_request = server.requests[refused[0] - 1]
    retry = server.requests[refused[0]]
    assert retry.params == refused_request.params
    gap = retry.started - refused_request.started
    assert gap >= 1.0, f"retried {gap:.2f} s after a 429 whose Retry-After date was ≥ 2 s ahead"


def test_retry_after_longer_than_max_wait_fails_the_source_at_once(tmp_path, quirk_server,
                                                                   write_config, run_oerhub):
    server = quirk_server(make_records(5), quirk=lambda n, params, status, headers, body: (
        503, {"Retry-After": "3600", "Content-Type": "text/plain"}, b"Down for an hour"))
    write_config(source("by-hour", server.url, country="BY"),
                 settings=settings(retries=2, backoff=0.1, max_wait=5))

    started = time.monotonic()
    result = run_oerhub("harvest", timeout=60)
    elapsed = time.monotonic() - started

    assert result.returncode == 1, shown(result)
    assert elapsed < 5, f"took {elapsed:.1f} s: a Retry-After above max_wait must not be waited"
    assert len(server.requests) == 1, "no retry when the server asks for more than max_wait"
    run = last_run(tmp_path / "oerhub.db", "by-hour")
    assert run["status"] == "failed"
    assert "asks to wait 3600 s" in run["error"], run["error"]
    assert "asks to wait 3600 s" in result.stderr, shown(result)


def test_always_503_gives_up_after_the_configured_retries(tmp_path, quirk_server, write_config,
                                                          run_oerhub):
    server = quirk_server(make_records(5), quirk=lambda n, params, status, headers, body: (
        503, {"Content-Type": "text/plain"}, b"Service Unavailable"))
    write_config(source("md-down", server.url, country="MD"),
                 settings=settings(retries=2, backoff=0.1))

    result = run_oerhub("harvest")

    assert result.returncode == 1, shown(result)
    assert len(server.requests) == 3, (
        f"retries = 2 means 3 tries, the server saw {len(server.requests)} requests")
    run = last_run(tmp_path / "oerhub.db", "md-down")
    assert run["status"] == "failed"
    assert "HTTP 503" in run["error"] and "after 3 tries" in run["error"], run["error"]
    assert "Traceback" not in result.stderr


def test_a_timed_out_request_is_retried(tmp_path, quirk_server, write_config, run_oerhub):
    records = make_records(12)
    slept: list[int] = []

    def hang_first_listing(n, params, status, headers, body):
        if params.get("verb") == "ListRecords" and not slept:
            slept.append(n)
            time.sleep(2.5)  # longer than timeout = 1
        return None
    server = quirk_server(records, quirk=hang_first_listing)
    write_config(source("ge-slow", server.url, country="GE"),
                 settings=settings(timeout=1, retries=1, backoff=0.1))

    result = run_oerhub("harvest")

    assert result.returncode == 0, shown(result)
    db = tmp_path / "oerhub.db"
    assert titles(db) == {r.identifier: r.title for r in records}
    assert last_run(db, "ge-slow")["status"] == "ok"
    assert slept and len(server.requests) > slept[0], "the timed-out request was not retried"
    hung = server.requests[slept[0] - 1]
    retry = server.requests[slept[0]]
    assert retry.params == hung.params, "the timed-out request must be sent again"
    assert retry.started - hung.started < 2.4, "the client waited for the hung answer: no timeout"


def test_a_closed_port_fails_after_the_configured_retries(tmp_path, write_config, run_oerhub):
    write_config(source("lt-closed", closed_port_url(), country="LT"),
                 settings=settings(retries=2, backoff=0.1))

    result = run_oerhub("harvest")

    assert result.returncode == 1, shown(result)
    run = last_run(tmp_path / "oerhub.db", "lt-closed")
    assert run["status"] == "failed"
    assert "connection refused" in run["error"] and "after 3 tries" in run["error"], run["error"]
    assert "Traceback" not in result.stderr


# --- 2. characters illegal in XML 1.0 ------------------------------------------------------

def test_illegal_xml_characters_are_dropped_and_records_kept(tmp_path, quirk_server,
                                                             write_config, run_oerhub):
    # Each control character stands beside a space or at an end, so "dropped" and "turned
    # into a space" both leave the same title: the point is that the record survives intact.
    damaged = {
        "oai:c:1": ("\x01Хімія органічна", "Хімія органічна"),
        "oai:c:2": ("Фізика \x0bдля школи", "Фізика для школи"),
        "oai:c:3": ("Історія України\x1f", "Історія України"),
        "oai:c:4": ("Алгебра \x01\x0b\x1f 7 клас", "Алгебра 7 клас"),
    }
    records = [Rec(i, "2024-02-01", raw) for i, (raw, _) in damaged.items()]
    records.append(Rec("oai:c:5", "2024-02-02", "Геометрія 8 клас",
                       extra="<dc:description>Опис \x0bкурсу геометрії</dc:description>"))
    records.append(Rec("oai:c:6", "2024-02-03", "Біологія 9 клас"))
    server = quirk_server(records)
    assert b"\x01" in server.render_list(records), "the page must carry the raw control bytes"
    write_config(source("ua-ctrl", server.url))

    result = run_oerhub("harvest")

    assert result.returncode == 0, shown(result)
    db = tmp_path / "oerhub.db"
    expected = {i: clean for i, (_, clean) in damaged.items()}
    expected |= {"oai:c:5": "Геометрія 8 клас", "oai:c:6": "Біологія 9 клас"}
    assert titles(db) == expected
    description = query(db, "SELECT description FROM records WHERE identifier = 'oai:c:5'")
    assert description[0]["description"] == "Опис курсу геометрії"
    assert last_run(db, "ua-ctrl")["status"] == "ok"


# --- 3. encodings --------------------------------------------------------------------------

def declaration(encoding: str | None) -> str:
    return f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else '<?xml version="1.0"?>'


ENCODING_CASES = [
    pytest.param("windows-1251", declaration("windows-1251"), "text/xml", RUSSIAN + UKRAINIAN,
                 id="a-declared-windows-1251"),
    pytest.param("koi8-r", declaration("koi8-r"), "text/xml", RUSSIAN, id="b-declared-koi8-r"),
    pytest.param("windows-1251", declaration(None), "text/xml; charset=windows-1251",
                 RUSSIAN + UKRAINIAN, id="c-http-charset-windows-1251-declaration-no-encoding"),
    pytest.param("windows-1251", None, "text/xml; charset=windows-1251", RUSSIAN + UKRAINIAN,
                 id="c-http-charset-windows-1251-no-declaration"),
    pytest.param("koi8-r", declaration(None), "text/xml; charset=koi8-r", RUSSIAN,
                 id="c-http-charset-koi8-r-declaration-no-encoding"),
    pytest.param("koi8-r", None, "text/xml; charset=koi8-r", RUSSIAN,
                 id="c-http-charset-koi8-r-no-declaration"),
    # The declaration lies and the HTTP header says nothing: the bytes must decide.
    pytest.param("windows-1251", declaration("UTF-8"), "text/xml", RUSSIAN + UKRAINIAN,
                 id="d-declares-utf-8-but-bytes-are-windows-1251"),
    pytest.param("utf-8", declaration("windows-1251"), "text/xml", RUSSIAN + UKRAINIAN,
                 id="e-declares-windows-1251-but-bytes-are-utf-8"),
]


@pytest.mark.parametrize(("encoding", "xml_declaration", "content_type", "names"), ENCODING_CASES)
def test_cyrillic_titles_survive_the_encoding(tmp_path, quirk_server, write_config, run_oerhub,
                                              encoding, xml_declaration, content_type, names):
    records = [Rec(f"oai:enc:{i + 1}", f"2024-01-{i + 1:02d}", name)
               for i, name in enumerate(names)]
    server = quirk_server(records, encoding=encoding, xml_declaration=xml_declaration,
                          content_type=content_type)
    write_config(source("ru-enc", server.url, country="RU"))

    result = run_oerhub("harvest")

    served = b"".join(r.body for r in server.list_records())
    assert records[0].title.encode(encoding) in served, f"the titles were not sent as {encoding}"
    assert result.returncode == 0, shown(result)
    db = tmp_path / "oerhub.db"
    stored = titles(db)
    wrong = {i: (stored.get(i), r.title) for i, r in ((r.identifier, r) for r in records)
             if stored.get(i) != r.title}
    assert not wrong, f"titles stored wrongly (stored, expected): {wrong}"
    assert last_run(db, "ru-enc")["status"] == "ok"


def test_invalid_utf8_bytes_damage_only_their_own_title(tmp_path, quirk_server, write_config,
                                                        run_oerhub):
    names = RUSSIAN + UKRAINIAN + ["Хімія органічна"]
    records = [Rec(f"oai:bad:{i + 1}", f"2024-01-{i + 1:02d}", name)
               for i, name in enumerate(names)]
    damaged_id = records[-1].identifier

    def break_one_title(n, params, status, headers, body):
        good = "Хімія органічна".encode()
        if good in body:
            return status, headers, body.replace(
                good, "Хімія ".encode() + b"\xff\xfe" + "органічна".encode())
        return None
    server = quirk_server(records, quirk=break_one_title)
    write_config(source("ua-badbytes", server.url))

    result = run_oerhub("harvest")

    assert any(b"\xff\xfe" in r.body for r in server.requests), "the bad bytes were never sent"

    assert result.returncode == 0, shown(result)
    db = tmp_path / "oerhub.db"
    stored = titles(db)
    assert set(stored) == {r.identifier for r in records}, "every record must be kept"
    for record in records[:-1]:
        assert stored[record.identifier] == record.title, (
            f"{record.identifier}: {stored[record.identifier]!r} != {record.title!r}")
    title = stored[damaged_id] or ""
    assert "Хімія" in title and "органічна" in title, (
        f"the damaged title must keep its valid text around the bad bytes, got {title!r}")
    assert last_run(db, "ua-badbytes")["status"] == "ok"


# --- 4. an HTML page with status 200 -------------------------------------------------------

def test_html_maintenance_page_fails_only_its_source(tmp_path, quirk_server, write_config,
                                                     run_oerhub):
    page = ('<!DOCTYPE html>\n<html lang="uk"><head><meta charset="utf-8">'
            "<title>Технічні роботи / Maintenance</title></head>"
            "<body><h1>Сайт тимчасово недоступний</h1></body></html>").encode()
    broken = quirk_server(make_records(5), quirk=lambda n, params, status, headers, body: (
        200, {"Content-Type": "text/html; charset=utf-8"}, page))
    good_records = make_records(12, prefix="good")
    good = quirk_server(good_records)
    write_config(source("ua-maint", broken.url), source("ua-good", good.url))

    result = run_oerhub("harvest")

    assert result.returncode == 1, shown(result)
    db = tmp_path / "oerhub.db"
    run = last_run(db, "ua-maint")
    assert run["status"] == "failed"
    assert "HTML" in run["error"] and "Технічні роботи / Maintenance" in run["error"], run["error"]
    assert "ua-maint" in result.stderr and "Технічні роботи / Maintenance" in result.stderr
    assert last_run(db, "ua-good")["status"] == "ok"
    assert titles(db, "ua-good") == {r.identifier: r.title for r in good_records}
    assert titles(db, "ua-maint") == {}


# --- 5. resumption token loops -------------------------------------------------------------

def test_a_repeated_resumption_token_ends_the_run_as_incomplete(tmp_path, quirk_server,
                                                                write_config, run_oerhub):
    def token_never_advances(n, params, status, headers, body):
        token = params.get("resumptionToken")
        return (status, headers, replace_token(body, token)) if token else None
    server = quirk_server(make_records(50), page_size=10, quirk=token_never_advances)
    write_config(source("uz-loop", server.url, country="UZ", window="none"))

    result = run_oerhub("harvest", timeout=60)

    assert result.returncode == 1, shown(result)
    listed = server.list_records()
    assert len(listed) <= 3, f"{len(listed)} ListRecords requests: the loop was not stopped"
    db = tmp_path / "oerhub.db"
    received = {i for r in listed for i in identifiers_in(r.body)}
    assert set(titles(db)) == received, "every record received before the loop must be stored"
    assert {f"oai:q:{n}" for n in range(1, 21)} <= received
    run = last_run(db, "uz-loop")
    assert run["status"] == "incomplete", (run["status"], run["error"])
    assert "repeated" in (run["error"] or ""), run["error"]
    assert state(db, "uz-loop")["since"] is None, "an incomplete run must not move `since`"


def test_endless_empty_pages_end_the_run_as_incomplete(tmp_path, quirk_server, write_config,
                                                       run_oerhub):
    served_empty: list[int] = []

    def empty_pages_forever(n, params, status, headers, body):
        if "resumptionToken" in params:
            served_empty.append(n)
            return status, headers, server.render_list([], token=f"empty-{n}")
        return None
    server = quirk_server(make_records(30), page_size=10, quirk=empty_pages_forever)
    write_config(source("tj-empty", server.url, country="TJ", window="none"))

    result = run_oerhub("harvest", timeout=60)

    assert result.returncode == 1, shown(result)
    assert len(served_empty) <= 3, f"{len(served_empty)} empty pages were requested in a row"
    db = tmp_path / "oerhub.db"
    assert set(titles(db)) == {f"oai:q:{n}" for n in range(1, 11)}
    run = last_run(db, "tj-empty")
    assert run["status"] == "incomplete", (run["status"], run["error"])
    assert "empty" in (run["error"] or ""), run["error"]


# --- 6. an empty resumption token ends the list --------------------------------------------

def test_an_empty_token_with_attributes_on_the_last_page_ends_normally(tmp_path, quirk_server,
                                                                       write_config, run_oerhub):
    records = make_records(25)
    server = quirk_server(records, page_size=10, empty_last_token=True)
    write_config(source("ee-end", server.url, country="EE", window="none"))

    result = run_oerhub("harvest")

    assert result.returncode == 0, shown(result)
    listed = server.list_records()
    assert len(listed) == 3, [r.params for r in listed]
    assert b'<resumptionToken cursor="25" completeListSize="25"/>' in listed[-1].body
    db = tmp_path / "oerhub.db"
    assert titles(db) == {r.identifier: r.title for r in records}
    assert last_run(db, "ee-end")["status"] == "ok"


# --- 7. noRecordsMatch ---------------------------------------------------------------------

def test_no_records_match_is_an_empty_success(tmp_path, quirk_server, write_config, run_oerhub):
    server = quirk_server([], earliest_datestamp="2024-01-01")
    write_config(source("am-empty", server.url, country="AM", window="none"))

    result = run_oerhub("harvest")

    assert result.returncode == 0, shown(result)
    listed = server.list_records()
    assert listed and b'code="noRecordsMatch"' in listed[0].body, "the server said noRecordsMatch"
    db = tmp_path / "oerhub.db"
    run = last_run(db, "am-empty")
    assert (run["status"], run["records_new"]) == ("ok", 0), (run["status"], run["error"])
    assert titles(db) == {}
    assert state(db, "am-empty")["since"] is not None, "an ok run sets the incremental start"


def test_no_records_match_with_a_token_makes_no_further_request(tmp_path, quirk_server,
                                                                write_config, run_oerhub):
    def no_records_but_a_token(n, params, status, headers, body):
        if params.get("verb") == "ListRecords":
            return status, headers, server.render_list(
                [], token="ghost-token", before='<error code="noRecordsMatch">none</error>')
        return None
    server = quirk_server(make_records(5), quirk=no_records_but_a_token)
    write_config(source("az-ghost", server.url, country="AZ", window="none"))

    result = run_oerhub("harvest")

    assert result.returncode == 0, shown(result)
    followed = [r.params for r in server.requests if "resumptionToken" in r.params]
    assert not followed, f"the token of a noRecordsMatch answer was followed: {followed}"
    assert [r.verb for r in server.requests] == ["Identify", "ListRecords"]
    db = tmp_path / "oerhub.db"
    run = last_run(db, "az-ghost")
    assert (run["status"], run["records_new"]) == ("ok", 0), (run["status"], run["error"])
    assert titles(db) == {}


# --- 8. date windows, and badResumptionToken in the middle of one ----------------------------

YEARS = range(2019, 2024)


def test_year_windows_are_visible_in_the_requests(tmp_path, quirk_server, write_config,
                                                  run_oerhub):
    records = yearly_records(YEARS)
    server = quirk_server(records, page_size=10, granularity=DAY)
    write_config(source("kg-years", server.url, country="KG", window="year"))

    result = run_oerhub("harvest")

    assert result.returncode == 0, shown(result)
    windows = first_listing(server.requests)
    assert len(windows) >= len(YEARS), [w.params for w in windows]
    db = tmp_path / "oerhub.db"
    assert catalogue(db) == {r.identifier: (r.datestamp, 0, r.title) for r in records}
    assert last_run(db, "kg-years")["status"] == "ok"
    first = windows[0].params
    assert first.get("until", "9999") < "2020-01-01", f"the first window must end in 2019: {first}"
    assert all("until" in w.params for w in windows[:-1]), [w.params for w in windows]
    last = windows[-1].params
    assert "from" in last and "until" not in last, f"the last window is open-ended: {last}"
    # A full harvest's first window is open at the start, so a record dated before the
    # repository's earliestDatestamp (a misconfigured server) is not missed.
    assert "from" not in first, f"the first window of a full harvest is open-ended: {first}"


def test_window_none_lists_everything_in_one_request(tmp_path, quirk_server, write_config,
                                                     run_oerhub):
    records = yearly_records(YEARS)
    server = quirk_server(records, page_size=1000)
    write_config(source("kg-all", server.url, country="KG", window="none"))

    result = run_oerhub("harvest")

    assert result.returncode == 0, shown(result)
    listed = server.list_records()
    assert len(listed) == 1, [r.params for r in listed]
    assert "from" not in listed[0].params and "until" not in listed[0].params, listed[0].params
    assert len(titles(tmp_path / "oerhub.db")) == len(records) == 150


def test_bad_resumption_token_mid_window_resumes_from_the_window_start(
        tmp_path, quirk_server, write_config, run_oerhub):
    records = yearly_records(YEARS)
    by_year = {year: [r.identifier for r in records if r.datestamp.startswith(str(year))]
               for year in YEARS}
    token_pages_of_2021: list[int] = []
    rejected: list[int] = []

    def expire_second_2021_token_once(n, params, status, headers, body):
        if "resumptionToken" in params and b"<datestamp>2021-" in body:
            token_pages_of_2021.append(n)
            if len(token_pages_of_2021) == 2 and not rejected:
                rejected.append(n)
                return status, headers, server.error("badResumptionToken",
                                                     "the token has expired", params)
        return None
    server = quirk_server(records, page_size=10, granularity=DAY,
                          quirk=expire_second_2021_token_once)
    write_config(source("kz-expire", server.url, country="KZ", window="year"))
    db = tmp_path / "oerhub.db"

    first = run_oerhub("harvest")

    assert first.returncode == 1, shown(first)
    assert rejected, "the quirk never fired: 2021 was not listed in 3 pages"
    run1 = last_run(db, "kz-expire")
    assert run1["status"] == "incomplete", (run1["status"], run1["error"])
    stored = set(titles(db))
    received = {i for r in server.list_records() for i in identifiers_in(r.body)}
    assert stored == received, (
        f"run 1 must store every record it received: not stored {sorted(received - stored)[:5]}")
    before_error = set(by_year[2019]) | set(by_year[2020]) | set(by_year[2021][:20])
    assert before_error <= stored, (
        "run 1 must store 2019, 2020 and the 20 records of 2021 received before the error; "
        f"missing {sorted(before_error - stored)[:5]}")
    assert state(db, "kz-expire")["checkpoint"] is not None, "run 1 must leave a checkpoint"
    run1_windows = first_listing(server.requests)
    assert run1_windows[0].params.get("until", "9999") < "2020-01-01", (
        f"run 1 lists by year windows: {run1_windows[0].params}")
    seen_in_run1 = len(server.requests)

    second = run_oerhub("harvest")

    assert second.returncode == 0, shown(second)
    run2_requests = server.requests[seen_in_run1:]
    run2_listing = [r for r in run2_requests if r.verb == "ListRecords"]
    assert run2_listing, "run 2 made no ListRecords request"
    resumed = run2_listing[0].params
    assert "resumptionToken" not in resumed, f"run 2 must not reuse the rejected token: {resumed}"
    assert resumed.get("from", "").startswith("2021-01-01"), (
        f"run 2 must restart at the start of the failed window (2021-01-01): {resumed}")
    assert "until" not in first_listing(run2_requests)[-1].params, "the last window is open"
    run2 = last_run(db, "kz-expire")
    assert run2["status"] == "ok", (run2["status"], run2["error"])
    assert state(db, "kz-expire")["checkpoint"] is None, "an ok run clears the checkpoint"

    # the reference: one clean run of the same records into a fresh catalogue
    reference = tmp_path / "reference"
    reference.mkdir()
    clean = quirk_server(records, page_size=10, granularity=DAY)
    (reference / "sources.toml").write_text(
        settings() + "\n" + source("kz-expire", clean.url, country="KZ", window="year"),
        encoding="utf-8")
    assert run_in(reference, "harvest").returncode == 0
    assert catalogue(db) == catalogue(reference / "oerhub.db")
    assert len(catalogue(db)) == len(records)


# --- 9. gzip -------------------------------------------------------------------------------

GZIP_CASES = [
    pytest.param(lambda status, headers, body: (status, {**headers, "Content-Encoding": "gzip"},
                                                gzip.compress(body)), id="a-gzip-with-header"),
    pytest.param(lambda status, headers, body: (status, headers, gzip.compress(body)),
                 id="b-gzip-without-header"),
    pytest.param(lambda status, headers, body: (status, {**headers, "Content-Encoding": "gzip"},
                                                body), id="c-header-over-a-plain-body"),
]


@pytest.mark.parametrize("compress", GZIP_CASES)
def test_gzip_in_every_spelling(tmp_path, quirk_server, write_config, run_oerhub, compress):
    records = make_records(15, titles=UKRAINIAN)
    server = quirk_server(records, quirk=lambda n, params, status, headers, body:
                          compress(status, headers, body))
    write_config(source("ua-gzip", server.url))

    result = run_oerhub("harvest")

    assert result.returncode == 0, shown(result)
    db = tmp_path / "oerhub.db"
    assert titles(db) == {r.identifier: r.title for r in records}
    assert last_run(db, "ua-gzip")["status"] == "ok"
    for request in server.requests:
        accepted = request.headers.get("Accept-Encoding", "")
        assert "gzip" in accepted, f"request {request.n} offered Accept-Encoding {accepted!r}"


# --- 10. datestamps ------------------------------------------------------------------------

def test_header_datestamps_are_stored_in_one_spelling(tmp_path, quirk_server, write_config,
                                                      run_oerhub):
    spellings = {  # header datestamp → stored datestamp
        "2021-03-11T10:00:00.485Z": "2021-03-11T10:00:00Z",
        "2021-03-11T10:00:00": "2021-03-11T10:00:00Z",
        "20210311": "2021-03-11",
        "2021-03-11T13:00:00+03:00": "2021-03-11T10:00:00Z",
    }
    records = [Rec(f"oai:ds:{i + 1}", stored, f"Запис {i + 1}", header_datestamp=written)
               for i, (written, stored) in enumerate(spellings.items())]
    server = quirk_server(records, granularity=SECONDS)
    write_config(source("lv-dates", server.url, country="LV"))

    result = run_oerhub("harvest")

    assert result.returncode == 0, shown(result)
    stored = {r["identifier"]: r["datestamp"]
              for r in query(tmp_path / "oerhub.db", "SELECT identifier, datestamp FROM records")}
    assert stored == {r.identifier: r.datestamp for r in records}, (
        "header datestamps as written → stored: "
        + ", ".join(f"{w!r} → {stored.get(f'oai:ds:{i + 1}')!r}"
                    for i, w in enumerate(spellings)))


def test_response_date_with_milliseconds_gives_a_seconds_from(tmp_path, quirk_server,
                                                              write_config, run_oerhub):
    server = quirk_server(make_records(5, start="2024-04-01"), granularity=SECONDS,
                          response_date="2024-05-01T12:00:00.123Z")
    write_config(source("lv-ms", server.url, country="LV"))
    assert run_oerhub("harvest").returncode == 0
    seen = len(server.requests)

    result = run_oerhub("harvest")

    assert result.returncode == 0, shown(result)
    listed = [r for r in server.requests[seen:] if r.verb == "ListRecords"]
    assert listed, "the incremental run made no ListRecords request"
    assert listed[0].params.get("from") == "2024-05-01T12:00:00Z", listed[0].params
    assert last_run(tmp_path / "oerhub.db", "lv-ms")["mode"] == "incremental"


# --- 11. XXE and billion laughs ------------------------------------------------------------

def everything_in(db: Path) -> str:
    """The whole catalogue as SQL text, WAL included."""
    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def test_external_entities_never_reach_the_catalogue(tmp_path, quirk_server, write_config,
                                                     run_oerhub):
    marker = "SECRET-7f3c9a-MARKER"
    secret = tmp_path / "secret.txt"
    secret.write_text(marker)
    records = [
        Rec("oai:xxe:1", "2024-01-01", None, extra="<dc:title>Секрет: &xxe;</dc:title>"),
        Rec("oai:xxe:2", "2024-01-02", "Звичайний запис",
            extra="<dc:description>Опис: &ext;</dc:description>"),
    ]
    server = quirk_server(records)
    server.doctype = (f'<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM "file://{secret}">'
                      f'<!ENTITY ext SYSTEM "{server.url_for("/evil.xml")}">'
                      f'<!ENTITY % remote SYSTEM "{server.url_for("/evil.dtd")}"> %remote;]>')
    write_config(source("ua-xxe", server.url))

    started = time.monotonic()
    result = run_oerhub("harvest", timeout=60)
    elapsed = time.monotonic() - started

    assert elapsed < 10, f"the harvest took {elapsed:.1f} s"
    assert result.returncode == 0, shown(result)
    db = tmp_path / "oerhub.db"
    assert set(titles(db)) == {"oai:xxe:1", "oai:xxe:2"}, "both records are kept"
    assert titles(db)["oai:xxe:2"] == "Звичайний запис"
    assert marker not in everything_in(db), "the secret file's content reached the catalogue"
    assert marker not in result.stdout + result.stderr
    fetched = [r.path for r in server.requests if "evil" in r.path]
    assert not fetched, f"an external entity was fetched over the network: {fetched}"


def test_billion_laughs_is_not_expanded(tmp_path, quirk_server, write_config, run_oerhub):
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    records = [
        Rec("oai:lol:1", "2024-01-01", None, extra="<dc:title>Сміх &l9;</dc:title>"),
        Rec("oai:lol:2", "2024-01-02", "Звичайний запис"),
    ]
    server = quirk_server(records, doctype=f'<!DOCTYPE OAI-PMH [<!ENTITY l0 "lol">{laughs}]>')
    write_config(source("ua-lol", server.url))

    started = time.monotonic()
    result = run_oerhub("harvest", timeout=60)
    elapsed = time.monotonic() - started

    assert elapsed < 10, f"the harvest took {elapsed:.1f} s"
    assert result.returncode == 0, shown(result)
    db = tmp_path / "oerhub.db"
    sizes = query(db, "SELECT MAX(LENGTH(title)) AS title, MAX(LENGTH(description)) AS d "
                      "FROM records")[0]
    assert sizes["title"] < 1000 and (sizes["d"] or 0) < 1000, dict(sizes)
    raw = query(db, "SELECT MAX(LENGTH(raw)) AS n FROM raw_records")[0]["n"]
    assert raw < 100_000, f"a raw record of {raw} characters: an entity was expanded"
    assert "lollollol" not in everything_in(db)
    assert set(titles(db)) == {"oai:lol:1", "oai:lol:2"}, (
        f"both records must be kept; stored {sorted(titles(db))} with run "
        f"{dict(last_run(db, 'ua-lol'))}")
    assert titles(db)["oai:lol:2"] == "Звичайний запис"


# --- 12. a huge page -----------------------------------------------------------------------

def test_a_30_mb_page_is_harvested_whole(tmp_path, quirk_server, write_config, run_oerhub):
    filler = "Лекція з історії України та Східної Європи, джерела і коментарі. " * 40
    records = [Rec(f"oai:huge:{i + 1}", "2024-03-01", f"Том {i + 1}: Історія Київської Русі",
                   extra=f"<dc:description>Опис {i + 1}. {filler}</dc:description>")
               for i in range(6000)]
    server = quirk_server(records, page_size=10_000)
    write_config(source("ua-huge", server.url))

    result = run_oerhub("harvest", timeout=300)

    print(f"peak RSS of the harvest subprocesses so far: "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB")
    assert result.returncode == 0, shown(result)
    pages = [r for r in server.list_records() if b"<record>" in r.body]
    assert len(pages) == 1 and len(pages[0].body) > 25_000_000, "the scenario is one ~30 MB page"
    db = tmp_path / "oerhub.db"
    assert titles(db) == {r.identifier: r.title for r in records}
    sample = query(db, "SELECT description FROM records WHERE identifier = 'oai:huge:4321'")
    assert sample[0]["description"] == f"Опис 4321. {filler}".strip()
    assert last_run(db, "ua-huge")["status"] == "ok"


# --- 13. two harvests at once --------------------------------------------------------------

def slow_source(quirk_server, write_config) -> QuirkServer:
    """~3.3 s of harvest: Identify and 10 pages, 0.3 s per answer."""
    server = quirk_server(make_records(100), page_size=10, delay=0.3)
    write_config(source("ru-slow", server.url, country="RU"))
    return server


def test_a_second_harvest_on_the_same_catalogue_is_refused(tmp_path, quirk_server, write_config,
                                                           run_oerhub):
    server = slow_source(quirk_server, write_config)
    first = start_in(tmp_path, "harvest")
    try:
        wait_for(lambda: len(server.requests) >= 1, 20, "the first harvest's first request")

        started = time.monotonic()
        second = run_oerhub("harvest", timeout=30)
        elapsed = time.monotonic() - started

        _, first_err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert elapsed < 2, f"the refused harvest took {elapsed:.1f} s to give up"
    assert second.returncode == 1, shown(second)
    assert "another harvest" in second.stderr, shown(second)
    assert first.returncode == 0, f"exit {first.returncode}\n{first_err}"
    assert len(server.verbs("Identify")) == 1, "the refused harvest must make no request"
    db = tmp_path / "oerhub.db"
    assert [r["status"] for r in runs(db, "ru-slow")] == ["ok"]
    assert len(titles(db)) == 100


def test_a_second_harvest_with_wait_runs_after_the_first(tmp_path, quirk_server, write_config,
                                                         run_oerhub):
    server = slow_source(quirk_server, write_config)
    first = start_in(tmp_path, "harvest")
    try:
        wait_for(lambda: len(server.requests) >= 1, 20, "the first harvest's first request")
        second = run_oerhub("harvest", "--wait", timeout=60)
        _, first_err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, f"exit {first.returncode}\n{first_err}"
    assert second.returncode == 0, shown(second)
    identifies = server.verbs("Identify")
    assert len(identifies) == 2, "the waiting harvest must run once the first is done"
    before = [r for r in server.requests if r.n < identifies[1].n]
    assert identifies[1].started >= max(r.finished for r in before), (
        "the waiting harvest sent a request while the first was still harvesting")
    db = tmp_path / "oerhub.db"
    assert [(r["status"], r["mode"]) for r in runs(db, "ru-slow")] == [
        ("ok", "full"), ("ok", "incremental")]


def test_a_killed_harvest_leaves_no_stale_lock(tmp_path, quirk_server, write_config, run_oerhub):
    server = slow_source(quirk_server, write_config)
    first = start_in(tmp_path, "harvest")
    try:
        wait_for(lambda: len(server.list_records()) >= 2, 20, "two pages of the first harvest")
        first.send_signal(signal.SIGKILL)
    finally:
        first.communicate(timeout=10)
    server.delay = 0

    result = run_oerhub("harvest", timeout=30)

    assert result.returncode == 0, shown(result)
    assert "another harvest" not in result.stderr, shown(result)
    db = tmp_path / "oerhub.db"
    assert last_run(db, "ru-slow")["status"] == "ok"
    assert len(titles(db)) == 100


# --- 14. per-host politeness with concurrency -----------------------------------------------

def test_sources_on_one_host_share_its_delay(tmp_path, quirk_server, write_config, run_oerhub):
    server = quirk_server(make_records(20), page_size=10, delay=0.2)
    write_config(source("ua-one", server.url_for("/a/oai"), window="none", delay=0.5),
                 source("ua-two", server.url_for("/b/oai"), window="none", delay=0.5))

    result = run_oerhub("harvest", timeout=60)

    assert result.returncode == 0, shown(result)
    paths = {r.path.split("?")[0] for r in server.requests}
    assert paths == {"/a/oai", "/b/oai"}, paths
    ordered = sorted(server.requests, key=lambda r: r.started)
    for before, after in zip(ordered, ordered[1:]):
        assert not overlap(before, after), (
            f"requests {before.n} ({before.path}) and {after.n} ({after.path}) to one host "
            "overlapped")
        gap = after.started - before.started
        assert gap >= 0.45, (f"requests {before.n} and {after.n} to one host came {gap:.2f} s "
                             "apart (delay = 0.5)")
    db = tmp_path / "oerhub.db"
    assert len(titles(db, "ua-one")) == len(titles(db, "ua-two")) == 20


def test_sources_on_different_hosts_are_harvested_at_once(tmp_path, quirk_server, write_config,
                                                          run_oerhub):
    first = quirk_server(make_records(20), page_size=10, delay=0.3, host="127.0.0.2")
    second = quirk_server(make_records(20), page_size=10, delay=0.3, host="127.0.0.3")
    write_config(source("ua-host2", first.url, window="none", delay=0.5),
                 source("ua-host3", second.url, window="none", delay=0.5))

    result = run_oerhub("harvest", timeout=60)

    assert result.returncode == 0, shown(result)
    assert any(overlap(a, b) for a in first.requests for b in second.requests), (
        "no request to 127.0.0.2 overlapped one to 127.0.0.3: the sources were harvested "
        "one after the other")
    db = tmp_path / "oerhub.db"
    assert len(titles(db, "ua-host2")) == len(titles(db, "ua-host3")) == 20


def test_a_token_lookalike_in_the_last_record_costs_a_request_not_a_record(
        tmp_path, quirk_server, write_config, run_oerhub):
    # The next page is asked for before a page is parsed, with the token read from the
    # answer's last lines; a record ending in something that looks like one (here in CDATA)
    # sends that guess to the server. The parsed token decides: nothing is lost or doubled.
    fake = "<dc:description><![CDATA[<resumptionToken>not-a-token</resumptionToken>]]>" \
           "</dc:description>"
    records = [Rec(r.identifier, r.datestamp, r.title, extra=fake) for r in make_records(25)]
    server = quirk_server(records)
    write_config(source("ua-lookalike", server.url, window="none"))

    result = run_oerhub("harvest")

    assert result.returncode == 0, shown(result)
    db = tmp_path / "oerhub.db"
    run = last_run(db, "ua-lookalike")
    assert (run["status"], run["records_new"]) == ("ok", 25), (run["status"], run["error"])
    assert set(titles(db)) == {r.identifier for r in records}
    asked = [r.params.get("resumptionToken") for r in server.list_records()]
    assert "not-a-token" in asked, "the guess from the answer's end was sent"
    real = [t for t in asked if t and t != "not-a-token"]
    assert len(real) == len(set(real)) == 2, f"each real page asked for once: {asked}"
