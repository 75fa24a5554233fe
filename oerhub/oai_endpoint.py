"""The catalogue as an OAI-PMH 2.0 repository at /oai, a Datasette plugin of `oerhub serve`.

National and international aggregators can then harvest the whole region, normalised, from one
place. What they get:

- identifiers `oai:oerhub:<source id>:<the source's own identifier>`, both parts
  percent-encoded where the oai-identifier syntax needs it, so every one maps back to exactly
  one (source_id, identifier) of the catalogue;
- datestamps = our `last_changed` (UTC, seconds), so incremental harvesting (`from`) sees every
  change oerhub made, whatever the source's own datestamps were;
- sets `country:UA` and `source:<id>` (and their parents `country` and `source`);
- deleted records kept for good (`deletedRecord` persistent): the catalogue keeps tombstones;
- two formats from the normalised fields: `oai_dc`, and `lom` (IEEE LOM, the format of the
  Baltic referatories, read by oerhub's own LOM mapper), which also carries what Dublin Core
  has no element for: the ISCED education levels. Values are written so that oerhub's mappers
  read them back to the same normalised values (resource types as words, licences as their URL
  as written and their SPDX id, access as info:eu-repo terms), which tests/test_oai_endpoint.py
  proves by a round trip. Known losses: a subject containing ";" comes back split (oai_dc
  splits subjects on ";"), oai_dc has no element for education levels, and a URL that was not
  among the record's identifiers comes back as one more (dc:identifier must carry the link).
  Free text that clean_text would alter (a literal "<p>", "&amp;") goes out HTML-escaped, as
  it came in;
- a provenance `<about>` (the source's base URL, identifier and datestamp) for records
  harvested over OAI-PMH.

Resumption tokens are stateless: they carry the query (prefix, from, until, set), the key of the
last record sent, the cursor and completeListSize, so they never expire and survive a restart.
Pages are read by keyset: by id (a rowid range, fast on millions of records), or by
(last_changed, id) when the catalogue has an index whose first column is last_changed and the
request has from/until, so an incremental harvest reads only what changed. Reads only: the
Datasette connection is read-only.

Configured, optionally, in the site's metadata.yaml: `plugins: {oerhub-oai: {admin_email: …,
repository_name: …, page_size: 100}}`.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from datasette import hookimpl
from datasette.utils.asgi import Request, Response
from lxml import etree

from oerhub.normalize.license import pick_license
from oerhub.normalize.text import clean_text

PLUGIN_NAME = "oerhub-oai"
DATABASE_NAME = "oerhub"  # as oerhub.serve names the catalogue
PATH = "/oai"
PAGE_SIZE = 100  # records (or headers) per response; plugin config `page_size` overrides it
# A write open longer than this was left by a killed harvest: /oai no longer waits for it.
OPEN_WRITE_MAX_AGE = timedelta(minutes=15)
NAMESPACE = "oerhub"  # the oai:<namespace>:… of our identifiers
DEFAULT_ADMIN_EMAIL = "oerhub@example.org"  # plugin config `admin_email` should say who runs it

NS_OAI = "http://www.openarchives.org/OAI/2.0/"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_LOM = "http://ltsc.ieee.org/xsd/LOM"
NS_PROVENANCE = "http://www.openarchives.org/OAI/2.0/provenance"
SCHEMA_OAI = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
SCHEMA_OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
SCHEMA_LOM = "http://ltsc.ieee.org/xsd/lomv1.0/lomLoose.xsd"
SCHEMA_PROVENANCE = "http://www.openarchives.org/OAI/2.0/provenance.xsd"
FORMATS = {  # prefix: (schema, namespace)
    "oai_dc": (SCHEMA_OAI_DC, NS_OAI_DC),
    "lom": (SCHEMA_LOM, NS_LOM),
}
# Namespaces of the formats the sources' records were harvested in (for provenance).
SOURCE_NAMESPACES = {"oai_dc": NS_OAI_DC, "lom": NS_LOM, "oai_lom": NS_LOM, "ims_lom": NS_LOM}
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
ACCESS_TERMS = {a: f"info:eu-repo/semantics/{a}Access"
                for a in ("open", "embargoed", "restricted", "closed")}

# verb: (required arguments, optional arguments); resumptionToken is exclusive.
VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset({"resumptionToken"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}),
                        frozenset({"from", "until", "set", "resumptionToken"})),
    "ListRecords": (frozenset({"metadataPrefix"}),
                    frozenset({"from", "until", "set", "resumptionToken"})),
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
# Characters an oai-identifier's parts may hold as they are; everything else is %XX.
_ID_SAFE = "-_.!~*'();/?@&=+$,"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LIST_COLUMNS = ("id", "source_id", "identifier", "deleted", "country", "last_changed")
_RECORD_COLUMNS = (*_LIST_COLUMNS, "datestamp", "format", "title", "description", "url",
                   "language", "license", "license_url", "access", "resource_type",
                   "education_level", "subjects", "creators", "publisher", "date", "identifiers")


class OaiError(Exception):
    """An OAI-PMH error condition: answered with HTTP 200 and <error code=…>."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- the plugin ------------------------------------------------------------------------------

