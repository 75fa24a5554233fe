"""Search at a million records (issue 14): the engine's search, the as-you-type suggestions
through the real HTTP route, the index's size per record and the first indexing's speed.

Two catalogues, both built through the real store and kept in --dir:
  - publishing.py's (`catalogue_of`, shared with publishing and survey): --records records
    of the sample titles in the 16 languages. Its titles repeat (2,000 distinct, a small
    vocabulary), so every word is in tens of thousands of records: the worst case for ranked
    search, and a light one for suggestions;
  - a varied one (search_scripts.py's made-up words drawn from Zipf vocabularies of 12
    languages and scripts, ~250,000 words): --varied records, every title distinct, for
    suggestions over as many distinct titles and for the first indexing's speed (from
    scratch: the step's analysis meets as many new words as a real catalogue gives it).

Timed: the first indexing (the search step from scratch, with the worker processes `oerhub
harvest` gives it) on both; and, each with a baseline in the same run:
  - search: `oerhub search`'s engine (search_query.search, best 20) over >= 200 queries
    (whole words, inflected forms, 3-letter prefixes, Latin for Cyrillic); baseline: the
    Resources page's search before issue 14 (records_fts, the words as typed, 20 rows);
  - suggestions: GET /-/suggest?q= on `oerhub serve`'s site (uvicorn on 127.0.0.1, one
    keep-alive connection) over >= 200 prefixes of 1 to 6 letters; baseline: a plain FTS5
    prefix query over the titles and subjects in records_search, best bm25 first, LIMIT 8.

    .venv/bin/python benchmarks/search_scale.py                       # 1,000,000 and 200,000
    .venv/bin/python benchmarks/search_scale.py --records 100000 --varied 50000
Goals: search p95 < 100 ms, suggestions p95 < 50 ms (at a million records).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import random
import sqlite3
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import search_scripts  # noqa: E402
from common import PROJECT, Goal, Result  # noqa: E402
from publishing import catalogue_of  # noqa: E402

from oerhub.catalogue import SCHEMA, SCHEMA_VERSION, Catalogue  # noqa: E402
from oerhub.demo.samples import TITLES  # noqa: E402
from oerhub.enrich.search import _WORD, romanise  # noqa: E402
from oerhub.enrich.search_query import search, warm_up  # noqa: E402
from oerhub.enrich.search_step import update_search  # noqa: E402
from oerhub.workers import worker_count, worker_pool  # noqa: E402

# Forms of the sample titles' words other than those the titles hold (the titles say
# "по химии", "Химия оқулығы" …): what a teacher types.
INFLECTED = [
    "химия", "химию", "химией", "физика", "физику", "физикой", "история", "историю",
    "математика", "математики", "учебное пособие", "пособия", "пособиям", "россия",
    "высшая математика", "хімія", "фізика", "історія", "україна", "посібники", "навчальні",
    "хімія", "фізіка", "гісторыя", "беларусь", "дапаможнікі", "оқулық", "оқулықтар",
    "тарих", "қазақстан", "өсімдік", "keemiat", "füüsikat", "ajaloo", "õpikud", "matemaatikat",
    "ķīmijas", "fizikas", "vēstures", "grāmatas", "latvija", "chemija", "fizika", "istorija",
    "vadovėliai", "lietuva", "ქიმია", "ფიზიკა", "ისტორია", "საქართველო", "քիմիա", "ֆիզիկա",
    "պատմություն", "kimyası", "dərslik", "tarix", "azərbaycan", "kimyo", "darslik",
    "darsliklar", "oʻzbek", "o'zbekiston", "китеп", "кыргызстан", "тарых", "китоб", "таърих",
    "тоҷик", "kitap", "taryh", "türkmenistan", "himiýa", "chimia", "fizica", "istoria",
    "manuale", "moldova", "chemical", "physical", "educational", "introductions",
]


def catalogue_words() -> list[str]:
    """The words of publishing.py's titles (the sample titles), each once."""
    words: dict[str, None] = {}
    for pattern, subjects in TITLES.values():
        for text in (pattern.replace("{}", ""), *subjects):
            for word in _WORD.findall(text):
                if len(word) > 2:
                    words[word.lower()] = None
    words["часть"] = None
    return list(words)


