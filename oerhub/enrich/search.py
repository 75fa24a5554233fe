"""Script-aware search: the Cyrillic and Latin spellings of one word find each other.

`fizika` finds `Физика`, `istoriya`, `istoriia` and `istorija` find `История`, `o'zbek`,
`oʻzbek`, `o‘zbek` and `ozbek` find `Ўзбек` and `Oʻzbek`, `қазақ` finds `Qazaq`.

How: the `search` enrichment step (after each harvest and `oerhub renormalize`) indexes each
changed live record in the contentless FTS5 table `records_search`: its text as it is (title,
description, subjects, creators); `folded`, the other spellings of the words of its title,
subjects and creators (Cyrillic romanised by the standards in use for its language, Latin words
of a language also written in Cyrillic in Cyrillic, apostrophes in all their typed forms,
Georgian and Armenian in Latin); and `forms`/`text_forms`, their stems and lemmas
(word_forms.py). README "Search across scripts" tells the rules; search_query.py the query.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

import translitua
from anyascii import anyascii

Scheme = Callable[[str], str]

# --- Cyrillic to Latin ------------------------------------------------------------------------


def _library(scheme: object) -> Scheme:
    return lambda word: translitua.translit(word, scheme)


# Russian and Ukrainian: the standards `translitua` implements (passports, ICAO, GOST, ISO 9,
# BGN/PCGN, ALA-LC, the Ukrainian KMU 2010 and DSTU 9112, the informal ones), each with its
# context rules (word-initial є → ye, зг → zgh …). The first ones are the commonest spellings,
# used alone for descriptions. Russian adds two tables of ours (below): the informal
# "translit" people type (h for х with ya: himiya) and Wikipedia's (yo: Khrushchyov).
RUSSIAN_LIBRARY = tuple(_library(s) for s in (
    translitua.RussianInternationalPassport1997,  # ya, yu, kh, shch, zh, ts (Istoriya, Yuriy)
    translitua.RussianICAO,                       # ia, iu, kh (Istoriia, Iurii)
    translitua.RussianSimple,                     # ja, ju, h, sch (Istorija, Jurij, Hruschev)
    translitua.RussianInternationalPassport1997Reduced,  # Yury
    translitua.RussianISO9SystemB,                # x, shh (Ximiya, Xrushhyov)
    translitua.RussianISO9SystemA,                # ŝ, â (folded: istoria), c (Coj)
    translitua.RussianISOR9Table2,                # c with ja (Jurisprudencija)
))
# Left out (Telegram, driver's licence, GOST 2006, ALA-LC): nothing the ones kept do not spell.
UKRAINIAN = tuple(_library(s) for s in (
    translitua.UkrainianKMU,           # the official one (2010): Istoriia, Kyiv, Zghurskyi
    translitua.UkrainianBGN,           # Istoriya, Kyyiv
    translitua.UkrainianSimple,        # Istorija, Kyyiv
    translitua.UkrainianWWS,           # scholarly: Kyjiv, ščuka, Jevhen
    translitua.UkrainianPassport2007,  # g for г: Ievgen
    translitua.UkrainianNational1996,  # sch: Schodennyk
    translitua.UkrainianGOST1986,
))
# Left out: GOST 1971, ISO 9, DSTU 9112 A and B, ALA-LC (nothing the ones kept do not spell).

# Our own tables where no library has the standard. A value is a spelling, or a pair
# (after a consonant, at the start of a word or after a vowel or ь/ъ). Letters a table lacks are
# spelled by anyascii.
_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}


def _table(base: dict[str, object], **changes: object) -> dict[str, object]:
    return {**base, **changes}


TABLES: dict[str, tuple[dict[str, object], ...]] = {
    # Belarusian: the national system (2007, the UN's since 2013) and BGN/PCGN.
    "be": (
        _table(_COMMON, г="h", е=("ie", "je"), ё=("io", "jo"), ж="ž", й="j", х="ch", ц="c",
               ч="č", ш="š", ю=("iu", "ju"), я=("ia", "ja"), ў="ŭ", і="i", ь="ʹ"),
        _table(_COMMON, г="h", е=("e", "ye"), ў="w", і="i", ь="'"),
    ),
    # Kazakh: the Latin alphabet of 2021, and the informal ASCII one (q or k, gh or g).
    "kk": (
        _table(_COMMON, ә="ä", ғ="ğ", қ="q", ң="ñ", ө="ö", ұ="ū", ү="ü", һ="h", і="ı", ш="ş",
               ч="ç", ж="j", х="h", й="i", у="u", ы="y", ё="io", ю="iu", я="ia", ц="ts"),
        _table(_COMMON, ә="a", ғ="g", қ="k", ң="n", ө="o", ұ="u", ү="u", һ="h", і="i",
               ж="zh", х="h"),
        _table(_COMMON, ә="a", ғ="gh", қ="q", ң="ng", ө="o", ұ="u", ү="u", һ="h", і="i",
               ж="zh", х="kh"),
    ),
    # Uzbek: the official Latin alphabet (1995), and with h for х as often typed.
    "uz": (
        _table(_COMMON, ў="oʻ", ғ="gʻ", қ="q", ҳ="h", х="x", ж="j", й="y", ц=("s", "ts"),
               е=("e", "ye"), ъ="ʼ", щ="sh"),
        _table(_COMMON, ў="oʻ", ғ="gʻ", қ="q", ҳ="h", х="h", ж="j", й="y", е=("e", "ye"),
               ъ="ʼ"),
    ),
    # Kyrgyz: BGN/PCGN, and the informal Latin (j for ж, h for х).
    "ky": (
        _table(_COMMON, ң="ng", ө="ö", ү="ü", ж="j", е=("e", "ye")),
        _table(_COMMON, ң="ñ", ө="ö", ү="ü", ж="j", х="h", й="y"),
    ),
    # Tajik: BGN/PCGN (1994) and the Latin alphabet of 1928-1940 as typed today.
    "tg": (
        _table(_COMMON, ғ="gh", ӣ="ī", қ="q", ӯ="ū", ҳ="h", ҷ="j", х="kh", е=("e", "ye"),
               ъ="'"),
        _table(_COMMON, ғ="ğ", ӣ="i", қ="q", ӯ="u", ҳ="h", ҷ="j", х="x", ж="zh", ъ="'"),
        # as typed on a Russian keyboard
        _table(_COMMON, ғ="g", ӣ="i", қ="k", ӯ="u", ҳ="h", ҷ="ch", х="h", ъ=""),
    ),
    # Mongolian: MNS 5217:2012.
    "mn": (_table(_COMMON, ө="ö", ү="ü", ж="j", х="kh", ц="ts", й="i", ы="y"),),
}

RUSSIAN_TABLES = (
    _table(_COMMON, х="h", щ="sh", ы="i", ж="j", ц="c"),            # informal: himiya, yazik            # and phonetic: yazik, obshestvo
    _table(_COMMON, е=("e", "ye"), ё=("yo", "yo"), ы="y", й="y"),  # Wikipedia: Khrushchyov
)
RUSSIAN: tuple[Scheme, ...] = (
    RUSSIAN_LIBRARY[0], RUSSIAN_LIBRARY[1],
    *(lambda w, t=t: _by_table(w, t) for t in RUSSIAN_TABLES), *RUSSIAN_LIBRARY[2:])

# Which language a letter betrays, beyond the declared one: a word is romanised for each.
LETTER_LANGUAGES: dict[str, tuple[str, ...]] = {
    "і": ("uk", "be", "kk"), "ї": ("uk",), "є": ("uk",), "ґ": ("uk",), "ў": ("uz", "be"),
    "ә": ("kk",), "ұ": ("kk",), "һ": ("kk",), "қ": ("kk", "uz", "tg"), "ғ": ("kk", "uz", "tg"),
    "ң": ("kk", "ky"), "ө": ("kk", "ky", "mn"), "ү": ("kk", "ky", "mn"), "ҳ": ("uz", "tg"),
    "ҷ": ("tg",), "ӣ": ("tg",), "ӯ": ("tg",),
}
# The letters each language adds to the Russian alphabet.
ALPHABET_EXTRAS = {"uk": "іїєґ", "be": "іў", "kk": "әғқңөұүһі", "uz": "ўқғҳ", "ky": "ңөү",
                   "tg": "ғӣқӯҳҷ", "mn": "өү"}
CYRILLIC_LANGUAGES = ("ru", "uk", *TABLES)

# --- Latin to Cyrillic --------------------------------------------------------------------------
# Greedy, longest spelling first. A value with "|" gives alternatives: one form is made with the
# first everywhere and one with the second (і or и in informal Kazakh, й or ж for j …).
_APOSTROPHE = "'"
_LATIN_COMMON: dict[str, str] = {
    "a": "а", "b": "б", "c": "ц", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и",
    "j": "й", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р",
    "s": "с", "t": "т", "u": "у", "v": "в", "w": "в", "x": "х", "y": "ы", "z": "з",
}
REVERSE: dict[str, dict[str, str]] = {
    # Uzbek: the official Latin alphabet (1995) back to Cyrillic.
    "uz": {**_LATIN_COMMON, "o'": "ў", "g'": "ғ", "sh": "ш", "ch": "ч", "yo": "ё", "yu": "ю",
           "ya": "я", "ye": "е", "ts": "ц", "q": "қ", "h": "ҳ", "j": "ж", "y": "й",
           _APOSTROPHE: "ъ", "^e": "э"},
    # Kazakh: the 2021 alphabet, the 2017 one with apostrophes, and the informal digraphs.
    "kk": {**_LATIN_COMMON, "ä": "ә", "ğ": "ғ", "q": "қ", "ñ": "ң", "ö": "ө", "ū": "ұ",
           "ü": "ү", "ı": "і", "i": "і|и", "ş": "ш", "ç": "ч", "j": "ж", "y": "ы", "sh": "ш",
           "ch": "ч", "zh": "ж", "gh": "ғ", "kh": "х", "ts": "ц", "iu": "ю", "ia": "я",
           "a'": "ә", "g'": "ғ", "n'": "ң", "o'": "ө", "u'": "ү", "s'": "ш", "c'": "ч",
           "i'": "і", _APOSTROPHE: ""},
    # Azerbaijani: the Latin alphabet (1991) back to the Cyrillic of 1958-1991.
    "az": {**_LATIN_COMMON, "ə": "ә", "ğ": "ғ", "ı": "ы", "ö": "ө", "ü": "ү", "ş": "ш",
           "ç": "ч", "c": "ҹ", "x": "х", "q": "г", "g": "ҝ", "j": "ж", "y": "ј", "h": "һ",
           _APOSTROPHE: ""},
    # Turkmen: the Latin alphabet (1993/1999) back to Cyrillic.
    "tk": {**_LATIN_COMMON, "ä": "ә", "ç": "ч", "ž": "ж", "j": "җ", "ň": "ң", "ö": "ө",
           "ş": "ш", "ü": "ү", "ý": "й", "y": "ы", "^e": "э", _APOSTROPHE: ""},
    # Russian written in Latin by any of the standards above (ya, ia, ja; kh, h, x …).
    "ru": {**_LATIN_COMMON, "shch": "щ", "sch": "щ", "shh": "щ", "zh": "ж", "kh": "х",
           "ts": "ц", "tc": "ц", "ch": "ч", "sh": "ш", "yu": "ю", "iu": "ю", "ju": "ю|жу",
           "ya": "я", "ia": "я", "ja": "я|жа", "yo": "ё", "jo": "ё|жо", "ye": "е", "je": "е|же",
           "iy$": "ий", "ii$": "ий", "ij$": "ий", "yy$": "ый", "yj$": "ый",
           "chev$": "чев|чёв", "shev$": "шев|шёв", "zhev$": "жев|жёв", "shchev$": "щев|щёв",
           "j": "й|ж", "^e": "э|е", "y+": "й", _APOSTROPHE: "ь"},
    # Belarusian: the national system, the łacinka and BGN back to Cyrillic.
    "be": {**_LATIN_COMMON, "ch": "х|ч", "c": "ц", "č": "ч", "š": "ш", "ž": "ж", "ŭ": "ў",
           "w": "ў", "h": "г", "ja": "я", "ia": "я", "ya": "я", "ju": "ю", "iu": "ю", "yu": "ю",
           "je": "е", "ie": "е", "ye": "е", "jo": "ё", "io": "ё", "yo": "ё", "y": "ы", "i": "і",
           "j": "й", "ł": "л", "zh": "ж", "sh": "ш", "kh": "х", "ts": "ц", "ć": "ць", "ś": "сь",
           "ź": "зь", "ń": "нь", "ĺ": "ль", _APOSTROPHE: "ь"},
    # Kyrgyz: BGN/PCGN and the informal Latin back to Cyrillic.
    "ky": {**_LATIN_COMMON, "ö": "ө", "ü": "ү", "ng": "ң|нг", "ñ": "ң", "j": "ж", "zh": "ж",
           "kh": "х", "ts": "ц", "ch": "ч", "sh": "ш", "yo": "ё", "yu": "ю", "ya": "я",
           "ye": "е", "y": "ы|й", _APOSTROPHE: ""},
    # Tajik: BGN/PCGN and the Latin of 1928-1940 back to Cyrillic.
    "tg": {**_LATIN_COMMON, "gh": "ғ", "ğ": "ғ", "g'": "ғ", "q": "қ", "h": "ҳ", "kh": "х",
           "j": "ҷ", "zh": "ж", "ch": "ч", "sh": "ш", "ī": "ӣ", "ū": "ӯ", "yo": "ё", "yu": "ю",
           "ya": "я", "ye": "е", "y": "й", "i$": "и|ӣ", _APOSTROPHE: "ъ"},
    # Ukrainian written in Latin (KMU 2010, BGN, the scholarly one …).
    "uk": {**_LATIN_COMMON, "shch": "щ", "zgh": "зг", "zh": "ж", "kh": "х", "ts": "ц",
           "ch": "ч", "sh": "ш", "ia": "я", "ya": "я", "ja": "я", "iu": "ю", "yu": "ю",
           "ju": "ю", "ie": "є", "ye": "є", "je": "є", "yi": "ї|иї", "ji": "ї", "yi$": "ий",
           "iy$": "ій", "ii$": "ій", "ij$": "ій", "y": "и", "i": "і", "h": "г", "g": "ґ|г",
           "j": "й", _APOSTROPHE: ""},
}
REVERSE_LANGUAGES = {**{code: code for code in REVERSE}, "mn": "ru"}
# Languages whose Latin letters take an apostrophe (oʻ, gʻ, taʼlim; Kazakh 2017 a'): their
# words are also indexed with ʻ and ʼ, which the tokenizer keeps inside a word.
APOSTROPHE_LANGUAGES = ("uz", "kk", "tg")
# Latin text of a record with no language: read as the country's language written in Latin.
COUNTRY_LATIN = {"UZ": "uz", "KZ": "kk", "AZ": "az", "TM": "tk"}

# --- words -------------------------------------------------------------------------------------

APOSTROPHES = "'ʻʼʽ‘’`´"
_WORD = re.compile(r"[^\W_]+(?:[" + APOSTROPHES + r"][^\W_]+)*")
_ANY_APOSTROPHE = re.compile("[" + APOSTROPHES + "ʹʺ\"]+")
_LATIN_MARKED = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")  # Latin letters with diacritics
_VOWELS = set("аеёиоуыэюяіїєӣӯәөұүaeiouyəäöüı")
_LOOKALIKES = str.maketrans("AaBCcEeHIiKkMOoPpTXxYy", "АаВСсЕеНІіКкМОоРрТХхУу")


def _script(ch: str) -> str:
    code = ord(ch)
    if 0x400 <= code <= 0x52F or 0x1C80 <= code <= 0x1C8F or 0xA640 <= code <= 0xA69F:
        return "cyrillic"
    if ch.isascii() or 0xC0 <= code <= 0x24F or 0x1E00 <= code <= 0x1EFF or code == 0x259:
        return "latin"
    if 0x10A0 <= code <= 0x10FF or 0x1C90 <= code <= 0x1CBF or 0x2D00 <= code <= 0x2D2F:
        return "georgian"
    if 0x530 <= code <= 0x58F:
        return "armenian"
    return "other"


class _PlainLetters(dict[int, str]):
    """str.translate's table for _plain, filled as letters are met."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        plain = "".join(c for c in unicodedata.normalize("NFD", ch)
                        if not unicodedata.combining(c)) if _script(ch) == "latin" else ch
        self[code] = plain
        return plain


