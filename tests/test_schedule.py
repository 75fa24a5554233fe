"""oerhub.harvest.schedule: the crontab line and the systemd units run `oerhub harvest --quiet`, then
`oerhub languages detect --quiet`, as written.

Beyond reading the text, the crontab line is taken apart the way cron does it (five time fields,
`%` handling) and its command run by /bin/sh; the service's ExecStart=, ExecStopPost=,
Environment= and WorkingDirectory= are unquoted by systemd's rules and run the same way (the
stop-post command after the start command, whatever it returned). Both run a stand-in `oerhub`
that records its arguments, directory and environment, and fails when told to: detection must
run after a failed harvest, and the failure must still show. The project directory's name
has a space, quotes, a `%`, a `$` and a backslash; systemd's program path has all but the quotes
and the backslash, which systemd refuses there (so does `systemd_units`). `systemd-analyze
verify` checks the units when the machine has it.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oerhub.errors import ConfigError
from oerhub.harvest.schedule import (
    DEFAULT_AT,
    cron_entry,
    default_executable,
    log_path,
    parse_time,
    systemd_units,
)

HOSTILE = "oer hub's \"catalogue\" 50% $HOME back\\slash"  # every character that needs quoting
SYSTEMD_HOSTILE = "venv 50% $HOME"  # what systemd allows in a program path that needs quoting
CRON_ENV = {"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "HOME": "/nonexistent"}  # what cron gives
FAKE = """#!{python}
import json, os, sys
with open({record!r}, "a", encoding="utf-8") as out:
    out.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd(),
                          "config": os.environ.get("OERHUB_CONFIG"),
                          "db": os.environ.get("OERHUB_DB")}}) + "\\n")
code = {exits!r}.get(sys.argv[1] if len(sys.argv) > 1 else "", 0)
if code:
    print("oerhub: stand-in " + sys.argv[1] + " failed", file=sys.stderr)
sys.exit(code)
"""
HARVEST = ["harvest", "--quiet"]
DETECT = ["languages", "detect", "--quiet"]
# Which commands the stand-in fails, with what exit status: none, the harvest (1: a source
# failed; 2: usage), detection, both.
FAILURES = [{}, {"harvest": 1}, {"harvest": 2}, {"languages": 1}, {"harvest": 1, "languages": 1}]


def fake_oerhub(directory: Path, record: Path, exits: dict[str, int] | None = None) -> Path:
    """An executable `oerhub` that records how it was run and succeeds silently, except for a
    command (its first argument) in `exits`: that one prints an error and exits with its status."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "oerhub"
    script.write_text(FAKE.format(python=sys.executable, record=str(record), exits=exits or {}),
                      encoding="utf-8")
    script.chmod(0o755)
    return script


def expected_runs(cwd: Path, config: Path, db: Path) -> list[dict[str, object]]:
    """The stand-in run twice, harvest then detection, each from `cwd` with both variables."""
    return [{"argv": argv, "cwd": str(cwd), "config": str(config), "db": str(db)}
            for argv in (HARVEST, DETECT)]


def errors(exits: dict[str, int]) -> str:
    """What the stand-in prints, in run order, when the commands in `exits` fail."""
    return "".join(f"oerhub: stand-in {command} failed\n"
                   for command in ("harvest", "languages") if exits.get(command))


