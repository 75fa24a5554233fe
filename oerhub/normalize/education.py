"""Education level spellings → ISCED 2011 levels ("ISCED 0" … "ISCED 8").

Repositories write school grades ("5-9 класс", "5. klase", "clasa a V-a", "Grade 5"),
stages ("основная школа", "бакалавриат", "magistriõpe", "Key Stage 3"), LOM educational
contexts ("school", "compulsory education"), ages ("10-12 лет", LOM typicalAgeRange "13 - 15")
and, rarely, ISCED itself. Grades are converted with the structure of the school system
whose language the grade word is in (a Latvian grade 5 is primary, a Russian one lower
secondary); the English words ("grade", "class", "form") with the structure of the record's
country. Ages go by ISCED's usual age bands. The spellings and the decisions behind them are
in data/vocab/education_levels.toml.
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
# A grade number: digits or a Roman numeral ("V-IX класи", "clasa a V-a"), with the
# Georgian prefix "მე-" (მე-5), the Romanian article "a" and ending "-a"/"-lea" (a V-a),
# and the Baltic ordinal dot ("5.").
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9,
          "x": 10, "xi": 11, "xii": 12, "xiii": 13}
_NUMBER = (r"(?:მე-?|a\s)?(?:\d{1,2}|(?:xiii|xii|xi|x|ix|viii|vii|vi|v|iv|iii|ii|i)(?![^\W\d_]))"
           r"(?:-(?:a|lea)(?!\w))?\.?")
_SEPARATOR = r"\s*(?:-|\.\.|,|и|і|та|and|to|по|до|ir|un|ja|și|si)\s*"
_SPEC = rf"(?P<spec>{_NUMBER}(?:{_SEPARATOR}{_NUMBER})*)"
# Ordinal endings on the number: ru/uk/be (5-й), en (5th), kk (5-ші), uz (5-chi), az (5-ci),
# tk (5-nji), tg (5-ум), hy (5-րդ), lt (5-oji), ky (5-чи).
_ORDINAL = (r"(?:\s?-?(?:й|я|е|го|ый|ой|ий|ых|ом|th|st|nd|rd|інші|ыншы|нші|ншы|ші|шы|inchi|chi|"
            r"[iıuü]?nc[iıuü]|c[iıuü]|nji|njy|ынчы|инчи|нчы|нчи|чы|чи|ум|юм|րդ|ին|"
            r"oji|osios|os|ųjų|ta))?")
_SPEC_TOKEN_RE = re.compile(r"\d{1,2}|(?<![^\W\d_])[ivx]+(?![^\W\d_])|-|\.\.|to|по|до")
_SUFFIX_RE = re.compile(r"-(?:a|lea)(?!\w)|მე-?|(?<!\w)a\s")
_DASHES = str.maketrans({"–": "-", "—": "-", "‒": "-", "−": "-"})
# Ages: "10-12", "13 - 15", "7", "6 to 9", "12+", "18-" (LOM: 18 and over).
_AGES_RE = re.compile(r"(?<![\d.])(?P<lo>\d{1,2})(?:\s*(?:-|to|до|по)\s*(?P<hi>\d{1,2}))?"
                      r"(?P<open>\s*\+|\s*-(?!\s*\d))?(?![\d.])")


@dataclass(frozen=True)
class _GradeSystem:
    name: str
    levels: dict[int, tuple[int, int]]   # ISCED level → (first grade, last grade)
    after_re: re.Pattern[str] | None     # "7 клас", "5. klase"
    before_re: re.Pattern[str] | None    # "grade 5"
    countries: frozenset[str]            # whose schools it describes (for the English words)
    country_only: bool                   # its words count only in records of those countries


@dataclass(frozen=True)
class _Rules:
    phrases: PhraseMatcher[tuple[int, ...]]
    systems: tuple[_GradeSystem, ...]
    english: _GradeSystem                # English grade words: levels of the record's country
    default: _GradeSystem                # ... or of this system when the country has none
    ages: _GradeSystem                   # ISCED age bands; words that say "years old"
    max_age: int                         # a range reaching beyond it says "any age"


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
    # folded as the text is (_lowered): "ёш" is matched as "еш"
    return "|".join(re.escape(_lowered(w)) for w in sorted(words, key=len, reverse=True))


def _spans(where: str, table: object, allow_missing: bool = False) -> dict[int, tuple[int, int]]:
    if not isinstance(table, dict):
        if allow_missing and table is None:
            return {}
        raise vocab.fail(_VOCAB, where, "expected a table level = [first, last]")
    levels: dict[int, tuple[int, int]] = {}
    for level, span in table.items():
        if (not level.isdigit() or int(level) not in _LEVELS or not isinstance(span, list)
                or len(span) != 2 or not all(isinstance(n, int) for n in span)):
            raise vocab.fail(_VOCAB, f"{where}.{level}", "expected level = [first, last]")
        levels[int(level)] = (span[0], span[1])
    return levels


def _grade_system(name: str, table: dict[str, object], where: str) -> _GradeSystem:
    levels = _spans(f"{where}.levels", table.get("levels"), allow_missing=True)
    after = vocab.string_list(_VOCAB, f"{where}.words", table.get("words", []))
    before = vocab.string_list(_VOCAB, f"{where}.words_before", table.get("words_before", []))
    countries = vocab.string_list(_VOCAB, f"{where}.countries", table.get("countries", []))
    after_re = before_re = None
    if after:
        after_re = re.compile(
            rf"(?<!\w){_SPEC}{_ORDINAL}\.?\s*-?\s*(?:{_words_alternation(after)})\.?(?!\w)"
        )
    if before:
        before_re = re.compile(rf"(?<!\w)(?:{_words_alternation(before)})\s*{_SPEC}(?!\d)")
    return _GradeSystem(name, levels, after_re, before_re,
                        frozenset(c.upper() for c in countries),
                        bool(table.get("country_only", False)))


def _phrases() -> PhraseMatcher[tuple[int, ...]]:
    owner: dict[str, tuple[int, ...]] = {}
    for key, spellings in vocab.section(_VOCAB, "phrases").items():
        levels = _parse_levels(key)
        for spelling in vocab.string_list(_VOCAB, f"phrases.{key}", spellings):
            pattern = phrase_pattern(spelling)
            if pattern and owner.setdefault(pattern, levels) != levels:
                raise vocab.fail(_VOCAB, f"phrases.{key}",
                                 f"{spelling!r} is listed under two different level keys")
    return PhraseMatcher(owner)


@cache
def _rules() -> _Rules:
    """Read education_levels.toml once and compile its phrases, grade and age words."""
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
        systems.append(_grade_system(name, table, f"grades.{name}"))
    english = vocab.section(_VOCAB, "english_grades")
    by_name = {s.name: s for s in systems}
    default = by_name.get(str(english.get("default")))
    if default is None:
        raise vocab.fail(_VOCAB, "english_grades.default", "expected the name of a [grades] table")
    ages = vocab.section(_VOCAB, "ages")
    max_age = ages.get("any_age_beyond")
    if not isinstance(max_age, int):
        raise vocab.fail(_VOCAB, "ages.any_age_beyond", "expected a number of years")
    return _Rules(_phrases(), tuple(systems),
                  _grade_system("english", english, "english_grades"), default,
                  _grade_system("ages", ages, "ages"), max_age)


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _ROMAN.get(token, -1)


def _grade_numbers(spec: str) -> set[int]:
    """"5-9" → 5…9, "5, 7" → {5, 7}, "1-4, 10-11" → both ranges, "v-a - a viii-a" → 5…8."""
    grades: set[int] = set()
    previous: int | None = None
    in_range = False
    for token in _SPEC_TOKEN_RE.findall(_SUFFIX_RE.sub(" ", spec)):
        if token.isdigit() or token in _ROMAN:
            number = _number(token)
            if in_range and previous is not None:
                low, high = sorted((previous, number))
                grades.update(range(low, high + 1))
            else:
                grades.add(number)
            previous, in_range = number, False
        elif token[0] not in "ivx":
            in_range = True
    return grades


def _levels_of(numbers: set[int], spans: dict[int, tuple[int, int]]) -> set[int]:
    return {level for n in numbers for level, (first, last) in spans.items() if first <= n <= last}


def _grade_levels(text: str, words: _GradeSystem, spans: dict[int, tuple[int, int]]
                  ) -> list[set[int]]:
    """One level set per grade mention ("5-11 классов" → {2, 3})."""
    found = []
    for pattern in (words.after_re, words.before_re):
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            levels = _levels_of(_grade_numbers(m["spec"]), spans)
            if levels:
                found.append(levels)
    return found


def _age_levels(low: int, high: int, rules: _Rules) -> set[int]:
    """The ISCED levels whose usual ages overlap low…high; none for "any age" ranges."""
    if high > rules.max_age:
        return set()
    return _levels_of(set(range(low, high + 1)), rules.ages.levels)


def _ages_in(text: str, rules: _Rules) -> list[set[int]]:
    """Ages named with an age word: "10-12 лет", "ages 6-9", "7-10 жас"."""
    found = []
    for pattern in (rules.ages.after_re, rules.ages.before_re):
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            numbers = _grade_numbers(m["spec"])
            if numbers:
                levels = _age_levels(min(numbers), max(numbers), rules)
                if levels:
                    found.append(levels)
    return found


def _lowered(text: str) -> str:
    return " ".join(text.translate(_DASHES).casefold().replace("ё", "е").split())


def normalize_education_levels(value: str | None, country: str | None = None) -> list[str]:
    """ISCED 2011 levels named by the value, as "ISCED n", unique and sorted; [] if none.

    Each mention (an ISCED code, a grade, a phrase) names a set of levels. A broad
    phrase is dropped when the same value also names a narrower part of it, so that
    "Высшее образование — бакалавриат" is ISCED 6 and "школа, 5 класс" is ISCED 2.
    ISCED codes and grade numbers are precise and always count. Ages ("10-12 лет") count
    only when the value names nothing else: "Bachelor, 4 years" is a duration. `country` (ISO
    3166-1 alpha-2 of the record) picks the school structure of English grade words.
    """
    text = clean_text(value)
    if not text:
        return []
    rules = _rules()
    lowered = _lowered(text)
    country = (country or "").upper()
    precise: list[set[int]] = []
    for m in _ISCED_RE.finditer(lowered):
        low, high = sorted((int(m["lo"]), int(m["hi"] or m["lo"])))
        precise.append(set(range(low, high + 1)))
    for system in rules.systems:
        if not system.country_only or country in system.countries:
            precise.extend(_grade_levels(lowered, system, system.levels))
    home = next((s for s in rules.systems if country in s.countries and s.levels), rules.default)
    precise.extend(_grade_levels(lowered, rules.english, home.levels))
    phrases = [set(found) for found in rules.phrases.finditer(fold_words(text)) if found]
    if not precise and not phrases:  # "4 года" beside a level is a duration, not an age
        precise = _ages_in(lowered, rules)
    levels: set[int] = set().union(*precise)
    mentions = precise + phrases
    for mention in phrases:
        if not any(other < mention for other in mentions):
            levels |= mention
    return [f"ISCED {level}" for level in sorted(levels)]


def age_range_levels(value: str | None, country: str | None = None) -> list[str]:
    """ISCED levels of a typical age range (LOM and schema.org typicalAgeRange), where a bare
    number is an age: "13 - 15" → ISCED 2, 3; "12+" → 2, 3; "18-" (18 and over) and
    "5-99" (any age) → [].
    A value with words ("5-9 класс", "primary") is read as any level value is."""
    levels = normalize_education_levels(value, country)
    text = clean_text(value)
    if levels or not text:
        return levels
    rules = _rules()
    found: set[int] = set()
    for m in _AGES_RE.finditer(_lowered(text)):
        low = int(m["lo"])
        if m["open"]:  # "12+", "12-": from 12 on, the school ages of it
            high = max(low, *(last for _, last in rules.ages.levels.values()))
        else:
            high = int(m["hi"] or low)
        found |= _age_levels(min(low, high), max(low, high), rules)
    return [f"ISCED {level}" for level in sorted(found)]
