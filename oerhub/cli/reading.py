"""The commands that read the catalogue or check it: report, links, languages, serve and
publish."""

from __future__ import annotations

import os
from pathlib import Path

import click

from oerhub.catalogue import Catalogue
from oerhub.cli.options import (
    config_option,
    country_rows_option,
    db_option,
    existing_db,
    format_option,
    site_option,
)
from oerhub.errors import OerhubError
from oerhub.registry import Config, config_path, load_config


@click.group()
def report() -> None:
    """Reports on the catalogue: coverage by country, metadata quality by source, languages."""


@report.command("coverage")
@country_rows_option
@click.option("--theme", "theme_id", metavar="ID", help="This theme's coverage by country "
              "(an id of config/themes.toml).")
@format_option
@config_option
@db_option
def report_coverage(country: str | None, theme_id: str | None, fmt: str,
                    config_file: str | None, db_file: str | None) -> None:
    """What the catalogue holds per country.

    One row per CIS and Baltic country (those without a source too) and per other country
    of the registry: sources in the registry (enabled), sources whose last run was ok, live
    records, the share with an open licence, the top 3 languages and resource types, and
    the last ok harvest. --country XX shows that country's sources instead. --theme ID
    shows one theme's coverage by country: live records, those in the theme (as the
    `themes` step after each harvest found them) and their share.

    \b
    Examples:
      oerhub report coverage
      oerhub report coverage --country UA
      oerhub report coverage --theme teacher-education
      oerhub report coverage --format markdown > coverage.md
      oerhub report coverage --format csv --db /srv/oer/catalogue.db
    """
    from oerhub.publish.report import coverage_report, render

    if theme_id:
        from oerhub.enrich.themes import load_themes
        from oerhub.publish.theme_report import theme_coverage_report

        if country:
            raise click.UsageError("--theme and --country go separately")
        theme = load_themes().get(theme_id)
        with Catalogue(existing_db(db_file)) as catalogue:
            click.echo(render(theme_coverage_report(catalogue.conn, theme), fmt))
        return
    with Catalogue(existing_db(db_file)) as catalogue:
        config = named_registry(config_file) or catalogue.registry()
        click.echo(render(coverage_report(config, catalogue.conn, country), fmt))


@report.command("quality")
@click.option("--source", "source_id", metavar="ID", help="Only this source.")
@format_option
@db_option
def report_quality(source_id: str | None, fmt: str, db_file: str | None) -> None:
    """Field fill per source: which mapping to fix.

    Per source, its live records and the share of them with each field filled: title,
    description, language, licence, resource type, URL, subjects (a non-empty list). A
    language, licence or type the normaliser could not map counts as empty; its spelling is
    kept in the *_raw column.

    \b
    Examples:
      oerhub report quality
      oerhub report quality --source ua-ukma-ekmair
      oerhub report quality --format csv > quality.csv
    """
    from oerhub.publish.report import quality_report, render

    with Catalogue(existing_db(db_file)) as catalogue:
        click.echo(render(quality_report(catalogue.conn, source_id), fmt))


@report.command("languages")
@country_rows_option
@format_option
@config_option
@db_option
def report_languages(country: str | None, fmt: str, config_file: str | None,
                     db_file: str | None) -> None:
    """Declared and detected languages, counted apart, per country.

    Of the live records: how many declare a language, how many have only a detected one
    (`oerhub languages detect`, which `oerhub schedule` runs after each harvest), how many
    have neither; of those
    with both, how many agree, disagree (another language detected with confidence >= 0.9) or
    are uncertain; and the languages detected where none was declared. --country XX shows
    that country's sources instead.

    \b
    Examples:
      oerhub report languages
      oerhub report languages --country KG
      oerhub report languages --format csv > languages.csv
    """
    from oerhub.publish.language_report import languages_report
    from oerhub.publish.report import render

    with Catalogue(existing_db(db_file)) as catalogue:
        config = named_registry(config_file) or catalogue.registry()
        click.echo(render(languages_report(config, catalogue.conn, country), fmt))


@click.group()
def links() -> None:
    """Link health: do the records' URLs still lead somewhere?"""


@links.command("check")
@click.option("--source", "source_id", metavar="ID", help="Only this source's records.")
@click.option("--limit", type=click.IntRange(1), metavar="N",
              help="Check at most N URLs (those checked longest ago first).")
@click.option("--older-than", "older_than", type=click.FloatRange(0), metavar="DAYS",
              help="Skip URLs checked in the last DAYS days.")
