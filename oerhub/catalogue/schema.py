"""The catalogue's tables, indexes, views and triggers, and the numbered migrations that bring
an older catalogue up to them.

`SCHEMA` is written with IF NOT EXISTS throughout, so running it on any catalogue adds what is
missing. PRAGMA user_version holds the schema number; `migrate` runs each numbered step above
it once, in order, in one transaction. Catalogues written before numbered migrations (schemas 1
to 7) are brought to 7 by one baseline step, which adds what those versions added.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from oerhub.catalogue.rules import language_check_sql, openness_sql

SCHEMA_VERSION = 11

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    protocol TEXT NOT NULL,
    url TEXT NOT NULL,
    metadata_prefix TEXT,
    sets TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    platform TEXT,
    institution TEXT,
    homepage TEXT,
    confidence TEXT,
    evidence TEXT,
    note TEXT,
    languages TEXT,
    latitude REAL,
    longitude REAL,
    in_config INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES sources(id),
    identifier TEXT NOT NULL,
    datestamp TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    title TEXT,
    description TEXT,
    url TEXT,
    language TEXT,
    language_raw TEXT,
    country TEXT,
    license TEXT,
    license_url TEXT,
    license_raw TEXT,
    access TEXT,
    resource_type TEXT,
    resource_type_raw TEXT,
    education_level TEXT,
    education_level_raw TEXT,
    subjects TEXT NOT NULL DEFAULT '[]',
    creators TEXT NOT NULL DEFAULT '[]',
    publisher TEXT,
    date TEXT,
    identifiers TEXT NOT NULL DEFAULT '[]',
    sets TEXT NOT NULL DEFAULT '[]',
    format TEXT,
    first_harvested TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    UNIQUE (source_id, identifier)
);
CREATE INDEX IF NOT EXISTS records_country ON records(country);
CREATE INDEX IF NOT EXISTS records_language ON records(language);
CREATE INDEX IF NOT EXISTS records_license ON records(license);
CREATE INDEX IF NOT EXISTS records_resource_type ON records(resource_type);
-- Country with the licence columns: per-country counts and licence mix read the index alone.
CREATE INDEX IF NOT EXISTS records_live_country_licence ON records(deleted, country, license,
                                                                   access);
CREATE INDEX IF NOT EXISTS records_live_language ON records(deleted, language);
CREATE INDEX IF NOT EXISTS records_live_license ON records(deleted, license, access);
CREATE INDEX IF NOT EXISTS records_live_type ON records(deleted, resource_type);
CREATE INDEX IF NOT EXISTS records_live_source ON records(deleted, source_id);
-- What the coverage report and dashboard group by, so that they read an index in order:
-- languages and types per country, the openness of the resources view per country (written
-- exactly as in the view) and the month a record was first harvested (as in the chart).
CREATE INDEX IF NOT EXISTS records_live_country_language ON records(deleted, country, language);
CREATE INDEX IF NOT EXISTS records_live_country_type ON records(deleted, country, resource_type);
CREATE INDEX IF NOT EXISTS records_live_openness ON records(deleted, country, (
    {openness_index}));
CREATE INDEX IF NOT EXISTS records_live_month ON records(deleted, substr(first_harvested, 1, 7));
-- What Datasette browses: live records with their source's name, and the licence mix
-- (open / restricted / unknown) of oerhub/catalogue/rules.py.
CREATE VIEW IF NOT EXISTS resources AS
SELECT r.id, r.title, r.url,
       (SELECT s.name FROM sources AS s WHERE s.id = r.source_id) AS source_name,
       r.source_id, r.country, r.language,
       -- beside the declared language, the one detected from title and description
       -- (oerhub/enrich/languages.py); language_check and openness: oerhub/catalogue/rules.py
       r.language_detected, r.language_confidence,
       {language_check} AS language_check,
       r.license, r.access,
       {openness} AS openness,
       r.resource_type, r.education_level, r.subjects, r.creators, r.publisher, r.date,
       r.description, r.first_harvested, r.last_changed,
       -- the themes it is in (schema 10; record_themes, by config/themes.toml), a JSON
       -- array for ?_facet_array=themes and ?themes__arraycontains=ID
       (SELECT json_group_array(t.theme) FROM record_themes AS t
        WHERE t.record_id = r.id) AS themes
FROM records AS r
WHERE r.deleted = 0;
-- Each live record's subjects, one row each: Datasette's subjects page counts this table
-- through its index instead of unpacking the JSON column of every record (json_each uses no
-- index, so it reads every record). Tombstones have none. Kept in step by store_batch,
-- finish_run and update_normalised.
CREATE TABLE IF NOT EXISTS record_subjects (
    record_id INTEGER NOT NULL REFERENCES records(id),
    subject TEXT NOT NULL,
    PRIMARY KEY (record_id, subject)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_subjects_subject ON record_subjects(subject);
CREATE TABLE IF NOT EXISTS raw_records (
    record_id INTEGER PRIMARY KEY REFERENCES records(id),
    format TEXT,
    raw TEXT
);
CREATE TABLE IF NOT EXISTS harvest_runs (
    id INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES sources(id),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    mode TEXT NOT NULL,
    harvest_from TEXT,
    records_new INTEGER NOT NULL DEFAULT 0,
    records_updated INTEGER NOT NULL DEFAULT 0,
    records_deleted INTEGER NOT NULL DEFAULT 0,
    records_unchanged INTEGER NOT NULL DEFAULT 0,
    batches INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    seconds REAL,
    next_from TEXT,
    error TEXT,
    warnings TEXT
);
CREATE INDEX IF NOT EXISTS harvest_runs_source ON harvest_runs(source_id, started_at);
CREATE TABLE IF NOT EXISTS pending_deletions (
    source_id TEXT NOT NULL REFERENCES sources(id),
    identifier TEXT NOT NULL,
    datestamp TEXT,
    run_id INTEGER,
    PRIMARY KEY (source_id, identifier)
);
-- Web protocols: each page fetched, with what lets the next run skip it when unchanged
-- (sitemap lastmod, ETag, Last-Modified) and the records it gave.
CREATE TABLE IF NOT EXISTS web_pages (
    source_id TEXT NOT NULL REFERENCES sources(id),
    url TEXT NOT NULL,
    lastmod TEXT,
    etag TEXT,
    last_modified TEXT,
    status INTEGER,
    fetched_at TEXT,
    identifiers TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (source_id, url)
);
CREATE TABLE IF NOT EXISTS harvest_state (
    source_id TEXT PRIMARY KEY REFERENCES sources(id),
    since TEXT,
    last_ok_run INTEGER,
    checkpoint TEXT,
    checkpoint_run INTEGER,
    updated_at TEXT
);
-- Link health (`oerhub links check`): the latest check of each record's URL. `url` is the URL
-- checked: a check whose url is no longer the record's is stale and counts nowhere.
CREATE TABLE IF NOT EXISTS link_checks (
    record_id INTEGER PRIMARY KEY REFERENCES records(id),
    url TEXT NOT NULL,
    outcome TEXT NOT NULL,  -- live, moved, dead, error, disallowed
    status INTEGER,  -- the last HTTP status (after redirects), NULL without an answer
    final_url TEXT,  -- where the redirects ended
    checked_at TEXT NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS link_checks_outcome ON link_checks(outcome);
-- Script-aware search (oerhub/enrich/search.py: the `search` step after each harvest and renormalize):
-- each live record's searched text as it is, and `folded`, the other spellings of the words of
-- its title, subjects and creators (Cyrillic ones romanised, Latin ones of Uzbek, Kazakh … in
-- Cyrillic, apostrophes in all their forms) so that `fizika` finds Физика; `forms` and
-- `text_forms`, the stems and lemmas of the words of those and of the description
-- (oerhub/enrich/word_forms.py) so that `физика` finds `по физике`. rowid = records.id.
-- Contentless: the index only, the text stays in records. Datasette searches resources and
-- records here.
CREATE VIRTUAL TABLE IF NOT EXISTS records_search USING fts5(
    title, description, subjects, creators, folded, forms, text_forms,
    content = '', tokenize = 'unicode61 remove_diacritics 2'
);
-- The records records_search holds (folded 0: with an empty `folded`, as an upgrade fills it),
-- the folding they were folded with (one row), and the values an indexed record had before it
-- changed (kept by triggers until the step takes them out of the index: a contentless table
-- forgets a row given the values it was indexed with).
CREATE TABLE IF NOT EXISTS records_search_state (id INTEGER PRIMARY KEY, folded INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records_search_folding (mark TEXT);
CREATE TABLE IF NOT EXISTS records_search_pending (
    id INTEGER PRIMARY KEY, title, description, subjects, creators, language, country
);
-- As-you-type suggestions (oerhub/enrich/suggestions.py, kept by the search step: only changed
-- records analysed again; read by /-/suggest): each distinct title and subject of the live
-- records once (`digest`: of kind and text, to find one without indexing the text; a title
-- with its smallest live record, for its page), and its keys: each word folded (lower case,
-- no Latin diacritics or apostrophes, ё as е), the forms of a word that do not start with it
-- (lemmas), and its other spellings (Физика: fizika). `rank`, lower first: own word, form,
-- other spelling; the text's first word; subject before title; shorter text. Read by key for
-- a rare prefix, by initial and rank for a common one (the own words and forms of its first
-- letter in rank order, a walk that stops at the first few that match).
CREATE TABLE IF NOT EXISTS suggestions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,  -- title, subject
    text TEXT NOT NULL,
    digest INTEGER NOT NULL,
    record_id INTEGER,   -- a title's record
    language TEXT,       -- the language and country its keys were made in
    country TEXT
);
CREATE INDEX IF NOT EXISTS suggestions_digest ON suggestions(digest);
CREATE TABLE IF NOT EXISTS suggestion_keys (
    key TEXT NOT NULL,
    rank INTEGER NOT NULL,
    suggestion_id INTEGER NOT NULL,
    PRIMARY KEY (key, rank, suggestion_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS suggestion_keys_initial ON suggestion_keys(substr(key, 1, 1), rank)
    WHERE rank < 2048;
-- The live records with each title suggestion (its record is the smallest of them).
CREATE TABLE IF NOT EXISTS suggestion_records (
    suggestion_id INTEGER NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (suggestion_id, record_id)
) WITHOUT ROWID;
-- Cross-source duplicates and translations (oerhub/enrich/duplicates.py: the `duplicates` step after each
-- harvest; the keys are oerhub/enrich/duplicate_keys.py's). record_keys: what each live record is matched by;
-- role same (DOI, handle, link, title + creator: the same resource), version (ISBN family or
-- series + creator: a version in another language) or points (a translation relation naming
-- another record's DOI, handle or link).
CREATE TABLE IF NOT EXISTS record_keys (
    key TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    source_id TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (key, record_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_keys_record ON record_keys(record_id);
-- The records of each resource given by two records or more (a record alone has no row):
-- group_id is the group's smallest record id; reason, the kinds of keys that tie it in.
CREATE TABLE IF NOT EXISTS record_groups (
    record_id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS record_groups_group ON record_groups(group_id);
-- One resource in two languages: a pair of groups (a record alone is the group named by its
-- id), stored both ways; reason: isbn-family, series and/or relation.
CREATE TABLE IF NOT EXISTS translation_links (
    group_id INTEGER NOT NULL,
    other_group_id INTEGER NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (group_id, other_group_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS translation_links_other ON translation_links(other_group_id);
-- Writes that change records' last_changed and have not committed yet (schema 8), so that /oai
-- answers only as of the oldest: its records are stamped no earlier than started_at.
CREATE TABLE IF NOT EXISTS open_writes (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    pid INTEGER NOT NULL
);
-- The themes each live record belongs to (schema 9; oerhub/enrich/themes.py, the `themes` step
-- after search, by the rules of config/themes.toml). A record in no theme has no row.
CREATE TABLE IF NOT EXISTS record_themes (
    record_id INTEGER NOT NULL,
    theme TEXT NOT NULL,
    PRIMARY KEY (theme, record_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_themes_record ON record_themes(record_id);
-- Where each enrichment step (oerhub/enrich/) stopped, in its own terms.
CREATE TABLE IF NOT EXISTS enrich_marks (
    step TEXT PRIMARY KEY,
    mark TEXT,
    updated_at TEXT
);
-- One row per resource: each live record that is alone or names its group, with all its
-- providers (source names), the records behind it, the languages it can be read in (its
-- records' and its translations') and its translations. The lists are computed for the rows
-- shown only; counting or faceting the view reads records and record_groups.
CREATE VIEW IF NOT EXISTS unique_resources AS
SELECT r.id, r.title, r.url,
       CASE WHEN g.group_id IS NULL
            THEN json_array((SELECT s.name FROM sources AS s WHERE s.id = r.source_id))
            ELSE (SELECT json_group_array(name) FROM (
                    SELECT DISTINCT s.name FROM record_groups AS m
                    JOIN records AS x ON x.id = m.record_id
                    JOIN sources AS s ON s.id = x.source_id
                    WHERE m.group_id = r.id AND x.deleted = 0 ORDER BY s.name)) END AS providers,
       CASE WHEN g.group_id IS NULL THEN 1
            ELSE (SELECT COUNT(*) FROM record_groups AS m JOIN records AS x ON x.id = m.record_id
                  WHERE m.group_id = r.id AND x.deleted = 0) END AS records,
       (SELECT json_group_array(language) FROM (
          SELECT DISTINCT x.language FROM records AS x
          WHERE x.deleted = 0 AND x.language IS NOT NULL AND x.id IN (
            SELECT r.id UNION ALL
            SELECT m.record_id FROM record_groups AS m WHERE m.group_id = r.id UNION ALL
            SELECT t.other_group_id FROM translation_links AS t WHERE t.group_id = r.id UNION ALL
            SELECT m.record_id FROM translation_links AS t JOIN record_groups AS m
              ON m.group_id = t.other_group_id WHERE t.group_id = r.id)
          ORDER BY x.language)) AS languages,
       (SELECT COUNT(*) FROM translation_links AS t WHERE t.group_id = r.id) AS translations,
       r.source_id, r.country, r.language, r.license, r.resource_type, r.creators,
       r.publisher, r.date
FROM records AS r LEFT JOIN record_groups AS g ON g.record_id = r.id
WHERE r.deleted = 0 AND (g.group_id IS NULL OR g.group_id = r.id);
""".format(
    openness_index=openness_sql(indent="\n         "),
    language_check=language_check_sql("r."),
    openness=openness_sql("r.", indent="\n            "))

