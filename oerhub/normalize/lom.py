"""Mapper for IEEE LOM (`lom`, `oai_lom`, IMS and national profiles such as EstCore).

Profiles differ in namespace and in small details, so elements are found by local name and
LangStrings are read in the record's own language when it has one.
"""

from __future__ import annotations

import re
from typing import Any

from oerhub.models import Record
from oerhub.normalize import cached
from oerhub.normalize.text import clean_text, unique
from oerhub.normalize.urls import best_url, repository_host
from oerhub.normalize.xmltext import local_name, text_of

NAMESPACES = frozenset({
    "http://ltsc.ieee.org/xsd/LOM",
    "http://ltsc.ieee.org/xsd/lomv1.0",
    "http://www.imsglobal.org/xsd/imsmd_v1p2",
    "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1",
})
PREFIXES = frozenset({"lom", "oai_lom", "ims_lom", "lom_ims", "ieee_lom", "oai_estcore",
                      "estcore"})
# "FN;CHARSET=UTF-8:Name": the property, its parameters, its value ("N" is not "NOTE")
_VCARD_FN = re.compile(r"^\s*FN(?:;[^:]*)?:(.+?)\s*$", re.M | re.I)
_VCARD_N = re.compile(r"^\s*N(?:;[^:]*)?:(.+?)\s*$", re.M | re.I)
_VCARD_ORG = re.compile(r"^\s*ORG(?:;[^:]*)?:(.+?)\s*$", re.M | re.I)
_VCARD_FOLD = re.compile(r"\r?\n[ \t]")
# A property name (RFC 6350 section 6, and X- extensions) after a space: where a one-line
# vCard's next property begins. Upper case only, so that a name's own words are left alone.
_VCARD_PROPERTY = re.compile(
    r"[ \t]+(?=(?:BEGIN|VERSION|FN|N|ORG|TITLE|ROLE|EMAIL|TEL|ADR|LABEL|URL|NOTE|UID|REV|"
    r"NICKNAME|PHOTO|BDAY|GEO|TZ|SOURCE|KIND|LANG|CATEGORIES|PRODID|END|X-[A-Z0-9-]+)[;:])")


def map_into(element: Any, record: Record) -> None:
    general = _child(element, "general")
    lifecycle = _child(element, "lifeCycle")
    technical = _child(element, "technical")
    rights = _child(element, "rights")

    languages = [text_of(n).strip() for n in _children(general, "language")]
    record.language_raw = "; ".join(v for v in languages if v) or None
    codes = [c for c in (cached.language_code(v) for v in languages) if c]
    record.language = codes[0] if codes else None

    record.title = _langstring(_child(general, "title"), record.language)
    record.description = _langstring(_first(_children(general, "description")), record.language)
    record.subjects = unique(clean_text(_langstring(k, record.language))
                              for k in _children(general, "keyword"))
    for path in _descendants(element, "classification", "taxonPath", "taxon", "entry"):
        record.subjects = unique([*record.subjects, _langstring(path, record.language)])

    identifiers = [(text_of(entry).strip(), {})
                   for ident in _children(general, "identifier")
                   for entry in _children(ident, "entry")]
    record.identifiers = unique(v for v, _ in identifiers)
    locations = [(text_of(n).strip(), {}) for n in _children(technical, "location")]
    record.url = best_url(locations + identifiers, repository_host(record.identifier))

    contributions = _children(lifecycle, "contribute")
    creators, publishers, dates = [], [], []
    for contribute in contributions:
        role = _value(_child(contribute, "role")).lower()
        names = [_vcard_name(text_of(e)) for e in _children(contribute, "entity")]
        if role in ("author", "creator", "content provider", "") or "author" in role:
            creators.extend(names)
        elif role == "publisher":
            publishers.extend(names)
        for date in _children(contribute, "date"):
            when = _child(date, "dateTime")
            dates.append(text_of(date if when is None else when).strip())
    record.creators = unique(clean_text(n) for n in creators)
    record.publisher = next((clean_text(p) for p in publishers if clean_text(p)), None)
    record.date = next((d for d in (cached.date(v) for v in dates) if d), None)

    educational = _children(element, "educational")
    types = [_value(n) for e in educational for n in _children(e, "learningResourceType")]
    record.resource_type_raw = "; ".join(t for t in types if t) or None
    record.resource_type = cached.pick_resource_type(types)
    contexts = [c for c in (_value(n) for e in educational for n in _children(e, "context")) if c]
    ages = [a for a in (_langstring(n, None) for e in educational
                        for n in _children(e, "typicalAgeRange")) if a]
    record.education_level_raw = "; ".join(contexts + ages) or None
    record.education_level = sorted(
        {lvl for c in contexts for lvl in cached.education_levels(c, record.country)}
        | {lvl for a in ages for lvl in cached.age_levels(a, record.country)})

    statements = [_langstring(n, None) or "" for n in _children(rights, "description")]
    restriction = _value(_child(rights, "copyrightAndOtherRestrictions"))
    statements = [s for s in statements if s]
    record.license_raw = "; ".join(([f"copyrightAndOtherRestrictions: {restriction}"]
                                    if restriction else []) + statements) or None
    licence = cached.pick_license(statements)
    record.license, record.license_url, record.access = licence.spdx, licence.url, licence.access


