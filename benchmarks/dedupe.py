"""Duplicates and translations after a harvest: the `duplicates` enrichment step on N records.

Builds a catalogue of N live records (default 100,000) from four sources straight through the
store, shaped as the region's aggregates are: 20% of the records are a resource that another
source gives too (the same DOI written another way, the same link over http and https, or
the same title and author in other capitals and scripts), 2% are Russian/Kazakh textbook
pairs of one publisher's ISBN block, and every record carries its oai_dc metadata (one in
twenty with a dc:relation, which the step parses). Then times, in this process: the first
pass (every record keyed and grouped), a pass with nothing changed (what an unchanged harvest
pays), a pass after 1% of the records changed, the coverage report's unique-resources query
and the browse view's count and first page.

Run: .venv/bin/python benchmarks/dedupe.py [--records 100000]
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Goal, Result  # noqa: E402
from stdnum import ean  # noqa: E402

from oerhub.catalogue import Catalogue  # noqa: E402
from oerhub.enrich.duplicates import regroup  # noqa: E402
from oerhub.models import Batch, RawRecord, Record, RunProgress  # noqa: E402
from oerhub.publish.report import REPEATS_SQL  # noqa: E402
from oerhub.registry import Config, Source  # noqa: E402

BATCH = 5000
SOURCES = ("kz-nab", "kz-univer", "ru-cyberleninka", "kz-journal")
SUBJECTS = ("Физика", "Химия", "История Казахстана", "Высшая математика", "Биология",
            "Қазақ тілі", "Информатика", "География")
SURNAMES = [("Иваненко", "Ivanenko"), ("Темірбеков", "Temirbekov"), ("Хасанов", "Xasanov"),
            ("Щербаков", "Shcherbakov"), ("Әбілқасымова", "Abylkasymova"), ("Ким", "Kim")]


def isbn(block: str, item: int) -> str:
    """An ISBN-13 of Kazakhstan (978-601), publisher `block` (two digits), title `item`."""
    base = f"978601{block}{item % 10_000:04d}"
    return base + ean.calc_check_digit(base)


def record(n: int, stamp: str, edition: int = 0) -> tuple[Record, RawRecord]:
    """The n-th record: every fifth pair shares a resource; every fiftieth pair is a
    Russian/Kazakh textbook pair; `edition` changes its metadata (a new DOI)."""
    source = SOURCES[n % len(SOURCES)]
    pair, second = divmod(n, 2)
    cyrillic, latin = SURNAMES[pair % len(SURNAMES)]
    subject = SUBJECTS[pair % len(SUBJECTS)]
    language, creators = "ru", [f"{cyrillic} А. Б."]
    title = f"{subject}: учебное пособие. Часть {n}"
    identifiers = [f"https://{source}.example.kz/handle/123456789/{n}"]
    relation = None
    if pair % 5 == 0:  # a shared resource: pair n, n+1 from two sources
        kind = (pair // 5) % 3
        title = f"{subject}: учебное пособие. Часть {pair}"
        if kind == 0:
            identifiers.append(f"https://doi.org/10.31489/{pair}.X" if second
                               else f"doi:10.31489/{pair}.x")
        elif kind == 1:
            identifiers.append(f"http://www.journal.example.kz/article/{pair}/" if second
                               else f"https://journal.example.kz/article/{pair}")
        else:
            if second:
                title, creators = title.upper(), [f"{latin}, A."]
    elif pair % 25 == 3:  # a textbook in Russian and in Kazakh, ISBNs of one block
        title = f"{subject}. {pair} класс" if not second else f"{subject}. {pair}-сынып"
        language = "kk" if second else "ru"
        creators = [f"{latin}, A."] if second else [f"{cyrillic} А. Б."]
        identifiers.append(f"ISBN {isbn('07', pair * 2 + second)}")
    if n % 20 == 7:
        relation = f"Серия: Библиотека учителя;{n % 9}"
    if edition:
        identifiers.append(f"https://doi.org/10.9999/edition.{n}.{edition}")
    dc = "".join(f"<dc:title>{title}</dc:title>" for _ in [0])
    dc += "".join(f"<dc:creator>{c}</dc:creator>" for c in creators)
    dc += "".join(f"<dc:identifier>{i}</dc:identifier>" for i in identifiers)
    dc += f"<dc:language>{language}</dc:language>"
    if relation:
        dc += f"<dc:relation>{relation}</dc:relation>"
    raw = ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
           f'xmlns:dc="http://purl.org/dc/elements/1.1/">{dc}</oai_dc:dc>')
    identifier = f"oai:{source}:{n}"
    return (Record(source, identifier, stamp, title=title, url=identifiers[0],
                   language=language, country=source[:2].upper(), creators=creators,
                   identifiers=identifiers),
            RawRecord(source, identifier, stamp, False, "oai_dc", raw))


def store(catalogue: Catalogue, numbers: range | list[int], stamp: str, edition: int = 0) -> None:
    """Store the records, a batch at a time per source (record n belongs to source n % 4)."""
    for index, source in enumerate(SOURCES):
        mine = [n for n in numbers if n % len(SOURCES) == index]
        run = catalogue.start_run(source, "full", None)
        for start in range(0, len(mine), BATCH):
            pairs = [record(n, stamp, edition) for n in mine[start:start + BATCH]]
            catalogue.store_batch(RunProgress(run, source, 0, 0), Batch([w for _, w in pairs], None, normalised=[r for r, _ in pairs]))
        catalogue.finish_run(run, source, "ok")


def timed(action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


def run(records: int = 100_000) -> Result:
    result = Result("dedupe", f"Duplicates and translations: the step on {records:,} records")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        with Catalogue(db) as catalogue:
            catalogue.sync_sources(Config(path=db, sources=tuple(
                Source(id=s, name=s, country=s[:2].upper(), protocol="oai-pmh",
                       url="http://127.0.0.1/oai") for s in SOURCES)))
            store(catalogue, range(records), "2024-01-01T00:00:00Z")
            time.sleep(1.01)  # marks are whole seconds: the harvest ended a second earlier
            first, first_s = timed(lambda: regroup(catalogue))
            result.say(f"first pass: {first.summary()}")
            idle, idle_s = timed(lambda: regroup(catalogue))
            result.say(f"nothing changed: {idle.summary()}")
            changed = list(range(0, records, 100))
            store(catalogue, changed, "2024-02-01T00:00:00Z", edition=1)
            again, again_s = timed(lambda: regroup(catalogue))
            result.say(f"1% changed: {again.summary()}")
            full, full_s = timed(lambda: regroup(catalogue, full=True))
            conn = sqlite3.connect(db)
            conn.execute("ANALYZE")
            repeats, repeats_s = timed(lambda: conn.execute(REPEATS_SQL).fetchall())
            count, count_s = timed(lambda: conn.execute(
                "SELECT COUNT(*) FROM unique_resources").fetchone()[0])
            _, page_s = timed(lambda: conn.execute(
                "SELECT * FROM unique_resources ORDER BY id DESC LIMIT 51").fetchall())
            _, facet_s = timed(lambda: conn.execute(
                "SELECT language, COUNT(*) FROM unique_resources GROUP BY language").fetchall())
            conn.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    expected_groups = records // 10 + (records % 10 > 1)
    result.say(f"first pass {first_s:.2f} s, unchanged {idle_s:.3f} s, 1% changed "
               f"{again_s:.2f} s, everything again {full_s:.2f} s; peak RSS {peak:.0f} MiB")
    result.say(f"unique resources {count:,} of {records:,} records; report query "
               f"{repeats_s * 1000:.0f} ms, view count {count_s * 1000:.0f} ms, first page "
               f"{page_s * 1000:.0f} ms, language facet {facet_s * 1000:.0f} ms")
    scale = records / 100_000  # the goals are for 100,000 records, and grow with them
    result.goals += [
        Goal("groups found", first.groups, expected_groups),
        Goal("records in groups", first.grouped_records, 2 * expected_groups),
        Goal(f"first pass on {records:,} records", first_s, 30.0 * scale, " s",
             at_least=False),
        Goal("pass with nothing changed", idle_s, 0.5 * max(scale, 1), " s", at_least=False),
        Goal("pass after 1% changed", again_s, 2.0 * scale, " s", at_least=False),
        Goal("report's unique-resources query", repeats_s, 0.5 * max(scale, 1), " s",
             at_least=False),
        Goal("browse view count", count_s, 1.0 * max(scale, 1), " s", at_least=False),
    ]
    assert [tuple(r) for r in repeats][-1][2] == records - count
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    result = run(args.records)
    for line in result.lines:
        print(line)
    for goal in result.goals:
        print(goal.describe())


if __name__ == "__main__":
    main()
