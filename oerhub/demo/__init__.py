"""`oerhub demo`: the whole pipeline on sample repositories and portals served on 127.0.0.1.

The same sample OAI-PMH repositories the tests use, and one sample portal per web protocol
(sitemap, Open edX API, HTML, Atom), are served over real HTTP; a registry pointing at them is
written next to the demo catalogue, and the real harvest runs. Nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from oerhub.catalogue import Catalogue
from oerhub.demo.oai_server import OaiTestServer
from oerhub.demo.sample_site import DEMO_WEB_SOURCES, SampleSite
from oerhub.demo.samples import DEMO_REPOSITORIES, demo_repositories
from oerhub.enrich.languages import detect_languages
from oerhub.harvest.run import harvest
from oerhub.registry import country_name, load_config


def write_demo_config(path: Path, server: OaiTestServer, site: SampleSite | None = None) -> None:
    """A registry for the sample repositories and portals, in config/sources.toml's format."""
    lines = ["# Written by `oerhub demo`: the sample repositories and portals it serves on "
             "127.0.0.1.", "[harvest]", 'contact = "https://github.com/oerhub/oerhub"',
             "timeout = 10", "retries = 1", "backoff = 0.5", "",
             "[site]  # /oai names who runs it; the demo answers on 127.0.0.1 only",
             'admin_email = "demo@oerhub.invalid"', ""]
    for spec in DEMO_REPOSITORIES:
        lines += ["[[sources]]", f'id = "{spec["id"]}"', f'name = "{spec["name"]}"',
                  f'country = "{spec["country"]}"', 'protocol = "oai-pmh"',
                  f'url = "{server.url(spec["id"])}"',
                  f'metadata_prefix = "{spec["format"]}"', 'platform = "oerhub-sample"',
                  f'latitude = {spec["latitude"]}', f'longitude = {spec["longitude"]}', ""]
    for spec in DEMO_WEB_SOURCES if site is not None else ():
        lines += ["[[sources]]", f'id = "{spec["id"]}"', f'name = "{spec["name"]}"',
                  f'country = "{spec["country"]}"', f'protocol = "{spec["protocol"]}"',
                  f'url = "{site.source_url(spec)}"', 'platform = "oerhub-sample"',
                  "delay = 0  # a local sample: no need to wait between pages",
                  f'latitude = {spec["latitude"]}', f'longitude = {spec["longitude"]}']
        if "adapter" in spec:
            lines.append(f'adapter = "{spec["adapter"]}"')
        if "html" in spec:
            rules = spec["html"]
            lines += ["[sources.html]", f'items = "{rules["items"]}"', f'next = "{rules["next"]}"',
                      "[sources.html.fields]"]
            lines += [f"{name} = '{selector}'" for name, selector in rules["fields"].items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def run_demo(directory: Path, *, serve: bool = False, port: int = 8001,
             echo: Callable[[str], None] = print) -> Path:
    """Serve, harvest, summarise; with `serve`, open Datasette on the result. Returns the db path."""
    directory.mkdir(parents=True, exist_ok=True)
    config_file, db_file = directory / "sources.toml", directory / "oerhub.db"
    with OaiTestServer(demo_repositories(), batch_size=50) as server, SampleSite() as site:
        write_demo_config(config_file, server, site)
        config = load_config(config_file)
        echo(f"Serving {len(DEMO_REPOSITORIES)} sample OAI-PMH repositories on "
             f"http://127.0.0.1:{server.port}/ and {len(DEMO_WEB_SOURCES)} sample web portals "
             f"(sitemap, Open edX API, HTML, Atom) on {site.url}/ …")
        results = harvest(config, db_file)
        protocols = {s.id: s.protocol for s in config.sources}
        with Catalogue(db_file) as catalogue:
            # what a scheduled run does after the harvest (oerhub schedule): detect languages
            detected = detect_languages(catalogue)
            for r in results:
                echo(f"  {r.source_id:<16} {protocols[r.source_id]:<9} {r.status:<6} "
                     f"{r.received:>5} records ({r.new} new, {r.deleted} deleted) "
                     f"in {r.requests} requests")
                for warning in r.warnings:
                    echo(f"      {warning}")
            echo(f"  languages: {detected.describe()}")
            live = catalogue.count("records", "deleted = 0")
            echo(f"\nCatalogue {db_file}: {live:,} live records "
                 f"({catalogue.count('records', 'deleted = 1')} deleted)")
            for column, title in (("country", "By country"), ("language", "By language"),
                                  ("license", "By licence"), ("resource_type", "By type")):
                values = catalogue.tally(column, limit=8)
                shown = ", ".join(f"{_label(column, v)} {n}" for v, n in values)
                echo(f"  {title + ':':<13} {shown}")
    echo("\nBrowse it:")
    echo(f"  oerhub serve --db {db_file}          # then open http://127.0.0.1:8001/")
    echo(f"  sqlite3 {db_file} \"SELECT title, language, license FROM records LIMIT 5\"")
    echo("  oerhub demo --serve                             # harvest again, then open Datasette")
    if serve:
        from oerhub.publish.serve import load_site
        from oerhub.publish.serve import serve as serve_site

        serve_site(db_file, load_site(), port=port, echo=echo)
    return db_file


def _label(column: str, value: object) -> str:
    if value is None:
        return "unknown"
    if column == "country":
        return f"{value} ({country_name(str(value))})"
    return str(value)