def _child(node: Any, name: str) -> Any:
    if node is None:
        return None
    for child in node:
        if isinstance(child.tag, str) and local_name(child) == name:
            return child
    return None


def _children(node: Any, name: str) -> list[Any]:
    if node is None:
        return []
    return [c for c in node if isinstance(c.tag, str) and local_name(c) == name]


def _descendants(node: Any, *path: str) -> list[Any]:
    found = [node]
    for name in path:
        found = [c for n in found for c in _children(n, name)]
    return found


def _first(nodes: list[Any]) -> Any:
    return nodes[0] if nodes else None


def _value(node: Any) -> str:
    """A LOM vocabulary element: <x><source>LOMv1.0</source><value>lecture</value></x>."""
    if node is None:
        return ""
    value = _child(node, "value")
    if value is None:
        return text_of(node).strip()
    return _langstring(value, None) or ""


def _langstring(node: Any, language: str | None) -> str | None:
    """The <string> in the wanted language, else the first one, else the node's own text."""
    if node is None:
        return None
    strings = _children(node, "string") or _children(node, "langstring")
    if not strings:
        return clean_text(text_of(node))
    if language:
        for string in strings:
            lang = (string.get("language") or string.get("{http://www.w3.org/XML/1998/namespace}lang")
                    or "")
            if cached.language_code(lang) == language:
                cleaned = clean_text(text_of(string))
                if cleaned:
                    return cleaned
    for string in strings:
        cleaned = clean_text(text_of(string))
        if cleaned:
            return cleaned
    return None


def _vcard_lines(text: str) -> str:
    """The vCard one property a line: folded lines joined (RFC 6350 3.2), literal "\\n"
    escapes and a vCard written on one line ("BEGIN:VCARD VERSION:3.0 FN:A B END:VCARD",
    as some LOM editors store it) split before each property name."""
    text = text.replace("\\r\\n", "\n").replace("\\n", "\n")
    text = _VCARD_FOLD.sub("", text)
    return _VCARD_PROPERTY.sub("\n", text)


def _vcard_name(text: str) -> str:
    """FN, else N as "Given Family", else ORG: a LOM entity's name; text without a vCard is
    the name itself."""
    if "BEGIN:VCARD" not in text.upper():
        return text
    text = _vcard_lines(text)
    match = _VCARD_FN.search(text) or _VCARD_N.search(text) or _VCARD_ORG.search(text)
    if not match:
        return ""
    name = match.group(1)
    if match.re is _VCARD_N:  # "Family;Given;;;" → "Given Family"
        parts = [p for p in name.split(";") if p]
        name = " ".join(parts[1:2] + parts[:1])
    elif match.re is _VCARD_ORG:  # "Org;Unit" → "Org"
        name = name.split(";")[0]
    return name.replace("\\,", ",").replace("\\;", ";").strip()
