"""pymorphy3 against the analysers search uses for Russian and Ukrainian (issue 14).

On the query table of tests/word_form_table.py (its records indexed through the real search
step, its ru and uk queries through `oerhub search`'s engine), three ways of analysing ru and
uk words, everything else as shipped:
  - ours: Snowball (PyStemmer) for ru; simplemma's lemmas and our suffix stripping for uk;
  - pymorphy3: its dictionary lemmas (every parse's normal form) instead, for both;
  - both: ours and pymorphy3's lemmas together.
Then words per second of each analyser alone (every word of the table's ru and uk titles and
queries, and each in a few more forms: no cache), the time to load each in a fresh process,
and the size installed.

    .venv/bin/pip install pymorphy3 pymorphy3-dicts-ru pymorphy3-dicts-uk   # not a dependency
    .venv/bin/python benchmarks/analysers.py
"""

from __future__ import annotations

import functools
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "tests"))

from word_form_table import DESCRIPTIONS, QUERIES, RECORDS  # noqa: E402

from oerhub.catalogue import Catalogue  # noqa: E402
from oerhub.enrich import search as spelling  # noqa: E402
from oerhub.enrich import suggestions, word_forms  # noqa: E402
from oerhub.enrich.search_query import search  # noqa: E402
from oerhub.enrich.search_step import update_search  # noqa: E402
from oerhub.models import Batch, RawRecord, Record, RunProgress  # noqa: E402
from oerhub.registry import load_config  # noqa: E402

LANGUAGES = ("ru", "uk")
ENDINGS = {"ru": ("а", "ы", "е", "ой", "ами", "ах", "ого", "ому", "ую"),
           "uk": ("а", "и", "і", "ою", "ами", "ах", "ого", "ому", "ій")}


def morph(language: str):  # type: ignore[no-untyped-def]
    import pymorphy3
    return pymorphy3.MorphAnalyzer(lang=language)


def pymorphy_keys(analysers: dict[str, object]) -> Callable[[str, str], frozenset[str]]:
    def lemmas(word: str, language: str) -> frozenset[str]:
        parses = analysers[language].parse(word)  # type: ignore[attr-defined]
        return frozenset(p.normal_form for p in parses if p.normal_form != word)
    return lemmas


def measure(mode: str, directory: Path) -> dict[str, tuple[float, float, int, list[str]]]:
    """Recall, precision, queries and what went wrong per language, with ru and uk analysed
    the `mode` way."""
    original = word_forms.keys.__wrapped__  # type: ignore[attr-defined]
    analysers = {code: morph(code) for code in LANGUAGES} if mode != "ours" else {}
    lemmas = pymorphy_keys(analysers) if analysers else None

    def keys(word: str, language: str) -> frozenset[str]:
        if language not in LANGUAGES or lemmas is None:
            return original(word, language)  # type: ignore[no-any-return]
        found = lemmas(word, language)
        if mode == "both":
            found |= original(word, language)
        return frozenset(k for k in found if len(k) > 1 and k != word)

    cached = functools.lru_cache(maxsize=None)(keys)
    saved = word_forms.keys
    word_forms.keys = cached  # type: ignore[assignment]
    suggestions._forms.cache_clear()
    suggestions.text_keys.cache_clear()
    spelling._sorted_forms.cache_clear()
    try:
        db = directory / f"{mode}.db"
        config = load_config(PROJECT / "config" / "sources.toml")
        source = next(s for s in config.sources if s.country == "RU")
        with Catalogue(db) as catalogue:
            catalogue.sync_sources(config)
            run = catalogue.start_run(source.id, "full", None)
            records = [Record(source.id, f"oai:forms:{key}", "2024-01-01T00:00:00Z",
                              title=title, language=language, country="RU",
                              description=DESCRIPTIONS.get(key))
                       for key, (language, title) in RECORDS.items()]
            raws = [RawRecord(source.id, r.identifier, r.datestamp, False, "oai_dc", None)
                    for r in records]
            catalogue.store_batch(RunProgress(run, source.id, 0, 0),
                                  Batch(raws, None, normalised=records))
            catalogue.finish_run(run, source.id, "ok")
            update_search(catalogue)
            return score(catalogue)
    finally:
        word_forms.keys = saved  # type: ignore[assignment]
        suggestions._forms.cache_clear()
        suggestions.text_keys.cache_clear()


