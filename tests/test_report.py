"""`oerhub report`: every figure of every format checked against the catalogue itself.

One catalogue is built for the module by the real harvest through the CLI: a Ukrainian
repository of more than 1,000 records (tombstones, closed and embargoed records), a source
dropped from the registry after its harvest, a Kazakh one with gaps in its metadata and a
disabled sibling, a Latvian one that failed after a good run, a dead one, and a Polish one
(outside the CIS and Baltic countries). The expected figures are computed here from the rows,
in Python, not by the report's SQL.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import HARVEST_SETTINGS, oerhub_in_process, query, source_toml

from oerhub.demo.oai_server import OaiTestServer
from oerhub.demo.samples import SampleRepository, make_records
from oerhub.publish import report
from oerhub.registry import country_name, load_config

CIS_BALTIC = ["AM", "AZ", "BY", "EE", "GE", "KG", "KZ", "LT", "LV", "MD", "RU", "TJ", "TM",
              "UA", "UZ"]
DEAD = "http://127.0.0.1:9/oai"


@dataclass
class Built:
    dir: Path
    db: Path
    config: Path
    # the registry as the report sees it: id -> (country, enabled)
    registry: dict[str, tuple[str, bool]]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _oerhub(self.dir, *args)


def _oerhub(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return oerhub_in_process(cwd, *args)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    directory = tmp_path_factory.mktemp("report")
    big = make_records("big", 1100, ["uk", "ru", "en"])
    for record in big[7::50]:
        record.deleted = True  # tombstones from the start
    for record in big[::11]:
        record.fields["rights"] = ["info:eu-repo/semantics/closedAccess"]
    for record in big[5::23]:
        record.fields["rights"] = ["info:eu-repo/semantics/embargoedAccess"]
    kz = make_records("kz", 150, ["kk", "ru", "en"])
    for record in kz[::4]:
        record.fields["subject"] = []
    for record in kz[1::5]:
        del record.fields["description"]
    for record in kz[2::6]:
        record.fields["language"] = ["Klingonish"]  # unmapped: NULL language
    for record in kz[3::9]:
        record.fields["rights"] = ["info:eu-repo/semantics/restrictedAccess"]
    repositories = {
        "big": SampleRepository("big", big),
        "old": SampleRepository("old", make_records("old", 12, ["uk"])),
        "kz": SampleRepository("kz", kz),
        "kzoff": SampleRepository("kzoff", make_records("kzoff", 5, ["kk"])),
        "lv": SampleRepository("lv", make_records("lv", 40, ["lv", "ru"])),
        "pl": SampleRepository("pl", make_records("pl", 25, ["en", "ru"])),
    }
    server = OaiTestServer(repositories.values(), batch_size=500).start()
    try:
        def write(lv_url: str, with_old: bool) -> dict[str, tuple[str, bool]]:
            specs = [("ua-big", server.url("big"), "UA", True),
                     ("ua-dead", DEAD, "UA", True),
                     ("kz-lib", server.url("kz"), "KZ", True),
                     ("kz-off", server.url("kzoff"), "KZ", False),
                     ("lv-flaky", lv_url, "LV", True),
                     ("pl-open", server.url("pl"), "PL", True)]
            if with_old:
                specs.insert(1, ("ua-old", server.url("old"), "UA", True))
            (directory / "sources.toml").write_text(HARVEST_SETTINGS + "\n" + "\n".join(
                source_toml(sid, url, country=country, enabled=enabled)
                for sid, url, country, enabled in specs), encoding="utf-8")
            return {sid: (country, enabled) for sid, _, country, enabled in specs}

        write(server.url("lv"), with_old=True)
        first = _oerhub(directory, "harvest")
        assert first.returncode == 1, first.stderr  # ua-dead failed, the rest is stored
        for record in big[100:130]:  # deleted after the first harvest (under the 15% valve)
            repositories["big"].delete(record.identifier)
        registry = write(DEAD, with_old=False)  # lv-flaky now fails; ua-old left the registry
        second = _oerhub(directory, "harvest")
        assert second.returncode == 1, second.stderr
        yield Built(directory, directory / "oerhub.db", directory / "sources.toml", registry)
    finally:
        server.stop()


# --- what the catalogue holds, computed here ------------------------------------------------


def _rows(db: Path, where: str = "", params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    return query(db, "SELECT * FROM records WHERE deleted = 0" + where, params)


def _tops(values: list[str | None], total: int) -> list[tuple[str, int]]:
    counts = Counter(v for v in values if v is not None)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:3] if total else []


def _mix(rows: list[sqlite3.Row]) -> tuple[int, int, int]:
    """(open, restricted, unknown) by the definition, in Python."""
    open_ = sum(1 for r in rows if r["license"] is not None)
    restricted = sum(1 for r in rows if r["license"] is None
                     and r["access"] in ("restricted", "closed", "embargoed"))
    return open_, restricted, len(rows) - open_ - restricted


def _last_runs(db: Path) -> dict[str, sqlite3.Row]:
    last: dict[str, sqlite3.Row] = {}
    for run in query(db, "SELECT * FROM harvest_runs ORDER BY id"):
        last[run["source_id"]] = run
    return last


def _country_of_source(db: Path) -> dict[str, str]:
    return {row["id"]: row["country"] for row in query(db, "SELECT id, country FROM sources")}


def _unique(db: Path, rows: list[sqlite3.Row]) -> int:
    """Resources among the rows: a record of a group (oerhub/enrich/duplicates.py) stands for it."""
    group = {r["record_id"]: r["group_id"] for r in query(db, "SELECT * FROM record_groups")}
    return len({group.get(r["id"], r["id"]) for r in rows})


def expected_coverage(built: Built) -> dict[str, dict[str, Any]]:
    """Per country, every figure of the coverage report, from the rows themselves."""
    last = _last_runs(built.db)
    where = _country_of_source(built.db)
    ok_runs = query(built.db, "SELECT source_id, finished_at FROM harvest_runs "
                              "WHERE status = 'ok'")
    codes = CIS_BALTIC + sorted({c for c, _ in built.registry.values()} - set(CIS_BALTIC))
    expected = {}
    for code in codes:
        rows = _rows(built.db, " AND country = ?", (code,))
        sources = [sid for sid, (c, _) in built.registry.items() if c == code]
        open_, restricted, unknown = _mix(rows)
        n = len(rows)
        expected[code] = {
            "country": code, "name": country_name(code), "cis_baltic": code in CIS_BALTIC,
            "sources": len(sources),
            "sources_enabled": sum(1 for sid in sources if built.registry[sid][1]),
            "sources_ok": sum(1 for sid in sources
                              if sid in last and last[sid]["status"] == "ok"),
            "records": n,
            "unique_resources": _unique(built.db, rows),
            "open_license_share": open_ / n if n else None,
            "restricted_share": restricted / n if n else None,
            "unknown_license_share": unknown / n if n else None,
            "top_languages": _tops([r["language"] for r in rows], n),
            "top_resource_types": _tops([r["resource_type"] for r in rows], n),
            "last_ok_harvest": max((r["finished_at"] for r in ok_runs
                                    if where[r["source_id"]] == code), default=None),
        }
    return expected


def pct(share: float | None) -> str:
    if share is None:
        return "-"
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{round(share * 100)}%"


def tops_text(tops: list[tuple[str, int]], total: int) -> str:
    return ", ".join(f"{v} {pct(n / total)}" for v, n in tops) or "-"


def when(stamp: str | None) -> str:
    return stamp[:10] + " " + stamp[11:16] if stamp else "never"


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def spans(line: str) -> list[tuple[int, int]]:
    """Where each cell of a table line starts and ends (cells are 2 or more spaces apart)."""
    return [m.span() for m in re.finditer(r"\S+(?: \S+)*", line)]


# --- the catalogue is what the tests think it is ---------------------------------------------


def test_the_catalogue_has_every_case(built):
    db = built.db
    assert len(_rows(db, " AND country = 'UA'")) >= 1000
    assert query(db, "SELECT COUNT(*) AS n FROM records WHERE deleted = 1")[0]["n"] >= 50
    assert _mix(_rows(db))[1] > 0  # restricted records exist
    assert _rows(db, " AND language IS NULL AND country = 'KZ'")
    last = _last_runs(db)
    assert last["ua-dead"]["status"] == "failed" and last["lv-flaky"]["status"] == "failed"
    assert "kz-off" not in last and "ua-old" not in built.registry and last["ua-old"]


# --- coverage ----------------------------------------------------------------------------


def test_coverage_json_matches_the_catalogue(built):
    result = built.run("report", "coverage", "--format", "json")

    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    expected = expected_coverage(built)
    assert [r["country"] for r in rows] == list(expected)  # the 15 first, then PL
    for row in rows:
        want = expected[row["country"]]
        for key in ("name", "cis_baltic", "sources", "sources_enabled", "sources_ok", "records",
                    "unique_resources", "last_ok_harvest"):
            assert row[key] == want[key], (row["country"], key)
        for key in ("open_license_share", "restricted_share", "unknown_license_share"):
            assert row[key] == pytest.approx(want[key]), (row["country"], key)
        for key in ("top_languages", "top_resource_types"):
            assert [(t["value"], t["records"]) for t in row[key]] == want[key]
            assert all(t["share"] == pytest.approx(t["records"] / row["records"])
                       for t in row[key])
    by_code = {r["country"]: r for r in rows}
    for code in ("TJ", "TM"):
        assert by_code[code]["sources"] == by_code[code]["records"] == 0
        assert by_code[code]["open_license_share"] is None
    assert by_code["PL"]["sources"] == 1 and by_code["PL"]["records"] > 0
    assert not by_code["PL"]["cis_baltic"]
    ua, kz, lv = by_code["UA"], by_code["KZ"], by_code["LV"]
    assert (ua["sources"], ua["sources_enabled"], ua["sources_ok"]) == (2, 2, 1)
    assert (kz["sources"], kz["sources_enabled"], kz["sources_ok"]) == (2, 1, 1)
    assert lv["sources_ok"] == 0 and lv["last_ok_harvest"] and lv["records"] == 40
    # records of the source dropped from the registry still count for its country
    assert ua["records"] == len(_rows(built.db, " AND source_id IN ('ua-big', 'ua-old')"))


def test_coverage_csv_has_raw_figures(built):
    result = built.run("report", "coverage", "--format", "csv")

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = expected_coverage(built)
    assert [r["country"] for r in rows] == list(expected)  # no totals row
    for row in rows:
        want = expected[row["country"]]
        assert row["name"] == want["name"]
        for key in ("sources", "sources_enabled", "sources_ok", "records", "unique_resources"):
            assert row[key] == str(want[key]), (row["country"], key)
        for key in ("open_license_share", "restricted_share", "unknown_license_share"):
            assert row[key] == ("" if want[key] is None else f"{want[key]:.4f}")
        assert row["last_ok_harvest"] == (want["last_ok_harvest"] or "")
        assert row["top_languages"] == "; ".join(
            f"{v}={n / want['records']:.4f}" for v, n in want["top_languages"])
        assert row["cis_baltic"] == ("true" if want["cis_baltic"] else "false")
    assert re.fullmatch(r"\d\.\d{4}", rows[CIS_BALTIC.index("UA")]["open_license_share"])


def test_coverage_table_reads_well_in_a_terminal(built):
    result = built.run("report", "coverage")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.rstrip("\n").splitlines()
    expected = expected_coverage(built)
    assert cells(lines[0]) == ["country", "name", "sources", "enabled", "ok", "records",
                               "unique", "open licence", "last ok harvest", "top languages",
                               "top types"]
    body = lines[1:1 + len(expected)]
    for line, (code, want) in zip(body, expected.items(), strict=True):
        n = want["records"]
        assert cells(line) == [
            code, want["name"], str(want["sources"]), str(want["sources_enabled"]),
            str(want["sources_ok"]), f"{n:,}", f"{want['unique_resources']:,}",
            pct(want["open_license_share"]), when(want["last_ok_harvest"]),
            tops_text(want["top_languages"], n), tops_text(want["top_resource_types"], n)], code
    ua = body[CIS_BALTIC.index("UA")]
    assert re.search(r"\b1,\d{3}\b", ua)  # thousands separator on a count >= 1,000
    assert "Ukraine" in ua and "Russian Federation" in body[CIS_BALTIC.index("RU")]
    # numbers right-aligned, text left-aligned: cells end (or start) under their header
    header = spans(lines[0])
    for line in body:
        assert [end for _, end in spans(line)][2:7] == [end for _, end in header][2:7]
        assert spans(line)[9][0] == header[9][0]
    assert set(lines[-2]) == {"-"}
    total = cells(lines[-1])
    everything = _rows(built.db)
    assert total[:6] == ["total", f"{len(expected)} countries",
                         str(sum(w["sources"] for w in expected.values())),
                         str(sum(w["sources_enabled"] for w in expected.values())),
                         str(sum(w["sources_ok"] for w in expected.values())),
                         f"{len(everything):,}"]
    assert total[6] == f"{_unique(built.db, everything):,}"
    assert total[7] == pct(_mix(everything)[0] / len(everything))
    assert total[9] == tops_text(_tops([r["language"] for r in everything], len(everything)),
                                 len(everything))


def test_coverage_markdown_is_a_github_table(built):
    result = built.run("report", "coverage", "--format", "markdown")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.rstrip("\n").splitlines()
    expected = expected_coverage(built)
    assert lines[0] == ("| country | name | sources | enabled | ok | records | unique | "
                        "open licence | last ok harvest | top languages | top types |")
    assert re.fullmatch(r"\|(?:-{3,}:?\|){11}", lines[1])
    assert len(lines) == 2 + len(expected) + 1
    for line, (code, want) in zip(lines[2:], expected.items()):
        parts = [p.strip() for p in line.strip("|").split("|")]
        n = want["records"]
        assert parts == [code, want["name"], str(want["sources"]),
                         str(want["sources_enabled"]), str(want["sources_ok"]), f"{n:,}",
                         f"{want['unique_resources']:,}",
                         pct(want["open_license_share"]), when(want["last_ok_harvest"]),
                         tops_text(want["top_languages"], n),
                         tops_text(want["top_resource_types"], n)]
    assert lines[-1].startswith("| **total** | ")
    assert f"**{len(_rows(built.db)):,}**" in lines[-1]


def test_coverage_of_one_country_lists_its_sources(built):
    result = built.run("report", "coverage", "--country", "ua", "--format", "json")

    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == ["ua-big", "ua-dead", "ua-old"]  # registry, then dropped
    last = _last_runs(built.db)
    for row in rows:
        records = _rows(built.db, " AND source_id = ?", (row["id"],))
        n = len(records)
        assert row["records"] == n
        assert row["open_license_share"] == (pytest.approx(_mix(records)[0] / n) if n else None)
        assert [(t["value"], t["records"]) for t in row["top_languages"]] == \
            _tops([r["language"] for r in records], n)
        assert [(t["value"], t["records"]) for t in row["top_resource_types"]] == \
            _tops([r["resource_type"] for r in records], n)
        assert row["last_run_status"] == last[row["id"]]["status"]
        assert row["last_run_at"] == last[row["id"]]["finished_at"]
    big, dead, old = rows
    assert big["enabled"] is True and big["in_registry"] and big["records"] >= 1000
    assert dead["records"] == 0 and dead["last_run_status"] == "failed"
    assert dead["last_ok_harvest"] is None and dead["open_license_share"] is None
    assert old["in_registry"] is False and old["enabled"] is None and old["records"] == 12

    table = built.run("report", "coverage", "--country", "KZ")
    lines = table.stdout.splitlines()
    assert cells(lines[0]) == ["source", "name", "enabled", "last run", "at", "records",
                               "open licence", "top languages", "top types"]
    kz_lib = cells(next(x for x in lines if x.startswith("kz-lib ")))
    n = len(_rows(built.db, " AND source_id = 'kz-lib'"))
    assert kz_lib[:3] == ["kz-lib", "Test source kz-lib", "yes"]
    assert kz_lib[3] == "ok" and kz_lib[5] == f"{n:,}"
    assert re.match(r"kz-off\s+Test source kz-off\s+no\s+never\s+-\s+0\s+-\s+-\s+-$",
                    next(x for x in lines if x.startswith("kz-off ")))
    assert re.match(r"total\s+2 sources of Kazakhstan\s+" + re.escape(f"{n:,}"), lines[-1])


def test_a_country_without_sources_is_still_reported(built):
    as_json = built.run("report", "coverage", "--country", "TJ", "--format", "json")
    as_table = built.run("report", "coverage", "--country", "tm")
    as_csv = built.run("report", "coverage", "--country", "TJ", "--format", "csv")

    assert as_json.returncode == as_table.returncode == as_csv.returncode == 0
    assert json.loads(as_json.stdout) == []
    assert "TM (Turkmenistan): no source in the registry" in as_table.stdout
    ua_csv = built.run("report", "coverage", "--country", "UA", "--format", "csv")
    assert as_csv.stdout.splitlines() == ua_csv.stdout.splitlines()[:1]  # the same header


# --- quality -----------------------------------------------------------------------------


def expected_quality(built: Built, source_id: str) -> dict[str, Any]:
    rows = _rows(built.db, " AND source_id = ?", (source_id,))

    def filled(value: Any) -> bool:
        return value is not None and str(value).strip() != ""

    checks = {
        "title": lambda r: filled(r["title"]),
        "description": lambda r: filled(r["description"]),
        "language": lambda r: r["language"] is not None,
        "license": lambda r: r["license"] is not None,
        "access": lambda r: filled(r["access"]),
        "resource_type": lambda r: r["resource_type"] is not None,
        "education_level": lambda r: bool(json.loads(r["education_level"] or "[]")),
        "url": lambda r: filled(r["url"]),
        "subjects": lambda r: bool(json.loads(r["subjects"] or "[]")),
    }
    n = len(rows)
    return {"records": n, **{f"{key}_filled": (sum(1 for r in rows if check(r)) / n if n
                                              else None) for key, check in checks.items()}}


def test_quality_shows_which_mapping_to_fix(built):
    result = built.run("report", "quality", "--format", "json")

    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == sorted(built.registry | {"ua-old": ("UA", True)})
    for row in rows:
        want = expected_quality(built, row["id"])
        assert row["records"] == want["records"]
        for key, share in want.items():
            assert row[key] == (pytest.approx(share) if share is not None else None), \
                (row["id"], key)
    kz = next(r for r in rows if r["id"] == "kz-lib")
    assert kz["subjects_filled"] < 1 and kz["description_filled"] < 1 \
        and kz["language_filled"] < 1 and kz["title_filled"] == 1

    one = built.run("report", "quality", "--source", "kz-lib", "--format", "csv")
    (row,) = list(csv.DictReader(io.StringIO(one.stdout)))
    assert row["id"] == "kz-lib" and row["records"] == str(kz["records"])
    assert row["subjects_filled"] == f"{kz['subjects_filled']:.4f}"

    table = built.run("report", "quality").stdout.splitlines()
    assert cells(table[0]) == ["source", "records", "title", "description", "language",
                               "licence", "access", "type", "level", "URL", "subjects"]
    big = expected_quality(built, "ua-big")
    line = cells(next(x for x in table if x.startswith("ua-big ")))
    assert line == ["ua-big", f"{big['records']:,}", *(pct(big[f"{k}_filled"]) for k in (
        "title", "description", "language", "license", "access", "resource_type",
        "education_level", "url", "subjects"))]
    assert cells(table[-1])[:2] == ["total", f"{len(_rows(built.db)):,}"]

    markdown = built.run("report", "quality", "--format", "markdown").stdout.splitlines()
    assert re.fullmatch(r"\|(?:-{3,}:?\|){11}", markdown[1])


def test_quality_shows_the_education_level_and_access_fill(built, tmp_path):
    """A level counts when the record has one or more ISCED levels (not "[]" nor NULL);
    access when it is stated."""
    db = tmp_path / "levels.db"
    shutil.copy(built.db, db)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM records WHERE source_id = 'kz-lib' AND deleted = 0 ORDER BY id")]
        conn.executemany("UPDATE records SET education_level = ? WHERE id = ?",
                         [('["ISCED 2"]' if i % 3 == 0 else "[]" if i % 3 == 1 else None, rid)
                          for i, rid in enumerate(ids)])
        conn.executemany("UPDATE records SET access = ? WHERE id = ?",
                         [(None if i % 2 == 0 else "open", rid) for i, rid in enumerate(ids)])
        conn.commit()
        row = next(r for r in report.quality(conn) if r["id"] == "kz-lib")
    finally:
        conn.close()
    assert row["education_level_filled"] == pytest.approx(len(ids[::3]) / len(ids))
    assert row["access_filled"] == pytest.approx((len(ids) - len(ids[::2])) / len(ids))


# --- the library: the licence mix, the SQL, the cost -----------------------------------------


def test_license_mix_per_country(built):
    conn = sqlite3.connect(built.db)
    try:
        mix = {row["country"]: row for row in report.license_mix(conn)}
    finally:
        conn.close()
    assert set(mix) == {"UA", "KZ", "LV", "PL"}
    for code, row in mix.items():
        rows = _rows(built.db, " AND country = ?", (code,))
        assert (row["open_license"], row["restricted"], row["unknown_license"]) == _mix(rows)
        assert row["records"] == len(rows)
        assert row["open_license_share"] + row["restricted_share"] \
            + row["unknown_license_share"] == pytest.approx(1)
    assert mix["UA"]["restricted"] > 0 and mix["KZ"]["restricted"] > 0


def test_a_report_costs_a_fixed_number_of_queries(built):
    conn = sqlite3.connect(built.db)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    config = load_config(built.config)
    try:
        report.coverage(config, conn)
        coverage_queries = len(statements)
        statements.clear()
        report.country_sources(config, conn, "UA")
        country_queries = len(statements)
        statements.clear()
        report.quality(conn)
        quality_queries = len(statements)
        plan = [row[3] for row in conn.execute(
            "EXPLAIN QUERY PLAN " + report.LICENSE_MIX_BY_SOURCE_SQL, {"country": "UA"})]
    finally:
        conn.close()
    # one query per figure family (unique resources one of them), however many countries and
    # sources there are
    assert coverage_queries <= 7 and country_queries <= 7 and quality_queries <= 2
    # a country's sources are read through an index on country, not by a full scan
    assert any(re.search(r"USING (COVERING )?INDEX records_(country|live_\w+ \(deleted=\? AND "
                         r"country=\?)", step) for step in plan), plan


# --- bad input ---------------------------------------------------------------------------


def test_bad_input_is_named(built, tmp_path):
    unknown = built.run("report", "coverage", "--country", "XX")
    outside = built.run("report", "coverage", "--country", "FR")
    source = built.run("report", "quality", "--source", "ua-nope")
    fmt = built.run("report", "coverage", "--format", "html")
    missing = built.run("report", "coverage", "--db", str(tmp_path / "missing.db"))
    missing_q = built.run("report", "quality", "--db", str(tmp_path / "missing.db"))

    assert unknown.returncode == 2 and "'XX'" in unknown.stderr \
        and "ISO 3166-1 alpha-2" in unknown.stderr
    assert outside.returncode == 2 and "FR (France)" in outside.stderr
    assert source.returncode == 2 and "'ua-nope'" in source.stderr and "kz-lib" in source.stderr
    assert fmt.returncode == 2 and "html" in fmt.stderr
    for result in (missing, missing_q):
        assert result.returncode == 2 and "no catalogue there yet" in result.stderr
    assert not (tmp_path / "missing.db").exists()
    assert all("Traceback" not in r.stderr for r in (unknown, outside, source, fmt, missing))