def records(record: Path) -> list[dict[str, object]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory with a hostile name holding a stand-in .venv/bin/oerhub and data/."""
    root = tmp_path / HOSTILE
    fake_oerhub(root / ".venv" / "bin", tmp_path / "runs.jsonl")
    (root / "config").mkdir()
    (root / "config" / "sources.toml").write_text("", encoding="utf-8")
    (root / "data").mkdir()
    return root


def entry(project: Path, **changes: object) -> str:
    kwargs: dict[str, object] = {"project_dir": project,
                                 "executable": [str(project / ".venv/bin/oerhub")],
                                 "config": Path("config/sources.toml"),
                                 "db": Path("data/oerhub.db")}
    return cron_entry(**{**kwargs, **changes})  # type: ignore[arg-type]


@pytest.fixture
def program(tmp_path: Path) -> Path:
    """A stand-in oerhub for systemd, whose path may hold a space, `%` and `$` but no quote or
    backslash: systemd refuses those in a program path however they are quoted."""
    return fake_oerhub(tmp_path / SYSTEMD_HOSTILE / "bin", tmp_path / "runs.jsonl")


def units(project: Path, program: Path, **changes: object) -> str:
    kwargs: dict[str, object] = {"project_dir": project, "executable": [str(program)],
                                 "config": Path("config/sources.toml"),
                                 "db": Path("data/oerhub.db")}
    return systemd_units(**{**kwargs, **changes})  # type: ignore[arg-type]


# --- cron, as cron reads it -------------------------------------------------------------------

CRON_FIELDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def cron_job(line: str) -> tuple[list[str], str]:
    """Split a crontab line as cron does: five time fields, then the command up to an
    unescaped % (which would start stdin; there must be none), with `\\%` made `%`."""
    fields = line.split(None, 5)
    assert len(fields) == 6, f"not five time fields and a command: {line!r}"
    for field, (low, high) in zip(fields[:5], CRON_FIELDS, strict=True):
        assert field == "*" or (re.fullmatch(r"[0-9]+", field) and low <= int(field) <= high), \
            f"bad cron field {field!r} in {line!r}"
    command, escaped = [], False
    for ch in fields[5]:  # cronie's do_command: only \% loses its backslash
        if escaped:
            if ch == "%":
                command[-1] = "%"
            else:
                command.append(ch)
            escaped = False
        elif ch == "%":
            pytest.fail(f"unescaped % in the crontab command (cron would cut it there): {line!r}")
        else:
            escaped = ch == "\\"
            command.append(ch)
    return fields[:5], "".join(command)


def sh_words(command: str) -> list[str]:
    """The shell's words and operators (`&&`, `;`, `|`, `>&`) of a command, unquoted."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def cron_lines(text: str) -> tuple[list[str], list[str]]:
    lines = text.splitlines()
    return ([line for line in lines if line.startswith("#")],
            [line for line in lines if line.strip() and not line.startswith("#")])


@pytest.mark.parametrize("at", [DEFAULT_AT, (0, 0), (23, 59), (9, 5)])
def test_each_crontab_line_is_five_fields_then_the_command(project, at):
    comments, jobs = cron_lines(entry(project, at=at))

    assert len(comments) == 1 and len(jobs) == 1
    fields, command = cron_job(jobs[0])
    assert fields == [str(at[1]), str(at[0]), "*", "*", "*"]
    words = sh_words(command)
    program = str(project / ".venv/bin/oerhub")
    group = words[words.index("{"):words.index("}") + 1]
    assert group == ["{", program, *HARVEST, ";", program, *DETECT, ";", "}"]


def test_default_time_is_off_peak_and_off_the_hour():
    assert DEFAULT_AT == (3, 17)
    _, (job,) = cron_lines(cron_entry(project_dir=Path("/srv/oerhub"),
                                      executable=["/srv/oerhub/.venv/bin/oerhub"],
                                      config=Path("config/sources.toml"),
                                      db=Path("data/oerhub.db")))
    assert job.startswith("17 3 * * * ")


def test_crontab_line_has_absolute_paths_and_says_how_to_install(tmp_path):
    text = cron_entry(project_dir=Path("/srv/oerhub"), executable=[".venv/bin/oerhub"],
                      config=Path("config/sources.toml"), db=Path("../var/oerhub.db"))
    (comment,), (job,) = cron_lines(text)

    assert "crontab -e" in comment and "/srv/oerhub/../var/harvest.log" in comment
    assert job == ("17 3 * * * cd /srv/oerhub && export "
                   "OERHUB_CONFIG=/srv/oerhub/config/sources.toml "
                   "OERHUB_DB=/srv/oerhub/../var/oerhub.db && "
                   "{ /srv/oerhub/.venv/bin/oerhub harvest --quiet; "
                   "/srv/oerhub/.venv/bin/oerhub languages detect --quiet; } "
                   "2>&1 | tee -a /srv/oerhub/../var/harvest.log")


def test_crontab_quotes_a_path_with_spaces_and_escapes_cron_percent(project):
    _, (job,) = cron_lines(entry(project))
    _, command = cron_job(job)
    program = str(project / ".venv/bin/oerhub")

    assert sh_words(command) == [
        "cd", str(project), "&&",
        "export", f"OERHUB_CONFIG={project / 'config/sources.toml'}",
        f"OERHUB_DB={project / 'data/oerhub.db'}", "&&",
        "{", program, *HARVEST, ";", program, *DETECT, ";", "}",
        "2", ">&", "1", "|", "tee", "-a", str(project / "data/harvest.log")]
    assert job.count("50\\%") == 6  # escaped for cron, where a bare % ends the command


@pytest.mark.parametrize("exits", FAILURES, ids=repr)
def test_crontab_command_runs_harvest_then_detection_as_cron_would(project, tmp_path, exits):
    fake_oerhub(project / ".venv" / "bin", tmp_path / "runs.jsonl", exits)
    _, (job,) = cron_lines(entry(project))
    _, command = cron_job(job)

    mailed = subprocess.run(["/bin/sh", "-c", command], cwd="/", env=CRON_ENV,
                            capture_output=True, text=True, timeout=60)

    # detection runs, after the harvest, even when the harvest failed
    assert records(tmp_path / "runs.jsonl") == expected_runs(
        project, project / "config/sources.toml", project / "data/oerhub.db")
    error = errors(exits)
    assert mailed.stdout == error and mailed.stderr == ""  # cron mails each error...
    assert (project / "data/harvest.log").read_text(encoding="utf-8") == error  # ...and logs it
    assert ("harvest" in error) == bool(exits.get("harvest"))


def test_backslash_before_percent_cannot_go_into_a_crontab(tmp_path):
    with pytest.raises(ConfigError, match="backslash before a '%'"):
        cron_entry(project_dir=tmp_path / "a\\%b", executable=["/usr/bin/oerhub"],
                   config=Path("c.toml"), db=Path("d.db"))


@pytest.mark.parametrize("make", [cron_entry, systemd_units])
def test_a_newline_in_a_path_is_refused(make, tmp_path):
    with pytest.raises(ConfigError, match="control character"):
        make(project_dir=tmp_path, executable=["/usr/bin/oerhub"], config=Path("c.toml"),
             db=Path("data\n* * * * * evil/oerhub.db"))


# --- systemd, as systemd reads it -------------------------------------------------------------

def split_units(text: str) -> dict[str, str]:
    """The printed text cut at each `# /etc/systemd/system/NAME` line into NAME → unit text."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        header = re.fullmatch(r"# /etc/systemd/system/(\S+)", line)
        if header:
            current = found.setdefault(header[1], [])
        assert current is not None, f"text before the first unit header: {line!r}"
        current.append(line)
    return {name: "\n".join(lines) + "\n" for name, lines in found.items()}


def settings(unit: str, section: str) -> list[tuple[str, str]]:
    pairs, inside = [], False
    for line in unit.splitlines():
        if line.startswith("["):
            inside = line == f"[{section}]"
        elif inside and line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs.append((key, value))
    return pairs


def unquote(value: str, *, exec_line: bool) -> list[str]:
    """systemd's quoting stripped: %% undone (and $$ in ExecStart='s arguments, not in the
    program path, which systemd does not expand); the double quotes and C escapes left are the
    shell's too, so shlex.split takes the words apart."""
    words = shlex.split(value.replace("%%", "%"))
    if exec_line:
        words[1:] = [word.replace("$$", "$") for word in words[1:]]
    return words


