"""The OAI-PMH protocol as oerhub speaks it: requests through our HTTP client, answers checked
for what they really are (an HTML page, an OAI-PMH error) and read record by record.

`read_page` is pure, so pages can be read in worker processes (oerhub/workers.py); every page
passes through our own defences first (`xml_body`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import unescape

from lxml import etree

from harvesters.base import Prepare
from harvesters.xml_body import clean_xml_bytes, html_title
from oerhub.errors import (
    BadResumptionToken,
    NotOaiResponse,
    OaiProtocolError,
    SourceUnreachable,
)
from oerhub.http import HttpClient, Response
from oerhub.models import RawRecord
from oerhub.normalize.dates import normalize_datestamp

if TYPE_CHECKING:  # types only: the registry reads the harvesters' options
    pass


NS = "http://www.openarchives.org/OAI/2.0/"
OAI = f"{{{NS}}}"
DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
SUB_BATCH = 500  # records handed on at a time from one page, so a huge page stays small in memory

_PARSE = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": True}
_STRICT = etree.XMLParser(**_PARSE)
_RECOVER = etree.XMLParser(**_PARSE, recover=True)
_TOKEN_PEEK = re.compile(rb"<(?:[\w.-]+:)?resumptionToken\b[^>]*>([^<]*)"
                         rb"</(?:[\w.-]+:)?resumptionToken\s*>")
HAS_RECORD = re.compile(rb"<(?:[\w.-]+:)?record[\s>]")
_HAS_ERROR = re.compile(rb"<(?:[\w.-]+:)?error[\s>]")
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)", re.I | re.S)
_ROOT, _RESPONSE_DATE, _ERROR, _RECORD, _TOKEN = _TAGS = (
    f"{OAI}OAI-PMH", f"{OAI}responseDate", f"{OAI}error", f"{OAI}record", f"{OAI}resumptionToken")
_HEADER, _METADATA, _IDENTIFIER, _DATESTAMP, _SET_SPEC = (
    f"{OAI}header", f"{OAI}metadata", f"{OAI}identifier", f"{OAI}datestamp", f"{OAI}setSpec")
# A page's records mostly share a handful of datestamps (bulk imports, day granularity).
_datestamp = lru_cache(maxsize=4096)(normalize_datestamp)


@dataclass(frozen=True)
class Identify:
    repository_name: str | None
    granularity: str
    earliest_datestamp: str | None
    deleted_record: str | None
    protocol_version: str | None
    response_date: str | None
    admin_emails: tuple[str, ...] = ()


@dataclass
class Page:
    """One OAI-PMH answer, read as its records stream by."""

    url: str
    body: bytes
    response_date: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    token: str | None = None
    tree: Any = None

    def root(self) -> Any:
        """The whole tree, for small answers (Identify, ListMetadataFormats)."""
        try:
            return etree.fromstring(self.body, _STRICT)
        except etree.XMLSyntaxError:
            return _recovered(self.body, self.url)

    def records(self) -> Iterator[Any]:
        """Each <record> element in order; afterwards token, errors and date are filled in.

        Elements are cleared once the caller has moved on, so memory holds one record at a
        time, not the page. A page that breaks half-way is read again leniently from the
        record where the strict reading stopped.
        """
        seen = 0  # records handed out by the strict reading
        try:
            for element in self._walk(etree.iterparse(io.BytesIO(self.body), events=("end",),
                                                      tag=_TAGS, **_PARSE)):
                seen += 1
                yield element
        except etree.XMLSyntaxError:
            root = _recovered(self.body, self.url)
            if root is None or root.tag != f"{OAI}OAI-PMH":
                raise NotOaiResponse(f"{self.url}: the answer is not well-formed OAI-PMH XML") \
                    from None
            index = 0
            for element in self._walk(root.iter(*_TAGS)):
                if element.tag == f"{OAI}record":
                    index += 1
                    if index <= seen:
                        continue
                yield element

    def _walk(self, events: Any) -> Iterator[Any]:
        root_seen = False
        for item in events:
            element = item[1] if isinstance(item, tuple) else item
            tag = element.tag
            if tag == _RECORD:
                yield element
                element.clear(keep_tail=True)
                while element.getprevious() is not None:
                    del element.getparent()[0]
            elif tag == _RESPONSE_DATE:
                self.response_date = normalize_datestamp(element.text)
            elif tag == _ERROR:
                self.errors.append(((element.get("code") or "").strip(),
                                    " ".join((element.text or "").split())))
            elif tag == _TOKEN:
                self.token = (element.text or "").strip() or None
            elif tag == _ROOT:
                root_seen = True
        if not root_seen:
            raise NotOaiResponse(f"{self.url}: the answer is XML but not OAI-PMH")


def _recovered(body: bytes, url: str) -> Any:
    """The lenient parse of an answer the strict one refused; libxml2 can refuse it too (a
    huge or broken body), and that is the server's answer, not a bug."""
    try:
        return etree.fromstring(body, _RECOVER)
    except etree.XMLSyntaxError as exc:
        raise NotOaiResponse(f"{url}: the answer is not well-formed XML, even read leniently "
                             f"({exc})") from None


