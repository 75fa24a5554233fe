"""Education level spellings → ISCED 2011 levels ("ISCED 0" … "ISCED 8").

Repositories write school grades ("5-9 класс", "5. klase"), stages ("основная школа",
"бакалавриат", "magistriõpe"), LOM educational contexts ("school", "higher education")
and, rarely, ISCED itself. Grades are converted with the structure of the school system
whose language the grade word is in (a Latvian grade 5 is primary, a Russian one lower
secondary); the spellings and the decisions behind them are in
data/vocab/education_levels.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from oerhub.normalize import vocab
from oerhub.normalize.text import PhraseMatcher, clean_text, fold_words, phrase_pattern

_VOCAB = "education_levels"
_LEVELS = range(0, 9)
_NONE_KEY = "none"

# "ISCED 2", "ISCED level 3", "isced:6", "ISCED 2011 level 1", "ISCED 5-8", "ISCED 344".
_ISCED_RE = re.compile(
    r"(?<![^\W\d_])isced(?:[\s:_-]*2011)?"
    r"(?:[\s:_-]*(?:levels?|уровень|уровни|рівень|рівні|lygis|līmenis|tase))?[\s:_-]*"
    r"(?P<lo>[0-8])\d{0,2}(?:\s*(?:-|to)\s*(?P<hi>[0-8])\d{0,2})?(?!\d)"
)
# Grade numbers as written before/after a grade word: "5", "5-9", "10-11", "5, 6 и 7",
# and the Baltic ordinal dot: "1.-9. klase".
_SPEC = r"(?P<spec>\d{1,2}\.?(?:\s*(?:-|\.\.|,|и|і|та|and|to|по|до|ir|un|ja)\s*\d{1,2}\.?)*)"
_ORDINAL = r"(?:\s?-?(?:й|я|е|го|ый|ой|ий|ых|ом|th|st|nd|rd|ші|шы|inchi|chi))?"
_SPEC_TOKEN_RE = re.compile(r"\d{1,2}|-|\.\.|to|по|до")
_DASHES = str.maketrans({"–": "-", "—": "-", "‒": "-", "−": "-"})


@dataclass(frozen=True)
class _GradeSystem:
    name: str
    levels: dict[int, tuple[int, int]]   # ISCED level → (first grade, last grade)
    after_re: re.Pattern[str] | None     # "7 клас", "5. klase"
    before_re: re.Pattern[str] | None    # "grade 5"


@dataclass(frozen=True)
class _Rules:
    phrases: PhraseMatcher[tuple[int, ...]]
    systems: tuple[_GradeSystem, ...]


def _parse_levels(key: str) -> tuple[int, ...]:
    if key == _NONE_KEY:
        return ()
    try:
        levels = tuple(int(part) for part in key.split())
    except ValueError:
        levels = ()
    if not levels or any(level not in _LEVELS for level in levels):
        raise vocab.fail(_VOCAB, f"phrases.{key}",
                         f"key must be ISCED levels 0–8 separated by spaces, or {_NONE_KEY!r}")
    return levels


def _words_alternation(words: list[str]) -> str:
    return "|".join(re.escape(w.casefold()) for w in sorted(words, key=len, reverse=True))


def _grade_system(name: str, table: dict[str, object]) -> _GradeSystem:
    where = f"grades.{name}"
    levels_table = table.get("levels")
    if not isinstance(levels_table, dict):
        raise vocab.fail(_VOCAB, f"{where}.levels", "expected a table level = [first, last]")
    levels: dict[int, tuple[int, int]] = {}
    for level, span in levels_table.items():
        if (not level.isdigit() or int(level) not in _LEVELS or not isinstance(span, list)
                or len(span) != 2 or not all(isinstance(n, int) for n in span)):
            raise vocab.fail(_VOCAB, f"{where}.levels.{level}", "expected level = [first, last]")
        levels[int(level)] = (span[0], span[1])
    after = vocab.string_list(_VOCAB, f"{where}.words", table.get("words", []))
    before = vocab.string_list(_VOCAB, f"{where}.words_before", table.get("words_before", []))
    after_re = before_re = None
    if after:
        after_re = re.compile(
            rf"(?<!\d){_SPEC}{_ORDINAL}\.?\s*(?:{_words_alternation(after)})\.?(?!\w)"
        )
    if before:
        before_re = re.compile(rf"(?<!\w)(?:{_words_alternation(before)})\s*{_SPEC}(?!\d)")
    return _GradeSystem(name, levels, after_re, before_re)


@cache
def _rules() -> _Rules:
    """Read education_levels.toml once and compile its phrases and grade words."""
    owner: dict[str, tuple[int, ...]] = {}
    for key, spellings in vocab.section(_VOCAB, "phrases").items():
        levels = _parse_levels(key)
        for spelling in vocab.string_list(_VOCAB, f"phrases.{key}", spellings):
            pattern = phrase_pattern(spelling)
            if pattern and owner.setdefault(pattern, levels) != levels:
                raise vocab.fail(_VOCAB, f"phrases.{key}",
                                 f"{spelling!r} is listed under two different level keys")
    systems = []
    seen_words: dict[str, str] = {}
    for name, table in vocab.section(_VOCAB, "grades").items():
        if not isinstance(table, dict):
            raise vocab.fail(_VOCAB, f"grades.{name}", "expected a table")
        for word in table.get("words", []):
            other = seen_words.setdefault(str(word).casefold(), name)
            if other != name:
                raise vocab.fail(_VOCAB, f"grades.{name}.words",
                                 f"{word!r} is also a grade word of {other!r}")
        systems.append(_grade_system(name, table))
    return _Rules(PhraseMatcher(owner), tuple(systems))


def _grade_numbers(spec: str) -> set[int]:
    """"5-9" → 5…9, "5, 7" → {5, 7}, "1-4, 10-11" → both ranges."""
    grades: set[int] = set()
    previous: int | None = None
    in_range = False
    for token in _SPEC_TOKEN_RE.findall(spec):
        if token.isdigit():
            number = int(token)
            if in_range and previous is not None:
                low, high = sorted((previous, number))
                grades.update(range(low, high + 1))
            else:
                grades.add(number)
            previous, in_range = number, False
        else:
            in_range = True
    return grades


def _grade_levels(text: str, system: _GradeSystem) -> list[set[int]]:
    """One level set per grade mention ("5-11 классов" → {2, 3})."""
    found = []
    for pattern in (system.after_re, system.before_re):
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            levels = {level for grade in _grade_numbers(m["spec"])
                      for level, (first, last) in system.levels.items() if first <= grade <= last}
            if levels:
                found.append(levels)
    return found


def normalize_education_levels(value: str | None) -> list[str]:
    """ISCED 2011 levels named by the value, as "ISCED n", unique and sorted; [] if none.

    Each mention (an ISCED code, a grade, a phrase) names a set of levels. A broad
    phrase is dropped when the same value also names a narrower part of it, so that
    "Высшее образование — бакалавриат" is ISCED 6 and "школа, 5 класс" is ISCED 2.
    ISCED codes and grade numbers are precise and always count.
    """
    text = clean_text(value)
    if not text:
        return []
    rules = _rules()
    lowered = " ".join(text.translate(_DASHES).casefold().replace("ё", "е").split())
    precise: list[set[int]] = []
    for m in _ISCED_RE.finditer(lowered):
        low, high = sorted((int(m["lo"]), int(m["hi"] or m["lo"])))
        precise.append(set(range(low, high + 1)))
    for system in rules.systems:
        precise.extend(_grade_levels(lowered, system))
    phrases = [set(found) for found in rules.phrases.finditer(fold_words(text)) if found]
    levels: set[int] = set().union(*precise)
    mentions = precise + phrases
    for mention in phrases:
        if not any(other < mention for other in mentions):
            levels |= mention
    return [f"ISCED {level}" for level in sorted(levels)]
