"""schema.org / LRMI metadata embedded in an HTML page: JSON-LD, microdata and RDFa.

extruct reads all three syntaxes in one parse; this module turns what it gives into plain
schema.org nodes (`{"@type": "Course", "name": ..., "inLanguage": ...}`) whatever the
syntax: `@graph` and nested arrays are flattened, full-URI types and properties
(`https://schema.org/name`, `http://schema.org/name`, `schema:name`) lose their prefix,
`{"@value": ...}` is unwrapped, and `{"@id": ...}` references to other nodes of the page
(RDFa's blank nodes, JSON-LD's `#org`) are replaced by those nodes.

Which nodes are resources (one catalogue record each):
- nodes typed as one of RESOURCE_TYPES (LearningResource, CreativeWork, Course, Book,
  VideoObject and close relatives, below);
- WebPage / ItemPage nodes only when they carry LRMI properties (learningResourceType,
  educationalLevel, teaches, ...): many sites type every page WebPage, and such a node says
  nothing about a learning resource unless it has those;
- a resource's `mainEntity` when the page node itself is not a resource.
A resource node that another resource node of the page refers to (a licence typed
CreativeWork, the Course a lesson `isPartOf`, the parts a course `hasPart`) is part of that
resource's description, not a record of its own. ImageObject, BlogPosting and NewsArticle
are left out on purpose: they are logos and news on the portals of the region.
A node needs a name (or headline) to become a record.

A page whose JSON-LD holds broken JSON in one script still gives the others: when extruct
raises, each `<script type="application/ld+json">` is parsed here and broken ones skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import extruct
from lxml import etree
from lxml import html as lxml_html

from harvesters import json_text
from harvesters.xml_body import header_charset

SYNTAXES = ["json-ld", "microdata", "rdfa"]

RESOURCE_TYPES = frozenset({
    "LearningResource", "Quiz", "Syllabus", "Course", "CreativeWork", "Book", "Chapter",
    "Article", "ScholarlyArticle", "Thesis", "Report", "VideoObject", "AudioObject",
    "MediaObject", "Dataset", "DigitalDocument", "TextDigitalDocument",
    "PresentationDigitalDocument", "SpreadsheetDigitalDocument", "Map", "Collection",
})
PAGE_TYPES = frozenset({"WebPage", "ItemPage"})  # resources only with LRMI properties
LRMI_PROPERTIES = frozenset({
    "learningResourceType", "educationalLevel", "teaches", "assesses", "educationalUse",
    "educationalAlignment", "typicalAgeRange", "interactivityType", "competencyRequired",
})
SCHEMA_PREFIXES = ("https://schema.org/", "http://schema.org/", "https://www.schema.org/",
                   "http://www.schema.org/", "schema:")
MAX_DEPTH = 6  # nested references resolved at most this deep (a cycle stops earlier)

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*['\"]?([A-Za-z0-9._-]+)", re.I)
_SCRIPT_WRAPPER = re.compile(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$")


@dataclass
class Embedded:
    """What one page carries: its resource nodes, and what else was seen (for messages)."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    other_types: list[str] = field(default_factory=list)  # types of the non-resource nodes
    broken_scripts: int = 0  # JSON-LD scripts that were not JSON


def extract_resources(body: bytes | str, url: str, content_type: str = "") -> Embedded:
    """The schema.org resource nodes of an HTML page, each compacted to plain keys."""
    text = _decode(body, content_type) if isinstance(body, bytes) else body
    data, broken = _extract(text, url)
    tops = [(node, False) for node in _flatten(data.get("json-ld", []))]
    tops += [(node, False) for node in _flatten(data.get("microdata", []))]
    tops += [(node, True) for node in _flatten(data.get("rdfa", []))]
    index: dict[str, dict[str, Any]] = {}
    for node, _ in tops:
        _index(node, index)
    compacted = [(raw, compact(raw, index, rdfa), rdfa) for raw, rdfa in tops]
    # RDF has no order: RDFa nodes come in a different order each parse, so they are sorted.
    compacted = [c for c in compacted if not c[2]] + sorted(
        (c for c in compacted if c[2]), key=lambda c: _canonical(c[1]))
    found = Embedded(broken_scripts=broken)
    candidates: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (as given, compacted)
    for raw, node, rdfa in compacted:
        if not isinstance(node, dict):
            continue
        if is_resource(node):
            candidates.append((raw, node))
            continue
        found.other_types.extend(t for t in types_of(node) if t not in found.other_types)
        for entity in _as_list(_given(raw, "mainEntity")):
            main = compact(entity, index, rdfa)
            if isinstance(main, dict) and is_resource(main):
                given = index.get(entity.get("@id"), entity) if isinstance(entity, dict) else {}
                candidates.append((given, main))
    found.nodes = _unique(_roots(candidates))
    return found


