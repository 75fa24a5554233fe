"""dc:language / LOM language spellings → ISO 639 codes.

Repositories of the region write codes of every ISO 639 part ("rus", "ru", "ru_RU", "geo",
"lvs"), English names, and names in the region's own languages ("русский язык", "қазақ
тілі", "oʻzbek"). We output the ISO 639-1 code where one exists, else the ISO 639-3 code,
and None when the value names no single language (the caller keeps the raw value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pycountry

from oerhub.normalize import vocab
from oerhub.normalize.text import clean_text, split_values

_VOCAB = "languages"

# A BCP 47 / POSIX-locale shaped value: primary subtag plus optional region/script parts
# ("ru", "rus", "ru_RU", "en-GB", "zh-Hans-CN"). Matched against folded text.
_CODE_RE = re.compile(r"([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*")
# POSIX locales carry a charset and modifier: "ru_RU.UTF-8", "uz_UZ.UTF-8@cyrillic".
_POSIX_RE = re.compile(r"([A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,8})?)\.[\w-]+(?:@\w+)?")
# "Russian (ru)", "рус [ru]": try the words outside the brackets, then inside.
_PAREN_RE = re.compile(r"(.*?)\s*[(\[]([^()\[\]]*)[)\]]\s*")
# A language URI (id.loc.gov iso639-2, lexvo, EU authority tables) ends in the code.
_URI_RE = re.compile(r"(?:https?://|info:)\S*/([A-Za-z]{2,3})/?")
_APOSTROPHES = str.maketrans({"ʻ": "'", "ʼ": "'", "’": "'", "‘": "'", "`": "'", "´": "'", "ʹ": "'"})
# Everything but letters, digits, apostrophes, hyphens and underscores separates words.
_PUNCT_RE = re.compile(r"[^\w'\-]+")
_TRIM = " '-_"
# Separators between several languages in one value.
_LIST_SEPS = ";,/|+&"


@dataclass(frozen=True)
class _Index:
    codes: dict[str, str]      # 2/3-letter code → output code
    names: dict[str, str]      # folded name → output code
    fillers: frozenset[str]
    ignore: frozenset[str]


def _fold(text: str) -> str:
    """Case, apostrophe and punctuation insensitive key: "Oʻzbek tili." → "o'zbek tili"."""
    text = text.translate(_APOSTROPHES).casefold()
    return " ".join(_PUNCT_RE.sub(" ", text).split()).strip(_TRIM)


@cache
def _index() -> _Index:
    """Build the lookup tables once: ISO codes and names from pycountry, then the TOML."""
    codes: dict[str, str] = {}
    iso_names: dict[str, str] = {}
    for lang in pycountry.languages:
        if getattr(lang, "type", None) == "S":  # und, mul, zxx, mis say "no single language"
            continue
        out = getattr(lang, "alpha_2", None) or lang.alpha_3
        for attr in ("alpha_2", "alpha_3", "bibliographic"):
            code = getattr(lang, attr, None)
            if code:
                codes[code.lower()] = out
    for key, target in vocab.section(_VOCAB, "codes").items():
        target = vocab.string_value(_VOCAB, f"codes.{key}", target).lower()
        if target not in codes:
            raise vocab.fail(_VOCAB, f"codes.{key}", f"{target!r} is not an ISO 639 code")
        codes[key.lower()] = codes[target]
    for lang in pycountry.languages:
        if getattr(lang, "type", None) == "S":
            continue
        out = codes[lang.alpha_3.lower()]  # after the overrides: "Standard Latvian" → lv
        for attr in ("name", "common_name", "inverted_name"):
            name = getattr(lang, attr, None)
            if name:
                iso_names.setdefault(_fold(name), out)
    names = dict(iso_names)
    for target, spellings in vocab.section(_VOCAB, "aliases").items():
        where = f"aliases.{target}"
        out = codes.get(target.lower())
        if out is None:
            raise vocab.fail(_VOCAB, where, f"{target!r} is not an ISO 639 code")
        for spelling in vocab.string_list(_VOCAB, where, spellings):
            names[_fold(spelling)] = out
    rules = vocab.section(_VOCAB, "rules")
    fillers = vocab.string_list(_VOCAB, "rules.filler_words", rules.get("filler_words"))
    ignore = vocab.string_list(_VOCAB, "rules.ignore", rules.get("ignore"))
    return _Index(
        codes=codes,
        names=names,
        fillers=frozenset(_fold(word) for word in fillers),
        ignore=frozenset(_fold(word) for word in ignore),
    )


def _lookup(key: str, ix: _Index) -> str | None:
    """One folded spelling → code: code shapes first ("ga" is Irish, not the Ga language)."""
    if not key or key in ix.ignore:
        return None
    match = _CODE_RE.fullmatch(key)
    if match:
        found = ix.codes.get(match.group(1))
        if found:
            return found
    found = ix.names.get(key)
    if found:
        return found
    words = key.split()
    kept = [word for word in words if word not in ix.fillers]
    if kept and len(kept) < len(words):
        return _lookup(" ".join(kept), ix)
    return None


def _single(text: str) -> str | None:
    """The language of a value naming exactly one."""
    ix = _index()
    uri = _URI_RE.fullmatch(text)
    if uri:
        return _lookup(uri.group(1).lower(), ix)
    posix = _POSIX_RE.fullmatch(text)
    if posix:
        text = posix.group(1)
    found = _lookup(_fold(text), ix)
    if found:
        return found
    paren = _PAREN_RE.fullmatch(text)
    if paren:
        for part in paren.groups():
            found = _lookup(_fold(part), ix)
            if found:
                return found
    return None


def _words(text: str) -> list[str]:
    """"русский и английский", "Russian English": every word must name a language."""
    ix = _index()
    words = [word for word in _fold(text).split() if word not in ix.fillers]
    found = [_lookup(word, ix) for word in words]
    if words and all(found):
        return [code for code in found if code]
    return []


def normalize_language(value: str | None) -> str | None:
    """ISO 639-1 (else 639-3) code of the value; the first one when it lists several."""
    text = clean_text(value)
    if not text:
        return None
    found = _single(text)
    if found:
        return found
    several = normalize_languages(text)
    return several[0] if several else None


def normalize_languages(value: str | None) -> list[str]:
    """All languages a value lists ("rus; eng", "ru/en", "русский, английский"), in order, once."""
    text = clean_text(value)
    if not text:
        return []
    whole = _single(text)
    if whole:
        return [whole]
    out: list[str] = []
    for part in split_values(text, _LIST_SEPS):
        found = _single(part)
        for code in [found] if found else _words(part):
            if code not in out:
                out.append(code)
    return out
