"""Publishing at scale: query times of the Datasette site and the coverage report on a large
catalogue generated through the real store.

Builds (once, cached in --dir) a catalogue of --records records spread over 103 sources in the
13 countries of the registry, with the spellings of the sample tables normalised by the real
normaliser, then times, median of --repeat runs each:
  the home page, the resources page with its facets, a full-text search (Cyrillic),
  every chart query of the coverage dashboard, and `oerhub report coverage`.
Run: .venv/bin/python benchmarks/publishing.py [--records 200000] [--dir /tmp/oerhub-bench]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from oerhub.config import load_config
from oerhub.models import RawRecord
from oerhub.normalize import normalize
from oerhub.samples import LANGUAGE_SPELLINGS, make_records
from oerhub.serve import load_site, make_datasette
from oerhub.store import Catalogue

PROJECT = Path(__file__).resolve().parents[1]
BATCH = 5000


def build(db: Path, total: int) -> None:
    config = load_config(PROJECT / "config" / "sources.toml")
    sources = list(config.sources)
    templates = make_records("bench", 2000, list(LANGUAGE_SPELLINGS))
    with Catalogue(db) as catalogue:
        catalogue.sync_sources(config)
        runs = {s.id: catalogue.start_run(s.id, "full", None) for s in sources}
        started = time.monotonic()
        for start in range(0, total, BATCH):
            by_source: dict[str, tuple[list, list]] = {}
            for n in range(start, min(start + BATCH, total)):
                source = sources[(n * 7) % len(sources)]
                sample = templates[n % len(templates)]
                xml = ("<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/oai_dc/\" "
                       "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
                       + "".join(f"<dc:{k}>{_escape(v)}</dc:{k}>"
                                 for k, values in sample.fields.items() if k != "lom_language"
                                 for v in values) + "</oai_dc:dc>")
                raw = RawRecord(source.id, f"oai:{source.id}:{n}", "2024-01-01T00:00:00Z",
                                n % 97 == 0, "oai_dc", None if n % 97 == 0 else xml)
                records, raws = by_source.setdefault(source.id, ([], []))
                records.append(normalize(raw, source.country))
                raws.append(raw)
            for source_id, (records, raws) in by_source.items():
                catalogue.store_batch(runs[source_id], source_id, records, raws, None, 0, 0)
        for source_id, run in runs.items():
            catalogue.finish_run(run, source_id, "ok", next_from="2024-01-01T00:00:00Z")
        catalogue.optimize()
        print(f"built {total:,} records in {time.monotonic() - started:.1f} s "
              f"({total / (time.monotonic() - started):,.0f} records/s through the real store)")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def timed(label: str, repeat: int, action) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"{label:<58} {median * 1000:8.0f} ms")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--dir", default="/tmp/oerhub-bench")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    db = directory / f"catalogue-{args.records}.db"
    if not db.exists():
        build(db, args.records)
    site = load_site(PROJECT / "config" / "metadata.yaml")
    ds = make_datasette(db, site)
    loop = asyncio.new_event_loop()

    def get(path: str) -> None:
        response = loop.run_until_complete(ds.client.get(path))
        assert response.status_code == 200, (path, response.status_code, response.text[:300])

    with Catalogue(db) as catalogue:
        live = catalogue.count("records", "deleted = 0")
    print(f"catalogue: {live:,} live records, {db.stat().st_size / 1e6:.0f} MB")
    get("/")  # warm up
    timed("home page /", args.repeat, lambda: get("/"))
    timed("resources, facets country+language+license (+defaults)", args.repeat,
          lambda: get("/oerhub/resources?_facet=country&_facet=language&_facet=license"))
    timed("full-text search 'химии' (Cyrillic)", args.repeat,
          lambda: get(f"/oerhub/resources?_search={quote('химии')}"))
    timed("full-text search 'ķīmija' (Latvian)", args.repeat,
          lambda: get(f"/oerhub/resources?_search={quote('ķīmija')}"))
    charts = site.metadata["plugins"]["datasette-dashboards"]["coverage"]["charts"]

    def dashboard() -> None:
        for chart in charts.values():
            sql = re.sub(r"\[\[.*?\]\]", "", chart["query"])  # no country filter: everything
            get(f"/oerhub.json?sql={quote(sql)}&_shape=array")
    timed(f"dashboard: all {len(charts)} chart queries", args.repeat, dashboard)
    timed("dashboard page /-/dashboards/coverage", args.repeat,
          lambda: get("/-/dashboards/coverage"))
    timed("oerhub report coverage (CLI, incl. start-up)", args.repeat, lambda: subprocess.run(
        [sys.executable, "-m", "oerhub.cli", "report", "coverage", "--db", str(db),
         "--config", str(PROJECT / "config" / "sources.toml")], check=True,
        capture_output=True))


if __name__ == "__main__":
    main()
