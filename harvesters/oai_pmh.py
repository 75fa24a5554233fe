"""OAI-PMH: Identify, then ListRecords page by page, each page a checkpointed batch.

Written on requests + lxml rather than Sickle so that every page passes through our own
defences (gzip sniffing, illegal characters, entity-safe parsing, HTML-instead-of-XML) and so
that each page's resumption point reaches the store with the page's records.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lxml import etree

from harvesters.base import Batch, CheckResult, HarvestState
from oerhub.config import Source
from oerhub.errors import (
    BadResumptionToken,
    HarvestError,
    NotOaiResponse,
    OaiProtocolError,
    SourceUnreachable,
)
from oerhub.http import HttpClient, Response
from oerhub.models import RawRecord
from oerhub.normalize.dates import normalize_datestamp

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"

# Entities are never resolved and no DTD or network is loaded: a record cannot pull in a local file.
_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
_RECOVER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                           recover=True)
_ILLEGAL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*['\"]([A-Za-z0-9._-]+)['\"]")
_CHARSET = re.compile(r"charset\s*=\s*['\"]?([A-Za-z0-9._-]+)", re.I)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)", re.I | re.S)
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


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
    """One parsed OAI-PMH response."""

    url: str
    root: Any
    response_date: str | None
    error_codes: list[str] = field(default_factory=list)


class OaiClient:
    """Sends OAI-PMH verbs to one base URL and returns checked, parsed pages."""

    def __init__(self, base_url: str, http: HttpClient) -> None:
        self.base_url = base_url
        self.http = http

    def call(self, verb: str, **params: str | None) -> Page:
        query = {"verb": verb, **{k: v for k, v in params.items() if v is not None}}
        response = self.http.get(self.base_url, params=query)
        root = parse_response(response)
        page = Page(url=response.url, root=root,
                    response_date=normalize_datestamp(root.findtext(f"{OAI}responseDate")))
        for error in root.iterfind(f"{OAI}error"):
            code = (error.get("code") or "").strip()
            message = " ".join((error.text or "").split())
            if code == "noRecordsMatch":
                page.error_codes.append(code)
            elif code == "badResumptionToken":
                raise BadResumptionToken(code, message, response.url)
            else:
                raise OaiProtocolError(code or "(no code)", message, response.url)
        return page

    def identify(self) -> Identify:
        page = self.call("Identify")
        node = page.root.find(f"{OAI}Identify")
        if node is None:
            raise NotOaiResponse(f"{page.url}: the Identify answer has no <Identify> element")
        granularity = (node.findtext(f"{OAI}granularity") or "").strip()
        # Every repository must accept day granularity; use seconds only when it says so.
        granularity = SECONDS if granularity.upper() == SECONDS.upper() else DAY
        return Identify(
            repository_name=_text(node, "repositoryName"),
            granularity=granularity,
            earliest_datestamp=_text(node, "earliestDatestamp"),
            deleted_record=_text(node, "deletedRecord"),
            protocol_version=_text(node, "protocolVersion"),
            response_date=page.response_date,
            admin_emails=tuple(e.text.strip() for e in node.iterfind(f"{OAI}adminEmail") if e.text),
        )

    def list_metadata_formats(self) -> list[str]:
        page = self.call("ListMetadataFormats")
        return [p.strip() for p in page.root.xpath(
            "//oai:metadataFormat/oai:metadataPrefix/text()",
            namespaces={"oai": OAI[1:-1]}) if p.strip()]


class OaiPmhHarvester:
    """Harvests one OAI-PMH source: incremental from the last run's server date, by set."""

    def __init__(self, source: Source, client: HttpClient) -> None:
        self.source = source
        self.oai = OaiClient(source.url, client)
        self._next_since: str | None = None
        self.warnings: list[str] = []

    @property
    def next_since(self) -> str | None:
        return self._next_since

    def harvest(self, state: HarvestState, full: bool = False) -> Iterator[Batch]:
        identify = self.oai.identify()
        prefix = self.source.metadata_prefix
        sets: list[str | None] = list(self.source.sets) or [None]
        checkpoint = state.checkpoint
        resumable = (checkpoint is not None and checkpoint.get("protocol") == "oai-pmh"
                     and checkpoint.get("prefix") == prefix and checkpoint.get("sets") == sets
                     and (not full or checkpoint.get("from") is None))
        if resumable:
            assert checkpoint is not None
            since = checkpoint.get("from")
            next_since = checkpoint.get("next_since")
            first_set = int(checkpoint.get("set_index", 0))
            token = checkpoint.get("token")
        else:
            since = None if full else state.since
            # The server's clock, not ours, and taken before the first record is read.
            next_since = identify.response_date or _utc_now()
            first_set, token = 0, None
        request_from = _in_granularity(since, identify.granularity)

        for index in range(first_set, len(sets)):
            set_spec = sets[index]
            seen_tokens: set[str] = set()
            while True:
                base = {"protocol": "oai-pmh", "prefix": prefix, "sets": sets, "from": since,
                        "next_since": next_since, "set_index": index}
                try:
                    if token:
                        page = self.oai.call("ListRecords", resumptionToken=token)
                    else:
                        page = self.oai.call("ListRecords", metadataPrefix=prefix, set=set_spec,
                                             **{"from": request_from})
                except BadResumptionToken:
                    if not resumable:
                        raise
                    # The token saved by a killed run has expired: list this set again.
                    self.warnings.append(f"saved resumption token rejected; set {set_spec!r} "
                                         "listed again from its start")
                    resumable, token = False, None
                    continue
                resumable = False
                records, elements = self._records(page, prefix)
                token = _resumption_token(page)
                if token and token in seen_tokens:
                    self.warnings.append(f"the server repeated resumption token {token!r}; "
                                         f"stopped listing set {set_spec!r} there")
                    token = None
                if token:
                    seen_tokens.add(token)
                    yield Batch(records, {**base, "token": token}, elements)
                    continue
                yield Batch(records, {**base, "set_index": index + 1, "token": None}, elements)
                break
        self._next_since = next_since

    def _records(self, page: Page, prefix: str) -> tuple[list[RawRecord], list[Any]]:
        records: list[RawRecord] = []
        elements: list[Any] = []
        container = page.root.find(f"{OAI}ListRecords")
        if container is None:
            if page.error_codes:  # noRecordsMatch: an empty, successful answer
                return records, elements
            raise NotOaiResponse(f"{page.url}: the answer has neither <ListRecords> nor an error")
        for node in container.iterfind(f"{OAI}record"):
            header = node.find(f"{OAI}header")
            identifier = _text(header, "identifier") if header is not None else None
            if not identifier:
                self.warnings.append(f"{page.url}: a record without an identifier was skipped")
                continue
            deleted = header.get("status") == "deleted"
            metadata = None if deleted else _first_child(node.find(f"{OAI}metadata"))
            records.append(RawRecord(
                source_id=self.source.id,
                identifier=identifier,
                datestamp=normalize_datestamp(_text(header, "datestamp")),
                deleted=deleted,
                format=prefix,
                raw=etree.tostring(metadata, encoding="unicode") if metadata is not None else None,
                sets=tuple(s.text.strip() for s in header.iterfind(f"{OAI}setSpec") if s.text),
            ))
            elements.append(metadata)
        return records, elements

    def check(self) -> CheckResult:
        details: dict[str, Any] = {}
        try:
            identify = self.oai.identify()
            details.update(repository_name=identify.repository_name,
                           granularity=identify.granularity,
                           earliest_datestamp=identify.earliest_datestamp,
                           deleted_record=identify.deleted_record,
                           protocol_version=identify.protocol_version)
            formats = self.oai.list_metadata_formats()
            details["formats"] = formats
        except HarvestError as exc:
            return CheckResult(self.source.id, False, details, str(exc))
        if self.source.metadata_prefix not in formats:
            return CheckResult(self.source.id, False, details,
                               f"the repository does not offer metadata_prefix "
                               f"{self.source.metadata_prefix!r} (it offers {', '.join(formats)})")
        return CheckResult(self.source.id, True, details)


