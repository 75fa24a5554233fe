"""JSON API adapters: one small module per platform shape that recurs in the region.

Each adapter declares how its API pages (`paging`), where a page keeps its items, which key
paths give an item's identifier and modification date, the web page of an item, and how an
item's fields map onto the catalogue (`map_into`); `harvesters.json_api` does the fetching
for all of them. A key path is a dotted string ("pagination.next"); several paths are tried
in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from oerhub.models import Record
from oerhub.normalize.fields import map_fields

NEXT_URL = "next-url"  # each page names the next page's URL ("pagination.next": url | null)
PAGE_NUMBER = "page-number"  # ?page=N, and a flag saying whether page N+1 exists
OFFSET = "offset"  # ?start=S&limit=L, and the total number of items


@dataclass(frozen=True)
class Paging:
    """How an API's list pages follow one another."""

    kind: str  # NEXT_URL, PAGE_NUMBER or OFFSET
    next_url: tuple[str, ...] = ()  # NEXT_URL: key paths of the next page's URL
    has_next: tuple[str, ...] = ()  # PAGE_NUMBER: key paths of the "there is more" flag
    total: tuple[str, ...] = ()  # OFFSET: key paths of the number of items in the listing
    param: str = "page"  # the page number (PAGE_NUMBER, NEXT_URL) or start offset (OFFSET)
    first: int = 1  # the first page's number (or the first offset)
    size_param: str | None = None  # the page-size parameter, when the API takes one
    size: int | None = None  # the page size oerhub asks for (the API's largest, to save requests)

    def first_url(self, url: str) -> str:
        """The registry's URL with the page size (and first page) added unless it names them."""
        query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        add: dict[str, str] = {}
        if self.size_param and self.size and self.size_param not in query:
            add[self.size_param] = str(self.size)
        if self.kind != NEXT_URL and self.param not in query:
            add[self.param] = str(self.first)
        return with_query(url, add) if add else url

    def position(self, url: str) -> int:
        """The page number or offset a URL asks for (the first when it names none)."""
        value = dict(parse_qsl(urlsplit(url).query)).get(self.param, "")
        return int(value) if value.isdigit() else self.first

    def following(self, url: str, step: int) -> str:
        """The URL of the page after `url` (`step` items later for OFFSET paging)."""
        return with_query(url, {self.param: str(self.position(url) + step)})


@dataclass(frozen=True)
class Adapter:
    """One platform's API shape and field mapping."""

    name: str  # as written in sources.toml (`adapter = "..."`) and stored as the record format
    platform: str  # what it is, for messages: "Open edX course API"
    paging: Paging
    items: tuple[str, ...]  # key paths of the list of items in a page
    identifier: tuple[str, ...]  # key paths of an item's identifier (the first present wins)
    modified: tuple[str, ...]  # key paths of an item's modification date (empty: none given)
    item_url: Callable[[Mapping[str, Any]], str | None]  # the item's own web page
    map_into: Callable[[Any, Record], None]  # API item -> catalogue record
    portals: tuple[str, ...] = field(default=())  # the real portals this shape is known from


def get_path(data: Any, path: str) -> Any:
    """The value at a dotted key path of nested dicts, or None."""
    for key in path.split("."):
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data


def first_value(data: Any, paths: Iterable[str]) -> Any:
    """The value of the first key path that is present and not empty."""
    for path in paths:
        value = get_path(data, path)
        if value not in (None, "", [], {}):
            return value
    return None


def with_query(url: str, params: Mapping[str, str]) -> str:
    """`url` with these query parameters set (others kept in their order)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def flat_mapper(fields: Callable[[Mapping[str, Any]], dict[str, Any]]
                ) -> Callable[[Any, Record], None]:
    """The `map_into` of an adapter whose items map through `fields` alone: an item (a JSON
    object; anything else maps to nothing) to flat fields, which oerhub/normalize/fields.py
    maps as it maps every web format's."""

    def map_into(item: Any, record: Record) -> None:
        if isinstance(item, Mapping):
            map_fields(fields(item), record)

    return map_into


def _registry() -> dict[str, Adapter]:
    from oerhub.normalize.adapters import ekoolikott, openedx, stepik

    return {module.ADAPTER.name: module.ADAPTER for module in (openedx, stepik, ekoolikott)}


ADAPTERS: dict[str, Adapter] = _registry()
