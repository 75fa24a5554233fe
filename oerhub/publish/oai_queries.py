"""/oai's lists: the request a resumption token carries (ListQuery, stateless), and the SQL
behind the pages: read by keyset (by id, or by (last_changed, id) where an index leads
with last_changed), counts, the earliest datestamp and the sets."""

from __future__ import annotations

import base64
import binascii
import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from oerhub.publish.oai_formats import FORMATS, SET_SPEC

SECOND_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
LIST_COLUMNS = ("id", "source_id", "identifier", "deleted", "country", "last_changed")
RECORD_COLUMNS = (*LIST_COLUMNS, "datestamp", "format", "title", "description", "url",
                   "language", "license", "license_url", "access", "resource_type",
                   "education_level", "subjects", "creators", "publisher", "date", "identifiers")


class OaiError(Exception):
    """An OAI-PMH error condition: answered with HTTP 200 and <error code=…>."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ListQuery:
    """One list request, or where a resumption token continues it."""

    verb: str
    prefix: str
    since: str | None = None   # inclusive lower bound on last_changed, YYYY-MM-DDThh:mm:ssZ
    until: str | None = None   # inclusive upper bound, likewise
    set_spec: str | None = None
    order: str = "id"          # "id" or "stamp" (last_changed, id)
    after_stamp: str | None = None
    after_id: int = 0
    cursor: int = 0
    complete: int | None = None

    def token(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v is not None and k != "verb"}
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")

    @classmethod
    def from_token(cls, verb: str, token: str) -> ListQuery:
        try:
            padded = token + "=" * (-len(token) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
            query = cls(verb=verb, **data)
            valid = (query.prefix in FORMATS and query.order in ("id", "stamp")
                     and isinstance(query.after_id, int) and isinstance(query.cursor, int)
                     and query.cursor > 0
                     and all(v is None or (isinstance(v, str) and SECOND_RE.fullmatch(v))
                             for v in (query.since, query.until, query.after_stamp))
                     and (query.set_spec is None or isinstance(query.set_spec, str))
                     and (query.complete is None or isinstance(query.complete, int))
                     and (query.order == "id" or query.after_stamp is not None))
        except (ValueError, TypeError, UnicodeError, binascii.Error):
            valid = False
        if not valid:
            raise OaiError("badResumptionToken",
                           "The resumptionToken is not one this repository issued")
        return query




def query_rows(conn: sqlite3.Connection, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, tuple(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def has_stamp_index(conn: sqlite3.Connection) -> bool:
    """Whether an index leads with records.last_changed (then from/until pages use it)."""
    for (name,) in conn.execute("SELECT name FROM pragma_index_list('records')"):
        first = conn.execute("SELECT name FROM pragma_index_info(?) WHERE seqno = 0",
                             (name,)).fetchone()
        if first and first[0] == "last_changed":
            return True
    return False


def _filters(query: ListQuery, keyset: bool) -> tuple[list[str], list[Any]]:
    """WHERE terms. A unary + keeps SQLite off an index that would break the page order."""
    stamp = query.order == "stamp"
    terms: list[str] = []
    params: list[Any] = []
    if keyset:
        if stamp:
            terms.append("(last_changed, id) > (?, ?)")
            params += [query.after_stamp or "", query.after_id]
        else:
            terms.append("id > ?")
            params.append(query.after_id)
    column = "last_changed" if stamp else "+last_changed"
    if query.since:
        terms.append(f"{column} >= ?")
        params.append(query.since)
    if query.until:
        terms.append(f"{column} <= ?")
        params.append(query.until)
    spec = query.set_spec
    if spec is not None:
        kind, _, value = spec.partition(":")
        if kind == "country" and value:
            terms.append("+country = ?" if stamp else "country = ?")  # (country, rowid) index
            params.append(value)
        elif spec == "country":
            terms.append("+country IS NOT NULL")
        elif kind == "source" and value:
            terms.append("+source_id = ?")
            params.append(value)
        elif spec != "source":
            terms.append("0")  # no such set: no record is in it
    return terms, params


def page_sql(query: ListQuery, limit: int, columns: Iterable[str]) -> tuple[str, list[Any]]:
    terms, params = _filters(query, keyset=True)
    order = "last_changed, id" if query.order == "stamp" else "id"
    sql = (f"SELECT {', '.join(columns)} FROM records WHERE {' AND '.join(terms)} "
           f"ORDER BY {order} LIMIT ?")
    return sql, [*params, limit]


def fetch_page(conn: sqlite3.Connection, query: ListQuery, limit: int,
               records: bool) -> list[dict[str, Any]]:
    sql, params = page_sql(query, limit, RECORD_COLUMNS if records else LIST_COLUMNS)
    return query_rows(conn, sql, params)


def last_sent(conn: sqlite3.Connection, query: ListQuery,
              records: bool) -> list[dict[str, Any]]:
    """The last record up to the token's key that still matches the query (or none).

    When every record after the key changed away since the last page (out of from/until),
    the list ends with this one again: an OAI-PMH page must hold a record, and a harvester
    that gets one twice only stores it again."""
    terms, params = _filters(query, keyset=False)
    if query.order == "stamp":
        terms.append("(last_changed, id) <= (?, ?)")
        params += [query.after_stamp or "", query.after_id]
        order = "last_changed DESC, id DESC"
    else:
        terms.append("id <= ?")
        params.append(query.after_id)
        order = "id DESC"
    columns = RECORD_COLUMNS if records else LIST_COLUMNS
    return query_rows(conn, f"SELECT {', '.join(columns)} FROM records WHERE "
                      f"{' AND '.join(terms)} ORDER BY {order} LIMIT 1", params)


def count_matches(conn: sqlite3.Connection, query: ListQuery) -> int:
    """completeListSize, counted once (on the first page that needs a token)."""
    terms, params = _filters(query, keyset=False)
    terms = [t.replace("+", "") for t in terms]  # any index will do for a count
    where = f" WHERE {' AND '.join(terms)}" if terms else ""
    return int(conn.execute(f"SELECT COUNT(*) FROM records{where}", params).fetchone()[0])


def earliest_datestamp(conn: sqlite3.Connection) -> str:
    """A lower bound of every datestamp, without scanning the records table when avoidable.

    No record changed before the first harvest run started, and harvest_runs is small.
    """
    if has_stamp_index(conn):
        found = conn.execute("SELECT MIN(last_changed) FROM records").fetchone()[0]
    else:
        try:
            found = conn.execute("SELECT MIN(started_at) FROM harvest_runs").fetchone()[0]
        except sqlite3.OperationalError:  # a snapshot without harvest_runs
            found = None
        found = found or conn.execute("SELECT MIN(last_changed) FROM records").fetchone()[0]
    return str(found) if found and SECOND_RE.fullmatch(str(found)) else "1970-01-01T00:00:00Z"


def list_sets(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(setSpec, setName): the two parents, every country, every source."""
    import pycountry

    sources = conn.execute("SELECT id, name, country FROM sources ORDER BY id").fetchall()
    if not sources:
        return []
    countries = sorted({c for _, _, c in sources if c} | {
        c for (c,) in conn.execute("SELECT DISTINCT country FROM records "
                                   "WHERE country IS NOT NULL")})
    found: list[tuple[str, str]] = [("country", "Records by the country of their source")]
    for code in countries:
        country = pycountry.countries.get(alpha_2=code)
        found.append((f"country:{code}", getattr(country, "name", code)))
    found.append(("source", "Records by the repository they were harvested from"))
    found += [(f"source:{source_id}", name) for source_id, name, _ in sources
              if SET_SPEC.fullmatch(f"source:{source_id}")]
    return found


def source_origins(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    return {source_id: (url, protocol) for source_id, url, protocol
            in conn.execute("SELECT id, url, protocol FROM sources")}


# --- XML -------------------------------------------------------------------------------------
