"""Real responses recorded from public repositories, replayed over HTTP on 127.0.0.1.

The files live in ../shared/fixtures/oai-recorded/ (see its README for origin and quirks);
these tests skip when ../shared is absent.
"""

from __future__ import annotations

import gzip
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import RECORDED, needs_shared, query, source_toml
from lxml import etree

pytestmark = [pytest.mark.shared, needs_shared()]

IDENTIFY = "oaipmh-scythe/identify-02.xml"
DC = "{http://purl.org/dc/elements/1.1/}"


def replay(static_server, pages: list[str], identify: str = IDENTIFY, status: int = 200,
           gzip_without_header: bool = False):
    """Serve Identify and a chain of ListRecords pages linked by their resumption tokens."""
    bodies = [(RECORDED / page).read_bytes() for page in pages]
    by_token: dict[str, bytes] = {}
    for body, following in zip(bodies, bodies[1:]):
        token = etree.fromstring(body).findtext(".//{*}resumptionToken").strip()
        by_token[token] = following

    def respond(path: str) -> tuple[int, dict[str, str], bytes]:
        params = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        if params.get("verb") == "Identify":
            return 200, headers, (RECORDED / identify).read_bytes()
        if "resumptionToken" in params:
            body = by_token.get(params["resumptionToken"])
            if body is None:
                return 404, {"Content-Type": "text/html"}, b"<html><title>404</title></html>"
        else:
            body = bodies[0]
        return status, headers, gzip.compress(body) if gzip_without_header else body
    return static_server(respond)


def harvest(run_oerhub, write_config, server, source_id: str, **extra: object):
    # A replay answers the same page whatever the dates asked: no date windows.
    write_config(source_toml(source_id, server.url + "/oai", window="none", **extra))
    return run_oerhub("harvest")


def test_cyberleninka_page_keeps_every_cyrillic_title(tmp_path, static_server, write_config,
                                                      run_oerhub):
    page = "scrapi/cyberleninka-2015-05-19-p1.xml"
    server = replay(static_server, [page])

    result = harvest(run_oerhub, write_config, server, "ru-cyberleninka", country="RU")

    assert result.returncode == 0, result.stderr
    tree = etree.parse(str(RECORDED / page))
    expected = {r.findtext(".//{*}identifier"): " ".join(r.findtext(f".//{DC}title").split())
                for r in tree.iterfind(".//{http://www.openarchives.org/OAI/2.0/}record")}
    rows = {r["identifier"]: r for r in query(tmp_path / "oerhub.db", "SELECT * FROM records")}
    assert len(expected) == len(rows) == 54
    assert {i: r["title"] for i, r in rows.items()} == expected
    assert rows["oai:cyberleninka.ru:article/14074026"]["title"] == \
        "О ВЫЧИСЛЕНИИ ПОСТОЯННЫХ, ВХОДЯЩИХ В ОЦЕНКИ ЛИНЕЙНЫХ ФОРМ"
    assert all(r["country"] == "RU" for r in rows.values())
    assert all(r["url"].startswith("http://cyberleninka.ru/article/n/") for r in rows.values())
    assert not any(r["url"].endswith(".pdf") for r in rows.values())
    raws = query(tmp_path / "oerhub.db", "SELECT raw FROM raw_records")
    assert all("bibo:uri" in r["raw"] or "dc:title" in r["raw"] for r in raws)


def test_token_paging_ends_on_an_empty_token(tmp_path, static_server, write_config, run_oerhub):
    server = replay(static_server, ["scrapi/hacettepe-p1.xml", "scrapi/hacettepe-p2.xml"])

    result = harvest(run_oerhub, write_config, server, "tr-hacettepe", country="TR")

    assert result.returncode == 0, result.stderr
    assert query(tmp_path / "oerhub.db", "SELECT COUNT(*) AS n FROM records")[0]["n"] == 103
    listed = [p for p in server.paths if "ListRecords" in p]
    assert len(listed) == 2 and "resumptionToken=2013-06-01T00%3A00%3A00Z" in listed[1]
    titles = [r["title"] for r in query(tmp_path / "oerhub.db", "SELECT title FROM records")]
    assert any("İ" in t or "ı" in t or "ş" in t for t in titles)