@config_option
@db_option
def links_check(source_id: str | None, limit: int | None, older_than: float | None,
                config_file: str | None, db_file: str | None) -> None:
    """Visit each live record's URL politely and store what it answers.

    HEAD first, GET when HEAD is refused; redirects followed; robots.txt obeyed; one request
    at a time per host, [harvest] delay apart (default 1 s). Each URL ends live, moved (a
    permanent redirect: the record should be updated), dead (404/410), error (5xx, timeout,
    no connection) or disallowed (by robots.txt; not visited). Each check is stored when done,
    so an interrupted run loses nothing. Dead links are findings: the exit code is 0.
    `oerhub report quality` shows the dead-link share per source; the link_checks table has
    every check.

    \b
    Examples:
      oerhub links check
      oerhub links check --source ua-ukma-ekmair --limit 500
      oerhub links check --older-than 30       # only what was not checked this month
    """
    from oerhub.enrich.links import check_links

    config = load_config(config_file)
    db = existing_db(db_file)
    run = check_links(config, db, source_id=source_id, limit=limit, older_than=older_than,
                      echo=lambda line: click.echo(line, err=True))
    click.echo(run.describe())


@click.group()
def languages() -> None:
    """Language detection from titles and descriptions, beside the declared language."""


@languages.command("detect")
@click.option("--all", "everything", is_flag=True,
              help="Every live record, not only those changed since their last detection.")
@click.option("--source", "source_id", metavar="ID", help="Only this source's records.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@db_option
def languages_detect(everything: bool, source_id: str | None, quiet: bool,
                     db_file: str | None) -> None:
    """Detect the language of records from their title and description.

    Stores it in language_detected with language_confidence (0..1); the declared language
    (language) is never changed. Without --all, the records changed since their last
    detection: `oerhub schedule` runs it so after each scheduled harvest (a command of its
    own, as the models take about 400 MB); after a harvest by hand, run it by hand. Run it
    with --all after `oerhub renormalize` or an upgrade of the detector. Kyrgyz, Uzbek,
    Tajik and Turkmen come from CLD2, the other languages from lingua (see README).

    \b
    Examples:
      oerhub languages detect
      oerhub languages detect --all
      oerhub languages detect --source kg-krsu --all
    """
    from oerhub.enrich.languages import detect_languages

    with Catalogue(existing_db(db_file)) as catalogue:
        if source_id and not catalogue.count("sources", "id = ?", (source_id,)):
            raise OerhubError(f"--source {source_id!r}: no such source in the catalogue")
        run = detect_languages(catalogue, everything=everything, source_id=source_id)
    if not quiet:
        click.echo(run.describe())


@click.command()
@db_option
@site_option
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Sources registry to show (names, countries, coordinates) and to name /oai's "
                   "administrator ([site] admin_email, or a mailto: [harvest] contact); "
                   "default: the registry of the last harvest for the sources; for the "
                   "administrator $OERHUB_CONFIG, else sources.toml beside the catalogue, "
                   "else config/sources.toml.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
def serve(db_file: str | None, site_file: str | None, host: str, port: int,
          config_file: str | None) -> None:
    """Browse the catalogue in Datasette: search, facets, a coverage dashboard (until Ctrl-C).

    Read-only, with a time limit on every query; it keeps serving while a harvest writes.

    \b
    Examples:
      oerhub serve                          # http://127.0.0.1:8001/
      oerhub serve --db /srv/oer/catalogue.db --host 0.0.0.0 --port 8080
      oerhub serve --site config/metadata.yaml --config config/sources.toml
    """
    from oerhub.publish.serve import load_site
    from oerhub.publish.serve import serve as run_serve

    registry = None
    if config_file:  # show the registry as it is now, not as the last harvest saw it
        registry = load_config(config_file)
        with Catalogue(existing_db(db_file)) as catalogue:
            catalogue.sync_sources(registry)
    else:  # the harvest's registry names /oai's administrator ([site]): $OERHUB_CONFIG, the
        # registry beside the catalogue (as `oerhub demo` leaves it), config/sources.toml
        beside = existing_db(db_file).parent / "sources.toml"
        chosen = (config_path() if os.environ.get("OERHUB_CONFIG") or not beside.is_file()
                  else beside)
        registry = load_config(chosen) if chosen.is_file() else None
    run_serve(existing_db(db_file), load_site(site_file), host=host, port=port, echo=click.echo,
              registry=registry)


@click.command()
@db_option
@site_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory for the snapshot, the site files and a README.")
def publish(db_file: str | None, site_file: str | None, out_dir: str) -> None:
    """Write a consistent snapshot of the catalogue with its Datasette site, ready to host.

    The snapshot (DIR/oerhub.db) leaves out the harvester's internal tables; a harvest may run
    meanwhile. DIR/README.md says how to serve it (`datasette serve DIR`) or publish it.

    \b
    Examples:
      oerhub publish --out site/
      oerhub publish --db /srv/oer/catalogue.db --out /srv/oer/site
    """
    from oerhub.publish.serve import load_site
    from oerhub.publish.serve import publish as run_publish

    snapshot = run_publish(existing_db(db_file), Path(out_dir), load_site(site_file))
    click.echo(f"{snapshot.path}: {snapshot.resources:,} resources from {snapshot.sources:,} "
               f"sources in {snapshot.countries:,} countries")
    click.echo(f"Serve it: datasette serve {out_dir}   (see {Path(out_dir) / 'README.md'})")


@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="A JSON list of the records found.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000),
              help="At most this many records.")
