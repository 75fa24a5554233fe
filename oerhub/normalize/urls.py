"""Pick the link a reader should follow from the identifiers a record lists."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_DOI = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.I)
_IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
_HANDLE = re.compile(r"^(?:hdl:|handle:)\s*(\d[\d.]*/\S+)$", re.I)
# "oai:cyberleninka.ru:article/1": the repository identifier is a domain name (OAI-PMH 2.0
# guidelines); "localhost" and addresses say nothing about where the records live.
_OAI_ID = re.compile(r"^oai:([a-z0-9-]+(?:\.[a-z0-9-]+)+):", re.I)
_NOT_A_HOST = re.compile(r"^(?:localhost|[\d.]+)$")
_RESOLVERS = ("doi.org", "dx.doi.org", "hdl.handle.net")


def repository_host(identifier: str | None) -> str | None:
    """The host a record says it comes from: the domain of an `oai:` identifier, or the host
    of a web record's URL identifier; None when it names none (or "localhost", an IP)."""
    if not identifier:
        return None
    match = _OAI_ID.match(identifier)
    host = match.group(1) if match else urlsplit(identifier).hostname if identifier.lower(
    ).startswith(("http://", "https://")) else None
    if not host or _NOT_A_HOST.match(host):
        return None
    return _bare(host)


def _bare(host: str) -> str:
    host = host.lower()
    return host[4:] if host.startswith("www.") else host


def _is_site_root(url: str) -> bool:
    """"https://portal.example/" or ".../index.php": a home page, never the resource."""
    parts = urlsplit(url)
    path = parts.path.strip("/").lower()
    return not parts.query and path in ("", "index.html", "index.htm", "index.php", "jspui",
                                        "xmlui")


def _off_home(url: str, home: str | None) -> bool:
    """Is the URL on another host than the repository's (a resolver is never "another")?"""
    host = urlsplit(url).hostname
    if home is None or host is None:
        return False
    host = _bare(host)
    return host not in _RESOLVERS and host != home and not host.endswith("." + home) \
        and not home.endswith("." + host)


def best_url(links: list[tuple[str, dict[str, str]]], home: str | None = None) -> str | None:
    """A landing page beats a full-text file; a handle or DOI becomes a resolvable URL.

    A site's bare home page (a national portal listed beside the record's handle page) comes
    after a handle or DOI; with the repository's `home` host known, a page on it comes before
    an equally good page elsewhere.
    """
    urls: list[tuple[float, bool, int, str]] = []  # (badness, off home, position, url)
    for position, (value, attributes) in enumerate(links):
        value = value.strip()
        lower = value.lower()
        if lower.startswith(("http://", "https://")) and " " not in value:
            score = 0
            if attributes.get("linktype") == "fulltext" or lower.endswith((".pdf", ".djvu", ".doc",
                                                                             ".docx", ".zip")):
                score += 2
            if "/bitstream/" in lower or "/download/" in lower:
                score += 1
            if attributes.get("field") == "relation":  # another work, not this one
                score += 3
            if _is_site_root(value):  # a portal's home page: any own page is better
                score += 3
            if attributes.get("linktype") == "thumbnail" or lower.endswith(_IMAGES):
                score += 4  # a cover picture is never the resource
            urls.append((score, _off_home(value, home), position, value))
            continue
        doi = _DOI.match(value)
        if doi:
            urls.append((0.5, False, position, f"https://doi.org/{doi.group(1)}"))
            continue
        handle = _HANDLE.match(value)
        if handle:
            urls.append((0.5, False, position, f"https://hdl.handle.net/{handle.group(1)}"))
    return min(urls)[3] if urls else None