def _given(node: Mapping[str, Any], name: str) -> Any:
    """A property of a node as extruct gave it, under its plain or full-URI name."""
    for key in (name, *(prefix + name for prefix in SCHEMA_PREFIXES)):
        if key in node:
            return node[key]
    return None


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# --- reading the page ------------------------------------------------------------------


def _decode(body: bytes, content_type: str) -> str:
    """The page as text: the header's charset, else a <meta charset>, else UTF-8."""
    charset = header_charset(content_type)
    if charset is None:
        match = _META_CHARSET.search(body[:4096])
        charset = match.group(1).decode("ascii").lower() if match else "utf-8"
    try:
        return body.decode(charset, "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


def _extract(text: str, url: str) -> tuple[dict[str, list[Any]], int]:
    """extruct's three syntaxes; JSON-LD read script by script when one script is broken."""
    if not text.strip():
        return {}, 0
    page = text.encode("utf-8")
    try:
        data = extruct.extract(page, base_url=url, encoding="utf-8", syntaxes=SYNTAXES,
                               uniform=True)
    except Exception:  # noqa: BLE001 (extruct raises whatever its parsers raise on bad markup)
        pass
    else:  # JSON-LD nested deeper than the walkers below can go counts as broken
        scripts = data.get("json-ld") or []
        data["json-ld"] = [item for item in scripts if not json_text.too_deep(item)]
        return data, len(scripts) - len(data["json-ld"])
    try:
        data = extruct.extract(page, base_url=url, encoding="utf-8",
                               syntaxes=["microdata", "rdfa"], uniform=True, errors="ignore")
    except Exception:  # noqa: BLE001 (a page lxml cannot read at all carries nothing)
        data = {}
    scripts, broken = json_ld_scripts(page)
    data["json-ld"] = scripts
    return data, broken


def json_ld_scripts(page: bytes) -> tuple[list[Any], int]:
    """Each JSON-LD script of the page parsed alone: (the ones that parse, how many did not)."""
    try:
        tree = lxml_html.fromstring(page)
    except (etree.LxmlError, ValueError, TypeError):
        return [], 0
    parsed, broken = [], 0
    for script in tree.xpath("//script[@type]"):
        if script.get("type", "").split(";")[0].strip().lower() != "application/ld+json":
            continue
        source = _SCRIPT_WRAPPER.sub("", script.text or "").strip()
        if not source:
            continue
        try:
            parsed.append(json_text.loads(source, strict=False))
        except ValueError:
            broken += 1
    return parsed, broken


def _flatten(items: Any) -> Iterator[dict[str, Any]]:
    """Top-level nodes: arrays of arrays and `@graph` containers opened."""
    if isinstance(items, list):
        for item in items:
            yield from _flatten(item)
    elif isinstance(items, dict):
        if "@graph" in items:
            yield from _flatten(items["@graph"])
        else:
            yield items


def _index(value: Any, index: dict[str, dict[str, Any]]) -> None:
    """Every described node with an @id, anywhere in the tree, by its @id."""
    if isinstance(value, list):
        for item in value:
            _index(item, index)
    elif isinstance(value, dict):
        node_id = value.get("@id")
        if isinstance(node_id, str) and set(value) - {"@id"} and node_id not in index:
            index[node_id] = value
        for key, item in value.items():
            if key != "@id":
                _index(item, index)


# --- compacting ------------------------------------------------------------------------


def short_name(name: str) -> str:
    """`https://schema.org/name`, `schema:name` → `name`; other vocabularies untouched."""
    for prefix in SCHEMA_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def compact(value: Any, index: Mapping[str, dict[str, Any]], rdfa: bool = False,
            seen: frozenset[str] = frozenset()) -> Any:
    """A node with plain schema.org keys, literals unwrapped and references resolved.

    RDFa gives every value as a one-item list; those become the item itself.
    """
    if isinstance(value, list):
        items = [item for item in (compact(v, index, rdfa, seen) for v in value)
                 if item is not None]
        if not rdfa:
            return items
        return items[0] if len(items) == 1 else sorted(items, key=_canonical)
    if not isinstance(value, dict):
        return value
    if "@value" in value:
        return value["@value"]
    node_id = value.get("@id")
    if set(value) == {"@id"}:
        target = index.get(node_id) if isinstance(node_id, str) else None
        if target is None or node_id in seen or len(seen) >= MAX_DEPTH:
            return None if _blank(node_id) else node_id
        return compact(target, index, rdfa, seen | {node_id})
    inner = seen | {node_id} if isinstance(node_id, str) else seen
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "@type":
            kinds = [short_name(k) for k in _as_list(item) if isinstance(k, str)]
            single = len(kinds) == 1 and (rdfa or not isinstance(item, list))
            out["@type"] = kinds[0] if single else kinds
        elif key == "@id":
            if not _blank(node_id):  # a blank node's name changes with every parse
                out["@id"] = node_id
        elif key.startswith("@"):
            continue  # @context, @language, @vocab: not metadata
        else:
            name = short_name(key)
            if ":" in name or "/" in name or "#" in name:
                continue  # another vocabulary (og:, dc:, rdfa#usesVocabulary)
            item = compact(item, index, rdfa, inner)
            if item is not None and item != []:
                out[name] = item
    return out


def _blank(node_id: Any) -> bool:
    return not isinstance(node_id, str) or node_id.startswith("_:")


# --- choosing ----------------------------------------------------------------------------


def types_of(node: Mapping[str, Any]) -> list[str]:
    return [short_name(t) for t in _as_list(node.get("@type")) if isinstance(t, str)]


def is_resource(node: Mapping[str, Any]) -> bool:
    """A learning resource's node (see the module's docstring), with a name."""
    kinds = set(types_of(node))
    if not (kinds & RESOURCE_TYPES or (kinds & PAGE_TYPES and LRMI_PROPERTIES & set(node))):
        return False
    return any(_has_text(node.get(key)) for key in ("name", "headline"))


def _has_text(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_text(v) for v in value)
    return isinstance(value, str) and bool(value.strip())


def _roots(nodes: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[dict[str, Any]]:
    """Leave out resources another resource of the page refers to; if that leaves none
    (lesson isPartOf course, course hasPart lesson), keep the first.

    References are read from the nodes as given, where blank nodes still have their @id.
    """
    referenced: set[str] = set()
    for raw, _ in nodes:
        for key, value in raw.items():
            if not key.startswith("@"):
                referenced.update(_ids_within(value))
    roots = [node for raw, node in nodes
             if not (isinstance(raw.get("@id"), str) and raw["@id"] in referenced)]
    return roots or [node for _, node in nodes[:1]]


def _ids_within(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _ids_within(item)
    elif isinstance(value, dict):
        if isinstance(value.get("@id"), str):
            yield value["@id"]
        for key, item in value.items():
            if key != "@id":
                yield from _ids_within(item)


def _unique(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One node per resource when a page describes it twice (JSON-LD and microdata)."""
    kept: list[dict[str, Any]] = []
    for node in nodes:
        if not any(_same(node, other) for other in kept):
            kept.append(node)
    return kept


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    if a == b:
        return True
    if isinstance(a.get("@id"), str) and a.get("@id") == b.get("@id"):
        return True
    name_a, name_b = _first(a.get("name") or a.get("headline")), _first(
        b.get("name") or b.get("headline"))
    url_a, url_b = _first(a.get("url")), _first(b.get("url"))
    return name_a is not None and name_a == name_b and (url_a is None or url_b is None
                                                        or url_a == url_b)


def _first(value: Any) -> str | None:
    for item in _as_list(value):
        if isinstance(item, str) and item.strip():
            return item.strip()
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def node_url(node: Mapping[str, Any]) -> str | None:
    """The resource's own http(s) address: `url`, else an http(s) `@id`."""
    for value in [*_as_list(node.get("url")), node.get("@id")]:
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value
    return None
