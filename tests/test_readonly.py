"""A catalogue that cannot be written — a published snapshot, a read-only mount — is served and
reported as it is, never upgraded (issue 12, item 13); writing to it is a clear error."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import HARVEST_SETTINGS, SiteClient, oerhub_in_process, source_toml

from oerhub.catalogue import Catalogue
from oerhub.models import Batch, RawRecord, Record, RunProgress
from oerhub.registry import load_config


def _catalogue_of_schema_7(path: Path) -> None:
    """A catalogue as an older oerhub left it: schema 7, no open_writes table."""
    config = path.parent / "sources.toml"
    config.write_text(HARVEST_SETTINGS + "\n" + source_toml("ua-x", "http://127.0.0.1:9/oai"))
    with Catalogue(path) as catalogue:
        catalogue.sync_sources(load_config(config))
        run = catalogue.start_run("ua-x", "full", None)
        records = [Record("ua-x", f"oai:{n}", "2024-01-01", title=f"Фізика {n}", country="UA",
                          language="uk", license="CC-BY-4.0") for n in range(3)]
        raws = [RawRecord("ua-x", r.identifier, r.datestamp, False, "oai_dc", "<x/>")
                for r in records]
        catalogue.store_batch(RunProgress(run, "ua-x"), Batch(raws, None, normalised=records))
        catalogue.finish_run(run, "ua-x", "ok")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")  # a snapshot is one file, as publish writes it
    conn.execute("DROP TABLE open_writes")
    conn.execute("PRAGMA user_version = 7")
    conn.close()


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder on a file system mounted read-only (a tmpfs; needs the right to mount)."""
    mount = tmp_path / "ro"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a file system here (needs root)")
    try:
        _catalogue_of_schema_7(tmp_path / "made.db")
        shutil.copy(tmp_path / "made.db", mount / "oerhub.db")
        shutil.copy(tmp_path / "sources.toml", mount / "sources.toml")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_read_only_catalogue_is_reported_and_served_as_it_is(read_only):
    db = read_only / "oerhub.db"
    for args in (("report", "coverage"), ("report", "quality"), ("runs",),
                 ("sources", "list")):
        result = oerhub_in_process(read_only, *args, db=db)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        assert "readonly" not in result.stderr and "Traceback" not in result.stderr
    assert "ua-x" in oerhub_in_process(read_only, "report", "quality", db=db).stdout
    client = SiteClient.serving(db)
    try:
        from oerhub.publish.serve import check_catalogue

        check_catalogue(db)
        page = client.get("/oerhub/resources.json?_shape=array")
        assert page.status_code == 200
        assert sorted(row["title"] for row in page.json()) == ["Фізика 0", "Фізика 1",
                                                                "Фізика 2"]
        assert client.get("/oai?verb=Identify").status_code == 200
    finally:
        client.close()
    assert sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute(
        "PRAGMA user_version").fetchone()[0] == 7, "never upgraded"


def test_writing_to_a_read_only_catalogue_is_a_clear_error(read_only):
    result = oerhub_in_process(read_only, "harvest", db=read_only / "oerhub.db",
                               config=read_only / "sources.toml")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "read-only" in result.stderr and "Traceback" not in result.stderr
