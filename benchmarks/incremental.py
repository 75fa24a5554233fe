"""Incremental cost: a second harvest of an unchanged source.

The first harvest stores every record; the second asks from the server time the first one
read (Identify's responseDate) and the server, unchanged, answers noRecordsMatch. Goal: one
ListRecords request and under 1 s for the whole command (start-up included).
Run: .venv/bin/python benchmarks/incremental.py [--records 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Goal, PageServer, Result, render_pages, run_harvest  # noqa: E402


def run(records: int = 100_000, repeat: int = 3) -> Result:
    result = Result("incremental", f"Incremental cost: second harvest of {records:,} unchanged")
    with PageServer(render_pages(records)) as server, tempfile.TemporaryDirectory() as tmp:
        first = run_harvest(Path(tmp), server.url)
        seconds, asked, inside = [], [], []
        for _ in range(repeat):
            before = server.requests["ListRecords"]
            run = run_harvest(Path(tmp), server.url)
            seconds.append(run.seconds)
            inside.append(run.run_seconds)
            asked.append(server.requests["ListRecords"] - before)
    median = sorted(seconds)[len(seconds) // 2]
    result.say(f"first harvest {first.seconds:.2f} s; second (median of {repeat}) {median:.2f} s "
               f"with {max(asked)} ListRecords request(s); the harvest run itself "
               f"(harvest_runs.seconds) {sorted(inside)[len(inside) // 2]:.2f} s")
    result.goals.append(Goal("ListRecords requests of the second harvest", max(asked), 1,
                             at_least=False))
    result.goals.append(Goal("second harvest", median, 1.0, " s", at_least=False))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    for goal in run(args.records).goals:
        print(goal.describe())


if __name__ == "__main__":
    main()
