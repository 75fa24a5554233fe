"""Word forms: `физика` finds `по физике`, `fizikas` finds `Fizika`, `тарихы` finds `Тарих`.

Each word of a record and each word of a query go through the same analysis: its *keys*, the
stems and lemmas of the word in the languages it may be in. A record is indexed with its
words' keys (records_search's `forms`: title, subjects, creators; `text_forms`: description);
a query word matches a record holding any of its keys.

Which analyser, chosen by measuring recall, precision, speed and size on the tests' query
table (tests/test_word_forms.py, README "Word forms"):

- Snowball stemmers (PyStemmer: the Snowball C code, 1.2 µs a word against 45 µs for the
  pure-Python snowballstemmer, 2.6 MB) for ru, en, et, lt, ro and hy.
- simplemma's dictionaries (lemmas; 19 MB with every language, each loaded on first use, 0.3
  to 1 s) for uk, lv and ka, which Snowball lacks, and beside Snowball for et, hy and ro, where
  the table showed stems missing forms (Estonian õpikud/õpik and ajaloo/ajalugu, Armenian
  քիմիայի/քիմիա, Romanian culegeri/culegere); the lemma is stemmed too, so the two agree. Not
  for ru, en, lt: Snowball alone found every form of the table there, and each dictionary
  costs a second per process.
- pymorphy3 (ru, uk dictionaries): measured against these on the table's ru and uk queries
  (benchmarks/analysers.py, README "Word forms"); not used (see there why).
- Our own suffix stripping (SUFFIXES below, small and tested) for the languages no library
  covers: kk, ky, uz, az, tk, tg and be; and for uk beside simplemma, whose dictionary lacks
  some forms (`англійська`); a query's last or short word is also a prefix
  (search_query.py), which covers what the stripping misses.

A record's words are analysed in its language (declared or detected) when that language is
written in the word's script, else in the languages of the script and the record's country;
a query's words in every language of their script (or the one --language names).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

import simplemma
import Stemmer

SNOWBALL = {"ru": "russian", "en": "english", "et": "estonian", "lt": "lithuanian",
            "ro": "romanian", "hy": "armenian"}
LEMMAS = ("uk", "lv", "ka", "et", "hy", "ro")  # measured: see the docstring

# Case, number and possessive endings of the languages no library covers, longest first
# when tried; stripped up to three times while a stem of MIN_STEM letters or more is left.
_TURKIC_CYRILLIC = ("лары", "лері", "дары", "дері", "тары", "тері", "ларга", "лерге",
                    "ның", "нің", "дың", "дің", "тың", "тің", "нын", "нин", "дын", "дин",
                    "тын", "тин", "нинг", "лар", "лер", "дар", "дер", "тар", "тер",
                    "ға", "ге", "қа", "ке", "га", "ка", "да", "де", "та", "те", "дан", "ден",
                    "тан", "тен", "нан", "нен", "сы", "сі", "си", "ы", "і", "и", "ни", "ны",
                    "ні", "ын", "ін", "мен", "бен", "пен", "дагы", "даги", "дағы", "дегі")
SUFFIXES: dict[str, tuple[str, ...]] = {
    "kk": _TURKIC_CYRILLIC,
    "ky": _TURKIC_CYRILLIC + ("ү", "у", "лор", "лөр", "дор", "дөр", "тор", "төр", "нун",
                              "нүн", "дун", "дүн", "го", "гө", "ко", "кө", "до", "дө", "то",
                              "тө", "су", "сү"),
    "uz": ("lari", "larni", "larga", "larda", "lardan", "lar", "ning", "dagi", "dan", "ni",
           "ga", "ka", "qa", "da", "si", "i", "лари", "лар", "нинг", "даги", "дан", "ни",
           "га", "ка", "қа", "да", "си", "и"),
    "az": ("ları", "ləri", "lar", "lər", "nın", "nin", "nun", "nün", "dan", "dən", "da",
           "də", "ın", "in", "un", "ün", "sı", "si", "su", "sü", "ı", "i", "u", "ü", "a", "ə"),
    "tk": ("lary", "leri", "lar", "ler", "nyň", "niň", "dan", "den", "da", "de", "yň", "iň",
           "sy", "si", "y", "i", "a", "e"),
    "tg": ("ҳои", "ҳо", "ои", "и", "ро", "он", "ӣ"),
    "ka": ("ებისთვის", "ებით", "ების", "ებს", "ებში", "ები", "ისთვის", "ის", "ით", "ად",
           "ში", "ზე", "ს", "ი", "მა", "ო"),
    # Ukrainian beside simplemma, for the forms its dictionary lacks (англійська, not a lemma)
    "uk": ("ого", "ому", "ими", "ами", "ями", "ій", "ої", "их", "им", "ий", "ів", "ам", "ах",
           "ях", "ою", "ею", "а", "я", "у", "ю", "і", "и", "о", "е", "ь"),
    "be": ("ымі", "амі", "ямі", "ага", "яга", "аму", "яму", "ых", "ым", "ыя", "ія", "ай",
           "ая", "ое", "ае", "ам", "ах", "оў", "еў", "аў", "яў", "іі", "ію", "ы", "і", "а", "я",
           "у", "ю", "е", "о", "ь"),
}
MIN_STEM = 4
# A stem's last consonant as the word's end spells it once an ending is gone (қазақ: оқулық,
# оқулығы; Azerbaijani dərslik, dərsliyi; Turkmen kitap, kitaby).
VOICING = {"kk": {"ғ": "қ", "г": "к"}, "ky": {"г": "к", "б": "п"}, "uz": {"g": "k"},
           "az": {"y": "k", "ğ": "q"}, "tk": {"b": "p", "g": "k", "d": "t"},
           "be": {"ц": "к"}}  # Belarusian фізіка, па фізіцы

# Derivations the analysers keep apart, joined by two rules: a noun in -ник is found by its
# adjective's stem (учебник → учебн, as in учебное, учебный; задачник → задачн), and an
# adjective's stem in -н by its noun's (литературн → литератур, as in литература).
DERIVED = {"ru": ("ик",), "uk": ("ик",), "be": ("ік",)}

SCRIPT_LANGUAGES = {
    "cyrillic": ("ru", "uk", "be", "kk", "ky", "uz", "tg"),
    "latin": ("en", "et", "lv", "lt", "ro", "az", "tk", "uz"),
    "armenian": ("hy",),
    "georgian": ("ka",),
}
LANGUAGE_SCRIPTS = {language: script for script, languages in SCRIPT_LANGUAGES.items()
                    for language in languages if language != "uz"}
LANGUAGE_SCRIPTS["uz"] = "both"
COUNTRY_LANGUAGES = {"EE": "et", "LV": "lv", "LT": "lt", "MD": "ro", "RO": "ro", "AZ": "az",
                     "TM": "tk", "UZ": "uz", "KZ": "kk", "KG": "ky", "TJ": "tg", "BY": "be",
                     "AM": "hy", "GE": "ka", "UA": "uk", "RU": "ru"}
LANGUAGES = ("ru", "uk", "be", "kk", "ky", "uz", "az", "tg", "tk", "hy", "ka", "et", "lv",
             "lt", "ro", "en")


@lru_cache(maxsize=None)
def _stemmer(language: str) -> Callable[[str], str]:
    return Stemmer.Stemmer(SNOWBALL[language]).stemWord  # type: ignore[no-any-return]


def strip_suffixes(word: str, language: str) -> str:
    """Our fallback: the word without its case, number and possessive endings."""
    suffixes = SUFFIXES[language]
    stripped = word
    for _ in range(3):
        for suffix in sorted((s for s in suffixes if stripped.endswith(s)), key=len,
                             reverse=True):
            if len(stripped) - len(suffix) >= MIN_STEM:
                stripped = stripped[:-len(suffix)]
                break
        else:
            break
    voicing = VOICING.get(language, {})
    if stripped != word and stripped[-1] in voicing:
        stripped = stripped[:-1] + voicing[stripped[-1]]
    return stripped


@lru_cache(maxsize=1 << 18)
def keys(word: str, language: str) -> frozenset[str]:
    """The stems and lemmas of one lower-case word in one language (the word itself aside)."""
    found: set[str] = set()
    if language in SNOWBALL:
        found.add(_stemmer(language)(word))
    if language in LEMMAS:
        lemma = simplemma.lemmatize(word, lang=language).lower()
        found.add(lemma)
        if language in SNOWBALL:
            found.add(_stemmer(language)(lemma))
    if language in SUFFIXES:
        found.add(strip_suffixes(word, language))
    if language == "be":  # Belarusian words share many stems with Russian
        found.add(_stemmer("ru")(word))
    if language in DERIVED:  # учебник: a noun of the adjective учебный (учебное пособие)
        found |= {key[:-len(suffix)] for key in (word, *found) for suffix in DERIVED[language]
                  if key.endswith(suffix) and len(key) - len(suffix) >= 5}
        # an adjective in -н- is found by its noun (литературного чтения: литература)
        found |= {key[:-1] for key in found if key.endswith("н") and len(key) >= 7}
    return frozenset(k for k in found if len(k) > 1 and k != word and " " not in k)


def script_of(word: str) -> str:
    """The script of a word, by its first letter with one."""
    for ch in word:
        code = ord(ch)
        if 0x400 <= code <= 0x52F:
            return "cyrillic"
        if 0x530 <= code <= 0x58F:
            return "armenian"
        if 0x10A0 <= code <= 0x10FF or 0x1C90 <= code <= 0x1CBF:
            return "georgian"
        if ch.isalpha() and (ch.isascii() or 0xC0 <= code <= 0x24F or 0x1E00 <= code <= 0x1EFF
                             or code == 0x259):
            return "latin"
    return "other"


def record_languages(script: str, language: str | None, country: str | None
                     ) -> tuple[str, ...]:
    """The languages a record's word in `script` is analysed in: the record's own when it is
    written in that script, else the script's usual ones and the country's."""
    if language in LANGUAGE_SCRIPTS and LANGUAGE_SCRIPTS[language] in (script, "both"):
        return (language,)
    usual = {"cyrillic": ("ru", "uk"), "latin": ("en",), "armenian": ("hy",),
             "georgian": ("ka",)}.get(script, ())
    national = COUNTRY_LANGUAGES.get(country or "")
    if national and LANGUAGE_SCRIPTS.get(national) in (script, "both"):
        return tuple(dict.fromkeys((*usual, national)))
    return usual


def word_keys(word: str, languages: Iterable[str]) -> set[str]:
    """A word's keys in each of `languages`, lower-cased."""
    lower = word.lower()
    found: set[str] = set()
    for language in languages:
        found |= keys(lower, language)
    return found


def record_forms(words: Iterable[str], language: str | None, country: str | None) -> str:
    """The `forms` column of a record: its words' keys, space-separated, each once."""
    forms: dict[str, None] = {}
    for word in words:
        if len(word) > 1 and not word.isdigit():
            languages = record_languages(script_of(word), language, country)
            forms.update(dict.fromkeys(sorted(word_keys(word, languages))))
    return " ".join(forms)


def query_languages(word: str, language: str | None = None) -> tuple[str, ...]:
    """The languages a query word is tried in: every language of its script, or `language`."""
    if language:
        return (language,)
    return SCRIPT_LANGUAGES.get(script_of(word), ())


def spelled_forms(folded: str, language: str | None, country: str | None) -> str:
    """The forms of the Cyrillic spellings of a record's Latin words (`Fizika darsligi`:
    физика → физик), in its languages and Russian, so that `физике` finds it too."""
    words = [word for word in folded.split() if script_of(word) == "cyrillic"]
    if not words:
        return ""
    languages = (*record_languages("cyrillic", language, country), "ru")
    forms: dict[str, None] = {}
    for word in words:
        forms.update(dict.fromkeys(sorted(word_keys(word, dict.fromkeys(languages)))))
    return " ".join(form for form in forms if form not in words)
