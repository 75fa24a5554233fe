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

Configured in the site's metadata.yaml: `plugins: {oerhub-oai: {admin_email: …,
repository_name: …, page_size: 100}}`. Identify must name an administrator: `admin_email`
there, else the registry's `[site] admin_email`, else its `[harvest] contact` when that is a
mailto: (choose_admin_email). With none, /oai answers 503 saying what to set rather than
publish a made-up address; `oerhub serve` warns at start.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from datasette import hookimpl
from datasette.utils.asgi import Request, Response
from lxml import etree

from oerhub.publish.oai_formats import (
    FORMATS,
    GRANULARITY,
    NAMESPACE,
    NS_OAI,
    NS_XSI,
    SCHEMA_OAI,
    SET_SPEC,
    child,
    header,
    lom,
    oai_dc,
    oai_identifier,
    provenance,
    xml_safe,
)
from oerhub.publish.oai_queries import (
    RECORD_COLUMNS,
    SECOND_RE,
    ListQuery,
    OaiError,
    count_matches,
    earliest_datestamp,
    fetch_page,
    has_stamp_index,
    last_sent,
    list_sets,
    query_rows,
    source_origins,
)
from oerhub.publish.site_guard import trusted

if TYPE_CHECKING:
    from oerhub.registry import Config

PLUGIN_NAME = "oerhub-oai"
DATABASE_NAME = "oerhub"  # as oerhub.publish.serve names the catalogue
PATH = "/oai"
PAGE_SIZE = 100  # records (or headers) per response; plugin config `page_size` overrides it
# A write open longer than this was left by a killed harvest: /oai no longer waits for it.
OPEN_WRITE_MAX_AGE = timedelta(minutes=15)
# adminEmail as OAI-PMH.xsd's emailType has it (oerhub.registry checks [site] admin_email so)
EMAIL = re.compile(r"\S+@(\S+\.)+\S+")
NOT_CONFIGURED = (
    "This OAI-PMH repository is closed until its operator names an administrator, whose "
    "address Identify must give. Set one of: admin_email under plugins: oerhub-oai: in the "
    "site's metadata.yaml; admin_email in the [site] table of the sources registry; a mailto: "
    "[harvest] contact in the registry (then run oerhub serve with that registry).\n")

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
# The syntax OAI-PMH.xsd gives the arguments echoed in <request> (from and until are parsed
# by parse_datestamp). A value outside it is badArgument, whose <request> carries no
# attributes: echoed, "oai dc" would make the whole answer invalid. Identifiers are URIs
# (IRIs: non-ASCII letters pass), without fragments, as ours are.
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9\-._~:/?@!$&'()*+,;="
                  "\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff])+")
ARGUMENT_SYNTAX = {"metadataPrefix": (_PREFIX, "a metadataPrefix"),
                   "identifier": (_URI, "a URI"), "set": (SET_SPEC, "a setSpec")}



# --- the plugin ------------------------------------------------------------------------------

def register() -> None:
    """Register this module with Datasette's plugin manager (once per process).

    Called by oerhub.publish.serve.make_datasette before the Datasette instance builds its routes;
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
    # The body (capped by oerhub/publish/site_guard.py) is parsed in the SQL thread, off the
    # event loop.
    config = datasette.plugin_config(PLUGIN_NAME) or {}
    admin_email = config.get("admin_email")
    if not isinstance(admin_email, str) or not EMAIL.fullmatch(admin_email):
        return Response.text(NOT_CONFIGURED, status=503)
    body = await request.post_body() if request.method == "POST" else request.query_string
    base_url = datasette.absolute_url(request, datasette.urls.path(PATH))
    repository = Repository(
        name=str(config.get("repository_name") or datasette.metadata("title") or "oerhub"),
        base_url=base_url, admin_email=admin_email,
        page_size=int(config.get("page_size") or PAGE_SIZE))
    db = datasette.get_database(DATABASE_NAME)
    xml = await db.execute_fn(lambda conn: repository.respond(conn, request_params(body)))
    return Response(xml, content_type="text/xml; charset=utf-8")


# --- who runs it ------------------------------------------------------------------------------

def choose_admin_email(plugin_config: Mapping[str, Any], registry: Config | None) -> str | None:
    """Identify's adminEmail: the plugin's `admin_email`, else the registry's `[site]
    admin_email`, else its `[harvest] contact` when that is a mailto: address; else None
    (then /oai stays closed: a careful operator would rather not publish a made-up address).

    A plugin `admin_email` that is not an address is an error (ValueError), not skipped.
    """
    configured = plugin_config.get("admin_email")
    if configured is not None:
        if not isinstance(configured, str) or not EMAIL.fullmatch(configured):
            raise ValueError(f"plugins: {PLUGIN_NAME}: admin_email: {configured!r} is not an "
                             "e-mail address")
        return configured
    if registry is None:
        return None
    if registry.site.admin_email:
        return registry.site.admin_email
    contact = registry.settings.contact
    if contact.lower().startswith("mailto:"):
        address = unquote(urlsplit(contact).path).split(",")[0].strip()
        if EMAIL.fullmatch(address):
            return address
    return None


def with_admin_email(metadata: Mapping[str, Any], registry: Config | None) -> dict[str, Any]:
    """The site's metadata with the chosen adminEmail in this plugin's configuration."""
    plugins = dict(metadata.get("plugins") or {})
    config = dict(plugins.get(PLUGIN_NAME) or {})
    address = choose_admin_email(config, registry)
    if address is None:
        config.pop("admin_email", None)
    else:
        config["admin_email"] = address
    plugins[PLUGIN_NAME] = config
    return {**metadata, "plugins": plugins}


# --- requests and tokens ---------------------------------------------------------------------

def request_params(body: bytes | str) -> dict[str, list[str]]:
    """The arguments of a POST body or a query string."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return parse_qs(text, keep_blank_values=True)


def parse_datestamp(value: str, name: str) -> tuple[str, bool]:
    """A from/until argument → (YYYY-MM-DDThh:mm:ssZ bound, day granularity?)."""
    if _DAY.fullmatch(value):
        fmt, day = "%Y-%m-%d", True
    elif SECOND_RE.fullmatch(value):
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
    admin_email: str
    page_size: int = PAGE_SIZE
    as_of: str = ""  # the responseDate of the answer being made (see answer_moment)

    def respond(self, conn: sqlite3.Connection, params: Mapping[str, list[str]]) -> bytes:
        root = etree.Element(f"{{{NS_OAI}}}OAI-PMH", nsmap={None: NS_OAI, "xsi": NS_XSI})
        root.set(f"{{{NS_XSI}}}schemaLocation", f"{NS_OAI} {SCHEMA_OAI}")
        # read before the records: a write registered later stamps its records at or after now
        self.as_of = answer_moment(conn, _now())
        child(root, "responseDate", self.as_of)
        request = child(root, "request", self.base_url)
        try:
            args = self._arguments(params)
            for key, value in args.items():
                request.set(key, xml_safe(value))
            verb = args.pop("verb")
            root.append(getattr(self, f"_{verb}")(conn, args))
        except OaiError as exc:
            if exc.code in ("badVerb", "badArgument"):
                request.attrib.clear()  # the spec: only the base URL for these two
            child(root, "error", exc.message).set("code", exc.code)
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
        for key, value in args.items():
            if key in ARGUMENT_SYNTAX and not ARGUMENT_SYNTAX[key][0].fullmatch(value):
                raise OaiError("badArgument", f"{key}={value!r} is not "
                               f"{ARGUMENT_SYNTAX[key][1]}")
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
        child(node, "repositoryName", self.name)
        child(node, "baseURL", self.base_url)
        child(node, "protocolVersion", "2.0")
        child(node, "adminEmail", self.admin_email)
        child(node, "earliestDatestamp", earliest_datestamp(conn))
        child(node, "deletedRecord", "persistent")
        child(node, "granularity", GRANULARITY)
        return node

    def _ListMetadataFormats(self, conn: sqlite3.Connection,  # noqa: N802
                             args: dict[str, str]) -> Any:
        if "identifier" in args:
            self._find(conn, args["identifier"], ("id",))
        node = etree.Element(f"{{{NS_OAI}}}ListMetadataFormats")
        for prefix, (schema, namespace) in FORMATS.items():
            item = child(node, "metadataFormat")
            child(item, "metadataPrefix", prefix)
            child(item, "schema", schema)
            child(item, "metadataNamespace", namespace)
        return node

    def _ListSets(self, conn: sqlite3.Connection, args: dict[str, str]) -> Any:  # noqa: N802
        if "resumptionToken" in args:  # we never issue one for sets
            raise OaiError("badResumptionToken", "ListSets is answered in one response")
        sets = list_sets(conn)
        if not sets:
            raise OaiError("noSetHierarchy", "The catalogue has no sources yet, hence no sets")
        node = etree.Element(f"{{{NS_OAI}}}ListSets")
        for spec, name in sets:
            item = child(node, "set")
            child(item, "setSpec", spec)
            child(item, "setName", name)
        return node

    def _GetRecord(self, conn: sqlite3.Connection, args: dict[str, str]) -> Any:  # noqa: N802
        prefix = self._prefix(args["metadataPrefix"])
        row = self._find(conn, args["identifier"], RECORD_COLUMNS)
        node = etree.Element(f"{{{NS_OAI}}}GetRecord")
        node.append(self._record(row, prefix, source_origins(conn)))
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
        rows, cursor = rows[:self.page_size], query.cursor
        if not rows and cursor:  # the rest of the list changed away since the last page
            rows, cursor = last_sent(conn, query, records), cursor - 1
        if not rows:
            raise OaiError("noRecordsMatch", "No record matches these arguments")
        node = etree.Element(f"{{{NS_OAI}}}{verb}")
        sources = source_origins(conn) if records else {}
        for row in rows:
            node.append(self._record(row, query.prefix, sources) if records
                        else header(row))
        if more or cursor:
            token = child(node, "resumptionToken")
            complete = list_size(conn, query, cursor + len(rows), more)
            token.set("completeListSize", str(complete))
            token.set("cursor", str(cursor))
            if more:
                last = rows[-1]
                token.text = ListQuery(
                    verb, query.prefix, query.since, query.until, query.set_spec, query.order,
                    last["last_changed"] if query.order == "stamp" else None, int(last["id"]),
                    cursor + len(rows), complete).token()
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
        set_spec = args.get("set")  # its syntax was checked with the other arguments'
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
        row = query_rows(conn, f"SELECT {', '.join(columns)} FROM records WHERE source_id = ? "
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
        metadata = child(node, "metadata")
        metadata.append(oai_dc(row) if prefix == "oai_dc" else lom(row))
        about = provenance(row, sources.get(row["source_id"]))
        if about is not None:
            child(node, "about").append(about)
        return node


def list_size(conn: sqlite3.Connection, query: ListQuery, sent: int, more: bool) -> int:
    """completeListSize, honest as far as we can know without counting on every page.

    Counted once, on the first page that needs a token, and carried in the tokens; records
    that change between pages can make that count wrong, so it is never less than what was
    sent plus one while there is more, and on the last page it is what the list turned out."""
    if not more:
        return sent
    counted = query.complete if query.complete is not None else count_matches(conn, query)
    return max(counted, sent + 1)


def answer_moment(conn: sqlite3.Connection, now: str) -> str:
    """The moment an answer is complete up to: now, or the start of the oldest write still
    open (Catalogue._stamping_transaction), since that write's records will carry stamps from
    then on. It is the responseDate, so a harvester that takes the responseDate as its next
    `from` gets those records next time. Registrations older than OPEN_WRITE_MAX_AGE are left
    by a killed harvest (the next harvest clears them) and ignored."""
    cutoff = (datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ") - OPEN_WRITE_MAX_AGE).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    try:
        with trusted():  # open_writes is internal: visitors' SQL reads it as NULL
            oldest = conn.execute(
                "SELECT MIN(started_at) FROM open_writes WHERE started_at >= ?",
                (cutoff,)).fetchone()[0]
    except sqlite3.OperationalError:  # a catalogue older than schema 8 has no such table
        return now
    return min(now, oldest) if oldest else now


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
