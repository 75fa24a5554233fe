"""`oerhub report coverage --theme ID`: one theme's coverage by country.

Reads record_themes, which the `themes` enrichment step (oerhub/enrich/themes.py) fills by
the rules of config/themes.toml. One row per CIS and Baltic country, then any other country
with live records: live records, the theme's live records, and their share of the country's.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from oerhub.enrich.themes import Theme
from oerhub.publish.render import Column, Report
from oerhub.publish.report import CIS_BALTIC
from oerhub.registry import country_name

# Per country: live records, and those in the theme. The figures the survey's Themes section
# shows are the same query (oerhub/publish/survey/figures.py).
THEME_BY_COUNTRY_SQL = """
SELECT r.country AS country, COUNT(*) AS records,
       COUNT(t.record_id) AS theme_records
FROM records AS r
LEFT JOIN record_themes AS t ON t.record_id = r.id AND t.theme = :theme
WHERE r.deleted = 0
GROUP BY r.country
"""

THEME_KEYS = ("country", "name", "theme", "records", "theme_records", "theme_share")
THEME_COLUMNS = (
    Column("country", "country"),
    Column("name", "name"),
    Column("records", "records", "count"),
    Column("theme_records", "in theme", "count"),
    Column("theme_share", "share", "share"),
)


def theme_counts(conn: sqlite3.Connection, theme_id: str) -> dict[str | None, tuple[int, int]]:
    """country -> (live records, live records in the theme)."""
    return {row[0]: (row[1], row[2])
            for row in conn.execute(THEME_BY_COUNTRY_SQL, {"theme": theme_id})}


def theme_coverage_report(conn: sqlite3.Connection, theme: Theme) -> Report:
    """The theme's coverage by country, with a totals row."""
    counts = theme_counts(conn, theme.id)
    others = sorted(c for c in counts if c and c not in CIS_BALTIC)
    codes: list[str | None] = [*CIS_BALTIC, *others] + ([None] if None in counts else [])
    rows: list[dict[str, Any]] = []
    for code in codes:
        records, in_theme = counts.get(code, (0, 0))
        rows.append({"country": code, "name": country_name(code) if code else "(no country)",
                     "theme": theme.id, "records": records, "theme_records": in_theme,
                     "theme_share": in_theme / records if records else None})
    records = sum(r["records"] for r in rows)
    in_theme = sum(r["theme_records"] for r in rows)
    totals = {"country": "total", "name": f"{theme.name('en')} ({theme.id})",
              "theme": theme.id, "records": records, "theme_records": in_theme,
              "theme_share": in_theme / records if records else None}
    return Report(rows, THEME_COLUMNS, THEME_KEYS, totals)