def register() -> None:
    """Register this module with Datasette's plugin manager (once per process).

    Called by oerhub.serve.make_datasette before the Datasette instance builds its routes;
    an in-project plugin, so `oerhub serve` needs no extra installation.
    """
    from datasette.plugins import pm

    module = sys.modules[__name__]
    if not pm.is_registered(module):
        pm.register(module, name=PLUGIN_NAME)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(rf"^{PATH}$", oai_view)]


@hookimpl
def skip_csrf(scope: Mapping[str, Any]) -> bool:
    """OAI-PMH harvesters may POST their requests (form-encoded); they have no CSRF token."""
    return bool(scope.get("path") == PATH)


async def oai_view(request: Request, datasette: Any) -> Response:
    """Answer one OAI-PMH request (GET query string or POST form) for the catalogue."""
    if not await datasette.permission_allowed(request.actor, "view-database",
                                              resource=DATABASE_NAME, default=True):
        return Response.text("Forbidden: the catalogue is not public here", status=403)
    # The body (capped by oerhub.site_guard) is parsed in the SQL thread, off the event loop.
    body = await request.post_body() if request.method == "POST" else request.query_string
    base_url = datasette.absolute_url(request, datasette.urls.path(PATH))
    config = datasette.plugin_config(PLUGIN_NAME) or {}
    repository = Repository(
        name=str(config.get("repository_name") or datasette.metadata("title") or "oerhub"),
        base_url=base_url,
        admin_email=str(config.get("admin_email") or DEFAULT_ADMIN_EMAIL),
        page_size=int(config.get("page_size") or PAGE_SIZE))
    db = datasette.get_database(DATABASE_NAME)
    xml = await db.execute_fn(lambda conn: repository.respond(conn, request_params(body)))
    return Response(xml, content_type="text/xml; charset=utf-8")


# --- requests and tokens ---------------------------------------------------------------------

