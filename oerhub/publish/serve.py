"""`oerhub serve` and `oerhub publish`: the catalogue in Datasette, with the site in config/.

The site is config/metadata.yaml (titles, hidden tables, facets, full-text search on the
`resources` view, canned queries, the coverage dashboard), config/settings.json (time and row
limits) and config/templates/ (home page, record pages). The catalogue is served mutable and
read-only: Datasette opens it with `mode=ro` and, the catalogue being in WAL mode, keeps
answering while a harvest writes. It is always named "oerhub" in URLs, whatever the file is called.

`publish` writes a consistent snapshot (`VACUUM INTO`, one read transaction) without the
internal tables, with the site files beside it, ready for `datasette serve DIR` or
`datasette publish`.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oerhub.errors import OerhubError
from oerhub.publish.site_guard import INTERNAL_TABLES

if TYPE_CHECKING:
    from oerhub.registry import Config

DATABASE_NAME = "oerhub"
DEFAULT_METADATA = Path("config/metadata.yaml")
PROJECT_METADATA = Path(__file__).resolve().parents[1] / DEFAULT_METADATA
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001
# What the site reads and never writes: `resources` is the browse view the metadata and the
# templates are built on (created by oerhub.store).
REQUIRED_VIEW = "resources"
# Kept out of the published snapshot: they hold the harvester's bookkeeping, not the catalogue.
# Datasette plugins the site needs (import names; pinned in pyproject.toml).
REQUIRED_PLUGINS = {
    "datasette_dashboards": "datasette-dashboards",     # the coverage dashboard and its map
    "datasette_template_sql": "datasette-template-sql",  # sql() in the home and record pages
}
SNAPSHOT_NAME = f"{DATABASE_NAME}.db"


@dataclass
class Site:
    """The Datasette configuration: metadata plus the settings and directories beside it."""

    metadata_file: Path
    metadata: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)
    template_dir: Path | None = None
    plugins_dir: Path | None = None
    static_dir: Path | None = None

    @property
    def directory(self) -> Path:
        return self.metadata_file.parent

    def files(self) -> list[Path]:
        """What `publish` copies next to the snapshot."""
        found = [self.metadata_file]
        settings = self.directory / "settings.json"
        if settings.is_file():
            found.append(settings)
        return found + [d for d in (self.template_dir, self.plugins_dir, self.static_dir) if d]


def load_site(metadata_file: str | os.PathLike[str] | None = None) -> Site:
    """Read metadata.yaml (or .json) and settings.json, templates/, plugins/, static/ beside it."""
    from datasette.app import DEFAULT_SETTINGS
    from datasette.utils import BadMetadataError, parse_metadata

    path = Path(metadata_file) if metadata_file else DEFAULT_METADATA
    if not metadata_file and not path.is_file() and PROJECT_METADATA.is_file():
        path = PROJECT_METADATA  # run outside the project directory: the project's own site
    if not path.is_file():
        raise OerhubError(f"{path}: no Datasette metadata there (give --config FILE, "
                          "e.g. config/metadata.yaml of the project)")
    try:
        metadata = parse_metadata(path.read_text(encoding="utf-8"))
    except BadMetadataError as exc:
        raise OerhubError(f"{path}: {exc}") from None
    if not isinstance(metadata, dict):
        raise OerhubError(f"{path}: expected a mapping at the top")
    directory = path.parent
    settings: dict[str, Any] = {}
    settings_file = directory / "settings.json"
    if settings_file.is_file():
        try:
            settings = json.loads(settings_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise OerhubError(f"{settings_file}: not JSON: {exc}") from None
        unknown = sorted(set(settings) - set(DEFAULT_SETTINGS))
        if unknown:
            raise OerhubError(f"{settings_file}: unknown Datasette setting(s): "
                              f"{', '.join(unknown)}")

    def subdir(name: str) -> Path | None:
        return directory / name if (directory / name).is_dir() else None

    return Site(path, metadata, settings, subdir("templates"), subdir("plugins"), subdir("static"))


def check_catalogue(db: Path) -> None:
    """Bring the catalogue's schema up to date and check it has what the site reads."""
    from oerhub.catalogue import Catalogue

    if not db.is_file():
        raise OerhubError(f"{db}: no catalogue there yet (run `oerhub harvest` first, "
                          "or give --db FILE)")
    # upgrades an older catalogue in place, as every command, unless it cannot be written
    with Catalogue(db) as catalogue:
        found = catalogue.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = ?",
            (REQUIRED_VIEW,)).fetchone()
    if not found:
        raise OerhubError(
            f"{db} has no `{REQUIRED_VIEW}` view, which the site browses, and this oerhub's "
            "store did not create it: oerhub/catalogue/ must define it (CREATE VIEW resources)")


