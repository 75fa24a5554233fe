"""dc:type / LOM learningResourceType spellings → one controlled resource type.

Repositories describe type with DCMI Type words and URIs, info:eu-repo/semantics terms,
COAR URIs, and free words in a dozen languages ("Учебное пособие для студентов вузов").
The spellings live in data/vocab/resource_types.toml; the rules here are: URIs and
vocabulary tokens are looked up whole, free text is searched for the phrase that starts
earliest (the head noun: "Методические указания к лабораторным работам" is a guide),
and across several values the term that comes first in RESOURCE_TYPES wins.

Any other URI (bibo's http://purl.org/ontology/bibo/AcademicArticle, schema.org's
ScholarlyArticle) counts by its last segment, looked up as a token only. A DOI is an
identifier someone wrote in the wrong field: it says nothing about the type. A value
listing several ("Text; JournalArticle", DataCite's general and specific type) is read part
by part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from oerhub.normalize import vocab
from oerhub.normalize.text import PhraseMatcher, clean_text, fold_words, phrase_pattern

_VOCAB = "resource_types"

# The controlled vocabulary in priority order: most specific / most educational first.
# Each term is documented in data/vocab/resource_types.toml [terms].
RESOURCE_TYPES: tuple[str, ...] = (
    "textbook", "course", "lecture", "guide", "exercise", "assessment", "lesson",
    "presentation", "video", "audio", "image", "interactive", "software", "dataset",
    "thesis", "article", "conference_paper", "book_part", "book", "report", "preprint",
    "review", "periodical", "learning_object", "collection",
)
_PRIORITY = {term: rank for rank, term in enumerate(RESOURCE_TYPES)}
_UNMAPPED = "unmapped"

_COAR_RE = re.compile(r"(?:https?://)?purl\.org/coar/resource_type/([\w-]+)/?", re.IGNORECASE)
_URI_RE = re.compile(
    r"(?:info:eu-repo/semantics/|(?:https?://)?purl\.org/dc/dcmitype/|dcmitype:)(\w+)/?",
    re.IGNORECASE,
)
_DOI_RE = re.compile(r"(?:doi:\s*|(?:https?://)?(?:dx\.)?doi\.org/)?10\.\d{4,9}/\S+",
                     re.IGNORECASE)
# Other URIs and CURIEs ("bibo:AcademicArticle"): the last path or fragment segment.
_OTHER_URI_RE = re.compile(r"(?:[a-z][\w+.-]*://\S*[/#]|(?:bibo|schema|fabio|dcterms):)(\w+)/?",
                           re.IGNORECASE)
_PARTS_RE = re.compile(r"\s*;\s*")


@dataclass(frozen=True)
class _Rules:
    tokens: dict[str, str | None]
    coar: dict[str, str]
    phrases: PhraseMatcher[str]


def _check_terms(where: str, keys: Iterable[str], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    for key in keys:
        if key not in allowed:
            raise vocab.fail(_VOCAB, f"{where}.{key}", "not a term of RESOURCE_TYPES")


@cache
def _rules() -> _Rules:
    """Read resource_types.toml once, check it against RESOURCE_TYPES, compile the phrases."""
    terms = tuple(vocab.section(_VOCAB, "terms"))
    if terms != RESOURCE_TYPES:
        raise vocab.fail(_VOCAB, "terms", "must list exactly RESOURCE_TYPES, in the same order "
                         f"(expected {', '.join(RESOURCE_TYPES)})")
    phrases = vocab.section(_VOCAB, "phrases")
    _check_terms("phrases", phrases, RESOURCE_TYPES)
    owner: dict[str, str] = {}
    for term, spellings in phrases.items():
        for spelling in vocab.string_list(_VOCAB, f"phrases.{term}", spellings):
            pattern = phrase_pattern(spelling)
            if not pattern:
                continue
            if owner.setdefault(pattern, term) != term:
                raise vocab.fail(_VOCAB, f"phrases.{term}",
                                 f"{spelling!r} is also listed under {owner[pattern]!r}")

    token_table = vocab.section(_VOCAB, "tokens")
    _check_terms("tokens", token_table, (*RESOURCE_TYPES, _UNMAPPED))
    tokens: dict[str, str | None] = {}
    for term, words in token_table.items():
        for word in vocab.string_list(_VOCAB, f"tokens.{term}", words):
            tokens[fold_words(word).replace(" ", "")] = None if term == _UNMAPPED else term
    coar: dict[str, str] = {}
    for code, term in vocab.section(_VOCAB, "coar").items():
        term = vocab.string_value(_VOCAB, f"coar.{code}", term)
        _check_terms("coar", [term], RESOURCE_TYPES)
        coar[code.lower()] = term
    return _Rules(tokens=tokens, coar=coar, phrases=PhraseMatcher(owner))


def normalize_resource_type(value: str | None) -> str | None:
    """The controlled term for one type value, or None when it says nothing we can use."""
    text = clean_text(value)
    if not text:
        return None
    if ";" in text:
        return _pick(_one_type(part) for part in _PARTS_RE.split(text) if part)
    return _one_type(text)


def _one_type(text: str) -> str | None:
    rules = _rules()
    coar = _COAR_RE.fullmatch(text)
    if coar:
        return rules.coar.get(coar.group(1).lower())
    uri = _URI_RE.fullmatch(text)
    if uri:
        return rules.tokens.get(uri.group(1).casefold())
    if _DOI_RE.fullmatch(text):
        return None
    uri = _OTHER_URI_RE.fullmatch(text)
    if uri:
        return rules.tokens.get(uri.group(1).casefold())
    folded = fold_words(text)
    token = folded.replace(" ", "")
    if token in rules.tokens:
        return rules.tokens[token]
    return rules.phrases.first(folded)


def pick_resource_type(values: Iterable[str | None]) -> str | None:
    """The highest-priority term (earliest in RESOURCE_TYPES) among several type values."""
    return _pick(map(normalize_resource_type, values))


def _pick(terms: Iterable[str | None]) -> str | None:
    found = [term for term in terms if term]
    return min(found, key=_PRIORITY.__getitem__) if found else None
