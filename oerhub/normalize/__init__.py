"""The normaliser: pure functions from a raw record to a catalogue record.

`normalize` picks the mapper by the metadata's XML namespace (falling back to the metadata
prefix), so `lom`, `oai_lom` and `ims_lom` all reach the LOM mapper. Records of the web
protocols are JSON and are mapped by their format (`schema.org`, `feed`, `html`, or the name
of a JSON API adapter). Deleted records carry only their header. The raw record is never
changed; `oerhub renormalize` runs this again.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from lxml import etree

from oerhub.models import Batch, RawRecord, Record
from oerhub.normalize import lom, oai_dc
from oerhub.normalize.text import escape_surrogates, has_surrogates, without_surrogates

Mapper = Callable[[Any, Record], None]

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                          recover=True)


def mapper_for(element: Any, format: str | None) -> Mapper | None:
    """The mapper for a metadata element: by namespace first, then by prefix."""
    namespace = etree.QName(element).namespace if element is not None else None
    if namespace in oai_dc.NAMESPACES or (namespace is None and format == "oai_dc"):
        return oai_dc.map_into
    if namespace in lom.NAMESPACES or (format or "").lower() in lom.PREFIXES:
        return lom.map_into
    if format == "oai_dc":
        return oai_dc.map_into
    return None


# Web formats: format -> "module:function" mapping a parsed JSON value into a Record.
JSON_MAPPERS = {
    "html": "oerhub.normalize.fields:map_fields",
    "schema.org": "oerhub.normalize.schema_org:map_into",
    "feed": "oerhub.normalize.feed:map_into",
}


def json_mapper(format: str | None) -> Mapper | None:
    """The mapper for a web format; JSON API adapters map their own items."""
    target = JSON_MAPPERS.get(format or "")
    if target is not None:
        module, _, name = target.partition(":")
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
    from oerhub.normalize.adapters import ADAPTERS  # imported here: the adapters use this package

    adapter = ADAPTERS.get(format or "")
    return adapter.map_into if adapter is not None else None


def normalize(raw: RawRecord, country: str | None, element: Any = None) -> Record:
    """Map one raw record onto the catalogue schema.

    `element` is the already-parsed metadata (harvest path); without it `raw.raw` is parsed
    (renormalize path).
    """
    record = Record(source_id=raw.source_id, identifier=raw.identifier, datestamp=raw.datestamp,
                    deleted=raw.deleted, country=country, sets=list(raw.sets), format=raw.format)
    if raw.deleted or not raw.raw:
        return record
    if raw.raw[:1] in ("{", "["):  # a web record: JSON, mapped by its format
        mapper = json_mapper(raw.format)
        if mapper is None:
            return record
        if element is None:
            try:
                element = json.loads(raw.raw)
            except ValueError:
                return record
        mapper(element, record)
        return record
    if element is None:
        try:
            element = etree.fromstring(raw.raw.encode("utf-8"), _PARSER)
        except etree.XMLSyntaxError:
            return record
        if element is None:
            return record
    mapper = mapper_for(element, raw.format)
    if mapper is not None:
        mapper(element, record)
    return record


def normalize_batch(country: str | None, raws: list[RawRecord], elements: list[Any]
                    ) -> list[Record]:
    """`normalize` over a harvester's sub-batch: what the harvest's worker processes run
    while the page's parsed metadata is at hand (oerhub/workers.py)."""
    return [normalize(raw, country, element)
            for raw, element in zip(raws, elements or [None] * len(raws), strict=True)]


def storable(raws: list[RawRecord], records: list[Record]) -> tuple[list[RawRecord],
                                                                    list[Record]]:
    """The batch with text SQLite cannot encode made storable, every record kept: a lone
    surrogate ("\\ud800", valid JSON) in the raw JSON is written as its escape (the same JSON),
    and it is dropped from a record's values (as clean_text drops it). Records are matched to their raws by position;
    a record can only hold a surrogate its raw record holds, so only those are looked at."""
    if not any(has_surrogates(raw.raw) or has_surrogates(raw.identifier) for raw in raws):
        return raws, records
    raws, records = list(raws), list(records)
    for index, raw in enumerate(raws):
        if not (has_surrogates(raw.raw) or has_surrogates(raw.identifier)):
            continue
        text = raw.raw
        if text is not None:
            text = escape_surrogates(text) if text[:1] in ("{", "[") else without_surrogates(text)
        raws[index] = replace(raw, identifier=without_surrogates(raw.identifier), raw=text)
        record = records[index]
        for name, value in vars(record).items():
            if isinstance(value, str):
                setattr(record, name, without_surrogates(value))
            elif isinstance(value, list):
                setattr(record, name, [without_surrogates(v) if isinstance(v, str) else v
                                       for v in value])
    return raws, records


def titled(raws: list[RawRecord], records: list[Record]
           ) -> tuple[list[RawRecord], list[Record], list[str]]:
    """The batch without its live records that have no title, and their identifiers.

    A record without a title is never stored, whatever the protocol: a reader cannot tell
    it from another, and it is most often not a resource (a feed's nested file entry, a
    page's stray node, a mapping that read the wrong element). Tombstones carry no title
    and are kept. The harvest counts what was dropped and says so in the run's warnings."""
    if all(record.deleted or record.title for record in records):
        return raws, records, []
    keep = [i for i, record in enumerate(records) if record.deleted or record.title]
    dropped = [record.identifier for record in records if not (record.deleted or record.title)]
    return [raws[i] for i in keep], [records[i] for i in keep], dropped


def normalised(batch: Batch, country: str | None) -> Batch:
    """The harvest's one normalisation stage: `batch.normalised` filled (unless the worker
    process that read the page did it, by `normalize_batch` too), the batch made storable,
    and records without a title left out (`titled`; `batch.untitled` names them)."""
    records = batch.normalised if batch.normalised is not None else normalize_batch(
        country, batch.records, batch.elements)
    raws, records = storable(batch.records, records)
    batch.records, batch.normalised, untitled = titled(raws, records)
    batch.untitled.extend(untitled)
    return batch
