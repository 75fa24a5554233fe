"""The `oerhub` command: parses options, calls the library, turns our errors into messages.

Exit codes: 0 all went well, 1 some source failed (the others were still stored),
2 usage, registry or catalogue errors. No traceback reaches a user; set OERHUB_DEBUG=1 to see one.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from oerhub import __version__
from oerhub.config import config_path, db_path, load_config
from oerhub.errors import HarvestInterrupted, HarvestLocked, OerhubError
from oerhub.store import Catalogue

EXIT_FAILED = 1
EXIT_USAGE = 2


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--config", "config_file", type=click.Path(dir_okay=False),
                        help="Sources registry (default: $OERHUB_CONFIG or config/sources.toml).")(func)


def db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--db", "db_file", type=click.Path(dir_okay=False),
                        help="Catalogue file (default: $OERHUB_DB or data/oerhub.db).")(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="oerhub")
def cli() -> None:
    """Harvest Open Educational Resources of the CIS and Baltic countries into one catalogue."""


@cli.command()
@click.option("--source", "source_ids", multiple=True, metavar="ID",
              help="Harvest only this source (repeatable); disabled sources may be named.")
@click.option("--full", is_flag=True, help="Harvest everything again, not only what changed.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option("--wait", is_flag=True,
              help="If another harvest holds the catalogue, wait for it instead of exiting.")
@click.option("--accept-deletions", is_flag=True,
              help="Apply deletions the safety valve held back (after you checked the source).")
@click.option("--workers", type=click.IntRange(1, 64), metavar="N",
              help="Sources harvested at once (default: [harvest] workers, 8).")
@config_option
@db_option
def harvest(source_ids: tuple[str, ...], full: bool, quiet: bool, wait: bool,
            accept_deletions: bool, workers: int | None, config_file: str | None,
            db_file: str | None) -> None:
    """Harvest sources into the catalogue (incremental unless --full).

    Language detection is a command of its own, `oerhub languages detect`, run after the
    harvest (`oerhub schedule` does both).

    \b
    Examples:
      oerhub harvest                        # every enabled source
      oerhub harvest --source ua-ukma-ekmair   # one source
      oerhub harvest --full --db /srv/oer/catalogue.db
      oerhub harvest --source ru-x --accept-deletions
    """
    import dataclasses

    from oerhub.harvest import harvest as run_harvest
    from oerhub.progress import LogProgress, Progress, TerminalProgress

    config = load_config(config_file)
    if workers:
        config = dataclasses.replace(
            config, settings=dataclasses.replace(config.settings, workers=workers))
    if quiet:
        progress: Progress = Progress()
    elif sys.stderr.isatty():
        progress = TerminalProgress()
    else:
        progress = LogProgress()
    db = db_path(db_file)
    notes: list[str] = []
    try:
        results = run_harvest(config, db, source_ids, full=full, progress=progress, wait=wait,
                              accept_deletions=accept_deletions, notes=notes)
    except HarvestLocked as exc:
        click.echo(f"oerhub: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    except HarvestInterrupted as exc:  # Ctrl-C or SIGTERM: runs closed, lock released
        _show_results(exc.results, quiet)
        click.echo(f"oerhub: {exc}", err=True)
        sys.exit(128 + exc.signum if exc.signum else EXIT_FAILED)
    failed = _show_results(results, quiet)
    with Catalogue(db) as catalogue:
        streaks = catalogue.failing_streaks()
    for source_id, (count, error) in sorted(streaks.items()):
        if any(r.source_id == source_id for r in results):
            click.echo(f"oerhub: ATTENTION: {source_id} has failed {count} runs in a row; "
                       f"a person should look at it. Last error: {error.splitlines()[0]}",
                       err=True)
    if not quiet:
        for note in notes:
            click.echo(note)
        click.echo(f"{len(results) - len(failed)} of {len(results)} sources harvested into {db}")
    if failed:
        sys.exit(EXIT_FAILED)


def _show_results(results: list[Any], quiet: bool) -> list[Any]:
    """A line per source (and its warnings), the errors on stderr; the sources not ok."""
    failed = [r for r in results if r.status != "ok"]
    if not quiet:
        for r in results:
            click.echo(f"{r.source_id:<28} {r.status:<10} new {r.new:>7,}  updated {r.updated:>7,}"
                       f"  deleted {r.deleted:>6,}  unchanged {r.unchanged:>7,}  "
                       f"requests {r.requests:>5,}  {r.seconds:6.1f} s")
            for warning in r.warnings:
                click.echo(f"  warning: {warning}")
    for r in failed:
        click.echo(f"oerhub: {r.source_id}: {r.status}: {r.error}", err=True)
    return failed


@cli.group()
def sources() -> None:
    """The sources registry (config/sources.toml)."""


@sources.command("list")
@click.option("--country", help="Only this country (ISO 3166-1 alpha-2).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@config_option
@db_option
def sources_list(country: str | None, as_json: bool, config_file: str | None,
                 db_file: str | None) -> None:
    """List the registry by country, with each source's state and last run.

    \b
    Examples:
      oerhub sources list
      oerhub sources list --country UA
      oerhub sources list --json
    """
    from oerhub.registry import source_rows

    config = load_config(config_file)
    rows = source_rows(config, db_path(db_file), country)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    current = None
    for row in rows:
        if row["country"] != current:
            current = row["country"]
            count = sum(1 for r in rows if r["country"] == current)
            click.echo(f"\n{current}  {row['country_name']} ({count})")
        state = "enabled" if row["enabled"] else "disabled"
        last = row["last_run"] or "never harvested"
        click.echo(f"  {row['id']:<28} {state:<9} {row['platform'] or '':<8} {last:<30} "
                   f"{row['name']}")
    enabled = sum(1 for r in rows if r["enabled"])
    click.echo(f"\n{len(rows)} sources in {len({r['country'] for r in rows})} countries, "
               f"{enabled} enabled ({config.path})")


@sources.command("check")
@click.option("--source", "source_ids", multiple=True, metavar="ID",
              help="Check only this source (repeatable).")
@click.option("--enabled-only", is_flag=True, help="Skip sources marked enabled = false.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@config_option
def sources_check(source_ids: tuple[str, ...], enabled_only: bool, as_json: bool,
                  config_file: str | None) -> None:
    """Ask each source whether it answers, storing nothing.

    OAI-PMH sources get Identify and ListMetadataFormats (granularity, formats); web sources
    get robots.txt and their first listing page (what was found on it).

    Disabled sources are checked too (that is how they get confirmed) unless --enabled-only.

    \b
    Examples:
      oerhub sources check
      oerhub sources check --source by-bsu --json
    """
    from oerhub.registry import check_sources

    config = load_config(config_file)
    results = check_sources(config, source_ids, enabled_only=enabled_only)
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in results], ensure_ascii=False, indent=2))
    else:
        disabled = {s.id for s in config.sources if not s.enabled}
        for r in results:
            d = r.details
            if r.ok:
                if "granularity" in d:
                    click.echo(f"{r.source_id:<28} ok      {d.get('granularity', ''):<22} "
                               f"{', '.join(d.get('formats', []))}")
                else:  # a web source: its findings, briefly
                    found = "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in d.items()
                                      if isinstance(v, (str, int, float)) and str(v))
                    click.echo(f"{r.source_id:<28} ok      {found[:160]}")
                if r.source_id in disabled:
                    click.echo(f"{'':<28} confirmed: set enabled = true for it in {config.path}")
            else:
                click.echo(f"{r.source_id:<28} FAILED  {r.error}")
        ok = sum(1 for r in results if r.ok)
        click.echo(f"{ok} of {len(results)} sources answered correctly")
    if any(not r.ok for r in results):
        sys.exit(EXIT_FAILED)


@cli.command()
@click.option("--source", "source_id", metavar="ID", help="Only this source's records.")
@db_option
def renormalize(source_id: str | None, db_file: str | None) -> None:
    """Map the stored raw records again (after a mapping or vocabulary improves).

    No request is made: the raw metadata kept in the catalogue is normalised again. The
    enrichment steps (search across scripts, duplicates …) then follow the changed records.

    \b
    Examples:
      oerhub renormalize
      oerhub renormalize --source ua-ukma-ekmair
    """
    from oerhub.enrich import enrich
    from oerhub.renormalize import renormalize as run

    with Catalogue(_existing_db(db_file)) as catalogue:
        changed, total = run(catalogue, source_id)
        lines = enrich(catalogue)
    click.echo(f"{total:,} records normalised again, {changed:,} changed")
    for line in lines:
        click.echo(line)


@cli.command()
@click.option("--failed", is_flag=True, help="Only failed and incomplete runs.")
@click.option("--source", "source_id", metavar="ID", help="Only this source.")
@click.option("--limit", default=20, show_default=True, help="How many runs.")
@db_option
def runs(failed: bool, source_id: str | None, limit: int, db_file: str | None) -> None:
    """Show the recent harvest runs, newest first; sources failing again and again on top.

    \b
    Examples:
      oerhub runs
      oerhub runs --failed
    """
    with Catalogue(_existing_db(db_file)) as catalogue:
        rows = catalogue.runs(limit=limit, source_id=source_id, failed_only=failed)
        streaks = catalogue.failing_streaks()
    for streak_source, (count, error) in sorted(streaks.items()):
        if not source_id or streak_source == source_id:
            click.echo(f"ATTENTION: {streak_source} has failed its last {count} runs: "
                       f"{error.splitlines()[0] if error else ''}")
    if not rows:
        click.echo("no runs" + (" need attention" if failed else " yet"))
    for row in rows:
        received = (row["records_new"] + row["records_updated"] + row["records_deleted"]
                    + row["records_unchanged"])
        took = f"{row['seconds']:.1f} s" if row["seconds"] is not None else "-"
        click.echo(f"#{row['id']:<5} {row['started_at']}  {row['source_id']:<28} "
                   f"{row['status']:<10} {row['mode']:<19} records {received:>8,} "
                   f"(new {row['records_new']:,}, updated {row['records_updated']:,}, "
                   f"deleted {row['records_deleted']:,})  requests {row['requests']:,}  "
                   f"{row['bytes'] / 1e6:.1f} MB  {took}")
        if row["error"]:
            click.echo(f"       {row['error'].splitlines()[0]}")
        if row["status"] == "review":
            click.echo(f"       to confirm: oerhub harvest --source {row['source_id']} "
                       "--accept-deletions")


@cli.command()
@click.option("--dir", "directory", default="data/demo", show_default=True,
              type=click.Path(file_okay=False), help="Where the demo catalogue and config go.")
@click.option("--serve/--no-serve", default=False,
              help="After harvesting, browse the catalogue with Datasette until Ctrl-C.")
@click.option("--port", default=8001, show_default=True, help="Datasette's port with --serve.")
def demo(directory: str, serve: bool, port: int) -> None:
    """Serve sample repositories on 127.0.0.1, harvest them, and show what came in.

    \b
    Examples:
      oerhub demo
      oerhub demo --serve --port 8001
    """
    from oerhub.demo import run_demo

    run_demo(Path(directory), serve=serve, port=port, echo=click.echo)


@cli.command()
@click.option("--cron", is_flag=True, help="Print a crontab line.")
@click.option("--systemd", is_flag=True, help="Print a systemd service and timer.")
@click.option("--at", "at", default="03:17", show_default=True, metavar="HH:MM",
              help="Time of the daily harvest, 24-hour clock, this machine's time zone.")
@config_option
@db_option
@click.option("--user", metavar="NAME",
              help="Run the systemd service as NAME (default: the user running this command).")
def schedule(cron: bool, systemd: bool, at: str, config_file: str | None, db_file: str | None,
             user: str | None) -> None:
    """Print a daily harvest to install in cron or systemd, with absolute paths.

    It runs `oerhub harvest --quiet`, then `oerhub languages detect --quiet` (also when the
    harvest failed, which still shows: in cron's mail, or as a failed service), with this
    oerhub, from this directory, with the registry and catalogue given here (or their
    defaults), made absolute. Nothing is installed.

    \b
    Examples:
      oerhub schedule --cron                 # then: crontab -e, paste the two lines
      oerhub schedule --cron --at 22:45 --db /srv/oer/catalogue.db
      oerhub schedule --systemd --user oer   # two units and how to install them
    """
    import getpass

    from oerhub.schedule import cron_entry, default_executable, parse_time, systemd_units

    if cron == systemd:
        raise click.UsageError("give one of --cron or --systemd")
    if cron and user:
        raise click.UsageError("--user goes with --systemd; a crontab runs as its owner")
    time_of_day = parse_time(at)
    load_config(config_file)  # a bad registry is reported now, not by tonight's run
    here = Path.cwd()
    db = here / db_path(db_file)
    if cron and not db.parent.is_dir():  # tee needs it before the harvest would create it
        raise OerhubError(f"{db.parent}: no such directory (run `oerhub harvest` once, "
                          "or create it)")
    where = {"project_dir": here, "executable": default_executable(),
             "config": config_path(config_file), "db": db, "at": time_of_day}
    if cron:
        click.echo(cron_entry(**where))
    else:
        click.echo(systemd_units(**where, user=user or getpass.getuser()))


def country_rows_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--country", metavar="XX", help="This country's sources, one row each "
                        "(ISO 3166-1 alpha-2).")(func)


def format_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "fmt", default="table", show_default=True,
                        type=click.Choice(["table", "csv", "json", "markdown"]),
                        help="table for a terminal, markdown for a report, csv or json for "
                             "other programs.")(func)


@cli.group()
def report() -> None:
    """Reports on the catalogue: coverage by country, metadata quality by source, languages."""


@report.command("coverage")
@country_rows_option
@format_option
@config_option
@db_option
def report_coverage(country: str | None, fmt: str, config_file: str | None,
                    db_file: str | None) -> None:
    """What the catalogue holds per country.

    One row per CIS and Baltic country (those without a source too) and per other country
    of the registry: sources in the registry (enabled), sources whose last run was ok, live
    records, the share with an open licence, the top 3 languages and resource types, and
    the last ok harvest. --country XX shows that country's sources instead.

    \b
    Examples:
      oerhub report coverage
      oerhub report coverage --country UA
      oerhub report coverage --format markdown > coverage.md
      oerhub report coverage --format csv --db /srv/oer/catalogue.db
    """
    from oerhub.report import coverage_report, render

    config = load_config(config_file)
    with Catalogue(_existing_db(db_file)) as catalogue:
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
    from oerhub.report import quality_report, render

    with Catalogue(_existing_db(db_file)) as catalogue:
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
    from oerhub.language_report import languages_report
    from oerhub.report import render

    config = load_config(config_file)
    with Catalogue(_existing_db(db_file)) as catalogue:
        click.echo(render(languages_report(config, catalogue.conn, country), fmt))


@cli.group()
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
    from oerhub.links import check_links

    config = load_config(config_file)
    db = _existing_db(db_file)
    run = check_links(config, db, source_id=source_id, limit=limit, older_than=older_than,
                      echo=lambda line: click.echo(line, err=True))
    click.echo(run.describe())


@cli.group()
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
    from oerhub.detect import detect_languages

    with Catalogue(_existing_db(db_file)) as catalogue:
        if source_id and not catalogue.count("sources", "id = ?", (source_id,)):
            raise OerhubError(f"--source {source_id!r}: no such source in the catalogue")
        run = detect_languages(catalogue, everything=everything, source_id=source_id)
    if not quiet:
        click.echo(run.describe())


def site_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--site", "site_file", type=click.Path(dir_okay=False),
                        help="Datasette metadata of the site; settings.json and templates/ are "
                             "read beside it (default: config/metadata.yaml).")(func)


@cli.command()
@db_option
@site_option
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Sources registry to show (names, countries, coordinates); default: the "
                   "registry of the last harvest.")
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
    from oerhub.serve import load_site, serve as run_serve

    if config_file:  # show the registry as it is now, not as the last harvest saw it
        with Catalogue(_existing_db(db_file)) as catalogue:
            catalogue.sync_sources(load_config(config_file))
    run_serve(_existing_db(db_file), load_site(site_file), host=host, port=port, echo=click.echo)


@cli.command()
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
    from oerhub.serve import load_site, publish as run_publish

    snapshot = run_publish(_existing_db(db_file), Path(out_dir), load_site(site_file))
    click.echo(f"{snapshot.path}: {snapshot.resources:,} resources from {snapshot.sources:,} "
               f"sources in {snapshot.countries:,} countries")
    click.echo(f"Serve it: datasette serve {out_dir}   (see {Path(out_dir) / 'README.md'})")


def _existing_db(option: str | None) -> Path:
    path = db_path(option)
    if not path.exists():
        raise OerhubError(f"{path}: no catalogue there yet (run `oerhub harvest` first, "
                          "or give --db FILE)")
    return path


def main() -> None:
    """Entry point: our errors become one-line messages, bugs a short report."""
    try:
        code = cli.main(prog_name="oerhub", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("oerhub: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("oerhub: interrupted; the next run resumes where this one stopped", err=True)
        sys.exit(130)
    except OerhubError as exc:
        click.echo(f"oerhub: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except (sqlite3.Error, OSError) as exc:  # a damaged catalogue, a full disk: not a bug
        if os.environ.get("OERHUB_DEBUG"):
            traceback.print_exc()
        click.echo(f"oerhub: {storage_problem(exc)}", err=True)
        sys.exit(EXIT_USAGE)
    except Exception as exc:
        if os.environ.get("OERHUB_DEBUG"):
            traceback.print_exc()
        click.echo(f"oerhub: internal error (please report it): {type(exc).__name__}: {exc}",
                   err=True)
        sys.exit(EXIT_USAGE + 1)
    sys.exit(code if isinstance(code, int) else 0)


def storage_problem(exc: sqlite3.Error | OSError) -> str:
    """One line for what the catalogue's file or its disk refused."""
    if isinstance(exc, sqlite3.Error):
        return (f"the catalogue cannot be read or written: {exc} (a full disk, or a damaged "
                "file: free space, or restore the catalogue from a backup)")
    where = f" ({exc.filename})" if exc.filename else ""
    return f"cannot read or write a file{where}: {exc.strerror or exc}"


if __name__ == "__main__":
    main()