@dataclass
class PageRead:
    """What one ListRecords answer holds: its records in sub-batches, each with what `prepare`
    made of them (or their parsed metadata), then the token, errors and warnings."""

    batches: list[tuple[list[RawRecord], list[Any]]] = field(default_factory=list)
    count: int = 0  # records listed, those skipped for want of an identifier included
    token: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    response_date: str | None = None
    warnings: list[str] = field(default_factory=list)
    listed: bool = False  # the answer has a <ListRecords> element


def iter_page(body: bytes, url: str, prefix: str, source_id: str, read: PageRead,
              prepare: Prepare | None = None) -> Iterator[tuple[list[RawRecord], list[Any]]]:
    """The records of a ListRecords answer in sub-batches of SUB_BATCH, as it is read (memory
    holds one sub-batch, however long the page); `read` is filled in as it goes and complete
    at the end."""
    page = Page(url=url, body=body)
    records: list[RawRecord] = []
    elements: list[Any] = []

    def handed_on() -> tuple[list[RawRecord], list[Any]]:
        return records, prepare(records, elements) if prepare is not None else elements

    for node in page.records():
        read.count += 1
        header = node.find(_HEADER)
        identifier = header.findtext(_IDENTIFIER) if header is not None else None
        identifier = identifier.strip() if identifier else None
        if not identifier:
            read.warnings.append(f"{url}: a record without an identifier was skipped")
            continue
        deleted = header.get("status") == "deleted"
        metadata = None if deleted else _first_child(node.find(_METADATA))
        raw = None
        if metadata is not None:
            raw = etree.tostring(metadata, encoding="unicode")
            metadata.getparent().remove(metadata)  # keep it for the normaliser; free the rest
        records.append(RawRecord(
            source_id=source_id, identifier=identifier,
            datestamp=_datestamp(_text(header, "datestamp")), deleted=deleted,
            format=prefix, raw=raw,
            sets=tuple(s.text.strip() for s in header.iterfind(_SET_SPEC) if s.text)))
        elements.append(metadata)
        if len(records) >= SUB_BATCH:
            yield handed_on()
            records, elements = [], []
    read.token, read.errors, read.response_date = page.token, page.errors, page.response_date
    read.listed = b"ListRecords" in body
    yield handed_on()


def read_page(body: bytes, url: str, prefix: str, source_id: str,
              prepare: Prepare | None = None) -> PageRead:
    """A whole ListRecords answer read at once: what a worker process sends back (so
    `prepare` is needed there: parsed elements cannot travel between processes)."""
    read = PageRead()
    read.batches = list(iter_page(body, url, prefix, source_id, read, prepare))
    return read


def peek_token(body: bytes) -> str | None:
    """The resumption token as the answer's last lines show it, found without parsing, so the
    next page can be asked for while this one is read; checked against the parse after. None
    for an answer with an error (noRecordsMatch ends a list whatever token comes with it)."""
    found = _TOKEN_PEEK.search(body, max(0, len(body) - 4096))
    if found is None or _HAS_ERROR.search(body):
        return None
    return unescape(found.group(1).decode("utf-8", "replace")).strip() or None


