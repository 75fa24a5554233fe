"""The `oerhub` command: parses options, calls the library, turns our errors into messages.
The commands are in harvesting.py (harvest, sources, runs, renormalize, schedule, demo) and
reading.py (report, links, languages, serve, publish); options.py has what they share.

Exit codes: 0 all went well, 1 some source failed (the others were still stored),
2 usage, registry or catalogue errors, 3 an internal error (a bug), 130 stopped by Ctrl-C,
143 stopped by SIGTERM. No traceback reaches a user; set OERHUB_DEBUG=1 to see one.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import traceback
from collections.abc import Sequence

import click

from oerhub import __version__
from oerhub.cli import harvesting, reading
from oerhub.cli.options import EXIT_FAILED, EXIT_USAGE
from oerhub.errors import OerhubError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="oerhub")
def cli() -> None:
    """Harvest Open Educational Resources of the CIS and Baltic countries into one catalogue."""


for command in (harvesting.harvest, harvesting.sources, harvesting.renormalize, harvesting.runs,
                harvesting.demo, harvesting.schedule, reading.report, reading.links,
                reading.languages, reading.search, reading.serve, reading.publish):
    cli.add_command(command)


def main(args: Sequence[str] | None = None) -> None:
    """Entry point: our errors become one-line messages, bugs a short report. `args` default
    to the command line (the tests pass theirs, running the command in-process)."""
    try:
        code = cli.main(args=list(args) if args is not None else None, prog_name="oerhub",
                        standalone_mode=False)
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


__all__ = ["EXIT_FAILED", "EXIT_USAGE", "cli", "main"]
