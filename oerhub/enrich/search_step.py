"""The `search` enrichment step: after each harvest and `oerhub renormalize`, each changed live
record is analysed (search.py: its other spellings; word_forms.py: the forms of its words) into
records_search (search_index.py), and its title and subjects into the as-you-type suggestions
(suggestions.py, suggest_index.py). Only records that changed are analysed again, except after
the analysis itself changes (folding_mark): then every record, once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from typing import Any

from oerhub.catalogue import Catalogue, json_strings
from oerhub.enrich import search_index, suggest_index
from oerhub.enrich.search import _WORD, fold
from oerhub.enrich.suggestions import text_keys
from oerhub.enrich.word_forms import record_forms, spelled_forms
from oerhub.workers import spread

# Bumped whenever the folding changes: the step then folds every record again.
FOLDING_VERSION = 3  # 2: word forms (oerhub/enrich/word_forms.py); 3: suggestions
BATCH = 2000



def folding_mark() -> str:
    """What the folded forms depend on: our rules and the libraries' (the index forgets a
    record given exactly what it was indexed with, so any change folds everything again)."""
    from importlib.metadata import version
    return " ".join([str(FOLDING_VERSION), *(f"{name} {version(name)}" for name in (
        "translitua", "anyascii", "PyStemmer", "simplemma"))])


def update_search(catalogue: Catalogue, processes: Executor | None = None) -> tuple[int, int]:
    """Bring `records_search` in step with the live records; (records folded, removed).
    With worker `processes`, new records are folded there.

    Only what changed since the last run is folded: new live records, and records whose
    searched text, language or country changed (a harvest's updates, `oerhub renormalize`,
    any UPDATE: triggers keep their old values, with which they are taken out of the index);
    all of them after the folding changes. Tombstones are removed.
    """
    search_index.prepare(catalogue, folding_mark())
    removed = 0
    while stale := search_index.stale(catalogue, BATCH):
        search_index.forget(catalogue, [
            (row[0], row[1], row[2], row[3], row[4],
             *(analysed(row[1], row[2], json_strings(row[3]), json_strings(row[4]), row[5],
                        row[6]) if row[7] else ("", "", ""))) for row in stale])
        suggest_index.remove(catalogue, [(row[0], row[1], json_strings(row[3]))
                                         for row in stale])
        removed += sum(1 for row in stale if not row[8])
    folded = 0
    for rows, forms in spread(processes, folded_rows, _unindexed(catalogue), BATCH // 2):
        search_index.store(catalogue, forms)
        suggest_index.add(catalogue, [(row[0], row[1], analysis[4], json_strings(row[2]),
                                       row[4], row[5]) for row, analysis in zip(rows, forms)])
        folded += len(rows)
    return folded, removed


def _unindexed(catalogue: Catalogue) -> Iterator[list[tuple[Any, ...]]]:
    after = 0
    while rows := search_index.unindexed(catalogue, after, BATCH):
        after = rows[-1][0]
        yield rows


def folded_rows(rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """(id, folded, forms, text_forms, the title's suggestion keys) of records as
    search_index.unindexed reads them. Pure: worker processes run it."""
    return [(row[0], *analysed(row[1], row[6], json_strings(row[2]), json_strings(row[3]),
                               row[4], row[5]),
             text_keys("title", row[1], row[4], row[5]) if row[1] else [])
            for row in rows]


def analysed(title: str | None, description: str | None, subjects: list[str],
             creators: list[str], language: str | None, country: str | None
             ) -> tuple[str, str, str]:
    """A record's (folded, forms, text_forms): its other spellings, and the word forms
    (stems, lemmas) of its title, subjects and creators, and of its description."""
    named = _WORD.findall(" ".join([title or "", *subjects, *creators]))
    folded = fold(title, subjects, creators, language, country)  # and its Cyrillic's forms:
    return (" ".join(filter(None, (folded, spelled_forms(folded, language, country)))),
            record_forms(dict.fromkeys(named), language, country),
            record_forms(dict.fromkeys(_WORD.findall(description or "")), language, country))


def step(catalogue: Catalogue, processes: Executor | None = None) -> str:
    started = time.monotonic()
    folded, removed = update_search(catalogue, processes)
    return (f"{folded:,} records indexed for search across scripts, {removed:,} deleted ones "
            f"removed ({time.monotonic() - started:.1f} s)")
