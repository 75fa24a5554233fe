"""Pick the link a reader should follow from the identifiers a record lists."""

from __future__ import annotations

import re

_DOI = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.I)
_IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
_HANDLE = re.compile(r"^(?:hdl:|handle:)\s*(\d[\d.]*/\S+)$", re.I)


def best_url(links: list[tuple[str, dict[str, str]]]) -> str | None:
    """A landing page beats a full-text file; a handle or DOI becomes a resolvable URL."""
    urls: list[tuple[int, str]] = []
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
            if attributes.get("linktype") == "thumbnail" or lower.endswith(_IMAGES):
                score += 4  # a cover picture is never the resource
            urls.append((score * 1000 + position, value))
            continue
        doi = _DOI.match(value)
        if doi:
            urls.append((500 + position, f"https://doi.org/{doi.group(1)}"))
            continue
        handle = _HANDLE.match(value)
        if handle:
            urls.append((500 + position, f"https://hdl.handle.net/{handle.group(1)}"))
    return min(urls)[1] if urls else None
