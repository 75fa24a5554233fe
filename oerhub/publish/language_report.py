"""`oerhub report languages`: declared and detected languages counted apart.

Per country (or, with `--country`, per source of one country), of the live records: how many
declare a language, how many have only a detected one (oerhub/enrich/languages.py), how many have
neither; of those with both, how many agree and how many the detection contradicts
(`language_check` = disagrees: another language with confidence >= 0.9, the declared one being
a language the detector knows); and which languages were detected where none was declared.
Two queries, whatever the number of countries. Reads only.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from typing import Any

from oerhub.enrich.languages import LANGUAGE_CHECK_SQL
from oerhub.publish.report import CIS_BALTIC, Column, Report, check_country
from oerhub.registry import Config, country_name

TOP = 3

_COUNTS = (
    "COUNT(*) AS records, COUNT(language) AS declared, "
    "COUNT(CASE WHEN language IS NULL AND language_detected IS NOT NULL THEN 1 END) "
    "AS detected_only, "
    "COUNT(CASE WHEN language IS NULL AND language_detected IS NULL THEN 1 END) AS no_language, "
    f"COUNT(CASE WHEN ({LANGUAGE_CHECK_SQL}) = 'agrees' THEN 1 END) AS agree, "
    f"COUNT(CASE WHEN ({LANGUAGE_CHECK_SQL}) = 'disagrees' THEN 1 END) AS disagree, "
    f"COUNT(CASE WHEN ({LANGUAGE_CHECK_SQL}) = 'uncertain' THEN 1 END) AS uncertain, "
    "COUNT(CASE WHEN language_checked IS NULL OR language_checked != last_changed THEN 1 END) "
    "AS unchecked")
# Live records per country: the counts above (declared + detected_only + no_language = records).
LANGUAGE_COUNTS_BY_COUNTRY_SQL = (
    f"SELECT country AS key, {_COUNTS} FROM records WHERE deleted = 0 GROUP BY country")
LANGUAGE_COUNTS_BY_SOURCE_SQL = (
    f"SELECT source_id AS key, {_COUNTS} FROM records WHERE deleted = 0 AND country = :country "
    "GROUP BY source_id")
# Languages detected where none was declared, per country (or per source of :country).
DETECTED_ONLY_BY_COUNTRY_SQL = (
    "SELECT country AS key, language_detected AS value, COUNT(*) AS records FROM records "
    "WHERE deleted = 0 AND language IS NULL AND language_detected IS NOT NULL "
    "GROUP BY country, language_detected")
DETECTED_ONLY_BY_SOURCE_SQL = (
    "SELECT source_id AS key, language_detected AS value, COUNT(*) AS records FROM records "
    "WHERE deleted = 0 AND country = :country AND language IS NULL "
    "AND language_detected IS NOT NULL GROUP BY source_id, language_detected")

FIGURES = ("records", "declared", "detected_only", "no_language", "agree", "disagree",
           "uncertain", "unchecked")
KEYS = ("country", "name", *FIGURES, "top_detected_only")
SOURCE_KEYS = ("id", "name", "country", *FIGURES, "top_detected_only")
_FIGURE_COLUMNS = (
    Column("records", "records", "count"),
    Column("declared", "declared", "count"),
    Column("detected_only", "detected only", "count"),
    Column("no_language", "neither", "count"),
    Column("agree", "agree", "count"),
    Column("disagree", "disagree", "count"),
    Column("uncertain", "uncertain", "count"),
    Column("top_detected_only", "detected where none declared", "tops"),
)
COLUMNS = (Column("country", "country"), Column("name", "name"), *_FIGURE_COLUMNS)
SOURCE_COLUMNS = (Column("id", "source"), Column("name", "name", max_width=36), *_FIGURE_COLUMNS)


def _query(conn: sqlite3.Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _tops(counts: Counter[str], records: int) -> list[dict[str, Any]]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return [{"value": value, "records": n, "share": n / records} for value, n in ranked
            if records]


def languages_report(config: Config, conn: sqlite3.Connection,
                     country: str | None = None) -> Report:
    """The table per country (the 15 first, then any other with records), or per source of
    `country`."""
    params: dict[str, Any] = {}
    if country:
        params["country"] = code = check_country(country, config, conn)
        counts_sql, tops_sql = LANGUAGE_COUNTS_BY_SOURCE_SQL, DETECTED_ONLY_BY_SOURCE_SQL
    else:
        counts_sql, tops_sql = LANGUAGE_COUNTS_BY_COUNTRY_SQL, DETECTED_ONLY_BY_COUNTRY_SQL
    counts = {row["key"]: row for row in _query(conn, counts_sql, params)}
    detected: dict[Any, Counter[str]] = defaultdict(Counter)
    for row in _query(conn, tops_sql, params):
        detected[row["key"]][row["value"]] = row["records"]
    empty = dict.fromkeys(FIGURES, 0)
    rows = []
    if country:
        names = dict(conn.execute("SELECT id, name FROM sources WHERE country = ?", (code,)))
        for key in sorted(set(counts) | set(names)):
            row = counts.get(key, empty)
            rows.append({"id": key, "name": names.get(key, key), "country": code,
                         **{f: row[f] for f in FIGURES},
                         "top_detected_only": _tops(detected[key], row["records"])})
        keys, columns, label = SOURCE_KEYS, SOURCE_COLUMNS, "id"
    else:
        others = sorted(k for k in counts if k and k not in CIS_BALTIC)
        for key in [*CIS_BALTIC, *others, *([None] if None in counts else [])]:
            row = counts.get(key, empty)
            rows.append({"country": key, "name": country_name(key) if key else "(no country)",
                         **{f: row[f] for f in FIGURES},
                         "top_detected_only": _tops(detected[key], row["records"])})
        keys, columns, label = KEYS, COLUMNS, "country"
    total = sum(r["records"] for r in rows)
    kind = ("source" if country else "country") if len(rows) == 1 else (
        "sources" if country else "countries")
    totals = {label: "total", "name": f"{len(rows)} {kind}",
              **{f: sum(r[f] for r in rows) for f in FIGURES},
              "top_detected_only": _tops(sum(detected.values(), Counter()), total)}
    return Report(rows, columns, keys, totals if rows else None,
                  empty=f"{country}: no source and no record" if country else "no record yet")
