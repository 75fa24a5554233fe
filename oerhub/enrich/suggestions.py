"""As-you-type suggestions: the titles and subjects a typed prefix starts a word of.

`физ` suggests the subject «Физика» and «Задачи по физике»; `fiz` them too (their other
spelling); `физике` them (its stem, `физик`). The search step keeps the `suggestions` tables
(suggest_index.py); the site answers `/-/suggest` from them (oerhub/publish/suggest.py).

Why a table of its own rather than records_search: an FTS5 prefix query over a million
titles reads every matching row before it can rank them (`ф*` is most of the Russian ones).
Here each key row carries a rank, so a prefix is answered either from its key range (short
when the prefix is rare) or by walking the keys of its first letter in rank order until
enough match (quick when the prefix is common): both read a bounded number of rows
(suggest_index.lookup).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from oerhub.enrich.search import (
    _WORD,
    COUNTRY_LATIN,
    REVERSE_LANGUAGES,
    _plain,
    word_forms,
)
from oerhub.enrich.word_forms import query_languages, record_languages, script_of, word_keys

KINDS = ("subject", "title")  # subjects before titles when equally good
MAX_WORDS = 16      # the keys of a text's first words only
MAX_TEXT = 300      # longer subjects are no suggestion
_APOSTROPHES = re.compile("['ʻʼʽ‘’`´ʹ]")
# Ranks: tier (own word 0, a form of it 1, another spelling 2), then the text's first word
# before the others, then subject before title, then the shorter text.
TIERS = {"own": 0, "form": 1, "other": 2}
OTHER_FROM = 2 << 10  # the first rank of another spelling (the initial index stops below it)


def folded(word: str) -> str:
    """A word as keys and prefixes are compared: lower case, Latin letters without their
    diacritics, ё as е, no apostrophes (o'zbek, oʻzbek and ozbek are one)."""
    return _APOSTROPHES.sub("", _plain(word.lower()).replace("ё", "е"))


def digest(kind: str, text: str) -> int:
    """A suggestion's 64-bit digest (signed, as SQLite keeps integers)."""
    value = hashlib.blake2b(f"{kind}\0{text}".encode("utf-8", "replace"),
                            digest_size=8).digest()
    return int.from_bytes(value, "big", signed=True)


def rank(tier: str, first: bool, kind: str, text: str) -> int:
    """The rank of one key of a text (lower first)."""
    return (((TIERS[tier] * 2 + (0 if first else 1)) * 2 + KINDS.index(kind)) << 8) + min(
        len(text), 255)


@lru_cache(maxsize=1 << 16)
def text_keys(kind: str, text: str, language: str | None, country: str | None
              ) -> tuple[tuple[str, int], ...]:
    """(key, rank) of a title or subject: each word folded, its forms that it does not start
    with, its other spellings; each key once, with its best rank. (Cached: a subject comes
    back with every record that has it.)"""
    latin_as = REVERSE_LANGUAGES.get(language or "") or (
        COUNTRY_LATIN.get(country or "") if not language else None)
    found: dict[str, int] = {}

    def add(key: str, tier: str, first: bool) -> None:
        if len(key) > 1 and not key.isdigit():
            value = rank(tier, first, kind, text)
            if value < found.get(key, 1 << 30):
                found[key] = value

    for position, word in enumerate(_WORD.findall(text)[:MAX_WORDS]):
        if len(word) < 2 or word.isdigit():
            continue
        own = folded(word)
        first = position == 0
        add(own, "own", first)
        for key in _forms(word, language, country):
            if not own.startswith(key):
                add(key, "form", first)
        for key in _spellings(word, language, latin_as):
            if not own.startswith(key):
                add(key, "other", first)
    return tuple(sorted(found.items()))


@lru_cache(maxsize=1 << 16)
def _forms(word: str, language: str | None, country: str | None) -> tuple[str, ...]:
    languages = record_languages(script_of(word), language, country)
    return tuple(sorted({folded(key) for key in word_keys(word, languages)}))


@lru_cache(maxsize=1 << 16)
def _spellings(word: str, language: str | None, latin_as: str | None) -> tuple[str, ...]:
    return tuple(sorted({folded(form) for form in word_forms(word, language, latin_as, False)}))


def query_prefixes(word: str) -> list[str]:
    """What the last typed word is looked up by: itself folded, and its stems and lemmas in
    the languages of its script (`физике` → физик) when it is long enough to have them."""
    own = folded(word)
    found = [own] if own else []
    if len(own) >= 4:
        for key in sorted(word_keys(word, query_languages(word))):
            key = folded(key)
            if len(key) >= 3 and key not in found and not key.startswith(own):
                found.append(key)
    return found[:4]


def matches_word(word: str, keys: set[str]) -> bool:
    """A typed word (not the last) matches a text with one of `keys` when one of its
    prefixes, or of its stems, starts the key."""
    prefixes = query_prefixes(word)
    return any(key.startswith(prefix) for key in keys for prefix in prefixes)
