"""Latency hiding: a repository that takes 50 ms to answer each page.

oerhub fetches the next page while it parses and stores this one, so the network wait is
hidden: goal >= 0.9 x (page size / delay) records per second, i.e. >= 9,000 records/s for
500-record pages at 50 ms, measured over the whole command (start-up included).
Run: .venv/bin/python benchmarks/latency.py [--records 100000] [--delay 0.05]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PAGE, Goal, PageServer, Result, render_pages, run_harvest  # noqa: E402


def run(records: int = 100_000, delay: float = 0.05, repeat: int = 1) -> Result:
    result = Result("latency", f"Latency hiding: {delay * 1000:.0f} ms per page, {PAGE} a page")
    pages = render_pages(records)
    times: list[float] = []
    inside: list[float] = []
    with PageServer(pages, delay=delay) as server:
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                run = run_harvest(Path(tmp), server.url)
                times.append(run.seconds)
                inside.append(run.run_seconds)
    seconds = sorted(times)[len(times) // 2]
    waiting = (len(pages) + 1) * delay  # Identify and every page, one after another
    ideal = PAGE / delay
    result.say(f"{records:,} records, {len(pages)} pages: {seconds:.2f} s "
               f"({records / seconds:,.0f} records/s); the waits alone add up to {waiting:.1f} s "
               f"(at most {ideal:,.0f} records/s); the harvest run itself "
               f"(harvest_runs.seconds) {sorted(inside)[len(inside) // 2]:.2f} s")
    result.goals.append(Goal("records/s with 50 ms pages", records / seconds, 0.9 * ideal,
                             " rec/s"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    for goal in run(args.records, args.delay).goals:
        print(goal.describe())


if __name__ == "__main__":
    main()
