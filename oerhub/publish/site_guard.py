"""What one anonymous visitor may cost `oerhub serve`: a Datasette plugin of the public site.

Datasette's own limits (settings.json: sql_time_limit_ms, max_returned_rows) stop long and
long-listing queries, not big ones: `select hex(zeroblob(499999999))` builds 1 GB in a single
function call the time limit cannot interrupt, 1,000 rows of 1 MB each pass the row limit, a
100 MB POST is read into memory on the event loop, and hidden tables are only hidden from the
listings. So, on the catalogue's connections and in front of the app:

- `max_value_bytes`: SQLITE_LIMIT_LENGTH, no string or blob longer than this can be built or
  read ("string or blob too big");
- `max_result_bytes`: the text and blobs one statement may hand back to Python, summed over its
  rows; past it the query fails ("query result too large") instead of filling memory;
- `max_body_bytes`: a request body longer than this is answered 413 before it is read (by its
  Content-Length, or as soon as a chunked body passes it); shorter bodies are read once, here,
  and handed on in one piece;
- the harvester's internal tables (INTERNAL_TABLES below) are not served at all: no
  page, no row, no CSV (403), not listed, and SQL reads NULL in each of their columns (an
  SQLite authorizer on the catalogue's connections, which treats `dbstat` the same);
- `max_sql_requests`: requests carrying SQL of their own (`sql=`, `_where=`) are answered a
  few at a time, `max_sql_waiting` more wait, the rest get 503: a flood of them leaves the
  other pages their share of the server;
- /-/databases lists the databases without their file paths.

The limits are set in metadata.yaml, `plugins: {oerhub-site: {max_value_bytes: …,
max_result_bytes: …, max_body_bytes: …, max_sql_requests: …, max_sql_waiting: …}}`;
DEFAULTS below otherwise.
"""

from __future__ import annotations

import asyncio
import copy
import json
import sqlite3
import sys
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

from datasette import hookimpl
from datasette.utils.asgi import Request, Response

# The harvester's own tables: what it needs to resume and to match records, nothing a visitor
# should read (raw records are re-served normalised; the rest is bookkeeping).
INTERNAL_TABLES = ("raw_records", "harvest_state", "pending_deletions", "web_pages",
                   "record_keys", "enrich_marks", "open_writes")

PLUGIN_NAME = "oerhub-site"
DATABASE_NAME = "oerhub"  # as oerhub.publish.serve names the catalogue
DEFAULTS = {
    "max_value_bytes": 2 << 20,   # 2 MiB: far above any record's field
    "max_result_bytes": 8 << 20,  # 8 MiB: 1,000 records with long descriptions fit
    "max_body_bytes": 64 << 10,   # 64 KiB: an OAI-PMH POST or a form is a few hundred bytes
    "max_sql_requests": 2,        # requests with arbitrary SQL answered at a time
    "max_sql_waiting": 20,        # and waiting their turn; more get 503
}
# Query arguments that carry SQL of the visitor's own: the SQL lane (see SqlLane).
SQL_ARGUMENTS = frozenset({"sql", "_where"})
# Virtual tables that read the database file below the tables: they would bypass the
# authorizer's table names.
RAW_READERS = frozenset({"dbstat", "sqlite_dbpage"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class ResultTooLarge(sqlite3.OperationalError):
    """A statement's rows passed max_result_bytes (an OperationalError: Datasette answers 400)."""


def register() -> None:
    """Register this module with Datasette's plugin manager (once per process)."""
    from datasette.plugins import pm

    module = sys.modules[__name__]
    if not pm.is_registered(module):
        pm.register(module, name=PLUGIN_NAME)


def internal_tables() -> frozenset[str]:
    """Lower-cased names of the tables the site never serves (SQLite names ignore case)."""
    return frozenset(name.lower() for name in INTERNAL_TABLES)


def limits(datasette: Any) -> dict[str, int]:
    """DEFAULTS, overridden by the plugin's configuration in metadata.yaml."""
    return parse_limits(datasette.plugin_config(PLUGIN_NAME) or {})


def parse_limits(config: Mapping[str, Any]) -> dict[str, int]:
    """The limits `config` (the plugin's block of metadata.yaml) sets; ValueError if wrong."""
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"plugins: {PLUGIN_NAME}: unknown setting(s) {', '.join(unknown)} "
                         f"(known: {', '.join(DEFAULTS)})")
    found = {}
    for key, default in DEFAULTS.items():
        value = config.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"plugins: {PLUGIN_NAME}: {key} must be a whole number above 0, "
                             f"not {value!r}")
        found[key] = value
    return found