_PLAIN_LETTERS = _PlainLetters()


def _plain(text: str) -> str:
    """As the tokenizer compares it: Latin letters without their diacritics (unicode61's
    remove_diacritics folds those, and no Cyrillic ones: ё, й, ї, ў stay)."""
    if text.isascii() or not _LATIN_MARKED.search(text):
        return text
    return text.translate(_PLAIN_LETTERS)


_SCRIPT_OF: dict[str, str] = {}


def _scripts(word: str) -> set[str]:
    """The scripts of a word's letters (apostrophes aside)."""
    if word.isascii():
        return {"latin"} if any(ch.isalpha() for ch in word) else set()
    found = set()
    for ch in word:
        script = _SCRIPT_OF.get(ch)
        if script is None:
            script = _SCRIPT_OF[ch] = _script(ch) if ch.isalpha() and ch not in APOSTROPHES \
                else ""
        if script:
            found.add(script)
    return found


def _spellings(form: str, rich: bool, split: bool = True) -> set[str]:
    """A Latin form as it may be typed: in ASCII, with an apostrophe split, glued and dropped.

    `rich` adds ʻ and ʼ (one token each) for Uzbek-style apostrophes; `split` False keeps
    only the glued form (for an apostrophe a standard writes for ы or э, which no reader
    types). The form itself is kept beside its ASCII spelling when the tokenizer tells them
    apart (ı, ə, ł …); a letter of another script a scheme left in it is spelled by anyascii."""
    if form.isascii() and not _ANY_APOSTROPHE.search(form):  # most: nothing to spell out
        return {form.lower()}
    ascii_form = anyascii(form).lower()
    variants = {ascii_form}
    if not form.isascii() and "\u0361" not in form and _scripts(form) == {"latin"} and all(
            ch.isalpha() or ch in APOSTROPHES for ch in form):
        variants.add(form.lower())
    found = set()
    for variant in variants:
        if not _ANY_APOSTROPHE.search(variant):
            found.add(variant)
            continue
        marked = _ANY_APOSTROPHE.sub("'", variant).strip("'")
        found.add(marked.replace("'", ""))
        if split or rich:
            found.add(marked)
        if rich:
            found.update({marked.replace("'", "ʻ"), marked.replace("'", "ʼ")})
    # one spelling per token the tokenizer makes of it (istoriâ and istoria are one)
    return {min(group) for group in _groups(f for f in found if f)}


