"""The analysts' and the thematic gateways' pages of the site: a Datasette plugin.

- `/themes`: every theme of config/themes.toml with its records and unique resources;
- `/themes/<id>`: one theme's landing page: what it covers, its records by country (all 15
  countries, those with none too) and by language, the map, its newest and most-provided
  resources, and a search within it (the resources page narrowed by ?themes__arraycontains=);
- `/-/map/coverage.svg?country=&theme=`: the coverage map (oerhub/publish/coverage_map.py),
  drawn here from the bundled geometry: no tile server, nothing from the network;
- for the templates (the dashboard, config/templates/dashboard_view.html): `coverage_map()`,
  the map inline, and `oerhub_themes`, the themes named in the interface language.

Everything a visitor sends reaches SQL as a bound parameter only, and the pages are Jinja
templates with autoescape (config/templates/oerhub_theme*.html).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils.asgi import NotFound, Request, Response
from markupsafe import Markup

from oerhub.enrich.themes import Theme, Themes, load_themes
from oerhub.publish import gateway_queries as q
from oerhub.publish import site_i18n
from oerhub.publish.coverage_map import MapWords, Pin, coverage_svg
from oerhub.publish.names import N_
from oerhub.publish.report import CIS_BALTIC

PLUGIN_NAME = "oerhub-gateways"
DATABASE_NAME = "oerhub"  # as oerhub.publish.serve names the catalogue
MAX_ARGUMENT = 200  # characters of a filter value kept (a country code or a theme id is short)
LISTED = 8  # newest and most-provided resources on a theme page
SERVER_CHARTS = ("metric", "bars")  # the dashboard's charts drawn from their rows here


def register() -> None:
    """Register this module with Datasette's plugin manager (once per process)."""
    from datasette.plugins import pm

    module = sys.modules[__name__]
    if not pm.is_registered(module):
        pm.register(module, name=PLUGIN_NAME)


def themes() -> Themes:
    """config/themes.toml as the themes step reads it (read again when it changes)."""
    return load_themes()


def ui_language(request: Request | None) -> str:
    """The interface language of a request (?lang=, the cookie, Accept-Language, English)."""
    return site_i18n.request_language(request)


def translated(value: Any, gettext: Callable[..., str]) -> Any:
    """A chart's configuration with every `title` translated (the vega-lite axis titles)."""
    if isinstance(value, dict):
        return {key: gettext(item) if key == "title" and isinstance(item, str) else
                translated(item, gettext) for key, item in value.items()}
    if isinstance(value, list):
        return [translated(item, gettext) for item in value]
    return value


# The dashboard's words in config/metadata.yaml (plugins: datasette-dashboards: coverage:),
# which config/templates/dashboard_view.html translates: marked here for `make messages`
# (a test keeps this list and the metadata in step).
DASHBOARD_WORDS = (
    N_("Coverage"),
    N_("What the catalogue holds in each of the 15 CIS and Baltic countries, those with no "
       "records too: records and unique resources, licences, languages, resource types and "
       "months of harvest. Pick a country or a theme to narrow every chart."),
    N_("Country"), N_("Theme"), N_("Records"), N_("Unique resources"),
    N_("Sources with records"), N_("Countries with records (of 15)"),
    N_("Records per country (map)"), N_("Records and unique resources per country"),
    N_("Licence mix per country (open / restricted / unknown)"), N_("Open licence"),
    N_("Restricted"), N_("Unknown"), N_("Languages"), N_("Resource types"),
    N_("Records added per month (first harvested)"), N_("Month"),
)


def _argument(request: Request, name: str) -> str | None:
    value = request.args.get(name) or None
    return value[:MAX_ARGUMENT] if value else None


class Figures:
    """The queries of one page. A query the site's time limit stops (sql_time_limit_ms) gives
    no rows and marks the page `incomplete`, which says so: a page, not an error."""

    def __init__(self, datasette: Any) -> None:
        self.database = datasette.get_database(DATABASE_NAME)
        self.incomplete = False

    async def rows(self, sql: str, params: dict[str, Any]) -> list[Any]:
        try:
            return list((await self.database.execute(sql, params)).rows)
        except QueryInterrupted:
            self.incomplete = True
            return []


# --- the map -------------------------------------------------------------------------------

async def by_country(figures: Figures, country: str | None, theme: str | None
                     ) -> dict[str, int]:
    """Live records per country, narrowed to a country and a theme."""
    sql, params = q.records_by_country_sql(country, theme)
    return {row["country"]: row["records"] for row in await figures.rows(sql, params)}


async def map_svg(figures: Figures, language: str, country: str | None = None,
                  theme: str | None = None, ident: str = "coverage-map",
                  heading: bool = True, counts: dict[str, int] | None = None) -> str:
    """The coverage map of the live records, narrowed to a country and a theme (`counts`:
    its records per country, when the page has them already)."""
    ui = site_i18n.interface(language)
    _ = ui.gettext
    if counts is None:
        counts = await by_country(figures, country, theme)
    sql, params = q.pins_sql(country, theme)
    pins = []
    for row in await figures.rows(sql, params):
        try:
            pins.append(Pin(str(row["name"]), float(row["latitude"]), float(row["longitude"]),
                            int(row["records"])))
        except (TypeError, ValueError):
            continue  # a place that is not a number is no place
    names = {code: ui.names.country(code) for code in CIS_BALTIC}
    title = _("Records per country")
    if theme and theme in {t.id for t in themes().themes}:
        title = _("Records per country: %(theme)s", theme=themes().get(theme).name(language))
    words = MapWords(title, _("Live records in each of the 15 countries"), _("Records"),
                     _("Sources with a known place"))
    return coverage_svg(counts, names, words, pins, ui.format_number, ident, heading)


