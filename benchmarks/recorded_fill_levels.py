"""Fill rate of education level and URL over the recorded real OAI-PMH answers.

Every `<record>` with metadata in /work/shared/fixtures/oai-recorded/ (or the folder given)
is normalised as the harvest would (the metadata element's child, its prefix from the
echoed request), and per folder we count the records with an education level, with a URL,
and with a URL that is a site root (a bare "https://host/" is never the resource) or a file.
Run: `python benchmarks/recorded_fill_levels.py [folder]`. `title` says how many records the
normaliser could read at all (marc21, arXiv, MODS and oai_doaj have no mapper: no title, so
not stored). (Licence, type, access, date and
subjects: benchmarks/recorded_fill.py.) Figures: benchmarks/RESULTS-recorded-fill-levels.md.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from oerhub.models import RawRecord  # noqa: E402
from oerhub.normalize import normalize  # noqa: E402

RECORDED = Path("/work/shared/fixtures/oai-recorded")
OAI = "{http://www.openarchives.org/OAI/2.0/}"
_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)


def _folder(path: Path) -> str:
    """The fixture folder a page is in (its origin project), whatever the depth."""
    parts = path.relative_to(RECORDED).parts if path.is_relative_to(RECORDED) else path.parts
    return parts[0] if len(parts) > 1 else path.parent.name


def records(path: Path) -> list[RawRecord]:
    """The page's records with metadata, as RawRecords the harvester would have made."""
    try:
        root = etree.parse(str(path), _PARSER).getroot()
    except (etree.XMLSyntaxError, OSError):
        return []
    if root is None:
        return []
    request = root.find(f"{OAI}request")
    prefix = (request.get("metadataPrefix") if request is not None else None) or "oai_dc"
    found = []
    for record in root.iter(f"{OAI}record"):
        metadata = record.find(f"{OAI}metadata")
        if metadata is None or not len(metadata):
            continue
        ident = record.findtext(f"{OAI}header/{OAI}identifier") or ""
        raw = etree.tostring(metadata[0], encoding="unicode")
        found.append(RawRecord(_folder(path), ident.strip(), None, False, prefix, raw))
    return found


def site_root(url: str | None) -> bool:
    return bool(url) and urlsplit(url).path.strip("/") == "" and not urlsplit(url).query


def fill(folder: Path) -> dict[str, Counter[str]]:
    """Per fixture folder: records, title, education_level, url, url_root, url_file counts."""
    counts: dict[str, Counter[str]] = {}
    for path in sorted(folder.rglob("*.xml")):
        for raw in records(path):
            record = normalize(raw, None)
            c = counts.setdefault(raw.source_id, Counter())
            c["records"] += 1
            c["title"] += bool(record.title)  # a record without one is not stored
            c["education_level"] += bool(record.education_level)
            c["url"] += bool(record.url)
            c["url_root"] += site_root(record.url)
            c["url_file"] += bool(record.url) and record.url.lower().endswith(
                (".pdf", ".doc", ".docx", ".zip", ".djvu"))
    return counts


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else RECORDED
    counts = fill(folder)
    total: Counter[str] = sum(counts.values(), Counter())
    keys = ("title", "education_level", "url", "url_root", "url_file")
    print(f"{'folder':24} {'records':>7} " + " ".join(f"{k:>16}" for k in keys))
    for name, c in [*sorted(counts.items()), ("total", total)]:
        n = c["records"]
        cells = " ".join(f"{c[k]:>6} ({c[k] / n:6.1%})" if n else f"{'-':>16}" for k in keys)
        print(f"{name:24} {n:>7} {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