def _groups(forms: Iterable[str]) -> list[list[str]]:
    by_plain: dict[str, list[str]] = {}
    for form in forms:
        by_plain.setdefault(_plain(form), []).append(form)
    return list(by_plain.values())


def _by_table(word: str, table: dict[str, object]) -> str:
    out, previous = [], ""
    for ch in word:
        spelling = table.get(ch)
        if spelling is None:
            out.append(ch)
        elif isinstance(spelling, tuple):
            initial = not previous or previous in _VOWELS or previous in "ьъ'"
            out.append(spelling[1] if initial else spelling[0])
        else:
            out.append(str(spelling))
        previous = ch
    return "".join(out)


def _cyrillic_languages(word: str, language: str | None) -> tuple[str, ...]:
    """Russian's standards always; the declared language's; and the languages a letter
    betrays that the declared language does not have (ў in a Russian record: Uzbek or
    Belarusian)."""
    found = ["ru"]
    own = ""
    if language in CYRILLIC_LANGUAGES:
        found.append(language)
        own = ALPHABET_EXTRAS.get(language, "")
    for ch in word:
        if ch not in own:
            found.extend(LETTER_LANGUAGES.get(ch, ()))
    return tuple(dict.fromkeys(found))


def romanise(word: str, language: str | None = None, full: bool = True) -> set[str]:
    """The Latin spellings of a lower-case Cyrillic word (its language's standards, and
    Russian's); `full=False` keeps the commonest ones."""
    return set(_romanise(word, _cyrillic_languages(word, language), full))


