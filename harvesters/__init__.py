"""One module per protocol. Each harvester takes a source config and yields raw records.

The seam every harvester implements is `harvesters.base.Harvester`; `harvester_for` picks the
module by the source's `protocol`.
"""

from __future__ import annotations

import importlib

from harvesters.base import CheckResult, Harvester
from oerhub.models import Batch, HarvestState

# protocol as written in sources.toml -> "module:class"; modules are imported when first used.
HARVESTERS = {
    "oai-pmh": "harvesters.oai_pmh:OaiPmhHarvester",
    "sitemap": "harvesters.sitemap:SitemapHarvester",
    "feed": "harvesters.feed:FeedHarvester",
    "json-api": "harvesters.json_api:JsonApiHarvester",
    "html": "harvesters.html:HtmlHarvester",
}


def harvester_for(protocol: str) -> type[Harvester]:
    """The harvester class for a protocol name as written in sources.toml."""
    if protocol not in HARVESTERS:
        raise KeyError(f"no harvester for protocol {protocol!r}")
    module, _, name = HARVESTERS[protocol].partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


__all__ = ["Batch", "CheckResult", "Harvester", "HarvestState", "harvester_for"]
