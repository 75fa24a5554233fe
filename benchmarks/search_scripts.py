"""What script-aware search costs: the `search` enrichment step on 100,000 records.

Builds a catalogue through the real store (`Catalogue.store_batch`) whose records read like the
region's: titles, subjects, creators and descriptions drawn from Zipf-distributed vocabularies
of made-up words in Russian, Ukrainian, Belarusian, Kazakh, Kyrgyz, Tajik and Uzbek Cyrillic,
Uzbek and Kazakh Latin, English, Latvian and Georgian (so the caches meet as many distinct
words as a real catalogue: about 200,000). Then times the step (oerhub/enrich/search.py) as
`oerhub harvest` runs it: the first indexing of every record, a run with nothing changed, a
run after 1% of the records changed, and reports the index's size and a few searches.

    .venv/bin/python benchmarks/search_scripts.py                 # 100,000 records
    .venv/bin/python benchmarks/search_scripts.py --records 20000
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:  # run as `python benchmarks/x.py` from anywhere
    sys.path.insert(0, str(PROJECT))

from oerhub.catalogue import Catalogue  # noqa: E402
from oerhub.enrich import search_index  # noqa: E402
from oerhub.enrich.search_query import query_match  # noqa: E402
from oerhub.enrich.search_step import update_search  # noqa: E402
from oerhub.models import Batch, RawRecord, Record, RunProgress  # noqa: E402
from oerhub.registry import load_config  # noqa: E402

# language: (share of the records, consonants, vowels, words in its vocabulary, country)
LANGUAGES = {
    "ru": (0.34, "бвгджзклмнпрстфхцчшщ", "аеёиоуыэюя", 60000, "RU"),
    "uk": (0.16, "бвгґджзклмнпрстфхцчшщ", "аеєиіїоуюя", 40000, "UA"),
    "be": (0.04, "бвгджзклмнпрстфхцчшў", "аеёыіоуэюя", 12000, "BY"),
    "kk": (0.07, "бвгғджзкқлмнңпрстфхһчшй", "аәеиіоөұүыя", 20000, "KZ"),
    "ky": (0.03, "бвгджзклмнңпрстхчшй", "аеиоөүыюя", 10000, "KG"),
    "tg": (0.03, "бвгғджзкқлмнпрстфхҳчҷшй", "аеиӣоуӯэюя", 10000, "TJ"),
    "uz": (0.06, "бвгғджзкқлмнпрстфхҳчшй", "аеиоуўэюя", 15000, "UZ"),
    "uz-latn": (0.05, ["b", "d", "f", "g", "gʻ", "h", "j", "k", "l", "m", "n", "p", "q", "r",
                       "s", "sh", "ch", "t", "v", "x", "y", "z"], "aeiouoʻ", 15000, "UZ"),
    "kk-latn": (0.02, "bdfgğhjklmnñpqrsştvyz", "aäeıioöuūü", 6000, "KZ"),
    "en": (0.12, "bcdfghklmnprstvw", "aeiou", 30000, "EE"),
    "lv": (0.04, "bcčdfgģkķlļmnņprsštvzž", "aāeēiīou", 12000, "LV"),
    "ka": (0.04, "ბგდვზთკლმნპჟრსტფქღყშჩცძწჭხჯჰ", "აეიოუ", 12000, "GE"),
}
TITLE_WORDS, SUBJECTS, DESCRIPTION_WORDS = 8, 3, 120
BATCH = 2000


def vocabulary(consonants: str | list[str], vowels: str, size: int, rng: random.Random
               ) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < size:
        syllables = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))
        words["".join(rng.choice(consonants) + rng.choice(vowels)
                      for _ in range(syllables))] = None
    return list(words)


class Text:
    """Words of one language, the frequent ones often (Zipf, s = 1.07)."""

    def __init__(self, code: str, rng: random.Random) -> None:
        _, consonants, vowels, size, _ = LANGUAGES[code]
        self.words = vocabulary(consonants, vowels, size, rng)
        weights = [1 / (rank ** 1.07) for rank in range(1, size + 1)]
        total, running = sum(weights), 0.0
        self.cumulative = []
        for weight in weights:
            running += weight / total
            self.cumulative.append(running)
        self.rng = rng

    def words_of(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def sentence(self, count: int) -> str:
        words = self.words_of(count)
        return " ".join([words[0].capitalize(), *words[1:]])


def build(db: Path, total: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    texts = {code: Text(code, rng) for code in LANGUAGES}
    codes = list(LANGUAGES)
    shares = [LANGUAGES[c][0] for c in codes]
    config = load_config(PROJECT / "config" / "sources.toml")
    by_country: dict[str, list[str]] = {}
    for source in config.sources:
        by_country.setdefault(source.country, []).append(source.id)
    with Catalogue(db) as catalogue:
        catalogue.sync_sources(config)
        runs: dict[str, int] = {}
        for start in range(0, total, BATCH):
            batches: dict[str, tuple[list[Record], list[RawRecord]]] = {}
            for n in range(start, min(start + BATCH, total)):
                code = rng.choices(codes, shares)[0]
                text, country = texts[code], LANGUAGES[code][4]
                source_id = by_country[country][n % len(by_country[country])]
                identifier = f"oai:bench:{n}"
                record = Record(
                    source_id, identifier, "2024-01-01T00:00:00Z",
                    title=text.sentence(TITLE_WORDS), description=text.sentence(
                        DESCRIPTION_WORDS), language=code.split("-")[0], country=country,
                    subjects=[text.sentence(2) for _ in range(SUBJECTS)],
                    creators=[f"{w.capitalize()}, {v[0].upper()}." for w, v in zip(
                        text.words_of(2), text.words_of(2))])
                records, raws = batches.setdefault(source_id, ([], []))
                records.append(record)
                raws.append(RawRecord(source_id, identifier, record.datestamp, False,
                                      "oai_dc", None))
            for source_id, (records, raws) in batches.items():
                if source_id not in runs:
                    runs[source_id] = catalogue.start_run(source_id, "full", None)
                catalogue.store_batch(RunProgress(runs[source_id], source_id, 0, 0), Batch(raws, None, normalised=records))
        for source_id, run in runs.items():
            catalogue.finish_run(run, source_id, "ok")


def table_bytes(db: Path, prefix: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name LIKE ?",
                                (prefix + "%",)).fetchone()[0])
    except sqlite3.OperationalError:  # no dbstat in this SQLite
        return 0
    finally:
        conn.close()


def timed(catalogue: Catalogue) -> tuple[float, tuple[int, int]]:
    """Wall time of one run of the step (its CPU time is printed beside: other work on the
    machine shows as the difference)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = update_search(catalogue)
    seconds = time.perf_counter() - started
    print(f"  ({time.process_time() - cpu:.2f} s of CPU)", end=" ")
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="keep the catalogue here (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        db = args.db or Path(scratch) / "search.db"
        if db.exists():
            db.unlink()
        started = time.perf_counter()
        build(db, args.records)
        print(f"built {args.records:,} records in {time.perf_counter() - started:.1f} s",
              flush=True)
        with Catalogue(db) as catalogue:
            seconds, (folded, _) = timed(catalogue)
            print(f"first indexing: {folded:,} records in {seconds:.1f} s "
                  f"({folded / seconds:,.0f} records/s)")
            seconds, (folded, _) = timed(catalogue)
            print(f"nothing changed: {folded:,} records in {seconds:.2f} s")
            conn = catalogue.conn
            changed = max(1, args.records // 100)
            ids = [row[0] for row in conn.execute(
                "SELECT id FROM records ORDER BY random() LIMIT ?", (changed,))]
            conn.execute("BEGIN")
            conn.executemany("UPDATE records SET title = title || ' Учебник' WHERE id = ?",
                             [(i,) for i in ids])
            conn.execute("COMMIT")
            seconds, (folded, _) = timed(catalogue)
            print(f"1% changed: {folded:,} records in {seconds:.2f} s")
            catalogue.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            search_bytes, fts_bytes = table_bytes(db, "records_search"), table_bytes(
                db, "records_fts")
            print(f"records_search: {search_bytes / 1e6:,.0f} MB (records_fts: "
                  f"{fts_bytes / 1e6:,.0f} MB; catalogue {db.stat().st_size / 1e6:,.0f} MB)")
            for query in ("uchebnik", "учебник", "oʻzbek", "o'zbek"):
                started = time.perf_counter()
                match = query_match(query)  # word forms, prefix (oerhub search)
                found = search_index.search_records(catalogue, match, 20)
                total = conn.execute(
                    "SELECT COUNT(*) FROM resources WHERE id IN (SELECT rowid FROM "
                    "records_search WHERE records_search MATCH ?)", (match,)
                ).fetchone()[0]
                print(f"search {query!r}: {total:,} found, best 20 and the count in "
                      f"{(time.perf_counter() - started) * 1000:.0f} ms ({len(found)} rows)")


if __name__ == "__main__":
    main()
