"""A reader's query as an FTS5 query over records_search: each word as typed, or any of its
forms (word_forms.py: stems and lemmas in each language the word may be in, and those of its
Cyrillic spellings when typed in Latin), or — the last word, and short ones — as the start of
a word (`физ` finds `Физика`). Every word must match, in some form.

`физика` → ("физика" OR "физик" OR "физика"*): the exact word matches the text columns
(weighted most), its stem the `forms` columns; bm25 (SEARCH_RANK) puts the exact form, the
title and the query's own script first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oerhub.catalogue import Catalogue
from oerhub.enrich import search_index, suggest_index
from oerhub.enrich.search import _WORD, REVERSE_LANGUAGES, word_forms
from oerhub.enrich.suggestions import folded
from oerhub.enrich.word_forms import query_languages, script_of, word_keys

Starts = Callable[[str], "list[str] | None"]

PREFIX_BELOW = 5  # words shorter than this are also a word's start (`физ`, `mat`)
PREFIX_FROM = 3   # shorter ones only as typed: `ма*` would open half the index
OTHER_SPELLINGS = "{folded forms text_forms}"  # the columns a Cyrillic spelling may match
LATIN_READINGS = ("ru", "uk", "kk", "uz")  # a Latin query word spelled in Cyrillic as these


def quoted(text: str) -> str:
    """An FTS5 string: anything the reader typed, taken literally."""
    return '"' + text.replace('"', '""') + '"'


def cyrillic_keys(word: str, language: str | None) -> set[str]:
    """Forms of a Latin word through its Cyrillic spellings (`fizike` → физике → физик)."""
    found: set[str] = set()
    readings = LATIN_READINGS if not language else (
        (REVERSE_LANGUAGES[language],) if language in REVERSE_LANGUAGES else ())
    for reading in readings:  # (a language written in Latin only has no Cyrillic spelling)
        for form in word_forms(word.lower(), None, reading, False):
            if script_of(form) == "cyrillic":
                found.add(form)
                found |= word_keys(form, query_languages(form, language))
    return found


def word_terms(word: str, last: bool, language: str | None,
               starts: Starts | None = None) -> str:
    """One typed word: itself, its forms, and maybe its start, as FTS5 OR'ed phrases. The
    start is `"word"*`, or the words `starts` gives (the words of titles and subjects that
    start with it: FTS5 reads a prefix by merging every matching word's postings first,
    200 ms for a word of every record at a million, where a few words stop early)."""
    terms = [quoted(word)]
    tokens = _WORD.findall(word)
    if len(tokens) == 1:
        token = tokens[0].lower()
        keys = word_keys(token, query_languages(token, language))
        terms += [quoted(key) for key in sorted(keys - {token}) if len(key) > 1]
        if script_of(token) == "latin":  # only where other spellings are: own script first
            other = sorted(key for key in cyrillic_keys(token, language) - keys if len(key) > 1)
            if other:
                terms.append(OTHER_SPELLINGS + " : (" + " OR ".join(map(quoted, other)) + ")")
    if (last or len(word) < PREFIX_BELOW) and len(word) >= PREFIX_FROM:
        completions = starts(tokens[0]) if starts and len(tokens) == 1 else None
        if completions is None:
            terms.append(quoted(word) + "*")
        else:
            known = set(terms)
            terms += [term for term in map(quoted, completions) if term not in known]
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def query_match(query: str, language: str | None = None, starts: Starts | None = None) -> str:
    """The FTS5 query for what a reader typed ('' for nothing searchable); `starts`, if
    given, reads a word's start (see word_terms)."""
    words = [word for word in query.split() if _WORD.search(word)]
    return " AND ".join(word_terms(word, n == len(words) - 1, language, starts)
                        for n, word in enumerate(words))


def search(catalogue: Catalogue, query: str, limit: int = 20, country: str | None = None,
           language: str | None = None) -> list[dict[str, Any]]:
    """Live records with every word of `query` in some form and script, best first; only
    those of `country` and `language` when given (the query is then read in that language)."""
    def starts(word: str) -> list[str] | None:
        return suggest_index.completions(catalogue.conn, folded(word))

    return search_index.search_records(catalogue, query_match(query, language, starts), limit,
                                       country, language)


def warm_up() -> None:
    """Load every analyser's dictionary (a second or two), so that a site's first search
    keeps within its time limit."""
    query_match("физика fizika ֆիզիկա ფიზიკა")