@lru_cache(maxsize=1 << 17)
def _romanise(word: str, languages: tuple[str, ...], full: bool) -> frozenset[str]:
    outputs = []
    for code in languages:
        if not full and code != languages[min(1, len(languages) - 1)]:
            continue  # descriptions: one spelling, in the word's own language (else Russian)
        if code == "ru":
            schemes: Iterable[Scheme] = RUSSIAN if full else RUSSIAN[:1]  # ya, kh
        elif code == "uk":
            schemes = UKRAINIAN if full else UKRAINIAN[:1]  # KMU 2010
        else:
            tables = TABLES[code] if full else TABLES[code][:1]
            schemes = [lambda w, t=t: _by_table(w, t) for t in tables]
        outputs.extend(scheme(word) for scheme in schemes)
    rich = any(code in APOSTROPHE_LANGUAGES for code in languages)
    split = rich or "ь" in word or "ъ" in word or "'" in word
    found: set[str] = set()
    for output in set(outputs):
        found |= _spellings(output, rich, split)
    return frozenset(found)


def cyrillic(word: str, language: str) -> set[str]:
    """The Cyrillic forms of a lower-case Latin word read in `language` (a REVERSE key)."""
    return set(_cyrillic(word, language))


@lru_cache(maxsize=1 << 17)
def _cyrillic(word: str, language: str) -> frozenset[str]:
    table = REVERSE[language]
    word = _ANY_APOSTROPHE.sub(_APOSTROPHE, word)
    longest = max(len(key.strip("^$+")) for key in table)
    choices: list[list[str]] = []
    position = 0
    while position < len(word):
        for size in range(min(longest, len(word) - position), 0, -1):
            piece = word[position:position + size]
            end = position + size == len(word)
            following = word[position + size:position + size + 1]
            candidates = ([f"^{piece}"] if position == 0 else []) + (
                [f"{piece}$"] if end else []) + (
                [f"{piece}+"] if following and following in _VOWELS else []) + [piece]
            spelling = next((table[c] for c in candidates if c in table), None)
            if spelling is not None:
                choices.append(spelling.split("|"))
                position += size
                break
        else:  # a letter of no table (a digit, ß …): kept
            choices.append([word[position]])
            position += 1
    width = max(len(c) for c in choices)
    return frozenset("".join(c[min(i, len(c) - 1)] for c in choices) for i in range(width))


