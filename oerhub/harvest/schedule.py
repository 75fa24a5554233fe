"""Scheduled harvests: the crontab line and the systemd units that run, daily and in this order,
`oerhub harvest --quiet` and `oerhub languages detect --quiet`.

Two commands, because language detection loads about 400 MB of models, four times what a
harvest needs (see oerhub.enrich.OWN_COMMAND): run apart, neither process holds both. Detection
runs even when the harvest failed (exit 1: a source failed, usual among 100 sources; exit 2):
what the other sources brought still needs its languages. The harvest's failure stays visible
all the same: cron mails what either command printed, and systemd marks the service failed.

Pure functions that return text; `oerhub schedule` prints it and a person installs it. Cron and
systemd start jobs with another working directory, another environment and a bare PATH, so every
path written here is absolute and every word is quoted for the program that reads it: /bin/sh
behind cron (plus cron's own `%`), systemd's unit-file rules for the units.

Overlapping runs need nothing here: `oerhub harvest` holds the catalogue's lock for the whole
run, and a run that finds it taken does nothing and says so (an error, so cron mails it). And
systemd never starts a unit that is still running, so its timer cannot even try. Detection
takes no lock: it stores each result against the record version it read (a record changed since
is detected again next time), so running beside another harvest, when this run's harvest found
the lock taken, does no harm.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path, PurePosixPath

from oerhub.errors import ConfigError

DEFAULT_AT = (3, 17)  # off-peak and off the hour, so that many servers do not all fire at 00:00
SERVICE = "oerhub-harvest.service"
TIMER = "oerhub-harvest.timer"
UNIT_DIR = PurePosixPath("/etc/systemd/system")
LOG_NAME = "harvest.log"  # beside the catalogue
HARVEST_ARGS = ("harvest", "--quiet")  # --quiet: output only on error, so cron mails only errors
DETECT_ARGS = ("languages", "detect", "--quiet")  # after the harvest: enrich.OWN_COMMAND
# systemd's bound on ExecStopPost= (detection), and on the wait for a stopped harvest to end:
# the night's changes take seconds (2,000 records a second), a first run over a million records
# about ten minutes. The default, 90 s, would kill a large detection.
DETECT_TIMEOUT = "1h"

_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})", re.ASCII)
_USER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\$?|[0-9]+", re.ASCII)  # a name or a numeric uid
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SYSTEMD_PLAIN = re.compile(r"[^\s\"'\\]+")
_UNSAFE_PROGRAM = re.compile(r"[\"'\\]")


def parse_time(text: str) -> tuple[int, int]:
    """'03:17' or '3:17' → (3, 17), on the 24-hour clock.

    The minute must have two digits: '3:7' is more likely a typo for 3:07 or 3:17 than a
    decision, and a schedule that runs at the wrong time fails silently.
    """
    match = _TIME.fullmatch(text.strip())
    if match:
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            return hour, minute
    raise ConfigError(f"--at {text!r}: not a time of day; give HH:MM on the 24-hour clock, "
                      "e.g. 03:17 or 22:45")


def default_executable(argv0: str | None = None, python: str | None = None,
                       cwd: Path | None = None) -> list[str]:
    """The command that runs this oerhub: the `oerhub` script running, else `python -m oerhub.cli`.

    Rule: if argv[0] names an executable file called `oerhub` (how the console script runs),
    use it, made absolute against the current directory. Otherwise (`python -m oerhub.cli`,
    tests, an embedding program) use the running interpreter, which can import this oerhub.
    The path is not resolved through symlinks: `.venv/bin/python` is a symlink to the system
    Python, which cannot import oerhub, and a deliberate link such as /usr/local/bin/oerhub
    should survive rebuilding the venv behind it. `shutil.which` is not used: it can find
    another installation than the one that is running.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    python = sys.executable if python is None else python
    cwd = Path.cwd() if cwd is None else cwd
    if argv0:
        script = Path(os.path.abspath(cwd / argv0))
        if script.name == "oerhub" and script.is_file() and os.access(script, os.X_OK):
            return [str(script)]
    if not python:
        raise ConfigError("cannot tell which Python runs oerhub (sys.executable is empty); "
                          "run the `oerhub` command itself")
    return [os.path.abspath(cwd / python), "-m", "oerhub.cli"]