async def map_view(request: Request, datasette: Any) -> Response:
    svg = await map_svg(Figures(datasette), ui_language(request),
                        _argument(request, "country"), _argument(request, "theme"))
    return Response(svg, content_type="image/svg+xml; charset=utf-8",
                    headers={"X-Content-Type-Options": "nosniff",
                             "Content-Security-Policy": "default-src 'none'; style-src "
                                                        "'unsafe-inline'"})


# --- the theme pages -----------------------------------------------------------------------

def _theme_summary(theme: Theme, language: str, totals: dict[str, Any]) -> dict[str, Any]:
    records, resources = totals.get(theme.id, (0, 0))
    return {"id": theme.id, "name": theme.name(language),
            "description": theme.description(language), "records": records,
            "resources": resources}


async def _totals(figures: Figures, theme: str | None = None) -> dict[str, tuple[int, int]]:
    """theme -> (records, unique resources): every theme's, or one's."""
    sql, params = (q.THEME_TOTAL_SQL, {"theme": theme}) if theme else (q.THEME_TOTALS_SQL, {})
    return {row["theme"]: (row["records"], row["resources"])
            for row in await figures.rows(sql, params)}


async def themes_view(request: Request, datasette: Any) -> Response:
    language = ui_language(request)
    figures = Figures(datasette)
    totals = await _totals(figures)
    listed = [_theme_summary(theme, language, totals) for theme in themes().themes]
    return Response.html(await datasette.render_template(
        "oerhub_themes.html", {"themes": listed, "incomplete": figures.incomplete},
        request=request))


async def theme_view(request: Request, datasette: Any) -> Response:
    language = ui_language(request)
    known = {theme.id: theme for theme in themes().themes}
    theme_id = request.url_vars["theme"]
    if theme_id not in known:
        raise NotFound(site_i18n.interface(language).gettext("No such theme"))
    theme = known[theme_id]
    figures = Figures(datasette)
    summary = _theme_summary(theme, language, await _totals(figures, theme.id))
    # the theme's records per country (read by the theme's key) beside each country's
    in_theme = await by_country(figures, None, theme.id)
    everything = await by_country(figures, None, None)
    names = site_i18n.interface(language).names
    countries = [{"code": code, "name": names.country(code), "records": in_theme.get(code, 0),
                  "all": records, "share": in_theme.get(code, 0) / records if records else None}
                 for code, records in q.region_rows({**dict.fromkeys(in_theme, 0), **everything},
                                                    0)]
    countries.sort(key=lambda row: (-row["records"], row["name"]))
    languages = [{"code": row["language"], "name": names.language(row["language"]),
                  "records": row["records"]}
                 for row in await figures.rows(q.THEME_LANGUAGES_SQL, {"theme": theme.id})]
    newest = [{**dict(row), "country_name": names.country(row["country"])
               if row["country"] else ""}
              for row in await figures.rows(q.THEME_NEWEST_SQL,
                                            {"theme": theme.id, "limit": LISTED})]
    provided = [dict(row) for row in await figures.rows(q.THEME_MOST_PROVIDED_SQL,
                                                        {"theme": theme.id, "limit": LISTED})]
    svg = await map_svg(figures, language, theme=theme.id, ident="theme-map", counts=in_theme)
    return Response.html(await datasette.render_template(
        "oerhub_theme.html",
        {"theme": summary, "countries": countries, "languages": languages,
         "newest": newest, "most_provided": provided, "map_svg": Markup(svg),
         "peak": max([row["records"] for row in countries] or [0]),
         "incomplete": figures.incomplete}, request=request))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/themes/?$", themes_view),
            (r"^/themes/(?P<theme>[^/]+)/?$", theme_view),
            (r"^/-/map/coverage\.svg$", map_view)]


@hookimpl
def menu_links(datasette: Any, request: Request | None) -> list[dict[str, str]]:
    """The themes in the site's menu, beside the plugin's Dashboards."""
    return [{"href": datasette.urls.path("/themes"),
             "label": site_i18n.interface(ui_language(request)).gettext("Themes")}]


@hookimpl
def extra_template_vars(request: Request | None, datasette: Any) -> dict[str, Any]:
    """The map and the themes for the site's templates (the dashboard)."""
    language = ui_language(request)

    async def coverage_map(country: str | None = None, theme: str | None = None) -> Markup:
        return Markup(await map_svg(Figures(datasette), language, (country or None) and
                                    str(country)[:MAX_ARGUMENT],
                                    (theme or None) and str(theme)[:MAX_ARGUMENT],
                                    heading=False))

    async def chart_rows(charts: dict[str, Any], parameters: dict[str, str]
                         ) -> dict[str, list[Any] | None]:
        """The rows of the dashboard's charts drawn on the server, their queries run side by
        side (Datasette's SQL threads) instead of one after another; None for a query the
        time limit stopped (the card says so, the page still renders)."""
        drawn = [slug for slug, chart in charts.items()
                 if chart.get("library") in SERVER_CHARTS and chart.get("query")]

        async def rows(chart: dict[str, Any]) -> list[Any] | None:
            database = datasette.get_database(chart.get("db") or DATABASE_NAME)
            try:
                return list((await database.execute(chart["query"], dict(parameters))).rows)
            except QueryInterrupted:
                return None
        found = await asyncio.gather(*(rows(charts[slug]) for slug in drawn))
        return dict(zip(drawn, found))

    return {
        "coverage_map": coverage_map,
        "oerhub_chart_rows": chart_rows,
        "oerhub_themes": [(theme.id, theme.name(language)) for theme in themes().themes],
        "oerhub_translated": lambda chart: translated(chart,
                                                      site_i18n.interface(language).gettext),
    }
