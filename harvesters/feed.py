"""RSS and Atom feeds, with paging where the feed offers it (RFC 5005 `<link rel="next">`).

Bodies are fetched through the WebFetcher (robots.txt, the page budget, conditional GETs) and
only then handed to feedparser as bytes, so feedparser never fetches anything itself. It
reads RSS 0.9x, 1.0 and 2.0 and Atom with their many date and author spellings.

A feed lists its newest entries first, so an incremental run stops following `next` links
at the first page whose entries are all no newer than the last run's newest entry, and an
unchanged first page (304) ends the run at once. A feed is a window, not a catalogue: an
entry that drops out of it is not deleted. When `max_pages` cuts a run, the pages it did not
reach are remembered as not yet fetched, and the next run reads them after the feed's head.
"""

from __future__ import annotations

import io
import json
import mimetypes
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import feedparser
from lxml import etree

from harvesters.base import CheckResult
from harvesters.web import (
    FEED_ACCEPT,
    Fetched,
    PageLimitReached,
    WebFetcher,
    WebHarvester,
    absolute,
)
from harvesters.xml_body import clean_xml_bytes, html_title
from oerhub.errors import ExtractionFailed, HarvestError, SourceUnreachable
from oerhub.models import Batch, HarvestState, PageState, RawRecord
from oerhub.normalize.dates import utc_now
from oerhub.normalize.feed import entry_page
from oerhub.normalize.fields import values

BATCH = 100  # records per stored batch
PROTOCOL = "feed"
FORMAT = "feed"
HEAD, BACKFILL = "head", "backfill"  # the newest pages / pages a cut run did not reach
_HTML_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html)",
                         re.I | re.S)
_ATOM = ("http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#")
_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                       recover=True)
# Dublin Core however a feed binds it (dc:, dcterms:, DC:, dcx: with or without the slash)
_DC_NAMESPACE = re.compile(r"^https?://purl\.org/dc/(?:elements/1\.1|terms)/?$", re.I)
# DC element (feedparser's lower-cased local name) → the raw record's key
_DC_KEYS = {"type": "types", "rights": "dc_rights", "license": "dc_license",
            "accessrights": "access_rights", "educationlevel": "levels", "audience": "levels"}


