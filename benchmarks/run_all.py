"""Run oerhub's benchmarks, print their figures and goals, and record them in RESULTS.md.

  .venv/bin/python benchmarks/run_all.py                 # all six at the issue's sizes (~15 min)
  .venv/bin/python benchmarks/run_all.py --quick         # small sizes: a smoke run (~2 min)
  .venv/bin/python benchmarks/run_all.py throughput memory --records 50000
  .venv/bin/python benchmarks/run_all.py --note "batched FTS inserts"   # says what changed

Benchmarks: throughput, memory, latency, incremental, many_sources, publishing, survey,
search_scale (search and suggestions at a million records). Each starts
its own servers on 127.0.0.1 that answer from memory, so the client is what is timed. The
result (machine, date, figures, goals) is put at the top of benchmarks/RESULTS.md unless
--no-write; a --quick run is marked as such.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import incremental  # noqa: E402
import latency  # noqa: E402
import many_sources  # noqa: E402
import memory  # noqa: E402
import publishing  # noqa: E402
import search_scale  # noqa: E402
import survey  # noqa: E402
import throughput  # noqa: E402
from common import PROJECT, Result  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
NAMES = ("throughput", "memory", "latency", "incremental", "many_sources", "publishing",
         "survey", "search_scale")


def plan(args: argparse.Namespace) -> dict[str, Callable[[], Result]]:
    quick = args.quick
    records = args.records or (20_000 if quick else 100_000)
    repeat = args.repeat or (1 if quick else 3)
    published = args.publishing_records or (100_000 if quick else 1_000_000)
    return {
        "throughput": lambda: throughput.run(records, repeat),
        "memory": lambda: memory.run((records // 10, records)),
        "latency": lambda: latency.run(records, 0.05),
        "incremental": lambda: incremental.run(records, repeat),
        "many_sources": lambda: many_sources.run(10 if quick else 30, 0.1),
        "publishing": lambda: publishing.run(published, args.dir, 3 if quick else 5),
        "survey": lambda: survey.run(published, args.dir),
        "search_scale": lambda: search_scale.run(published, args.dir,
                                                 20_000 if quick else 200_000),
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {memory_gib:.0f} GiB, Python "
            f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def tree_state() -> str:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=PROJECT, capture_output=True, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"commit {head}" + (" with uncommitted changes" if dirty else "")


def record(results: list[Result], command: str, note: str, quick: bool) -> None:
    date = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    passed = sum(g.passed for r in results for g in r.goals)
    total = sum(len(r.goals) for r in results)
    lines = [f"## {date} UTC: {note or 'run_all'}{' (quick run)' if quick else ''}", "",
             f"Machine: {machine()}.  ", f"State: {tree_state()}.  ",
             f"Command: `{command}`.  ", f"Goals met: {passed} of {total}.", ""]
    for result in results:
        lines += [f"### {result.title}", ""]
        table = False
        for line in result.lines:
            if line.startswith("|") != table and lines[-1]:
                lines.append("")  # a blank line around each table
            table = line.startswith("|")
            lines.append(line if table else line + "  ")
        lines.append("")
        lines += [f"- {goal.describe()}" for goal in result.goals]
        lines.append("")
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n\n"
    at = text.find("\n## ")  # newest first: before the previous entries
    at = len(text) if at < 0 else at + 1
    RESULTS.write_text(text[:at] + "\n".join(lines) + "\n" + text[at:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all): {', '.join(NAMES)}")
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    parser.add_argument("--records", type=int,
                        help="records of the one-source benchmarks (default 100000)")
    parser.add_argument("--repeat", type=int, help="repetitions where medians are taken")
    parser.add_argument("--publishing-records", type=int,
                        help="size of the published catalogue (default 1000000)")
    parser.add_argument("--dir", default="/tmp/oerhub-bench",
                        help="where the published catalogue is built once and kept")
    parser.add_argument("--note", default="", help="what changed, for RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    parser.add_argument("--without-enrichment", action="store_true",
                        help="harvest without the enrichment steps oerhub harvest runs after "
                             "storing (language detection, duplicates, search): the harvest "
                             "path alone; marked so in RESULTS.md")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(NAMES))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)} (choose from {', '.join(NAMES)})")
    common.WITHOUT_ENRICHMENT = args.without_enrichment
    runs = plan(args)
    chosen = args.names or list(NAMES)
    print(f"{machine()}\n{tree_state()}" + ("\nwithout the enrichment steps"
                                               if args.without_enrichment else "") + "\n",
          flush=True)
    results = []
    for name in chosen:
        started = time.monotonic()
        print(f"== {name}", flush=True)
        result = runs[name]()
        for goal in result.goals:
            print(f"  {goal.describe()}")
        print(f"  ({time.monotonic() - started:.0f} s)\n", flush=True)
        results.append(result)
    print("== summary")
    for result in results:
        for goal in result.goals:
            print(f"  {result.name:<13} {goal.describe()}")
    if not args.no_write:
        command = shlex.join(["python", "benchmarks/run_all.py", *sys.argv[1:]])
        note = args.note + (" (without the enrichment steps)" if args.without_enrichment
                            else "")
        record(results, command, note, args.quick)
        print(f"\nrecorded in {RESULTS.relative_to(PROJECT)}")


if __name__ == "__main__":
    main()