def check_plugins() -> None:
    from datasette.plugins import pm

    loaded = {plugin.__name__ for plugin in pm.get_plugins()}
    missing = [dist for module, dist in REQUIRED_PLUGINS.items() if module not in loaded]
    if missing:
        raise OerhubError(f"Datasette plugin(s) not installed: {', '.join(missing)} "
                          "(reinstall oerhub: pip install -e . installs the pinned versions)")


def make_datasette(db: str | os.PathLike[str], site: Site, registry: Config | None = None) -> Any:
    """A Datasette instance on the catalogue with the site's configuration (not yet serving).

    `registry` (the sources registry) can give /oai its administrator's address (see
    oerhub.publish.oai.choose_admin_email). The tests use this very instance through
    `datasette.client`.
    """
    from datasette.app import Datasette

    from oerhub.catalogue.base import writable
    from oerhub.publish import (  # (they import datasette: only when a site is made)
        gateways,  # /themes, /themes/<id>, /-/map/coverage.svg
        record_page,
        site_guard,
        site_i18n,
        site_search,
        suggest,  # /-/suggest
    )
    from oerhub.publish import oai as oai_endpoint
    from oerhub.publish.facet_cache import CatalogueDatabase

    oai_endpoint.register()  # /oai: the catalogue as an OAI-PMH repository
    site_guard.register()  # what one anonymous visitor may cost: limits, internal tables
    site_i18n.register()  # the interface in the reader's language, names instead of codes
    site_search.register()  # search by word forms, best matches first, as result cards
    record_page.register()  # the record page's citations, JSON-LD and checked links
    gateways.register()  # the analysts' pages: themes, the coverage map
    suggest.register()  # /-/suggest: as-you-type suggestions for the search box
    from oerhub.enrich.search_query import warm_up
    # The analysers' dictionaries (~4 s, once per process) before the first visitor: loaded in
    # a thread beside the requests they held the GIL, SQL threads could not run their time
    # checks, and the home page's first query on a million records passed its 2 s limit (500).
    warm_up()
    try:
        site_guard.parse_limits((site.metadata.get("plugins") or {}).get(site_guard.PLUGIN_NAME)
                                or {})
        metadata = site_search.with_ranked_search(site_guard.with_search_engine(
            oai_endpoint.with_admin_email(site.metadata, registry)))
    except ValueError as exc:
        raise OerhubError(f"{site.metadata_file}: {exc}") from None
    ds = Datasette(
        files=[],
        metadata=metadata,
        settings=site.settings,
        template_dir=str(site.template_dir) if site.template_dir else None,
        plugins_dir=str(site.plugins_dir) if site.plugins_dir else None,
        static_mounts=[("static", str(site.static_dir))] if site.static_dir else None,
    )
    ds.remove_database("_memory")  # added by Datasette when no file is given
    # a catalogue it cannot write (a snapshot, a read-only mount) is served immutable
    # facet counts kept until the catalogue changes (facet_cache.py)
    ds.add_database(CatalogueDatabase(ds, path=str(Path(db).resolve()),
                                      is_mutable=writable(Path(db))),
                    name=DATABASE_NAME)
    return ds


def serve(db: Path, site: Site, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          echo: Callable[[str], None] = print, registry: Config | None = None) -> None:
    """Serve the catalogue until Ctrl-C."""
    import uvicorn

    from oerhub.publish.oai import PLUGIN_NAME

    check_catalogue(db)
    check_plugins()
    ds = make_datasette(db, site, registry)
    echo(f"Serving {db} on http://{host}:{port}/ (Ctrl-C to stop)")
    if not (ds.plugin_config(PLUGIN_NAME) or {}).get("admin_email"):
        echo("Warning: /oai is closed (503): no administrator's address for Identify. Set "
             f"plugins: {PLUGIN_NAME}: admin_email in {site.metadata_file.name}, [site] "
             "admin_email or a mailto: [harvest] contact in the registry (README: OAI-PMH).")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")