class FeedHarvester(WebHarvester):
    """Harvests one RSS or Atom feed, following its `next` pages. `next_since` is the newest
    entry date seen (or the last run's): where the next run stops paging."""

    # --- harvesting ----------------------------------------------------------------------

    def harvest(self, state: HarvestState, full: bool = False) -> Iterator[Batch]:
        self.fetcher = WebFetcher(self.source, self.client, state)
        future = utc_now()[:10] + "T23:59:59Z"  # later dates are a server's error, not news
        cp = state.checkpoint
        if cp and cp.get("protocol") == PROTOCOL and cp.get("url") == self.source.url \
                and isinstance(cp.get("todo"), list):
            since, newest = cp.get("since"), cp.get("newest")
            todo = [(str(url), str(mode)) for url, mode in cp["todo"]]
        else:
            since, newest = (None if full else state.since), None
            pending = sorted((p for p in state.pages.values() if p.status is None),
                             key=lambda p: p.fetched_at or "")
            todo = [(self.source.url, HEAD), *((p.url, BACKFILL) for p in pending
                                               if p.url != self.source.url)]
        visited: set[str] = set()
        seen: set[str] = set()  # entries read in this run (a shifting feed repeats some)
        while todo:
            url, mode = todo.pop(0)
            if url in visited:
                self.notes.append(f"{url}: the feed's pages lead back to a page already read; "
                                  "stopped there")
                continue
            visited.add(url)
            try:
                fetched = self.fetcher.fetch(url, FEED_ACCEPT, conditional=not full)
            except PageLimitReached:
                # Not reached in this run: remembered so that the next run reads them.
                now = utc_now()
                yield Batch([], None, pages=[PageState(u, fetched_at=now)
                                             for u, _ in [(url, mode), *todo]])
                break
            if fetched is None:  # robots.txt forbids it (the warnings say so)
                continue
            for batch, last in self._page(fetched, mode, since, state, full, todo, seen):
                for record in batch.records:
                    if record.datestamp and record.datestamp <= future \
                            and (newest is None or record.datestamp > newest):
                        newest = record.datestamp
                # A kill before the page's last batch reads the page again.
                batch.checkpoint = self._checkpoint(since, newest,
                                                    todo if last else [(url, mode), *todo])
                yield batch
        dates = [d for d in (state.since, newest) if d]
        self._next_since = max(dates) if dates else None

    def _checkpoint(self, since: str | None, newest: str | None,
                    todo: list[tuple[str, str]]) -> dict[str, Any]:
        return {"protocol": PROTOCOL, "url": self.source.url, "since": since, "newest": newest,
                "todo": [list(item) for item in todo]}

    def _page(self, fetched: Fetched, mode: str, since: str | None, state: HarvestState,
              full: bool, todo: list[tuple[str, str]],
              seen: set[str]) -> Iterator[tuple[Batch, bool]]:
        """One feed page's entries in batches (and whether each is the page's last); the
        page's `next` page goes to the front of `todo`."""
        url = fetched.url
        if fetched.unchanged:  # nothing new on it, nor (for the head) after it
            yield Batch([], None, pages=[fetched.page],
                        skipped=sum(1 for i in fetched.page.identifiers if i in state.known)), True
            return
        if not fetched.ok:
            if url == self.source.url:
                raise SourceUnreachable(f"HTTP {fetched.response.status} from {url}")
            self.notes.append(f"{url} answered HTTP {fetched.response.status}; the feed's "
                              "paging stopped there")
            yield Batch([], None, pages=[fetched.page]), True  # no longer a page to go back to
            return
        feed = parse_feed(fetched)
        if feed.get("nested_entries"):
            self.notes.append(f"{url}: {feed['nested_entries']} entries nested inside other "
                              "entries were read as their parent's files, not as records")
        entries = [entry_dict(e, feed.feed, feed.get("namespaces")) for e in feed.entries]
        records: list[RawRecord] = []
        elements: list[Any] = []
        ids: list[str] = []
        skipped = 0
        for entry in entries:
            identifier = entry.get("id") or entry.get("link")
            if not identifier:
                self.notes.append(f"{url}: an entry with neither id/guid nor link was skipped")
                continue
            ids.append(identifier)
            if identifier in seen:
                continue
            seen.add(identifier)
            datestamp = entry.get("updated") or entry.get("published")
            if not full and datestamp and state.known.get(identifier) == datestamp:
                skipped += 1
                continue
            records.append(RawRecord(self.source.id, identifier, datestamp, False, FORMAT,
                                     json.dumps(entry, ensure_ascii=False, sort_keys=True)))
            elements.append(entry)
            if len(records) >= BATCH:
                yield Batch(records, None, elements), False
                records, elements = [], []
        next_url = next_link(feed.feed, url)
        if next_url and (mode == BACKFILL or not all_older(entries, since)):
            todo.insert(0, (next_url, mode))
        yield Batch(records, None, elements, pages=[replace(fetched.page, identifiers=tuple(ids))],
                    skipped=skipped), True

    # --- checking ------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """robots.txt and the feed's first page: its kind, entries and paging. Stores nothing."""
        fetcher = WebFetcher(self.source, self.client)
        url = self.source.url
        details: dict[str, Any] = {"protocol": PROTOCOL, "url": url}
        try:
            fetched = fetcher.fetch(url, FEED_ACCEPT, conditional=False)
            if fetched is None:
                return CheckResult(self.source.id, False, details,
                                   f"robots.txt disallows {url}; nothing can be harvested")
            if not fetched.ok:
                raise SourceUnreachable(f"HTTP {fetched.response.status} from {url}")
            feed = parse_feed(fetched)
        except (HarvestError, PageLimitReached) as exc:
            return CheckResult(self.source.id, False, details, str(exc))
        details.update(formats=[feed.version or "feed"], title=feed.feed.get("title"),
                       language=feed.feed.get("language"), entries=len(feed.entries),
                       next=next_link(feed.feed, url))
        dates = [d for d in (entry_date(e) for e in feed.entries) if d]
        if dates:
            details["newest_entry"] = max(dates)
        if fetcher.notes:
            details["notes"] = list(fetcher.notes)
        return CheckResult(self.source.id, True, details)