def test_aggregator_languages_and_types_are_normalised(tmp_path, static_server, write_config,
                                                       run_oerhub):
    server = replay(static_server, ["scrapi/rcaap-p1.xml", "scrapi/rcaap-p2.xml"])

    result = harvest(run_oerhub, write_config, server, "pt-rcaap", country="PT")

    assert result.returncode == 0, result.stderr
    db = tmp_path / "oerhub.db"
    languages = {r["language_raw"]: r["language"] for r in
                 query(db, "SELECT DISTINCT language_raw, language FROM records")}
    assert languages["por"] == "pt" and languages["eng"] == "en"
    types = {r["resource_type"] for r in query(db, "SELECT resource_type FROM records")}
    assert {"article", "thesis", "conference_paper", "lecture"} <= types


def test_illegal_control_character_is_stripped_and_records_kept(tmp_path, static_server,
                                                                write_config, run_oerhub):
    page = "scrapi/puc-rio-p1.xml"
    assert b"\x0b" in (RECORDED / page).read_bytes()
    server = replay(static_server, [page])

    result = harvest(run_oerhub, write_config, server, "br-pucrio", country="BR")

    assert result.returncode == 0, result.stderr
    rows = query(tmp_path / "oerhub.db", "SELECT title, description FROM records")
    assert len(rows) == 5
    assert not any("\x0b" in (r["title"] or "") + (r["description"] or "") for r in rows)


def test_deleted_records_become_tombstones(tmp_path, static_server, write_config, run_oerhub):
    server = replay(static_server, ["pyoai/fake2/00002.xml"])

    result = harvest(run_oerhub, write_config, server, "nl-eur", country="NL")

    assert result.returncode == 0, result.stderr
    db = tmp_path / "oerhub.db"
    assert query(db, "SELECT COUNT(*) AS n FROM records")[0]["n"] == 81
    assert query(db, "SELECT COUNT(*) AS n FROM records WHERE deleted = 1")[0]["n"] == 2
    run = query(db, "SELECT * FROM harvest_runs")[0]
    assert (run["records_new"], run["records_deleted"]) == (79, 2)


def test_html_instead_of_identify_fails_with_what_came_back(tmp_path, static_server,
                                                            write_config, run_oerhub):
    server = replay(static_server, ["scrapi/csir-p1.xml"], identify="oaipmh-scythe/identify-01.xml")

    result = harvest(run_oerhub, write_config, server, "xx-html", country="ZA")

    assert result.returncode == 1
    assert "HTML page" in result.stderr and "Traceback" not in result.stderr
    run = query(tmp_path / "oerhub.db", "SELECT * FROM harvest_runs")[0]
    assert run["status"] == "failed" and "HTML page" in run["error"]


def test_no_records_match_with_http_422_is_an_empty_success(tmp_path, static_server,
                                                            write_config, run_oerhub):
    server = replay(static_server, ["oaipmh-scythe/list_records-03.xml"], status=422)

    result = harvest(run_oerhub, write_config, server, "eu-zenodo", country="CH")

    assert result.returncode == 0, result.stderr
    run = query(tmp_path / "oerhub.db", "SELECT * FROM harvest_runs")[0]
    assert run["status"] == "ok" and run["records_new"] == 0


def test_gzip_body_without_a_header_is_recognised(tmp_path, static_server, write_config,
                                                  run_oerhub):
    server = replay(static_server, ["scrapi/csir-p1.xml"], gzip_without_header=True)

    result = harvest(run_oerhub, write_config, server, "za-csir", country="ZA")

    assert result.returncode == 0, result.stderr
    rows = query(tmp_path / "oerhub.db", "SELECT language FROM records")
    assert len(rows) == 6 and {r["language"] for r in rows} == {"en"}


def test_failure_mid_harvest_keeps_the_pages_before_it(tmp_path, static_server, write_config,
                                                       run_oerhub):
    # Harvard's page has a token whose next page was not recorded: the replay answers 404.
    server = replay(static_server, ["ingestion3/oai-page.xml"])

    result = harvest(run_oerhub, write_config, server, "us-harvard", country="US",
                     metadata_prefix="mods")

    assert result.returncode == 1
    db = tmp_path / "oerhub.db"
    # MODS has no mapper: its records have no title, and a record without a title is never
    # stored (oerhub.normalize.titled); the run says so
    assert query(db, "SELECT datestamp, format FROM records") == []
    run = query(db, "SELECT status, warnings FROM harvest_runs")[0]
    assert run["status"] == "failed"
    assert "10 records without a title were not stored" in run["warnings"]
    state = query(db, "SELECT checkpoint FROM harvest_state")[0]["checkpoint"]
    assert "botanicals" in state  # the token to resume from was kept with the page