def request_params(body: bytes | str) -> dict[str, list[str]]:
    """The arguments of a POST body or a query string."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return parse_qs(text, keep_blank_values=True)


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
                     and all(v is None or (isinstance(v, str) and _SECOND.fullmatch(v))
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


def parse_datestamp(value: str, name: str) -> tuple[str, bool]:
    """A from/until argument → (YYYY-MM-DDThh:mm:ssZ bound, day granularity?)."""
    if _DAY.fullmatch(value):
        fmt, day = "%Y-%m-%d", True
    elif _SECOND.fullmatch(value):
        fmt, day = "%Y-%m-%dT%H:%M:%SZ", False
    else:
        raise OaiError("badArgument", f"{name}={value!r} is neither YYYY-MM-DD nor "
                       "YYYY-MM-DDThh:mm:ssZ")
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        raise OaiError("badArgument", f"{name}={value!r} is not a date") from None
    if day:
        return value + ("T00:00:00Z" if name == "from" else "T23:59:59Z"), True
    return value, False


def oai_identifier(source_id: str, identifier: str) -> str:
    """oai:oerhub:<source>:<local>; the source part keeps no ":", so the first one splits."""
    source = quote(source_id, safe=_ID_SAFE)
    return f"oai:{NAMESPACE}:{source}:{quote(identifier, safe=_ID_SAFE + ':')}"


def parse_identifier(value: str) -> tuple[str, str] | None:
    """oai:oerhub:<source>:<local> → (source_id, identifier), or None if not one of ours.

    Only the canonical spelling is accepted, so each record has exactly one identifier.
    """
    head = f"oai:{NAMESPACE}:"
    if not value.startswith(head):
        return None
    source, sep, local = value[len(head):].partition(":")
    if not sep or not source or not local:
        return None
    try:
        source_id, identifier = unquote(source, errors="strict"), unquote(local, errors="strict")
    except UnicodeDecodeError:
        return None
    if oai_identifier(source_id, identifier) != value:
        return None
    return source_id, identifier


# --- the repository --------------------------------------------------------------------------

@dataclass
class Repository:
    """Turns OAI-PMH parameters into a response document, reading one SQLite connection."""

    name: str
    base_url: str
    admin_email: str = DEFAULT_ADMIN_EMAIL
    page_size: int = PAGE_SIZE
    as_of: str = ""  # the responseDate of the answer being made (see answer_moment)

    def respond(self, conn: sqlite3.Connection, params: Mapping[str, list[str]]) -> bytes:
        root = etree.Element(f"{{{NS_OAI}}}OAI-PMH", nsmap={None: NS_OAI, "xsi": NS_XSI})
        root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_OAI} {SCHEMA_OAI}")
        # read before the records: a write registered later stamps its records at or after now
        self.as_of = answer_moment(conn, _now())
        _sub(root, "responseDate", self.as_of)
        request = _sub(root, "request", self.base_url)
        try:
            args = self._arguments(params)
            for key, value in args.items():
                request.set(key, _xml(value))
            verb = args.pop("verb")
            root.append(getattr(self, f"_{verb}")(conn, args))
        except OaiError as exc:
            if exc.code in ("badVerb", "badArgument"):
                request.attrib.clear()  # the spec: only the base URL for these two
            _sub(root, "error", exc.message).set("code", exc.code)
        return etree.tostring(root, encoding="UTF-8", xml_declaration=True)

    def _arguments(self, params: Mapping[str, list[str]]) -> dict[str, str]:
        verbs = params.get("verb", [])
        if len(verbs) != 1:
            raise OaiError("badVerb", "The verb argument is missing or repeated")
        if verbs[0] not in VERBS:
            raise OaiError("badVerb", f"Illegal verb {verbs[0]!r} (one of {', '.join(VERBS)})")
        verb = verbs[0]
        required, optional = VERBS[verb]
        for key, values in params.items():
            if key == "verb":
                continue
            if key not in required | optional:
                raise OaiError("badArgument", f"Illegal argument {key!r} for {verb}")
            if len(values) != 1:
                raise OaiError("badArgument", f"Repeated argument {key!r}")
        args = {key: values[0] for key, values in params.items()}
        if "resumptionToken" in args:
            if len(args) != 2:
                raise OaiError("badArgument", "resumptionToken is an exclusive argument")
        else:
            missing = sorted(required - set(args))
            if missing:
                raise OaiError("badArgument", f"Missing argument(s) for {verb}: "
                               f"{', '.join(missing)}")
        return args

    # --- verbs ---------------------------------------------------------------------------

    def _Identify(self, conn: sqlite3.Connection, args: dict[str, str]) -> Any:  # noqa: N802
        node = etree.Element(f"{{{NS_OAI}}}Identify")
        _sub(node, "repositoryName", self.name)
        _sub(node, "baseURL", self.base_url)
        _sub(node, "protocolVersion", "2.0")
        _sub(node, "adminEmail", self.admin_email)
        _sub(node, "earliestDatestamp", earliest_datestamp(conn))
        _sub(node, "deletedRecord", "persistent")
        _sub(node, "granularity", GRANULARITY)
        return node

    def _ListMetadataFormats(self, conn: sqlite3.Connection,  # noqa: N802
                             args: dict[str, str]) -> Any:
        if "identifier" in args:
            self._find(conn, args["identifier"], ("id",))
        node = etree.Element(f"{{{NS_OAI}}}ListMetadataFormats")
        for prefix, (schema, namespace) in FORMATS.items():
            item = _sub(node, "metadataFormat")
            _sub(item, "metadataPrefix", prefix)
            _sub(item, "schema", schema)
            _sub(item, "metadataNamespace", namespace)
        return node

    def _ListSets(self, conn: sqlite3.Connection, args: dict[str, str]) -> Any:  # noqa: N802
        if "resumptionToken" in args:  # we never issue one for sets
            raise OaiError("badResumptionToken", "ListSets is answered in one response")
        sets = list_sets(conn)
        if not sets:
            raise OaiError("noSetHierarchy", "The catalogue has no sources yet, hence no sets")
        node = etree.Element(f"{{{NS_OAI}}}ListSets")
        for spec, name in sets:
            item = _sub(node, "set")
            _sub(item, "setSpec", spec)
            _sub(item, "setName", name)
        return node

    def _GetRecord(self, conn: sqlite3.Connection, args: dict[str, str]) -> Any:  # noqa: N802
        prefix = self._prefix(args["metadataPrefix"])
        row = self._find(conn, args["identifier"], _RECORD_COLUMNS)
        node = etree.Element(f"{{{NS_OAI}}}GetRecord")
        node.append(self._record(row, prefix, _sources(conn)))
        return node

    def _ListIdentifiers(self, conn: sqlite3.Connection,  # noqa: N802
                         args: dict[str, str]) -> Any:
        return self._list(conn, args, "ListIdentifiers")

    def _ListRecords(self, conn: sqlite3.Connection, args: dict[str, str]) -> Any:  # noqa: N802
        return self._list(conn, args, "ListRecords")

    # --- lists ---------------------------------------------------------------------------

    def _list(self, conn: sqlite3.Connection, args: dict[str, str], verb: str) -> Any:
        if "resumptionToken" in args:
            query = ListQuery.from_token(verb, args["resumptionToken"])
        else:
            query = self._new_query(conn, args, verb)
        records = verb == "ListRecords"
        rows = fetch_page(conn, query, self.page_size + 1, records)
        more = len(rows) > self.page_size
        rows = rows[:self.page_size]
        if not rows and query.cursor == 0:
            raise OaiError("noRecordsMatch", "No record matches these arguments")
        node = etree.Element(f"{{{NS_OAI}}}{verb}")
        sources = _sources(conn) if records else {}
        for row in rows:
            node.append(self._record(row, query.prefix, sources) if records
                        else header(row))
        if more or query.cursor:
            complete = query.complete
            if complete is None:
                complete = count_matches(conn, query)
            token = _sub(node, "resumptionToken")
            token.set("completeListSize", str(complete))
            token.set("cursor", str(query.cursor))
            if more:
                last = rows[-1]
                token.text = ListQuery(
                    verb, query.prefix, query.since, query.until, query.set_spec, query.order,
                    last["last_changed"] if query.order == "stamp" else None, int(last["id"]),
                    query.cursor + len(rows), complete).token()
        return node

    def _new_query(self, conn: sqlite3.Connection, args: dict[str, str], verb: str) -> ListQuery:
        prefix = self._prefix(args["metadataPrefix"])
        since = until = None
        granularities = set()
        if "from" in args:
            since, day = parse_datestamp(args["from"], "from")
            granularities.add(day)
        if "until" in args:
            until, day = parse_datestamp(args["until"], "until")
            granularities.add(day)
        if len(granularities) > 1:
            raise OaiError("badArgument", "from and until must have the same granularity")
        if since and until and since > until:
            raise OaiError("badArgument", "from is later than until")
        set_spec = args.get("set")
        if set_spec is not None and not _SET_SPEC.fullmatch(set_spec):
            raise OaiError("badArgument", f"set={set_spec!r} is not a setSpec")
        if self.as_of < _now() and (until is None or until > self.as_of):
            until = self.as_of  # a write is open: the list is complete up to its start only
        order = "stamp" if (since or until) and has_stamp_index(conn) else "id"
        return ListQuery(verb, prefix, since, until, set_spec, order)

    def _prefix(self, prefix: str) -> str:
        if prefix not in FORMATS:
            raise OaiError("cannotDisseminateFormat", f"metadataPrefix {prefix!r} is not "
                           f"offered (offered: {', '.join(FORMATS)})")
        return prefix

    def _find(self, conn: sqlite3.Connection, identifier: str,
              columns: Iterable[str]) -> dict[str, Any]:
        key = parse_identifier(identifier)
        row = _rows(conn, f"SELECT {', '.join(columns)} FROM records WHERE source_id = ? "
                          "AND identifier = ?", key) if key else []
        if not row:
            raise OaiError("idDoesNotExist", f"No record has the identifier {identifier!r}")
        return row[0]

    def _record(self, row: Mapping[str, Any], prefix: str,
                sources: Mapping[str, tuple[str, str]]) -> Any:
        node = etree.Element(f"{{{NS_OAI}}}record")
        node.append(header(row))
        if row["deleted"]:
            return node
        metadata = _sub(node, "metadata")
        metadata.append(oai_dc(row) if prefix == "oai_dc" else lom(row))
        about = provenance(row, sources.get(row["source_id"]))
        if about is not None:
            _sub(node, "about").append(about)
        return node


# --- SQL ---------------------------------------------------------------------------------------

def _rows(conn: sqlite3.Connection, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
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
    sql, params = page_sql(query, limit, _RECORD_COLUMNS if records else _LIST_COLUMNS)
    return _rows(conn, sql, params)


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
    return str(found) if found and _SECOND.fullmatch(str(found)) else "1970-01-01T00:00:00Z"


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
              if _SET_SPEC.fullmatch(f"source:{source_id}")]
    return found


def _sources(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    return {source_id: (url, protocol) for source_id, url, protocol
            in conn.execute("SELECT id, url, protocol FROM sources")}


# --- XML -------------------------------------------------------------------------------------

def answer_moment(conn: sqlite3.Connection, now: str) -> str:
    """The moment an answer is complete up to: now, or the start of the oldest write still
    open (Catalogue._stamping_transaction), since that write's records will carry stamps from
    then on. It is the responseDate, so a harvester that takes the responseDate as its next
    `from` gets those records next time. Registrations older than OPEN_WRITE_MAX_AGE are left
    by a killed harvest (the next harvest clears them) and ignored."""
    cutoff = (datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ") - OPEN_WRITE_MAX_AGE).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    try:
        oldest = conn.execute("SELECT MIN(started_at) FROM open_writes WHERE started_at >= ?",
                              (cutoff,)).fetchone()[0]
    except sqlite3.OperationalError:  # a catalogue older than schema 8 has no such table
        return now
    return min(now, oldest) if oldest else now


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _xml(value: Any) -> str:
    return _XML_ILLEGAL.sub("", str(value))


def _text(value: str) -> str:
    """Free text as oerhub's mappers will read it back: clean_text must give `value` again.

    A stored "<p>" (once written "&lt;p&gt;") or "&amp;" would be stripped or decoded by
    clean_text, so such a value goes out HTML-escaped, as it came in.
    """
    return value if clean_text(value) == value else html.escape(value, quote=False)


def _sub(parent: Any, tag: str, text: str | None = None, ns: str = NS_OAI) -> Any:
    node = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        node.text = _xml(text)
    return node


def _json_list(value: str | None) -> list[str]:
    try:
        items = json.loads(value) if value else []
    except ValueError:
        return []
    return [str(item) for item in items if item] if isinstance(items, list) else []


def header(row: Mapping[str, Any]) -> Any:
    node = etree.Element(f"{{{NS_OAI}}}header")
    if row["deleted"]:
        node.set("status", "deleted")
    _sub(node, "identifier", oai_identifier(row["source_id"], row["identifier"]))
    _sub(node, "datestamp", row["last_changed"])
    if row["country"]:
        _sub(node, "setSpec", f"country:{row['country']}")
    if _SET_SPEC.fullmatch(f"source:{row['source_id']}"):
        _sub(node, "setSpec", f"source:{row['source_id']}")
    return node


def rights_values(licence: str | None, url: str | None, access: str | None) -> list[str]:
    """Licence URL as written (else the SPDX page), SPDX id, access term: what dc:rights says."""
    values = []
    if url:
        values.append(url)
    elif licence:
        values.append(f"https://spdx.org/licenses/{licence}.html")
    if licence:
        values.append(licence)
    if access in ACCESS_TERMS:
        values.append(ACCESS_TERMS[access])
    return values


@lru_cache(maxsize=4096)
def lom_rights(licence: str | None, url: str | None, access: str | None) -> tuple[str, ...]:
    """LOM's rights statement(s): one line when oerhub reads it back to the same licence and
    access, else one description per value (the loose binding allows it). The second case is
    a licence known by its id only (MIT) with a URL or access term beside it."""
    values = [v for v in rights_values(licence, url, access)
              if url or not v.startswith("https://spdx.org/")]
    if not values:
        return ()
    line = " ".join(values)
    read = pick_license([clean_text(line) or ""])
    if (read.spdx, read.url, read.access) == (licence, url, access):
        return (line,)
    return tuple(values)


def link_identifiers(row: Mapping[str, Any]) -> list[str]:
    """dc:identifier: the record's identifiers, then its URL if they lack it (the link must be
    there). Identifiers are read back through clean_text, the URL as written."""
    identifiers = _json_list(row["identifiers"])
    values = [_text(value) for value in identifiers]
    if row["url"] and row["url"] not in identifiers:
        values.append(row["url"])
    return values


def oai_dc(row: Mapping[str, Any]) -> Any:
    """Simple Dublin Core from the normalised fields."""
    root = etree.Element(f"{{{NS_OAI_DC}}}dc", nsmap={"oai_dc": NS_OAI_DC, "dc": NS_DC,
                                                       "xsi": NS_XSI})
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_OAI_DC} {SCHEMA_OAI_DC}")

    def dc(tag: str, value: str | None, free: bool = False) -> None:
        if value:
            _sub(root, tag, _text(value) if free else value, NS_DC)

    dc("title", row["title"], True)
    for creator in _json_list(row["creators"]):
        dc("creator", creator, True)
    for subject in _json_list(row["subjects"]):
        dc("subject", subject, True)
    dc("description", row["description"], True)
    dc("publisher", row["publisher"], True)
    dc("date", row["date"])
    if row["resource_type"]:
        dc("type", row["resource_type"].replace("_", " "))
    for identifier in link_identifiers(row):
        dc("identifier", identifier)
    dc("language", row["language"])
    for value in rights_values(row["license"], row["license_url"], row["access"]):
        dc("rights", value)
    return root


def _vcard(name: str) -> str:
    return f"BEGIN:VCARD\nVERSION:3.0\nFN:{name.replace(',', chr(92) + ',')}\nEND:VCARD"


def lom(row: Mapping[str, Any]) -> Any:
    """IEEE LOM (loose binding) from the normalised fields, education levels included."""
    root = etree.Element(f"{{{NS_LOM}}}lom", nsmap={None: NS_LOM, "xsi": NS_XSI})
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_LOM} {SCHEMA_LOM}")
    lang = row["language"] or "x-none"

    def sub(parent: Any, tag: str, text: str | None = None) -> Any:
        return _sub(parent, tag, text, NS_LOM)

    def langstring(parent: Any, tag: str, text: str) -> None:
        sub(sub(parent, tag), "string", _text(text)).set("language", lang)

    def vocabulary(parent: Any, tag: str, source: str, value: str) -> None:
        node = sub(parent, tag)
        sub(node, "source", source)
        sub(node, "value", value)

    general = sub(root, "general")
    for value in _json_list(row["identifiers"]):
        identifier = sub(general, "identifier")
        sub(identifier, "catalog", "URI")
        sub(identifier, "entry", value)
    if row["title"]:
        langstring(general, "title", row["title"])
    if row["language"]:
        sub(general, "language", row["language"])
    if row["description"]:
        langstring(general, "description", row["description"])
    for subject in _json_list(row["subjects"]):
        langstring(general, "keyword", subject)

    contributions = [("author", name) for name in _json_list(row["creators"])]
    if row["publisher"]:
        contributions.append(("publisher", row["publisher"]))
    if row["date"] and not contributions:
        contributions.append(("publisher", None))
    if contributions:
        lifecycle = sub(root, "lifeCycle")
        for index, (role, name) in enumerate(contributions):
            contribute = sub(lifecycle, "contribute")
            vocabulary(contribute, "role", "LOMv1.0", role)
            if name:
                sub(contribute, "entity", _vcard(_text(name)))
            if index == 0 and row["date"]:
                sub(sub(contribute, "date"), "dateTime", row["date"])
    if row["url"]:
        sub(sub(root, "technical"), "location", row["url"])
    levels = _json_list(row["education_level"])
    if row["resource_type"] or levels:
        educational = sub(root, "educational")
        if row["resource_type"]:
            vocabulary(educational, "learningResourceType", "oerhub",
                       row["resource_type"].replace("_", " "))
        for level in levels:
            vocabulary(educational, "context", "ISCED 2011", level)
    statements = lom_rights(row["license"], row["license_url"], row["access"])
    if statements:
        rights = sub(root, "rights")
        if row["license"]:
            vocabulary(rights, "copyrightAndOtherRestrictions", "LOMv1.0", "yes")
        for statement in statements:
            sub(sub(rights, "description"), "string", statement).set("language", "x-none")
    return root


def provenance(row: Mapping[str, Any], source: tuple[str, str] | None) -> Any:
    """Where an OAI-PMH record came from (provenance.xsd), so aggregators can deduplicate."""
    if source is None or source[1] != "oai-pmh" or not row["datestamp"]:
        return None
    namespace = SOURCE_NAMESPACES.get((row["format"] or "").lower())
    if namespace is None:
        return None
    root = etree.Element(f"{{{NS_PROVENANCE}}}provenance", nsmap={None: NS_PROVENANCE,
                                                                  "xsi": NS_XSI})
    root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_PROVENANCE} {SCHEMA_PROVENANCE}")
    origin = _sub(root, "originDescription", ns=NS_PROVENANCE)
    origin.set("harvestDate", row["last_changed"])
    origin.set("altered", "true")
    _sub(origin, "baseURL", source[0], NS_PROVENANCE)
    _sub(origin, "identifier", row["identifier"], NS_PROVENANCE)
    _sub(origin, "datestamp", row["datestamp"], NS_PROVENANCE)
    _sub(origin, "metadataNamespace", namespace, NS_PROVENANCE)
    return root
