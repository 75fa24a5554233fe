"""`oerhub report survey`: the survey written as DIR/index.html, DIR/survey.pdf and
DIR/figures/*.csv.

The figures come from oerhub/publish/survey/figures.py (queries), the words from
messages.py, the charts from charts.py; the page is the Jinja2 template beside this module,
and WeasyPrint prints the same page to PDF (paged media CSS: A4, page numbers, contents).
"""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from oerhub.enrich.themes import load_themes
from oerhub.errors import OerhubError
from oerhub.publish.report import CIS_BALTIC, check_country
from oerhub.publish.survey import charts
from oerhub.publish.survey.figures import (
    NATIONAL_LANGUAGES,
    Figure,
    changes_figure,
    countries_figure,
    distributions,
    harvest_window,
    sources_figure,
    Scope,
    summary_figure,
    themes_figure,
)
from oerhub.publish.survey.fonts import font_faces
from oerhub.publish.survey.messages import (
    LANGUAGES,
    MESSAGES,
    NOT_STATED,
    country_name,
    language_name,
    level_name,
    resource_type_name,
)
from oerhub.registry import Config

TEMPLATES = Path(__file__).resolve().parent / "templates"
HALF = 360  # px: the width of a chart in a half column, drawn about 1:1 on the page


@dataclass
class Survey:
    """What was written, for the command to report."""

    out: Path
    html: Path
    pdf: Path | None
    figures: list[Path] = field(default_factory=list)


def _csv(figure: Figure, directory: Path) -> Path:
    path = directory / f"{figure.name}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(figure.columns)
        for row in figure.rows:
            writer.writerow(["" if v is None else ("true" if v is True else "false")
                             if isinstance(v, bool) else v for v in row])
    return path


class Words:
    """Numbers, shares and names in the survey's language."""

    def __init__(self, lang: str) -> None:
        self.lang, self.m = lang, MESSAGES[lang]

    def num(self, value: Any) -> str:
        if value is None:
            return "–"
        text = f"{value:,}"
        return text if self.lang == "en" else text.replace(",", "\u00a0")

    def pct(self, share: float | None) -> str:
        if share is None:
            return "–"
        text = "<1%" if 0 < share < 0.005 else ">99%" if 0.995 <= share < 1 else f"{share:.0%}"
        return text if self.lang == "en" else text.replace("%", "\u00a0%")

    def country(self, code: str) -> str:
        return country_name(code, self.lang)

    def language(self, code: str) -> str:
        return NOT_STATED[self.lang] if code == "none" else language_name(code, self.lang)

    def value(self, value: str) -> str:
        """A licence id as it is, or 'not stated'."""
        return NOT_STATED[self.lang] if value == "none" else value

    def type(self, value: str) -> str:
        return NOT_STATED[self.lang] if value == "none" else resource_type_name(value, self.lang)

    def level(self, value: str) -> str:
        return NOT_STATED[self.lang] if value == "none" else level_name(value, self.lang)

    def date(self, value: str | None) -> str:
        return value[:10] if value else self.m["never_short"]


def _missing(words: Words, code: str, row: dict[str, Any], sources: list[dict[str, Any]],
             levels: list[dict[str, Any]]) -> list[str]:
    """What a reader should know is missing in one country, in sentences."""
    m, name, out = words.m, words.country(code), []
    if not sources:
        out.append(m["no_source"].format(country=name))
    elif not row["records"]:
        out.append(m["no_records"].format(country=name))
    if row["records"] and not row["open_license"]:
        out.append(m["no_open"].format(country=name))
    elif row["records"] and row["open_license_share"] < 0.5:
        out.append(m["low_open"].format(country=name, share=words.pct(row["open_license_share"])))
    if row["records"] and not row["national_language"]:
        langs = ", ".join(words.language(lang) for lang in NATIONAL_LANGUAGES.get(code, ()))
        out.append(m["no_national"].format(country=name, languages=langs))
    if row["records"] and all(level["value"] == "none" for level in levels):
        out.append(m["no_level"].format(country=name))
    for status in ("failing", "never"):
        ids = [s["id"] for s in sources if s["status"] == status]
        if ids:
            out.append(m[status].format(n=len(ids), ids=", ".join(ids)))
    return out or [m["nothing_missing"]]


def _profile(config: Config, conn: sqlite3.Connection, words: Words, row: dict[str, Any],
             theme: str | None = None) -> tuple[dict[str, Any], list[Figure]]:
    code = row["country"]
    sources = sources_figure(config, conn, Scope([code], theme), name=f"{code}_sources")
    dists = distributions(conn, Scope([code], theme), prefix=f"{code}_")
    by_kind = {f.name.removeprefix(f"{code}_"): f for f in dists}
    profile = {"code": code, "name": words.country(code), "row": row,
               "sources": sources.dicts(), "figures": {k: f.dicts() for k, f in by_kind.items()},
               "growth_svg": charts.columns([(r[0], r[1]) for r in by_kind["growth"].rows],
                                            width=HALF),
               "languages_svg": charts.hbar([(words.language(r[0]), r[1])
                                             for r in by_kind["languages"].rows[:8]], width=HALF),
               "missing": _missing(words, code, row, sources.dicts(),
                                   by_kind["education_levels"].dicts())}
    return profile, [sources, *dists]