# Columns added to existing tables after schema 1: (table, column, type), added when missing.
ADDED_COLUMNS = (("harvest_runs", "seconds", "REAL"),
                 # oerhub/enrich/languages.py: the language detected from title and description, its
                 # confidence, and the last_changed of the record version it was read from
                 ("records", "language_detected", "TEXT"),
                 ("records", "language_confidence", "REAL"),
                 ("records", "language_checked", "TEXT"))
# Full-text search over what a reader searches by, kept in step by triggers. unicode61 folds
# case in every script but keeps diacritics: "ķīmija" finds "Ķīmija", "kimija" need not.
FTS_COLUMNS = ("title", "description", "subjects", "creators")
FTS_TOKENIZE = "unicode61 remove_diacritics 0"

# records_search (script-aware search): its rank, bm25 with the text as written weighted ten to
# one against the other spellings (`folded`), so a record with the word as typed comes first;
# another form of a word (`forms`: title, subjects, creators; `text_forms`: description) counts
# less than the word as typed in the same place, and the title more than the description.
SEARCH_RANK = "bm25(10.0, 2.0, 5.0, 5.0, 1.0, 3.0, 0.5)"
SEARCH_COLUMNS = ("title", "description", "subjects", "creators", "folded", "forms",
                  "text_forms")
