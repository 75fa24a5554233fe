"""Mapper for Dublin Core (`oai_dc`), the format every OAI-PMH repository must offer.

Reads DC and DCTERMS elements by local name, so a repository that adds `dcterms:license` or
writes DC as the default namespace still maps. Repeatable fields keep every value.
"""

from __future__ import annotations

from typing import Any

from oerhub.models import Record
from oerhub.normalize.controlled import first_clean, pick_date, set_controlled
from oerhub.normalize.subjects import split_subjects
from oerhub.normalize.text import clean_text, unique
from oerhub.normalize.urls import best_url, repository_host

NAMESPACES = frozenset({
    "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "http://purl.org/dc/elements/1.1/",
})
_DC = frozenset({"http://purl.org/dc/elements/1.1/", "http://purl.org/dc/terms/"})
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDF_RESOURCE = f"{{{_RDF}}}resource"


# What each element name means to dc_values, worked out once per name: (local name of a DC or
# DCTERMS element or None, kind). Kinds: a DC value, a DC value that may be a link
# (identifier, relation), a link of another vocabulary (e.g. CyberLeninka's bibo:uri), an
# rdf:type (CyberLeninka: `<rdf:type rdf:resource=".../bibo/AcademicArticle"/>` beside
# dc:type "text"; read as one more type value), nothing.
_VALUE, _DC_LINK, _OTHER_LINK, _RDF_TYPE, _IGNORED = range(5)
_KINDS: dict[Any, tuple[str, int]] = {}


def _kind(tag: Any) -> tuple[str, int]:
    if not isinstance(tag, str):  # a comment or a processing instruction
        return "", _IGNORED
    # "{namespace}local": split by hand, etree.QName costs more per element than the rest
    namespace, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
    if namespace in _DC:
        kind = _DC_LINK if local in ("identifier", "relation") else _VALUE
    elif namespace == _RDF and local == "type":
        kind = _RDF_TYPE
    else:
        kind = _OTHER_LINK if local in ("uri", "url") else _IGNORED
    if len(_KINDS) < 4096:
        _KINDS[tag] = (local, kind)
    return local, kind


def dc_values(element: Any) -> tuple[dict[str, list[str]], list[tuple[str, dict[str, str]]]]:
    """DC/DCTERMS values by local name, plus (value, attributes) of every identifier-like field."""
    values: dict[str, list[str]] = {}
    links: list[tuple[str, dict[str, str]]] = []
    kinds = _KINDS
    for child in element.iterdescendants():
        tag = child.tag
        local, kind = kinds.get(tag) or _kind(tag)
        if kind == _IGNORED:
            continue
        if kind == _RDF_TYPE:
            local, kind = "type", _VALUE
            if child.get(_RDF_RESOURCE):
                values.setdefault(local, []).append(child.get(_RDF_RESOURCE).strip())
                continue
        text = (child.text if len(child) == 0 else "".join(child.itertext())) or ""
        text = text.strip()
        if not text:
            continue
        if kind == _OTHER_LINK:
            links.append((text, {"field": local}))
            continue
        found = values.get(local)
        if found is None:
            values[local] = [text]
        else:
            found.append(text)
        if kind == _DC_LINK:
            attributes = {k.split("}")[-1]: v for k, v in child.attrib.items()}
            links.append((text, {**attributes, "field": local}))
    return values, links


def map_into(element: Any, record: Record) -> None:
    values, links = dc_values(element)
    get = values.get

    record.title = first_clean(get("title", []))
    record.description = first_clean(get("description", []) + get("abstract", []))
    record.creators = unique(clean_text(v) for v in get("creator", []))
    record.subjects = unique(clean_text(part) for value in get("subject", [])
                              for part in split_subjects(value))
    record.publisher = first_clean(get("publisher", []))
    record.date = pick_date(get("issued", []) + get("date", []) + get("created", []))
    record.identifiers = unique(clean_text(v) for v in get("identifier", []))
    record.url = best_url(links, repository_host(record.identifier))
    set_controlled(record, get("language", []),
                   get("rights", []) + get("license", []) + get("accessRights", []),
                   get("type", []), get("educationLevel", []) + get("audience", []))
