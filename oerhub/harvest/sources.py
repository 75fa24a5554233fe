"""What `oerhub sources` shows: the registry joined with what the catalogue knows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harvesters import CheckResult, harvester_for
from oerhub.catalogue import Catalogue
from oerhub.harvest.run import make_client, select_sources
from oerhub.limits import limit_client
from oerhub.registry import Config, country_name


def source_rows(config: Config, catalogue_path: Path | None,
                country: str | None = None) -> list[dict[str, Any]]:
    """One row per source, by country then id, with its last run when a catalogue exists."""
    last: dict[str, dict[str, Any]] = {}
    if catalogue_path is not None and catalogue_path.exists():
        with Catalogue(catalogue_path) as catalogue:
            last = catalogue.last_runs()
    rows = []
    for source in sorted(config.sources, key=lambda s: (s.country, s.id)):
        if country and source.country != country.upper():
            continue
        run = last.get(source.id)
        rows.append({
            "id": source.id, "name": source.name, "country": source.country,
            "country_name": country_name(source.country), "protocol": source.protocol,
            "url": source.url, "platform": source.platform, "enabled": source.enabled,
            "confidence": source.confidence, "note": source.note,
            "last_run": f"{run['status']} {run['started_at']}" if run else None,
        })
    return rows


def check_sources(config: Config, source_ids: Sequence[str] = (),
                  enabled_only: bool = False) -> list[CheckResult]:
    """Identify + ListMetadataFormats against each chosen source; nothing is stored."""
    sources = select_sources(config, source_ids) if source_ids or enabled_only \
        else list(config.sources)
    results = []
    for source in sources:
        client = limit_client(make_client(config.settings, source), config.settings, source)
        try:
            results.append(harvester_for(source.protocol)(source, client).check())
        finally:
            client.close()
    return results