# An indexed record's values before it changes (or goes), for the step to take them out of the
# index; only when a value the index depends on changes.
SEARCH_WATCHED = ("title", "description", "subjects", "creators", "language", "country")
SEARCH_TRIGGERS = tuple(
    f"CREATE TRIGGER IF NOT EXISTS records_search_{name} AFTER {event} ON records "
    f"WHEN {condition}EXISTS (SELECT 1 FROM records_search_state WHERE id = old.id) BEGIN "
    f"INSERT OR IGNORE INTO records_search_pending (id, {', '.join(SEARCH_WATCHED)}) VALUES "
    f"(old.id, {', '.join(f'old.{c}' for c in SEARCH_WATCHED)}); END"
    for name, event, condition in (
        ("au", f"UPDATE OF {', '.join(SEARCH_WATCHED)}",
         "(" + " OR ".join(f"old.{c} IS NOT new.{c}" for c in SEARCH_WATCHED) + ") AND "),
        ("ad", "DELETE", "")))
# An older catalogue's live records, searchable as written until the search step folds them.
SEARCH_FILL_SQL = (
    *SEARCH_TRIGGERS,
    "INSERT INTO records_search (rowid, title, description, subjects, creators, folded) "
    "SELECT id, title, description, subjects, creators, '' FROM records WHERE deleted = 0",
    "INSERT INTO records_search_state (id, folded) SELECT id, 0 FROM records WHERE deleted = 0")