def parse_feed(fetched: Fetched) -> Any:
    """feedparser's reading of a fetched body (never a URL), or ExtractionFailed."""
    body = fetched.response.body
    if _HTML_START.match(body[:2048]):
        shown = html_title(body)
        raise ExtractionFailed(f"{fetched.url} answered with an HTML page"
                               f"{f' titled {shown!r}' if shown else ''}, not the RSS or Atom "
                               "feed expected (<rss>, <feed> or <rdf:RDF>)")
    cleaned, _ = clean_xml_bytes(body, fetched.response.headers.get("Content-Type", ""))
    cleaned, nested = unnest_entries(cleaned)
    # A stream, not bytes: feedparser opens bytes that look like a path as a local file.
    feed = feedparser.parse(io.BytesIO(cleaned), response_headers={
        "content-location": fetched.url, "content-type": "application/xml; charset=utf-8"})
    feed["nested_entries"] = nested
    if not feed.version and not feed.entries:
        start = body.lstrip()[:60].decode("utf-8", "replace")
        raise ExtractionFailed(f"{fetched.url}: expected an RSS or Atom feed (<rss>, <feed> or "
                               f"<rdf:RDF>), but the answer is not one (it begins {start!r})")
    return feed


def unnest_entries(body: bytes) -> tuple[bytes, int]:
    """An Atom feed whose entries hold entries (a ministry repository nests each document's
    files in it) as feedparser can read it: each nested entry becomes `<link rel="enclosure">`
    links of its top entry (its links, else its http id; titled by its title) and is removed.
    feedparser would otherwise make each a record (most without a title) and hand the rest of
    the parent entry to the feed. Returns the body (unchanged when nothing is nested) and how
    many entries were nested."""
    if body.count(b"entry") < 4:  # "<entry>…</entry>" twice: nothing can be nested
        return body, 0
    try:
        root = etree.fromstring(body, _XML)
    except etree.XMLSyntaxError:
        return body, 0
    if root is None or etree.QName(root).namespace not in _ATOM:
        return body, 0
    nested = [e for ns in _ATOM for e in root.iterfind(f".//{{{ns}}}entry//{{{ns}}}entry")]
    for entry in nested:
        ns = etree.QName(entry).namespace
        top = next(a for a in reversed(list(entry.iterancestors(f"{{{ns}}}entry"))))
        title = " ".join("".join(entry.findtext(f"{{{ns}}}title") or "").split())
        links = [(link.get("href"), link.get("type")) for link in entry.iter(f"{{{ns}}}link")
                 if link.get("href") and link.get("rel", "alternate") in ("alternate", "enclosure")]
        ident = (entry.findtext(f"{{{ns}}}id") or "").strip()
        if not links and ident.startswith(("http://", "https://")):
            links = [(ident, None)]
        for href, kind in links:
            # without a type feedparser would call the file a web page (text/html)
            kind = kind or mimetypes.guess_type(href.split("?")[0])[0]
            attributes = {"rel": "enclosure", "href": href}
            attributes.update({"type": kind} if kind else {})
            attributes.update({"title": title} if title else {})
            etree.SubElement(top, f"{{{ns}}}link", attributes)
    for entry in nested:
        parent = entry.getparent()
        if parent is not None:
            parent.remove(entry)  # lxml keeps the removed element's tail text out of the tree
    if not nested:
        return body, 0
    return etree.tostring(root, xml_declaration=True, encoding="utf-8"), len(nested)


def next_link(feed: Mapping[str, Any], base: str) -> str | None:
    """The feed's `<link rel="next">` (Atom, or atom:link in RSS), made absolute."""
    for link in feed.get("links") or []:
        if link.get("rel") == "next" and link.get("href"):
            return absolute(base, link["href"])
    return None


def all_older(entries: list[dict[str, Any]], since: str | None) -> bool:
    """Is every entry of a page dated no later than `since` (so older pages hold nothing new)?"""
    if since is None or not entries:
        return since is not None
    dates = [e.get("updated") or e.get("published") for e in entries]
    return all(d is not None and d <= since for d in dates)


