"""`oerhub report`: what the catalogue holds per country, and how well each source is mapped.

The queries: reads only (the catalogue stays the only code that writes); the text forms are
oerhub/publish/render.py's. Each family of figures is one GROUP BY over `records` (licence
mix, languages, resource types, field fill), whatever the number of countries or sources
(benchmarks/RESULTS.md has the timings on a million records). The `--country` view narrows
the same queries with `country = :country`. The SQL is in module-level constants; the
coverage dashboard (config/metadata.yaml) has its own, with the same definitions of openness.

Licence mix of the live records (`deleted = 0`):

- **open**: `license` is not NULL. Every id the normaliser emits is an open licence (the CC
  family, CC0, PDM, FOSS licences), so a known licence is an open one.
- **restricted**: no licence, and `access` is `restricted`, `closed` or `embargoed`.
- **unknown**: the rest: no licence, and access `open` or not stated.

Shares are of the live records of the row; `None` (JSON null) when it has none. Top languages
and types rank the stated values (NULL is not a language) by records, ties by value, and give
each one's share of all the live records, so "ru 61%" means 61% of the records are Russian.

Unique resources count each resource once however many sources give it (the groups of
oerhub/enrich/duplicates.py): the live records less, for each group of two records or more, all but one
of its records in the row's country. A resource given in two countries counts once in each,
and once in the total.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import pycountry

from oerhub.catalogue.rules import restricted_sql
from oerhub.errors import ConfigError, OerhubError
from oerhub.publish.render import (
    Column,
    Report,
    format_csv,
    format_json,
    format_markdown,
    format_table,
    render,
)
from oerhub.registry import Config, country_name

CIS_BALTIC = ("AM", "AZ", "BY", "EE", "GE", "KG", "KZ", "LT", "LV", "MD", "RU", "TJ", "TM",
              "UA", "UZ")
FORMATS = ("table", "csv", "json", "markdown")
TOP = 3  # values shown in top languages / top types

# --- the SQL (also for the Datasette dashboard) -----------------------------------------------

_RESTRICTED = restricted_sql()  # oerhub/catalogue/rules.py: what openness means
_MIX_COLUMNS = (
    "COUNT(*) AS records, "
    "COUNT(license) AS open_license, "
    f"COUNT(CASE WHEN license IS NULL AND {_RESTRICTED} THEN 1 END) AS restricted, "
    f"COUNT(CASE WHEN license IS NULL AND (access IS NULL OR NOT {_RESTRICTED}) THEN 1 END) "
    "AS unknown_license")

# Licence mix of live records per country: country, records, open_license, restricted,
# unknown_license (the three add up to records).
LICENSE_MIX_BY_COUNTRY_SQL = (
    f"SELECT country, {_MIX_COLUMNS} FROM records WHERE deleted = 0 "
    "GROUP BY country ORDER BY country")
# The same per source, for the sources of one country (:country). "+source_id" keeps SQLite
# from walking the whole table in (source_id, identifier) order after ANALYZE: it takes the
# country's rows from records_country instead (3 times faster on a million records).
LICENSE_MIX_BY_SOURCE_SQL = (
    f"SELECT source_id, {_MIX_COLUMNS} FROM records WHERE deleted = 0 AND country = :country "
    "GROUP BY +source_id ORDER BY source_id")
# Live records that repeat a resource already counted (unique resources = records - repeats),
# per country (per_country 1) and in all (per_country 0, country NULL), in one query: only the
# grouped records are read, record_groups holds no record alone.
_REPEATS = ("SELECT {scope}, COUNT(*) - COUNT(DISTINCT g.group_id) AS repeats "
            "FROM record_groups g JOIN records r ON r.id = g.record_id WHERE r.deleted = 0")
REPEATS_SQL = (_REPEATS.format(scope="1 AS per_country, r.country AS country")
               + " GROUP BY r.country UNION ALL "
               + _REPEATS.format(scope="0, NULL"))


def _value_counts_sql(column: str, group: str, where: str = "") -> str:
    # By country: read in order from the (deleted, country, column) index, no sorting of rows.
    # By source (within one country): "+" keeps SQLite on the country's rows of that index.
    plus = "+" if group == "source_id" else ""
    return (f"SELECT {group}, {column} AS value, COUNT(*) AS records FROM records "
            f"WHERE deleted = 0 AND {column} IS NOT NULL{where} "
            f"GROUP BY {plus}{group}, {column} ORDER BY {group}, records DESC, value")


# Live records per (country, language) and per (country, resource type), most first, read
# from the records_live_country_language / _type indexes (timings: benchmarks/RESULTS.md).
LANGUAGES_BY_COUNTRY_SQL = _value_counts_sql("language", "country")
RESOURCE_TYPES_BY_COUNTRY_SQL = _value_counts_sql("resource_type", "country")
# The same per source, for the sources of one country (:country).
LANGUAGES_BY_SOURCE_SQL = _value_counts_sql("language", "source_id", " AND country = :country")
RESOURCE_TYPES_BY_SOURCE_SQL = _value_counts_sql("resource_type", "source_id",
                                                 " AND country = :country")

# The last finished run of each source (a run still going is not counted).
LAST_RUNS_SQL = (
    "SELECT source_id, status, started_at, finished_at FROM harvest_runs WHERE id IN "
    "(SELECT MAX(id) FROM harvest_runs WHERE status != 'running' GROUP BY source_id)")
# The end of the latest ok run of each source.
LAST_OK_SQL = (
    "SELECT source_id, MAX(finished_at) AS last_ok_harvest FROM harvest_runs "
    "WHERE status = 'ok' GROUP BY source_id")
# The latest ok harvest per country, by the catalogue's copy of the registry (Datasette).
LAST_OK_BY_COUNTRY_SQL = (
    "SELECT s.country, MAX(r.finished_at) AS last_ok_harvest FROM harvest_runs r "
    "JOIN sources s ON s.id = r.source_id WHERE r.status = 'ok' GROUP BY s.country")

# (key, what counts as filled) for `report quality`; subjects and education levels: a
# non-empty JSON array. Access counts when it is stated (open, restricted, ...).
QUALITY_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "NULLIF(TRIM(title), '')"),
    ("description", "NULLIF(TRIM(description), '')"),
    ("language", "language"),
    ("license", "license"),
    ("access", "NULLIF(TRIM(access), '')"),
    ("resource_type", "resource_type"),
    ("education_level", "CASE WHEN json_valid(education_level) "
                        "THEN NULLIF(json_array_length(education_level), 0) END"),
    ("url", "NULLIF(TRIM(url), '')"),
    ("subjects", "CASE WHEN json_valid(subjects) THEN NULLIF(json_array_length(subjects), 0) "
                 "END"),
)
_QUALITY_COLUMNS = ", ".join(f"COUNT({expr}) AS {key}" for key, expr in QUALITY_FIELDS)
# Live records per source and how many have each field filled.
QUALITY_BY_SOURCE_SQL = (
    f"SELECT source_id, COUNT(*) AS records, {_QUALITY_COLUMNS} FROM records "
    "WHERE deleted = 0 GROUP BY source_id ORDER BY source_id")
QUALITY_ONE_SOURCE_SQL = (
    f"SELECT source_id, COUNT(*) AS records, {_QUALITY_COLUMNS} FROM records "
    "WHERE deleted = 0 AND source_id = :source GROUP BY source_id")
# Link health per source (`oerhub links check`): live records whose URL was visited (robots.txt
# refusals are not) and how many of them were dead (404/410, also after redirects). A check of
# a URL the record no longer has does not count. Driven by link_checks, read by primary key.
LINKS_BY_SOURCE_SQL = (
    "SELECT r.source_id, COUNT(*) AS links_checked, "
    "COUNT(CASE WHEN c.outcome = 'dead' THEN 1 END) AS links_dead "
    "FROM link_checks c JOIN records r ON r.id = c.record_id "
    "WHERE r.deleted = 0 AND r.url = c.url AND c.outcome != 'disallowed' GROUP BY r.source_id")
# The catalogue's sources with their link health: one query for both.
QUALITY_SOURCES_SQL = (
    "SELECT s.id, s.name, s.country, COALESCE(l.links_checked, 0) AS links_checked, "
    f"COALESCE(l.links_dead, 0) AS links_dead FROM sources s LEFT JOIN ({LINKS_BY_SOURCE_SQL}) "
    "AS l ON l.source_id = s.id")


# --- the figures --------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _mix(row: dict[str, Any] | None) -> dict[str, Any]:
    """records and the three licence shares, from a LICENSE_MIX row (or none: no records)."""
    records = row["records"] if row else 0
    return {
        "records": records,
        "open_license_share": _share(row["open_license"], records) if row else None,
        "restricted_share": _share(row["restricted"], records) if row else None,
        "unknown_license_share": _share(row["unknown_license"], records) if row else None,
    }


def _tops(counts: Counter[str], total: int) -> list[dict[str, Any]]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return [{"value": value, "records": n, "share": n / total} for value, n in ranked if total]


def _query(conn: sqlite3.Connection, sql: str, params: dict[str, Any] | None = None
           ) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params or {})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def _value_counts(conn: sqlite3.Connection, sql: str, group: str,
                  params: dict[str, Any] | None = None) -> dict[Any, Counter[str]]:
    counts: dict[Any, Counter[str]] = defaultdict(Counter)
    for row in _query(conn, sql, params):
        counts[row[group]][row["value"]] = row["records"]
    return counts


def _source_runs(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Per source: status and date of the last finished run, end of the latest ok run."""
    runs: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"last_run_status": None, "last_run_at": None, "last_ok_harvest": None})
    for row in _query(conn, LAST_RUNS_SQL):
        runs[row["source_id"]].update(last_run_status=row["status"],
                                      last_run_at=row["finished_at"] or row["started_at"])
    for row in _query(conn, LAST_OK_SQL):
        runs[row["source_id"]]["last_ok_harvest"] = row["last_ok_harvest"]
    return runs