def test_units_have_their_install_paths_and_key_lines(project, program):
    text = units(project, program, user="oer")
    found = split_units(text)

    assert list(found) == ["oerhub-harvest.service", "oerhub-harvest.timer"]
    service = dict(settings(found["oerhub-harvest.service"], "Service"))
    assert service["Type"] == "oneshot" and service["Nice"] == "10" and service["User"] == "oer"
    assert service["TimeoutStopSec"] == "1h"  # bounds detection, ExecStopPost=; 90 s is too short
    assert [key for key, _ in settings(found["oerhub-harvest.service"], "Service")
            if key.startswith("Exec")] == ["ExecStart", "ExecStopPost"]
    assert service["WorkingDirectory"].replace("%%", "%") == str(project)
    assert Path(service["WorkingDirectory"]).is_absolute()
    timer = dict(settings(found["oerhub-harvest.timer"], "Timer"))
    assert timer == {"OnCalendar": "*-*-* 03:17:00", "RandomizedDelaySec": "15min",
                     "Persistent": "true"}
    assert dict(settings(found["oerhub-harvest.timer"], "Install")) == {
        "WantedBy": "timers.target"}
    tail = text.splitlines()[-4:]
    assert all(line.startswith("#") for line in tail)
    assert "#   systemctl daemon-reload" in tail
    assert "#   systemctl enable --now oerhub-harvest.timer" in tail


def test_units_without_user_and_at_another_time(project, program):
    found = split_units(units(project, program, at=(22, 5)))

    assert "User" not in dict(settings(found["oerhub-harvest.service"], "Service"))
    assert dict(settings(found["oerhub-harvest.timer"], "Timer"))["OnCalendar"] == "*-*-* 22:05:00"


