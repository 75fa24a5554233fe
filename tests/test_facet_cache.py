"""Facet counts kept until the catalogue changes (oerhub/publish/facet_cache.py): a second
visitor reads the kept answers, and a harvest's commit makes the next visitor count again."""

from __future__ import annotations

from pathlib import Path

from conftest import SiteClient, source_toml

from oerhub.catalogue import Catalogue
from oerhub.models import Batch, RawRecord, Record, RunProgress
from oerhub.registry import load_config


def store(db: Path, source_id: str, country: str, levels: list[str], n: int, start: int = 0
          ) -> None:
    with Catalogue(db) as catalogue:
        run = catalogue.start_run(source_id, "full", None)
        records = [Record(source_id, f"r{i}", "2024-01-01", title=f"Физика {i}", country=country,
                          language="ru", education_level=levels)
                   for i in range(start, start + n)]
        raws = [RawRecord(source_id, r.identifier, r.datestamp, False, "oai_dc", "<x/>")
                for r in records]
        catalogue.store_batch(RunProgress(run, source_id, 0, 0),
                              Batch(raws, None, normalised=records))
        catalogue.finish_run(run, source_id, "ok")


def counts(site: SiteClient, facet: str, query: str = "") -> dict[str, int]:
    data = site.get(f"/oerhub/resources.json?_size=0{query}").json()
    return {r["value"]: r["count"] for r in data["facet_results"][facet]["results"]}


def test_kept_until_the_catalogue_changes(tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(source_toml("kz-a", "http://127.0.0.1:9/oai", country="KZ")
                      + source_toml("ua-a", "http://127.0.0.1:9/oai", country="UA"),
                      encoding="utf-8")
    db = tmp_path / "oerhub.db"
    with Catalogue(db) as catalogue:
        catalogue.sync_sources(load_config(config))
    store(db, "kz-a", "KZ", ["ISCED 2"], 3)
    site = SiteClient.serving(db)
    try:
        database = site.ds.get_database("oerhub")
        assert counts(site, "country") == {"KZ": 3}
        assert counts(site, "education_level") == {"ISCED 2": 3}
        misses = database.misses
        assert counts(site, "country") == {"KZ": 3}  # the second visitor: nothing counted
        assert database.misses == misses and database.hits > 0

        store(db, "ua-a", "UA", ["ISCED 1", "ISCED 2"], 2)  # a harvest commits
        assert counts(site, "country") == {"KZ": 3, "UA": 2}
        assert counts(site, "education_level") == {"ISCED 2": 5, "ISCED 1": 2}
        assert database.misses > misses
        # a filter is its own query, kept apart from the unfiltered one
        assert counts(site, "education_level", "&country=UA") == {"ISCED 1": 2, "ISCED 2": 2}
        assert counts(site, "country") == {"KZ": 3, "UA": 2}
        with Catalogue(db) as catalogue:  # a deletion is a change too
            catalogue.conn.execute("UPDATE records SET deleted = 1 WHERE source_id = 'kz-a'")
            catalogue.conn.commit()
        assert counts(site, "country") == {"UA": 2}
        assert counts(site, "education_level") == {"ISCED 1": 2, "ISCED 2": 2}
    finally:
        site.close()
