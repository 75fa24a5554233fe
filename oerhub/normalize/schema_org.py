"""Mapper for schema.org / LRMI nodes (format "schema.org"): the sitemap harvester's records.

A node is what `harvesters.embedded` made of a page's JSON-LD, microdata or RDFa: plain
schema.org keys whose values may be strings, objects (Language, DefinedTerm, Person,
CreativeWork, PropertyValue, AlignmentObject) or arrays of either. The values are picked into
the flat fields of `oerhub.normalize.fields`, so a language, licence, type, level or date is
normalised exactly as for OAI-PMH records. Rules worth knowing:
- resource type: learningResourceType is what the publisher chose for learners; @type
  (Course, Book, VideoObject) only speaks when learningResourceType maps to nothing;
- date: datePublished, else dateCreated, else dateModified (the first that reads as a date);
- access: isAccessibleForFree true → open, false → restricted (a licence saying more wins);
- education level: educationalLevel and educationalAlignment (educationLevel), plus
  typicalAgeRange read as ages ("10-12" → ISCED 1, 2; oerhub/normalize/education.py);
- url: `url`, else an http(s) `@id`, else the page the node came from (its identifier).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from oerhub.models import Record
from oerhub.normalize import cached
from oerhub.normalize.fields import map_fields

SCHEMA_PREFIXES = ("https://schema.org/", "http://schema.org/", "schema:")
_KEYWORD_SPLIT = re.compile(r"[,;]")
_OUR_FRAGMENT = re.compile(r"#\d+$")  # the harvester's "#n" for the n-th node of a page
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
LEVEL_ALIGNMENTS = {"educationallevel", "educationlevel"}
SUBJECT_ALIGNMENTS = {"educationalsubject"}


def map_into(node: Mapping[str, Any], record: Record) -> None:
    """Fill `record` from one schema.org node."""
    if not isinstance(node, Mapping):
        return
    learning_types = terms(node.get("learningResourceType"))
    fields = {
        "title": texts(node.get("name")) or texts(node.get("headline")),
        "description": texts(node.get("description")),
        "url": urls(node, record.identifier),
        "language": languages(node.get("inLanguage")),
        "license": licences(node.get("license")),
        "resource_type": learning_types + [_short(t) for t in texts(node.get("@type"))],
        "education_level": terms(node.get("educationalLevel")) + aligned(node, LEVEL_ALIGNMENTS),
        "age_range": texts(node.get("typicalAgeRange")),
        "subjects": subjects(node),
        "creators": agents(node.get("author")) + agents(node.get("creator")),
        "publisher": (agents(node.get("publisher")) + agents(node.get("provider"))
                      + agents(node.get("sourceOrganization"))),
        "date": first_date(node),
        "identifiers": identifiers(node),
        "access": access(node.get("isAccessibleForFree")),
    }
    map_fields(fields, record)
    chosen = cached.pick_resource_type(learning_types) if learning_types else None
    if chosen is not None:
        record.resource_type = chosen


# --- value shapes ----------------------------------------------------------------------


def _items(value: Any) -> Iterator[Any]:
    """A value's items: arrays opened (nested too), None dropped."""
    if value is None:
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _items(item)
    else:
        yield value


