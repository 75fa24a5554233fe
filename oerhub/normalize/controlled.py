"""What every mapper does once it has the values: pick, clean and control them.

Dublin Core and the flat fields of the web formats reach the same columns the same way: the
first non-empty cleaned value, a date without a time preferred, and the controlled values
(language, licence, type, level) stored beside the raw spellings they came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from oerhub.models import Record
from oerhub.normalize import cached
from oerhub.normalize.text import clean_text


def first_clean(values: Iterable[str]) -> str | None:
    """The first value that is not empty once cleaned."""
    for value in values:
        cleaned = clean_text(value)
        if cleaned:
            return cleaned
    return None


def pick_date(values: Iterable[str]) -> str | None:
    """DSpace lists accession timestamps beside the issue date; prefer a date without a time."""
    normalised = [d for d in (cached.date(v) for v in values) if d]
    for value in normalised:
        if "T" not in value:
            return value
    return normalised[0] if normalised else None


def set_controlled(record: Record, languages: Sequence[str], rights: Sequence[str],
                   types: Sequence[str], levels: Sequence[str]) -> None:
    """Language, licence (with its URL and access), type and levels, raw spellings kept."""
    record.language_raw = "; ".join(languages) or None
    found = [code for value in languages for code in cached.languages(value)]
    record.language = found[0] if found else None

    record.license_raw = "; ".join(rights) or None
    licence = cached.pick_license(rights)
    record.license, record.license_url, record.access = licence.spdx, licence.url, licence.access

    record.resource_type_raw = "; ".join(types) or None
    record.resource_type = cached.pick_resource_type(types)

    record.education_level_raw = "; ".join(levels) or None
    record.education_level = sorted({lvl for v in levels
                                     for lvl in cached.education_levels(v, record.country)})


def add_age_levels(record: Record, ages: Sequence[str]) -> None:
    """A typical age range (LOM, schema.org typicalAgeRange) adds its levels and its raw
    spelling to those the level fields gave: "13 - 15" is ages, not grades."""
    if not ages:
        return
    record.education_level_raw = "; ".join(
        [*([record.education_level_raw] if record.education_level_raw else []), *ages])
    record.education_level = sorted({*record.education_level, *(
        lvl for v in ages for lvl in cached.age_levels(v, record.country))})