@pytest.mark.parametrize("user", ["bad user", "", "-rf", "oer\nExecStart=/bin/evil"])
def test_a_bad_user_name_is_refused(project, program, user):
    with pytest.raises(ConfigError, match="not a user name"):
        units(project, program, user=user)


def test_service_quotes_paths_by_systemd_rules(project, program):
    service = dict(settings(split_units(units(project, program))["oerhub-harvest.service"],
                            "Service"))

    exec_start = service["ExecStart"]
    assert exec_start == f'"{str(program).replace("%", "%%")}" harvest --quiet'  # $ kept as is
    environment = [value for key, value in settings(
        split_units(units(project, program))["oerhub-harvest.service"], "Service")
        if key == "Environment"]
    assert environment[0].startswith('"OERHUB_CONFIG=') and "50%%" in environment[0]
    assert '\\"catalogue\\"' in environment[0] and "back\\\\slash" in environment[0]
    assert [unquote(value, exec_line=False) for value in environment] == [
        [f"OERHUB_CONFIG={project / 'config/sources.toml'}"],
        [f"OERHUB_DB={project / 'data/oerhub.db'}"]]
    assert unquote(exec_start, exec_line=True) == [str(program), "harvest", "--quiet"]
    exec_stop_post = service["ExecStopPost"]
    assert exec_stop_post == f'"{str(program).replace("%", "%%")}" languages detect --quiet'
    assert unquote(exec_stop_post, exec_line=True) == [str(program), *DETECT]


def run_service(pairs: list[tuple[str, str]]) -> tuple[str, str]:
    """Run a oneshot service's [Service] settings as systemd does: ExecStart= lines in order
    until one fails, then ExecStopPost= lines whatever happened; a command prefixed `-` cannot
    fail the service. Returns the service's result ("success" or "exit-code": the first
    failure is kept) and what the commands printed to stderr (the journal)."""
    env = {"PATH": "/usr/bin:/bin"}
    for key, value in pairs:
        if key == "Environment":
            for assignment in unquote(value, exec_line=False):
                name, _, val = assignment.partition("=")
                env[name] = val
    cwd = dict(pairs)["WorkingDirectory"].replace("%%", "%")
    result, journal = "success", ""

    def run(value: str) -> bool:
        nonlocal result, journal
        prefix = re.match(r"[-@:+!]*", value)[0]
        done = subprocess.run(unquote(value[len(prefix):], exec_line=True), cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=60)
        journal += done.stderr
        failed = done.returncode != 0 and "-" not in prefix
        if failed and result == "success":
            result = "exit-code"
        return not failed

    for value in [value for key, value in pairs if key == "ExecStart"]:
        if not run(value):
            break
    for value in [value for key, value in pairs if key == "ExecStopPost"]:
        run(value)
    return result, journal


@pytest.mark.parametrize("exits", FAILURES, ids=repr)
def test_service_runs_harvest_then_detection_as_systemd_would(project, program, tmp_path,
                                                              exits):
    fake_oerhub(program.parent, tmp_path / "runs.jsonl", exits)
    pairs = settings(split_units(units(project, program))["oerhub-harvest.service"], "Service")

    result, journal = run_service(pairs)

    # detection runs, after the harvest, even when the harvest failed
    assert records(tmp_path / "runs.jsonl") == expected_runs(
        project, project / "config/sources.toml", project / "data/oerhub.db")
    assert journal == errors(exits)
    assert result == ("exit-code" if exits else "success")  # `systemctl status` shows failed


def test_service_with_python_fallback_runs_the_module(tmp_path):
    service = dict(settings(split_units(systemd_units(
        project_dir=tmp_path, executable=["/opt/py env/bin/python", "-m", "oerhub.cli"],
        config=Path("c.toml"), db=Path("d.db")))["oerhub-harvest.service"], "Service"))

    assert service["ExecStart"] == '"/opt/py env/bin/python" -m oerhub.cli harvest --quiet'
    assert service["ExecStopPost"] == (
        '"/opt/py env/bin/python" -m oerhub.cli languages detect --quiet')


@pytest.mark.parametrize("name", ["o'brien", 'quote"d', "back\\slash"])
def test_a_program_path_systemd_would_refuse_is_refused_here(tmp_path, name):
    with pytest.raises(ConfigError, match="quote or a backslash"):
        systemd_units(project_dir=tmp_path, executable=[f"/home/{name}/.venv/bin/oerhub"],
                      config=Path("c.toml"), db=Path("d.db"))


