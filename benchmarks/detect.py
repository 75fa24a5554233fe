"""Language detection after a harvest: the `languages` enrichment step on N new records.

Builds a catalogue of N live records (default 100,000) straight through the store: titles are
the real titles of tests/test_detect_titles.py in turn (a number appended), descriptions two
more real titles of the same language, so the texts are as long and as mixed in script as a
repository's. Then times, in this process: the first pass (every record; the models load on the
way), a second pass with nothing changed (the scan an unchanged harvest pays), and a pass
after 1% of the records changed. Peak RSS is the process's.

Run: .venv/bin/python benchmarks/detect.py [--records 100000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PROJECT, Goal, Result  # noqa: E402

sys.path.insert(0, str(PROJECT / "tests"))
from test_detect_titles import TITLES  # noqa: E402

from oerhub.catalogue import Catalogue  # noqa: E402
from oerhub.enrich.languages import detect_languages  # noqa: E402
from oerhub.models import Batch, RawRecord, Record, RunProgress  # noqa: E402
from oerhub.registry import Config, Source  # noqa: E402

BATCH = 5000


def build(db: Path, total: int) -> None:
    source = Source(id="bench", name="Bench", country="KG", protocol="oai-pmh",
                    url="http://127.0.0.1/oai")
    by_language: dict[str, list[str]] = {}
    for code, title, _ in TITLES:
        by_language.setdefault(code, []).append(title)
    with Catalogue(db) as catalogue:
        catalogue.sync_sources(Config(path=db, sources=(source,)))
        run = catalogue.start_run("bench", "full", None)
        for start in range(0, total, BATCH):
            records, raws = [], []
            for n in range(start, min(start + BATCH, total)):
                code, title, _ = TITLES[n % len(TITLES)]
                same = by_language[code]
                description = (f"{same[(n + 1) % len(same)]}. {same[(n + 2) % len(same)]}."
                               if n % 4 else None)  # a quarter without a description
                identifier = f"oai:bench:{n}"
                records.append(Record("bench", identifier, "2024-01-01T00:00:00Z",
                                      title=f"{title} {n}", description=description,
                                      language=code if n % 3 else None, country="KG"))
                raws.append(RawRecord("bench", identifier, "2024-01-01T00:00:00Z", False,
                                      "oai_dc", None))
            catalogue.store_batch(RunProgress(run, "bench", 0, 0), Batch(raws, None, normalised=records))
        catalogue.finish_run(run, "bench", "ok")


def run(records: int = 100_000) -> Result:
    result = Result("detect", f"Language detection of {records:,} new records")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "oerhub.db"
        build(db, records)
        with Catalogue(db) as catalogue:
            first = detect_languages(catalogue)
            started = time.perf_counter()
            second = detect_languages(catalogue)
            unchanged = time.perf_counter() - started
            catalogue.conn.execute("UPDATE records SET last_changed = '2099-01-01T00:00:00Z' "
                                   "WHERE id % 100 = 0")
            third = detect_languages(catalogue)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert second.checked == 0 and third.checked == records // 100
    result.say("| pass | records | time | records/s |")
    result.say("|---|---:|---:|---:|")
    result.say(f"| first (models load) | {first.checked:,} | {first.seconds:.1f} s | "
               f"{first.checked / first.seconds:,.0f} |")
    result.say(f"| nothing changed | 0 | {unchanged:.2f} s | - |")
    result.say(f"| 1% changed | {third.checked:,} | {third.seconds:.2f} s | "
               f"{third.checked / third.seconds:,.0f} |")
    result.say(f"detected {sum(first.detected.values()):,}: {dict(first.detected.most_common())}")
    result.say(f"peak RSS {rss:,.0f} MiB")
    result.goals.append(Goal("first pass", first.checked / first.seconds, 3000, " records/s"))
    result.goals.append(Goal("pass with nothing changed", unchanged, 1.0, " s", at_least=False))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    for goal in run(args.records).goals:
        print(goal.describe())


if __name__ == "__main__":
    main()
