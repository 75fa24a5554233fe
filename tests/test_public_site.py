"""The public site and the link checker facing hostile input (issue 12, items 10-12).

The site is the one `oerhub serve` runs (`make_datasette` on config/), asked through Datasette's
in-process client, and over HTTP through uvicorn on 127.0.0.1 where a real socket matters
(a body that never ends). The catalogue is written through the store's own API; the link
checker visits servers on 127.0.0.1 and 127.0.0.2 with the allow setting off or narrowed.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT, SiteClient, query, source_toml, stopping
from loopback import LoopbackServer, send

from oerhub.catalogue import Catalogue
from oerhub.enrich.links import check_links
from oerhub.errors import OerhubError
from oerhub.models import Batch, RawRecord, Record, RunProgress
from oerhub.netguard import ALLOW_ENV
from oerhub.publish.serve import INTERNAL_TABLES, load_site, make_datasette
from oerhub.registry import load_config

RECORDS = 1200  # more than max_returned_rows (1,000)
SETTINGS = ('[harvest]\ncontact = "mailto:tests@example.org"\ntimeout = 2\nretries = 0\n'
            "backoff = 0\ndelay = 0\n")


def store(db: Path, source_id: str, records: list[tuple[str, str | None]]) -> None:
    """(identifier, url) live records of a source, through the store."""
    with Catalogue(db) as catalogue:
        run = catalogue.start_run(source_id, "full", None)
        recs = [Record(source_id, identifier, "2024-01-01", title=f"Запис {identifier}",
                       url=url, country="UA") for identifier, url in records]
        raws = [RawRecord(source_id, r.identifier, r.datestamp, False, "oai_dc",
                          f"<secret>{r.identifier}</secret>") for r in recs]
        catalogue.store_batch(RunProgress(run, source_id, 0, 0), Batch(raws, None, normalised=recs))
        catalogue.finish_run(run, source_id, "ok")


def new_catalogue(directory: Path, *sources: str) -> Path:
    config = directory / "sources.toml"
    config.write_text(SETTINGS + "\n" + "".join(
        source_toml(s, "http://127.0.0.1:9/oai") for s in sources), encoding="utf-8")
    db = directory / "oerhub.db"
    with Catalogue(db) as catalogue:
        catalogue.sync_sources(load_config(config))
    return db


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = new_catalogue(tmp_path_factory.mktemp("public"), "ua-a")
    store(db, "ua-a", [(f"r{n}", f"https://example.org/{n}") for n in range(RECORDS)])
    return db


@pytest.fixture(scope="module")
def site(catalogue: Path) -> Iterator[SiteClient]:
    served = SiteClient.serving(catalogue)
    yield served
    served.close()


def sql_url(sql: str, **extra: str) -> str:
    return "/oerhub.json?" + urllib.parse.urlencode({"sql": sql, **extra})


def post(site: SiteClient, path: str, body: bytes) -> Any:
    return site.loop.run_until_complete(site.ds.client.post(
        path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}))


# --- 10. what one query or one request may cost ------------------------------------------------


def test_a_huge_value_is_refused_by_sqlite_not_built(site: SiteClient) -> None:
    # the query built 1 GB (zeroblob(499999999)); this one 6 MB, over the 2 MiB limit
    response = site.get(sql_url("select hex(zeroblob(3000000)) as big"))
    assert response.status_code == 400
    assert "string or blob too big" in response.json()["error"]
    assert len(response.content) < 10_000
    assert site.get(sql_url("select length(hex(zeroblob(500000))) as n")).json()["rows"] \
        == [[1_000_000]]  # a value under the limit is fine


def test_many_big_rows_are_stopped_by_the_result_budget(site: SiteClient) -> None:
    # 1,000 rows (within max_returned_rows) of 40 KB each: 40 MB, over the 8 MiB budget
    rows = ("with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000) "
            "select i, hex(zeroblob(20000)) as blob from n")
    response = site.get(sql_url(rows))
    assert response.status_code == 400
    assert "query result too large" in response.json()["error"]
    assert len(response.content) < 10_000
    # the ordinary pages of the catalogue pass it: the biggest page of records
    page = site.get("/oerhub/records.json?_size=1000&_shape=objects")
    assert page.status_code == 200 and len(page.json()["rows"]) == 1000


def test_the_limits_are_set_in_metadata_yaml(catalogue: Path) -> None:
    site_config = load_site(PROJECT / "config" / "metadata.yaml")
    site_config.metadata = {**site_config.metadata, "plugins": {
        **site_config.metadata.get("plugins", {}),
        "oerhub-site": {"max_result_bytes": 50_000, "max_value_bytes": 20_000,
                        "max_body_bytes": 10}}}
    narrow = SiteClient(make_datasette(catalogue, site_config))
    try:
        page = narrow.get("/oerhub/records.json?_size=1000")
        assert page.status_code == 400 and "query result too large" in page.json()["error"]
        assert "string or blob too big" in narrow.get(
            sql_url("select hex(zeroblob(30000))")).json()["error"]
        assert post(narrow, "/oai", b"verb=Identify").status_code == 413
    finally:
        narrow.close()
    site_config.metadata["plugins"]["oerhub-site"] = {"max_rows": 5}
    with pytest.raises(OerhubError, match="max_rows"):
        make_datasette(catalogue, site_config)


def test_requests_with_sql_are_answered_a_few_at_a_time(catalogue: Path) -> None:
    site_config = load_site(PROJECT / "config" / "metadata.yaml")
    site_config.metadata = {**site_config.metadata, "plugins": {
        **site_config.metadata.get("plugins", {}),
        "oerhub-site": {"max_sql_requests": 1, "max_sql_waiting": 1}}}
    narrow = SiteClient(make_datasette(catalogue, site_config))
    slow = sql_url("with recursive n(i) as (select 1 union all select i + 1 from n "
                   "where i < 500000) select count(*) from n")

    async def at_once() -> list[Any]:
        client = narrow.ds.client
        return await asyncio.gather(client.get(slow), client.get(slow), client.get(slow),
                                    client.get("/oerhub/resources.json?_size=1"))
    try:
        narrow.get("/")  # started: the first requests set the site up
        answers = narrow.loop.run_until_complete(at_once())
    finally:
        narrow.close()
    # one answered, one waited its turn and was answered, one refused; other pages unaffected
    assert sorted(a.status_code for a in answers[:3]) == [200, 200, 503]
    refused = next(a for a in answers if a.status_code == 503)
    assert refused.headers["retry-after"] == "1" and "Too many SQL queries" in refused.text
    assert answers[3].status_code == 200


def test_a_request_body_over_the_limit_is_refused_413(site: SiteClient) -> None:
    response = post(site, "/oai", b"verb=Identify&x=" + b"y" * 100_000)
    assert response.status_code == 413
    assert "at most 65,536 bytes" in response.text
    small = post(site, "/oai", b"verb=Identify")  # an OAI-PMH POST is far below it
    assert small.status_code == 200 and b"<Identify>" in small.content

    async def chunks() -> Any:  # no Content-Length: refused once past the limit
        yield b"verb=Identify&x="
        for _ in range(100):
            yield b"y" * 1000

    chunked = site.loop.run_until_complete(site.ds.client.post(
        "/oai", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}))
    assert chunked.status_code == 413


@pytest.fixture(scope="module")
def http_site(catalogue: Path) -> Iterator[str]:
    """The site served by uvicorn on 127.0.0.1, as `oerhub serve` serves it."""
    import uvicorn

    ds = make_datasette(catalogue, load_site(PROJECT / "config" / "metadata.yaml"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(ds.app(), host="127.0.0.1", port=port,
                                           log_level="error", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    for database in ds.databases.values():
        database.close()


def test_a_100_mb_post_is_answered_413_before_its_body_is_sent(http_site: str) -> None:
    host, port = http_site.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /oai HTTP/1.1\r\nHost: " + http_site.encode() + b"\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 100000000\r\n\r\nverb=Identify&x=")
        started = time.monotonic()
        answer = sock.recv(4096)  # the 100 MB never come: the server must not wait for them
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 2
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: " + http_site.encode() + b"\r\n"
                     b"Connection: close\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")


# --- 11. internal tables are not served at all --------------------------------------------------


@pytest.mark.parametrize("table", INTERNAL_TABLES)
def test_internal_tables_have_no_page_row_json_or_csv(site: SiteClient, table: str) -> None:
    for path in (f"/oerhub/{table}", f"/oerhub/{table}.json", f"/oerhub/{table}.csv",
                 f"/oerhub/{table}.csv?_stream=on", f"/oerhub/{table}/1",
                 f"/oerhub/{table}/1.json"):
        response = site.get(path)
        assert response.status_code in (400, 403, 404), (path, response.status_code)
        assert "<secret>" not in response.text
    listed = {t["name"] for t in site.get("/oerhub.json").json()["tables"]}
    assert table not in listed and "records" in listed


@pytest.mark.parametrize("sql", [
    "select * from raw_records",
    "select source_id from harvest_state",
    "select url from web_pages",
    "select r.title, x.raw from records r join RAW_RECORDS x on x.record_id = r.id",
    "with t as (select * from raw_records) select * from t",
    "select key from record_keys",
    "select name, pageno, payload from dbstat",
])
def test_sql_cannot_read_internal_tables(site: SiteClient, sql: str) -> None:
    response = site.get(sql_url(sql + " limit 5", _shape="arrays"))
    assert response.status_code == 200, response.text[:300]
    rows = response.json()["rows"]
    assert all(value is None for row in rows for value in row[-1:]), rows
    assert "<secret>" not in response.text
    matches = site.get(sql_url(
        "select count(*) from raw_records where raw like '%secret%'")).json()["rows"]
    assert matches == [[0]]  # not even as an oracle


def test_the_public_tables_and_pages_still_answer(site: SiteClient, catalogue: Path) -> None:
    record_id = query(catalogue, "SELECT id FROM records ORDER BY id")[0][0]
    for path in ("/", "/oerhub", "/oerhub/resources", f"/oerhub/records/{record_id}",
                 "/oerhub/link_checks", "/-/dashboards/coverage", "/oai?verb=Identify"):
        assert site.get(path).status_code == 200, path
    assert site.get(sql_url("select count(*) from resources")).json()["rows"] == [[RECORDS]]


def test_csv_streaming_cannot_pass_the_row_limit(site: SiteClient) -> None:
    assert site.ds.setting("max_returned_rows") == 1000
    for path in ("/oerhub/records.csv?_stream=on", "/oerhub/records.csv?_stream=1&_size=max",
                 "/oerhub/resources.csv?_stream=on"):
        response = site.get(path)
        lines = response.text.splitlines()
        assert response.status_code == 400 or len(lines) <= 1001, (path, len(lines))
    assert len(site.get("/oerhub/records.csv?_size=max").text.splitlines()) == 1001


def test_no_page_shows_the_servers_file_paths(site: SiteClient, catalogue: Path) -> None:
    secrets = [str(catalogue.resolve()), str(catalogue.resolve().parent)]
    databases = site.get("/-/databases.json")
    assert databases.status_code == 200
    assert [d["name"] for d in databases.json()] == ["oerhub"]
    for path in ("/-/databases.json", "/-/databases", "/-/versions.json", "/-/plugins.json",
                 "/-/settings.json", "/-/metadata.json", "/-/threads.json", "/oerhub.json",
                 "/.json"):
        text = site.get(path).text
        assert not any(secret in text for secret in secrets), path


# --- 12. the link checker stays out of private networks -----------------------------------------


class Admin:
    """An "internal" server on a loopback address: it must never be asked anything."""

    def __init__(self, host: str = "127.0.0.1",
                 routes: dict[str, tuple[int, dict[str, str]]] | None = None) -> None:
        self.hits: list[str] = []
        self.routes = routes or {}

        def handle(request: BaseHTTPRequestHandler) -> None:
            self.hits.append(f"{request.command} {request.path}")
            status, headers = self.routes.get(request.path.split("?")[0], (200, {}))
            send(request, status, {"Content-Type": "text/plain", **headers}, b"admin",
                 with_body=request.command == "GET")

        self.server = LoopbackServer(handle, host, head=True)
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def servers() -> Iterator[Callable[..., Admin]]:
    yield from stopping(Admin)


def checks(db: Path) -> dict[str, tuple[Any, ...]]:
    rows = query(db, "SELECT r.identifier, c.outcome, c.status, c.final_url, c.error "
                     "FROM link_checks c JOIN records r ON r.id = c.record_id")
    return {row["identifier"]: tuple(row)[1:] for row in rows}


def test_links_to_private_addresses_are_refused_and_not_visited(
        tmp_path: Path, servers: Callable[..., Admin], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW_ENV, raising=False)  # the default: only public addresses
    admin = servers()
    port = admin.server.port
    urls = {
        "loopback": f"{admin.url}/internal/admin?token=s3cr3t",
        "localhost": f"http://localhost:{port}/internal/admin",
        "short-form": f"http://127.1:{port}/internal/admin",
        "decimal": f"http://2130706433:{port}/internal/admin",
        "ipv6-loopback": f"http://[::1]:{port}/",
        "mapped": f"http://[::ffff:127.0.0.1]:{port}/",
        "private": "http://10.255.255.1/",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "multicast": "http://224.0.0.1/",
        "unspecified": f"http://0.0.0.0:{port}/",
    }
    db = new_catalogue(tmp_path, "ua-a")
    store(db, "ua-a", list(urls.items()))

    run = check_links(load_config(tmp_path / "sources.toml"), db)

    assert run.counts["refused"] == len(urls) and run.requests == 0
    assert admin.hits == []
    found = checks(db)
    for name, url in urls.items():
        outcome, status, final_url, error = found[name]
        assert (outcome, status, final_url) == ("refused", None, url), name
        assert error.endswith("; not visited (only public addresses are)"), error
    assert found["loopback"][3].startswith("a loopback address")
    assert found["localhost"][3].startswith("localhost resolves to a loopback address")
    assert found["private"][3].startswith("a private address")
    assert found["metadata"][3].startswith("a link-local address")
    assert found["multicast"][3].startswith("a multicast address")
    assert run.describe().endswith(f"0 disallowed, {len(urls)} refused")


def test_a_redirect_to_a_private_address_is_refused_on_every_hop(
        tmp_path: Path, servers: Callable[..., Admin], monkeypatch: pytest.MonkeyPatch) -> None:
    inside = servers("127.0.0.2")  # not let in: stands for the private network
    public = servers("127.0.0.1", routes={  # let in: stands for the public web
        "/to-admin": (302, {"Location": f"{inside.url}/internal/admin?token=s3cr3t"}),
        "/to-metadata": (301, {"Location": "http://169.254.169.254/latest/"}),
        "/hop": (302, {"Location": "/to-admin"}),
    })
    monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")
    db = new_catalogue(tmp_path, "ua-a")
    store(db, "ua-a", [("admin", f"{public.url}/to-admin"), ("hop", f"{public.url}/hop"),
                       ("metadata", f"{public.url}/to-metadata"),
                       ("fine", f"{public.url}/page")])

    run = check_links(load_config(tmp_path / "sources.toml"), db)

    assert inside.hits == []
    found = checks(db)
    target = f"{inside.url}/internal/admin?token=s3cr3t"
    assert found["admin"][:3] == ("refused", 302, target)
    assert found["hop"][:3] == ("refused", 302, target)
    assert found["metadata"][:3] == ("refused", 301, "http://169.254.169.254/latest/")
    assert found["fine"] == ("live", 200, f"{public.url}/page", None)
    assert run.counts["refused"] == 3


def test_every_connection_is_checked_even_a_redirect_of_robots_txt(
        tmp_path: Path, servers: Callable[..., Admin], monkeypatch: pytest.MonkeyPatch) -> None:
    inside = servers("127.0.0.2")
    public = servers("127.0.0.1", routes={
        "/robots.txt": (302, {"Location": f"{inside.url}/robots.txt"})})
    monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")
    db = new_catalogue(tmp_path, "ua-a")
    store(db, "ua-a", [("page", f"{public.url}/page")])

    check_links(load_config(tmp_path / "sources.toml"), db)

    assert inside.hits == []  # requests followed the redirect itself: the connection refused it
    outcome, status, _, error = checks(db)["page"]
    assert (outcome, status) == ("error", None)
    assert "robots.txt could not be read" in error and "refused to connect" in error


def test_the_allow_setting_lets_the_named_networks_in(
        tmp_path: Path, servers: Callable[..., Admin], monkeypatch: pytest.MonkeyPatch) -> None:
    admin = servers("127.0.0.2")
    db = new_catalogue(tmp_path, "ua-a")
    store(db, "ua-a", [("admin", f"{admin.url}/intranet")])
    config = load_config(tmp_path / "sources.toml")
    for value in ("1", "127.0.0.0/8", "10.0.0.0/8, 127.0.0.2"):
        monkeypatch.setenv(ALLOW_ENV, value)
        check_links(config, db)
        assert checks(db)["admin"] == ("live", 200, f"{admin.url}/intranet", None), value
    monkeypatch.setenv(ALLOW_ENV, "intranet")
    with pytest.raises(OerhubError, match=ALLOW_ENV):
        check_links(config, db)