# The index follows an update only when a searched column changes; new rows are added by
# store_batch in one statement per batch (a trigger per inserted row costs five times more).
FTS_CREATE = (
    'CREATE VIRTUAL TABLE "records_fts" USING FTS5 (\n    '
    + ", ".join(f'"{c}"' for c in FTS_COLUMNS)
    + f",\n    tokenize='{FTS_TOKENIZE}',\n    content=\"records\"\n)")
FTS_DELETE_TRIGGER = (
    f"CREATE TRIGGER records_ad AFTER DELETE ON records BEGIN "
    f"INSERT INTO records_fts (records_fts, rowid, {', '.join(FTS_COLUMNS)}) VALUES ('delete', "
    f"old.id, {', '.join(f'old.{c}' for c in FTS_COLUMNS)}); END")
FTS_UPDATE_TRIGGER = (
    f"CREATE TRIGGER records_au AFTER UPDATE OF {', '.join(FTS_COLUMNS)} ON records BEGIN "
    f"INSERT INTO records_fts (records_fts, rowid, {', '.join(FTS_COLUMNS)}) VALUES ('delete', "
    f"old.id, {', '.join(f'old.{c}' for c in FTS_COLUMNS)}); "
    f"INSERT INTO records_fts (rowid, {', '.join(FTS_COLUMNS)}) VALUES (new.id, "
    f"{', '.join(f'new.{c}' for c in FTS_COLUMNS)}); END")



