"""The catalogue: one SQLite file, and the only code that writes the harvest's tables.

- `schema`: the tables and the numbered migrations;
- `base`: opening the file (read-only where it cannot be written), transactions, the stamps
  /oai relies on, where each enrichment step stopped;
- `records`: storing a harvested batch and reading records back;
- `runs`: sources, harvest runs, resume points and the deletions safety valve.

Each enrichment step keeps the SQL of its own tables beside it, in oerhub/enrich/, writing
through this catalogue's connection and transactions.
"""

from __future__ import annotations

from oerhub.catalogue.records import (
    RECORD_COLUMNS,
    BatchCounts,
    Records,
    json_strings,
    record_row,
    record_values,
)
from oerhub.catalogue.runs import Runs
from oerhub.catalogue.schema import SCHEMA, SCHEMA_VERSION


class Catalogue(Records, Runs):
    """An oerhub catalogue in one SQLite file: `with Catalogue(path) as catalogue: …`."""


__all__ = ["RECORD_COLUMNS", "SCHEMA", "SCHEMA_VERSION", "BatchCounts", "Catalogue",
           "json_strings", "record_row", "record_values"]
