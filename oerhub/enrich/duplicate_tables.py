"""The duplicates step's tables (oerhub/enrich/duplicates.py): match keys, groups and translation
links, each rewritten for the records the step regrouped. The step holds one transaction
(`with catalogue.transaction():`) around its reads and these writes, which open none."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from oerhub.catalogue import Catalogue


def replace_record_keys(catalogue: Catalogue, record_ids: Sequence[int] | None,
                        rows: Iterable[tuple[str, int, str, str]]) -> None:
    """Drop the match keys of `record_ids` (every record's with None), store `rows`:
    (key, record_id, source_id, role)."""
    _replace(catalogue, "record_keys", ("record_id",), record_ids,
                  "INSERT OR IGNORE INTO record_keys (key, record_id, source_id, role) "
                  "VALUES (?, ?, ?, ?)", rows)


def replace_groups(catalogue: Catalogue, record_ids: Sequence[int] | None,
                   rows: Iterable[tuple[int, int, str]]) -> None:
    """Regroup `record_ids` (every record with None): (record_id, group_id, reason)."""
    _replace(catalogue, "record_groups", ("record_id",), record_ids,
                  "INSERT OR REPLACE INTO record_groups (record_id, group_id, reason) "
                  "VALUES (?, ?, ?)", rows)


def replace_translation_links(catalogue: Catalogue, group_ids: Sequence[int] | None,
                              rows: Iterable[tuple[int, int, str]]) -> None:
    """Drop every link touching `group_ids` (all with None), store `rows` (both ways):
    (group_id, other_group_id, reason)."""
    _replace(catalogue, "translation_links", ("group_id", "other_group_id"), group_ids,
                  "INSERT OR IGNORE INTO translation_links (group_id, other_group_id, "
                  "reason) VALUES (?, ?, ?)", rows)


def _replace(catalogue: Catalogue, table: str, columns: tuple[str, ...], ids: Sequence[int] | None,
             insert: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """Drop the rows of `table` whose `columns` hold one of `ids` (every row with None),
    then `insert` `rows`: what the duplicates step's tables are rewritten with."""
    if ids is None:
        catalogue.conn.execute(f"DELETE FROM {table}")
    else:
        keyed = [(i,) for i in ids]
        for column in columns:
            catalogue.conn.executemany(f"DELETE FROM {table} WHERE {column} = ?", keyed)
    catalogue.conn.executemany(insert, rows)
