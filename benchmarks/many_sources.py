"""Many slow sources at once: wall time of one harvest of 30 repositories against the slowest
single repository and the sum (what a sequential harvester would take).

Each repository is served on its own loopback address (127.0.0.2 …) and answers every request
after a delay, so the client's overlap is what is measured. Run: .venv/bin/python
benchmarks/many_sources.py [--sources 30] [--delay 0.1] [--records 200] [--page 50]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from oerhub.oai_server import OaiTestServer
from oerhub.samples import SampleRepository, make_records


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=30)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds per answer")
    parser.add_argument("--records", type=int, default=200, help="records per repository")
    parser.add_argument("--page", type=int, default=50, help="records per page")
    args = parser.parse_args()
    servers = []
    try:
        for n in range(args.sources):
            repo = SampleRepository(f"r{n}", make_records(f"r{n}", args.records, ["ru", "kk"]))
            servers.append(OaiTestServer([repo], batch_size=args.page, host=f"127.0.0.{n + 2}",
                                         delay=args.delay, cache=True).start())
        urls = [(f"kz-r{n}", s.url(f"r{n}")) for n, s in enumerate(servers)]
        with tempfile.TemporaryDirectory() as tmp:  # warm the servers' caches: time the client
            harvest(Path(tmp), urls, workers=args.sources)
        singles = []
        for source in urls[:3]:  # every repository is the same size: three samples suffice
            with tempfile.TemporaryDirectory() as tmp:
                singles.append(harvest(Path(tmp), [source], workers=1))
        slowest = max(singles)
        with tempfile.TemporaryDirectory() as tmp:
            together = harvest(Path(tmp), urls, workers=args.sources)
        pages = -(-args.records // args.page)
        print(f"{args.sources} repositories x {args.records} records, {pages} pages of "
              f"{args.page}, {args.delay * 1000:.0f} ms per answer")
        print(f"one repository alone (slowest of 3): {slowest:6.2f} s")
        print(f"sequential estimate (sum):           {slowest * args.sources:6.2f} s")
        print(f"all {args.sources} at once (workers={args.sources}):     {together:6.2f} s  "
              f"= {together / slowest:.2f} x the slowest single source (goal <= 1.5)")
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