def latin(word: str) -> str | None:
    """One Latin spelling a reader may type for a Cyrillic word (the first by name)."""
    if not any("\u0400" <= ch <= "\u04ff" for ch in word):
        return None
    spellings = sorted(romanise(word))
    return spellings[0] if spellings else None


def search_queries(words: list[str], rng: random.Random) -> list[str]:
    """Whole words, inflected forms, 3-letter prefixes, Latin for Cyrillic."""
    queries = list(words) + INFLECTED + sorted({word[:3] for word in words})
    queries += [spelled for word in words if (spelled := latin(word))]
    queries += [f"{a} {b}" for a, b in zip(rng.sample(words, 20), rng.sample(words, 20))]
    return list(dict.fromkeys(queries))


def prefixes(words: list[str], rng: random.Random, count: int) -> list[str]:
    """`count` prefixes of 1 to 6 letters of the words and their Latin spellings, as many of
    each length."""
    pool = list(words) + [spelled for word in words if (spelled := latin(word))]
    by_length: dict[int, set[str]] = {}
    for word in pool:
        for size in range(1, 7):
            if len(word) >= size:
                by_length.setdefault(size, set()).add(word[:size])
    chosen: list[str] = []
    while len(chosen) < count:
        for size in range(1, 7):
            left = sorted(by_length.get(size, set()) - set(chosen))
            if left:
                chosen.append(rng.choice(left))
    return chosen[:count]