# --- the catalogue's connections ---------------------------------------------------------------

@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    """Cap what one statement may build and return, and hide the internal tables from SQL."""
    if database != DATABASE_NAME:
        return
    settings = limits(datasette)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, settings["max_value_bytes"])
    conn.set_authorizer(table_authorizer(internal_tables() | RAW_READERS))
    conn.row_factory = ResultBudget(settings["max_result_bytes"])
    conn.create_function("oerhub_match", 1, lambda q: search_match(q, conn))
    conn.create_function("oerhub_floor", 1, lambda q: search_floor(q, conn))


def with_search_engine(metadata: dict[str, Any]) -> dict[str, Any]:
    """The site's metadata with its ready-made queries reading `q` through oerhub_match
    instead of escape_fts (the words as typed), which a snapshot served without oerhub keeps."""
    changed = copy.deepcopy(metadata)
    for database in (changed.get("databases") or {}).values():
        for query in (database.get("queries") or {}).values():
            if isinstance(query, dict) and isinstance(query.get("sql"), str):
                sql = query["sql"].replace("escape_fts(:q)", "oerhub_match(:q)")
                if "oerhub_match(:q)" in sql:  # as oerhub search: the newest matches ranked
                    sql = sql.replace("order by records_search.rank", "and records_search."
                                      "rowid >= oerhub_floor(:q) order by records_search.rank")
                query["sql"] = sql
    return changed


def search_match(query: str | None, conn: sqlite3.Connection | None = None) -> str:
    """oerhub_match(:q) in the site's SQL: the ranked search (`/oerhub/search`) reads a query
    as `oerhub search` does — word forms, prefixes (through the suggestion keys of `conn`),
    other scripts (search_query.py)."""
    from oerhub.enrich import suggest_index
    from oerhub.enrich.search_query import query_match
    from oerhub.enrich.suggestions import folded

    def starts(word: str) -> list[str] | None:
        return suggest_index.completions(conn, folded(word)) if conn is not None else None
    return query_match(query or "", None, starts)


def search_floor(query: str | None, conn: sqlite3.Connection) -> int:
    """oerhub_floor(:q): the smallest rowid of the newest matches the ranked search ranks
    (search_index.RANKED_AT_MOST; 0 when fewer match), as `oerhub search` does."""
    from oerhub.enrich.search_index import ranked_floor
    match = search_match(query, conn)
    return ranked_floor(conn, match) if match else 0


def table_authorizer(denied: frozenset[str]) -> Callable[..., int]:
    """An SQLite authorizer reading every column of the `denied` tables (lower-case names)
    as NULL: SQL gets nothing out of them, not even through WHERE, and Datasette's own
    queries touching them (row counts, the links on a record's page) still run. oerhub's own
    code reads them inside `trusted()`."""
    def authorize(action: int, arg1: str | None, arg2: str | None, db_name: str | None,
                  source: str | None) -> int:
        if (action == sqlite3.SQLITE_READ and arg1 is not None and arg1.lower() in denied
                and not getattr(_trust, "on", False)):
            return sqlite3.SQLITE_IGNORE
        return sqlite3.SQLITE_OK
    return authorize


_trust = threading.local()


@contextmanager
def trusted() -> Iterator[None]:
    """oerhub's own read of an internal table on a guarded connection, in this thread (the
    statements prepared inside the block): /oai's horizon reads open_writes."""
    _trust.on = True
    try:
        yield
    finally:
        _trust.on = False