def entry_date(entry: Mapping[str, Any]) -> str | None:
    return _stamp(entry.get("updated_parsed")) or _stamp(entry.get("published_parsed"))


def _stamp(parsed: Any) -> str | None:
    """feedparser's UTC struct_time as ISO 8601 UTC, or None."""
    if not parsed:
        return None
    try:
        if not 1000 <= parsed.tm_year <= 2100:
            return None
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed)
    except (AttributeError, TypeError, ValueError):
        return None


def dc_values(entry: Mapping[str, Any], namespaces: Mapping[str, str] | None
              ) -> dict[str, list[str]]:
    """The entry's Dublin Core values feedparser keeps under "<prefix>_<element>" (dc_type,
    dcterms_license, a feed's own prefix such as dcx_type), by raw-record key; a prefix
    counts when the feed binds it to a DC namespace (or it is feedparser's dc/dcterms)."""
    dc_prefixes = {"dc", "dcterms"} | {prefix.lower() for prefix, uri in (namespaces or {}).items()
                                       if prefix and _DC_NAMESPACE.match(str(uri))}
    found: dict[str, list[str]] = {}
    for key, value in entry.items():
        prefix, _, element = str(key).rpartition("_")
        target = _DC_KEYS.get(element.lower())
        if target and prefix.lower() in dc_prefixes:
            found.setdefault(target, []).extend(values(value))
    return found


def entry_dict(entry: Mapping[str, Any], feed: Mapping[str, Any],
               namespaces: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The useful fields of one feedparser entry, as the JSON raw record keeps them."""
    links = [{k: link[k] for k in ("href", "rel", "type", "title", "length") if link.get(k)}
             for link in entry.get("links") or [] if link.get("href")]
    enclosures = [{k: v for k, v in link.items() if k != "rel"}
                  for link in links if link.get("rel") == "enclosure"]
    media = [{k: m[k] for k in ("url", "type", "medium") if m.get(k)}
             for m in entry.get("media_content") or [] if m.get("url")]
    dc = dc_values(entry, namespaces)
    data: dict[str, Any] = {
        "id": (entry.get("id") or "").strip() or None,
        "title": entry.get("title"),
        "summary": entry.get("summary"),
        "content": [c.get("value") for c in entry.get("content") or [] if c.get("value")],
        "link": entry_page(links, entry.get("link"), bool(entry.get("guidislink"))),
        "links": links,
        "authors": [a.get("name") for a in entry.get("authors") or [] if a.get("name")],
        "contributors": [a.get("name") for a in entry.get("contributors") or []
                         if a.get("name")],
        "tags": [t.get("label") or t.get("term") for t in entry.get("tags") or []
                 if t.get("label") or t.get("term")],
        "published": _stamp(entry.get("published_parsed")),
        # feedparser answers a missing updated_parsed with published_parsed, and warns that
        # it will stop: do it ourselves, without the warning
        "updated": _stamp(dict.get(entry, "updated_parsed")
                          or dict.get(entry, "published_parsed")),
        "language": entry_language(entry, feed),
        # RFC 4287 4.2.10: an entry without its own rights has the feed's.
        "rights": entry.get("rights") or next(iter(dc.get("dc_rights", [])), None)
        or feed.get("rights"),
        "license": [link["href"] for link in links if link.get("rel") == "license"]
        + dc.get("dc_license", []),
        "access_rights": dc.get("access_rights"),
        "levels": dc.get("levels"),
        "enclosures": enclosures,
        "media": media,
        "types": dc.get("types", []),
        "publisher": entry.get("publisher"),
    }
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def entry_language(entry: Mapping[str, Any], feed: Mapping[str, Any]) -> str | None:
    """dc:language of the entry, else its xml:lang, else the feed's language."""
    if entry.get("language"):
        return str(entry["language"])
    for key in ("title_detail", "summary_detail"):
        detail = entry.get(key)
        if detail and detail.get("language"):
            return str(detail["language"])
    for content in entry.get("content") or []:
        if content.get("language"):
            return str(content["language"])
    return feed.get("language") or None
