"""The commands other than harvest, and the promises the CLI makes to every user."""

from __future__ import annotations

import json
import re

import click
from conftest import PROJECT, query, source_toml

from oerhub.cli import cli
from oerhub.demo.samples import SampleRepository, make_records


def test_bad_registry_stops_with_file_source_and_field(tmp_path, write_config, run_oerhub):
    path = write_config(source_toml("ua-one", "http://127.0.0.1:9/oai"),
                        source_toml("ua-two", "http://127.0.0.1:9/oai", country="XX"))

    result = run_oerhub("harvest")

    assert result.returncode == 2
    assert str(path) in result.stderr and "'ua-two'" in result.stderr \
        and "'country'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "oerhub.db").exists()  # nothing was touched


def test_unknown_source_is_a_usage_error(write_config, run_oerhub):
    write_config(source_toml("ua-one", "http://127.0.0.1:9/oai"))

    result = run_oerhub("harvest", "--source", "ua-nope")

    assert result.returncode == 2
    assert "no source with id 'ua-nope'" in result.stderr and "ua-one" in result.stderr


def test_unknown_option_is_a_usage_error(run_oerhub):
    result = run_oerhub("harvest", "--fulll")
    assert result.returncode == 2 and "No such option" in result.stderr


def test_sources_list_shows_the_real_registry_by_country(run_oerhub):
    result = run_oerhub("sources", "list", "--config", str(PROJECT / "config/sources.toml"))

    assert result.returncode == 0, result.stderr
    assert "136 sources in 15 countries, 95 enabled" in result.stdout
    assert re.search(r"^UA  Ukraine \(20\)$", result.stdout, re.M)
    assert re.search(r"^\s+md-utm-repository\s+disabled", result.stdout, re.M)


def test_sources_list_json_for_one_country(run_oerhub):
    result = run_oerhub("sources", "list", "--country", "ee", "--json",
                        "--config", str(PROJECT / "config/sources.toml"))

    rows = json.loads(result.stdout)
    assert len(rows) == 11 and {r["country"] for r in rows} == {"EE"}
    assert all(r["last_run"] is None for r in rows)


def test_sources_list_shows_the_last_run(oai_server, write_config, run_oerhub):
    server = oai_server(SampleRepository("one", make_records("one", 5, ["hy"])))
    write_config(source_toml("am-one", server.url("one"), country="AM"))
    assert run_oerhub("harvest").returncode == 0

    result = run_oerhub("sources", "list")

    assert re.search(r"am-one\s+enabled\s+ok 20\d\d-", result.stdout)


def test_sources_check_reports_granularity_formats_and_failures(oai_server, write_config,
                                                                run_oerhub):
    server = oai_server(SampleRepository("lom", make_records("lom", 3, ["et"]),
                                         formats=("oai_dc", "lom")))
    path = write_config(source_toml("ee-lom", server.url("lom"), country="EE",
                                    metadata_prefix="lom"),
                 source_toml("ee-dc", server.url("lom"), country="EE", enabled=False),
                 source_toml("ee-mods", server.url("lom"), country="EE", metadata_prefix="mods",
                             enabled=False),
                 source_toml("ee-dead", "http://127.0.0.1:9/oai", country="EE"))

    result = run_oerhub("sources", "check")

    assert result.returncode == 1
    assert re.search(r"^ee-lom\s+ok\s+YYYY-MM-DDThh:mm:ssZ\s+oai_dc, lom$", result.stdout, re.M)
    assert re.search(r"^ee-mods\s+FAILED\s+the repository does not offer metadata_prefix "
                     r"'mods'", result.stdout, re.M)
    assert re.search(r"^ee-dead\s+FAILED\s+connection refused", result.stdout, re.M)
    assert re.search(rf"^ee-dc\s+ok.*\n\s+confirmed: set enabled = true for it in {path}$",
                     result.stdout, re.M)
    assert result.stdout.count("confirmed:") == 1  # only the disabled source that answered
    assert "2 of 4 sources answered correctly" in result.stdout
    as_json = json.loads(run_oerhub("sources", "check", "--source", "ee-lom", "--json").stdout)
    assert as_json[0]["ok"] and as_json[0]["details"]["deleted_record"] == "persistent"
    assert len(server.requests_for("lom", "ListRecords")) == 0  # a check harvests nothing


def test_renormalize_maps_stored_raw_records_again(tmp_path, oai_server, write_config,
                                                   run_oerhub):
    records = make_records("re", 40, ["uk", "ka"])
    server = oai_server(SampleRepository("re", records))
    write_config(source_toml("ua-re", server.url("re")))
    assert run_oerhub("harvest").returncode == 0
    db = tmp_path / "oerhub.db"
    good = query(db, "SELECT id, title, language, license, resource_type FROM records")
    import sqlite3
    conn = sqlite3.connect(db)  # what an older, worse mapping might have stored
    conn.execute("UPDATE records SET language = NULL, license = 'wrong', title = 'x' "
                 "WHERE id % 2 = 0")
    conn.commit()
    conn.close()
    requests_before = len(server.requests)

    result = run_oerhub("renormalize")

    assert result.returncode == 0, result.stderr
    assert "40 records normalised again, 20 changed" in result.stdout
    assert query(db, "SELECT id, title, language, license, resource_type FROM records") == good
    assert len(server.requests) == requests_before  # nothing was fetched