class ResultBudget:
    """A row factory (sqlite3.Row rows) counting each cursor's text and blob characters.

    A connection is used by one thread at a time in Datasette, so no lock; cursors are
    weakly held, the count goes with them.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._spent: weakref.WeakKeyDictionary[sqlite3.Cursor, int] = \
            weakref.WeakKeyDictionary()

    def __call__(self, cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> sqlite3.Row:
        size = sum(len(value) for value in row if isinstance(value, (str, bytes)))
        spent = self._spent.get(cursor, 0) + size
        if spent > self.limit:
            raise ResultTooLarge(f"query result too large: more than {self.limit:,} bytes of "
                                 "text and blobs (plugins: oerhub-site: max_result_bytes)")
        self._spent[cursor] = spent
        return sqlite3.Row(cursor, row)


# --- pages ---------------------------------------------------------------------------------------

@hookimpl
def permission_allowed(datasette: Any, actor: Any, action: str, resource: Any) -> bool | None:
    """No page, row, JSON or CSV of an internal table, for anyone; listings leave them out."""
    if (action == "view-table" and isinstance(resource, (tuple, list)) and len(resource) == 2
            and resource[0] == DATABASE_NAME and str(resource[1]).lower() in internal_tables()):
        return False
    return None


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/databases(\.(?P<format>json))?$", databases_view)]


def public_databases(datasette: Any) -> list[dict[str, Any]]:
    """Datasette's /-/databases without `path`: where the files are is nobody's business."""
    return [{"name": d.name, "route": d.route, "is_mutable": d.is_mutable,
             "is_memory": d.is_memory, "hash": d.hash}
            for name, d in datasette.databases.items() if name != "_internal"]


async def databases_view(request: Request, datasette: Any) -> Response:
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    data = public_databases(datasette)
    if request.url_vars.get("format"):
        return Response.json(data)
    return Response.html(await datasette.render_template(
        "show_json.html", {"filename": "databases.json", "data_json": json.dumps(data, indent=4)},
        request=request))


# --- request bodies ------------------------------------------------------------------------------

@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[App], App]:
    def wrap(app: App) -> App:
        settings = limits(datasette)
        lane = SqlLane(app, settings["max_sql_requests"], settings["max_sql_waiting"])
        return BodyLimit(lane, lambda: limits(datasette)["max_body_bytes"])
    return wrap


class SqlLane:
    """ASGI middleware: at most `slots` requests carrying SQL of their own (`sql=`, `_where=`)
    are answered at a time; up to `waiting` more wait their turn, beyond that 503.

    Each such request is cheap once the limits stop it, but ten clients sending them back to
    back keep the event loop and the SQL threads busy: the home page, which awaits a dozen
    queries one after another, then waits behind all of them at every step.
    """

    def __init__(self, app: App, slots: int, waiting: int) -> None:
        self.app = app
        self.slots = slots
        self.waiting = waiting
        self._queued = 0
        self._semaphore: asyncio.Semaphore | None = None  # made in the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _carries_sql(scope):
            await self.app(scope, receive, send)
            return
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.slots)
        if self._semaphore.locked() and self._queued >= self.waiting:
            await plain(send, 503, "Too many SQL queries at once here; try again in a moment\n",
                        [(b"retry-after", b"1")])
            return
        self._queued += 1
        try:
            await self._semaphore.acquire()
        finally:
            self._queued -= 1
        try:
            await self.app(scope, receive, send)
        finally:
            self._semaphore.release()


def _carries_sql(scope: Mapping[str, Any]) -> bool:
    query = bytes(scope.get("query_string") or b"").decode("latin-1")
    return bool(query) and any(key in SQL_ARGUMENTS
                               for key in parse_qs(query, keep_blank_values=True))


class BodyLimit:
    """ASGI middleware: 413 for a body over the limit, before (or instead of) reading it.

    A body within the limit is read here and handed to the app as one message, so the app's
    reader never concatenates thousands of chunks on the event loop.
    """

    def __init__(self, app: App, limit: Callable[[], int]) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        limit = self.limit()
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await too_large(send, limit)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await too_large(send, limit)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # e.g. http.disconnect

        await self.app(scope, replay, send)


def _has_body(scope: Mapping[str, Any]) -> bool:
    return (scope.get("method") not in ("GET", "HEAD", "OPTIONS")
            or _header(scope, b"content-length") not in (None, "0")
            or _header(scope, b"transfer-encoding") is not None)


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None


async def too_large(send: Send, limit: int) -> None:
    await plain(send, 413, f"Request body too large: at most {limit:,} bytes here "
                "(plugins: oerhub-site: max_body_bytes)\n", [(b"connection", b"close")])


async def plain(send: Send, status: int, text: str,
                headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A short text/plain answer, straight from the middleware."""
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
