"""The `themes` step: which thematic gateway (config/themes.toml) each live record belongs to.

A theme is data: its names in the interface languages and its rules over the catalogue.
A record is in a theme when one of the theme's `keywords` is in its title, subjects or
description, or its ISCED level or resource type is one the theme names (`isced`,
`resource_types`), and none of the theme's `exclude` keywords is in its text. Keywords are
matched through the search's word forms (oerhub/enrich/word_forms.py): a record's words are
analysed in its language (or those of their script and its country), a keyword's words in
every language of their script, and they match when they share the word or a key, so
`учитель` finds `учителей` and `mokytojų` finds `mokytojas`. A keyword of several words
matches those words in a row; one ending in `*` matches every word starting with it.

The results are in record_themes (record_id, theme). Incremental like the other steps: only
records changed since the last run are matched again, and everything when themes.toml (or
the matching) changes: the step's mark holds a hash of both.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from oerhub.catalogue import Catalogue
from oerhub.enrich.word_forms import query_languages, record_languages, script_of, word_keys
from oerhub.errors import ConfigError
from oerhub.normalize.resource_type import RESOURCE_TYPES
from oerhub.normalize.dates import utc_now

STEP = "themes"
MATCHING_VERSION = 1  # raise when the matching below changes: everything is matched again
THEMES_FILE = Path(__file__).resolve().parents[2] / "config" / "themes.toml"
INTERFACE_LANGUAGES = ("en", "ru", "uk")  # every theme names itself in these at least
BATCH = 2000
_ID = re.compile(r"^[a-z][a-z0-9-]*$")
_WORD = re.compile(r"[^\W_]+(?:['’ʼʻ][^\W_]+)*")
_ISCED = re.compile(r"^ISCED [0-8]$")


@dataclass(frozen=True)
class Theme:
    """One theme of config/themes.toml: its id, names and rules."""

    id: str
    names: dict[str, str]
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    isced: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    descriptions: dict[str, str] = field(default_factory=dict)

    def name(self, language: str = "en") -> str:
        return self.names.get(language) or self.names["en"]

    def description(self, language: str = "en") -> str:
        """What the theme covers, for its landing page (empty when the file gives none)."""
        return self.descriptions.get(language) or self.descriptions.get("en", "")


@dataclass(frozen=True)
class Themes:
    """Every theme in file order, and a mark of the file's content and the matching."""

    themes: tuple[Theme, ...]
    mark: str

    def get(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise ConfigError(f"no theme {theme_id!r}; themes: "
                          f"{', '.join(t.id for t in self.themes)}", field="--theme")


def _fail(path: Path, key: str, message: str) -> ConfigError:
    return ConfigError(f"{path}: {key}: {message}", path=str(path), field=key)


def _strings(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(path, key, "must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def load_themes(path: Path | None = None) -> Themes:
    """Read and check themes.toml; a mistake names the file and the key."""
    path = path or THEMES_FILE
    try:
        content = path.read_bytes()
        data = tomllib.loads(content.decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}", path=str(path)) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", path=str(path)) from exc
    table = data.get("themes")
    if not isinstance(table, dict) or not table:
        raise _fail(path, "themes", "must be a table of themes ([themes.ID])")
    unknown_top = set(data) - {"themes"}
    if unknown_top:
        raise _fail(path, sorted(unknown_top)[0], "unknown key")
    themes = [_theme(path, theme_id, body) for theme_id, body in table.items()]
    digest = hashlib.sha256(content + f"|{MATCHING_VERSION}".encode()).hexdigest()[:16]
    return Themes(tuple(themes), digest)


def _theme(path: Path, theme_id: str, body: Any) -> Theme:
    where = f"themes.{theme_id}"
    if not _ID.match(theme_id):
        raise _fail(path, where, "a theme id is lower-case letters, digits and hyphens")
    if not isinstance(body, dict):
        raise _fail(path, where, "must be a table")
    unknown = set(body) - {"names", "description", "keywords", "exclude", "isced",
                           "resource_types"}
    if unknown:
        raise _fail(path, f"{where}.{sorted(unknown)[0]}", "unknown key")
    names = body.get("names")
    if not isinstance(names, dict) or not all(isinstance(v, str) and v.strip()
                                              for v in names.values()):
        raise _fail(path, f"{where}.names", "must be a table of language = name")
    for language in INTERFACE_LANGUAGES:
        if language not in names:
            raise _fail(path, f"{where}.names.{language}", "missing: every theme is named in "
                        f"{', '.join(INTERFACE_LANGUAGES)}")
    descriptions = body.get("description", {})
    if not isinstance(descriptions, dict) or not all(
            isinstance(v, str) and v.strip() for v in descriptions.values()):
        raise _fail(path, f"{where}.description", "must be a table of language = text")
    if descriptions and "en" not in descriptions:
        raise _fail(path, f"{where}.description.en", "missing: a description is in en at least")
    keywords = _strings(path, f"{where}.keywords", body.get("keywords", []))
    exclude = _strings(path, f"{where}.exclude", body.get("exclude", []))
    isced = _strings(path, f"{where}.isced", body.get("isced", []))
    for level in isced:
        if not _ISCED.match(level):
            raise _fail(path, f"{where}.isced", f"{level!r} is not an ISCED level "
                        "(\"ISCED 0\" … \"ISCED 8\")")
    types = _strings(path, f"{where}.resource_types", body.get("resource_types", []))
    for kind in types:
        if kind not in RESOURCE_TYPES:
            raise _fail(path, f"{where}.resource_types", f"{kind!r} is not a resource type "
                        f"({', '.join(RESOURCE_TYPES)})")
    for keyword in (*keywords, *exclude):
        if not _WORD.search(keyword):
            raise _fail(path, f"{where}.keywords", f"{keyword!r} has no word")
    if not (keywords or isced or types):
        raise _fail(path, where, "needs keywords, isced or resource_types")
    return Theme(theme_id, {k: v.strip() for k, v in names.items()}, keywords, exclude,
                 isced, types, {k: " ".join(v.split()) for k, v in descriptions.items()})


# --- matching ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _keyword_word(word: str) -> tuple[bool, frozenset[str]]:
    """(is a prefix, what the word matches): the word and its keys in its script's languages."""
    lower = word.lower()
    if lower.endswith("*"):
        return True, frozenset({lower.rstrip("*")})
    return False, frozenset({lower, *word_keys(lower, query_languages(lower))})


Keyword = tuple[tuple[bool, frozenset[str]], ...]  # per word: (a prefix, what it matches)


def _keyword(keyword: str) -> Keyword:
    words = _WORD.findall(keyword) if not keyword.endswith("*") else [
        *_WORD.findall(keyword[:-1])[:-1], _WORD.findall(keyword)[-1] + "*"]
    return tuple(_keyword_word(word) for word in words)


class Matcher:
    """Themes compiled for matching records: each keyword filed under the forms of its first
    word, so that a record's words look up the few keywords they may start."""

    def __init__(self, themes: Themes) -> None:
        self.themes = themes.themes
        self._by_form: dict[str, list[tuple[str, bool, Keyword]]] = {}
        self._prefixes: list[tuple[str, bool, Keyword]] = []
        for theme in self.themes:
            for excluded, keywords in ((False, theme.keywords), (True, theme.exclude)):
                for keyword in keywords:
                    words = _keyword(keyword)
                    entry = (theme.id, excluded, words)
                    if words[0][0]:
                        self._prefixes.append(entry)
                    for form in words[0][1]:
                        self._by_form.setdefault(form, []).append(entry)

    def match(self, title: str | None, description: str | None, subjects: Iterable[str],
              language: str | None, country: str | None, levels: Iterable[str],
              resource_type: str | None) -> list[str]:
        """The ids of the themes a record belongs to."""
        texts = [title or "", *subjects, description or ""]
        fields = [_analysed(text, language, country) for text in texts if text]
        candidates: dict[int, tuple[str, bool, Keyword]] = {}
        for words in fields:
            for _, forms in words:
                for form in forms:
                    for entry in self._by_form.get(form, ()):
                        candidates[id(entry)] = entry
        for entry in self._prefixes:
            candidates[id(entry)] = entry
        hit: set[str] = set()
        excluded: set[str] = set()
        for theme_id, is_exclude, words in candidates.values():
            if (theme_id in excluded or (not is_exclude and theme_id in hit)):
                continue
            if _found(words, fields):
                (excluded if is_exclude else hit).add(theme_id)
        levels = set(levels)
        return [theme.id for theme in self.themes if theme.id not in excluded and (
            theme.id in hit or levels & set(theme.isced)
            or (resource_type is not None and resource_type in theme.resource_types))]


def _analysed(text: str, language: str | None, country: str | None
              ) -> list[tuple[str, frozenset[str]]]:
    """Each word of a text: (the word, the word and its keys) in the record's languages."""
    words = []
    for word in _WORD.findall(text):
        lower = word.lower()
        languages = record_languages(script_of(lower), language, country)
        words.append((lower, frozenset({lower, *word_keys(lower, languages)})))
    return words


def _found(keyword: Sequence[tuple[bool, frozenset[str]]],
           fields: Sequence[list[tuple[str, frozenset[str]]]]) -> bool:
    """Whether a keyword's words are in one of the fields, in a row."""
    size = len(keyword)
    for words in fields:
        for start in range(len(words) - size + 1):
            if all(_same(words[start + i], keyword[i]) for i in range(size)):
                return True
    return False


def _same(word: tuple[str, frozenset[str]], keyword: tuple[bool, frozenset[str]]) -> bool:
    prefix, forms = keyword
    if prefix:
        return any(word[0].startswith(form) for form in forms)
    return not forms.isdisjoint(word[1])


# --- the step ------------------------------------------------------------------------------

_CHANGED_SQL = ("SELECT id, deleted, title, description, subjects, language, country, "
                "education_level, resource_type FROM records WHERE id > ? AND {where} "
                "ORDER BY id LIMIT ?")


def _changed(catalogue: Catalogue, since: str | None) -> Iterator[list[tuple[Any, ...]]]:
    where, params = ("deleted = 0", ()) if since is None else ("last_changed >= ?", (since,))
    sql = _CHANGED_SQL.format(where=where)
    last = 0
    while True:
        rows = catalogue.conn.execute(sql.replace("LIMIT ?", f"LIMIT {BATCH}"),
                                      (last, *params)).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _list(value: str | None) -> list[str]:
    try:
        found = json.loads(value) if value else []
    except ValueError:
        return []
    return [v for v in found if isinstance(v, str)] if isinstance(found, list) else []


def theme_rows(matcher: Matcher, rows: Sequence[tuple[Any, ...]]) -> list[tuple[int, str]]:
    """(record_id, theme) of records as _CHANGED_SQL reads them; none for a deleted one."""
    found = []
    for (record_id, deleted, title, description, subjects, language, country, levels,
         resource_type) in rows:
        if deleted:
            continue
        for theme in matcher.match(title, description, _list(subjects), language, country,
                                   _list(levels), resource_type):
            found.append((record_id, theme))
    return found


_MATCHERS: dict[str, Matcher] = {}


def _matcher(themes: Themes) -> Matcher:
    """The compiled themes, once per process and content: analysing the keywords in every
    language of their script loads the word-form dictionaries (seconds)."""
    if themes.mark not in _MATCHERS:
        _MATCHERS.clear()
        _MATCHERS[themes.mark] = Matcher(themes)
    return _MATCHERS[themes.mark]


def update_themes(catalogue: Catalogue, themes: Themes | None = None,
                  full: bool = False) -> tuple[bool, int]:
    """Match the records changed since the last run (all when the themes changed, or with
    `full`) against the themes; (matched everything, records matched)."""
    themes = themes or load_themes()
    now = utc_now()
    mark = catalogue.enrich_mark(STEP)
    since = None
    if not full and mark and mark.startswith(f"{themes.mark}|"):
        since = mark.split("|", 1)[1]
    conn = catalogue.conn
    matched = 0
    with catalogue.transaction():
        if since is None:
            conn.execute("DELETE FROM record_themes")
        for rows in _changed(catalogue, since):
            matcher = _matcher(themes)  # (only when there is something to match)
            matched += len(rows)
            if since is not None:
                conn.executemany("DELETE FROM record_themes WHERE record_id = ?",
                                 [(row[0],) for row in rows])
            conn.executemany("INSERT OR IGNORE INTO record_themes (record_id, theme) "
                             "VALUES (?, ?)", theme_rows(matcher, rows))
        catalogue.set_enrich_mark(STEP, f"{themes.mark}|{now}")
    return since is None, matched


def step(catalogue: Catalogue, processes: Executor | None = None) -> str:
    """The enrichment step: one line saying what it did."""
    everything, matched = update_themes(catalogue)
    counted = catalogue.conn.execute(
        "SELECT COUNT(DISTINCT theme), COUNT(*) FROM record_themes").fetchone()
    how = "all" if everything else "changed"
    return (f"{matched} {how} records matched; {counted[1]} record themes "
            f"in {counted[0]} themes")
