"""Open edX Course API v1 (`/api/courses/v1/courses/`), the same on every Open edX instance.

Targets Prometheus (courses.prometheus.org.ua) and All-Ukrainian School Online
(lms.e-school.net.ua), and any other instance of the region. A list page is
`{"results": [course, ...], "pagination": {"next": url | null, "previous", "count",
"num_pages"}}` (older instances put `next` at the top level, as plain Django REST Framework
does); `page_size` goes up to 100.

A course item gives `id` (`course-v1:Org+Number+Run`; `course_id` is its deprecated twin),
`name`, `short_description`, `org`, `number`, `start`, `end`, `enrollment_start`, `effort`,
`pacing`, `media`, `blocks_url`, `hidden` and `invitation_only`, but no modification date:
unchanged courses are recognised by their unchanged JSON. Nor does the list (or the detail)
give a language: the record's language stays empty unless a later release adds `language` to
the item, because an instance such as Prometheus teaches in Ukrainian and in English and the
source's `languages` cannot say which course is which. The course's page is
`{instance}/courses/{id}/about`; the instance is read from `blocks_url`, which the server
writes as an absolute URL of itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from oerhub.normalize.adapters import NEXT_URL, Adapter, Paging, first_value, flat_mapper


def item_url(item: Mapping[str, Any]) -> str | None:
    """`{instance}/courses/{course id}/about`, the instance taken from `blocks_url`."""
    course_id = first_value(item, ("id", "course_id"))
    blocks = urlsplit(str(item.get("blocks_url") or ""))
    if not course_id or blocks.scheme not in ("http", "https") or not blocks.netloc:
        return None
    return f"{blocks.scheme}://{blocks.netloc}/courses/{quote(str(course_id), safe=':+@')}/about"


def fields(item: Mapping[str, Any]) -> dict[str, Any]:
    """The flat fields of one course (see map_fields)."""
    return {
        "title": item.get("name"),
        "description": item.get("short_description"),
        "url": item_url(item),
        "language": item.get("language"),  # not in the v1 API today; taken if a release adds it
        "resource_type": "course",  # the API lists courses and nothing else
        "publisher": item.get("org"),
        "date": item.get("start"),
        "identifiers": [first_value(item, ("id", "course_id"))],
        "access": "restricted" if item.get("invitation_only") is True else None,
    }


map_into = flat_mapper(fields)


ADAPTER = Adapter(
    name="openedx",
    platform="Open edX course API",
    paging=Paging(NEXT_URL, next_url=("pagination.next", "next"), param="page",
                  size_param="page_size", size=100),
    items=("results",),
    identifier=("id", "course_id"),
    modified=(),
    item_url=item_url,
    map_into=map_into,
    portals=("courses.prometheus.org.ua", "lms.e-school.net.ua"),
)