def percentiles(times: list[float]) -> tuple[float, float, float]:
    """(median, p95, max) in ms."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return (statistics.median(ordered) * 1000, p95 * 1000, ordered[-1] * 1000)


def timings(action: Callable[[str], object], items: Iterable[str]) -> list[float]:
    found = []
    for item in items:
        started = time.perf_counter()
        action(item)
        found.append(time.perf_counter() - started)
    return found


def fts_words(query: str) -> str:
    return " ".join('"' + word.replace('"', '""') + '"' for word in query.split())


def time_search(result: Result, db: Path, queries: list[str]) -> float:
    with Catalogue(db) as catalogue:
        warm_up()
        search(catalogue, "физика")  # the page cache warm for both
        conn = catalogue.conn
        engine = timings(lambda q: search(catalogue, q, 20), queries)
        baseline = timings(lambda q: conn.execute(
            "SELECT id, title FROM resources WHERE id IN (SELECT rowid FROM records_fts "
            "WHERE records_fts MATCH ?) ORDER BY id LIMIT 20", (fts_words(q),)).fetchall(),
            queries)
        slowest = sorted(zip(engine, queries), reverse=True)[:5]
    result.say(f"| search: `oerhub search`'s engine, best 20 ({len(queries)} queries) | "
               "%.1f | %.1f | %.1f |" % percentiles(engine))
    result.say("| baseline: Resources page search before issue 14 (words as typed) | "
               "%.1f | %.1f | %.1f |" % percentiles(baseline))
    result.say("slowest searches: " + ", ".join(f"{q!r} {t * 1000:.0f} ms" for t, q in slowest))
    return percentiles(engine)[1]


class Served:
    """`oerhub serve`'s site on 127.0.0.1 (uvicorn in a thread), asked over one keep-alive
    HTTP connection."""

    def __init__(self, db: Path) -> None:
        import socket

        import uvicorn

        from oerhub.publish.serve import load_site, make_datasette
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        app = make_datasette(db, load_site(PROJECT / "config" / "metadata.yaml")).app()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def get(self, path: str) -> dict[str, object]:
        self.conn.request("GET", path)
        answer = self.conn.getresponse()
        body = answer.read()
        assert answer.status == 200, (path, answer.status, body[:300])
        return json.loads(body)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.conn.close()
        self.server.should_exit = True
        self.thread.join(10)


def time_suggestions(result: Result, db: Path, label: str, asked: list[str],
                     baseline_sample: int) -> float:
    served = Served(db)
    try:
        for warm in ("физ", "fiz", "ფიზ", "ֆիզ"):  # the analysers' dictionaries loaded
            served.get("/-/suggest?q=" + quote(warm))
        answers: list[int] = []
        engine = timings(lambda q: answers.append(len(served.get(  # type: ignore[arg-type]
            "/-/suggest?q=" + quote(q))["suggestions"])), asked)
    finally:
        served.close()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        plain = timings(lambda q: conn.execute(
            "SELECT r.id, r.title FROM records_search AS s JOIN records AS r ON r.id = s.rowid "
            "WHERE records_search MATCH ? AND r.deleted = 0 ORDER BY s.rank LIMIT 8",
            ("{title subjects}: " + '"' + q.replace('"', '""') + '"*',)).fetchall(),
            asked[:baseline_sample])
    finally:
        conn.close()
    short = [t for t, q in zip(engine, asked) if len(q) <= 2]
    empty = sum(1 for n in answers if n == 0)
    result.say(f"| suggestions, {label}: GET /-/suggest over HTTP ({len(asked)} prefixes of "
               "1-6 letters) | %.1f | %.1f | %.1f |" % percentiles(engine))
    result.say("| of which 1-2 letters | %.1f | %.1f | %.1f |" % percentiles(short))
    result.say(f"| baseline: FTS5 prefix query over titles and subjects, LIMIT 8 (first "
               f"{len(plain)} prefixes, no HTTP) | %.1f | %.1f | %.1f |" % percentiles(plain))
    result.say(f"{label}: {len(asked) - empty} of {len(asked)} prefixes had suggestions, "
               f"{statistics.mean(answers):.1f} on average")
    return percentiles(engine)[1]


def index_bytes(db: Path) -> tuple[int, int, int]:
    """(records_search and its bookkeeping, the suggestion tables, live records), by dbstat."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        sizes = dict(conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
        live = conn.execute("SELECT COUNT(*) FROM records WHERE deleted = 0").fetchone()[0]
    finally:
        conn.close()
    search_bytes = sum(v for k, v in sizes.items() if k.startswith("records_search"))
    suggestion_bytes = sum(v for k, v in sizes.items() if "suggestion" in k)
    return search_bytes, suggestion_bytes, live


def varied_catalogue(records: int, directory: str) -> Path:
    """search_scripts.py's catalogue of made-up words (descriptions of 20 words: the
    suggestions and the titles' analysis are what is timed), stored once per schema."""
    schema = hashlib.sha1(SCHEMA.encode()).hexdigest()[:8]
    db = Path(directory) / f"varied-{records}-schema{SCHEMA_VERSION}-{schema}.db"
    if not db.exists():
        partial = db.with_suffix(".partial")
        for leftover in Path(directory).glob(partial.name + "*"):
            leftover.unlink()
        search_scripts.DESCRIPTION_WORDS = 20
        started = time.monotonic()
        search_scripts.build(partial, records)
        print(f"varied catalogue: {records:,} records stored in "
              f"{time.monotonic() - started:.0f} s", flush=True)
        partial.rename(db)
    return db


def first_indexing(result: Result, db: Path, label: str) -> float:
    """The search step from scratch (its folding forgotten: everything analysed and indexed,
    suggestions too), with the worker processes `oerhub harvest` gives it."""
    with Catalogue(db) as catalogue:
        with catalogue.transaction():
            catalogue.conn.execute("DELETE FROM records_search_folding")
        started = time.monotonic()
        with worker_pool(worker_count(None)) as processes:
            folded, _ = update_search(catalogue, processes)
        took = time.monotonic() - started
        catalogue.optimize()
        catalogue.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    result.say(f"first indexing, {label}: {folded:,} records in {took:,.1f} s "
               f"({folded / took:,.0f} records/s, {worker_count(None)} worker process(es))")
    return folded / took


