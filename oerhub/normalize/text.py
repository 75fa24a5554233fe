"""Free-text cleaning shared by every mapper.

Repositories put HTML fragments, entities, Word junk and control characters into
titles and descriptions; the catalogue wants one line of plain text that is also
legal XML 1.0 (so it can be re-exported through OAI-PMH).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, TypeVar

V = TypeVar("V")

# Only *known* HTML element names count as tags, and attributes must carry a value
# (`name="v"`, `name=v`) unless they are one of a few HTML booleans. That keeps maths
# such as "a < b and c > d" or "a<b and c>d" intact while stripping real markup.
_INLINE_TAGS = (
    "a|abbr|acronym|b|bdi|bdo|big|cite|code|del|dfn|em|font|i|ins|kbd|mark|nobr|q|s|samp|"
    "small|span|strike|strong|sub|sup|tt|u|var|wbr"
)
_BLOCK_TAGS = (
    "address|article|aside|blockquote|body|br|caption|center|col|colgroup|dd|div|dl|dt|"
    "figcaption|figure|footer|h[1-6]|head|header|hr|html|img|li|link|main|meta|nav|ol|p|pre|"
    "section|table|tbody|td|tfoot|th|thead|title|tr|ul"
)
_ATTR = (
    r"""\s+(?:[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]+)"""
    r"""|nowrap|hidden|disabled|checked|selected|readonly|compact|noshade)"""
)
# Word/Office namespaced tags (`<o:p>`, `<st1:metricconverter ...>`) are stripped too.
_TAG_RE = re.compile(
    rf"</?(?P<name>{_INLINE_TAGS}|{_BLOCK_TAGS}|[a-z][a-z0-9]*:[a-z][\w-]*)(?:{_ATTR})*\s*/?>",
    re.IGNORECASE,
)
_INLINE_NAMES = frozenset(_INLINE_TAGS.split("|"))
# Whole elements whose content is never text, comments, doctype and processing instructions.
_DROP_RE = re.compile(
    r"<(script|style)\b[^>]*>.*?</\1\s*>|<!--.*?-->|<!DOCTYPE[^>]*>|<\?[^>]*\?>",
    re.IGNORECASE | re.DOTALL,
)
# Characters that cannot appear in XML 1.0 (C0 controls except \t \n \r, lone surrogates,
# U+FFFE/U+FFFF), DEL/C1 controls (legal but always mojibake here) and invisible junk
# (zero-width space, word joiner, BOM, soft hyphen). ZWJ/ZWNJ are kept: they carry meaning.
_JUNK_RE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff\u200b\u2060\ufeff\u00ad]"
)
# Separator-like controls become spaces instead of vanishing ("page1\fpage2" → "page1 page2").
_SEPARATOR_CONTROLS_RE = re.compile("[\x0b\x0c\x1c-\x1f\x85]")
# What any step of clean_text before NFC and spacing acts on: markup and entities start with
# "<" or "&"; the rest are the two sets above. Text without any skips those steps.
_PLAIN_RE = re.compile(
    "[<&\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u200b\u2060\ufeff\u00ad]"
)
# Vocabulary matching: apostrophe variants ("oʻquv", "o’quv") are one apostrophe, and
# everything that is neither a word character nor an apostrophe separates words.
_APOSTROPHES = str.maketrans({"ʻ": "'", "ʼ": "'", "’": "'", "‘": "'", "`": "'", "´": "'"})
_NON_WORD_RE = re.compile(r"[^\w']+")


def _replace_tag(match: re.Match[str]) -> str:
    """Inline markup vanishes ("хим<b>ия</b>"), block markup separates words ("</p><p>")."""
    return "" if match.group("name").lower() in _INLINE_NAMES else " "


def clean_text(value: str | None) -> str | None:
    """Plain, single-line, XML-safe text, or None when nothing is left.

    Tags are stripped once, *before* entities are decoded, so an escaped example such as
    "&lt;p&gt;" in an HTML course description survives as the text "<p>".
    """
    if value is None:
        return None
    if _PLAIN_RE.search(value) is None:  # nothing for the steps below to do but the last two
        if not unicodedata.is_normalized("NFC", value):
            value = unicodedata.normalize("NFC", value)
        return " ".join(value.split()) or None  # split() and \s agree on spaces
    text = _DROP_RE.sub(" ", value)
    text = _TAG_RE.sub(_replace_tag, text)
    text = html.unescape(text)
    text = _SEPARATOR_CONTROLS_RE.sub(" ", text)
    text = _JUNK_RE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    return " ".join(text.split()) or None


# Halves of UTF-16 pairs standing alone: valid in JSON ("\\ud800"), in Python strings, never in
# UTF-8, so SQLite cannot store them.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def has_surrogates(text: str | None) -> bool:
    return text is not None and _SURROGATE_RE.search(text) is not None


def without_surrogates(text: str) -> str:
    """The text without its lone surrogates (as clean_text drops them)."""
    return _SURROGATE_RE.sub("", text)


def escape_surrogates(json_text: str) -> str:
    """JSON text with each lone surrogate written as its \\uXXXX escape: the same JSON value,
    and storable. (In JSON text a lone surrogate can only stand inside a string.)"""
    return _SURROGATE_RE.sub(lambda match: f"\\u{ord(match.group()):04x}", json_text)


def unique(values: Iterable[str | None]) -> list[str]:
    """Non-empty values, first occurrence kept, in order (creators, subjects, identifiers)."""
    return list(dict.fromkeys(v for v in values if v))


def split_values(value: str | None, seps: str = ";,") -> list[str]:
    """Split one metadata value holding several ("rus; eng", "ru, en"): stripped, no empties."""
    if not value:
        return []
    if not seps:
        return [value.strip()] if value.strip() else []
    if len(seps) > 1:
        value = value.translate({ord(sep): seps[0] for sep in seps[1:]})
    return [part.strip() for part in value.split(seps[0]) if part.strip()]


def fold_words(text: str) -> str:
    """Key for matching vocabulary phrases: lower case, ё = е, punctuation and hyphens as spaces.

    "Учебно-методическое  пособие." and "учебно методическое пособие" fold alike, so a
    librarian writes a phrase once, without punctuation.
    """
    text = text.translate(_APOSTROPHES).casefold().replace("ё", "е")
    # Turkish and Azerbaijani: "İ" casefolds to "i" + a combining dot, "I" to "i", so capitals
    # would miss "lisans"/"ı" words; dotless and dotted i fold alike.
    text = text.replace("\u0307", "").replace("ı", "i")
    return " ".join(_NON_WORD_RE.sub(" ", text).split()).strip("'")


def phrase_pattern(phrase: str) -> str:
    """A vocabulary phrase as a regex over fold_words() text; "*" ending a word = any ending.

    The caller adds the word boundaries and compiles once (see resource_type, education).
    """
    pieces = []
    for word in phrase.split():
        body = fold_words(word.rstrip("*"))
        if body:
            piece = " ".join(re.escape(part) for part in body.split())
            pieces.append(piece + (r"\w*" if word.endswith("*") else ""))
    return " ".join(pieces)


class PhraseMatcher(Generic[V]):
    """Finds vocabulary phrases in fold_words() text, earliest first, longest at one start.

    Built once per vocabulary from {phrase_pattern(...): value}. Patterns are grouped by
    their first letter and tried only where a word starts, which keeps hundreds of
    phrases cheap to search for.
    """

    def __init__(self, patterns: Mapping[str, V]) -> None:
        grouped: dict[str, list[str]] = {}
        for pattern in sorted(patterns, key=len, reverse=True):
            grouped.setdefault(pattern[0], []).append(pattern)
        self._by_first: dict[str, tuple[re.Pattern[str], tuple[V, ...]]] = {
            first: (re.compile("|".join(f"({p})(?!\\w)" for p in group)),
                    tuple(patterns[p] for p in group))
            for first, group in grouped.items()
        }

    def finditer(self, folded: str) -> Iterator[V]:
        """Values of the non-overlapping phrases in `folded`, left to right."""
        pos, end = 0, len(folded)
        while pos < end:
            entry = self._by_first.get(folded[pos])
            match = entry[0].match(folded, pos) if entry else None
            if match is not None and match.lastindex is not None:
                yield entry[1][match.lastindex - 1]
                pos = match.end()
            next_space = folded.find(" ", pos)
            if next_space < 0:
                return
            pos = next_space + 1

    def first(self, folded: str) -> V | None:
        """The value of the phrase that starts earliest (the head noun), or None."""
        return next(self.finditer(folded), None)
