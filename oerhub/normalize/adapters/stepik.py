"""Stepik REST API (`https://stepik.org/api/courses?page=N`), documented in StepicOrg/Stepik-API.

Targets stepik.org (RU; the official examples still use the old stepic.org host). A list page
is `{"meta": {"page": N, "has_next": bool, "has_previous": bool}, "courses": [...]}`; the API
is flat, so `authors` and `tags` are lists of ids, not names, and are left in the raw record
only. A course gives `id`, `title`, `summary`, `description` (HTML), `language` ("ru", "en",
...), `update_date` (the modification date that lets a second run skip it), `create_date`,
`canonical_url`, `is_public`, `is_paid`, `workload` and `course_format`. Its page is
`canonical_url`, else `https://stepik.org/course/{id}/promo`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oerhub.normalize.adapters import PAGE_NUMBER, Adapter, Paging, flat_mapper

HOME = "https://stepik.org"


def item_url(item: Mapping[str, Any]) -> str | None:
    """The course's canonical page, else its promo page on stepik.org."""
    canonical = item.get("canonical_url")
    if isinstance(canonical, str) and canonical.startswith(("http://", "https://")):
        return canonical
    course_id = item.get("id")
    return f"{HOME}/course/{course_id}/promo" if course_id not in (None, "") else None


def fields(item: Mapping[str, Any]) -> dict[str, Any]:
    """The flat fields of one course (see map_fields)."""
    return {
        "title": item.get("title"),
        "description": [item.get("summary"), item.get("description")],  # the first non-empty
        "url": item_url(item),
        "language": item.get("language"),
        "resource_type": "course",  # /api/courses lists courses only
        "date": item.get("create_date"),
        "identifiers": [item_url(item)],
        "access": "restricted" if item.get("is_paid") is True else None,
    }


map_into = flat_mapper(fields)


ADAPTER = Adapter(
    name="stepik",
    platform="Stepik course API",
    paging=Paging(PAGE_NUMBER, has_next=("meta.has_next",), param="page", first=1),
    items=("courses",),
    identifier=("id",),
    modified=("update_date",),
    item_url=item_url,
    map_into=map_into,
    portals=("stepik.org",),
)
