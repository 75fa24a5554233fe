"""Many slow sources at once: wall time of one harvest of 30 repositories against the slowest
single repository and the sum (what a sequential harvester would take).

Each repository is served on its own loopback address (127.0.0.2 …) and answers every request
after a delay, so the client's overlap is what is measured. Run: .venv/bin/python
benchmarks/many_sources.py [--sources 30] [--delay 0.1] [--records 200] [--page 50]
Goal: all at once in <= 1.5 x the time of the slowest single source.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Goal, Result  # noqa: E402

from oerhub.demo.oai_server import OaiTestServer  # noqa: E402
from oerhub.demo.samples import SampleRepository, make_records  # noqa: E402


def harvest(directory: Path, urls: list[tuple[str, str]], workers: int) -> float:
    lines = ['[harvest]\ncontact = "mailto:bench@example.org"\n'
             f"workers = {workers}\nretries = 0\n"]
    for source_id, url in urls:
        lines.append(f'[[sources]]\nid = "{source_id}"\nname = "{source_id}"\ncountry = "KZ"\n'
                     f'protocol = "oai-pmh"\nurl = "{url}"\nwindow = "none"\n')
    (directory / "sources.toml").write_text("\n".join(lines))
    env = {**os.environ, "OERHUB_CONFIG": str(directory / "sources.toml"),
           "OERHUB_DB": str(directory / "oerhub.db")}
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "oerhub.cli", "harvest", "--quiet"], env=env,
                   check=True)
    return time.monotonic() - started


def run(sources: int = 30, delay: float = 0.1, records: int = 200, page: int = 50) -> Result:
    result = Result("many_sources", f"Many sources: {sources} at {delay * 1000:.0f} ms per answer")
    servers = []
    try:
        for n in range(sources):
            repo = SampleRepository(f"r{n}", make_records(f"r{n}", records, ["ru", "kk"]))
            servers.append(OaiTestServer([repo], batch_size=page, host=f"127.0.0.{n + 2}",
                                         delay=delay, cache=True).start())
        urls = [(f"kz-r{n}", s.url(f"r{n}")) for n, s in enumerate(servers)]
        with tempfile.TemporaryDirectory() as tmp:  # warm the servers' caches: time the client
            harvest(Path(tmp), urls, workers=sources)
        singles = []
        for source in urls[:3]:  # every repository is the same size: three samples suffice
            with tempfile.TemporaryDirectory() as tmp:
                singles.append(harvest(Path(tmp), [source], workers=1))
        slowest = max(singles)
        with tempfile.TemporaryDirectory() as tmp:
            together = harvest(Path(tmp), urls, workers=sources)
    finally:
        for server in servers:
            server.stop()
    pages = -(-records // page)
    result.say(f"{sources} repositories x {records} records, {pages} pages of {page}, "
               f"{delay * 1000:.0f} ms per answer")
    result.say(f"one repository alone (slowest of 3): {slowest:.2f} s; sequential estimate "
               f"(sum): {slowest * sources:.1f} s; all {sources} at once: {together:.2f} s")
    result.goals.append(Goal(f"all at once / slowest single ({delay * 1000:.0f} ms)",
                             together / slowest, 1.5, " x", at_least=False))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=30)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds per answer")
    parser.add_argument("--records", type=int, default=200, help="records per repository")
    parser.add_argument("--page", type=int, default=50, help="records per page")
    args = parser.parse_args()
    for goal in run(args.sources, args.delay, args.records, args.page).goals:
        print(goal.describe())


if __name__ == "__main__":
    main()