def _verify(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", "verify", *map(str, paths)], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def systemd_analyze(tmp_path: Path) -> None:
    """Skip unless systemd-analyze exists and verifies a known-good unit cleanly here."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed on this machine")
    control = tmp_path / "control" / "oerhub-control.service"
    control.parent.mkdir()
    control.write_text("[Service]\nType=oneshot\nExecStart=/bin/true\n", encoding="utf-8")
    result = _verify(control)
    if result.returncode != 0 or result.stderr.strip():
        pytest.skip(f"systemd-analyze verify does not work here: {result.stderr.strip()[:200]}")


def write_units(text: str, directory: Path) -> list[Path]:
    directory.mkdir()
    paths = []
    for name, unit in split_units(text).items():
        (directory / name).write_text(unit, encoding="utf-8")
        paths.append(directory / name)
    return paths


@pytest.mark.usefixtures("systemd_analyze")
@pytest.mark.parametrize("hostile", [False, True], ids=["plain-paths", "hostile-paths"])
def test_systemd_analyze_verifies_the_units(project, program, tmp_path, hostile):
    if not hostile:
        project = tmp_path / "srv"
        program = fake_oerhub(project / ".venv/bin", tmp_path / "runs.jsonl")
    paths = write_units(units(project, program, user=getpass.getuser()), tmp_path / "units")

    result = _verify(*paths)

    assert result.returncode == 0, result.stderr
    assert "oerhub-harvest" not in result.stderr, result.stderr
    calendar = subprocess.run(["systemd-analyze", "calendar", "*-*-* 03:17:00"],
                              capture_output=True, text=True, timeout=60)
    assert calendar.returncode == 0 and "Normalized form: *-*-* 03:17:00" in calendar.stdout


@pytest.mark.usefixtures("systemd_analyze")
def test_systemd_analyze_would_catch_an_unquoted_exec_start(project, program, tmp_path):
    """The check above has teeth: the same service with its quotes removed fails to verify."""
    service = split_units(units(project, program))["oerhub-harvest.service"]
    broken = re.sub(r'^ExecStart="(.*)" harvest', r"ExecStart=\1 harvest", service, flags=re.M)
    assert broken != service
    path = tmp_path / "oerhub-harvest.service"
    path.write_text(broken, encoding="utf-8")

    result = _verify(path)

    assert result.returncode != 0 and "is not executable" in result.stderr, result.stderr


# --- the time, the executable, the log --------------------------------------------------------

@pytest.mark.parametrize("text, expected", [("03:17", (3, 17)), ("3:07", (3, 7)),
                                            ("00:00", (0, 0)), ("23:59", (23, 59)),
                                            (" 22:45 ", (22, 45))])
def test_parse_time(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "24:00", "12:60", "3pm", "3:7", "03:17:00", "",
                                  "0317", "3.17", "-1:00", "\u0663:\u0661\u0667"])
def test_parse_time_refuses_what_is_not_a_time_of_day(text):
    with pytest.raises(ConfigError) as caught:
        parse_time(text)
    assert repr(text) in str(caught.value) and "HH:MM" in str(caught.value)


def test_default_executable_is_the_running_oerhub_script_made_absolute(tmp_path):
    script = fake_oerhub(tmp_path / "venv dir" / "bin", tmp_path / "runs.jsonl")
    link = tmp_path / "oerhub"
    link.symlink_to(script)

    assert default_executable("venv dir/bin/oerhub", "/usr/bin/python3", tmp_path) == [str(script)]
    assert default_executable(str(link), "/usr/bin/python3", tmp_path) == [str(link)]  # kept


def test_default_executable_falls_back_to_this_python(tmp_path):
    not_executable = tmp_path / "oerhub"
    not_executable.write_text("", encoding="utf-8")
    python = "/srv/oerhub/.venv/bin/python"

    assert default_executable("/srv/oerhub/oerhub/cli.py", python, tmp_path) == [
        python, "-m", "oerhub.cli"]
    assert default_executable(str(not_executable), python, tmp_path) == [
        python, "-m", "oerhub.cli"]
    assert default_executable("", ".venv/bin/python", tmp_path) == [
        str(tmp_path / ".venv/bin/python"), "-m", "oerhub.cli"]
    with pytest.raises(ConfigError, match="which Python"):
        default_executable("", "", tmp_path)


def test_default_executable_here_can_run_oerhub():
    command = default_executable()
    assert Path(command[0]).is_absolute()
    result = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60,
                            cwd="/", env={**os.environ, "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0 and "oerhub" in result.stdout


def test_log_goes_beside_the_catalogue():
    assert log_path(Path("/srv/oer/data/oerhub.db")) == Path("/srv/oer/data/harvest.log")