def statements(script: str) -> list[str]:
    """The schema's statements one by one (comments dropped), for one explicit transaction."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def _exists(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None


def _baseline(conn: sqlite3.Connection) -> None:
    """Schemas 1 to 7, which added tables and columns in place: whatever a catalogue of any of
    them lacks is added, and what was added later is filled from what is stored."""
    had_subjects = _exists(conn, "record_subjects")
    had_search = _exists(conn, "records_search")
    had_fts = _exists(conn, "records_fts")
    conn.execute("DROP VIEW IF EXISTS resources")  # views are made anew below
    for statement in statements(SCHEMA):
        conn.execute(statement)
    for table, column, kind in ADDED_COLUMNS:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    if not had_subjects:  # schema 7: fill it from the records already stored
        conn.execute(
            "INSERT OR IGNORE INTO record_subjects (record_id, subject) "
            "SELECT r.id, j.value FROM records AS r, json_each(r.subjects) AS j "
            "WHERE r.deleted = 0 AND json_valid(r.subjects) "
            "AND j.type = 'text' AND j.value != ''")
    if not had_search:  # searchable as written until the search step folds
        for statement in SEARCH_FILL_SQL:
            conn.execute(statement)
    if not had_fts:
        conn.execute(FTS_CREATE)  # as sqlite-utils' enable_fts writes it
        conn.execute("INSERT INTO records_fts (records_fts) VALUES ('rebuild')")
    # schema 7: no trigger per inserted row (store_batch indexes new rows per batch); updates
    # are followed only when a searched column changes
    conn.execute("DROP INDEX IF EXISTS records_live_country")  # schema 7: wider
    conn.execute("DROP TRIGGER IF EXISTS records_ai")
    conn.execute("DROP TRIGGER IF EXISTS records_au")
    conn.execute(FTS_UPDATE_TRIGGER)
    if not _exists(conn, "records_ad"):
        conn.execute(FTS_DELETE_TRIGGER)


def _open_writes(conn: sqlite3.Connection) -> None:
    """Schema 8: writes not yet committed, so /oai never dates a change before it is visible."""
    for statement in statements(SCHEMA):
        if "EXISTS open_writes" in statement:
            conn.execute(statement)


def _record_themes(conn: sqlite3.Connection) -> None:
    """Schema 9: the themes of each record (filled by the themes step)."""
    for statement in statements(SCHEMA):
        if "record_themes" in statement:
            conn.execute(statement)


def _resources_themes(conn: sqlite3.Connection) -> None:
    """Schema 10: the resources view gets a `themes` column (a JSON array from record_themes),
    the site's theme facet."""
    conn.execute("DROP VIEW IF EXISTS resources")
    for statement in statements(SCHEMA):
        if statement.startswith("CREATE VIEW IF NOT EXISTS resources "):
            conn.execute(statement)


def _suggestions(conn: sqlite3.Connection) -> None:
    """Schema 11: the as-you-type suggestions; the search step indexes every record once
    more to fill them (its folding mark is forgotten)."""
    for statement in statements(SCHEMA):
        if "suggestion" in statement.split("(")[0]:
            conn.execute(statement)
    conn.execute("DELETE FROM records_search_folding")


# Schema number -> the step that brings the one before it there. Add a change as the next
# number; never edit a step that has shipped.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    7: _baseline,
    8: _open_writes,
    9: _record_themes,
    10: _resources_themes,
    11: _suggestions,
}
if max(MIGRATIONS) != SCHEMA_VERSION:  # pragma: no cover - a new schema needs its step
    raise ImportError("SCHEMA_VERSION has no migration")


def pending(version: int) -> list[int]:
    """The migration steps a catalogue at `version` still needs, in order (all from 7 for a new
    one: the baseline creates everything)."""
    return [number for number in sorted(MIGRATIONS) if number > max(version, 6)]


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Run the steps above `version` in order (inside the caller's transaction), then record
    the new version."""
    for number in pending(version):
        MIGRATIONS[number](conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