def log_path(db: Path) -> Path:
    """Where the scheduled harvest's output goes: beside the catalogue it fills."""
    return db.parent / LOG_NAME


def cron_entry(*, project_dir: Path, executable: list[str], config: Path, db: Path,
               at: tuple[int, int] = DEFAULT_AT) -> str:
    """A comment line and one crontab line running, daily at `at`, `oerhub harvest --quiet` and
    then `oerhub languages detect --quiet`:

        M H * * * cd DIR && export OERHUB_CONFIG=… OERHUB_DB=… && { OERHUB harvest --quiet;
        OERHUB languages detect --quiet; } 2>&1 | tee -a LOG        (one line in the crontab)

    `;` runs detection whatever the harvest's exit status. Cron takes no notice of exit
    statuses, only of output: what both commands print goes through `tee -a` into the log beside
    the catalogue and to cron, which mails it; with --quiet that is only ever errors, so a
    failed harvest is mailed as before. Relative paths are taken against `project_dir`.
    """
    project, command, config, db = _absolute_paths(project_dir, executable, config, db)
    log = log_path(db)
    harvest, detect = shlex.join([*command, *HARVEST_ARGS]), shlex.join([*command, *DETECT_ARGS])
    shell = (f"cd {_sh(project)} && export OERHUB_CONFIG={_sh(config)} OERHUB_DB={_sh(db)} && "
             f"{{ {harvest}; {detect}; }} 2>&1 | tee -a {_sh(log)}")
    hour, minute = at
    comment = (f"# oerhub: harvest, then language detection, daily at {hour:02d}:{minute:02d} "
               "(this machine's time zone). Install: crontab -e, paste the next line. Errors go "
               f"to cron's mail and to {log}")
    return f"{comment}\n{minute} {hour} * * * {_cron_escape(shell)}"


def systemd_units(*, project_dir: Path, executable: list[str], config: Path, db: Path,
                  at: tuple[int, int] = DEFAULT_AT, user: str | None = None) -> str:
    """The service and the timer that run `oerhub harvest --quiet`, then `oerhub languages detect
    --quiet`, daily, with how to install them.

    The harvest is ExecStart=, detection ExecStopPost=, which systemd runs after ExecStart=
    ends, succeeded or failed (for Type=oneshot too since systemd 233, 2017). So the service's
    result is the harvest's: a failed harvest leaves it `failed` in `systemctl status` (and
    `systemctl start` reports it), and a failed detection marks it failed too; each command's
    exit status is on its own line there. The alternative, two ExecStart= lines with the first
    prefixed `-` so that a failure does not stop the second, would hide every failed harvest:
    the service would end `inactive (dead)`, a success, whenever detection worked. The price of ExecStopPost=: the status shows
    `deactivating (stop-post)` while detection runs; detection also runs after a harvest stopped
    by `systemctl stop` or a shutdown (`systemctl kill` ends it; it resumes next time); and it is
    bounded by TimeoutStopSec=, raised from 90 s to DETECT_TIMEOUT.

    The timer's Persistent=true runs a missed harvest at the next boot; RandomizedDelaySec
    spreads servers that copied the same time. Output of both goes to the service's journal.
    """
    project, command, config, db = _absolute_paths(project_dir, executable, config, db)
    if user is not None and not _USER.fullmatch(user):
        raise ConfigError(f"--user {user!r}: not a user name (letters, digits, '_', '.', '-', "
                          "or a numeric uid)")
    hour, minute = at
    when = f"{hour:02d}:{minute:02d}"
    exec_start = _exec_line([*command, *HARVEST_ARGS])
    exec_stop_post = _exec_line([*command, *DETECT_ARGS])
    service = [
        f"# {UNIT_DIR / SERVICE}",
        "[Unit]",
        "Description=oerhub harvest of the sources into the catalogue, then language detection",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        *([f"User={user}"] if user is not None else []),
        f"WorkingDirectory={_specifiers(str(project))}",
        f"Environment={_systemd_word(f'OERHUB_CONFIG={config}', exec_args=False)}",
        f"Environment={_systemd_word(f'OERHUB_DB={db}', exec_args=False)}",
        f"ExecStart={exec_start}",
        f"ExecStopPost={exec_stop_post}",
        f"TimeoutStopSec={DETECT_TIMEOUT}",
        "Nice=10",
    ]
    timer = [
        f"# {UNIT_DIR / TIMER}",
        "[Unit]",
        f"Description=Daily oerhub harvest at {when}",
        "",
        "[Timer]",
        f"OnCalendar=*-*-* {when}:00",
        "RandomizedDelaySec=15min",
        "Persistent=true",
        "",
        "[Install]",
        "WantedBy=timers.target",
    ]
    install = [
        "# Install: save each unit above at the path in its first line, then run",
        "#   systemctl daemon-reload",
        f"#   systemctl enable --now {TIMER}",
        f"# Next run: systemctl list-timers {TIMER}    Log: journalctl -u {SERVICE}",
    ]
    return "\n".join([*service, "", *timer, "", *install])


