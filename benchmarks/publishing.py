"""Publishing at scale: query times of the Datasette site and the coverage report on a large
catalogue generated through the real store.

Builds (once, cached in --dir) a catalogue of --records records spread over 103 sources in the
13 countries of the registry, with the spellings of the sample tables normalised by the real
normaliser, then times, median of --repeat runs each:
  the home page, the resources page with its facets, a full-text search (Cyrillic),
  every chart query of the coverage dashboard, and `oerhub report coverage`.
Run: .venv/bin/python benchmarks/publishing.py [--records 1000000] [--dir /tmp/oerhub-bench]
Goals at a million records: the browse page with facets on country, language and licence
< 500 ms, a full-text search < 100 ms, the coverage dashboard (page and every chart query)
< 2 s, and `oerhub report coverage` < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Goal, Result  # noqa: E402

from oerhub.catalogue import SCHEMA, SCHEMA_VERSION, Catalogue
from oerhub.demo.samples import LANGUAGE_SPELLINGS, make_records
from oerhub.models import Batch, RawRecord, RunProgress
from oerhub.normalize import normalize
from oerhub.publish.serve import load_site, make_datasette
from oerhub.registry import load_config

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
                catalogue.store_batch(RunProgress(runs[source_id], source_id, 0, 0), Batch(raws, None, normalised=records))
        for source_id, run in runs.items():
            catalogue.finish_run(run, source_id, "ok", next_from="2024-01-01T00:00:00Z")
        search_step(catalogue)
        catalogue.optimize()
        print(f"built {total:,} records in {time.monotonic() - started:.1f} s "
              f"({total / (time.monotonic() - started):,.0f} records/s through the real store)")


def search_step(catalogue: Catalogue) -> None:
    """The enrichment step the site's search reads (records_search), where there is one; the
    others (language detection, duplicates) are not what this benchmark times."""
    try:
        from oerhub.enrich import STEPS, enrich
    except ImportError:
        return
    if "search" in STEPS:
        print(*enrich(catalogue, only=("search",)))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def timed(label: str, repeat: int, action, result: Result | None = None) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    line = f"| {label} | {median * 1000:,.0f} ms |"
    if result is not None:
        result.say(line)
    else:
        print(line)
    return median


def catalogue_of(records: int, directory: str) -> Path:
    """The catalogue of `records` records in `directory`, built once (and shared with
    survey.py): once per schema, its text and not only its number, while one is being written."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    schema = hashlib.sha1(SCHEMA.encode()).hexdigest()[:8]
    db = folder / f"catalogue-{records}-schema{SCHEMA_VERSION}-{schema}.db"
    if not db.exists():
        partial = db.with_suffix(".partial")
        for leftover in folder.glob(partial.name + "*"):
            leftover.unlink()
        build(partial, records)
        partial.rename(db)
    return db


def run(records: int = 1_000_000, directory: str = "/tmp/oerhub-bench",
        repeat: int = 5) -> Result:
    result = Result("publishing", f"Publishing at scale: {records:,} records")
    db = catalogue_of(records, directory)
    site = load_site(PROJECT / "config" / "metadata.yaml")
    ds = make_datasette(db, site)
    loop = asyncio.new_event_loop()

    def get(path: str) -> None:
        response = loop.run_until_complete(ds.client.get(path))
        assert response.status_code == 200, (path, response.status_code, response.text[:300])

    with Catalogue(db) as catalogue:
        live = catalogue.count("records", "deleted = 0")
    result.say(f"catalogue: {live:,} live records, {db.stat().st_size / 1e6:,.0f} MB; "
               f"medians of {repeat}")
    result.say("| request | time |")
    result.say("|---|---:|")
    get("/")  # warm up
    timed("home page /", repeat, lambda: get("/"), result)
    catalogue_db = ds.get_database("oerhub")

    def first_visitor() -> None:  # after a harvest: no facet count kept (facet_cache.py)
        catalogue_db.forget()
        get("/oerhub/resources")
    browse = timed("resources page with its 8 facets, the first visitor after a change",
                   repeat, first_visitor, result)
    timed("resources page with its 8 facets, the next visitors (facet counts kept)",
          repeat, lambda: get("/oerhub/resources"), result)
    searches = [timed(f"full-text search {word!r} (rows and count)", repeat,
                      lambda word=word: get(f"/oerhub/resources?_search={quote(word)}"
                                            "&_nofacet=1"), result)
                for word in ("химии", "ķīmija")]
    timed("full-text search 'химии' with the facets of its results", repeat,
          lambda: get(f"/oerhub/resources?_search={quote('химии')}"), result)
    timed("subjects page (facet on the record_subjects join table)", repeat,
          lambda: get("/oerhub/record_subjects"), result)
    charts = site.metadata["plugins"]["datasette-dashboards"]["coverage"]["charts"]

    def dashboard() -> None:
        get("/-/dashboards/coverage")  # the figures, tables and map, drawn on the server
        for chart in (c for c in charts.values() if c.get("query")):
            sql = re.sub(r"\[\[.*?\]\]", "", chart["query"])  # no country filter: everything
            get(f"/oerhub.json?sql={quote(sql)}&_shape=array")
    coverage_page = timed(f"coverage dashboard: page + all {len(charts)} chart queries",
                          repeat, dashboard, result)
    cli = timed("`oerhub report coverage` (CLI, start-up included)", repeat,
                lambda: subprocess.run(
                    [sys.executable, "-m", "oerhub.cli", "report", "coverage", "--db", str(db),
                     "--config", str(PROJECT / "config" / "sources.toml")], check=True,
                    capture_output=True), result)
    result.goals += [
        Goal("browse page with facets", browse * 1000, 500, " ms", at_least=False),
        Goal("full-text search (slower of two)", max(searches) * 1000, 100, " ms",
             at_least=False),
        Goal("coverage dashboard with its queries", coverage_page * 1000, 2000, " ms",
             at_least=False),
        Goal("oerhub report coverage", cli * 1000, 2000, " ms", at_least=False),
    ]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--dir", default="/tmp/oerhub-bench")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for goal in run(args.records, args.dir, args.repeat).goals:
        print(goal.describe())


if __name__ == "__main__":
    main()
