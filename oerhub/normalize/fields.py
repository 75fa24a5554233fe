"""Mapper for flat fields: the common ground of every web format.

A web harvester's raw record is JSON. The `html` harvester stores the fields it extracted
(`{"title": "...", "language": ["uk"], ...}`); the feed, API and schema.org mappers first
pick their item's values into the same flat shape and then call `map_fields`, so a language,
licence, type or date spelling is normalised exactly as it is for OAI-PMH records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from oerhub.models import Record
from oerhub.normalize import cached
from oerhub.normalize.text import clean_text, unique

FIELDS = ("title", "description", "url", "language", "license", "resource_type",
          "education_level", "subjects", "creators", "publisher", "date", "identifiers",
          "access")


def values(value: Any) -> list[str]:
    """Any JSON value as a list of non-empty strings (numbers and booleans as text)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in values(item)]
    if isinstance(value, dict):
        return []
    text = str(value).strip()
    return [text] if text else []


def map_fields(fields: Mapping[str, Any], record: Record) -> None:
    """Fill `record` from flat fields; raw spellings are kept beside the normalised values."""
    get = lambda name: values(fields.get(name))  # noqa: E731 (a local shorthand)

    record.title = _first_clean(get("title"))
    record.description = _first_clean(get("description"))
    urls = [u for u in get("url") if u.startswith(("http://", "https://"))]
    record.url = urls[0] if urls else None
    record.creators = unique(clean_text(v) for v in get("creators"))
    record.subjects = unique(clean_text(v) for v in get("subjects"))
    record.publisher = _first_clean(get("publisher"))
    record.identifiers = unique(clean_text(v) for v in get("identifiers"))
    dates = [d for d in (cached.date(v) for v in get("date")) if d]
    record.date = next((d for d in dates if "T" not in d), dates[0] if dates else None)

    languages = get("language")
    record.language_raw = "; ".join(languages) or None
    found = [code for value in languages for code in cached.languages(value)]
    record.language = found[0] if found else None

    rights = get("license")
    record.license_raw = "; ".join(rights) or None
    licence = cached.pick_license(rights)
    record.license, record.license_url = licence.spdx, licence.url
    access = get("access")
    record.access = licence.access or (access[0] if access else None)

    types = get("resource_type")
    record.resource_type_raw = "; ".join(types) or None
    record.resource_type = cached.pick_resource_type(types)

    levels = get("education_level")
    record.education_level_raw = "; ".join(levels) or None
    record.education_level = sorted({lvl for v in levels for lvl in cached.education_levels(v)})


def _first_clean(items: Iterable[str]) -> str | None:
    for item in items:
        cleaned = clean_text(item)
        if cleaned:
            return cleaned
    return None
