"""Reports on a catalogue whose registry is not named count the sources the catalogue knows,
not those of whatever config/sources.toml sits in the working directory (issue 16's fix on
the way: the demo's report counted the project's 136 sources, 0 ok)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from conftest import HARVEST_SETTINGS, source_toml

from oerhub.catalogue import Catalogue
from oerhub.cli import main
from oerhub.models import Batch, RawRecord, Record, RunProgress
from oerhub.registry import load_config


def _report(args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    monkeypatch.delenv("OERHUB_CONFIG", raising=False)
    monkeypatch.chdir(cwd)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 0
    return json.loads(out.getvalue())


def test_without_a_named_registry_the_catalogue_s_own_sources_are_counted(tmp_path,
                                                                            monkeypatch):
    harvested = tmp_path / "harvest"
    harvested.mkdir()
    (harvested / "sources.toml").write_text(
        HARVEST_SETTINGS + "\n" + source_toml("ua-x", "http://127.0.0.1:9/oai"))
    db = harvested / "oerhub.db"
    with Catalogue(db) as catalogue:
        catalogue.sync_sources(load_config(harvested / "sources.toml"))
        run = catalogue.start_run("ua-x", "full", None)
        record = Record("ua-x", "oai:1", "2024-01-01", title="Фізика", country="UA")
        raw = RawRecord("ua-x", "oai:1", "2024-01-01", False, "oai_dc", "<x/>")
        catalogue.store_batch(RunProgress(run, "ua-x"), Batch([raw], None, normalised=[record]))
        catalogue.finish_run(run, "ua-x", "ok")
    project = tmp_path / "project"  # another registry where the command is typed
    (project / "config").mkdir(parents=True)
    (project / "config" / "sources.toml").write_text(HARVEST_SETTINGS + "\n" + "".join(
        source_toml(f"kz-{n}", f"http://127.0.0.1:9/{n}", country="KZ") for n in range(3)))

    rows = {row["country"]: row for row in _report(
        ["report", "coverage", "--format", "json", "--db", str(db)], project, monkeypatch)}
    assert (rows["UA"]["sources"], rows["UA"]["sources_ok"], rows["UA"]["records"]) == (1, 1, 1)
    assert rows["KZ"]["sources"] == 0, "config/sources.toml of the working directory is not it"

    named = {row["country"]: row for row in _report(
        ["report", "coverage", "--format", "json", "--db", str(db), "--config",
         str(project / "config" / "sources.toml")], project, monkeypatch)}
    assert named["KZ"]["sources"] == 3, "a registry named with --config is the one counted"