@lru_cache(maxsize=1 << 18)
def word_forms(word: str, language: str | None, latin_as: str | None, full: bool = True
               ) -> frozenset[str]:
    """The other spellings of one word as it appears in a record (case kept or not).

    `latin_as`: the language a Latin word is read in to spell it in Cyrillic (None: not)."""
    same = _plain(word.lower())
    scripts = _scripts(word)
    if "cyrillic" in scripts and "latin" in scripts:  # хiмiя: Latin look-alikes in Cyrillic
        word = word.translate(_LOOKALIKES)
        scripts.discard("latin")
    lower = word.lower()
    found: set[str] = set()
    if scripts == {"cyrillic"}:
        found.add(lower)
        if "ё" in lower:
            found.add(lower.replace("ё", "е"))
        found |= _romanise(lower, _cyrillic_languages(lower, language), full)
    elif scripts == {"latin"}:
        found |= _spellings(lower, rich=latin_as in APOSTROPHE_LANGUAGES or latin_as is None
                            and language in APOSTROPHE_LANGUAGES)
        if latin_as:
            for form in _cyrillic(lower, latin_as):
                found.add(form)
                found.add(anyascii(form).lower())  # Oʻzbekiston: uzbekiston, as in Russian
                if full and latin_as in ("ru", "uk"):  # a transliteration: the other ones
                    found |= _romanise(form, (latin_as,), False)
    elif scripts in ({"georgian"}, {"armenian"}):
        for form in _spellings(anyascii(lower), rich=False):
            found.add(form)
            if "armenian" in scripts and "ow" in form:  # ու: u, as BGN and most people write
                found.add(form.replace("ow", "u"))
    return frozenset(f for f in found if f and _plain(f) != same and len(f) > 1)


def fold(title: str | None, subjects: Iterable[str], creators: Iterable[str],
         language: str | None, country: str | None) -> str:
    """The `folded` column of one record: the other spellings of the words of its title,
    subjects and creators (what readers look for by name), space-separated. Descriptions are
    searched as written only: folding them cost five times the index and the time."""
    latin_as = REVERSE_LANGUAGES.get(language or "") or (
        COUNTRY_LATIN.get(country or "") if not language else None)
    forms: dict[str, None] = {}
    named = " ".join(creators)
    for text, reading in ((" ".join([title or "", *subjects]), latin_as),
                          # a Latin name is also looked for in Cyrillic (Shevchenko, Шевченко)
                          (named, latin_as or ("uk" if country == "UA" else "ru"))):
        for word in dict.fromkeys(_WORD.findall(text)):
            if len(word) > 1 and not word.isdigit():
                forms.update(dict.fromkeys(_sorted_forms(word, language, reading)))
    return " ".join(forms)


@lru_cache(maxsize=1 << 18)
def _sorted_forms(word: str, language: str | None, reading: str | None) -> tuple[str, ...]:
    return tuple(sorted(word_forms(word, language, reading)))
