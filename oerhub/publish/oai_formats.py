"""What /oai writes: the record header, oai_dc, IEEE LOM and provenance, from the normalised
fields (oerhub/publish/oai.py answers the requests).

Values are written so that oerhub's own mappers read them back to the same normalised values
(resource types as words, licences as their URL as written and their SPDX id, access as
info:eu-repo terms); free text that clean_text would alter goes out HTML-escaped, as it came in.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from lxml import etree

from oerhub.normalize.license import is_family, pick_license
from oerhub.normalize.text import clean_text

NAMESPACE = "oerhub"  # the oai:<namespace>:… of our identifiers
NS_OAI = "http://www.openarchives.org/OAI/2.0/"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_LOM = "http://ltsc.ieee.org/xsd/LOM"
NS_PROVENANCE = "http://www.openarchives.org/OAI/2.0/provenance"
SCHEMA_OAI = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
SCHEMA_OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
SCHEMA_LOM = "http://ltsc.ieee.org/xsd/lomv1.0/lomLoose.xsd"
SCHEMA_PROVENANCE = "http://www.openarchives.org/OAI/2.0/provenance.xsd"
FORMATS = {  # prefix: (schema, namespace)
    "oai_dc": (SCHEMA_OAI_DC, NS_OAI_DC),
    "lom": (SCHEMA_LOM, NS_LOM),
}
# Namespaces of the formats the sources' records were harvested in (for provenance).
SOURCE_NAMESPACES = {"oai_dc": NS_OAI_DC, "lom": NS_LOM, "oai_lom": NS_LOM, "ims_lom": NS_LOM}
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
ACCESS_TERMS = {a: f"info:eu-repo/semantics/{a}Access"
                for a in ("open", "embargoed", "restricted", "closed")}
# Characters an oai-identifier's parts may hold as they are; everything else is %XX.
_ID_SAFE = "-_.!~*'();/?@&=+$,"
SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
# LOM's DateTimeString (common/dataTypes.xsd): a time zone only after fractional seconds.
_LOM_DATETIME = re.compile(
    r"(\d{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d"
    r"(\.\d+(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?)?)?)?)?)?)?")
_SECONDS_ZONE = re.compile(r"(.*T\d{2}:\d{2}:\d{2})(Z|[+-]\d{2}:\d{2})")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def oai_identifier(source_id: str, identifier: str) -> str:
    """oai:oerhub:<source>:<local>; the source part keeps no ":", so the first one splits."""
    source = quote(source_id, safe=_ID_SAFE)
    return f"oai:{NAMESPACE}:{source}:{quote(identifier, safe=_ID_SAFE + ':')}"


def xml_safe(value: Any) -> str:
    return _XML_ILLEGAL.sub("", str(value))


def _text(value: str) -> str:
    """Free text as oerhub's mappers will read it back: clean_text must give `value` again.

    A stored "<p>" (once written "&lt;p&gt;") or "&amp;" would be stripped or decoded by
    clean_text, so such a value goes out HTML-escaped, as it came in.
    """
    return value if clean_text(value) == value else html.escape(value, quote=False)


def child(parent: Any, tag: str, text: str | None = None, ns: str = NS_OAI) -> Any:
    node = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        node.text = xml_safe(text)
    return node


def _json_list(value: str | None) -> list[str]:
    try:
        items = json.loads(value) if value else []
    except ValueError:
        return []
    return [str(item) for item in items if item] if isinstance(items, list) else []


def header(row: Mapping[str, Any]) -> Any:
    node = etree.Element(f"{{{NS_OAI}}}header")
    if row["deleted"]:
        node.set("status", "deleted")
    child(node, "identifier", oai_identifier(row["source_id"], row["identifier"]))
    child(node, "datestamp", row["last_changed"])
    if row["country"]:
        child(node, "setSpec", f"country:{row['country']}")
    if SET_SPEC.fullmatch(f"source:{row['source_id']}"):
        child(node, "setSpec", f"source:{row['source_id']}")
    return node


def rights_values(licence: str | None, url: str | None, access: str | None) -> list[str]:
    """Licence URL as written (else the SPDX page; a LicenseRef- family has none), licence
    id, access term: what dc:rights says."""
    values = []
    if url:
        values.append(url)
    elif licence and not is_family(licence):
        values.append(f"https://spdx.org/licenses/{licence}.html")
    if licence:
        values.append(licence)
    if access in ACCESS_TERMS:
        values.append(ACCESS_TERMS[access])
    return values


@lru_cache(maxsize=4096)
def lom_rights(licence: str | None, url: str | None, access: str | None) -> tuple[str, ...]:
    """LOM's rights statement(s): one line when oerhub reads it back to the same licence and
    access, else one description per value (the loose binding allows it). The second case is
    a licence known by its id only (MIT) with a URL or access term beside it."""
    values = [v for v in rights_values(licence, url, access)
              if url or not v.startswith("https://spdx.org/")]
    if not values:
        return ()
    line = " ".join(values)
    read = pick_license([clean_text(line) or ""])
    if (read.spdx, read.url, read.access) == (licence, url, access):
        return (line,)
    return tuple(values)


def link_identifiers(row: Mapping[str, Any]) -> list[str]:
    """dc:identifier: the record's identifiers, then its URL if they lack it (the link must be
    there). Identifiers are read back through clean_text, the URL as written."""
    identifiers = _json_list(row["identifiers"])
    values = [_text(value) for value in identifiers]
    if row["url"] and row["url"] not in identifiers:
        values.append(row["url"])
    return values


def oai_dc(row: Mapping[str, Any]) -> Any:
    """Simple Dublin Core from the normalised fields."""
    root = etree.Element(f"{{{NS_OAI_DC}}}dc", nsmap={"oai_dc": NS_OAI_DC, "dc": NS_DC,
                                                       "xsi": NS_XSI})
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_OAI_DC} {SCHEMA_OAI_DC}")

    def dc(tag: str, value: str | None, free: bool = False) -> None:
        if value:
            child(root, tag, _text(value) if free else value, NS_DC)

    dc("title", row["title"], True)
    for creator in _json_list(row["creators"]):
        dc("creator", creator, True)
    for subject in _json_list(row["subjects"]):
        dc("subject", subject, True)
    dc("description", row["description"], True)
    dc("publisher", row["publisher"], True)
    dc("date", row["date"])
    if row["resource_type"]:
        dc("type", row["resource_type"].replace("_", " "))
    for identifier in link_identifiers(row):
        dc("identifier", identifier)
    dc("language", row["language"])
    for value in rights_values(row["license"], row["license_url"], row["access"]):
        dc("rights", value)
    return root


def lom_datetime(value: str) -> str | None:
    """A stored date as LOM's DateTime wants it, or None if it cannot say it.

    The catalogue's "2024-02-01T00:00:00Z" fails lomLoose.xsd, whose pattern allows a zone
    only after fractional seconds: it goes out as "2024-02-01T00:00:00.0Z", which oerhub's
    date parser reads back to the same value. A year, month or day goes out as it is.
    """
    value = _SECONDS_ZONE.sub(r"\1.0\2", value)
    return value if _LOM_DATETIME.fullmatch(value) and not value.startswith("0000") else None


def _vcard(name: str) -> str:
    return f"BEGIN:VCARD\nVERSION:3.0\nFN:{name.replace(',', chr(92) + ',')}\nEND:VCARD"


def lom(row: Mapping[str, Any]) -> Any:
    """IEEE LOM (loose binding) from the normalised fields, education levels included."""
    root = etree.Element(f"{{{NS_LOM}}}lom", nsmap={None: NS_LOM, "xsi": NS_XSI})
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_LOM} {SCHEMA_LOM}")
    lang = row["language"] or "x-none"

    def sub(parent: Any, tag: str, text: str | None = None) -> Any:
        return child(parent, tag, text, NS_LOM)

    def langstring(parent: Any, tag: str, text: str) -> None:
        sub(sub(parent, tag), "string", _text(text)).set("language", lang)

    def vocabulary(parent: Any, tag: str, source: str, value: str) -> None:
        node = sub(parent, tag)
        sub(node, "source", source)
        sub(node, "value", value)

    general = sub(root, "general")
    for value in _json_list(row["identifiers"]):
        identifier = sub(general, "identifier")
        sub(identifier, "catalog", "URI")
        sub(identifier, "entry", value)
    if row["title"]:
        langstring(general, "title", row["title"])
    if row["language"]:
        sub(general, "language", row["language"])
    if row["description"]:
        langstring(general, "description", row["description"])
    for subject in _json_list(row["subjects"]):
        langstring(general, "keyword", subject)

    contributions = [("author", name) for name in _json_list(row["creators"])]
    if row["publisher"]:
        contributions.append(("publisher", row["publisher"]))
    date = lom_datetime(row["date"]) if row["date"] else None
    if date and not contributions:
        contributions.append(("publisher", None))
    if contributions:
        lifecycle = sub(root, "lifeCycle")
        for index, (role, name) in enumerate(contributions):
            contribute = sub(lifecycle, "contribute")
            vocabulary(contribute, "role", "LOMv1.0", role)
            if name:
                sub(contribute, "entity", _vcard(_text(name)))
            if index == 0 and date:
                sub(sub(contribute, "date"), "dateTime", date)
    if row["url"]:
        sub(sub(root, "technical"), "location", row["url"])
    levels = _json_list(row["education_level"])
    if row["resource_type"] or levels:
        educational = sub(root, "educational")
        if row["resource_type"]:
            vocabulary(educational, "learningResourceType", "oerhub",
                       row["resource_type"].replace("_", " "))
        for level in levels:
            vocabulary(educational, "context", "ISCED 2011", level)
    statements = lom_rights(row["license"], row["license_url"], row["access"])
    if statements:
        rights = sub(root, "rights")
        if row["license"]:
            vocabulary(rights, "copyrightAndOtherRestrictions", "LOMv1.0", "yes")
        for statement in statements:
            sub(sub(rights, "description"), "string", statement).set("language", "x-none")
    return root


def provenance(row: Mapping[str, Any], source: tuple[str, str] | None) -> Any:
    """Where an OAI-PMH record came from (provenance.xsd), so aggregators can deduplicate."""
    if source is None or source[1] != "oai-pmh" or not row["datestamp"]:
        return None
    namespace = SOURCE_NAMESPACES.get((row["format"] or "").lower())
    if namespace is None:
        return None
    root = etree.Element(f"{{{NS_PROVENANCE}}}provenance", nsmap={None: NS_PROVENANCE,
                                                                  "xsi": NS_XSI})
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_PROVENANCE} {SCHEMA_PROVENANCE}")
    origin = child(root, "originDescription", ns=NS_PROVENANCE)
    origin.set("harvestDate", row["last_changed"])
    origin.set("altered", "true")
    child(origin, "baseURL", source[0], NS_PROVENANCE)
    child(origin, "identifier", row["identifier"], NS_PROVENANCE)
    child(origin, "datestamp", row["datestamp"], NS_PROVENANCE)
    child(origin, "metadataNamespace", namespace, NS_PROVENANCE)
    return root
