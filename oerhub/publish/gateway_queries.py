"""What the coverage map and the theme pages read from the catalogue (read-only SQL).

Kept apart from the pages (oerhub/publish/gateways.py) so that the tests can check each figure
against record_themes, record_groups and records directly. Every query takes named
parameters; nothing a visitor sends is ever put into the SQL text.
"""

from __future__ import annotations

from typing import Any

from oerhub.publish.report import CIS_BALTIC

# A theme's records: only live ones (the themes step drops a deleted record's rows at its next
# run; until then the join keeps them out).
_IN_THEME = ("FROM record_themes AS t JOIN records AS r ON r.id = t.record_id "
             "AND r.deleted = 0 WHERE t.theme = :theme")

# Per theme: live records and unique resources (one per duplicate group, as unique_resources).
THEME_TOTALS_SQL = """
SELECT t.theme AS theme, COUNT(*) AS records,
       COUNT(DISTINCT COALESCE(g.group_id, r.id)) AS resources
FROM record_themes AS t
JOIN records AS r ON r.id = t.record_id AND r.deleted = 0
LEFT JOIN record_groups AS g ON g.record_id = r.id
GROUP BY t.theme
"""

# The same for one theme (:theme), read by its key.
THEME_TOTAL_SQL = """
SELECT t.theme AS theme, COUNT(*) AS records,
       COUNT(DISTINCT COALESCE(g.group_id, r.id)) AS resources
FROM record_themes AS t
JOIN records AS r ON r.id = t.record_id AND r.deleted = 0
LEFT JOIN record_groups AS g ON g.record_id = r.id
WHERE t.theme = :theme
GROUP BY t.theme
"""

THEME_LANGUAGES_SQL = f"""
SELECT r.language AS language, COUNT(*) AS records {_IN_THEME}
GROUP BY r.language ORDER BY records DESC, r.language LIMIT 40
"""

# The newest: by the date the resource gives (a year or a full date, sorted as written), those
# without one last.
THEME_NEWEST_SQL = f"""
SELECT r.id, r.title, r.country, r.language, r.date,
       (SELECT s.name FROM sources AS s WHERE s.id = r.source_id) AS source
{_IN_THEME}
ORDER BY r.date IS NULL, r.date DESC, r.id DESC LIMIT :limit
"""

# The most provided: the theme's resources that most sources give (record_groups: one group
# per resource, named by its lowest record id), then most records.
THEME_MOST_PROVIDED_SQL = """
SELECT g.group_id AS id, (SELECT x.title FROM records AS x WHERE x.id = g.group_id) AS title,
       COUNT(DISTINCT r.source_id) AS sources, COUNT(*) AS records,
       (SELECT x.language FROM records AS x WHERE x.id = g.group_id) AS language
FROM record_groups AS g
JOIN records AS r ON r.id = g.record_id AND r.deleted = 0
WHERE g.group_id IN (SELECT record_id FROM record_themes WHERE theme = :theme)
GROUP BY g.group_id HAVING COUNT(*) > 1
ORDER BY sources DESC, records DESC, g.group_id LIMIT :limit
"""


def _live(country: str | None, theme: str | None) -> tuple[str, dict[str, str]]:
    """FROM and WHERE of the live records of a country and a theme (None: all). A theme's are
    read from record_themes by its key (theme, record_id), never by testing every record."""
    params: dict[str, str] = {}
    if theme:
        sql = ("FROM record_themes AS t JOIN records AS r ON r.id = t.record_id "
               "WHERE t.theme = :theme AND r.deleted = 0")
        params["theme"] = theme
    else:
        sql = "FROM records AS r WHERE r.deleted = 0"
    if country:
        sql += " AND r.country = :country"
        params["country"] = country
    return sql, params


def records_by_country_sql(country: str | None, theme: str | None) -> tuple[str, dict[str, str]]:
    """Live records per country (narrowed), for the map."""
    live, params = _live(country, theme)
    return f"SELECT r.country AS country, COUNT(*) AS records {live} GROUP BY r.country", params


def pins_sql(country: str | None, theme: str | None) -> tuple[str, dict[str, str]]:
    """The sources with a place, each with its live records (narrowed), for the map's dots."""
    live, params = _live(None, theme)
    place = " AND s.country = :country" if country else ""
    if country:
        params["country"] = country
    return (f"SELECT s.name, s.latitude, s.longitude, COALESCE(c.records, 0) AS records "
            f"FROM sources AS s LEFT JOIN (SELECT r.source_id, COUNT(*) AS records {live} "
            "GROUP BY r.source_id) AS c ON c.source_id = s.id "
            f"WHERE s.latitude IS NOT NULL AND s.longitude IS NOT NULL{place} "
            "ORDER BY s.country, s.name", params)


def region_rows(counts: dict[Any, Any], zero: Any) -> list[tuple[Any, Any]]:
    """(country, figures) for the 15 countries, those absent with `zero`, then the others
    with figures (the unknown country, None, last)."""
    others = sorted(c for c in counts if c and c not in CIS_BALTIC)
    codes: list[Any] = [*CIS_BALTIC, *others] + ([None] if None in counts else [])
    return [(code, counts.get(code, zero)) for code in codes]
