"""The survey's figures: every number the survey shows comes from one query here, as a
`Figure` (a named table) that is written to figures/NAME.csv and drawn by the page.

Reads only. A *scope* is the list of countries the survey covers (the 15 CIS and Baltic ones,
or one of them). Definitions are the coverage report's (oerhub/publish/report.py):

- live records: `deleted = 0`; open licence: `license` is stated (rules.py);
- unique resources: each resource once however many records give it (record_groups), i.e.
  the distinct `COALESCE(group_id, id)`; a resource given in two countries counts in each
  country and once in a region total;
- a source is ok / failing by its last finished run, never harvested without one;
- growth: live records by the month they were first harvested.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from oerhub.registry import Config, Source

# The languages counted as a country's own (official or national languages; Russian where
# it is official beside the national one).
NATIONAL_LANGUAGES: dict[str, tuple[str, ...]] = {
    "AM": ("hy",), "AZ": ("az",), "BY": ("be", "ru"), "EE": ("et",), "GE": ("ka",),
    "KG": ("ky", "ru"), "KZ": ("kk", "ru"), "LT": ("lt",), "LV": ("lv",), "MD": ("ro",),
    "RU": ("ru",), "TJ": ("tg",), "TM": ("tk",), "UA": ("uk",), "UZ": ("uz",),
}
TOP_PROVIDERS = 10


@dataclass
class Figure:
    """A named table: the data behind one chart or table of the survey."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


def _in(codes: Sequence[str]) -> str:
    """SQL list of country codes (checked two-letter codes only, so quoting is safe)."""
    assert all(len(c) == 2 and c.isalpha() for c in codes), codes
    return ", ".join(f"'{c}'" for c in codes)


class Scope(list[str]):
    """Country codes, and the theme the survey is of (`--theme`): with one, every figure
    counts only the records of that theme (record_themes)."""

    def __init__(self, codes: Sequence[str], theme: str | None = None) -> None:
        super().__init__(codes)
        assert theme is None or re.fullmatch(r"[a-z][a-z0-9-]*", theme), theme
        self.theme = theme


def _live(codes: Sequence[str], table: str = "") -> str:
    theme = getattr(codes, "theme", None)
    where = f"{table}deleted = 0 AND {table}country IN ({_in(codes)})"
    if theme:  # (checked letters, digits and hyphens only, so quoting is safe)
        where += (f" AND {table}id IN (SELECT record_id FROM record_themes "
                  f"WHERE theme = '{theme}')")
    return where


# --- SQL -------------------------------------------------------------------------------------

def records_by_country_sql(codes: Sequence[str]) -> str:
    """Per country: live records, unique resources, open licence, languages."""
    return ("SELECT r.country, COUNT(*) AS records, "
            "COUNT(DISTINCT COALESCE(g.group_id, r.id)) AS unique_resources, "
            "COUNT(r.license) AS open_license, COUNT(DISTINCT r.language) AS languages "
            "FROM records r LEFT JOIN record_groups g ON g.record_id = r.id "
            f"WHERE {_live(codes, 'r.')} GROUP BY r.country")


def totals_sql(codes: Sequence[str]) -> str:
    """The scope as a whole (a resource given in two countries counts once)."""
    return ("SELECT COUNT(*) AS records, "
            "COUNT(DISTINCT COALESCE(g.group_id, r.id)) AS unique_resources, "
            "COUNT(r.license) AS open_license, COUNT(DISTINCT r.language) AS languages, "
            "COUNT(DISTINCT r.country) AS countries_covered "
            "FROM records r LEFT JOIN record_groups g ON g.record_id = r.id "
            f"WHERE {_live(codes, 'r.')}")


def counts_sql(expr: str, codes: Sequence[str], by_country: bool = False,
               source: str = "records") -> str:
    """Live records per value of `expr` (NULL as 'none'), most first, optionally per country."""
    group = "country, " if by_country else ""
    return (f"SELECT {group}COALESCE({expr}, 'none') AS value, COUNT(*) AS records "
            f"FROM {source} WHERE {_live(codes)} "
            f"GROUP BY {group}value ORDER BY {group}records DESC, value")


def levels_sql(codes: Sequence[str], by_country: bool = False) -> str:
    """Live records per ISCED level (a record with two levels counts in both; 'none' for
    records without one)."""
    group = "r.country, " if by_country else ""
    return (f"SELECT {group}COALESCE(j.value, 'none') AS value, COUNT(*) AS records "
            "FROM records r LEFT JOIN json_each(CASE WHEN json_valid(r.education_level) "
            "THEN r.education_level ELSE '[]' END) j "
            f"WHERE {_live(codes, 'r.')} GROUP BY {group}value "
            f"ORDER BY {group}value")