def _text(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("@value")
    if isinstance(value, bool) or value is None or isinstance(value, (Mapping, list)):
        return None
    text = str(value).strip()
    return text or None


def texts(value: Any) -> list[str]:
    """The literal strings of a value (language-tagged {"@value"} ones too)."""
    return [t for t in (_text(item) for item in _items(value)) if t]


def terms(value: Any) -> list[str]:
    """Strings, or the names of DefinedTerm / Thing objects (else their code or URI)."""
    found = []
    for item in _items(value):
        if isinstance(item, Mapping) and "@value" not in item:
            named = texts(item.get("name")) or texts(item.get("termCode")) or texts(
                item.get("url")) or texts(item.get("@id"))
            found.extend(named[:1])
        else:
            found.extend(texts(item))
    return found


def _short(name: str) -> str:
    for prefix in SCHEMA_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


# --- fields ----------------------------------------------------------------------------


def urls(node: Mapping[str, Any], identifier: str | None) -> list[str]:
    found = [u for u in texts(node.get("url")) if u.startswith(("http://", "https://"))]
    if not found:
        found = [u for u in texts(node.get("@id")) if u.startswith(("http://", "https://"))]
    if not found and identifier and identifier.startswith(("http://", "https://")):
        found = [_OUR_FRAGMENT.sub("", identifier)]
    return found


def languages(value: Any) -> list[str]:
    """Codes or names; a Language object by its code (alternateName), else its name."""
    found = []
    for item in _items(value):
        if isinstance(item, Mapping) and "@value" not in item:
            found.extend((texts(item.get("alternateName")) or texts(item.get("name")))[:1])
        else:
            found.extend(texts(item))
    return found


def licences(value: Any) -> list[str]:
    """A licence URL, or a CreativeWork naming one: its url (or @id) first, then its name."""
    found = []
    for item in _items(value):
        if isinstance(item, Mapping) and "@value" not in item:
            found.extend(texts(item.get("url")) or texts(item.get("@id")))
            found.extend(texts(item.get("name")))
        else:
            found.extend(texts(item))
    return found


def agents(value: Any) -> list[str]:
    """Person / Organization names (given + family name when there is no name), or strings."""
    found = []
    for item in _items(value):
        if isinstance(item, Mapping) and "@value" not in item:
            name = texts(item.get("name"))
            if not name:
                parts = texts(item.get("givenName"))[:1] + texts(item.get("familyName"))[:1]
                name = [" ".join(parts)] if parts else []
            found.extend(name[:1])
        else:
            found.extend(texts(item))
    return found


def aligned(node: Mapping[str, Any], kinds: set[str]) -> list[str]:
    """targetName of the educationalAlignment objects of the given alignmentType(s)."""
    found = []
    for item in _items(node.get("educationalAlignment")):
        if not isinstance(item, Mapping):
            continue
        kind = "".join(texts(item.get("alignmentType"))[:1]).replace(" ", "").lower()
        if kind in kinds:
            found.extend(terms(item.get("targetName")) or terms(item.get("name")))
    return found


def subjects(node: Mapping[str, Any]) -> list[str]:
    """teaches, about, keywords (a comma-separated string or an array) and subject alignments.

    Bare URIs (an `about` pointing at a Wikidata item) are not subjects a reader can use.
    """
    found = terms(node.get("teaches")) + terms(node.get("about"))
    for keyword in terms(node.get("keywords")):
        found.extend(part.strip() for part in _KEYWORD_SPLIT.split(keyword) if part.strip())
    found += aligned(node, SUBJECT_ALIGNMENTS)
    return [s for s in found if not s.startswith(("http://", "https://"))]


def first_date(node: Mapping[str, Any]) -> list[str]:
    """Published, else created, else modified: the first value that reads as a date."""
    for key in ("datePublished", "dateCreated", "dateModified"):
        for value in texts(node.get(key)):
            if cached.date(value):
                return [value]
    return []


def identifiers(node: Mapping[str, Any]) -> list[str]:
    """identifier (text, URL or PropertyValue {value}), isbn, doi."""
    found = []
    for key in ("identifier", "isbn", "doi"):
        for item in _items(node.get(key)):
            if isinstance(item, Mapping) and "@value" not in item:
                found.extend(texts(item.get("value"))[:1] or texts(item.get("url"))[:1])
            else:
                found.extend(texts(item))
    return found


def access(value: Any) -> list[str]:
    """isAccessibleForFree: true → open, false → restricted (also "True", schema:True)."""
    for item in _items(value):
        if isinstance(item, bool):
            return ["open" if item else "restricted"]
        word = _short(str(_text(item) or "")).lower()
        if word in _TRUE:
            return ["open"]
        if word in _FALSE:
            return ["restricted"]
    return []
