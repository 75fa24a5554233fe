"""dc:date and OAI-PMH datestamp spellings → ISO 8601.

A record's date keeps the precision the repository gave ("2015" stays a year); times are
converted to UTC and written with a Z so that every stored timestamp sorts and compares
as text. Anything we cannot read unambiguously is None (the raw value stays with the
record), never a guess: "05/06/2015" (day or month first?) stays None, while dotted dates are
day-first ("20.05.2015") unless the year leads ("2015.05.20").

Dates in words ("May 2015", "October 4, 2006", "20 мая 2015 г.") are read with the month
names of data/vocab/months.toml: a month name with a four-digit year, and a day if given,
in any order a language writes them.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from functools import cache

from oerhub.normalize import vocab
from oerhub.normalize.text import fold_words

# Years outside this range are placeholders ("0000", "9999") or typos, not dates of OER.
MIN_YEAR = 1000
MAX_YEAR = 2100

_ISO_RE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2})"
    r"(?:[T ]\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?)?)?",
    re.IGNORECASE,
)
_COMPACT_RE = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")
# Post-Soviet day-first dates: "11.03.2021", "1.3.2021", "03.2021".
_DOTTED_RE = re.compile(r"(?:(?P<d>\d{1,2})\.)?(?P<m>\d{1,2})\.(?P<y>\d{4})")
# Year first with dots or slashes: "2015.05.20", "2015/05/20", "2015.05".
_YEAR_FIRST_RE = re.compile(r"(?P<y>\d{4})(?:\.(?P<m>\d{2})|(?P<sep>[./])(?P<m2>\d{1,2})"
                            r"(?P=sep)(?P<d>\d{1,2}))")
# The numbers beside a month name: "4", "4th", "2006"; and year words ("2015 г", "2015 m").
_NUMBER_RE = re.compile(r"(?P<n>\d{1,4})(?:st|nd|rd|th)?")
# Words that may stand beside the numbers: year and day words, "of", ordinal endings ("20-го").
_YEAR_WORDS = frozenset({"г", "года", "год", "го", "р", "року", "рік", "m", "d", "gada", "g",
                         "ж", "жыл", "y", "yil", "yili", "թ", "წ", "წლის", "of", "a", "aasta"})
# "2015-2016", "2015–2016", "2015/2016" (academic years): the first year.
_YEAR_RANGE_RE = re.compile(r"(?P<y>\d{4})\s*[-–—/]\s*(?P<y2>\d{4})")
# "2015-16", "2015/16": the first year, only when the tail is the following year.
_SHORT_RANGE_RE = re.compile(r"(?P<y>\d{4})\s*[-–—/]\s*(?P<y2>\d{2})")
# Wrappers around a year: "[2015]", "(2015)", "©2015", "c2015", "(c) 2015", "ca. 1850".
_BRACKETS_RE = re.compile(r"\[\s*(.*?)\s*\]|\(\s*(.*?)\s*\)")
_PREFIX_RE = re.compile(r"(?:©|℗|\(c\)|copyright\s*©?|circa|ca\.|c\.|c(?=\d)|p(?=\d))\s*",
                        re.IGNORECASE)
# Year words after a number: "2015 г.", "2015 р.", "2015. g.", "2015 m.", "2015 ж.", "2015 y.".
_SUFFIX_RE = re.compile(
    r"(?<=\d)\.?\s*"
    r"(?:г|гг|года?|год|р|рр|рік|року|g|gads|m|metai|a|aasta|ж|жыл|y|yil|йил|year)\.?\Z",
    re.IGNORECASE,
)


def _valid_year(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def _day(year: int, month: int, day: int) -> str | None:
    """YYYY-MM-DD when it is a real calendar day in range ("2015-02-30" is not)."""
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value.isoformat() if _valid_year(year) else None


def _offset(tz: str | None) -> timedelta | None:
    """A written UTC offset; a missing one means UTC (what OAI-PMH requires anyway)."""
    if tz is None or tz.upper() in ("Z", "UTC", "GMT"):
        return timedelta(0)
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return -delta if tz[0] == "-" else delta


def _from_iso(m: re.Match[str], *, allow_partial: bool) -> str | None:
    year = int(m["y"])
    if m["m"] is None:
        return str(year) if allow_partial and _valid_year(year) else None
    month = int(m["m"])
    if m["d"] is None:
        if not allow_partial or not 1 <= month <= 12 or not _valid_year(year):
            return None
        return f"{year:04d}-{month:02d}"
    if m["H"] is None:
        return _day(year, month, int(m["d"]))
    offset = _offset(m["tz"])
    if offset is None:
        return None
    try:
        local = datetime(year, month, int(m["d"]), int(m["H"]), int(m["M"]), int(m["S"] or 0))
    except ValueError:
        return None
    utc = (local - offset).replace(tzinfo=timezone.utc)
    if not _valid_year(utc.year):
        return None
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def _unwrap(text: str) -> str:
    """Strip brackets, copyright/circa prefixes and year words around the date itself."""
    text = text.strip()
    bracket = _BRACKETS_RE.fullmatch(text)
    if bracket:
        text = (bracket.group(1) if bracket.group(1) is not None else bracket.group(2)) or ""
    text = _PREFIX_RE.sub("", text, count=1) if _PREFIX_RE.match(text) else text
    return _SUFFIX_RE.sub("", text).strip().rstrip(".").strip()


def normalize_date(value: str | None) -> str | None:
    """A dc:date as ISO 8601 at the precision given ("2015", "2015-03", "2015-03-11", "…Z")."""
    if value is None:
        return None
    text = _unwrap(value)
    if not text:
        return None
    m = _ISO_RE.fullmatch(text)
    if m:
        found = _from_iso(m, allow_partial=True)
        if found or m["m"] is None or m["d"] is not None:
            return found
        # "2015-16" is not month 16 but the academic year 2015/16: fall through.
    m = _COMPACT_RE.fullmatch(text)
    if m:
        return _day(int(m["y"]), int(m["m"]), int(m["d"]))
    m = _DOTTED_RE.fullmatch(text)
    if m:
        year, month = int(m["y"]), int(m["m"])
        if m["d"] is not None:
            return _day(year, month, int(m["d"]))
        return f"{year:04d}-{month:02d}" if 1 <= month <= 12 and _valid_year(year) else None
    m = _YEAR_FIRST_RE.fullmatch(text)
    if m:
        year = int(m["y"])
        if m["m"] is not None:
            month = int(m["m"])
            return f"{year:04d}-{month:02d}" if 1 <= month <= 12 and _valid_year(year) else None
        return _day(year, int(m["m2"]), int(m["d"]))
    m = _YEAR_RANGE_RE.fullmatch(text)
    if m:
        year = int(m["y"])
        return str(year) if _valid_year(year) and year <= int(m["y2"]) else None
    m = _SHORT_RANGE_RE.fullmatch(text)
    if m and int(m["y2"]) == (int(m["y"]) + 1) % 100:
        year = int(m["y"])
        return str(year) if _valid_year(year) else None
    return _from_words(text) if not text.isdigit() else None


@cache
def _months() -> tuple[re.Pattern[str], dict[str, int]]:
    """months.toml read once: a pattern finding any month name in folded text, and its month."""
    month_of: dict[str, int] = {}
    for language, lists in vocab.load_vocab("months").items():
        if not isinstance(lists, dict):
            raise vocab.fail("months", language, "expected a table of lists")
        for kind, names in lists.items():
            where = f"{language}.{kind}"
            names = vocab.string_list("months", where, names)
            if len(names) != 12:
                raise vocab.fail("months", where, "must list the twelve months in order")
            for month, name in enumerate(names, start=1):
                key = fold_words(name)
                if month_of.setdefault(key, month) != month:
                    raise vocab.fail("months", where,
                                     f"{name!r} is also month {month_of[key]} elsewhere")
    alternation = "|".join(re.escape(k) for k in sorted(month_of, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)"), month_of


def _from_words(text: str) -> str | None:
    """A month name with a year and maybe a day, in any order: "October 4, 2006" → 2006-10-04."""
    folded = fold_words(text)
    pattern, month_of = _months()
    found = list(pattern.finditer(folded))
    if len(found) != 1:
        return None
    month = month_of[found[0].group()]
    rest = (folded[:found[0].start()] + " " + folded[found[0].end():]).split()
    numbers = []
    for word in rest:
        m = _NUMBER_RE.fullmatch(word)
        if m:
            numbers.append(m["n"])
        elif word not in _YEAR_WORDS:
            return None  # other words: not a plain date ("May be 2015", "Spring 2015")
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if len(years) != 1 or len(days) > 1 or len(years) + len(days) != len(numbers):
        return None
    year = int(years[0])
    if not _valid_year(year):
        return None
    return _day(year, month, int(days[0])) if days else f"{year:04d}-{month:02d}"


def normalize_datestamp(value: str | None) -> str | None:
    """An OAI-PMH header datestamp as "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC).

    Stricter than normalize_date: a datestamp is a day or a second, never a year or a
    "11.03.2021"; what is not one of those shapes is garbage and gives None.
    """
    if value is None:
        return None
    text = value.strip()
    m = _ISO_RE.fullmatch(text)
    if m and m["d"] is not None:
        return _from_iso(m, allow_partial=False)
    m = _COMPACT_RE.fullmatch(text)
    if m:
        return _day(int(m["y"]), int(m["m"]), int(m["d"]))
    return None


def utc_now() -> str:
    """Now, in the form the catalogue stores every moment: YYYY-MM-DDTHH:MM:SSZ (UTC)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
