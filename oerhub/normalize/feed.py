"""Mapper for feed entries (RSS 0.9x/1.0/2.0, Atom 1.0), as `harvesters.feed` stores them.

The raw record is a small JSON dict the feed harvester builds from feedparser's entry:
`id`, `title`, `summary`, `content`, `link`, `links`, `authors`, `tags`, `published`,
`updated`, `language` (the entry's own, else the feed's), `rights` (the entry's, else the
feed's: RFC 4287 4.2.10), `license` (URLs of `<link rel="license">` and
`<creativeCommons:license>`), `enclosures`, `types` (dc:type), `publisher`. Its values are
picked into flat fields and normalised by `map_fields`, like every web record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oerhub.models import Record
from oerhub.normalize.fields import map_fields, values


def fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The flat fields of one stored feed entry."""
    enclosures = [e for e in entry.get("enclosures") or [] if isinstance(e, Mapping)]
    return {
        "title": entry.get("title"),
        "description": [entry.get("summary"), *values(entry.get("content"))],
        "url": [entry.get("link"), *(e.get("href") for e in enclosures)],
        "language": entry.get("language"),
        # Licence URLs first: a link says more than a rights statement.
        "license": [*values(entry.get("license")), entry.get("rights")],
        # dc:type says what the resource is; without it, what the enclosure is (video/mp4).
        "resource_type": values(entry.get("types")) or [e.get("type") for e in enclosures],
        "subjects": entry.get("tags"),
        "creators": entry.get("authors"),
        "publisher": entry.get("publisher"),
        "date": [entry.get("published"), entry.get("updated")],
        "identifiers": [entry.get("id"), entry.get("link")],
    }


def map_into(entry: Any, record: Record) -> None:
    if isinstance(entry, Mapping):
        map_fields(fields(entry), record)
