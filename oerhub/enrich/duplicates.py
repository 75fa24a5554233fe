"""Cross-source duplicates and translations: the `duplicates` enrichment step.

After every harvest, the records changed since the step last ran get their match keys
(oerhub/enrich/duplicate_keys.py) stored in `record_keys`; then

- **duplicates**: records sharing a `same` key (DOI, handle, link, or title + a creator in
  one language) are one resource. The groups are the connected components of that graph
  (union-find), kept in `record_groups` for the records of groups of two or more;
  `group_id` is the group's smallest record id, so a resource is named by one of its records.
  A key counts only when **no source gives it to two records**: a repository that lists a
  proceedings volume's DOI, a journal's site or one textbook title by one author on many
  records says that the key does not tell its records apart, and it is ignored for everyone
  (two copies inside one source are left apart, which is the rarer loss).
- **translations**: two groups are one resource in two languages (`translation_links`,
  both directions) when the records of one name the other in a translation relation
  (`points` keys), or when they share a `version` key (ISBN family or series, with a creator
  and the title's numbers) that picks out at most one group per language. Two groups that
  share a language are never linked: that is a duplicate or another edition, not a
  translation. Records without a language take no part.

Incremental: only the records whose `last_changed` is at or after the moment the last run
started (its mark; stamps are whole seconds, so a record stored in that second is keyed once
more, harmlessly) are keyed again. The groups that can change are those of the records that carry a key these
records had or have, with all their members; that set is closed (a key that changed neither
its carriers nor its validity links only records already grouped together), so regrouping it
alone gives what regrouping everything would. Translation links are recomputed for the groups
that touch it. The mark also holds RULES: changing the key rules regroups everything once.
Everything happens in one transaction: an interrupted step leaves the catalogue as it was.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from oerhub.catalogue import Catalogue, json_strings
from oerhub.enrich import duplicate_keys as dedupe
from oerhub.enrich import duplicate_tables
from oerhub.enrich.duplicate_keys import (
    POINTS,
    SAME,
    VERSION,
    RecordFacts,
    record_keys,
    relations_from_raw,
)
from oerhub.normalize.dates import utc_now
from oerhub.workers import spread

STEP = "duplicates"
# Bump when oerhub/enrich/duplicate_keys.py's keys change: the next run keys every record again.
RULES = "1"
BATCH = 5000
_CHUNK = 500  # ids or keys per IN (…) list
_PART = 1250  # records keyed at a time by a worker process (fewer than two parts: keyed here)

_MARKERS = " OR ".join(f"instr(x.raw, '{m}')" for m in dedupe.RELATION_MARKERS)
# Changed records (all live ones on a full run) in id order, with raw metadata only when it
# may state a relation (the normalised record keeps none; most raw records state none).
_CHANGED_SQL = (
    "SELECT r.id, r.source_id, r.deleted, r.title, r.language, r.url, r.identifiers, "
    f"r.creators, CASE WHEN {_MARKERS} THEN x.raw END "
    "FROM records r LEFT JOIN raw_records x ON x.record_id = r.id "
    "WHERE r.id > ? AND {where} ORDER BY r.id LIMIT ?")


@dataclass
class GroupingResult:
    """What one run did, and what the catalogue holds after it."""

    full: bool
    rekeyed: int  # records whose keys were computed again (live or deleted since)
    regrouped: int  # records whose group was computed again
    groups: int  # resources given by two records or more
    grouped_records: int  # the records in them
    translation_links: int  # pairs of groups, counted once
    seconds: float

    def summary(self) -> str:
        mode = "all records" if self.full else f"{self.rekeyed:,} changed records"
        return (f"{mode} keyed, {self.regrouped:,} regrouped; {self.groups:,} resources given "
                f"by several records ({self.grouped_records:,} records, "
                f"{self.grouped_records - self.groups:,} duplicates); "
                f"{self.translation_links:,} translation links ({self.seconds:.1f} s)")


def step(catalogue: Catalogue, processes: Executor | None = None) -> str:
    """The enrichment step (oerhub/enrich/): one line for `oerhub harvest` to print."""
    return regroup(catalogue, processes=processes).summary()


def regroup(catalogue: Catalogue, full: bool = False,
            processes: Executor | None = None) -> GroupingResult:
    """Key the changed records (all with `full`), regroup what they touch, relink translations.

    With worker `processes`, the keys are computed there, the next batch read meanwhile."""
    started = time.monotonic()
    now = utc_now()  # the next run's mark: what changes from now on is keyed again then
    mark = catalogue.enrich_mark(STEP)
    since = None
    if not full and mark and mark.startswith(f"{RULES}|"):
        since = mark.split("|", 1)[1]
    full = since is None
    conn = catalogue.conn
    with catalogue.transaction():
        changed: list[int] = []
        dropped: list[tuple[str, int, str, str]] = []  # the keys the changed records had
        added: list[tuple[str, int, str, str]] = []  # and have
        if full:
            duplicate_tables.replace_record_keys(catalogue, None, ())
        for batch, rows in spread(processes, key_rows, _changed(catalogue, since), _PART):
            ids = [row[0] for row in batch]
            changed.extend(ids)
            if not full:
                dropped.extend(_rows_of(catalogue, ids))
                added.extend(rows)
            duplicate_tables.replace_record_keys(catalogue, [] if full else ids, rows)
        if full:
            regrouped = _group_everything(catalogue)
            duplicate_tables.replace_translation_links(catalogue, None, _links(catalogue, None))
        elif changed:
            regrouped = _group_incrementally(catalogue, changed, dropped, added)
        else:
            regrouped = 0
        catalogue.set_enrich_mark(STEP, f"{RULES}|{now}")
    groups, grouped = conn.execute(
        "SELECT COUNT(DISTINCT group_id), COUNT(*) FROM record_groups").fetchone()
    links = conn.execute("SELECT COUNT(*) FROM translation_links").fetchone()[0] // 2
    return GroupingResult(full, len(changed), regrouped, groups, grouped, links,
                          time.monotonic() - started)


# --- reading -----------------------------------------------------------------------------------


def _changed(catalogue: Catalogue, since: str | None) -> Iterator[list[tuple[Any, ...]]]:
    """Batches of the records changed at or after `since` (every live one without), as
    _CHANGED_SQL reads them."""
    where, params = ("r.deleted = 0", []) if since is None else ("r.last_changed >= ?", [since])
    sql = _CHANGED_SQL.format(where=where)
    last = 0
    while True:
        rows = catalogue.conn.execute(sql, (last, *params, BATCH)).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def key_rows(rows: Sequence[tuple[Any, ...]]) -> list[tuple[str, int, str, str]]:
    """(key, record_id, source_id, role) of records as _CHANGED_SQL reads them; none for a
    record deleted since. Pure: worker processes run it."""
    found = []
    for (record_id, source_id, deleted, title, language, url, identifiers, creators,
         raw) in rows:
        if deleted:
            continue
        facts = RecordFacts(record_id, source_id, title, language, url,
                            json_strings(identifiers), json_strings(creators),
                            relations_from_raw(raw))
        found.extend((key, record_id, source_id, role) for key, role in record_keys(facts))
    return found


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _keys_of(catalogue: Catalogue, record_ids: Iterable[int]) -> list[tuple[str, str]]:
    """(key, role) of the records, as stored."""
    found = []
    for chunk in _chunks(record_ids):
        found.extend(catalogue.conn.execute(
            f"SELECT key, role FROM record_keys WHERE record_id IN ({_marks(chunk)})", chunk))
    return found


def _rows_of(catalogue: Catalogue, record_ids: Iterable[int]
             ) -> list[tuple[str, int, str, str]]:
    """(key, record_id, source_id, role) of the records, as stored."""
    found = []
    for chunk in _chunks(record_ids):
        found.extend(catalogue.conn.execute(
            f"SELECT key, record_id, source_id, role FROM record_keys "
            f"WHERE record_id IN ({_marks(chunk)})", chunk))
    return found


def _carriers(catalogue: Catalogue, keys: Iterable[str]
              ) -> dict[str, list[tuple[int, str, str]]]:
    """key -> [(record_id, source_id, role)] of every record carrying it."""
    found: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for chunk in _chunks(keys):
        for key, record_id, source_id, role in catalogue.conn.execute(
                f"SELECT key, record_id, source_id, role FROM record_keys "
                f"WHERE key IN ({_marks(chunk)})", chunk):
            found[key].append((record_id, source_id, role))
    return found


def _groups_of(catalogue: Catalogue, record_ids: Iterable[int]) -> dict[int, int]:
    """record -> group for the records in a group of two or more."""
    found: dict[int, int] = {}
    for chunk in _chunks(record_ids):
        found.update(catalogue.conn.execute(
            f"SELECT record_id, group_id FROM record_groups WHERE record_id IN ({_marks(chunk)})",
            chunk).fetchall())
    return found


def _members(catalogue: Catalogue, group_ids: Iterable[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(group_ids):
        for record_id, group_id in catalogue.conn.execute(
                f"SELECT record_id, group_id FROM record_groups WHERE group_id IN ({_marks(chunk)})",
                chunk):
            found[group_id].append(record_id)
    return found


def _marks(chunk: Sequence[Any]) -> str:
    return ", ".join("?" * len(chunk))


# --- duplicates --------------------------------------------------------------------------------


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        parent = self.parent.setdefault(item, item)
        if parent != item:
            root = item
            while self.parent[root] != root:
                root = self.parent[root]
            while self.parent[item] != root:  # path compression
                self.parent[item], item = root, self.parent[item]
            return root
        return item

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def valid(carriers: Sequence[tuple[int, str, str]]) -> list[int]:
    """The records a `same` key ties together, or none: at least two, and no source twice."""
    same = [(record_id, source_id) for record_id, source_id, role in carriers if role == SAME]
    sources = [source_id for _, source_id in same]
    if len(same) < 2 or len(set(sources)) != len(sources):
        return []
    return [record_id for record_id, _ in same]


def _components(ties: Iterable[tuple[str, list[int]]]) -> list[tuple[int, int, str]]:
    """(record_id, group_id, reason) of every record in a group of two or more.

    reason: the kinds of the keys that tie the record in (doi, hdl, url, title), joined by ",".
    """
    union = _UnionFind()
    kinds: dict[int, set[str]] = defaultdict(set)
    for key, records in ties:
        kind = dedupe.key_kind(key)
        for record_id in records:
            kinds[record_id].add(kind)
            union.union(records[0], record_id)
    return [(record_id, union.find(record_id), ",".join(sorted(kinds[record_id])))
            for record_id in sorted(kinds)]


def _group_everything(catalogue: Catalogue) -> int:
    rows = catalogue.conn.execute(
        "SELECT key, group_concat(record_id) FROM record_keys WHERE role = ? GROUP BY key "
        "HAVING COUNT(*) > 1 AND COUNT(DISTINCT source_id) = COUNT(*)", (SAME,))
    groups = _components((key, [int(i) for i in ids.split(",")]) for key, ids in rows)
    duplicate_tables.replace_groups(catalogue, None, groups)
    return len(groups)


def _group_incrementally(catalogue: Catalogue, changed: list[int],
                         dropped: list[tuple[str, int, str, str]],
                         added: list[tuple[str, int, str, str]]) -> int:
    """Regroup the records whose group may change (see the module docstring); their number.

    A key the changed records dropped or took ties its carriers only if it is valid now or
    was before; one that was and stays invalid (a journal's link on every article of a
    source) ties nothing either way, and its carriers are left alone.
    """
    fresh = set(changed)
    seeds = set(changed)
    had: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for key, record_id, source_id, role in dropped:
        had[key].append((record_id, source_id, role))
    touched = set(had) | {row[0] for row in added}
    for key, carriers in _carriers(catalogue, touched).items():
        before = [c for c in carriers if c[0] not in fresh] + had.get(key, [])
        if valid(carriers) or valid(before):
            seeds.update(record_id for record_id, _, _ in carriers)
    old = _groups_of(catalogue, seeds)
    seeds.update(r for members in _members(catalogue, set(old.values())).values() for r in members)
    old.update(_groups_of(catalogue, seeds))
    # the closure, checked: a valid key never leads outside (if it does, take that group in)
    while True:
        keys = {key for key, role in _keys_of(catalogue, seeds) if role == SAME}
        carried = _carriers(catalogue, keys)
        ties = [(key, records) for key, carriers in carried.items()
                if (records := valid(carriers))]
        outside = {r for _, records in ties for r in records} - seeds
        if not outside:
            break
        seeds |= outside
        more = _groups_of(catalogue, outside)
        old.update(more)
        seeds.update(r for members in _members(catalogue, set(more.values())).values()
                     for r in members)
        old.update(_groups_of(catalogue, seeds))
    duplicate_tables.replace_groups(catalogue, sorted(seeds), _components(ties))
    _relink(catalogue, seeds, old, touched)
    return len(seeds)


# --- translations ------------------------------------------------------------------------------


def _relink(catalogue: Catalogue, seeds: set[int], old: dict[int, int],
            touched: set[str]) -> None:
    """Translation links again for every group the regrouped records touch: theirs (before
    and after), and those of every record sharing a version or translation key with them or
    with the keys the changed records dropped."""
    keys = {key for key, _ in _keys_of(catalogue, seeds)} | touched
    records = set(seeds)
    for carriers in _carriers(catalogue, keys).values():
        if any(role != SAME for _, _, role in carriers):
            records.update(record_id for record_id, _, _ in carriers)
    now = _groups_of(catalogue, records)
    affected = {old.get(r, r) for r in seeds} | {now.get(r, r) for r in records}
    members = _members(catalogue, affected)
    records |= {r for group in members.values() for r in group} | affected
    duplicate_tables.replace_translation_links(catalogue, sorted(affected), _links(catalogue, records))


def _links(catalogue: Catalogue, records: set[int] | None) -> list[tuple[int, int, str]]:
    """(group_id, other_group_id, reason), both ways, from the keys of `records` (all: None)."""
    conn = catalogue.conn
    if records is None:
        version = conn.execute(
            "SELECT key, record_id FROM record_keys WHERE role = ? AND key IN (SELECT key FROM "
            "record_keys WHERE role = ? GROUP BY key HAVING COUNT(*) > 1)", (VERSION, VERSION))
        by_key: dict[str, list[int]] = defaultdict(list)
        for key, record_id in version:
            by_key[key].append(record_id)
        # CROSS JOIN keeps the few pointing keys outside: left to itself, the planner walked
        # every `same` key and looked each up (two orders of magnitude slower)
        pointers = conn.execute(
            "SELECT p.record_id, t.record_id FROM record_keys p CROSS JOIN record_keys t "
            "ON t.key = p.key AND t.role = ? WHERE p.role = ?", (SAME, POINTS)).fetchall()
    else:
        carried = _carriers(catalogue, {key for key, _ in _keys_of(catalogue, records)})
        by_key = {key: [r for r, _, role in carriers if role == VERSION]
                  for key, carriers in carried.items()}
        by_key = {key: found for key, found in by_key.items() if len(found) > 1}
        pointers = [(p, t) for carriers in carried.values()
                    for p, _, prole in carriers if prole == POINTS
                    for t, _, trole in carriers if trole == SAME]
    involved = {r for found in by_key.values() for r in found} | {r for pair in pointers
                                                                   for r in pair}
    if not involved:
        return []
    group_of = _groups_of(catalogue, involved)
    members = _members(catalogue, set(group_of.values()))
    language = _languages(catalogue, involved | {r for m in members.values() for r in m})

    def group(record_id: int) -> int:
        return group_of.get(record_id, record_id)

    def languages(group_id: int) -> set[str]:
        return {language[r] for r in members.get(group_id, [group_id]) if language.get(r)}

    reasons: dict[tuple[int, int], set[str]] = defaultdict(set)

    def link(a: int, b: int, reason: str) -> None:
        if a != b and languages(a) and languages(b) and not languages(a) & languages(b):
            reasons[(a, b)].add(reason)
            reasons[(b, a)].add(reason)

    for key, found in by_key.items():
        per_language: dict[str, set[int]] = defaultdict(set)
        for record_id in found:
            if language.get(record_id):
                per_language[language[record_id]].add(group(record_id))
        if len(per_language) < 2 or any(len(g) > 1 for g in per_language.values()):
            continue  # one language only, or two resources of one language: no telling
        for (_, (a,)), (_, (b,)) in combinations(sorted((k, tuple(v)) for k, v in
                                                        per_language.items()), 2):
            link(a, b, dedupe.key_kind(key))
    for source, target in pointers:
        if language.get(source) and language.get(target) and \
                language[source] != language[target]:
            link(group(source), group(target), "relation")
    return [(a, b, ",".join(sorted(why))) for (a, b), why in sorted(reasons.items())]


def _languages(catalogue: Catalogue, record_ids: Iterable[int]) -> dict[int, str | None]:
    found: dict[int, str | None] = {}
    for chunk in _chunks(record_ids):
        found.update(catalogue.conn.execute(
            f"SELECT id, language FROM records WHERE deleted = 0 AND id IN ({_marks(chunk)})",
            chunk).fetchall())
    return found