@dataclass
class Snapshot:
    path: Path
    resources: int
    sources: int
    countries: int
    copied: list[Path]


def publish(db: Path, out: Path, site: Site) -> Snapshot:
    """Write a consistent snapshot of the catalogue and the site files into `out`.

    `VACUUM INTO` reads the catalogue in one transaction, so a harvest writing meanwhile is
    either wholly in the snapshot or not at all. The snapshot is in rollback-journal mode (one
    file), without the internal tables, and is replaced atomically when it already exists.
    """
    check_catalogue(db)
    target = out / SNAPSHOT_NAME
    if target.resolve() == db.resolve():
        raise OerhubError(f"{out}: the snapshot would replace the catalogue itself; "
                          "give another --out directory")
    if out.resolve() == site.directory.resolve():
        raise OerhubError(f"{out}: the site's own directory; give another --out directory")
    out.mkdir(parents=True, exist_ok=True)
    partial = out / f".{SNAPSHOT_NAME}.partial"
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{db.resolve()}?mode=ro", uri=True)
    try:
        source.execute("VACUUM INTO ?", (str(partial),))
    except sqlite3.DatabaseError as exc:
        partial.unlink(missing_ok=True)
        raise OerhubError(f"{db}: cannot snapshot it into {out}: {exc}") from None
    finally:
        source.close()
    snapshot = sqlite3.connect(partial, isolation_level=None)
    try:
        for table in INTERNAL_TABLES:
            snapshot.execute(f"DROP TABLE IF EXISTS [{table}]")
        snapshot.execute("VACUUM")
        snapshot.execute("PRAGMA journal_mode=DELETE")
        resources, sources, countries = snapshot.execute(
            f"SELECT COUNT(*), COUNT(DISTINCT source_id), COUNT(DISTINCT country) "
            f"FROM [{REQUIRED_VIEW}]").fetchone()
    finally:
        snapshot.close()
    os.replace(partial, target)

    copied = []
    for item in site.files():
        destination = out / item.name
        if item.is_dir():
            shutil.copytree(item, destination, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(item, destination)
        copied.append(destination)
    readme = out / "README.md"
    readme.write_text(snapshot_readme(db, out, site, resources, sources, countries),
                      encoding="utf-8")
    return Snapshot(target, resources, sources, countries, [*copied, readme])


def snapshot_readme(db: Path, out: Path, site: Site, resources: int, sources: int,
                    countries: int) -> str:
    from datasette import __version__ as datasette_version

    packages = [f"datasette=={datasette_version}",
                *(f"{dist}=={_version(dist)}" for dist in REQUIRED_PLUGINS.values())]
    installs = " ".join(f"--install {p}" for p in packages)  # datasette pinned too
    settings = " ".join(f"--setting {k} {json.dumps(v) if isinstance(v, bool) else v}"
                        for k, v in site.settings.items())
    options = [f"-m {site.metadata_file.name}"]
    if site.template_dir:
        options.append(f"--template-dir {site.template_dir.name}")
    if site.plugins_dir:
        options.append(f"--plugins-dir {site.plugins_dir.name}")
    if site.static_dir:
        options.append(f"--static static:{site.static_dir.name}")
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""# oerhub catalogue snapshot

Written by `oerhub publish` on {when} from `{db}`.

`{SNAPSHOT_NAME}`: {resources:,} resources from {sources:,} sources in {countries:,} countries, a
consistent copy of the catalogue without the harvester's internal tables
({", ".join(INTERNAL_TABLES)}). Beside it, the Datasette site: {site.metadata_file.name},
settings.json (time and row limits) and templates/.

To serve it, from this directory (config-directory mode reads all of the above):

    pip install {" ".join(packages)}
    datasette serve . --host 0.0.0.0 --port 8001

The snapshot never changes: `datasette inspect {SNAPSHOT_NAME} --inspect-file inspect-data.json`
once makes `datasette serve .` serve it immutable, with its row counts computed ahead.

To publish it (here to Google Cloud Run; Heroku and the publish plugins take the same options):

    datasette publish cloudrun {SNAPSHOT_NAME} {" ".join(options)} \\
      {installs} \\
      --extra-options "{settings}" \\
      --service oerhub
"""


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "?"