# Runs per source: the last finished run, the last ok one, failed runs counted.
RUNS_SQL = (
    "SELECT source_id, "
    "(SELECT status FROM harvest_runs x WHERE x.source_id = h.source_id AND x.status != "
    "'running' ORDER BY x.id DESC LIMIT 1) AS last_run_status, "
    "MAX(CASE WHEN status = 'ok' THEN finished_at END) AS last_ok_harvest, "
    "MIN(CASE WHEN status = 'ok' THEN finished_at END) AS first_ok_harvest, "
    "COUNT(CASE WHEN status NOT IN ('ok', 'running') THEN 1 END) AS failures "
    "FROM harvest_runs h GROUP BY source_id")


def live_by_source_sql(codes: Sequence[str]) -> str:
    return (f"SELECT source_id, COUNT(*) AS records FROM records WHERE {_live(codes)} "
            "GROUP BY source_id")


# --- figures ---------------------------------------------------------------------------------

def _rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def source_status(run: dict[str, Any] | None) -> str:
    """ok, failing or never (harvested)."""
    if not run or run["last_run_status"] is None:
        return "never"
    return "ok" if run["last_run_status"] == "ok" else "failing"


def runs_by_source(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    return {row["source_id"]: row for row in _rows(conn, RUNS_SQL)}


def sources_figure(config: Config, conn: sqlite3.Connection, codes: Sequence[str],
                   name: str = "sources") -> Figure:
    """The registry's sources of the scope with protocol, health and live records."""
    runs = runs_by_source(conn)
    live = {r["source_id"]: r["records"] for r in _rows(conn, live_by_source_sql(codes))}
    figure = Figure(name, ("id", "name", "country", "protocol", "enabled", "status",
                           "last_ok_harvest", "failures", "records"))
    for source in sorted(_scope_sources(config, codes), key=lambda s: (s.country, s.id)):
        run = runs.get(source.id)
        figure.rows.append((source.id, source.name, source.country, source.protocol,
                            source.enabled, source_status(run),
                            run["last_ok_harvest"] if run else None,
                            run["failures"] if run else 0, live.get(source.id, 0)))
    return figure


def _scope_sources(config: Config, codes: Sequence[str]) -> list[Source]:
    return [s for s in config.sources if s.country in codes]


def countries_figure(config: Config, conn: sqlite3.Connection,
                     codes: Sequence[str]) -> Figure:
    """One row per country of the scope: sources by health, records, unique resources,
    open licence, languages, records in the country's own languages."""
    counts = {r["country"]: r for r in _rows(conn, records_by_country_sql(codes))}
    national = _national_counts(conn, codes)
    runs = runs_by_source(conn)
    figure = Figure("countries", (
        "country", "sources", "sources_ok", "sources_failing", "sources_never", "records",
        "unique_resources", "open_license", "open_license_share", "languages",
        "national_language", "national_language_share"))
    for code in codes:
        statuses = [source_status(runs.get(s.id)) for s in _scope_sources(config, [code])]
        row = counts.get(code, {"records": 0, "unique_resources": 0, "open_license": 0,
                                "languages": 0})
        figure.rows.append((
            code, len(statuses), statuses.count("ok"), statuses.count("failing"),
            statuses.count("never"), row["records"], row["unique_resources"],
            row["open_license"], _share(row["open_license"], row["records"]),
            row["languages"], national.get(code, 0),
            _share(national.get(code, 0), row["records"])))
    return figure


def _national_counts(conn: sqlite3.Connection, codes: Sequence[str]) -> dict[str, int]:
    clauses = " OR ".join(
        f"(country = '{c}' AND language IN ({_in_langs(NATIONAL_LANGUAGES.get(c, ()))}))"
        for c in codes)
    sql = (f"SELECT country, COUNT(*) AS n FROM records WHERE {_live(codes)} AND ({clauses}) "
           "GROUP BY country")
    return {r["country"]: r["n"] for r in _rows(conn, sql)}


def _in_langs(languages: Sequence[str]) -> str:
    assert all(lang.isalpha() for lang in languages)
    return ", ".join(f"'{lang}'" for lang in languages) or "NULL"


def summary_figure(config: Config, conn: sqlite3.Connection, codes: Sequence[str]) -> Figure:
    """The survey's headline numbers, one per row (metric, value)."""
    totals = _rows(conn, totals_sql(codes))[0]
    runs = runs_by_source(conn)
    statuses = [source_status(runs.get(s.id)) for s in _scope_sources(config, codes)]
    metrics = [
        ("records", totals["records"]), ("unique_resources", totals["unique_resources"]),
        ("sources", len(statuses)), ("sources_ok", statuses.count("ok")),
        ("sources_failing", statuses.count("failing")),
        ("sources_never", statuses.count("never")),
        ("countries", len(codes)), ("countries_covered", totals["countries_covered"]),
        ("open_license", totals["open_license"]),
        ("open_license_share", _share(totals["open_license"], totals["records"])),
        ("languages", totals["languages"]),
    ]
    return Figure("summary", ("metric", "value"), metrics)


def distribution(conn: sqlite3.Connection, name: str, sql: str) -> Figure:
    """value, records, share of the scope's live records (shares of levels may add past 1)."""
    rows = _rows(conn, sql)
    return _with_shares(name, rows, conn)


def _with_shares(name: str, rows: list[dict[str, Any]], conn: sqlite3.Connection) -> Figure:
    total = sum(r["records"] for r in rows)
    figure = Figure(name, ("value", "records", "share"))
    figure.rows = [(r["value"], r["records"], _share(r["records"], total)) for r in rows]
    return figure


def distributions(conn: sqlite3.Connection, codes: Sequence[str],
                  prefix: str = "") -> list[Figure]:
    """Languages, licences, resource types, ISCED levels, growth and top providers."""
    figures = [
        distribution(conn, f"{prefix}languages", counts_sql("language", codes)),
        distribution(conn, f"{prefix}licences", counts_sql("license", codes)),
        distribution(conn, f"{prefix}resource_types", counts_sql("resource_type", codes)),
        distribution(conn, f"{prefix}education_levels", levels_sql(codes)),
    ]
    growth = _rows(conn, f"SELECT substr(first_harvested, 1, 7) AS month, COUNT(*) AS records "
                         f"FROM records WHERE {_live(codes)} GROUP BY month ORDER BY month")
    cumulative, rows = 0, []
    for row in growth:
        cumulative += row["records"]
        rows.append((row["month"], row["records"], cumulative))
    figures.append(Figure(f"{prefix}growth", ("month", "records", "cumulative"), rows))
    providers = _rows(conn, counts_sql("NULLIF(TRIM(publisher), '')", codes))
    named = [r for r in providers if r["value"] != "none"][:TOP_PROVIDERS]
    figures.append(Figure(f"{prefix}providers", ("value", "records"),
                          [(r["value"], r["records"]) for r in named]))
    return figures


def changes_figure(config: Config, conn: sqlite3.Connection, codes: Sequence[str],
                   since: str) -> Figure:
    """What changed since `since` (ISO date): new live records (first harvested on or
    after it), new sources (first ok harvest on or after it), sources lost (an ok harvest
    before it and none since)."""
    new = conn.execute(f"SELECT COUNT(*) FROM records WHERE {_live(codes)} "
                       "AND first_harvested >= ?", (since,)).fetchone()[0]
    runs = runs_by_source(conn)
    new_sources, lost = [], []
    for source in _scope_sources(config, codes):
        run = runs.get(source.id)
        if run and run["first_ok_harvest"] and run["first_ok_harvest"] >= since:
            new_sources.append(source.id)
        if run and run["first_ok_harvest"] and run["first_ok_harvest"] < since and (
                run["last_ok_harvest"] < since):
            lost.append(source.id)
    return Figure("changes", ("metric", "value"), [
        ("since", since), ("new_resources", new), ("new_sources", len(new_sources)),
        ("new_source_ids", " ".join(sorted(new_sources))), ("sources_lost", len(lost)),
        ("lost_source_ids", " ".join(sorted(lost)))])


def harvest_window(conn: sqlite3.Connection, codes: Sequence[str]) -> dict[str, Any]:
    """When the scope's sources were harvested: first and last run, number of runs."""
    row = _rows(conn, "SELECT MIN(h.started_at) AS first, MAX(h.finished_at) AS last, "
                      "COUNT(*) AS runs FROM harvest_runs h JOIN sources s ON "
                      f"s.id = h.source_id WHERE s.country IN ({_in(codes)})")[0]
    return row


# Each theme's coverage by country: live records of the theme, and their share of the
# country's live records (the same query as `oerhub report coverage --theme`).
THEMES_BY_COUNTRY_SQL = (
    "SELECT t.theme, r.country, COUNT(*) AS records FROM record_themes AS t "
    "JOIN records AS r ON r.id = t.record_id WHERE {live} GROUP BY t.theme, r.country")


def themes_figure(conn: sqlite3.Connection, codes: Sequence[str],
                  themes: Sequence[tuple[str, str]]) -> Figure:
    """One row per theme (id, name) and country: the theme's live records and their share
    of the country's live records (all of them, whatever theme the survey is of)."""
    codes = list(codes)
    live = {r["country"]: r["records"] for r in _rows(
        conn, f"SELECT country, COUNT(*) AS records FROM records r WHERE {_live(codes, 'r.')} "
        "GROUP BY country")}
    found = {(r["theme"], r["country"]): r["records"] for r in _rows(
        conn, THEMES_BY_COUNTRY_SQL.format(live=_live(codes, "r.")))}
    figure = Figure("themes", ("theme", "name", "country", "records", "share"))
    for theme, name in themes:
        for code in codes:
            count = found.get((theme, code), 0)
            figure.rows.append((theme, name, code, count, _share(count, live.get(code, 0))))
    return figure
