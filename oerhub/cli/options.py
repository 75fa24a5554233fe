"""What the commands share: the registry and catalogue options, and their checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from oerhub.errors import OerhubError
from oerhub.registry import db_path

EXIT_FAILED = 1
EXIT_USAGE = 2


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--config", "config_file", type=click.Path(dir_okay=False),
                        help="Sources registry (default: $OERHUB_CONFIG or config/sources.toml).")(func)


def db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--db", "db_file", type=click.Path(dir_okay=False),
                        help="Catalogue file (default: $OERHUB_DB or data/oerhub.db).")(func)


def country_rows_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--country", metavar="XX", help="This country's sources, one row each "
                        "(ISO 3166-1 alpha-2).")(func)


def format_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "fmt", default="table", show_default=True,
                        type=click.Choice(["table", "csv", "json", "markdown"]),
                        help="table for a terminal, markdown for a report, csv or json for "
                             "other programs.")(func)


def site_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--site", "site_file", type=click.Path(dir_okay=False),
                        help="Datasette metadata of the site; settings.json and templates/ are "
                             "read beside it (default: config/metadata.yaml).")(func)


def existing_db(option: str | None) -> Path:
    path = db_path(option)
    if not path.exists():
        raise OerhubError(f"{path}: no catalogue there yet (run `oerhub harvest` first, "
                          "or give --db FILE)")
    return path