def words_of_varied(db: Path, rng: random.Random, count: int) -> list[str]:
    """Title words of the varied catalogue as readers meet them: drawn from random titles."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        top = conn.execute("SELECT MAX(id) FROM records").fetchone()[0]
        words: dict[str, None] = {}
        while len(words) < count:
            row = conn.execute("SELECT title FROM records WHERE id = ?",
                               (rng.randint(1, top),)).fetchone()
            if row and row[0]:
                for word in _WORD.findall(row[0])[:3]:
                    words[word.lower()] = None
    finally:
        conn.close()
    return list(words)[:count]


def run(records: int = 1_000_000, directory: str = "/tmp/oerhub-bench", varied: int = 200_000,
        reindex: bool = True) -> Result:
    result = Result("search_scale", f"Search at scale: {records:,} records")
    rng = random.Random(14)
    db = catalogue_of(records, directory)
    if reindex:  # (and the catalogue's index made with the analysis of this tree)
        first_indexing(result, db, f"publishing.py's catalogue of {records:,} records")
    words = catalogue_words()
    queries = search_queries(words, rng)
    asked = prefixes(words, rng, 240)
    search_bytes, suggestion_bytes, live = index_bytes(db)
    result.say(f"catalogue (publishing.py's): {live:,} live records, "
               f"{db.stat().st_size / 1e6:,.0f} MB")
    result.say(f"index per live record: records_search {search_bytes / live:,.0f} B, "
               f"suggestions {suggestion_bytes / live:,.0f} B "
               f"({(search_bytes + suggestion_bytes) / 1e6:,.0f} MB in all)")
    result.say("| what | median ms | p95 ms | max ms |")
    result.say("|---|---:|---:|---:|")
    search_p95 = time_search(result, db, queries)
    suggest_p95 = time_suggestions(result, db, f"{records:,} records", asked, 60)
    result.goals += [
        Goal("search p95 (engine, best 20)", search_p95, 100, " ms", at_least=False),
        Goal(f"suggestions p95 ({records:,} records)", suggest_p95, 50, " ms",
             at_least=False),
    ]
    if varied:
        vdb = varied_catalogue(varied, directory)
        if reindex or not _indexed(vdb):
            first_indexing(result, vdb, f"varied catalogue of {varied:,} records")
        vwords = words_of_varied(vdb, rng, 400)
        result.say("| what | median ms | p95 ms | max ms |")
        result.say("|---|---:|---:|---:|")
        v_p95 = time_suggestions(result, vdb, f"varied, {varied:,} distinct titles",
                                 prefixes(vwords, rng, 240), 60)
        v_search, v_suggest, v_live = index_bytes(vdb)
        result.say(f"varied catalogue, index per live record: records_search "
                   f"{v_search / v_live:,.0f} B, suggestions {v_suggest / v_live:,.0f} B")
        result.goals.append(Goal(f"suggestions p95 (varied, {varied:,} titles)", v_p95, 50,
                                 " ms", at_least=False))
    return result


def _indexed(db: Path) -> bool:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return bool(conn.execute("SELECT COUNT(*) FROM records_search_state").fetchone()[0])
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--varied", type=int, default=200_000,
                        help="records of the varied catalogue (0: none)")
    parser.add_argument("--dir", default="/tmp/oerhub-bench")
    parser.add_argument("--no-reindex", action="store_true",
                        help="do not time the first indexing (the search step from scratch)")
    args = parser.parse_args()
    for goal in run(args.records, args.dir, args.varied, not args.no_reindex).goals:
        print(goal.describe())


if __name__ == "__main__":
    main()