class OaiClient:
    """Sends OAI-PMH verbs to one base URL and returns checked pages."""

    def __init__(self, base_url: str, http: HttpClient) -> None:
        self.base_url = base_url
        self.http = http

    def fetch(self, verb: str, **params: str | None) -> Page:
        query = {"verb": verb, **{k: v for k, v in params.items() if v is not None}}
        return Page(url=self.base_url, body=prepare_body(self.http.get(self.base_url, query)))

    def call(self, verb: str, **params: str | None) -> Page:
        """A small answer parsed whole, errors raised (Identify, ListMetadataFormats)."""
        page = self.fetch(verb, **params)
        root = page.root()
        if root is None or root.tag != f"{OAI}OAI-PMH":
            raise NotOaiResponse(f"{self.base_url}: the answer to {verb} is not OAI-PMH XML")
        page.response_date = normalize_datestamp(root.findtext(f"{OAI}responseDate"))
        page.errors = [((e.get("code") or "").strip(), " ".join((e.text or "").split()))
                       for e in root.iterfind(f"{OAI}error")]
        raise_errors(page)
        page.body, page.tree = b"", root
        return page

    def identify(self) -> Identify:
        page = self.call("Identify")
        node = page.tree.find(f"{OAI}Identify")
        if node is None:
            raise NotOaiResponse(f"{self.base_url}: the Identify answer has no <Identify>")
        granularity = (node.findtext(f"{OAI}granularity") or "").strip()
        # Every repository must accept day granularity; use seconds only when it says so.
        granularity = SECONDS if granularity.upper() == SECONDS.upper() else DAY
        return Identify(
            repository_name=_text(node, "repositoryName"),
            granularity=granularity,
            earliest_datestamp=normalize_datestamp(_text(node, "earliestDatestamp")),
            deleted_record=_text(node, "deletedRecord"),
            protocol_version=_text(node, "protocolVersion"),
            response_date=page.response_date,
            admin_emails=tuple(e.text.strip() for e in node.iterfind(f"{OAI}adminEmail") if e.text),
        )

    def list_metadata_formats(self) -> list[str]:
        page = self.call("ListMetadataFormats")
        return [p.strip() for p in page.tree.xpath(
            "//oai:metadataFormat/oai:metadataPrefix/text()", namespaces={"oai": NS})
            if p.strip()]


def raise_errors(page: Page) -> None:
    """OAI errors other than noRecordsMatch (which means: an empty, successful answer)."""
    for code, message in page.errors:
        if code == "noRecordsMatch":
            continue
        if code == "badResumptionToken":
            raise BadResumptionToken(code, message, page.url)
        raise OaiProtocolError(code or "(no code)", message, page.url)


def prepare_body(response: Response) -> bytes:
    """Clean UTF-8 XML from an answer, or an error that says what came back instead."""
    body = response.body
    if _HTML_START.match(body[:2048]):
        shown = html_title(body)
        raise NotOaiResponse(
            f"{response.url} answered HTTP {response.status} with an HTML page"
            f"{f' titled {shown!r}' if shown else ''}, not OAI-PMH XML")
    stripped = body.lstrip()
    if not stripped.startswith(b"<"):
        if response.status >= 400:
            raise SourceUnreachable(f"HTTP {response.status} from {response.url}")
        start = stripped[:80].decode("utf-8", "replace")
        raise NotOaiResponse(f"{response.url} answered HTTP {response.status} with something "
                             f"that is not OAI-PMH XML (it begins {start!r})")
    cleaned, _ = clean_xml_bytes(stripped, response.headers.get("Content-Type", ""))
    if response.status >= 400 and b"OAI-PMH" not in cleaned[:4096]:
        raise SourceUnreachable(f"HTTP {response.status} from {response.url}")
    return cleaned


def parse_response(response: Response) -> Any:
    """Bytes → the OAI-PMH root element (whole tree; for small answers and tests)."""
    page = Page(url=response.url, body=prepare_body(response))
    root = page.root()
    if root is None or root.tag != f"{OAI}OAI-PMH":
        raise NotOaiResponse(f"{response.url}: the answer is XML but not OAI-PMH")
    return root


def token_after(page: Page | PageRead) -> str | None:
    """The token to ask with next; noRecordsMatch ends a list whatever else came with it."""
    if any(code == "noRecordsMatch" for code, _ in page.errors):
        return None
    return page.token


def _first_child(node: Any) -> Any:
    if node is None:
        return None
    for child in node:
        if isinstance(child.tag, str):
            return child
    return None


def _text(node: Any, name: str) -> str | None:
    value = node.findtext(f"{OAI}{name}")
    value = value.strip() if value else None
    return value or None
