"""The commands a librarian runs around harvesting: harvest, sources, runs, renormalize,
schedule and demo."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from oerhub.catalogue import Catalogue
from oerhub.cli.options import EXIT_FAILED, config_option, db_option, existing_db
from oerhub.errors import HarvestInterrupted, HarvestLocked, OerhubError
from oerhub.registry import config_path, db_path, load_config


@click.command()
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

    from oerhub.harvest.progress import LogProgress, Progress, TerminalProgress
    from oerhub.harvest.run import harvest as run_harvest

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


@click.group()
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
    from oerhub.harvest.sources import source_rows

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
    from oerhub.harvest.sources import check_sources

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


@click.command()
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

    with Catalogue(existing_db(db_file)) as catalogue:
        changed, total = run(catalogue, source_id)
        lines = enrich(catalogue)
    click.echo(f"{total:,} records normalised again, {changed:,} changed")
    for line in lines:
        click.echo(line)


@click.command()
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
    with Catalogue(existing_db(db_file)) as catalogue:
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


@click.command()
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


@click.command()
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

    from oerhub.harvest.schedule import cron_entry, default_executable, parse_time, systemd_units

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