def score(catalogue: Catalogue) -> dict[str, tuple[float, float, int, list[str]]]:
    totals: dict[str, list[int]] = {}
    wrong: dict[str, list[str]] = {}
    for language, words, expected, forbidden in QUERIES:
        if language not in LANGUAGES:
            continue
        found = {row["identifier"].rsplit(":", 1)[1] for row in search(catalogue, words, 200)}
        counts = totals.setdefault(language, [0, 0, 0, 0])
        counts[0] += len(expected)
        counts[1] += len(found & expected)
        counts[2] += len(found & forbidden)
        counts[3] += 1
        if expected - found or found & forbidden:
            wrong.setdefault(language, []).append(
                f"{words}: missed {sorted(expected - found)}, wrongly {sorted(found & forbidden)}")
    return {language: (hit / total, hit / (hit + false) if hit + false else 1.0, queries,
                       wrong.get(language, []))
            for language, (total, hit, false, queries) in totals.items()}


def words_of(language: str) -> list[str]:
    """The table's words of `language` (titles and queries), each also in a few more forms."""
    found: dict[str, None] = {}
    texts = [title for code, title in RECORDS.values() if code == language]
    texts += [words for code, words, *_ in QUERIES if code == language]
    for text in texts:
        for word in spelling._WORD.findall(text.lower()):
            if len(word) > 2 and not word.isdigit():
                found[word] = None
                for ending in ENDINGS[language]:
                    found[word[:-1] + ending] = None
    return list(found)


def speed(analyse: Callable[[str], object], words: list[str]) -> float:
    """Words per second, each word analysed once (the analyser loaded before, on another
    word): what an index of new words costs, before any cache of ours."""
    analyse("прогревание")
    started = time.perf_counter()
    for word in words:
        analyse(word)
    return len(words) / (time.perf_counter() - started)


def load_time(code: str) -> float:
    """Seconds to import an analyser and analyse one word, in a fresh process."""
    script = ("import time; t = time.perf_counter(); " + code +
              "; print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip())


def installed_mb(*distributions: str) -> float:
    total = 0
    for name in distributions:
        for file in metadata.files(name) or ():
            path = Path(str(file.locate()))
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


def main() -> None:
    try:
        import pymorphy3  # noqa: F401
    except ImportError:
        sys.exit("pymorphy3 is not installed: .venv/bin/pip install pymorphy3 "
                 "pymorphy3-dicts-ru pymorphy3-dicts-uk (it is not a dependency)")
    import simplemma
    import Stemmer
    print("| analysis of ru and uk | ru recall | ru precision | uk recall | uk precision |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        for mode in ("ours", "pymorphy3", "both"):
            results = measure(mode, Path(scratch))
            cells = [f"{results[c][0]:.3f} | {results[c][1]:.3f}" for c in LANGUAGES]
            print(f"| {mode} | " + " | ".join(cells) + " |")
            for code in LANGUAGES:
                for line in results[code][3]:
                    print(f"    {mode} {code}: {line}")
    print(f"\n(queries: ru {results['ru'][2]}, uk {results['uk'][2]})\n")
    ru_words, uk_words = words_of("ru"), words_of("uk")
    analysers = {code: morph(code) for code in LANGUAGES}
    stem = Stemmer.Stemmer("russian", 0).stemWord  # (no cache of its own)
    rows = [
        ("Snowball ru (PyStemmer)", speed(stem, ru_words),
         load_time("import Stemmer; Stemmer.Stemmer('russian').stemWord('физике')"),
         installed_mb("PyStemmer")),
        ("pymorphy3 ru", speed(lambda w: analysers["ru"].parse(w), ru_words),
         load_time("import pymorphy3; pymorphy3.MorphAnalyzer(lang='ru').parse('физике')"),
         installed_mb("pymorphy3", "pymorphy3-dicts-ru", "DAWG2-Python")),
        ("simplemma uk", speed(lambda w: simplemma.lemmatize(w, lang="uk"), uk_words),
         load_time("import simplemma; simplemma.lemmatize('фізики', lang='uk')"),
         installed_mb("simplemma")),
        ("our suffix stripping uk", speed(lambda w: word_forms.strip_suffixes(w, "uk"),
                                          uk_words), 0.0, 0.0),
        ("pymorphy3 uk", speed(lambda w: analysers["uk"].parse(w), uk_words),
         load_time("import pymorphy3; pymorphy3.MorphAnalyzer(lang='uk').parse('фізики')"),
         installed_mb("pymorphy3", "pymorphy3-dicts-uk", "DAWG2-Python")),
    ]
    print(f"| analyser | words/s ({len(ru_words)} ru, {len(uk_words)} uk forms, each once) | "
          "load in a fresh process | installed |")
    print("|---|---:|---:|---:|")
    for name, per_second, loaded, size in rows:
        print(f"| {name} | {per_second:,.0f} | {loaded:.2f} s | {size:.1f} MB |")
    print("(simplemma installed: all its languages' dictionaries, 50+; pymorphy3: with "
          "the one dictionary)")


if __name__ == "__main__":
    main()