def test_runs_lists_history_and_failures(oai_server, write_config, run_oerhub):
    server = oai_server(SampleRepository("r", make_records("r", 5, ["lt"])))
    write_config(source_toml("lt-r", server.url("r"), country="LT"),
                 source_toml("lt-dead", "http://127.0.0.1:9/oai", country="LT"))
    run_oerhub("harvest")

    everything = run_oerhub("runs")
    failed = run_oerhub("runs", "--failed")

    assert everything.returncode == failed.returncode == 0
    assert "lt-r" in everything.stdout and "lt-dead" in everything.stdout
    assert "lt-r" not in failed.stdout and "lt-dead" in failed.stdout
    assert "connection refused" in failed.stdout
    assert re.search(r"lt-r .* requests \d+  0\.0 MB  \d+\.\d s$", everything.stdout, re.M)


def test_runs_without_a_catalogue_says_so(run_oerhub):
    result = run_oerhub("runs", "--db", "missing.db")
    assert result.returncode == 2 and "no catalogue there yet" in result.stderr


def test_a_file_that_is_not_a_catalogue_is_refused(tmp_path, run_oerhub):
    (tmp_path / "notes.db").write_text("these are my notes, not SQLite\n" * 100)
    result = run_oerhub("runs", "--db", "notes.db")
    assert result.returncode == 2 and "cannot be used as a catalogue" in result.stderr
    assert (tmp_path / "notes.db").read_text().startswith("these are my notes")


def test_demo_serves_harvests_and_explains(tmp_path, run_oerhub):
    result = run_oerhub("demo", "--dir", "demo")

    assert result.returncode == 0, result.stderr
    db = tmp_path / "demo" / "oerhub.db"
    # 760 live records of the 5 sample repositories, 44 of the 4 sample web portals
    by_protocol = {row["protocol"]: row["n"] for row in query(
        db, "SELECT s.protocol, COUNT(*) AS n FROM records r JOIN sources s ON s.id = r.source_id "
            "WHERE r.deleted = 0 GROUP BY s.protocol")}
    assert by_protocol == {"oai-pmh": 760, "sitemap": 12, "json-api": 12, "html": 10, "feed": 10}
    assert len(query(db, "SELECT DISTINCT language FROM records WHERE deleted = 0 "
                         "AND language IS NOT NULL")) == 16
    # robots.txt keeps the Moldovan portal's draft out, and the summary says so
    assert "robots.txt disallows 1 URL(s), not fetched" in result.stdout
    assert "/md/ciorne/1" not in {row["url"] for row in query(db, "SELECT url FROM records")}
    assert "Browse it:" in result.stdout and f"oerhub serve --db {db.relative_to(tmp_path)}" \
        in result.stdout
    # the demo runs what a scheduled run runs: languages are detected after the harvest
    checked = query(db, "SELECT COUNT(*) AS n FROM records WHERE deleted = 0 "
                        "AND language_checked IS NOT NULL")[0]["n"]
    assert checked == 804, checked
    assert "languages: 804 records checked" in result.stdout


def _commands(group: click.Group, prefix: str = "oerhub") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix} {name}")
        else:
            found.append((f"{prefix} {name}", command))
    return found


def test_every_command_is_in_the_readme_with_an_example():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    for name, command in _commands(cli):
        assert f"`{name}" in readme, f"{name} is not documented in README.md"
        assert "Examples:" in (command.help or ""), f"{name} --help has no example"


def test_readme_names_the_commands_ci_runs():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    ci = (PROJECT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme and "make demo" in readme
    assert re.search(r"^make test$", ci, re.M)


def test_schedule_prints_entries_with_absolute_paths(tmp_path, write_config, run_oerhub):
    write_config(source_toml("ua-one", "http://127.0.0.1:9/oai"))
    (tmp_path / "data").mkdir()

    cron = run_oerhub("schedule", "--cron", "--at", "04:05", "--db", "data/oer.db")
    systemd = run_oerhub("schedule", "--systemd", "--user", "oer")
    neither = run_oerhub("schedule")

    assert cron.returncode == 0, cron.stderr
    line = [x for x in cron.stdout.splitlines() if not x.startswith("#")][0]
    assert line.startswith("5 4 * * * ") and "harvest --quiet" in line
    assert f"OERHUB_DB={tmp_path}/data/oer.db" in line
    assert systemd.returncode == 0 and "OnCalendar=*-*-* 03:17:00" in systemd.stdout
    assert "User=oer" in systemd.stdout
    assert "harvest --quiet; " in line and line.endswith(" languages detect --quiet; } 2>&1 | "
                                                         f"tee -a {tmp_path}/data/harvest.log")
    assert re.search(r"^ExecStart=\S+ -m oerhub.cli harvest --quiet$", systemd.stdout, re.M)
    assert re.search(r"^ExecStopPost=\S+ -m oerhub.cli languages detect --quiet$",
                     systemd.stdout, re.M)
    assert neither.returncode == 2 and "give one of --cron or --systemd" in neither.stderr


def test_languages_detect_quiet_prints_only_errors(tmp_path, run_oerhub):
    from oerhub.catalogue import Catalogue

    with Catalogue(tmp_path / "oerhub.db"):
        pass  # an empty catalogue: nothing to detect, so no models are loaded

    loud = run_oerhub("languages", "detect")
    quiet = run_oerhub("languages", "detect", "--quiet")
    failed = run_oerhub("languages", "detect", "--quiet", "--source", "kg-nope")

    assert loud.returncode == 0 and "no record changed" in loud.stdout, loud.stderr
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    assert failed.returncode == 2 and "'kg-nope'" in failed.stderr and failed.stdout == ""