def _catalogue_sources(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in _query(
        conn, "SELECT id, name, country, enabled, in_config FROM sources")}


def license_mix(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The licence mix of the live records per country (see the module docstring).

    Each row: country, records, open_license, restricted, unknown_license (counts) and the
    three shares.
    """
    rows = []
    for row in _query(conn, LICENSE_MIX_BY_COUNTRY_SQL):
        rows.append({**row, **_mix(row)})
    return rows


COVERAGE_KEYS = ("country", "name", "cis_baltic", "sources", "sources_enabled", "sources_ok",
                 "records", "unique_resources", "open_license_share", "restricted_share", "unknown_license_share",
                 "top_languages", "top_resource_types", "last_ok_harvest")
SOURCE_KEYS = ("id", "name", "country", "in_registry", "enabled", "last_run_status",
               "last_run_at", "last_ok_harvest", "records", "open_license_share",
               "restricted_share", "unknown_license_share", "top_languages",
               "top_resource_types")
QUALITY_KEYS = ("id", "name", "country", "records", *(f"{key}_filled" for key, _ in QUALITY_FIELDS),
                "links_checked", "links_dead", "dead_link_share")


def coverage(config: Config, conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """One row per country: the 15 CIS and Baltic ones, then any other in the registry or
    the catalogue (and records without a country, if there are any)."""
    return coverage_report(config, conn).rows


def coverage_report(config: Config, conn: sqlite3.Connection,
                    country: str | None = None) -> Report:
    """The coverage table, or with `country` that country's sources, one row each."""
    if country:
        return _country_sources_report(config, conn, country)
    mix = {row["country"]: row for row in _query(conn, LICENSE_MIX_BY_COUNTRY_SQL)}
    repeated = _query(conn, REPEATS_SQL)
    repeats = {row["country"]: row["repeats"] for row in repeated if row["per_country"]}
    languages = _value_counts(conn, LANGUAGES_BY_COUNTRY_SQL, "country")
    types = _value_counts(conn, RESOURCE_TYPES_BY_COUNTRY_SQL, "country")
    runs = _source_runs(conn)
    # A source belongs to its registry country; one dropped from the registry, to the
    # country the catalogue last knew (its records still count there).
    source_country = {sid: row["country"] for sid, row in _catalogue_sources(conn).items()}
    source_country.update({s.id: s.country for s in config.sources})
    last_ok: dict[str, str] = {}
    for source_id, run in runs.items():
        where = source_country.get(source_id)
        if where and run["last_ok_harvest"]:
            last_ok[where] = max(last_ok.get(where, ""), run["last_ok_harvest"])
    registry: dict[str, list[Any]] = defaultdict(list)
    for source in config.sources:
        registry[source.country].append(source)

    others = sorted((set(registry) | {c for c in mix if c}) - set(CIS_BALTIC))
    codes: list[str | None] = [*CIS_BALTIC, *others] + ([None] if None in mix else [])
    rows = []
    for code in codes:
        sources = registry.get(code or "", [])
        rows.append({
            "country": code,
            "name": country_name(code) if code else "(no country)",
            "cis_baltic": code in CIS_BALTIC,
            "sources": len(sources),
            "sources_enabled": sum(1 for s in sources if s.enabled),
            "sources_ok": sum(1 for s in sources if runs[s.id]["last_run_status"] == "ok"),
            **_mix(mix.get(code)),
            "unique_resources": _records(mix, code) - repeats.get(code, 0),
            "top_languages": _tops(languages.get(code, Counter()), _records(mix, code)),
            "top_resource_types": _tops(types.get(code, Counter()), _records(mix, code)),
            "last_ok_harvest": last_ok.get(code or ""),
        })
    total_records = sum(r["records"] for r in rows)
    totals_mix = {key: sum(row[key] for row in mix.values())
                  for key in ("records", "open_license", "restricted", "unknown_license")}
    totals = {
        "country": "total", "name": f"{len(rows)} countries",
        "sources": sum(r["sources"] for r in rows),
        "sources_enabled": sum(r["sources_enabled"] for r in rows),
        "sources_ok": sum(r["sources_ok"] for r in rows),
        **_mix(totals_mix if total_records else None),
        "unique_resources": total_records - sum(
            row["repeats"] for row in repeated if not row["per_country"]),
        "top_languages": _tops(sum(languages.values(), Counter()), total_records),
        "top_resource_types": _tops(sum(types.values(), Counter()), total_records),
        "last_ok_harvest": max(last_ok.values(), default=None),
    }
    return Report([_ordered(row, COVERAGE_KEYS) for row in rows], COVERAGE_COLUMNS,
                  COVERAGE_KEYS, totals)


def _ordered(row: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """The row with exactly `keys`, in their order (a missing key is a bug, and fails)."""
    return {key: row[key] for key in keys}


def _records(mix: dict[Any, dict[str, Any]], key: Any) -> int:
    row = mix.get(key)
    return row["records"] if row else 0


def check_country(country: str, config: Config, conn: sqlite3.Connection) -> str:
    """The upper-cased code, or a ConfigError naming the code when it means nothing here."""
    code = country.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ConfigError(f"--country {country!r} is not an ISO 3166-1 alpha-2 country code "
                          f"(the CIS and Baltic ones: {', '.join(CIS_BALTIC)})")
    if code not in CIS_BALTIC and not any(s.country == code for s in config.sources) and \
            conn.execute("SELECT 1 FROM records WHERE country = ? LIMIT 1", (code,)).fetchone() \
            is None:
        raise ConfigError(f"--country {code} ({country_name(code)}): no source of it in the "
                          f"registry {config.path} and no record of it in the catalogue")
    return code


def country_sources(config: Config, conn: sqlite3.Connection,
                    country: str) -> list[dict[str, Any]]:
    """One country's sources, one row each: those of the registry, then any source dropped
    from it whose records of this country are still in the catalogue."""
    return _country_sources_report(config, conn, country).rows


def _country_sources_report(config: Config, conn: sqlite3.Connection, country: str) -> Report:
    code = check_country(country, config, conn)
    params = {"country": code}
    mix = {row["source_id"]: row for row in _query(conn, LICENSE_MIX_BY_SOURCE_SQL, params)}
    languages = _value_counts(conn, LANGUAGES_BY_SOURCE_SQL, "source_id", params)
    types = _value_counts(conn, RESOURCE_TYPES_BY_SOURCE_SQL, "source_id", params)
    runs = _source_runs(conn)
    known = _catalogue_sources(conn)
    registry = sorted((s for s in config.sources if s.country == code), key=lambda s: s.id)
    entries: list[tuple[str, str, bool | None]] = [(s.id, s.name, s.enabled) for s in registry]
    in_registry = {s.id for s in config.sources}
    for source_id in sorted(set(mix) - in_registry):
        entries.append((source_id, known.get(source_id, {}).get("name") or source_id, None))
    rows = []
    for source_id, name, enabled in entries:
        rows.append({
            "id": source_id, "name": name, "country": code,
            "in_registry": enabled is not None,
            "enabled": enabled,
            **runs[source_id],
            **_mix(mix.get(source_id)),
            "top_languages": _tops(languages.get(source_id, Counter()),
                                   _records(mix, source_id)),
            "top_resource_types": _tops(types.get(source_id, Counter()),
                                        _records(mix, source_id)),
        })
    total = sum(r["records"] for r in rows)
    totals_mix = {key: sum(row[key] for row in mix.values())
                  for key in ("records", "open_license", "restricted", "unknown_license")}
    totals = {
        "id": "total",
        "name": f"{len(rows)} source{'s' if len(rows) != 1 else ''} of {country_name(code)}",
        **_mix(totals_mix if total else None),
        "top_languages": _tops(sum(languages.values(), Counter()), total),
        "top_resource_types": _tops(sum(types.values(), Counter()), total),
        "last_ok_harvest": max((r["last_ok_harvest"] for r in rows if r["last_ok_harvest"]),
                               default=None),
    }
    return Report([_ordered(row, SOURCE_KEYS) for row in rows], SOURCE_COLUMNS, SOURCE_KEYS,
                  totals if rows else None,
                  empty=f"{code} ({country_name(code)}): no source in the registry "
                        f"{config.path}, no record in the catalogue")


def quality(conn: sqlite3.Connection, source_id: str | None = None) -> list[dict[str, Any]]:
    """Per source, its live records and the share of them with each field filled."""
    return quality_report(conn, source_id).rows


def quality_report(conn: sqlite3.Connection, source_id: str | None = None) -> Report:
    """The quality table: which source's mapping leaves which field empty, and dead links."""
    known = {row["id"]: row for row in _query(conn, QUALITY_SOURCES_SQL)}
    if source_id is not None and source_id not in known:
        listed = ", ".join(sorted(known)[:10]) + ("…" if len(known) > 10 else "")
        raise OerhubError(f"--source {source_id!r}: no such source in the catalogue "
                          f"(known: {listed or 'none yet'})")
    if source_id is None:
        counts = {row["source_id"]: row for row in _query(conn, QUALITY_BY_SOURCE_SQL)}
        ids = sorted(set(known) | set(counts))
    else:
        counts = {row["source_id"]: row for row in _query(
            conn, QUALITY_ONE_SOURCE_SQL, {"source": source_id})}
        ids = [source_id]
    rows = [_quality_row(sid, known.get(sid, {}), counts.get(sid)) for sid in ids]
    sums = {key: sum(c[key] for c in counts.values())
            for key in ("records", *(k for k, _ in QUALITY_FIELDS))}
    totals = _quality_row("total", {"name": f"{len(rows)} sources", **{
        key: sum(row[key] for row in rows) for key in ("links_checked", "links_dead")}}, sums)
    # the link columns once `oerhub links check` has run
    columns = QUALITY_COLUMNS + (LINK_COLUMNS if totals["links_checked"] else ())
    return Report([_ordered(row, QUALITY_KEYS) for row in rows], columns,
                  QUALITY_KEYS, totals if len(rows) > 1 else None,
                  empty="no source in the catalogue yet")


def _quality_row(source_id: str, source: dict[str, Any],
                 counts: dict[str, Any] | None) -> dict[str, Any]:
    records = counts["records"] if counts else 0
    row = {"id": source_id, "name": source.get("name"), "country": source.get("country"),
           "records": records}
    for key, _ in QUALITY_FIELDS:
        row[f"{key}_filled"] = _share(counts[key], records) if counts else None
    checked, dead = source.get("links_checked", 0), source.get("links_dead", 0)
    row.update(links_checked=checked, links_dead=dead, dead_link_share=_share(dead, checked))
    return row


# --- the columns each report shows ---------------------------------------------------------

COVERAGE_COLUMNS = (
    Column("country", "country"),
    Column("name", "name"),
    Column("sources", "sources", "count"),
    Column("sources_enabled", "enabled", "count"),
    Column("sources_ok", "ok", "count"),
    Column("records", "records", "count"),
    Column("unique_resources", "unique", "count"),
    Column("open_license_share", "open licence", "share"),
    Column("last_ok_harvest", "last ok harvest", "time", missing="never"),
    Column("top_languages", "top languages", "tops"),
    Column("top_resource_types", "top types", "tops"),
)
SOURCE_COLUMNS = (
    Column("id", "source"),
    Column("name", "name", max_width=36),
    Column("enabled", "enabled", "flag"),
    Column("last_run_status", "last run", missing="never"),
    Column("last_run_at", "at", "time"),
    Column("records", "records", "count"),
    Column("open_license_share", "open licence", "share"),
    Column("top_languages", "top languages", "tops"),
    Column("top_resource_types", "top types", "tops"),
)
QUALITY_COLUMNS = (
    Column("id", "source"),
    Column("records", "records", "count"),
    *(Column(f"{key}_filled", header, "share") for key, header in (
        ("title", "title"), ("description", "description"), ("language", "language"),
        ("license", "licence"), ("access", "access"), ("resource_type", "type"),
        ("education_level", "level"), ("url", "URL"), ("subjects", "subjects"))),
)
LINK_COLUMNS = (
    Column("links_checked", "links checked", "count"),
    Column("dead_link_share", "dead links", "share"),
)


# What the reports offer: rendered by oerhub/publish/render.py
__all__ = [
    "CIS_BALTIC", "Column", "FORMATS", "LANGUAGES_BY_COUNTRY_SQL", "LANGUAGES_BY_SOURCE_SQL",
    "LAST_OK_BY_COUNTRY_SQL", "LAST_OK_SQL", "LAST_RUNS_SQL", "LICENSE_MIX_BY_COUNTRY_SQL",
    "LICENSE_MIX_BY_SOURCE_SQL", "LINKS_BY_SOURCE_SQL", "QUALITY_BY_SOURCE_SQL", "QUALITY_FIELDS",
    "QUALITY_ONE_SOURCE_SQL", "REPEATS_SQL",
    "RESOURCE_TYPES_BY_COUNTRY_SQL", "RESOURCE_TYPES_BY_SOURCE_SQL",
    "Report", "check_country", "country_sources", "coverage", "coverage_report",
    "format_csv", "format_json", "format_markdown", "format_table", "license_mix", "quality",
    "quality_report", "render",
]
