"""Runs as cron meets them: many sources at once, a repository that empties itself, a source
that keeps failing."""

from __future__ import annotations

import re

from conftest import query, source_toml

from oerhub.demo.oai_server import OaiTestServer
from oerhub.demo.samples import SampleRepository, make_records


def test_thirty_slow_repositories_are_harvested_at_once(tmp_path, write_config, run_oerhub):
    servers = []
    try:
        for n in range(30):  # each on its own loopback address: 30 hosts
            repo = SampleRepository(f"r{n}", make_records(f"r{n}", 40, ["ru", "kk"]))
            servers.append(OaiTestServer([repo], batch_size=10, host=f"127.0.0.{n + 2}",
                                         delay=0.1).start())
        write_config(*[source_toml(f"kz-r{n}", s.url(f"r{n}"), country="KZ", window="none")
                       for n, s in enumerate(servers)],
                     settings='[harvest]\ncontact = "mailto:t@example.org"\nworkers = 30\n')

        result = run_oerhub("harvest")

        assert result.returncode == 0, result.stderr
        assert query(tmp_path / "oerhub.db", "SELECT COUNT(*) AS n FROM records")[0]["n"] == 1200
        events = sorted([(start, 1) for s in servers for start, _ in s.timings]
                        + [(end, -1) for s in servers for _, end in s.timings])
        at_once = peak = 0
        for _, step in events:
            at_once += step
            peak = max(peak, at_once)
        assert peak >= 10, f"only {peak} requests were ever answered at once"
        assert all(s.max_in_flight == 1 for s in servers), "one request at a time per host"
    finally:
        for server in servers:
            server.stop()


def test_mass_deletion_is_held_for_review(tmp_path, oai_server, write_config, run_oerhub):
    repo = SampleRepository("shrink", make_records("shrink", 100, ["lv"]))
    server = oai_server(repo)
    write_config(source_toml("lv-shrink", server.url("shrink"), country="LV"))
    assert run_oerhub("harvest").returncode == 0
    db = tmp_path / "oerhub.db"
    for n in range(1, 31):  # 30% of the repository deleted at once: a broken export?
        repo.delete(f"oai:shrink:{n}")

    held = run_oerhub("harvest")

    assert held.returncode == 1
    assert "30 of 100 live records (30%) would be deleted" in held.stderr
    assert "oerhub harvest --source lv-shrink --accept-deletions" in held.stderr
    assert query(db, "SELECT COUNT(*) AS n FROM records WHERE deleted = 0")[0]["n"] == 100
    assert query(db, "SELECT status FROM harvest_runs ORDER BY id DESC")[0]["status"] == "review"
    runs = run_oerhub("runs", "--failed")
    assert "review" in runs.stdout and "--accept-deletions" in runs.stdout

    nothing_new = run_oerhub("harvest")  # the held deletions stay held, nothing is lost
    assert nothing_new.returncode == 1
    assert query(db, "SELECT COUNT(*) AS n FROM records WHERE deleted = 0")[0]["n"] == 100

    accepted = run_oerhub("harvest", "--source", "lv-shrink", "--accept-deletions")

    assert accepted.returncode == 0, accepted.stderr
    assert query(db, "SELECT COUNT(*) AS n FROM records WHERE deleted = 0")[0]["n"] == 70
    assert query(db, "SELECT COUNT(*) AS n FROM pending_deletions")[0]["n"] == 0


def test_few_deletions_pass_the_valve(tmp_path, oai_server, write_config, run_oerhub):
    repo = SampleRepository("few", make_records("few", 100, ["lt"]))
    server = oai_server(repo)
    write_config(source_toml("lt-few", server.url("few"), country="LT"))
    assert run_oerhub("harvest").returncode == 0
    for n in range(1, 16):  # exactly 15%: allowed
        repo.delete(f"oai:few:{n}")

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    db = tmp_path / "oerhub.db"
    assert query(db, "SELECT COUNT(*) AS n FROM records WHERE deleted = 1")[0]["n"] == 15


def test_a_record_that_comes_back_is_not_deleted(tmp_path, oai_server, write_config,
                                                 run_oerhub):
    repo = SampleRepository("back", make_records("back", 20, ["et"]))
    server = oai_server(repo)
    write_config(source_toml("ee-back", server.url("back"), country="EE"))
    assert run_oerhub("harvest").returncode == 0
    for n in range(1, 11):
        repo.delete(f"oai:back:{n}")
    assert run_oerhub("harvest").returncode == 1  # 50%: held
    for n in range(1, 11):
        repo.edit(f"oai:back:{n}")  # the repository was repaired
        repo.records[f"oai:back:{n}"].deleted = False

    result = run_oerhub("harvest")

    assert result.returncode == 0, result.stderr
    db = tmp_path / "oerhub.db"
    assert query(db, "SELECT COUNT(*) AS n FROM records WHERE deleted = 0")[0]["n"] == 20
    assert query(db, "SELECT COUNT(*) AS n FROM pending_deletions")[0]["n"] == 0


def test_three_failures_in_a_row_are_called_out(tmp_path, oai_server, write_config, run_oerhub):
    server = oai_server(SampleRepository("fine", make_records("fine", 3, ["az"])))
    write_config(source_toml("az-fine", server.url("fine"), country="AZ"),
                 source_toml("az-down", "http://127.0.0.1:9/oai", country="AZ"))
    for attempt in range(2):
        result = run_oerhub("harvest")
        assert "ATTENTION" not in result.stderr

    third = run_oerhub("harvest")

    assert third.returncode == 1
    assert "ATTENTION: az-down has failed 3 runs in a row" in third.stderr
    assert "az-fine" not in third.stderr.split("ATTENTION")[1]
    runs = run_oerhub("runs")
    assert runs.stdout.startswith("ATTENTION: az-down has failed its last 3 runs:")


def test_progress_is_a_live_board_on_a_terminal_and_log_lines_otherwise(
        tmp_path, oai_server, write_config, run_oerhub):
    import os
    import pty
    import subprocess
    import sys

    server = oai_server(SampleRepository("prog", make_records("prog", 300, ["ru"])),
                        batch_size=50)
    write_config(source_toml("ru-prog", server.url("prog"), country="RU", window="none"))

    logged = run_oerhub("harvest", "--full")
    quiet = run_oerhub("harvest", "--full", "--quiet")
    leader, follower = pty.openpty()
    env = {**os.environ, "OERHUB_CONFIG": str(tmp_path / "sources.toml"),
           "OERHUB_DB": str(tmp_path / "oerhub.db")}
    on_terminal = subprocess.run([sys.executable, "-m", "oerhub.cli", "harvest", "--full"],
                                 cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                 stderr=follower, timeout=60)
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)

    assert logged.returncode == quiet.returncode == on_terminal.returncode == 0
    lines = logged.stderr.splitlines()
    assert lines and all(re.match(r"^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ ru-prog: ", x) for x in lines)
    assert "ok: 300 records" in lines[-1]
    assert quiet.stdout == "" and quiet.stderr == ""
    assert b"\x1b[" in screen, "a terminal gets a board redrawn in place"
    assert b"ru-prog" in screen and b"300 records" in screen
