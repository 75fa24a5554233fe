"""dc:rights / LOM rights spellings → a licence id, the licence URL and the access status.

Rights fields mix three things: a licence (as a URL, a short name, or a long name in
any of the region's languages), an access statement (info:eu-repo/semantics/openAccess,
"открытый доступ"), and copyright words ("© Автор, 2015"). We pull out the first two
and ignore the rest.

A licence with a version is its SPDX id (CC-BY-4.0). A ported CC licence (…/by-nc-nd/3.0/de/)
is the SPDX id of the port where SPDX has one (CC-BY-NC-ND-3.0-DE), else the unported id of
the same version; the URL, kept exactly as written, still says which port it was.

A licence named without a version ("CC BY-NC-ND", EPrints' "cc_by_nc", "Creative Commons
Attribution License"), or with a version SPDX does not list (2.1 outside Japan), is its
family: `LicenseRef-CC-BY-NC-ND`. The rights differ between versions, so we do not guess
one; the SPDX LicenseRef- prefix keeps a family apart from every versioned id (a query
tells them apart with `license LIKE 'LicenseRef-%'`) while the licence facet and the
open-licence share (oerhub/catalogue/rules.py: a licence is stated) count it. "Public
domain" in words is `LicenseRef-PublicDomain` (a status, not an instrument: no SPDX id).
CC0 and the Public Domain Mark exist in one version each and need none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from oerhub.normalize import vocab
from oerhub.normalize.text import clean_text

_VOCAB = "licenses"

ACCESS_VALUES = ("open", "embargoed", "restricted", "closed")


FAMILY_PREFIX = "LicenseRef-"


@dataclass(frozen=True)
class License:
    """What one or more rights values say: licence id (SPDX, or a LicenseRef- family),
    licence URL as written, access status."""

    spdx: str | None = None
    url: str | None = None
    access: str | None = None


# --- rules read from the raw value (URLs survive only there: clean_text drops <a href>) ---
_CC_URL_RE = re.compile(
    r"(?:https?://)?(?:www\.)?creativecommons\.org/(?P<kind>licenses|publicdomain)/"
    r"(?P<code>[a-z+-]+)(?:/(?P<version>\d+(?:\.\d+)?)(?:/(?P<port>[a-z]{2,3})(?![a-z]))?)?"
    r"[^\s\"'<>]*",
    re.IGNORECASE,
)
# Licence badges (<img src="https://i.creativecommons.org/l/by/4.0/88x31.png">): the id
# is reliable, but a picture is not the licence URL, so no url comes from these.
_CC_BADGE_RE = re.compile(
    r"(?:i\.creativecommons\.org|licensebuttons\.net)/(?P<kind>l|p)/"
    r"(?P<code>[a-z+-]+)/(?P<version>\d+(?:\.\d+)?)",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:)]}"
_EU_ACCESS_RE = re.compile(r"info:eu-repo/semantics/(open|embargoed|restricted|closed)access",
                           re.IGNORECASE)
_COAR_ACCESS_RE = re.compile(r"purl\.org/coar/access_right/(c_[0-9a-z]+)", re.IGNORECASE)

# --- rules read from the folded text (lower case, punctuation → spaces, "4,0" → "4.0") ---
_DECIMAL_COMMA_RE = re.compile(r"(?<=\d),(?=\d)")
_NON_WORD_RE = re.compile(r"[^\w.+]+")
_LOOSE_DOT_RE = re.compile(r"(?<!\d)\.|\.(?!\d)")
# "СС BY" typed with Cyrillic С's is common in Russian-language repositories.
_CYRILLIC_CC_RE = re.compile(r"(?<!\w)сс(?=0?(?!\w))")
_SHORT_RE = re.compile(
    r"(?<!\w)cc\s?by(?P<els>(?:\s?(?:nc|nd|sa))*)(?:\s?v?(?P<version>\d(?:\.\d)?))?(?![\w.])"
)
_ELEMENT_RE = re.compile(r"nc|nd|sa")
# Words glued where a line break or tag was lost ("Open AccessThis article…"): a lower-case
# letter followed by a capital is a word boundary ("ShareAlike", "openAccess" split alike).
_GLUED_RE = re.compile(r"(?<=[a-zа-яёіїєґў])(?=[A-ZА-ЯЁІЇЄҐЎ])")
_CC0_RE = re.compile(r"(?<!\w)cc\s?(?:0|zero)(?!\w|\.\d)")
_VERSION_RE = re.compile(r"(?<![\w.])v?(?P<version>[1-4]\.[015])(?![\w.])")
_LATER = r"(?P<later>\s?\+|\s(?:or|или|або)(?:\s\w+){0,2}?\s(?:later|newer|поздн\w*|пізніш\w*))?"


@dataclass(frozen=True)
class _Rules:
    known: frozenset[str]
    families: frozenset[str]
    cc_names: tuple[str, ...]
    public_domain_words: tuple[str, ...]
    elements: dict[str, tuple[str, ...]]
    public_domain: dict[str, tuple[str, ...]]
    access: dict[str, tuple[str, ...]]
    coar_access: dict[str, str]
    gnu_re: re.Pattern[str]
    gnu_family: dict[str, str]
    phrases: dict[str, tuple[str, ...]]
    exact: dict[str, str]


def _fold(text: str) -> str:
    """Matching key: "Атрибуция — Некоммерческое 4,0" → "атрибуция некоммерческое 4.0";
    "cc_by_nc" (EPrints) → "cc by nc"."""
    text = _GLUED_RE.sub(" ", text).replace("_", " ").casefold().replace("ё", "е")
    # Turkish: "İ" casefolds to "i" + a combining dot, "I" to "i" (not "ı"): fold all to "i"
    text = text.replace("\u0307", "").replace("ı", "i")
    text = _DECIMAL_COMMA_RE.sub(".", text)
    text = _NON_WORD_RE.sub(" ", text)
    text = _LOOSE_DOT_RE.sub(" ", text)
    return " ".join(text.split())


def _phrases(where: str, value: object) -> tuple[str, ...]:
    return tuple(_fold(p) for p in vocab.string_list(_VOCAB, where, value))


@cache
def _rules() -> _Rules:
    """Read licenses.toml once and check that every id it can produce is a listed SPDX id."""
    spdx = vocab.section(_VOCAB, "spdx")
    known = frozenset(vocab.string_list(_VOCAB, "spdx.ids", spdx.get("ids"))
                      + vocab.string_list(_VOCAB, "spdx.ported", spdx.get("ported")))
    family_table = vocab.section(_VOCAB, "families")
    families = frozenset(vocab.string_list(_VOCAB, "families.ids", family_table.get("ids")))
    for family in families:
        if not family.startswith(FAMILY_PREFIX):
            raise vocab.fail(_VOCAB, "families.ids", f"{family!r} must start with {FAMILY_PREFIX}")

    def check(spdx_id: str, where: str) -> str:
        if spdx_id not in known:
            raise vocab.fail(_VOCAB, where, f"{spdx_id!r} is not in spdx.ids")
        return spdx_id

    elements_table = vocab.section(_VOCAB, "cc", "elements")
    elements = {}
    for element in ("by", "nc", "nd", "sa"):
        elements[element] = _phrases(f"cc.elements.{element}", elements_table.get(element))
    public_domain = {
        check(key, f"cc.public_domain.{key}"): _phrases(f"cc.public_domain.{key}", value)
        for key, value in vocab.section(_VOCAB, "cc", "public_domain").items()
    }
    access_table = vocab.section(_VOCAB, "access")
    access = {}
    for status in ACCESS_VALUES:
        access[status] = _phrases(f"access.{status}", access_table.get(status))
    coar_access = {}
    for status, code in vocab.section(_VOCAB, "access", "coar").items():
        if status not in ACCESS_VALUES:
            raise vocab.fail(_VOCAB, f"access.coar.{status}", f"not one of {ACCESS_VALUES}")
        coar_access[vocab.string_value(_VOCAB, f"access.coar.{status}", code).lower()] = status

    gnu_family: dict[str, str] = {}
    for family, names in vocab.section(_VOCAB, "other", "gnu").items():
        for name in _phrases(f"other.gnu.{family}", names):
            gnu_family[name] = family
    alternation = "|".join(re.escape(n) for n in sorted(gnu_family, key=len, reverse=True))
    gnu_re = re.compile(
        rf"(?<!\w)(?P<family>{alternation})(?:\s(?:version|ver|v|версия|версії|версія|версии))?"
        rf"\s?v?(?P<version>\d(?:\.\d)?)(?![\d.]){_LATER}"
    )
    phrases = {
        check(key, f"other.phrases.{key}"): _phrases(f"other.phrases.{key}", value)
        for key, value in vocab.section(_VOCAB, "other", "phrases").items()
    }
    exact = {_fold(spdx_id): spdx_id for spdx_id in known | families}
    for key, value in vocab.section(_VOCAB, "other", "exact").items():
        for spelling in _phrases(f"other.exact.{key}", value):
            exact[spelling] = check(key, f"other.exact.{key}")
    return _Rules(known, families, _phrases("families.creative_commons",
                                            family_table.get("creative_commons")),
                  _phrases("families.public_domain", family_table.get("public_domain")),
                  elements, public_domain, access, coar_access, gnu_re, gnu_family, phrases, exact)


def _contains(padded: str, phrases: Iterable[str]) -> bool:
    """Whole-word containment; `padded` is the folded text with a space at each end."""
    return any(f" {phrase} " in padded for phrase in phrases)


def _version(version: str) -> str:
    return version if "." in version else f"{version}.0"


def is_family(licence: str | None) -> bool:
    """A licence known by its family only (no version): `LicenseRef-CC-BY-SA`."""
    return licence is not None and licence.startswith(FAMILY_PREFIX)


def _cc_id(code: str, version: str | None, rules: _Rules, port: str | None = None) -> str | None:
    """CC licence code from a URL or short name ("by-nc-sa", "4.0", "de") → SPDX id: the
    port's where SPDX lists it, else the unported one; the family when SPDX lists neither
    (or no version is given); None for a code that is no CC licence."""
    parts = code.lower().replace("+", "-").split("-")
    if parts[0] != "by":
        return None  # CC 1.0 also had nc/nd/sa licences without BY; SPDX does not list them
    extras = set(parts[1:])
    if len(extras) != len(parts) - 1 or not extras <= {"nc", "nd", "sa"} or {"nd", "sa"} <= extras:
        return None
    name = "CC-BY" + "".join(f"-{e.upper()}" for e in ("nc", "nd", "sa") if e in extras)
    if version is not None:
        spdx = f"{name}-{_version(version)}"
        if port and f"{spdx}-{port.upper()}" in rules.known:
            return f"{spdx}-{port.upper()}"
        if spdx in rules.known:
            return spdx
    family = FAMILY_PREFIX + name
    return family if family in rules.families else None


def _public_domain_id(code: str, version: str | None) -> str | None:
    code = code.lower()
    if version is not None and _version(version) != "1.0":
        return None
    return {"zero": "CC0-1.0", "mark": "CC-PDM-1.0"}.get(code)


def _from_urls(raw: str, rules: _Rules) -> tuple[str | None, str | None]:
    """(spdx, url) from a creativecommons.org URL or CC badge in the raw value."""
    url = None
    for m in _CC_URL_RE.finditer(raw):
        if m["kind"].lower() == "publicdomain":
            spdx = _public_domain_id(m["code"], m["version"])
        else:
            spdx = _cc_id(m["code"], m["version"], rules, m["port"])
        found_url = m.group(0).rstrip(_URL_TRAILING)
        if spdx:
            return spdx, found_url
        url = url or found_url
    for m in _CC_BADGE_RE.finditer(raw):
        if m["kind"].lower() == "p":
            spdx = _public_domain_id(m["code"], m["version"])
        else:
            spdx = _cc_id(m["code"], m["version"], rules)
        if spdx:
            return spdx, url
    return None, url


def _from_cc_names(folded: str, rules: _Rules) -> str | None:
    """Short ("cc by nc sa 4.0") and long ("Attribution ShareAlike 4.0") CC names, any language."""
    text = _CYRILLIC_CC_RE.sub("cc", folded)
    padded = f" {text} "
    if _CC0_RE.search(text):
        return "CC0-1.0"
    for spdx, phrases in rules.public_domain.items():
        if _contains(padded, phrases):
            return spdx
    any_version = _VERSION_RE.search(text)
    version = any_version["version"] if any_version else None
    short = _SHORT_RE.search(text)
    if short:
        return _cc_id("-".join(["by", *_ELEMENT_RE.findall(short["els"])]),
                      short["version"] or version, rules)
    if not _contains(padded, rules.elements["by"]):
        return None
    if version is None and not _contains(padded, rules.cc_names):
        return None  # "Attribution required" names no licence; "Creative Commons Attribution" does
    extras = [e for e in ("nc", "nd", "sa") if _contains(padded, rules.elements[e])]
    return _cc_id("-".join(["by", *extras]), version, rules)


def _from_other(folded: str, rules: _Rules) -> str | None:
    """Non-CC licences common on OER: SPDX ids as written, GNU licences, MIT, Apache-2.0."""
    exact = rules.exact.get(folded)
    if exact:
        return exact
    m = rules.gnu_re.search(folded)
    if m:
        family = rules.gnu_family[m["family"]]
        suffix = "or-later" if m["later"] else "only"
        spdx = f"{family}-{_version(m['version'])}-{suffix}"
        return spdx if spdx in rules.known else None
    padded = f" {folded} "
    for spdx, phrases in rules.phrases.items():
        if _contains(padded, phrases):
            return spdx
    return None


def _access(raw: str, folded: str, rules: _Rules) -> str | None:
    m = _EU_ACCESS_RE.search(raw)
    if m:
        return m.group(1).lower()
    m = _COAR_ACCESS_RE.search(raw)
    if m and m.group(1).lower() in rules.coar_access:
        return rules.coar_access[m.group(1).lower()]
    padded = f" {folded} "
    for status, phrases in rules.access.items():
        if _contains(padded, phrases):
            return status
    return None


def normalize_license(value: str | None) -> License:
    """Licence (SPDX id + URL as written) and access status stated by one rights value."""
    if not value or not value.strip():
        return License()
    rules = _rules()
    text = clean_text(value) or ""
    folded = _fold(text)
    access = _access(value, folded, rules)
    spdx, url = _from_urls(value, rules)
    if spdx is None and folded:
        spdx = (rules.exact.get(folded) or _from_cc_names(folded, rules)
                or _from_other(folded, rules) or _public_domain_words(folded, rules))
    return License(spdx=spdx, url=url, access=access)


def _public_domain_words(folded: str, rules: _Rules) -> str | None:
    """"Public domain" in words: a status, kept as a family of its own (see the docstring)."""
    if _contains(f" {folded} ", rules.public_domain_words):
        return FAMILY_PREFIX + "PublicDomain"
    return None


def pick_license(values: Iterable[str | None]) -> License:
    """Combine several rights values: the first giving a versioned id wins, else the first
    giving a family ("CC BY-SA" beside ".../by-sa/4.0/" is CC-BY-SA-4.0); access from any value.

    The URL is the winner's own, else the first licence URL that does not contradict it
    (a URL of the same licence, or one we could not read).
    """
    results = [normalize_license(value) for value in values if value]
    access = next((r.access for r in results if r.access), None)
    winner = next((r for r in results if r.spdx and not is_family(r.spdx)),
                  next((r for r in results if r.spdx), None))
    if winner is None:
        return License(spdx=None, url=next((r.url for r in results if r.url), None), access=access)
    url = winner.url or next(
        (r.url for r in results if r.url and r.spdx in (None, winner.spdx)), None
    )
    return License(spdx=winner.spdx, url=url, access=access)
