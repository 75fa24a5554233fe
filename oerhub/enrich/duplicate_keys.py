"""Match keys: what tells that two records are one resource, or one resource in two languages.

Pure functions, no SQL (oerhub/enrich/duplicates.py stores the keys and groups the records). Each live
record gets a few keys, each with a role:

- **same** (the record *is* that resource):
  - `doi:10.1000/abc`: a DOI in any spelling: `https://doi.org/…`, `http://dx.doi.org/…`,
    `doi:`, `DOI 10.…`, `info:doi/…`, `urn:doi:…`, upper or lower case, percent-encoded.
  - `hdl:20.500.12345/678`: a handle: `hdl:`, `info:hdl/`, `https://hdl.handle.net/…`, or the
    `/handle/<prefix>/<suffix>` path of a DSpace landing page, except under DSpace's
    out-of-the-box prefix 123456789, which unregistered repositories all share.
  - `url:host/path?query`: a link, without its scheme (http and https meet), `www.`, default
    port, fragment, tracking parameters (utm_*, fbclid, …) or trailing slash; the host
    lower-cased and IDN-decoded, the path and query percent-decoded, the query sorted. A
    site's home page (no path) identifies no resource and gives no key, nor do DOI and handle
    resolver links (they give their `doi:` / `hdl:` key instead).
  - `title:<language>|<title skeleton>|<surname>`: the title and one creator's surname in
    the record's language, as skeletons (below), so "Физика: учебное пособие" and "ФИЗИКА
    (учебное пособие)" by "Иванов И. И." and "Ivanov, Ivan" meet. One key per creator: two
    records match when they share a creator; a record without creators has no title key.
- **version** (another language's version of the resource would share it):
  - `isbn-family:<EAN-group-registrant>|<surname>|<numbers>`: an ISBN's family is its
    publisher's block, `978-601-07` of 978-601-07-0123-0 (split by the ISBN ranges that
    python-stdnum ships): a publisher gives the Russian and the Kazakh edition of a
    textbook consecutive numbers of its block, not the same ISBN. A publisher's block holds
    hundreds of books, so the key adds a creator's surname and the numbers in the title
    (grade, part, volume: "Химия. 7 класс" and "Химия. 7-сынып" both give 7), which survive
    translation when the words do not.
  - `series:<series skeleton>|<surname>|<numbers>`: the same for a series or a related work
    named in `dc:relation`/`isPartOf` (as text, or as the related work's DOI, handle or URL).
- **points**: a relation that says it is a translation (`isTranslationOf: …`,
  `hasTranslation …`, schema.org `workTranslation`/`translationOfWork`, "Перевод …") and
  names a DOI, handle or URL: stored as that target's `same` key, so it meets the record
  it names.

Skeletons (`skeleton`) make spellings of one word in two scripts or two romanisations
meet: anyascii transliterates every script to ASCII (Cyrillic, Latin with diacritics,
Georgian, Armenian; a Latin "a" inside a Cyrillic word turns out the same as the Cyrillic
"а"), then a few rewrites merge what romanisations of the region's languages write
differently: шч/щ, х (kh, x, h), г (g, h), ж (zh, z, j), й/ы/и (y, j, i), я/ю/ё (ya, ia, ja…),
ў (o', u), ц (ts, c), doubled letters. A skeleton is a key, never shown: "Гнатюк", "Hnatiuk"
and "Gnatyuk" are all `hnatuk`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from anyascii import anyascii
from lxml import etree
from stdnum import isbn as stdnum_isbn

SAME, VERSION, POINTS = "same", "version", "points"

# --- DOIs and handles -------------------------------------------------------------------------

_DOI_IN_TEXT = re.compile(r"(?<![\w.])(10\.\d{4,9}/[^\s\"<>]+)", re.I)
_DOI_PREFIXES = re.compile(r"^(?:(?:urn:|info:)?doi[:/]\s*|doi\s+)", re.I)
_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
_HANDLE_HOSTS = frozenset({"hdl.handle.net", "handle.net", "www.handle.net"})
_HANDLE_PREFIXES = re.compile(r"^(?:hdl:|handle:|info:hdl/|urn:handle:|urn:hdl:)\s*", re.I)
_HANDLE = re.compile(r"^(\d+(?:\.\d+)*)/(\S+)$")
_DSPACE_HANDLE_PATH = re.compile(r"/handle/(\d+(?:\.\d+)*)/([^/?#\s]+)")
# DSpace's default prefix: repositories that never registered one all write it.
UNREGISTERED_HANDLE_PREFIXES = frozenset({"123456789"})
_TRAILING = ".,;:)]}>'\""


@lru_cache(maxsize=1024)
def _split(url: str) -> tuple[str, int | None, str, str] | None:
    """(host lower-cased, port, path, query) of a link, or None when it cannot be read;
    once per link: doi(), handle() and normalise_url() all read the same one."""
    try:
        parts = urlsplit(url)
        return (parts.hostname or "").lower(), parts.port, parts.path, parts.query
    except ValueError:  # a bad port or IPv6 literal
        return None


def doi(value: str) -> str | None:
    """The DOI a value names, lower-cased (DOIs are case-insensitive), or None.

    A link names a DOI only on a resolver's host: a publisher's page with a DOI in its path
    is kept as a link.
    """
    text = value.strip()
    lowered = text.lower()
    if lowered.startswith(("http://", "https://")):
        parts = _split(text)
        if parts is None or parts[0] not in _DOI_HOSTS:
            return None
        text = unquote(parts[2].lstrip("/"))
    else:  # "doi:10.…", "DOI 10.…", or a citation naming it
        text = _DOI_PREFIXES.sub("", text)
    found = _DOI_IN_TEXT.search(text.strip())
    if not found:
        return None
    return found.group(1).rstrip(_TRAILING).lower()


def handle(value: str) -> str | None:
    """The handle a value names (`prefix/suffix`, lower-cased as the Handle System compares
    them), or None. DSpace landing pages (`…/handle/10/3`) name theirs, but not under the
    unregistered default prefix."""
    text = value.strip()
    if text.lower().startswith(("http://", "https://")):
        parts = _split(text)
        if parts is None:
            return None
        host, path = parts[0], unquote(parts[2])
        if host in _HANDLE_HOSTS:
            text = path.lstrip("/")
        else:
            found = _DSPACE_HANDLE_PATH.search(path)
            if not found or found.group(1) in UNREGISTERED_HANDLE_PREFIXES:
                return None
            return f"{found.group(1)}/{found.group(2)}".lower()
    else:
        stripped = _HANDLE_PREFIXES.sub("", text)
        if stripped == text:  # a bare "10/3" is not said to be a handle
            return None
        text = stripped
    found = _HANDLE.match(text.strip().rstrip(_TRAILING))
    if not found or found.group(1).startswith("10."):  # "10.…/…" is a DOI
        return None
    return f"{found.group(1)}/{found.group(2)}".lower()


# --- URLs -----------------------------------------------------------------------------------

# Parameters that say where a click came from, not what it leads to.
TRACKING_PARAMETERS = frozenset({
    "fbclid", "gclid", "dclid", "yclid", "msclkid", "igshid", "mc_cid", "mc_eid", "_openstat",
    "_ga", "_gl", "ref_src",
})
_DEFAULT_PORTS = {80, 443}
_SPACE = re.compile(r"\s")
_SLASHES = re.compile(r"/{2,}")


def normalise_url(value: str) -> str | None:
    """A link as a key (`host/path?query`), or None when it is not a link to a resource.

    http and https, `www.` or not, a default port, a fragment, tracking parameters, the
    order of parameters, percent-encoding, IDN (punycode) hosts and a trailing slash all
    give the same key; the path keeps its case (servers may tell /A from /a).
    """
    text = value.strip()
    if not text.lower().startswith(("http://", "https://")) or _SPACE.search(text):
        return None
    parts = _split(text)
    if parts is None:
        return None
    host, port, raw_path, raw_query = parts
    host = host.rstrip(".")
    if not host:
        return None
    if "xn--" in host:
        try:
            host = host.encode("ascii").decode("idna")
        except UnicodeError:
            pass
    host = host.lower()
    if host.startswith("www."):
        host = host[4:]
    if port is not None and port not in _DEFAULT_PORTS:
        host = f"{host}:{port}"
    path = _SLASHES.sub("/", unquote(raw_path)).rstrip("/")
    query = [(k, v) for k, v in parse_qsl(raw_query, keep_blank_values=True)
             if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMETERS]
    if not path and not query:
        return None  # a home page: a site, not a resource
    key = host + path
    if query:
        key += "?" + unquote(urlencode(sorted(query)))
    return key


# --- ISBNs ----------------------------------------------------------------------------------

_ISBN_LABEL = re.compile(r"isbn(?:-1[03])?", re.I)
_ISBN_CANDIDATE = re.compile(r"(?<![\dXx])(?:97[89][-\s]?)?\d(?:[-\s]?\d){8}[-\s]?[\dXx](?![\dXx])")


def isbns(value: str) -> list[str]:
    """The ISBNs a value gives, as ISBN-13 without hyphens (ISBN-10 converted).

    A value labelled ISBN may give several; an unlabelled one is an ISBN only when it is
    nothing else: hyphenated, or 13 digits starting 978/979 (a bare 10-digit number passes
    the ISBN-10 check one time in eleven, so it is not taken on its own).
    """
    labelled = bool(_ISBN_LABEL.search(value))
    found = []
    for match in _ISBN_CANDIDATE.finditer(value):
        candidate = match.group(0)
        compact = re.sub(r"[-\s]", "", candidate).upper()
        if not labelled:
            whole = value.strip().removesuffix(".")
            if candidate != whole or not ("-" in candidate or (
                    len(compact) == 13 and compact.startswith(("978", "979")))):
                continue
        if stdnum_isbn.is_valid(compact):
            found.append(stdnum_isbn.to_isbn13(compact))
    return list(dict.fromkeys(found))


def isbn_family(isbn13: str) -> str | None:
    """The publisher's block of an ISBN-13 (EAN prefix, registration group, registrant):
    `978-601-07` of 9786010701230; None when the ranges do not place it."""
    try:
        ean, group, registrant, _item, _check = stdnum_isbn.split(isbn13)
    except (ValueError, stdnum_isbn.ValidationError):
        return None
    if not (ean and group and registrant):
        return None
    return f"{ean}-{group}-{registrant}"


# --- skeletons: titles and names across scripts -----------------------------------------------

# Consonants first, then the iotated vowels; in each pass the longest spelling wins.
_CONSONANTS: tuple[tuple[str, str], ...] = (
    ("shch", "s"), ("sch", "s"), ("dzh", "j"), ("sh", "s"), ("ch", "c"), ("zh", "z"),
    ("kh", "h"), ("gh", "g"), ("ts", "c"), ("tz", "c"), ("ks", "x"), ("sc", "s"),
    ("o'", "u"), ("o`", "u"), ("g'", "g"), ("g`", "g"),  # Uzbek Latin oʻ = ў, gʻ = ғ
)
_VOWELS: tuple[tuple[str, str], ...] = (
    ("yu", "u"), ("iu", "u"), ("ju", "u"), ("ya", "a"), ("ia", "a"), ("ja", "a"),
    ("ye", "e"), ("ie", "e"), ("je", "e"), ("yo", "e"), ("io", "e"), ("jo", "e"),
)
_LETTERS = str.maketrans({"y": "i", "j": "i", "q": "k", "w": "v", "x": "h", "g": "h"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_DOUBLED = re.compile(r"([a-z])\1+")
_BRACKETED = re.compile(r"\[[^\]]*\]")  # "[Электронный ресурс]", "[Text]": cataloguers' notes


_REWRITES = [(re.compile("|".join(re.escape(old) for old, _ in table)), dict(table))
             for table in (_CONSONANTS, _VOWELS)]


# anyascii maps each code point alone, so its answers for the scripts met here are one
# str.translate table (C speed); anything else still goes through anyascii.
_ASCII = {cp: anyascii(chr(cp)) for start, end in (
    (0x00A0, 0x024F),  # Latin-1 Supplement, Latin Extended-A and -B
    (0x02B0, 0x02FF),  # modifier letters (ʻ ʼ)
    (0x0370, 0x052F),  # Greek, Cyrillic, Cyrillic Supplement
    (0x0530, 0x058F),  # Armenian
    (0x10A0, 0x10FF),  # Georgian
    (0x1E00, 0x1EFF),  # Latin Extended Additional
    (0x2000, 0x206F),  # punctuation: dashes, quotes
) for cp in range(start, end + 1)}


def _to_ascii(text: str) -> str:
    if text.isascii():
        return text
    text = text.translate(_ASCII)
    return text if text.isascii() else anyascii(text)


@lru_cache(maxsize=65536)
def skeleton(text: str) -> str:
    """Letters and digits only, in a coarse ASCII spelling shared by the scripts and
    romanisations of the region (see the module docstring); the key of a word or a title.

    Each pass of rewrites goes once from left to right, so a rewrite never feeds another
    of its pass ("iya" is "i" + "ya" whichever way it was spelt).
    """
    ascii_text = _to_ascii(unicodedata.normalize("NFC", text)).lower()
    for pattern, table in _REWRITES:
        ascii_text = pattern.sub(lambda m: table[m.group(0)], ascii_text)  # noqa: B023
    ascii_text = _NOT_ALNUM.sub("", ascii_text.translate(_LETTERS))
    return _DOUBLED.sub(r"\1", ascii_text)


def title_skeleton(title: str | None) -> str | None:
    """The title's skeleton, cataloguers' bracketed notes left out; None when fewer than
    three letters remain (too little to tell two works apart)."""
    if not title:
        return None
    key = skeleton(_BRACKETED.sub(" ", title))
    return key if len(_DIGITS.sub("", key)) >= 3 else None


_NUMBERS = re.compile(r"\d+")
_DIGITS = re.compile(r"\d")  # a skeleton is [a-z0-9]: what is not a digit is a letter


def title_numbers(title: str | None) -> str:
    """The numbers in a title, in order, as `7` or `2-1`: what a translation keeps."""
    return "-".join(str(int(n)) for n in _NUMBERS.findall(title or "")[:4])


# --- creators --------------------------------------------------------------------------------

_INITIALS = re.compile(r"^(?:\w{1,2}\.)+\w{0,2}$|^\w$")
_NOT_NAMES = frozenset({"et", "al", "и", "др", "та", "ін", "etc", "and", "eds", "ed", "ред",
                        "сост", "авт", "пер", "под"})
# Patronymics (Russian, Ukrainian, Belarusian, and the Turkic "-uly"/"-kyzy" forms), as skeletons.
_PATRONYMIC = re.compile(r"(?:vic|vna|icna|uli|ulu|kizi|uhli|ohli)$")
_NAME_SPLIT = re.compile(r"[\s,;]+")
_INITIAL_DOT = re.compile(r"\.(?=\w)")  # "I.I.Ivanov" is "I. I. Ivanov"


def surnames(creator: str) -> list[str]:
    """Skeletons of a creator's surname, as far as the spelling tells it.

    "Surname, Given" (the DSpace form): before the comma. Initials are dropped, so
    "Иванов И. И.", "I. I. Ivanov" and "Ivanov I.I." give "ivanov". A name in three words
    with a patronymic gives the word the patronymic places ("Иванов Иван Иванович",
    "Иван Иванович Иванов"). Otherwise, with two or more words and no comma, the order is
    unknown (Cyrillic catalogues write the surname first, Latin ones last, Central Asian
    ones either): both the first and the last word are given, and matching needs only one.
    """
    text = _INITIAL_DOT.sub(". ", unicodedata.normalize("NFC", creator)).strip()
    if not text:
        return []
    if "," in text:
        head = text.split(",", 1)[0]
        words = [w for w in head.split() if not _is_initial(w)]
        key = skeleton(" ".join(words))
        return [key] if _is_name(key) else []
    words = [w for w in _NAME_SPLIT.split(text) if w and not _is_initial(w)]
    keys = [skeleton(w) for w in words]
    keys = [k for k in keys if _is_name(k)]
    if len(keys) <= 1:
        return keys
    patronymic = [i for i, k in enumerate(keys) if i > 0 and _PATRONYMIC.search(k)]
    if len(keys) == 3 and patronymic == [2]:
        return [keys[0]]
    if len(keys) == 3 and patronymic == [1]:
        return [keys[2]]
    return list(dict.fromkeys((keys[0], keys[-1])))


def _is_initial(word: str) -> bool:
    bare = word.strip("()[]{}.,;:")
    return bool(_INITIALS.match(word)) or not bare or bare.lower() in _NOT_NAMES


def _is_name(key: str) -> bool:
    return len(_DIGITS.sub("", key)) >= 2


def creator_keys(creators: Iterable[str]) -> list[str]:
    """Surname skeletons of all the creators, each once."""
    return list(dict.fromkeys(k for c in creators for k in surnames(c)))


# --- relations ------------------------------------------------------------------------------

_TRANSLATION_LABEL = re.compile(
    r"^\s*(?:is\s*translation\s*of|has\s*translation|translation\s*of|translated\s*from|"
    r"work\s*translation|translation\s*of\s*work|перевод(?:\s+(?:с|из))?|переклад(?:\s+з)?)"
    r"\s*[:\-–—]?\s*", re.I)
_SERIES_LABEL = re.compile(r"^\s*(?:серия|серія|сериясы|series|seria|sērija|serija)\s*[:.\-–—]?\s*",
                           re.I)


@dataclass(frozen=True)
class Relation:
    """A relation a record states: its value and whether it says it is a translation."""

    value: str
    translation: bool = False


def relation(value: str, qualifier: str = "") -> Relation:
    """A relation from its text and the name/attributes it came with; a "translation"
    label in either makes it a translation link (the label is cut from the value)."""
    text = value.strip()
    labelled = _TRANSLATION_LABEL.match(text)
    if labelled:
        return Relation(text[labelled.end():].strip(), True)
    return Relation(text, "translation" in qualifier.lower())


# Elements (DC, DCTERMS, or a repository's own) that name another work: a series, the whole
# a part belongs to, another version. dc:source is left out: it names an article's journal.
RELATION_ELEMENTS = frozenset({"relation", "ispartof", "ispartofseries", "series", "hasversion",
                               "isversionof", "istranslationof", "hastranslation",
                               "translationof", "worktranslation", "translationofwork"})
# Raw metadata that may state a relation (what `relations_from_raw` reads) contains one of these.
RELATION_MARKERS = ("elation", "sPartOf", "ranslation", "eries")
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                              recover=True, huge_tree=True)


def relations_from_raw(raw: str | None) -> list[Relation]:
    """The relations stated in a record's raw metadata (the normalised record keeps none).

    XML (oai_dc, DCTERMS, LOM): the elements of RELATION_ELEMENTS, with their attributes as
    qualifier (`<dc:relation type="isTranslationOf">`); LOM's relation/resource names its
    kind. JSON (schema.org): isPartOf, workTranslation and translationOfWork, as an
    @id, url, identifier or name. Unreadable metadata gives none.
    """
    if not raw or not any(marker in raw for marker in RELATION_MARKERS):
        return []
    text = raw.lstrip()
    if text[:1] in ("{", "["):
        try:
            return list(_json_relations(json.loads(text)))
        except ValueError:
            return []
    try:
        root = etree.fromstring(text.encode("utf-8"), _XML_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return []
    if root is None:
        return []
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = element.tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()
        if local not in RELATION_ELEMENTS:
            continue
        if len(element):  # LOM: <relation><kind><value>…</value></kind><resource>…
            kind = " ".join(t.strip() for t in element.xpath(".//*[local-name()='kind']//text()"))
            for entry in element.xpath(".//*[local-name()='resource']//*[local-name()='entry' "
                                       "or local-name()='string']"):
                if (entry.text or "").strip():
                    found.append(relation(entry.text, f"{local} {kind}"))
            continue
        qualifier = " ".join([local, *(f"{k} {v}" for k, v in element.attrib.items())])
        if (element.text or "").strip():
            found.append(relation(element.text, qualifier))
    return found


def _json_relations(node: Any) -> Iterator[Relation]:
    nodes = node if isinstance(node, list) else node.get("@graph", [node]) \
        if isinstance(node, dict) else []
    for item in nodes:
        if not isinstance(item, dict):
            continue
        for key, translation in (("isPartOf", False), ("workTranslation", True),
                                 ("translationOfWork", True)):
            values = item.get(key)
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, dict):
                    value = next((value[k] for k in ("@id", "url", "identifier", "name")
                                  if isinstance(value.get(k), str)), None)
                if isinstance(value, str) and value.strip():
                    yield Relation(value.strip(), translation)


def identity_keys(value: str) -> list[str]:
    """The `same` keys one identifier or link gives (a DOI, a handle, a link)."""
    found = doi(value)
    if found:
        return [f"doi:{found}"]
    named = handle(value)
    keys = [f"hdl:{named}"] if named else []
    text = value.strip()
    if text.lower().startswith(("http://", "https://")):
        parts = _split(text)
        if parts is not None and parts[0] not in _HANDLE_HOSTS and parts[0] not in _DOI_HOSTS:
            url = normalise_url(text)
            if url:
                keys.append(f"url:{url}")
    return keys


# --- a record's keys ---------------------------------------------------------------------------


@dataclass
class RecordFacts:
    """What matching reads of a stored record."""

    id: int
    source_id: str
    title: str | None = None
    language: str | None = None
    url: str | None = None
    identifiers: Sequence[str] = ()
    creators: Sequence[str] = ()
    relations: Sequence[Relation] = field(default_factory=tuple)


def record_keys(record: RecordFacts) -> list[tuple[str, str]]:
    """Every (key, role) of one record, each key once (see the module docstring)."""
    keys: dict[str, str] = {}
    for value in [record.url or "", *record.identifiers]:
        if value:
            for key in identity_keys(value):
                keys.setdefault(key, SAME)
    names = creator_keys(record.creators)
    title = title_skeleton(record.title)
    if title and names:
        language = record.language or ""
        for name in names:
            keys.setdefault(f"title:{language}|{title}|{name}", SAME)
    numbers = title_numbers(record.title)
    families = [isbn_family(n) for value in [*record.identifiers,
                                            *(r.value for r in record.relations)]
                for n in isbns(value)]
    for family in dict.fromkeys(f for f in families if f):
        for name in names:
            keys.setdefault(f"isbn-family:{family}|{name}|{numbers}", VERSION)
    for rel in record.relations:
        if not rel.value:
            continue
        targets = identity_keys(rel.value)
        if rel.translation:
            for target in targets:
                keys.setdefault(target, POINTS)
            continue
        if isbns(rel.value):
            continue  # an ISBN in a relation is a family above, not a series name
        # "Серия: Учебники;5" (DSpace's ispartofseries: name;number): the series is "Учебники"
        series = targets[0] if targets else title_skeleton(
            _SERIES_LABEL.sub("", rel.value).split(";", 1)[0])
        if series:
            for name in names:
                keys.setdefault(f"series:{series}|{name}|{numbers}", VERSION)
    return list(keys.items())


def key_kind(key: str) -> str:
    """doi, hdl, url, title, isbn-family or series."""
    return key.split(":", 1)[0]