def _absolute_paths(project_dir: Path, executable: list[str], config: Path,
                    db: Path) -> tuple[Path, list[str], Path, Path]:
    """Every path made absolute against the project directory, and checked to fit on one line."""
    if not project_dir.is_absolute():
        raise ValueError(f"project_dir must be absolute, not {project_dir}")
    if not executable:
        raise ValueError("executable must name at least the program")
    program = project_dir / executable[0]  # an absolute executable[0] stays as it is
    config, db = project_dir / config, project_dir / db
    for path, what in ((project_dir, "project directory"), (program, "oerhub executable"),
                       (config, "registry"), (db, "catalogue")):
        _check_path(path, what)
    return project_dir, [str(program), *executable[1:]], config, db


def _check_path(path: Path, what: str) -> None:
    """A control character (a newline above all) cannot be written into a crontab or unit line."""
    if _CONTROL.search(str(path)):
        raise ConfigError(f"{what} {str(path)!r} contains a control character; cron and systemd "
                          "cannot run it: move or rename it")


def _sh(path: Path) -> str:
    return shlex.quote(str(path))


def _cron_escape(command: str) -> str:
    r"""Cron turns an unescaped % into a newline (and feeds the rest to stdin): write \%.

    Cron removes the backslash of \% only; a backslash just before a % cannot be expressed.
    """
    if "\\%" in command:
        raise ConfigError("a path contains a backslash before a '%', which a crontab line "
                          "cannot express: move or rename it")
    return command.replace("%", "\\%")


def _specifiers(text: str) -> str:
    """systemd expands %-specifiers in most settings: a literal % is %%."""
    return text.replace("%", "%%")


def _exec_line(argv: list[str]) -> str:
    """An ExecStart= (or ExecStopPost=) value running argv, with no prefix: a failure counts.

    systemd refuses (fatally: "Executable name contains special characters") a program path
    holding a quote or a backslash, however quoted, so that is refused here, where it can still
    be fixed. The program path is not $-expanded; the arguments are ($$ is a literal $).
    """
    program, *args = argv
    if _UNSAFE_PROGRAM.search(program):
        raise ConfigError(f"oerhub executable {program!r}: systemd will not run a program whose "
                          "path contains a quote or a backslash: move the project or its .venv")
    return " ".join([_systemd_word(program, exec_args=False),
                     *(_systemd_word(arg, exec_args=True) for arg in args)])


def _systemd_word(word: str, *, exec_args: bool) -> str:
    """One word of an Exec*= or Environment= line, quoted by systemd's rules when needed.

    Those lines are split on whitespace, honour "double quotes" and C escapes (so \\ and \"
    inside them) and expand %-specifiers; Exec*= arguments also expand $VARIABLES.
    """
    text = _specifiers(word)
    if exec_args:
        text = text.replace("$", "$$")
    if _SYSTEMD_PLAIN.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