@click.option("--country", metavar="XX", help="Only records of this country (ISO 3166-1).")
@click.option("--language", metavar="xx", help="Only records in this language (ISO 639-1); "
              "the query's words are then read in it.")
@db_option
def search(query: tuple[str, ...], as_json: bool, limit: int, country: str | None,
           language: str | None, db_file: str | None) -> None:
    """Search the catalogue as the site does: every word in any of its forms and scripts.

    `физика` finds `Задачи по физике` and `Fizika`, `физ` finds `Физика` (the last word, and
    short ones, also as a word's start), `fizike` finds `по физике`. Best matches first: the
    word as typed before its other forms, the title before the description.

    \b
    Examples:
      oerhub search физика
      oerhub search учебник физики --country RU --limit 5
      oerhub search fizikas --language lv --json
    """
    import json

    from oerhub.enrich.search_query import search as run_search

    with Catalogue(existing_db(db_file)) as catalogue:
        found = run_search(catalogue, " ".join(query), limit, country and country.upper(),
                           language and language.lower())
    rows = [{key: row[key] for key in ("identifier", "source_id", "title", "url", "language",
                                       "country")} for row in found]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        click.echo(f"{row['title']}  [{row['language'] or '-'}, {row['source_id']}]  "
                   f"{row['url'] or row['identifier']}")
    if not rows:
        click.echo("Nothing found.", err=True)


def named_registry(config_file: str | None) -> Config | None:
    """The registry named by --config or $OERHUB_CONFIG; None when none is named (the reports
    then count the sources the catalogue itself knows, not config/sources.toml's)."""
    if config_file or os.environ.get("OERHUB_CONFIG"):
        return load_config(config_file)
    return None


@report.command("survey")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory for index.html, survey.pdf and figures/*.csv.")
@click.option("--country", metavar="XX", help="Only this country (ISO 3166-1 alpha-2).")
@click.option("--lang", type=click.Choice(["en", "ru", "uk"]), default="en", show_default=True,
              help="Language of the text, and of country and language names.")
@click.option("--since", metavar="DATE", help="Also say what changed since DATE (YYYY-MM-DD): "
              "new resources, new sources, sources lost.")
@click.option("--no-pdf", "no_pdf", is_flag=True, help="Write the page and the CSVs only.")
@click.option("--theme", "theme_id", metavar="ID", help="The survey of one theme: only its "
              "records (an id of config/themes.toml).")
@config_option
@db_option
def report_survey(out_dir: str, country: str | None, lang: str, since: str | None,
                  no_pdf: bool, theme_id: str | None, config_file: str | None,
                  db_file: str | None) -> None:
    """An analytical survey of OER coverage in the CIS and Baltic countries, to hand on.

    Writes DIR/index.html (one self-contained page: charts as SVG, fonts inside),
    DIR/survey.pdf (A4, page numbers, contents) and DIR/figures/*.csv (the data behind
    every chart and table): a summary, a map and a bar chart of unique resources, one
    profile per country (sources and their health, languages, types, ISCED levels,
    licences, growth, providers, what is missing), the coverage of each theme
    (config/themes.toml) by country, and a methods annex. --theme ID makes it the survey
    of one theme: every figure counts that theme's records only.

    \b
    Examples:
      oerhub report survey --out survey/
      oerhub report survey --out survey-ru/ --lang ru --since 2026-01-01
      oerhub report survey --out ua/ --country UA --lang uk
      oerhub report survey --out tvet/ --theme tvet --lang ru
    """
    import datetime as dt

    from oerhub.publish.survey.build import write_survey

    if since:
        try:
            since = dt.date.fromisoformat(since).isoformat()
        except ValueError:
            raise OerhubError(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
    with Catalogue(existing_db(db_file)) as catalogue:
        config = named_registry(config_file) or catalogue.registry()
        survey = write_survey(config, catalogue.conn, Path(out_dir), lang=lang,
                              country=country, since=since, pdf=not no_pdf, theme=theme_id)
    click.echo(f"{survey.html}" + (f", {survey.pdf}" if survey.pdf else "")
               + f" and {len(survey.figures)} figures in {Path(out_dir) / 'figures'}")
