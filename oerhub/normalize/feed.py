"""Mapper for feed entries (RSS 0.9x/1.0/2.0, Atom 1.0), as `harvesters.feed` stores them.

The raw record is a small JSON dict the feed harvester builds from feedparser's entry:
`id`, `title`, `summary`, `content`, `link`, `links`, `authors`, `tags`, `published`,
`updated`, `language` (the entry's own, else the feed's), `rights` (the entry's, else the
feed's: RFC 4287 4.2.10), `license` (URLs of `<link rel="license">` and
`<creativeCommons:license>`, dcterms:license), `access_rights` (dcterms:accessRights),
`levels` (dcterms:educationLevel, audience), `enclosures`, `types` (dc:type, dcterms:type),
`publisher`. Its values are picked into flat fields and normalised by `map_fields`, like every
web record. The URL is the entry's own page: its `alternate` link (`entry_page`), read from the
stored links, so `oerhub renormalize` corrects records stored before this rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oerhub.models import Record
from oerhub.normalize.fields import map_fields, values

_WEB_PAGES = ("text/html", "application/xhtml+xml")


def _http(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def entry_page(links: Any, link: Any = None, guidislink: bool = False) -> str | None:
    """The entry's own page: its first `alternate` link (Atom's default rel), a web page before
    another type, else `link`; never an id feedparser copied into `link` for want of a link
    (`guidislink`) unless it is a URL. Not the feed's listing page, which every entry shares."""
    alternates = [k for k in links or [] if isinstance(k, Mapping) and _http(k.get("href"))
                  and (k.get("rel") or "alternate") == "alternate"]
    pages = [k for k in alternates
             if str(k.get("type") or "text/html").split(";")[0].strip().lower() in _WEB_PAGES]
    chosen = (pages or alternates)[:1]
    if chosen:
        return str(chosen[0]["href"])
    if guidislink and not _http(link):
        return None
    return str(link) if link else None


def fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The flat fields of one stored feed entry."""
    enclosures = [e for e in entry.get("enclosures") or [] if isinstance(e, Mapping)]
    return {
        "title": entry.get("title"),
        "description": [entry.get("summary"), *values(entry.get("content"))],
        "url": [entry_page(entry.get("links"), entry.get("link")),
                *(e.get("href") for e in enclosures)],
        "language": entry.get("language"),
        # Licence URLs first: a link says more than a rights statement.
        "license": [*values(entry.get("license")), entry.get("rights"),
                    *values(entry.get("access_rights"))],
        "education_level": values(entry.get("levels")),
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