def build_context(config: Config, conn: sqlite3.Connection, lang: str = "en",
                  country: str | None = None, since: str | None = None,
                  theme: str | None = None) -> tuple[dict[str, Any], list[Figure]]:
    """Everything the template shows, and the figures behind it (each one CSV); with
    `theme` (an id of config/themes.toml), of that theme's records only."""
    if lang not in LANGUAGES:
        raise OerhubError(f"--lang {lang!r}: the survey is written in {', '.join(LANGUAGES)}")
    words = Words(lang)
    all_themes = load_themes()
    chosen = [all_themes.get(theme)] if theme else list(all_themes.themes)
    codes: Sequence[str] = Scope([check_country(country, config, conn)] if country
                                 else CIS_BALTIC, theme)
    summary = summary_figure(config, conn, codes)
    countries = countries_figure(config, conn, codes)
    themes = themes_figure(conn, codes, [(t.id, t.name(lang)) for t in chosen])
    figures = [summary, countries, *distributions(conn, codes),
               sources_figure(config, conn, codes), themes]
    changes = changes_figure(config, conn, codes, since) if since else None
    if changes:
        figures.append(changes)
    rows = countries.dicts()
    unique = {r["country"]: r["unique_resources"] for r in rows}
    names = {c: words.country(c) for c in CIS_BALTIC}
    ranked = sorted(rows, key=lambda r: (-r["unique_resources"], names[r["country"]]))
    profiles = []
    for row in rows:
        profile, more = _profile(config, conn, words, row, theme)
        profiles.append(profile)
        figures += more
    by_name = {f.name: f for f in figures}
    title = (words.m["title_country"].format(country=words.country(codes[0])) if country
             else words.m["title"])
    if theme:
        title = words.m["title_theme"].format(title=title, theme=chosen[0].name(lang))
    context = {
        "lang": lang, "m": words.m, "w": words, "title": title,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "summary": dict(summary.rows), "changes": dict(changes.rows) if changes else None,
        "countries": rows, "profiles": profiles,
        "map_svg": charts.choropleth({c: unique.get(c, 0) for c in CIS_BALTIC}, names),
        "bar_svg": charts.hbar([(names[r["country"]], r["unique_resources"]) for r in ranked]),
        "region": {k: by_name[k].dicts() for k in (
            "languages", "licences", "resource_types", "education_levels", "providers")},
        "region_languages_svg": charts.hbar([(words.language(r[0]), r[1])
                                             for r in by_name["languages"].rows[:10]],
                                            width=HALF),
        "growth_svg": charts.columns([(r[0], r[1]) for r in by_name["growth"].rows],
                                     width=HALF),
        "registry": by_name["sources"].dicts(), "window": harvest_window(conn, codes),
        "one_country": bool(country),
        "themes": [{"id": t.id, "name": t.name(lang),
                    "counts": [r for r in themes.dicts() if r["theme"] == t.id]}
                   for t in chosen],
        "theme": chosen[0].name(lang) if theme else None,
    }
    return context, figures


def render_html(context: dict[str, Any], embed_fonts: bool = True) -> str:
    """The page: one self-contained HTML file (styles, fonts and SVG inside)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(("html", "j2")),
                             trim_blocks=True, lstrip_blocks=True)
    page = env.get_template("survey.html.j2").render(**context, font_css="")
    if embed_fonts:  # subset the fonts to the characters the page uses
        page = env.get_template("survey.html.j2").render(**context, font_css=font_faces(page))
    return page


def write_pdf(html: str, path: Path) -> None:
    """Print the page with WeasyPrint (needs Pango from the system; see the README)."""
    try:
        import weasyprint
    except OSError as error:  # the system's Pango is missing
        raise OerhubError(f"the PDF needs Pango (apt-get install libpango-1.0-0 "
                          f"libpangoft2-1.0-0): {error}") from error
    weasyprint.HTML(string=html, base_url=str(path.parent)).write_pdf(path)


def write_survey(config: Config, conn: sqlite3.Connection, out: Path, *, lang: str = "en",
                 country: str | None = None, since: str | None = None,
                 pdf: bool = True, theme: str | None = None) -> Survey:
    """Write DIR/index.html, DIR/survey.pdf and DIR/figures/*.csv."""
    context, figures = build_context(config, conn, lang, country, since, theme)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    written = [_csv(figure, out / "figures") for figure in figures]
    html = render_html(context)
    (out / "index.html").write_text(html, encoding="utf-8")
    survey = Survey(out, out / "index.html", None, written)
    if pdf:
        write_pdf(html, out / "survey.pdf")
        survey.pdf = out / "survey.pdf"
    return survey
