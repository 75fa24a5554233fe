"""`/-/suggest`: as-you-type suggestions for the site's search box, a Datasette plugin of
`oerhub serve` (registered beside site_guard, whose limits apply to its connections).

    GET /-/suggest?q=физ&limit=8
    200 {"query": "физ", "suggestions": [
          {"text": "Физика", "kind": "subject", "url": "/oerhub/resources?_search=%D0%A4…"},
          {"text": "Задачи по физике", "kind": "title", "url": "/oerhub/records/12"}]}

A title's url is its record's page, a subject's the Resources page searched for it. An empty
q gives no suggestions; a q longer than MAX_QUERY, or a limit outside 1..MAX_LIMIT, is a 400
with a JSON error. The answer comes from the suggestion tables the search step keeps
(oerhub/enrich/suggest_index.py), within the site's time limit per query.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import Any
from urllib.parse import quote

from datasette import hookimpl
from datasette.utils import sqlite_timelimit
from datasette.utils.asgi import Request, Response

from oerhub.enrich.suggest_index import lookup

PLUGIN_NAME = "oerhub-suggest"
DATABASE_NAME = "oerhub"  # as oerhub.publish.serve names the catalogue
DEFAULT_LIMIT = 8
MAX_LIMIT = 20
MAX_QUERY = 200  # characters: a search box's prefix, never a document


def register() -> None:
    """Register this module with Datasette's plugin manager (once per process)."""
    from datasette.plugins import pm

    module = sys.modules[__name__]
    if not pm.is_registered(module):
        pm.register(module, name=PLUGIN_NAME)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/suggest$", suggest_view)]


def _error(status: int, message: str) -> Response:
    return Response.json({"ok": False, "status": status, "error": message}, status=status)


def clean(text: str) -> str:
    """The query as it can be looked up: NUL and lone surrogates out (what no key holds)."""
    return text.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")


def parse_limit(value: str | None) -> int | None:
    """The limit asked for (DEFAULT_LIMIT when none), None when it is no whole number in
    1..MAX_LIMIT."""
    if value is None or value == "":
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        return None
    return limit if 1 <= limit <= MAX_LIMIT else None


def url_of(suggestion: dict[str, Any]) -> str:
    """The site-relative page a suggestion opens."""
    if suggestion["kind"] == "title":
        return f"/{DATABASE_NAME}/records/{suggestion['record_id']}"
    return f"/{DATABASE_NAME}/resources?_search={quote(suggestion['text'], safe='')}"


async def suggest_view(request: Request, datasette: Any) -> Response:
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    query = request.args.get("q") or ""
    if len(query) > MAX_QUERY:
        return _error(400, f"q is longer than {MAX_QUERY} characters")
    limit = parse_limit(request.args.get("limit"))
    if limit is None:
        return _error(400, f"limit must be a whole number from 1 to {MAX_LIMIT}")
    found: list[dict[str, Any]] = []
    if query.strip():
        budget = datasette.setting("sql_time_limit_ms")
        looked_up = clean(query)

        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            with sqlite_timelimit(conn, budget):
                return lookup(conn, looked_up, limit)

        try:
            found = await datasette.get_database(DATABASE_NAME).execute_fn(read)
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):  # a catalogue from before suggestions: none
                found = []
            elif "interrupted" in str(exc):
                return _error(503, "suggestions took too long")
            else:
                return _error(400, f"suggestions failed: {exc}")
        except (sqlite3.Error, ValueError, UnicodeError) as exc:  # never a 500
            return _error(400, f"suggestions failed: {exc}")
    return Response.json({"query": query, "suggestions": [
        {"text": row["text"], "kind": row["kind"], "url": url_of(row)} for row in found]})
