"""Run the normaliser again over stored raw records: no harvesting, nothing fetched."""

from __future__ import annotations

from dataclasses import replace

from oerhub.catalogue import Catalogue, record_row
from oerhub.normalize import normalize

_KEPT = ("id", "source_id", "identifier", "datestamp", "deleted", "sets", "first_harvested",
         "last_changed")


def renormalize(catalogue: Catalogue, source_id: str | None = None) -> tuple[int, int]:
    """Re-map every stored raw record; return (records whose values changed, records seen).

    Tombstones are mapped too, from the metadata they had before deletion, and stay deleted.
    """
    countries = {row["id"]: row["country"] for row in catalogue.db.query(
        "SELECT id, country FROM sources")}
    changed = total = 0
    for batch in catalogue.raw_records(source_id):
        updates = []
        for old, raw in batch:
            total += 1
            record = normalize(replace(raw, deleted=False), countries.get(raw.source_id))
            new = record_row(record)
            if any(old[key] != value for key, value in new.items() if key not in _KEPT):
                changed += 1
                updates.append((old["id"], record))
        catalogue.update_normalised(updates)
    if changed:  # last_changed is kept: the steps that follow it go over everything once
        catalogue.forget_enrich_marks()
    return changed, total
