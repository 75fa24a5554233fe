"""Mapper for flat fields: the common ground of every web format.

A web harvester's raw record is JSON. The `html` harvester stores the fields it extracted
(`{"title": "...", "language": ["uk"], ...}`); the feed, API and schema.org mappers first
pick their item's values into the same flat shape and then call `map_fields`, so a language,
licence, type or date spelling is normalised exactly as it is for OAI-PMH records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oerhub.models import Record
from oerhub.normalize.controlled import add_age_levels, first_clean, pick_date, set_controlled
from oerhub.normalize.subjects import split_subjects
from oerhub.normalize.text import clean_text, unique

FIELDS = ("title", "description", "url", "language", "license", "resource_type",
          "education_level", "age_range", "subjects", "creators", "publisher", "date",
          "identifiers", "access")


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

    record.title = first_clean(get("title"))
    record.description = first_clean(get("description"))
    urls = [u for u in get("url") if u.startswith(("http://", "https://"))]
    record.url = urls[0] if urls else None
    record.creators = unique(clean_text(v) for v in get("creators"))
    record.subjects = unique(clean_text(part) for value in get("subjects")
                              for part in split_subjects(value))
    record.publisher = first_clean(get("publisher"))
    record.identifiers = unique(clean_text(v) for v in get("identifiers"))
    record.date = pick_date(get("date"))
    set_controlled(record, get("language"), get("license"), get("resource_type"),
                   get("education_level"))
    add_age_levels(record, get("age_range"))
    access = get("access")
    record.access = record.access or (access[0] if access else None)