def parse_response(response: Response) -> Any:
    """Bytes → the OAI-PMH root element, or an error that says what came back instead."""
    body = _decompress(response.body)
    body = _to_declared_encoding(body, response.headers.get("Content-Type", ""))
    if _HTML_START.match(body[:2048]):
        title = _HTML_TITLE.search(body[:65536])
        shown = " ".join(title.group(1).decode("utf-8", "replace").split())[:120] if title else ""
        raise NotOaiResponse(
            f"{response.url} answered HTTP {response.status} with an HTML page"
            f"{f' titled {shown!r}' if shown else ''}, not OAI-PMH XML")
    root = None
    for attempt in (body, _ILLEGAL_BYTES.sub(b"", body)):
        try:
            root = etree.fromstring(attempt, _STRICT)
            break
        except etree.XMLSyntaxError:
            continue
    if root is None:
        try:
            root = etree.fromstring(_ILLEGAL_BYTES.sub(b"", body), _RECOVER)
        except etree.XMLSyntaxError:
            root = None
    if root is None or root.tag != f"{OAI}OAI-PMH":
        if response.status >= 400:
            raise SourceUnreachable(f"HTTP {response.status} from {response.url}")
        start = body[:80].decode("utf-8", "replace").strip()
        raise NotOaiResponse(f"{response.url} answered HTTP {response.status} with something "
                             f"that is not OAI-PMH XML (it begins {start!r})")
    return root


def _decompress(body: bytes) -> bytes:
    """Sniff gzip/zlib by magic bytes: some servers compress without saying so."""
    try:
        if body[:2] == b"\x1f\x8b":
            return gzip.decompress(body)
        if body[:1] == b"\x78" and body[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
            return zlib.decompress(body)
    except (OSError, zlib.error, EOFError):
        return body
    return body


def _to_declared_encoding(body: bytes, content_type: str) -> bytes:
    """A body with no XML encoding declaration is UTF-8 to lxml; honour the HTTP charset."""
    if _XML_DECL_ENCODING.match(body[:200]):
        return body
    match = _CHARSET.search(content_type)
    charset = match.group(1).lower() if match else "utf-8"
    if charset in ("utf-8", "utf8", "us-ascii", "ascii"):
        return body
    try:
        return body.decode(charset).encode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return body


def _resumption_token(page: Page) -> str | None:
    node = page.root.find(f"{OAI}ListRecords/{OAI}resumptionToken")
    if node is None or not (node.text or "").strip():
        return None
    return node.text.strip()


def _in_granularity(stamp: str | None, granularity: str) -> str | None:
    if not stamp:
        return None
    if granularity == DAY or len(stamp) == 10:
        return stamp[:10]
    return stamp


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


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
