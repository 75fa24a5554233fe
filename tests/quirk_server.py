"""A small OAI-PMH server on 127.0.0.1 that can be told to misbehave, for the quirk tests.

Why not the `oaipmh` package's server (oerhub/demo/oai_server.py)? It renders well-formed,
UTF-8, correctly paged OAI-PMH, and that is all it can do. The repositories we harvest
do worse: they answer 503 with Retry-After, declare one encoding and send another, put
control characters into titles, serve a maintenance page with status 200, repeat a
resumption token forever, forget a token half-way, gzip without saying so, write
datestamps in four spellings. This server renders its pages itself, from a list of
`Rec`s, so that every byte of an answer can be changed by the test that needs it:

* options for what is common: the body `encoding`, the literal `xml_declaration`, a
  `doctype`, the `content_type` header, the Identify `granularity` and `response_date`,
  `page_size`, an empty `<resumptionToken/>` on the last page, a `delay` per answer;
* a `quirk(n, params, status, headers, body) -> (status, headers, body) | None` hook
  called for every request (`n` counts requests from 1) after the normal answer is
  rendered: return a changed answer, or None to send the normal one. A quirk may also
  sleep (a slow or hanging server).

Every request is logged in order in `requests` (`Request`: params, headers, when it
arrived and when its answer was sent, the status and body sent), so tests can count,
time and inspect what the harvester asked. The server answers on any path: two
"repositories" on one host are two paths of one server.

Resumption tokens are stateless and readable: "<offset>,<from>,<until>".
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from loopback import LoopbackServer, send

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
UTF8_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

Answer = tuple[int, dict[str, str], bytes]
Quirk = Callable[[int, dict[str, str], int, dict[str, str], bytes], Answer | None]

_DAY_RE = re.compile(r"^\d{4}-\d\d-\d\d$")
_SECONDS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
_TOKEN_RE = re.compile(rb"<resumptionToken([^>]*?)(?:/>|>[^<]*</resumptionToken>)")


@dataclass
class Rec:
    """One record. `datestamp` is canonical UTC ("2021-03-11" or "2021-03-11T10:00:00Z"):
    `from`/`until` select on it. `header_datestamp`, when given, is written in the header
    instead (a server's odd spelling). `title=None` writes no <dc:title>; `extra` is raw XML
    put inside <oai_dc:dc> after the title (entity references, more fields)."""

    identifier: str
    datestamp: str
    title: str | None
    deleted: bool = False
    extra: str = ""
    header_datestamp: str | None = None


@dataclass
class Request:
    n: int
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    started: float  # time.monotonic() when the request arrived
    finished: float | None = None  # time.monotonic() when the answer was sent (or failed)
    status: int | None = None
    body: bytes = b""

    @property
    def verb(self) -> str | None:
        return self.params.get("verb")


def _full(stamp: str, end: bool = False) -> str:
    """A day or seconds stamp as seconds, so that both compare as text."""
    if len(stamp) > 10:
        return stamp
    return stamp + ("T23:59:59Z" if end else "T00:00:00Z")


def replace_token(body: bytes, token: str) -> bytes:
    """The body with its <resumptionToken> element's text replaced (attributes kept)."""
    return _TOKEN_RE.sub(lambda m: b"<resumptionToken" + m.group(1) + b">"
                         + escape(token).encode() + b"</resumptionToken>", body, count=1)


class QuirkServer:
    """See the module docstring. Start with `QuirkServer(records, ...)`; stop with `stop()`."""

    def __init__(self, records: Iterable[Rec] = (), *, page_size: int = 10,
                 granularity: str = DAY, response_date: str | None = None,
                 earliest_datestamp: str | None = None, encoding: str = "utf-8",
                 xml_declaration: str | None = UTF8_DECLARATION, doctype: str = "",
                 content_type: str = "text/xml; charset=utf-8", empty_last_token: bool = False,
                 delay: float = 0.0, quirk: Quirk | None = None,
                 host: str = "127.0.0.1") -> None:
        self.records = list(records)
        self.page_size = page_size
        self.granularity = granularity
        self.response_date = response_date  # None: the real time, in seconds
        self.earliest_datestamp = earliest_datestamp
        self.encoding = encoding
        self.xml_declaration = xml_declaration
        self.doctype = doctype
        self.content_type = content_type
        self.empty_last_token = empty_last_token
        self.delay = delay
        self.quirk = quirk
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._handle, host)
        self.host = host
        self.port = self._server.port

    # --- what tests use ----------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.url_for("/oai")

    def url_for(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def stop(self) -> None:
        self._server.stop()

    def verbs(self, verb: str, path: str | None = None) -> list[Request]:
        """The requests with this verb (and path), in order."""
        return [r for r in self.requests
                if r.verb == verb and (path is None or urlsplit(r.path).path == path)]

    def list_records(self, path: str | None = None) -> list[Request]:
        return self.verbs("ListRecords", path)

    def render_list(self, records: list[Rec], token: str | None = None,
                    cursor: int = 0, complete: int | None = None, empty_token: bool = False,
                    before: str = "") -> bytes:
        """A ListRecords answer holding `records` and, if given, a resumption token.
        `before` is raw XML put before <ListRecords> (an <error>, for instance)."""
        parts = [before, "<ListRecords>"]
        parts += [self._record_xml(r) for r in records]
        size = f' completeListSize="{complete}"' if complete is not None else ""
        if token is not None:
            parts.append(f'<resumptionToken cursor="{cursor}"{size}>{escape(token)}'
                         "</resumptionToken>")
        elif empty_token:  # as many servers write it: cursor = completeListSize
            parts.append(f'<resumptionToken cursor="{complete if complete is not None else cursor}"'
                         f"{size}/>")
        parts.append("</ListRecords>")
        return self._envelope({"verb": "ListRecords", "metadataPrefix": "oai_dc"}, "".join(parts))

    def error(self, code: str, message: str = "", params: dict[str, str] | None = None) -> bytes:
        """An OAI-PMH <error> answer, in this server's encoding and declaration."""
        return self._envelope(params or {}, f'<error code="{code}">{escape(message)}</error>')

    # --- answering ---------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        params = {k: v[0] for k, v in
                  parse_qs(urlsplit(handler.path).query, keep_blank_values=True).items()}
        with self._lock:
            request = Request(len(self.requests) + 1, handler.path, params,
                              dict(handler.headers), time.monotonic())
            self.requests.append(request)
        status, headers, body = 200, {"Content-Type": self.content_type}, b""
        try:
            if self.delay:
                time.sleep(self.delay)
            body = self.answer(params)
            if self.quirk is not None:
                changed = self.quirk(request.n, params, status, headers, body)
                if changed is not None:
                    status, headers, body = changed
            send(handler, status, headers, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to do
        finally:
            request.status, request.body = status, body
            request.finished = time.monotonic()

    def answer(self, params: dict[str, str]) -> bytes:
        """The well-behaved answer to these parameters."""
        verb = params.get("verb")
        if verb == "Identify":
            return self._identify(params)
        if verb == "ListMetadataFormats":
            return self._envelope(params, (
                "<ListMetadataFormats><metadataFormat><metadataPrefix>oai_dc</metadataPrefix>"
                "<schema>http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema>"
                "<metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/"
                "</metadataNamespace></metadataFormat></ListMetadataFormats>"))
        if verb == "ListRecords":
            return self._list_records(params)
        return self.error("badVerb", f"unsupported verb {verb!r}", params)

    def _identify(self, params: dict[str, str]) -> bytes:
        earliest = self.earliest_datestamp
        if earliest is None:
            stamps = sorted(_full(r.datestamp) for r in self.records)
            earliest = stamps[0] if stamps else "2000-01-01T00:00:00Z"
            earliest = earliest[:10] if self.granularity == DAY else earliest
        return self._envelope(params, (
            "<Identify><repositoryName>Quirk test repository</repositoryName>"
            f"<baseURL>http://{self.host}:{self.port}/oai</baseURL>"
            "<protocolVersion>2.0</protocolVersion><adminEmail>admin@example.org</adminEmail>"
            f"<earliestDatestamp>{earliest}</earliestDatestamp>"
            "<deletedRecord>persistent</deletedRecord>"
            f"<granularity>{self.granularity}</granularity></Identify>"))

    def _list_records(self, params: dict[str, str]) -> bytes:
        if "resumptionToken" in params:
            parts = params["resumptionToken"].split(",")
            if len(parts) != 3 or not parts[0].isdigit():
                return self.error("badResumptionToken", "unknown token", params)
            offset, since, until = int(parts[0]), parts[1] or None, parts[2] or None
        else:
            if params.get("metadataPrefix") != "oai_dc":
                return self.error("cannotDisseminateFormat", "only oai_dc", params)
            if "set" in params:
                return self.error("noSetHierarchy", "this repository has no sets", params)
            offset, since, until = 0, params.get("from"), params.get("until")
            for stamp in (since, until):
                if stamp is not None and not self._valid_stamp(stamp):
                    return self.error("badArgument", f"bad date {stamp!r} for granularity "
                                      f"{self.granularity}", params)
        selected = [r for r in self.records
                    if (since is None or _full(r.datestamp) >= _full(since))
                    and (until is None or _full(r.datestamp) <= _full(until, end=True))]
        if not selected:
            return self.error("noRecordsMatch", "no records match", params)
        page = selected[offset:offset + self.page_size]
        following = offset + self.page_size
        token = f"{following},{since or ''},{until or ''}" if following < len(selected) else None
        return self.render_list(page, token, cursor=offset, complete=len(selected),
                                empty_token=self.empty_last_token)

    def _valid_stamp(self, stamp: str) -> bool:
        if self.granularity == DAY:
            return bool(_DAY_RE.match(stamp))
        return bool(_DAY_RE.match(stamp) or _SECONDS_RE.match(stamp))

    def _record_xml(self, record: Rec) -> str:
        stamp = record.header_datestamp or record.datestamp
        status = ' status="deleted"' if record.deleted else ""
        header = (f"<header{status}><identifier>{escape(record.identifier)}</identifier>"
                  f"<datestamp>{escape(stamp)}</datestamp></header>")
        if record.deleted:
            return f"<record>{header}</record>"
        title = f"<dc:title>{escape(record.title)}</dc:title>" if record.title is not None else ""
        return (f"<record>{header}<metadata>"
                '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"{title}{record.extra}</oai_dc:dc></metadata></record>")

    def _envelope(self, params: dict[str, str], inner: str) -> bytes:
        now = self.response_date or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        attributes = "".join(f' {k}="{escape(v, {chr(34): "&quot;"})}"'
                             for k, v in params.items() if k in
                             ("verb", "metadataPrefix", "from", "until", "set",
                              "resumptionToken"))
        text = ((self.xml_declaration or "") + self.doctype
                + f'<OAI-PMH xmlns="{OAI_NS}"><responseDate>{now}</responseDate>'
                f"<request{attributes}>http://{self.host}:{self.port}/oai</request>"
                f"{inner}</OAI-PMH>")
        return text.encode(self.encoding)


def identifiers_in(body: bytes) -> list[str]:
    """The record identifiers in an answer's bytes (for what a server really sent)."""
    return [m.decode() for m in re.findall(rb"<identifier>([^<]*)</identifier>", body)]
