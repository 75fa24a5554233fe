"""`oerhub harvest` end to end: a real OAI-PMH server on 127.0.0.1, the CLI in a subprocess."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from conftest import query, source_toml

from oerhub.demo.samples import (
    DAY,
    LANGUAGE_SPELLINGS,
    LICENSE_SPELLINGS,
    SampleRepository,
    make_records,
)

ALL_LANGUAGES = list(LANGUAGE_SPELLINGS)


def catalogue_dump(db: Path) -> list[tuple]:
    """Everything a reader sees, without the harvest timestamps."""
    return [tuple(row) for row in query(db, "SELECT source_id, identifier, datestamp, deleted, "
                                            "title, description, url, language, license, "
                                            "license_url, access, resource_type, subjects, "
                                            "creators, date FROM records ORDER BY identifier")]


def test_harvest_1000_multilingual_records(tmp_path, oai_server, write_config, run_oerhub):
    records = make_records("big", 1000, ALL_LANGUAGES)
    repo = SampleRepository("big", records)
    server = oai_server(repo, batch_size=100)
    write_config(source_toml("ua-big", server.url("big")))

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    db = tmp_path / "oerhub.db"
    rows = {r["identifier"]: r for r in query(db, "SELECT * FROM records")}
    assert len(rows) == 1000
    for record in records:
        row = rows[record.identifier]
        assert row["title"] == record.expected["title"]  # byte for byte: no Unicode rewriting
        assert row["language"] == record.expected["language"], row["language_raw"]
        assert row["license"] == record.expected["license"], row["license_raw"]
        assert row["access"] == record.expected["access"], row["license_raw"]
        assert row["license_url"] == record.expected["license_url"]
        assert row["resource_type"] == record.expected["resource_type"], row["resource_type_raw"]
        assert row["url"] == record.expected["url"]
        assert row["language_raw"] == record.fields["language"][0]
        assert row["country"] == "UA"
        assert json.loads(row["creators"]) == record.fields["creator"]
        assert "<p>" not in row["description"] and "&amp;" not in row["description"]
    # every language spelling and every licence spelling of the sample tables was met
    assert {r["language_raw"] for r in rows.values()} == {
        s for spellings in LANGUAGE_SPELLINGS.values() for s in spellings}
    assert {r["license_raw"] for r in rows.values()} == {s for s, _, _ in LICENSE_SPELLINGS}
    raw = query(db, "SELECT raw FROM raw_records JOIN records ON records.id = record_id "
                    "WHERE identifier = 'oai:big:7'")[0]["raw"]
    assert raw.startswith("<oai_dc:dc") and records[6].expected["title"] in raw
    run = query(db, "SELECT * FROM harvest_runs")[0]
    assert (run["status"], run["records_new"], run["records_updated"]) == ("ok", 1000, 0)
    # Identify, 10 pages of 2019 (the records' year), then one empty answer per later year:
    # a full harvest lists year by year, so an expired token costs one year, not everything.
    years_after = datetime.now(timezone.utc).year - 2019
    assert run["requests"] == 1 + 10 + years_after
    listed = server.requests_for("big", "ListRecords")
    assert listed[0].get("from") is None and listed[0]["until"] == "2019-12-31T23:59:59Z"
    assert listed[-1]["from"] == f"{2019 + years_after}-01-01T00:00:00Z" and "until" not in listed[-1]


def test_incremental_run_asks_only_for_changes(tmp_path, oai_server, write_config, run_oerhub):
    records = make_records("inc", 1000, ALL_LANGUAGES)
    repo = SampleRepository("inc", records)
    server = oai_server(repo, batch_size=100)
    write_config(source_toml("kz-inc", server.url("inc"), country="KZ"))
    assert run_oerhub("harvest").returncode == 0
    db = tmp_path / "oerhub.db"
    before = {r["identifier"]: r for r in query(db, "SELECT * FROM records")}

    for n in range(10):
        repo.edit(f"oai:inc:{n + 1}", title=[f"Отредактировано {n}: ქიმია ķīmija"])
    for n in range(100, 105):
        repo.delete(f"oai:inc:{n + 1}")
    for extra in make_records("inc", 3, ["hy", "ka", "lt"], offset=5000):
        repo.add(extra)
    server.requests.clear()

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    listed = server.requests_for("inc", "ListRecords")
    assert len(listed) == 1 and listed[0]["from"].endswith("Z")  # one page, from the last run
    rows = {r["identifier"]: r for r in query(db, "SELECT * FROM records")}
    assert len(rows) == 1003
    assert sum(r["deleted"] for r in rows.values()) == 5
    for n in range(10):
        assert rows[f"oai:inc:{n + 1}"]["title"] == f"Отредактировано {n}: ქიმია ķīmija"
    for n in range(100, 105):
        row = rows[f"oai:inc:{n + 1}"]
        assert row["deleted"] == 1
        assert row["title"] == before[f"oai:inc:{n + 1}"]["title"]  # the tombstone keeps it
    assert {rows[f"oai:inc:{n}"]["language"] for n in (5001, 5002, 5003)} == {"hy", "ka", "lt"}
    unchanged = [i for i in before if i not in {f"oai:inc:{n}" for n in range(1, 11)}
                 and i not in {f"oai:inc:{n}" for n in range(101, 106)}]
    assert all(rows[i]["last_changed"] == before[i]["last_changed"] for i in unchanged)
    run = query(db, "SELECT * FROM harvest_runs ORDER BY id DESC")[0]
    assert (run["mode"], run["records_new"], run["records_updated"], run["records_deleted"],
            run["records_unchanged"]) == ("incremental", 3, 10, 5, 0)
    assert "new       3" in result.stdout and "deleted      5" in result.stdout


def test_harvesting_twice_changes_nothing(tmp_path, oai_server, write_config, run_oerhub):
    repo = SampleRepository("twice", make_records("twice", 250, ["ru", "uk", "be"]))
    for record in list(repo.records.values())[::50]:
        record.deleted = True
    server = oai_server(repo, batch_size=60)
    write_config(source_toml("by-twice", server.url("twice"), country="BY"))
    assert run_oerhub("harvest").returncode == 0
    db = tmp_path / "oerhub.db"
    first = catalogue_dump(db)
    before = len(server.requests_for("twice", "ListRecords"))

    again = run_oerhub("harvest", "--full")

    assert again.returncode == 0, again.stderr
    assert catalogue_dump(db) == first
    assert len(first) == 250 and sum(row[3] for row in first) == 5
    run = query(db, "SELECT * FROM harvest_runs ORDER BY id DESC")[0]
    assert (run["mode"], run["records_new"], run["records_updated"],
            run["records_unchanged"]) == ("full", 0, 0, 250)
    assert server.requests_for("twice", "ListRecords")[before].get("from") is None  # from the start


def test_day_granularity_repository_gets_day_dates(tmp_path, oai_server, write_config,
                                                    run_oerhub):
    repo = SampleRepository("daily", make_records("daily", 30, ["lv", "lt", "et"]),
                            granularity=DAY)
    server = oai_server(repo, batch_size=10)
    write_config(source_toml("lv-daily", server.url("daily"), country="LV"))
    assert run_oerhub("harvest").returncode == 0
    repo.edit("oai:daily:3", title=["Ķīmija 3. izdevums"])

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    incremental = server.requests_for("daily", "ListRecords")[-1]
    assert len(incremental["from"]) == 10 and "T" not in incremental["from"]
    rows = query(tmp_path / "oerhub.db", "SELECT title, datestamp FROM records "
                                         "WHERE identifier = 'oai:daily:3'")
    assert rows[0]["title"] == "Ķīmija 3. izdevums"
    assert len(rows[0]["datestamp"]) == 10


def test_sets_limit_the_harvest(tmp_path, oai_server, write_config, run_oerhub):
    records = make_records("sets", 90, ["uk", "ru"], sets=["textbooks", "articles", "theses"])
    server = oai_server(SampleRepository("sets", records, sets={"textbooks": "T", "articles": "A",
                                                                "theses": "D"}), batch_size=20)
    write_config(source_toml("ua-sets", server.url("sets"), sets=["textbooks", "theses"]))

    assert run_oerhub("harvest").returncode == 0

    rows = query(tmp_path / "oerhub.db", "SELECT sets FROM records")
    assert len(rows) == 60
    assert {json.loads(r["sets"])[0] for r in rows} == {"textbooks", "theses"}
    assert {r.get("set") for r in server.requests_for("sets", "ListRecords")
            if "resumptionToken" not in r} == {"textbooks", "theses"}


def test_one_failing_source_does_not_stop_the_others(tmp_path, oai_server, static_server,
                                                     write_config, run_oerhub):
    good = oai_server(SampleRepository("good", make_records("good", 40, ["et", "ru"])))
    html = static_server(lambda path: (200, {"Content-Type": "text/html"},
                                       b"<!DOCTYPE html><html><head><title>Site under "
                                       b"maintenance</title></head><body>Back soon</body></html>"))
    write_config(source_toml("ee-good", good.url("good"), country="EE"),
                 source_toml("ee-html", html.url + "/oai/request", country="EE"),
                 source_toml("ee-dead", "http://127.0.0.1:9/oai", country="EE"))

    result = run_oerhub("harvest")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "ee-html: failed:" in result.stderr and "HTML page titled 'Site under maintenance'" \
        in result.stderr
    assert "ee-dead: failed:" in result.stderr and "connection refused" in result.stderr
    db = tmp_path / "oerhub.db"
    assert query(db, "SELECT COUNT(*) AS n FROM records WHERE source_id = 'ee-good'")[0]["n"] == 40
    runs = {r["source_id"]: r for r in query(db, "SELECT * FROM harvest_runs")}
    assert runs["ee-good"]["status"] == "ok"
    assert runs["ee-html"]["status"] == runs["ee-dead"]["status"] == "failed"
    assert "HTML page" in runs["ee-html"]["error"]
    assert "1 of 3 sources harvested" in result.stdout


def test_a_failed_run_keeps_the_incremental_start(tmp_path, oai_server, write_config,
                                                  run_oerhub):
    repo = SampleRepository("flaky", make_records("flaky", 20, ["ru"]))
    server = oai_server(repo)
    write_config(source_toml("ru-flaky", server.url("flaky"), country="RU"))
    assert run_oerhub("harvest").returncode == 0
    db = tmp_path / "oerhub.db"
    since = query(db, "SELECT since FROM harvest_state")[0]["since"]
    write_config(source_toml("ru-flaky", "http://127.0.0.1:9/oai", country="RU"))
    assert run_oerhub("harvest").returncode == 1
    assert query(db, "SELECT since FROM harvest_state")[0]["since"] == since
    assert query(db, "SELECT COUNT(*) AS n FROM records")[0]["n"] == 20


def test_user_agent_names_oerhub_and_the_contact(tmp_path, static_server, write_config,
                                                 run_oerhub):
    server = static_server(lambda path: (503, {"Retry-After": "0"}, b"busy"))
    write_config(source_toml("ua-ua", server.url + "/oai"))

    result = run_oerhub("harvest")

    assert result.returncode == 1
    agent = server.headers[0]["User-Agent"]
    assert agent.startswith("oerhub/") and "mailto:tests@example.org" in agent
    assert "HTTP 503" in result.stderr and "ua-ua: failed" in result.stderr


def test_kill_during_harvest_resumes_without_starting_over(tmp_path, oai_server, write_config,
                                                           run_oerhub):
    """SIGKILL part-way; the rerun continues from the stored token and ends as an unbroken run."""
    import os
    import signal
    import subprocess
    import sys
    import time

    records = make_records("kill", 600, ["ru", "uk", "kk", "ka"])
    repo = SampleRepository("kill", records)
    server = oai_server(repo, batch_size=50)
    server.delay = 0.15  # slow enough for the kill to land part-way
    write_config(source_toml("ru-kill", server.url("kill"), country="RU"))
    db = tmp_path / "oerhub.db"
    env = {**os.environ, "OERHUB_CONFIG": str(tmp_path / "sources.toml"), "OERHUB_DB": str(db)}
    process = subprocess.Popen([sys.executable, "-m", "oerhub.cli", "harvest"], cwd=tmp_path,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and stored < 200:
        time.sleep(0.05)
        if db.exists():
            try:
                stored = query(db, "SELECT COUNT(*) AS n FROM records")[0]["n"]
            except Exception:  # the table may not exist yet
                stored = 0
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert 200 <= stored < 600, "the kill should land part-way"
    pages_before_kill = len(server.requests_for("kill", "ListRecords"))
    server.delay = 0

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    resumed = server.requests_for("kill", "ListRecords")[pages_before_kill:]
    assert "resumptionToken" in resumed[0], "the rerun must continue, not start over"
    in_2019 = [r for r in resumed if "resumptionToken" in r or r.get("until", "").startswith("2019")]
    assert len(in_2019) <= 12 - 4 + 1  # 12 pages in all, at least 4 were stored before the kill
    runs = query(db, "SELECT status, mode FROM harvest_runs ORDER BY id")
    assert [r["status"] for r in runs] == ["incomplete", "ok"]
    assert runs[1]["mode"] == "full+resume"
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "sources.toml").write_text((tmp_path / "sources.toml").read_text())
    env_ref = {**env, "OERHUB_CONFIG": str(reference / "sources.toml"),
               "OERHUB_DB": str(reference / "oerhub.db")}
    subprocess.run([sys.executable, "-m", "oerhub.cli", "harvest"], cwd=reference, env=env_ref,
                   check=True, capture_output=True)
    assert catalogue_dump(db) == catalogue_dump(reference / "oerhub.db")
    assert len(catalogue_dump(db)) == 600
