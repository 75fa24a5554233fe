"""Memory: peak resident memory of `oerhub harvest` at two sizes of one source.

Two figures: the harvest process's own peak (ru_maxrss from wait4, so nothing is missed between
two polls), and the peak of the whole tree, the harvest with its worker processes (the sum of
their proportional set sizes, so pages they share count once; sampled every 50 ms). The goals
are judged on the tree: flat (the larger source costs at most 10% more, or 10 MB, whichever is
more) and under 150 MB.
Run: .venv/bin/python benchmarks/memory.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Goal, PageServer, Result, render_pages, run_harvest  # noqa: E402

LIMIT_MB = 150


def run(sizes: tuple[int, ...] = (10_000, 100_000)) -> Result:
    result = Result("memory", "Memory: peak RSS of `oerhub harvest`")
    result.say("| records | peak RSS, harvest process | peak PSS, with its workers | time |")
    result.say("|---:|---:|---:|---:|")
    peaks = []
    for size in sizes:
        with PageServer(render_pages(size)) as server, tempfile.TemporaryDirectory() as tmp:
            run = run_harvest(Path(tmp), server.url, tree=True)
        peaks.append(max(run.peak_tree, run.peak_rss) / 2**20)
        result.say(f"| {size:,} | {run.peak_rss / 2**20:.0f} MB | {run.peak_tree / 2**20:.0f} MB "
                   f"| {run.seconds:.1f} s (harvest run {run.run_seconds:.1f} s) |")
    growth = peaks[-1] - peaks[0]
    result.goals.append(Goal(f"peak memory at {sizes[-1]:,} records (harvest and workers)",
                             peaks[-1], LIMIT_MB, " MB", at_least=False))
    result.goals.append(Goal(f"growth {sizes[0]:,} -> {sizes[-1]:,} records", growth,
                             max(10.0, 0.1 * peaks[0]), " MB", at_least=False))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    for goal in run(tuple(args.sizes)).goals:
        print(goal.describe())


if __name__ == "__main__":
    main()
